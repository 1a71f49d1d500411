//! The digest clock inside `paperboy serve`. Every pass looks at the latest daily and weekly
//! tick that has passed: a period whose digests have not been composed yet is composed now
//! (only the latest one, so after downtime the missed period goes out once, not once per
//! missed tick), then whatever is due in the queue is sent.

use std::sync::Arc;

use jiff::civil::{Date, DateTime};
use paperboy_core::{DigestPeriod, Frequency};

use super::Digests;

/// After downtime, a daily digest older than this is no longer worth sending.
const DAILY_CATCH_UP_DAYS: i64 = 7;

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
        let daily = self
            .latest_listed_day(due_daily(civil, self.settings.daily_time))
            .await?;
        let weekly = Some(due_weekly(civil, self.settings.weekly_day, self.settings.daily_time));
        for period in [daily, weekly].into_iter().flatten() {
            if self.store.digest_run_exists(&period.key()).await? {
                continue;
            }
            // A period without listings yet is looked at again next pass: the import may be
            // late. Once a later tick passes, it is no longer the latest and is left alone.
            let (first, last) = period.bounds();
            if self.store.listing_candidates(first, last, None).await?.is_empty() {
                continue;
            }
            self.compose(&period, now.as_second()).await?;
        }
        self.deliver_due().await?;
        Ok(())
    }

    /// The daily period to compose: the due day, or when that day had no announcement (a
    /// weekend, a holiday, or downtime that ended on one) the last day that had one, so the
    /// missed digest still goes out, once — unless it is too old to be news.
    async fn latest_listed_day(&self, due: DigestPeriod) -> anyhow::Result<Option<DigestPeriod>> {
        let (day, _) = due.bounds();
        if !self.store.listing_candidates(day, day, None).await?.is_empty() {
            return Ok(Some(due));
        }
        let (before, _) = self.store.listing_days_around(day, day).await?;
        let oldest = day
            .checked_sub(jiff::Span::new().days(DAILY_CATCH_UP_DAYS))
            .unwrap_or(day);
        Ok(before
            .filter(|listed| *listed >= oldest)
            .map(|listed| DigestPeriod::containing(Frequency::Daily, listed)))
    }

    /// Runs the clock until the process ends. Errors are logged and the next pass tries again.
    pub async fn run_scheduler(self: Arc<Self>) {
        tracing::info!(
            daily_time = %self.settings.daily_time,
            weekly_day = ?self.settings.weekly_day,
            "digest scheduler started"
        );
        loop {
            if let Err(error) = self.scheduler_pass(crate::clock::now()).await {
                tracing::error!(error = format!("{error:#}"), "digest scheduler pass failed");
            }
            tokio::time::sleep(self.settings.check_interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::test_support::{instance_with_a_week_of_papers, sent};
    use jiff::civil::{date, time};

    #[tokio::test]
    async fn after_downtime_the_missed_day_goes_out_once() {
        let mail = tempfile::tempdir().expect("temp dir");
        let digests = instance_with_a_week_of_papers(mail.path()).await;
        let at = |text: &str| text.parse::<jiff::Timestamp>().expect("timestamp");
        // Down from Wednesday until Saturday morning: three ticks missed, one digest sent, of
        // the last day with papers.
        digests.scheduler_pass(at("2026-02-14T03:00:00Z")).await.expect("pass");
        digests.scheduler_pass(at("2026-02-14T03:00:15Z")).await.expect("pass");
        digests.scheduler_pass(at("2026-02-15T03:00:00Z")).await.expect("pass");
        let messages = sent(mail.path());
        assert_eq!(messages.len(), 1, "one digest, not one per missed tick");
        assert!(messages[0].contains("Fri, 13 Feb 2026"), "{}", messages[0]);
        // A week later, without new papers, nothing stale goes out.
        digests.scheduler_pass(at("2026-02-23T03:00:00Z")).await.expect("pass");
        assert_eq!(sent(mail.path()).len(), 1);
    }

    #[tokio::test]
    async fn nothing_goes_out_before_the_tick_or_before_the_papers() {
        let mail = tempfile::tempdir().expect("temp dir");
        let digests = instance_with_a_week_of_papers(mail.path()).await;
        let at = |text: &str| text.parse::<jiff::Timestamp>().expect("timestamp");
        // Before Friday's tick, Thursday's digest is the due one.
        digests.scheduler_pass(at("2026-02-13T01:00:00Z")).await.expect("pass");
        let messages = sent(mail.path());
        assert_eq!(messages.len(), 1);
        assert!(messages[0].contains("Thu, 12 Feb 2026"));
        digests.scheduler_pass(at("2026-02-13T02:30:00Z")).await.expect("pass");
        assert_eq!(sent(mail.path()).len(), 2, "Friday's after its tick");
    }

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
