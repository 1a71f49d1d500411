//! E-mail about discussions: what each member wants to hear of, and the queue of mails that
//! tell them. A mail gathers one paper's new comments for one member (queued when a comment is
//! posted, in the comment's own transaction) and goes out through the same claim, hand-over
//! and settle steps as a digest ([`crate::DeliveryStore`]).

use async_trait::async_trait;
use paperboy_core::ArxivId;
use serde::Serialize;

use crate::{DeliveryCounts, DeliveryOutcome, StoreError, User};

/// The least time between two mails to one member about one paper.
pub const MAIL_SPACING_SECONDS: i64 = 3600;

/// What a member is told of by e-mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NotificationSettings {
    /// Replies to their comments.
    pub replies: bool,
    /// New comments on papers they saved or submitted.
    pub papers: bool,
}

impl Default for NotificationSettings {
    fn default() -> NotificationSettings {
        NotificationSettings {
            replies: true,
            papers: true,
        }
    }
}

/// Why a member hears of a comment (the first that applies, in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NotifyReason {
    Reply,
    Saved,
    Submitted,
}

impl NotifyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyReason::Reply => "reply",
            NotifyReason::Saved => "saved",
            NotifyReason::Submitted => "submitted",
        }
    }

    pub fn parse(text: &str) -> NotifyReason {
        match text {
            "reply" => NotifyReason::Reply,
            "submitted" => NotifyReason::Submitted,
            _ => NotifyReason::Saved,
        }
    }
}

/// A mail a worker has claimed: it alone may hand it over until its lease runs out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedCommentMail {
    pub id: i64,
    pub claim: String,
    pub member: User,
    pub paper: ArxivId,
    /// The comments to tell of, oldest first, each with why.
    pub comments: Vec<(i64, NotifyReason)>,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    async fn notification_settings(&self, user_id: i64) -> Result<NotificationSettings, StoreError>;

    async fn set_notification_settings(&self, user_id: i64, settings: NotificationSettings) -> Result<(), StoreError>;

    /// Claims up to `limit` mails that are due, as [`crate::DeliveryStore::claim_deliveries`].
    async fn claim_comment_mails(
        &self,
        now: i64,
        lease_seconds: i64,
        limit: u32,
        claim: &str,
    ) -> Result<Vec<ClaimedCommentMail>, StoreError>;

    /// Marks a claimed mail as handed to the mail server (never sent again); `false` when the
    /// claim has been lost.
    async fn hand_over_comment_mail(&self, id: i64, claim: &str) -> Result<bool, StoreError>;

    /// Handed-over mails whose worker's lease ran out before an answer was recorded.
    async fn unconfirmed_comment_mails(&self, now: i64) -> Result<Vec<(i64, String)>, StoreError>;

    /// Settles an unconfirmed hand-over, as [`crate::DeliveryStore::resolve_hand_over`].
    async fn resolve_comment_mail(
        &self,
        id: i64,
        claim: &str,
        reached_server: bool,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Records how claimed or handed-over mails ended, in one transaction.
    async fn finish_comment_mails(&self, outcomes: &[(i64, DeliveryOutcome)], now: i64) -> Result<(), StoreError>;

    /// Mails by state.
    async fn comment_mail_counts(&self) -> Result<DeliveryCounts, StoreError>;
}
