//! What rankings kept in memory read: every paper of a range of days with all it takes to place
//! it on any list, the same for papers the change log names, and the epoch that moves when
//! something the log cannot name changes (star growth).

use async_trait::async_trait;
use paperboy_core::{Date, RankRecord};

use crate::StoreError;

#[async_trait]
pub trait RankingStore: Send + Sync {
    /// Every visible paper listed or submitted on a day from `first` to `last` (inclusive), or
    /// featured by Hugging Face on one, each with all its days (not only those in the range).
    async fn rank_records_listed(&self, first: Date, last: Date) -> Result<Vec<RankRecord>, StoreError>;

    /// The records of these papers (ids as the change log writes them); hidden and unknown
    /// papers are left out.
    async fn rank_records(&self, ids: &[String]) -> Result<Vec<RankRecord>, StoreError>;

    /// A number that grows whenever star growth changes for any repository.
    async fn ranking_epoch(&self) -> Result<i64, StoreError>;
}
