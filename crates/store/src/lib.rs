//! Paperboy's store: one trait, [`Store`], that the rest of the program talks to, and its
//! database implementations. This crate is the only place with SQL; nothing here knows HTTP.
//!
//! The implementation is written once, in `src/shared/`, in SQL that SQLite and PostgreSQL both
//! read (numbered `$1` placeholders, `->>`, `TRUE`/`FALSE`, `ON CONFLICT`); each backend's
//! module includes it after defining its `dialect` — its pool and row types, how a write
//! transaction takes the write lock, and the few fragments the two write differently.
//!
//! Every implementation must pass the shared conformance suite in [`conformance`], run against
//! each backend from `tests/`.

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod copy;
mod paper_row;
mod postgres;
mod sqlite;

use async_trait::async_trait;
use paperboy_core::{ArxivId, Category, Date, DigestPreferences, Frequency, Paper, RankCandidate, SearchDocument};
use serde::Serialize;

pub use postgres::PgStore;
pub use sqlite::{SqliteStore, SqliteWorkload};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // The message is the whole story (not a source too), so chains do not repeat it.
    #[error("{}", database_problem(.0))]
    Database(sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored paper {id} is unreadable: {reason}")]
    CorruptRow { id: String, reason: String },
    #[error("cannot open the database at {location}: {reason}")]
    Open { location: String, reason: String },
}

impl StoreError {
    /// Whether the database refused to write because its disk is full or it is read-only: a
    /// state of the machine, not of the request, that passes when an operator makes room.
    pub fn is_unwritable(&self) -> bool {
        matches!(self, StoreError::Database(error) if unwritable(error).is_some())
    }
}

/// Why the database cannot write, when that is the problem: the disk is full (SQLite's 13,
/// PostgreSQL's 53100) or the database is read-only (8, 25006).
fn unwritable(error: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(database) = error else {
        return None;
    };
    match database.code().as_deref() {
        Some("13" | "53100") => Some("the disk holding the database is full: free some space and run it again"),
        Some("8" | "25006") => Some(
            "the database is read-only: its file, its directory or its disk cannot be written \
             (check the data directory's permissions and how its disk is mounted)",
        ),
        _ => None,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error)
    }
}

/// A database error in words a person can act on: a full disk and a read-only database are
/// named as such.
pub(crate) fn database_problem(error: &sqlx::Error) -> String {
    if let Some(reason) = unwritable(error) {
        return reason.to_owned();
    }
    match error {
        sqlx::Error::Database(database) => format!("database error: {}", database.message()),
        other => format!("database error: {other}"),
    }
}

/// The pools' check of a connection coming back: it goes back only outside any transaction.
/// When a write fails for a full disk or an I/O error, SQLite rolls the transaction back by
/// itself; sqlx's own rollback then fails, it still counts the transaction as open, and every
/// later `BEGIN` on that connection would fail ("non-zero transaction depth") until a restart.
/// Such a connection is closed instead, and the pool opens a fresh one when it needs one.
pub(crate) fn reusable_after_release<DB: sqlx::Database>(
    connection: &mut DB::Connection,
    _: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    use sqlx::Connection;
    Box::pin(async move {
        // A rollback queued when a transaction was dropped runs before the ping answers.
        connection.ping().await?;
        let in_transaction = connection.is_in_transaction();
        if in_transaction {
            tracing::warn!("a database connection came back inside a failed transaction; it is closed");
        }
        Ok(!in_transaction)
    })
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
    /// What the public profile's address (`/users/<profile_id>`) holds: random, so that members
    /// cannot be listed by counting.
    pub profile_id: String,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionStatus {
    /// Asked for, not yet confirmed from the mailbox: gets nothing.
    Pending,
    Active,
    Unsubscribed,
    /// Too many permanent delivery failures: skipped until the owner subscribes again.
    Bounced,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Unsubscribed => "unsubscribed",
            SubscriptionStatus::Bounced => "bounced",
        }
    }

    pub fn parse(text: &str) -> Option<SubscriptionStatus> {
        match text {
            "pending" => Some(SubscriptionStatus::Pending),
            "active" => Some(SubscriptionStatus::Active),
            "unsubscribed" => Some(SubscriptionStatus::Unsubscribed),
            "bounced" => Some(SubscriptionStatus::Bounced),
            _ => None,
        }
    }
}

/// One mailbox's digest subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    /// As typed (the domain lower-cased); one subscription per mailbox, whatever the case.
    pub email: String,
    pub status: SubscriptionStatus,
    pub preferences: DigestPreferences,
    pub created_at: i64,
}

/// What asking to subscribe did. The web answer is the same for both; only the mail differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscribeRequest {
    /// A confirmation link (the token given) now stands for this subscription.
    ConfirmationNeeded(Subscription),
    /// The address already gets digests; nothing changed.
    AlreadyActive(Subscription),
}

/// A digest to queue: for one subscription, these papers in this order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    pub subscription_id: i64,
    pub papers: Vec<ArxivId>,
}

/// A delivery a worker has claimed: it alone may hand it over until `lease_until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub id: i64,
    /// Proof of the claim, checked when handing over.
    pub claim: String,
    pub subscription: Subscription,
    /// The period key, e.g. `daily:2026-02-13`.
    pub period: String,
    pub papers: Vec<ArxivId>,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// How a delivery attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The SMTP server accepted the message.
    Sent,
    /// A transient failure (4xx, refused connection, timeout): try again at `next_attempt_at`.
    Retry { error: String, next_attempt_at: i64 },
    /// Given up. A permanent refusal (5xx) counts against the address, which is marked bounced
    /// after `bounce_limit` of them in a row.
    Failed {
        error: String,
        permanent: bool,
        bounce_limit: u32,
    },
}

/// How many deliveries are in each state, for reports and `digest run`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryCounts {
    pub queued: u64,
    pub sending: u64,
    pub handed_over: u64,
    pub sent: u64,
    pub failed: u64,
    pub cancelled: u64,
}

impl DeliveryCounts {
    /// Deliveries that may still go out.
    pub fn outstanding(&self) -> u64 {
        self.queued + self.sending
    }
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
pub trait Store: Send + Sync {
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

    /// Keeps a sign-in link (by its hash) for `email` until `expires_at` (unix seconds).
    async fn save_login_token(&self, email: &str, token_hash: &str, expires_at: i64) -> Result<(), StoreError>;

    /// Uses up a sign-in link: it is deleted whatever happens, so it works once. Answers the
    /// person it signs in (an account is made on first sign-in), or `None` when the link is
    /// unknown, used or expired, or the account is banned.
    async fn redeem_login_token(&self, token_hash: &str, now: i64) -> Result<Option<User>, StoreError>;

    /// The address a live sign-in link signs in, without using the link up: for the page that
    /// asks the person to confirm.
    async fn login_token_email(&self, token_hash: &str, now: i64) -> Result<Option<String>, StoreError>;

    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError>;

    /// The session with this cookie hash, if it has not expired.
    async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>, StoreError>;

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    async fn set_display_name(&self, user_id: i64, display_name: &str) -> Result<(), StoreError>;

    /// Casts (`true`) or withdraws (`false`) a person's vote; both are idempotent. Answers the
    /// paper's count of votes cast here afterwards, or `None` for an unknown paper.
    async fn set_vote(&self, user_id: i64, paper: &ArxivId, voted: bool) -> Result<Option<i64>, StoreError>;

    /// How many votes each paper has had on this instance, in the order asked (0 for a paper
    /// not held).
    async fn local_votes(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, i64)>, StoreError>;

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

    /// The member whose public profile id is `profile_id`.
    async fn user_by_profile(&self, profile_id: &str) -> Result<Option<User>, StoreError>;

    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Sets the role of the account with this address; answers whether there is one.
    async fn set_role(&self, email: &str, role: Role) -> Result<bool, StoreError>;

    /// The papers a person voted for and submitted, newest first.
    async fn activity(&self, user_id: i64, limit: u32) -> Result<Activity, StoreError>;

    /// Hides a paper from every list (or shows it again).
    async fn set_paper_hidden(&self, paper: &ArxivId, hidden: bool) -> Result<bool, StoreError>;

    /// Hides one submission from its day's list (or shows it again).
    async fn set_submission_hidden(&self, paper: &ArxivId, day: Date, hidden: bool) -> Result<bool, StoreError>;

    /// Asks for a digest subscription for `email`, to be confirmed with the link whose hash is
    /// `token_hash` before `expires_at`. A new, pending, unsubscribed or bounced address becomes
    /// pending with these preferences and this token (earlier links stop working); an active one
    /// is left exactly as it is.
    async fn request_subscription(
        &self,
        email: &str,
        preferences: &DigestPreferences,
        token_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<SubscribeRequest, StoreError>;

    /// Uses up a confirmation link: the subscription becomes active. `None` when the link is
    /// unknown, used or expired.
    async fn confirm_subscription(&self, token_hash: &str, now: i64) -> Result<Option<Subscription>, StoreError>;

    /// Subscribes an address whose owner has proved it already (a signed-in member, or an
    /// operator's import): active at once, with these preferences.
    async fn subscribe_confirmed(
        &self,
        email: &str,
        preferences: &DigestPreferences,
        now: i64,
    ) -> Result<Subscription, StoreError>;

    async fn subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError>;

    /// The subscription of this mailbox (any case), in whatever state.
    async fn subscription_by_email(&self, email: &str) -> Result<Option<Subscription>, StoreError>;

    /// Changes what an active or pending subscription gets; answers whether there was one.
    async fn update_subscription(&self, id: i64, preferences: &DigestPreferences, now: i64)
    -> Result<bool, StoreError>;

    /// Ends a subscription and cancels its digests not yet handed to the mail server. Answers
    /// whether it was subscribed (pending or active) before.
    async fn unsubscribe(&self, id: i64, now: i64) -> Result<bool, StoreError>;

    /// Active subscriptions of one frequency, in id order after `after`.
    async fn active_subscriptions(
        &self,
        frequency: Frequency,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Subscription>, StoreError>;

    /// Which of `papers` each of these subscriptions has been sent (or has queued) already.
    async fn papers_already_sent(
        &self,
        subscriptions: &[i64],
        papers: &[ArxivId],
    ) -> Result<Vec<(i64, ArxivId)>, StoreError>;

    /// Queues digests for `period`, one transaction. A subscription that already has one for
    /// the period keeps it and this one is dropped; answers how many were queued.
    async fn enqueue_deliveries(&self, period: &str, deliveries: &[NewDelivery], now: i64) -> Result<u64, StoreError>;

    /// Notes that `period` has been composed (first time only; answers whether it was the first).
    async fn record_digest_run(
        &self,
        period: &str,
        frequency: Frequency,
        deliveries: u64,
        now: i64,
    ) -> Result<bool, StoreError>;

    async fn digest_run_exists(&self, period: &str) -> Result<bool, StoreError>;

    /// Claims up to `limit` deliveries that are due (queued and due, or claimed by a worker
    /// whose lease ran out) for `lease_seconds`, marking them with `claim` (random, one per
    /// call); only those of active subscriptions.
    async fn claim_deliveries(
        &self,
        now: i64,
        lease_seconds: i64,
        limit: u32,
        claim: &str,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;

    /// Marks a claimed delivery as handed to the mail server: after this it is never sent
    /// again, whatever happens. Answers `false` (and changes nothing) when the claim has been
    /// lost: the lease ran out and another worker took it, or the subscriber left.
    async fn hand_over_delivery(&self, id: i64, claim: &str) -> Result<bool, StoreError>;

    /// Handed-over deliveries whose worker's lease ran out before an answer was recorded (the
    /// worker died, or the server never answered): `(id, claim)`.
    async fn unconfirmed_hand_overs(&self, now: i64) -> Result<Vec<(i64, String)>, StoreError>;

    /// Settles an unconfirmed hand-over: when the message `reached_server` it stays handed over
    /// for good; otherwise it goes back to the queue. Answers `false` when the delivery has moved
    /// on since (another claim, an answer recorded).
    async fn resolve_hand_over(&self, id: i64, claim: &str, reached_server: bool, now: i64)
    -> Result<bool, StoreError>;

    /// Records how claimed or handed-over deliveries ended, in one transaction.
    async fn finish_deliveries(&self, outcomes: &[(i64, DeliveryOutcome)], now: i64) -> Result<(), StoreError>;

    /// Deliveries by state, for one period or all.
    async fn delivery_counts(&self, period: Option<&str>) -> Result<DeliveryCounts, StoreError>;

    /// The earliest time a queued delivery becomes due, if any is queued.
    async fn next_delivery_due(&self) -> Result<Option<i64>, StoreError>;

    /// The secret called `name`, shared by every process on this database; `fresh` becomes it
    /// if there is none yet.
    async fn instance_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError>;

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

    /// Up to `limit` visible papers with no embedding by `model`, newest listed first.
    async fn texts_to_embed(&self, model: &str, limit: u32) -> Result<Vec<TextToEmbed>, StoreError>;

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

    /// Takes (or renews) the lease `name` for `holder` until `now + duration`, unless another
    /// holder's lease is still running; answers whether `holder` has it now. Times are in one
    /// unit, the same for every call on `name` (the harvest lease counts seconds, the turn at
    /// arXiv's door milliseconds).
    async fn take_lease(&self, name: &str, holder: &str, now: i64, duration: i64) -> Result<bool, StoreError>;

    /// Who holds the lease `name` now, if anyone's lease is still running at `now`.
    async fn lease_holder(&self, name: &str, now: i64) -> Result<Option<String>, StoreError>;

    /// Gives up a lease `holder` has (nothing happens when it has not).
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;

    /// Cheap check that the database answers, for `/healthz`.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Writes one small row and commits it: whether the database takes writes now, which a
    /// read cannot tell (a full disk or a read-only file answers every read), for `/readyz`.
    async fn probe_write(&self, now: i64) -> Result<(), StoreError>;

    /// Closes every connection, waiting for those in use. SQLite then checkpoints its
    /// write-ahead log into the database file, which stands alone afterwards.
    async fn close(&self);
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
