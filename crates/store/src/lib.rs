//! Paperboy's store: one trait, [`Store`], that the rest of the program talks to, and its
//! database implementations. This crate is the only place with SQL; nothing here knows HTTP.
//!
//! Every implementation must pass the shared conformance suite in [`conformance`], run against
//! each backend from `tests/`.

#[cfg(feature = "conformance")]
pub mod conformance;
mod paper_row;
mod sqlite;

use async_trait::async_trait;
use paperboy_core::{ArxivId, Category, Date, Paper, RankCandidate};
use serde::Serialize;

pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored paper {id} is unreadable: {reason}")]
    CorruptRow { id: String, reason: String },
    #[error("cannot open the database at {location}: {reason}")]
    Open { location: String, reason: String },
}

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Banned,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Banned => "banned",
        }
    }

    pub fn parse(text: &str) -> Role {
        match text {
            "admin" => Role::Admin,
            "banned" => Role::Banned,
            _ => Role::Member,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: i64,
}

/// A session to start: the hash of its cookie, and the token its forms must carry.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: i64,
}

#[derive(Clone, Debug)]
pub struct NewSubmission {
    pub paper: ArxivId,
    pub listing_date: Date,
    pub user_id: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitOutcome {
    Accepted,
    AlreadySubmitted,
    QuotaReached,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What a person did here: votes and submissions, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    pub votes: Vec<ArxivId>,
    pub submissions: Vec<(ArxivId, Date)>,
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

#[async_trait]
pub trait Store: Send + Sync {
    /// Merges records into the store in one transaction (all or nothing), applying
    /// [`Paper::merge`] to whatever is already held. Merging the same records again is a no-op.
    async fn merge_papers(&self, records: Vec<Paper>) -> Result<MergeSummary, StoreError>;

    async fn paper(&self, id: &ArxivId) -> Result<Option<Paper>, StoreError>;

    /// Up to `limit` papers in id order, starting after `after`: walks the whole store in
    /// pages (exports, index rebuilds, checks that two stores hold the same).
    async fn papers_after(&self, after: Option<&ArxivId>, limit: u32) -> Result<Vec<Paper>, StoreError>;

    async fn stats(&self) -> Result<StoreStats, StoreError>;

    /// Papers listed on any day from `first` to `last` (inclusive), optionally only those in a
    /// category (cross-lists count; a bare archive such as `cs` matches all of its categories),
    /// with what ranking needs. Each paper once, dated by its first listing in the range.
    async fn listing_candidates(
        &self,
        first: Date,
        last: Date,
        category: Option<&Category>,
    ) -> Result<Vec<RankCandidate>, StoreError>;

    /// The papers with these ids, in the order given; unknown ids are left out.
    async fn papers_by_ids(&self, ids: &[ArxivId]) -> Result<Vec<Paper>, StoreError>;

    /// The nearest listing day before `first` and the nearest after `last`, if any.
    async fn listing_days_around(&self, first: Date, last: Date) -> Result<(Option<Date>, Option<Date>), StoreError>;

    /// The most recent day any paper was listed.
    async fn latest_listing_day(&self) -> Result<Option<Date>, StoreError>;

    /// Papers whose title, abstract or authors contain every word of `query`, newest first.
    async fn search_papers(&self, query: &str, limit: u32) -> Result<Vec<Paper>, StoreError>;

    /// A number that grows with every change to what pages show, and when it last grew.
    async fn content_version(&self) -> Result<ContentVersion, StoreError>;

    /// Keeps a sign-in link (by its hash) for `email` until `expires_at` (unix seconds).
    async fn save_login_token(&self, email: &str, token_hash: &str, expires_at: i64) -> Result<(), StoreError>;

    /// Uses up a sign-in link: it is deleted whatever happens, so it works once. Answers the
    /// person it signs in (an account is made on first sign-in), or `None` when the link is
    /// unknown, used or expired, or the account is banned.
    async fn redeem_login_token(&self, token_hash: &str, now: i64) -> Result<Option<User>, StoreError>;

    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError>;

    /// The session with this cookie hash, if it has not expired.
    async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>, StoreError>;

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    async fn set_display_name(&self, user_id: i64, display_name: &str) -> Result<(), StoreError>;

    /// Casts (`true`) or withdraws (`false`) a person's vote; both are idempotent. Answers the
    /// paper's count of votes cast here afterwards, or `None` for an unknown paper.
    async fn set_vote(&self, user_id: i64, paper: &ArxivId, voted: bool) -> Result<Option<i64>, StoreError>;

    /// How many votes the paper has had on this instance.
    async fn local_votes(&self, paper: &ArxivId) -> Result<i64, StoreError>;

    /// Which of these papers the person has voted for.
    async fn voted_among(&self, user_id: i64, papers: &[ArxivId]) -> Result<Vec<ArxivId>, StoreError>;

    /// Counts one more hit in `bucket` for the window starting at `window_start`; answers
    /// whether the hit is within `limit`. Shared by every process using the database.
    async fn take_rate_limit(&self, bucket: &str, window_start: i64, limit: u32) -> Result<bool, StoreError>;

    /// Puts a paper (already stored) on a day's list for a member, unless it is there already
    /// or the member has used up the day's quota. One transaction, so two members racing for
    /// the same paper cannot both win.
    async fn submit_paper(&self, submission: &NewSubmission, daily_quota: u32) -> Result<SubmitOutcome, StoreError>;

    /// Who submitted which of these papers for days from `first` to `last` (display names).
    async fn submitters(
        &self,
        papers: &[ArxivId],
        first: Date,
        last: Date,
    ) -> Result<Vec<(ArxivId, String)>, StoreError>;

    /// Makes a personal API token (kept by its hash) and answers its id.
    async fn create_api_token(&self, user_id: i64, name: &str, token_hash: &str) -> Result<i64, StoreError>;

    async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes one of the person's tokens; answers whether there was one.
    async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<bool, StoreError>;

    /// The person a bearer token belongs to (not banned), noting that it was used.
    async fn user_by_api_token(&self, token_hash: &str, now: i64) -> Result<Option<User>, StoreError>;

    async fn user(&self, user_id: i64) -> Result<Option<User>, StoreError>;

    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Sets the role of the account with this address; answers whether there is one.
    async fn set_role(&self, email: &str, role: Role) -> Result<bool, StoreError>;

    /// The papers a person voted for and submitted, newest first.
    async fn activity(&self, user_id: i64, limit: u32) -> Result<Activity, StoreError>;

    /// Hides a paper from every list (or shows it again).
    async fn set_paper_hidden(&self, paper: &ArxivId, hidden: bool) -> Result<bool, StoreError>;

    /// Hides one submission from its day's list (or shows it again).
    async fn set_submission_hidden(&self, paper: &ArxivId, day: Date, hidden: bool) -> Result<bool, StoreError>;

    /// Cheap check that the database answers, for `/healthz`.
    async fn ping(&self) -> Result<(), StoreError>;
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
