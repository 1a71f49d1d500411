//! When harvests run inside `paperboy serve`, and whether the instance is keeping up.
//!
//! A run is due some minutes after each announcement (Sunday to Thursday, 20:00 US Eastern).
//! Holidays are not skipped by the clock — a run then costs one request and finds nothing — so a
//! holiday list that is out of date cannot make the instance miss a day. A failed run is tried
//! again every `harvest_retry_minutes` until one succeeds.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use paperboy_core::{AnnouncementCalendar, Date};
use paperboy_store::Store;
use serde::Serialize;

use super::{HarvestSettings, Harvester, RunKind};

/// The longest the clock sleeps at once, so that a changed system clock is noticed.
const LONGEST_SLEEP: Duration = Duration::from_secs(600);

impl Harvester {
    /// Runs harvests on the announcement schedule until the process ends.
    pub async fn run_schedule(self: Arc<Self>) {
        tracing::info!(
            categories = ?self.settings.categories.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "harvest schedule started"
        );
        let mut last_attempt: Option<Timestamp> = None;
        loop {
            let now = crate::clock::now();
            let next = match self.next_run_at(now, last_attempt).await {
                Ok(next) => next,
                Err(error) => {
                    tracing::error!(%error, "harvest schedule: cannot read the database");
                    now + SignedDuration::from_secs(60)
                }
            };
            if next <= now {
                last_attempt = Some(now);
                let _ = self.run(RunKind::Scheduled).await;
                continue;
            }
            let wait = Duration::try_from(next.duration_since(now)).unwrap_or(LONGEST_SLEEP);
            tokio::time::sleep(wait.min(LONGEST_SLEEP)).await;
        }
    }

    /// When the next scheduled run should start (now or earlier: at once).
    pub async fn next_run_at(
        &self,
        now: Timestamp,
        last_attempt: Option<Timestamp>,
    ) -> Result<Timestamp, paperboy_store::StoreError> {
        let delay = SignedDuration::try_from(self.settings.delay).unwrap_or_default();
        let weekdays = AnnouncementCalendar::with_holidays([]);
        let slot = AnnouncementCalendar::announcement_at(weekdays.latest_announcement(now)) + delay;
        if slot > now {
            return Ok(slot);
        }
        let last_success = self.store.last_successful_harvest().await?;
        if last_success.is_some_and(|finished| finished >= slot.as_second()) {
            let (_, next) = weekdays.next_announcement(now);
            return Ok(next + delay);
        }
        let retry = SignedDuration::try_from(self.settings.retry).unwrap_or_default();
        Ok(match last_attempt {
            Some(attempt) if attempt + retry > now => attempt + retry,
            _ => now,
        })
    }
}

/// Whether the lists are as fresh as arXiv's calendar says they should be.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HarvestHealth {
    /// Whether this process harvests on a schedule; without it, staleness is not a fault here.
    pub scheduled: bool,
    pub healthy: bool,
    /// When the last successful run ended (RFC 3339).
    pub last_success: Option<String>,
    pub latest_list: Option<Date>,
    /// The list the latest announcement (before the grace period) should have given.
    pub expected_list: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

pub async fn health(
    store: &dyn Store,
    settings: &HarvestSettings,
    scheduled: bool,
    now: Timestamp,
) -> Result<HarvestHealth, paperboy_store::StoreError> {
    let grace = SignedDuration::try_from(settings.grace).unwrap_or_default();
    let expected_list = settings.calendar.latest_expected_listing(now - grace);
    let latest_list = store.latest_listing_day().await?;
    let last_success = store.last_successful_harvest().await?;
    let fresh = latest_list.is_some_and(|latest| latest >= expected_list);
    let problem = (scheduled && !fresh).then(|| {
        let latest = latest_list.map_or("none".to_owned(), |day| day.to_string());
        format!("no list for {expected_list} yet (latest: {latest}), past the grace period")
    });
    Ok(HarvestHealth {
        scheduled,
        healthy: problem.is_none(),
        last_success: last_success
            .and_then(|seconds| Timestamp::from_second(seconds).ok())
            .map(|t| t.to_string()),
        latest_list,
        expected_list,
        problem,
    })
}
