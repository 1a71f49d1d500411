//! The digest delivery queue: each digest composed once, claimed by one worker, sent at most once.

use async_trait::async_trait;
use paperboy_core::{ArxivId, Frequency};
use serde::Serialize;

use crate::StoreError;
use crate::Subscription;

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
    /// Nothing left to send (the comments a mail was to tell of were hidden or deleted).
    Cancelled { reason: String },
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

#[async_trait]
pub trait DeliveryStore: Send + Sync {
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
}
