//! What the search index follows: the change log of papers, index documents, embeddings.

use async_trait::async_trait;
use paperboy_core::SearchDocument;

use crate::StoreError;

/// One entry of the search index's change log: this paper changed (or went).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchChange {
    pub seq: i64,
    pub paper_id: String,
}

/// Where the change log stands: its first and last entries (0 when empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchLogBounds {
    pub oldest: i64,
    pub newest: i64,
}

/// A paper whose embedding is missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextToEmbed {
    pub paper_id: String,
    pub title: String,
    pub abstract_text: String,
}

/// A stored embedding; `seq` orders writes, so readers can follow new ones.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEmbedding {
    pub seq: i64,
    pub paper_id: String,
    pub vector: Vec<f32>,
}

#[async_trait]
pub trait SearchFeedStore: Send + Sync {
    /// The first and last entries of the search index's change log.
    async fn search_log_bounds(&self) -> Result<SearchLogBounds, StoreError>;

    /// Up to `limit` change-log entries after `position`, in order.
    async fn search_changes_after(&self, position: i64, limit: u32) -> Result<Vec<SearchChange>, StoreError>;

    /// Deletes change-log entries older than `before` (unix seconds), always keeping the newest,
    /// so that a gap after an index's position shows that it missed changes.
    async fn prune_search_log(&self, before: i64) -> Result<u64, StoreError>;

    /// What the index should hold for these papers; papers that no longer exist are left out.
    async fn search_documents(&self, ids: &[String]) -> Result<Vec<SearchDocument>, StoreError>;

    /// Up to `limit` index documents in id order after `after`: rebuilds walk the store with it.
    async fn search_documents_after(&self, after: Option<&str>, limit: u32) -> Result<Vec<SearchDocument>, StoreError>;

    /// Up to `limit` visible papers with no embedding by `model`, by id from the highest (arXiv
    /// ids grow with time: newest first), below `before` when given: a sweep passes the last id
    /// of each batch, so a batch costs its own papers, not those embedded before it.
    async fn texts_to_embed(
        &self,
        model: &str,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<TextToEmbed>, StoreError>;

    /// Stores embeddings made by `model` (replacing older ones), if the paper still exists.
    async fn save_embeddings(&self, model: &str, embeddings: &[(String, Vec<f32>)], now: i64)
    -> Result<(), StoreError>;

    /// Up to `limit` embeddings by `model` written after `after_seq`, in write order.
    async fn embeddings_after(
        &self,
        model: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredEmbedding>, StoreError>;

    /// Visible papers, and how many of them have an embedding by `model`.
    async fn embedding_coverage(&self, model: &str) -> Result<(u64, u64), StoreError>;
}
