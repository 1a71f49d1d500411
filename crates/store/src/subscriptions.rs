//! Digest subscriptions: a mailbox's wish to get digests, from request to unsubscribe.

use async_trait::async_trait;
use paperboy_core::{DigestPreferences, Frequency};
use serde::Serialize;

use crate::StoreError;

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

#[async_trait]
pub trait SubscriptionStore: Send + Sync {
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
}
