//! Harvest state: positions at each source, the log of runs, GitHub star counts.

use async_trait::async_trait;
use paperboy_core::{ArxivId, Date, Paper};

use crate::MergeSummary;
use crate::StoreError;

/// A harvest position, as the harvester writes it (JSON it alone reads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarvestCheckpoint {
    pub name: String,
    pub value: String,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A GitHub repository to read the stars of, with what GitHub last tagged its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoToCheck {
    pub url: String,
    pub etag: Option<String>,
}

/// What reading a repository's stars gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepoReading {
    Counted {
        stars: i64,
        etag: Option<String>,
    },
    /// 304: the count is the one held.
    Unchanged,
    /// 404 / 451: the repository is gone; it is not asked about again.
    Gone,
}

/// A paper's most-starred GitHub repository: its stars and how many it gained in a week.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StarCount {
    pub stars: i64,
    pub growth: i64,
}

/// One finished harvest run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarvestRun {
    /// `scheduled`, `once`, `backfill`, …
    pub kind: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub succeeded: bool,
    pub requests: u32,
    pub papers_new: u64,
    pub papers_updated: u64,
    /// What went wrong, or a one-line summary.
    pub message: String,
}

#[async_trait]
pub trait HarvestStore: Send + Sync {
    /// The harvest position called `name`, if one was saved.
    async fn harvest_checkpoint(&self, name: &str) -> Result<Option<HarvestCheckpoint>, StoreError>;

    /// Merges harvested papers and moves their checkpoint in one transaction: after a crash,
    /// either both happened or neither did.
    async fn merge_harvested(
        &self,
        records: Vec<Paper>,
        checkpoint: &HarvestCheckpoint,
    ) -> Result<MergeSummary, StoreError>;

    /// Forgets a harvest position (a finished back-fill).
    async fn delete_harvest_checkpoint(&self, name: &str) -> Result<(), StoreError>;

    async fn record_harvest_run(&self, run: &HarvestRun) -> Result<(), StoreError>;

    /// The latest runs, newest first.
    async fn harvest_runs(&self, limit: u32) -> Result<Vec<HarvestRun>, StoreError>;

    /// When the last successful run finished (unix seconds).
    async fn last_successful_harvest(&self) -> Result<Option<i64>, StoreError>;

    /// GitHub repositories linked from papers listed on or after `since` whose stars were never
    /// read or last read before `checked_before`, least recently read first.
    async fn repos_to_check(
        &self,
        since: Date,
        checked_before: i64,
        limit: u32,
    ) -> Result<Vec<RepoToCheck>, StoreError>;

    /// Records what reading a repository gave at `now`, on `day`; the week's growth follows.
    async fn record_repo_reading(
        &self,
        url: &str,
        reading: &RepoReading,
        now: i64,
        day: Date,
    ) -> Result<(), StoreError>;

    /// The star counts of these papers' GitHub repositories (the largest per paper).
    async fn star_counts(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, StarCount)>, StoreError>;
}
