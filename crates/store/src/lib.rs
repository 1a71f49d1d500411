//! Paperboy's store: the traits the rest of the program talks to, one per area, and their
//! database implementations. This crate is the only place with SQL; nothing here knows HTTP.
//!
//! Each area has a module with its trait and its types: [`papers`], [`accounts`],
//! [`community`], [`subscriptions`], [`deliveries`], [`search_feed`], [`harvest`] and
//! [`instance`], [`library`], [`follows`], [`comments`] and [`notifications`]. [`Store`] is their
//! sum: what a backend implements and what the program holds (`Arc<dyn Store>`); a caller imports the area traits whose methods it calls.
//!
//! The implementation is written once, in `src/shared/` (one file per area), in SQL that
//! SQLite and PostgreSQL both read (numbered `$1` placeholders, `->>`, `TRUE`/`FALSE`,
//! `ON CONFLICT`); each backend's module includes it after defining its `dialect` — its pool
//! and row types, how a write transaction takes the write lock, and the few fragments the two
//! write differently.
//!
//! Every implementation must pass the shared conformance suite in [`conformance`] (one module
//! per area), run against each backend from `tests/`.

pub mod accounts;
pub mod comments;
pub mod community;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod copy;
pub mod deliveries;
mod error;
pub mod follows;
pub mod harvest;
pub mod instance;
pub mod library;
pub mod notifications;
mod paper_row;
pub mod papers;
mod postgres;
pub mod rankings;
pub mod search_feed;
mod sqlite;
pub mod subscriptions;

pub use accounts::{AccountStore, ApiToken, NewSession, Role, Session, User};
pub use comments::{
    Comment, CommentAuthor, CommentReport, CommentStore, EditOutcome, ModerationEntry, NewComment, PostOutcome,
};
pub use community::{Activity, CommunityStore, NewSubmission, SubmitOutcome};
pub use deliveries::{ClaimedDelivery, DeliveryCounts, DeliveryOutcome, DeliveryStore, NewDelivery};
pub use error::StoreError;
pub(crate) use error::{database_problem, reusable_after_release};
pub use follows::{Follow, FollowKind, FollowStore};
pub use harvest::{HarvestCheckpoint, HarvestRun, HarvestStore, RepoReading, RepoToCheck, StarCount};
pub use instance::InstanceStore;
pub use library::{Collection, CollectionChange, Filing, LibraryStore, Shelf};
pub use notifications::{
    ClaimedCommentMail, MAIL_SPACING_SECONDS, NotificationSettings, NotificationStore, NotifyReason,
};
pub use papers::{ContentVersion, MergeSummary, PaperStore, PaperTotals, StoreStats, fold_duplicates};
pub use postgres::PgStore;
pub use rankings::RankingStore;
pub use search_feed::{SearchChange, SearchFeedStore, SearchLogBounds, StoredEmbedding, TextToEmbed};
pub use sqlite::{SqliteStore, SqliteWorkload};
pub use subscriptions::{SubscribeRequest, Subscription, SubscriptionStatus, SubscriptionStore};

/// Everything a backend keeps: the sum of the areas. Implemented for every type that
/// implements them all.
pub trait Store:
    PaperStore
    + AccountStore
    + CommunityStore
    + SubscriptionStore
    + DeliveryStore
    + SearchFeedStore
    + HarvestStore
    + InstanceStore
    + LibraryStore
    + FollowStore
    + CommentStore
    + NotificationStore
    + RankingStore
{
}

impl<T> Store for T where
    T: PaperStore
        + AccountStore
        + CommunityStore
        + SubscriptionStore
        + DeliveryStore
        + SearchFeedStore
        + HarvestStore
        + InstanceStore
        + LibraryStore
        + FollowStore
        + CommentStore
        + NotificationStore
        + RankingStore
{
}

/// Every area trait, for code that uses the store across areas (tests, the copy between
/// backends): `use paperboy_store::prelude::*;`.
pub mod prelude {
    pub use crate::{
        AccountStore, CommentStore, CommunityStore, DeliveryStore, FollowStore, HarvestStore, InstanceStore,
        LibraryStore, NotificationStore, PaperStore, RankingStore, SearchFeedStore, Store, SubscriptionStore,
    };
}
