//! The digest clock inside `paperboy serve`. Every pass looks at the latest daily and weekly
//! tick that has passed: a period whose digests have not been composed yet is composed now
//! (only the latest one, so after downtime the missed period goes out once, not once per
//! missed tick), then whatever is due in the queue is sent.

use std::sync::Arc;
use std::time::Duration;

use jiff::civil::{Date, DateTime};
use paperboy_core::{DigestPeriod, Frequency};

use super::Digests;

/// How often the clock looks; also the longest a retry waits beyond its time.
const PASS_INTERVAL: Duration = Duration::from_secs(15);

/// The daily period due at `now`: the day of the latest daily tick.
pub fn due_daily(now: DateTime, daily_time: jiff::civil::Time) -> DigestPeriod {
    let today = now.date();
    let day = if now.time() >= daily_time {
        today
    } else {
        today.yesterday().unwrap_or(today)
    };
    DigestPeriod::containing(Frequency::Daily, day)
}

/// The weekly period due at `now`: the week before the latest weekly tick.
pub fn due_weekly(now: DateTime, weekly_day: jiff::civil::Weekday, daily_time: jiff::civil::Time) -> DigestPeriod {
    let mut tick: Date = now.date();
    if now.time() < daily_time {
        tick = tick.yesterday().unwrap_or(tick);
    }
    while tick.weekday() != weekly_day {
        tick = tick.yesterday().unwrap_or(tick);
    }
    let day_before = tick.yesterday().unwrap_or(tick);
    DigestPeriod::containing(Frequency::Weekly, day_before)
}

impl Digests {
    /// One pass of the clock at `now` (UTC): compose what is due, then send what is due.
    pub async fn scheduler_pass(self: &Arc<Self>, now: jiff::Timestamp) -> anyhow::Result<()> {
        let civil = jiff::tz::TimeZone::UTC.to_datetime(now);
        let periods = [
            due_daily(civil, self.settings.daily_time),
            due_weekly(civil, self.settings.weekly_day, self.settings.daily_time),
        ];
        for period in periods {
            if self.store.digest_run_exists(&period.key()).await? {
                continue;
            }
            // A day without listings yet is looked at again next pass: the import may be late.
            // Once the next tick passes, this period is no longer the latest and is left alone.
            let (first, last) = period.bounds();
            if self.store.listing_candidates(first, last, None).await?.is_empty() {
                continue;
            }
            self.compose(&period, now.as_second()).await?;
        }
        self.deliver_due().await?;
        Ok(())
    }

    /// Runs the clock until the process ends. Errors are logged and the next pass tries again.
    pub async fn run_scheduler(self: Arc<Self>) {
        tracing::info!(
            daily_time = %self.settings.daily_time,
            weekly_day = ?self.settings.weekly_day,
            "digest scheduler started"
        );
        loop {
            if let Err(error) = self.scheduler_pass(jiff::Timestamp::now()).await {
                tracing::error!(error = format!("{error:#}"), "digest scheduler pass failed");
            }
            tokio::time::sleep(PASS_INTERVAL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn the_daily_tick_covers_today_once_its_time_has_passed() {
        let at = |h, m| date(2026, 2, 13).at(h, m, 0, 0);
        assert_eq!(due_daily(at(1, 59), time(2, 0, 0, 0)).key(), "daily:2026-02-12");
        assert_eq!(due_daily(at(2, 0), time(2, 0, 0, 0)).key(), "daily:2026-02-13");
    }

    #[test]
    fn the_weekly_tick_covers_the_week_before_it() {
        let saturday = jiff::civil::Weekday::Saturday;
        let two = time(2, 0, 0, 0);
        // Saturday 14 Feb 2026 after 02:00: the week of Mon 9 Feb (W07).
        assert_eq!(
            due_weekly(date(2026, 2, 14).at(3, 0, 0, 0), saturday, two).key(),
            "weekly:2026-W07"
        );
        // Before the tick on that Saturday, and any day until then, the week before.
        assert_eq!(
            due_weekly(date(2026, 2, 14).at(1, 0, 0, 0), saturday, two).key(),
            "weekly:2026-W06"
        );
        assert_eq!(
            due_weekly(date(2026, 2, 12).at(12, 0, 0, 0), saturday, two).key(),
            "weekly:2026-W06"
        );
        // Monday ticks send the whole week that just ended.
        let monday = jiff::civil::Weekday::Monday;
        assert_eq!(
            due_weekly(date(2026, 2, 16).at(3, 0, 0, 0), monday, two).key(),
            "weekly:2026-W07"
        );
    }
}
