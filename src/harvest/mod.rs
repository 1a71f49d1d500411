//! Live harvesting: keeping up with arXiv for the categories an operator chose.
//!
//! A run reads the announcement feed (rss.arxiv.org) to learn the day's new and cross-listed
//! papers and their list date, completes them from the arXiv API in `id_list` batches, then
//! reads OAI-PMH from the last datestamp for replacements and anything the feed missed (and
//! optionally Hugging Face's votes). Every request goes through the process's one polite
//! [`ArxivClient`]; every page is merged in one transaction with the position it reached, so a
//! run killed at any moment resumes where it stopped, without duplicates and without a gap.

mod feed;
mod github;
mod hugging_face;
mod oai;
mod schedule;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use paperboy_core::{AnnouncementCalendar, ArxivId, Category, Date, Paper};
use paperboy_store::{HarvestCheckpoint, HarvestRun, MergeSummary, Store};
use serde::{Serialize, de::DeserializeOwned};

use crate::arxiv::{ArxivClient, RequestError};
use crate::config::Config;

pub use github::GithubSettings;
pub use schedule::{HarvestHealth, health};

/// What a harvester needs to know, from the configuration.
#[derive(Clone, Debug)]
pub struct HarvestSettings {
    pub categories: Vec<Category>,
    pub rss_url: String,
    pub api_url: String,
    pub oai_url: String,
    pub oai: bool,
    pub api_batch: usize,
    pub oai_first_days: u32,
    pub calendar: AnnouncementCalendar,
    /// After the 20:00 US Eastern announcement, before the scheduled run.
    pub delay: Duration,
    /// Before a failed scheduled run is tried again.
    pub retry: Duration,
    /// After an announcement, before its missing list counts as a problem.
    pub grace: Duration,
    /// Hugging Face's base URL, when its votes are synced.
    pub hf_url: Option<String>,
    /// GitHub, when star counts are read.
    pub github: Option<GithubSettings>,
}

impl HarvestSettings {
    pub fn from_config(config: &Config) -> anyhow::Result<HarvestSettings> {
        let minutes = |m: u32| Duration::from_secs(u64::from(m) * 60);
        Ok(HarvestSettings {
            categories: config.harvest_categories()?,
            rss_url: config.arxiv.arxiv_rss_url.trim_end_matches('/').to_owned(),
            api_url: config.arxiv.arxiv_api_url.clone(),
            oai_url: config.arxiv.arxiv_oai_url.clone(),
            oai: config.harvest.harvest_oai,
            api_batch: config.harvest.harvest_api_batch as usize,
            oai_first_days: config.harvest.harvest_oai_first_days,
            calendar: AnnouncementCalendar::with_holidays(config.harvest.harvest_holidays.iter().copied()),
            delay: minutes(config.harvest.harvest_delay_minutes),
            retry: minutes(config.harvest.harvest_retry_minutes.max(1)),
            grace: minutes(config.harvest.harvest_grace_hours * 60),
            hf_url: config
                .harvest
                .hf_sync
                .then(|| config.harvest.hf_api_url.trim_end_matches('/').to_owned()),
            github: config.harvest.github_stars.then(|| GithubSettings {
                api_url: config.harvest.github_api_url.trim_end_matches('/').to_owned(),
                token: config.harvest.github_token.clone(),
                repos_per_run: config.harvest.github_repos_per_run,
            }),
        })
    }

    /// Whether a paper belongs to the chosen categories (a chosen archive takes all of its own).
    pub fn wants(&self, paper: &Paper) -> bool {
        paper.categories.iter().any(|held| {
            self.categories
                .iter()
                .any(|chosen| chosen == held || (!chosen.as_str().contains('.') && chosen.as_str() == held.archive()))
        })
    }
}

/// What kind of run, as the run log shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    Scheduled,
    Once,
    Backfill,
}

impl RunKind {
    fn name(self) -> &'static str {
        match self {
            RunKind::Scheduled => "scheduled",
            RunKind::Once => "once",
            RunKind::Backfill => "backfill",
        }
    }
}

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HarvestReport {
    pub requests: u64,
    pub merged: MergeSummary,
    /// The list day the feed announced, when it announced a new one.
    pub new_feed_day: Option<Date>,
    /// Papers the feed listed (new and cross-listed).
    pub feed_listed: usize,
    pub oai_pages: usize,
    /// OAI-PMH records taken, and those outside the categories or the time window.
    pub oai_taken: usize,
    pub oai_skipped: usize,
    /// Resumption tokens arXiv no longer knew; the list was restarted from its datestamp.
    pub expired_tokens: usize,
    /// Records or ids that could not be used (with why), the rest went in.
    pub problems: Vec<String>,
    /// Hugging Face papers whose votes were updated.
    pub hf_updated: usize,
    /// GitHub repositories whose stars were read, and whether the rate limit cut the step short.
    pub github_read: usize,
    pub github_rate_limited: bool,
}

impl HarvestReport {
    pub fn summary_line(&self) -> String {
        let feed = match self.new_feed_day {
            Some(day) => format!("feed: list of {day}, {} listed", self.feed_listed),
            None => "feed: nothing new".to_owned(),
        };
        format!(
            "harvested {} new, {} updated ({} unchanged); {feed}; OAI-PMH: {} pages, {} records taken, {} skipped; \
             {} requests",
            self.merged.new,
            self.merged.updated,
            self.merged.unchanged,
            self.oai_pages,
            self.oai_taken,
            self.oai_skipped,
            self.requests
        ) + &match (self.github_read, self.github_rate_limited) {
            (0, false) => String::new(),
            (read, false) => format!("; GitHub: {read} star counts read"),
            (read, true) => format!("; GitHub: {read} star counts read, then the rate limit"),
        }
    }
}

/// Why a run stopped before its end. Its position is saved; the next run resumes there.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("OAI-PMH error {code}: {message}")]
    Oai { code: String, message: String },
    #[error("the database: {0}")]
    Store(#[from] paperboy_store::StoreError),
    #[error("checkpoint {name} is unreadable ({reason}); delete it to start that list over")]
    Checkpoint { name: String, reason: String },
    /// Another process of the fleet holds the arXiv lease: it is harvesting now.
    #[error("another process is harvesting (it holds the arXiv lease); nothing done")]
    LeaseHeld,
}

/// The lease that lets one process of the fleet talk to arXiv for harvests at a time.
const ARXIV_LEASE: &str = "arxiv-harvest";
/// How long the lease lasts without renewal, and how often a running harvest renews it.
const LEASE_SECONDS: i64 = 180;
const LEASE_RENEWAL: Duration = Duration::from_secs(60);

pub struct Harvester {
    pub store: Arc<dyn Store>,
    pub arxiv: Arc<ArxivClient>,
    pub settings: HarvestSettings,
    /// For Hugging Face (not arXiv: its own pace).
    http: reqwest::Client,
    /// Who this process is, to the arXiv lease.
    holder: String,
}

impl Harvester {
    pub fn new(store: Arc<dyn Store>, arxiv: Arc<ArxivClient>, settings: HarvestSettings, user_agent: &str) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        let holder = crate::process::this_process();
        Harvester {
            store,
            arxiv,
            settings,
            http,
            holder,
        }
    }

    /// Frees the arXiv lease when a dead process of this machine left it.
    async fn release_if_holder_died(&self, now: i64) -> Result<(), paperboy_store::StoreError> {
        if let Some(holder) = self.store.lease_holder(ARXIV_LEASE, now).await?
            && holder != self.holder
            && crate::process::is_gone_here(&holder)
        {
            tracing::warn!(%holder, "the arXiv lease was left by a process that died; taking it over");
            self.store.release_lease(ARXIV_LEASE, &holder).await?;
        }
        Ok(())
    }

    /// Runs `work` while holding the arXiv lease (renewed in the background), or answers
    /// [`HarvestError::LeaseHeld`] at once when another process holds it.
    async fn leased<F: std::future::Future<Output = (HarvestReport, Result<(), HarvestError>)>>(
        &self,
        work: F,
    ) -> (HarvestReport, Result<(), HarvestError>) {
        let now = crate::clock::now_seconds();
        if let Err(error) = self.release_if_holder_died(now).await {
            return (HarvestReport::default(), Err(error.into()));
        }
        match self
            .store
            .take_lease(ARXIV_LEASE, &self.holder, now, LEASE_SECONDS)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!("another process is harvesting; this one waits for its next turn");
                return (HarvestReport::default(), Err(HarvestError::LeaseHeld));
            }
            Err(error) => return (HarvestReport::default(), Err(error.into())),
        }
        let renewal = {
            let store = Arc::clone(&self.store);
            let holder = self.holder.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LEASE_RENEWAL).await;
                    let now = crate::clock::now_seconds();
                    if let Err(error) = store.take_lease(ARXIV_LEASE, &holder, now, LEASE_SECONDS).await {
                        tracing::warn!(%error, "could not renew the arXiv lease");
                    }
                }
            })
        };
        let outcome = work.await;
        renewal.abort();
        if let Err(error) = self.store.release_lease(ARXIV_LEASE, &self.holder).await {
            tracing::warn!(%error, "could not release the arXiv lease (it runs out by itself)");
        }
        outcome
    }

    /// One run: the feed, then OAI-PMH, then Hugging Face's votes and GitHub's stars. A failure
    /// of arXiv stops the run (the position is kept); the run is logged either way.
    pub async fn run(&self, kind: RunKind) -> (HarvestReport, Result<(), HarvestError>) {
        self.leased(self.run_leased(kind)).await
    }

    async fn run_leased(&self, kind: RunKind) -> (HarvestReport, Result<(), HarvestError>) {
        let started = crate::clock::now();
        let requests_before = self.arxiv.requests_sent();
        let mut report = HarvestReport::default();
        let mut result = self.feed(&mut report).await;
        if result.is_ok() && self.settings.oai {
            result = self.oai_since_last(&mut report).await;
        }
        // Votes and stars are a bonus: their failure is logged and does not fail the arXiv harvest.
        if result.is_ok()
            && self.settings.hf_url.is_some()
            && let Err(error) = self.sync_hugging_face(&mut report).await
        {
            report.problems.push(format!("Hugging Face: {error:#}"));
        }
        if result.is_ok()
            && self.settings.github.is_some()
            && let Err(error) = self.read_star_counts(&mut report).await
        {
            report.problems.push(format!("GitHub: {error:#}"));
        }
        report.requests = self.arxiv.requests_sent() - requests_before;
        self.log_run(kind, started, &report, &result).await;
        (report, result)
    }

    /// Back-fills the papers OAI-PMH lists with datestamps from `from` to `until`.
    pub async fn backfill(&self, from: Date, until: Date) -> (HarvestReport, Result<(), HarvestError>) {
        self.leased(self.backfill_leased(from, until)).await
    }

    async fn backfill_leased(&self, from: Date, until: Date) -> (HarvestReport, Result<(), HarvestError>) {
        let started = crate::clock::now();
        let requests_before = self.arxiv.requests_sent();
        let mut report = HarvestReport::default();
        let mut result = Ok(());
        for set in oai::sets_of(&self.settings.categories) {
            result = self.oai_backfill(&set, from, until, &mut report).await;
            if result.is_err() {
                break;
            }
        }
        report.requests = self.arxiv.requests_sent() - requests_before;
        self.log_run(RunKind::Backfill, started, &report, &result).await;
        (report, result)
    }

    async fn log_run(
        &self,
        kind: RunKind,
        started: jiff::Timestamp,
        report: &HarvestReport,
        result: &Result<(), HarvestError>,
    ) {
        let finished = crate::clock::now();
        let message = match result {
            Ok(()) => report.summary_line(),
            Err(error) => format!("stopped: {error}"),
        };
        match result {
            Ok(()) => {
                metrics::gauge!("paperboy_harvest_last_success_timestamp_seconds").set(finished.as_second() as f64);
                tracing::info!(kind = kind.name(), "{message}");
            }
            Err(error) => {
                let unreachable = matches!(error, HarvestError::Request(request) if request.is_unreachable());
                if unreachable {
                    tracing::warn!(
                        kind = kind.name(),
                        "arXiv cannot be reached (no network?); will try again: {error}"
                    );
                } else {
                    tracing::warn!(kind = kind.name(), "harvest stopped; the next run resumes: {error}");
                }
            }
        }
        for problem in report.problems.iter().take(20) {
            tracing::warn!("harvest: {problem}");
        }
        metrics::counter!("paperboy_harvest_runs_total", "outcome" => if result.is_ok() { "succeeded" } else { "failed" })
            .increment(1);
        metrics::counter!("paperboy_harvest_papers_total", "change" => "new").increment(report.merged.new);
        metrics::counter!("paperboy_harvest_papers_total", "change" => "updated").increment(report.merged.updated);
        let run = HarvestRun {
            kind: kind.name().to_owned(),
            started_at: started.as_second(),
            finished_at: finished.as_second(),
            succeeded: result.is_ok(),
            requests: report.requests.min(u64::from(u32::MAX)) as u32,
            papers_new: report.merged.new,
            papers_updated: report.merged.updated,
            message,
        };
        if let Err(error) = self.store.record_harvest_run(&run).await {
            tracing::error!(%error, "could not log the harvest run");
        }
    }

    /// Which of these papers the instance holds.
    async fn held(&self, ids: &[ArxivId]) -> Result<HashSet<ArxivId>, paperboy_store::StoreError> {
        let papers = self.store.papers_by_ids(ids).await?;
        Ok(papers.into_iter().map(|paper| paper.id).collect())
    }

    /// Reads a position saved under `name` (the default when there is none).
    async fn position<T: DeserializeOwned + Default>(&self, name: &str) -> Result<T, HarvestError> {
        match self.store.harvest_checkpoint(name).await? {
            None => Ok(T::default()),
            Some(checkpoint) => serde_json::from_str(&checkpoint.value).map_err(|error| HarvestError::Checkpoint {
                name: name.to_owned(),
                reason: error.to_string(),
            }),
        }
    }

    /// Merges a page's papers and moves its position, in one transaction.
    async fn save_page<T: Serialize>(
        &self,
        name: &str,
        position: &T,
        papers: Vec<Paper>,
        report: &mut HarvestReport,
    ) -> Result<(), HarvestError> {
        let checkpoint = HarvestCheckpoint {
            name: name.to_owned(),
            value: serde_json::to_string(position).expect("positions serialize"),
            updated_at: crate::clock::now_seconds(),
        };
        let merged = self.store.merge_harvested(papers, &checkpoint).await?;
        report.merged.add(merged);
        Ok(())
    }
}
