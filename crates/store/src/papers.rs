//! Papers and the lists they are on: what imports and harvests write, what pages, feeds and the API read.

use async_trait::async_trait;
use paperboy_core::{ArxivId, Category, Date, Paper, RankCandidate};
use serde::Serialize;

use crate::StoreError;

/// What merging a batch of records did, counted per paper.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MergeSummary {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl MergeSummary {
    pub fn add(&mut self, other: MergeSummary) {
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// See [`Store::content_version`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ContentVersion {
    pub version: i64,
    /// Unix seconds of the last change; 0 before the first.
    pub changed_at: i64,
}

/// What the store holds, for `paperboy stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    pub papers: u64,
    /// Paper counts by primary category, largest first.
    pub by_primary_category: Vec<(String, u64)>,
    pub first_listing_date: Option<Date>,
    pub last_listing_date: Option<Date>,
    pub papers_with_votes: u64,
    pub papers_with_code: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PaperTotals {
    pub papers: u64,
    pub with_votes: u64,
}

/// Folds records that name the same paper into one, in order, so a batch writes each paper once.
pub fn fold_duplicates(records: Vec<Paper>) -> Vec<Paper> {
    let mut folded: Vec<Paper> = Vec::with_capacity(records.len());
    let mut position_of: std::collections::HashMap<ArxivId, usize> = std::collections::HashMap::new();
    for record in records {
        match position_of.get(&record.id) {
            Some(&position) => {
                folded[position].merge(record);
            }
            None => {
                position_of.insert(record.id.clone(), folded.len());
                folded.push(record);
            }
        }
    }
    folded
}

#[async_trait]
pub trait PaperStore: Send + Sync {
    /// Merges records into the store in one transaction (all or nothing), applying
    /// [`Paper::merge`] to whatever is already held. Merging the same records again is a no-op.
    async fn merge_papers(&self, records: Vec<Paper>) -> Result<MergeSummary, StoreError>;

    async fn paper(&self, id: &ArxivId) -> Result<Option<Paper>, StoreError>;

    /// Up to `limit` papers in id order, starting after `after`: walks the whole store in
    /// pages (exports, index rebuilds, checks that two stores hold the same).
    async fn papers_after(&self, after: Option<&ArxivId>, limit: u32) -> Result<Vec<Paper>, StoreError>;

    /// Everything `paperboy stats` shows; counts every paper, so not for a hot path.
    async fn stats(&self) -> Result<StoreStats, StoreError>;

    /// How many papers there are and how many came with votes, kept as papers change: one row
    /// read, whatever the corpus (for `/metrics` and progress bars).
    async fn paper_totals(&self) -> Result<PaperTotals, StoreError>;

    /// Papers listed on any day from `first` to `last` (inclusive), optionally only those in a
    /// category (cross-lists count; a bare archive such as `cs` matches all of its categories),
    /// with what ranking needs. Each paper once, dated by its first listing in the range.
    async fn listing_candidates(
        &self,
        first: Date,
        last: Date,
        category: Option<&Category>,
    ) -> Result<Vec<RankCandidate>, StoreError>;

    /// As `listing_candidates`, but a paper Hugging Face featured belongs to HF's daily date
    /// only, as HF's `/api/daily_papers?date=` selects (dated by it in `listed`).
    async fn daily_papers_candidates(
        &self,
        first: Date,
        last: Date,
        category: Option<&Category>,
    ) -> Result<Vec<RankCandidate>, StoreError>;

    /// The papers with these ids, in the order given; unknown ids are left out.
    async fn papers_by_ids(&self, ids: &[ArxivId]) -> Result<Vec<Paper>, StoreError>;

    /// The nearest listing day before `first` and the nearest after `last`, if any.
    async fn listing_days_around(&self, first: Date, last: Date) -> Result<(Option<Date>, Option<Date>), StoreError>;

    /// The most recent day arXiv listed papers. Days that hold only members' submissions do not
    /// count (a submission would otherwise make a harvest look fresh, and turn the home page of an
    /// instance whose lists stopped into a page of one paper); `listing_days_around` reaches them.
    async fn latest_listing_day(&self) -> Result<Option<Date>, StoreError>;

    /// A number that grows with every change to what pages show, and when it last grew.
    async fn content_version(&self) -> Result<ContentVersion, StoreError>;
}
