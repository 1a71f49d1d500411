//! A member's library: papers saved into named collections ("Saved" is the default one, made on
//! first use), each private unless published under an unguessable id, and private notes.

use async_trait::async_trait;
use paperboy_core::ArxivId;
use serde::Serialize;

use crate::{StoreError, User};

/// The default collection's name; no other collection of a member may take it.
pub const DEFAULT_COLLECTION: &str = "Saved";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collection {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// Where it stands in its member's list (the default first).
    pub position: i64,
    pub is_default: bool,
    /// The unguessable id of its public address, when it is published.
    pub public_id: Option<String>,
    pub created_at: i64,
    /// How many papers it holds (not counting those a moderator hid, which no list shows).
    pub papers: i64,
}

/// What creating or renaming a collection did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CollectionChange {
    Done(Collection),
    /// The member has a collection of that name already (or it is the default's).
    NameTaken,
    /// No such collection of this member's (or, for a rename, it is the default one).
    NotFound,
}

/// What filing a paper in a collection did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filing {
    Added,
    AlreadyThere,
    UnknownPaper,
    UnknownCollection,
}

/// Which collection of a member's: the default one, or one by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shelf {
    Default,
    Collection(i64),
}

#[async_trait]
pub trait LibraryStore: Send + Sync {
    /// The member's collections in their order, each with how many papers it holds.
    async fn collections(&self, user_id: i64) -> Result<Vec<Collection>, StoreError>;

    /// One collection of the member's.
    async fn collection(&self, user_id: i64, shelf: Shelf) -> Result<Option<Collection>, StoreError>;

    /// Makes a private collection called `name` (already trimmed and checked), last in the
    /// member's order.
    async fn create_collection(&self, user_id: i64, name: &str, now: i64) -> Result<CollectionChange, StoreError>;

    /// Renames one of the member's collections (not the default one).
    async fn rename_collection(&self, user_id: i64, id: i64, name: &str) -> Result<CollectionChange, StoreError>;

    /// Moves a collection to `position` (0-based, among the member's others than the default,
    /// which stays first); answers whether there was one.
    async fn move_collection(&self, user_id: i64, id: i64, position: usize) -> Result<bool, StoreError>;

    /// Deletes one of the member's collections (not the default one) and what it files; the
    /// papers stay in any other collection. Answers whether there was one.
    async fn delete_collection(&self, user_id: i64, id: i64) -> Result<bool, StoreError>;

    /// Publishes a collection under `public_id` (unguessable, made by the caller), or makes it
    /// private again with `None`; answers the collection as it is now.
    async fn publish_collection(
        &self,
        user_id: i64,
        id: i64,
        public_id: Option<&str>,
    ) -> Result<Option<Collection>, StoreError>;

    /// A published collection and who made it (not when its maker is banned).
    async fn public_collection(&self, public_id: &str) -> Result<Option<(Collection, User)>, StoreError>;

    /// Files a paper (already stored) in a collection of the member's; the default one is made
    /// when it is first needed.
    async fn file_paper(&self, user_id: i64, shelf: Shelf, paper: &ArxivId, now: i64) -> Result<Filing, StoreError>;

    /// Takes a paper out of a collection of the member's; answers whether it was there.
    async fn unfile_paper(&self, user_id: i64, shelf: Shelf, paper: &ArxivId) -> Result<bool, StoreError>;

    /// A collection's papers, most recently filed first, with when each was filed.
    async fn collection_papers(
        &self,
        collection_id: i64,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<(ArxivId, i64)>, StoreError>;

    /// The papers in any of the member's collections, most recently filed first, each once:
    /// what "For you" learns from.
    async fn recently_saved(&self, user_id: i64, limit: u32) -> Result<Vec<ArxivId>, StoreError>;

    /// Which of these papers the member has in any collection.
    async fn saved_among(&self, user_id: i64, papers: &[ArxivId]) -> Result<Vec<ArxivId>, StoreError>;

    /// The ids of the member's collections that hold this paper.
    async fn collections_holding(&self, user_id: i64, paper: &ArxivId) -> Result<Vec<i64>, StoreError>;

    /// Sets the member's note on a paper; an empty note deletes it. Answers `false` for an
    /// unknown paper.
    async fn set_note(&self, user_id: i64, paper: &ArxivId, note: &str, now: i64) -> Result<bool, StoreError>;

    async fn note(&self, user_id: i64, paper: &ArxivId) -> Result<Option<String>, StoreError>;

    /// Every note of the member's: the paper, the note, when it was last written.
    async fn notes(&self, user_id: i64) -> Result<Vec<(ArxivId, String, i64)>, StoreError>;
}
