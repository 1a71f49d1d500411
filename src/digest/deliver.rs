//! Sending queued mail — digests, and the mails that tell members of new comments — by the same
//! steps: claim what is due, render, hand over to SMTP over a few pooled connections at once,
//! and record the outcome. Transient failures come back later with exponential backoff;
//! permanent ones count towards marking a digest's address bounced.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use paperboy_core::DigestPeriod;
use paperboy_core::EmailAddress;
use paperboy_store::{ClaimedCommentMail, ClaimedDelivery, DeliveryOutcome};
use serde::Serialize;
use tokio::task::JoinSet;

use super::Digests;
use super::compose::PeriodPapers;
use crate::mail::{HandOver, SmtpError};

/// Deliveries one worker claims at a time (and records the outcomes of in one transaction).
const CLAIM_BATCH: u32 = 16;

/// Longest wait between two attempts, however many there were.
const MAX_BACKOFF_SECONDS: i64 = 6 * 3600;

/// What one pass over the queue did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
    /// Sent, but the server never confirmed it; recorded as handed over and not resent.
    pub unconfirmed: u64,
}

impl DeliveryReport {
    pub fn add(&mut self, other: &DeliveryReport) {
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.failed += other.failed;
        self.unconfirmed += other.unconfirmed;
    }
}

fn now() -> i64 {
    crate::clock::now_seconds()
}

/// The wait before attempt `attempts + 1`: the configured first wait, doubled per attempt.
pub fn backoff_seconds(first_wait: u32, attempts: u32) -> i64 {
    let doubling = 2_i64.saturating_pow(attempts.saturating_sub(1));
    i64::from(first_wait).saturating_mul(doubling).min(MAX_BACKOFF_SECONDS)
}

impl Digests {
    /// Sends every digest and comment mail that is due now, then returns. Mails waiting for a
    /// retry stay queued for a later pass.
    pub async fn deliver_due(self: &Arc<Self>) -> anyhow::Result<DeliveryReport> {
        for queue in [Queue::Digests, Queue::CommentMails] {
            self.settle_unconfirmed_hand_overs(queue).await?;
        }
        // Each connection's worker claims and sends its own small batches, so a slow message
        // holds up only its own connection, not a whole round.
        let mut workers = JoinSet::new();
        for _ in 0..self.settings.connections.max(1) {
            let digests = Arc::clone(self);
            workers.spawn(async move {
                let mut report = digests.work_through_queue(Queue::Digests).await?;
                report.add(&digests.work_through_queue(Queue::CommentMails).await?);
                anyhow::Ok(report)
            });
        }
        let mut report = DeliveryReport::default();
        while let Some(done) = workers.join_next().await {
            report.add(&done.context("a delivery worker panicked")??);
        }
        Ok(report)
    }

    async fn work_through_queue(&self, queue: Queue) -> anyhow::Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        loop {
            let claimed = self.claim_from(queue).await?;
            if claimed.is_empty() {
                return Ok(report);
            }
            // Outcomes are recorded per batch: the hand-over already made each message safe
            // from being sent twice, so this is bookkeeping, not a commit point.
            let mut outcomes = Vec::with_capacity(claimed.len());
            for mail in claimed {
                let id = mail.id();
                if let Some(outcome) = self.deliver_one(mail, &mut report).await {
                    outcomes.push((id, outcome));
                }
            }
            match queue {
                Queue::Digests => self.store.finish_deliveries(&outcomes, now()).await,
                Queue::CommentMails => self.store.finish_comment_mails(&outcomes, now()).await,
            }
            .with_context(|| format!("while recording {}", queue.name()))?;
        }
    }

    async fn claim_from(&self, queue: Queue) -> anyhow::Result<Vec<Claimed>> {
        let claim = self.claims.claim();
        let lease = i64::from(self.settings.lease_seconds);
        let claimed = match queue {
            Queue::Digests => self
                .store
                .claim_deliveries(now(), lease, CLAIM_BATCH, &claim)
                .await
                .map(|all| all.into_iter().map(Claimed::Digest).collect()),
            Queue::CommentMails => self
                .store
                .claim_comment_mails(now(), lease, CLAIM_BATCH, &claim)
                .await
                .map(|all| all.into_iter().map(Claimed::CommentMail).collect()),
        };
        claimed.with_context(|| format!("while claiming {} to send", queue.name()))
    }

    /// After a crash: handed-over mails whose worker is gone are settled by its journal.
    /// Not in it: the `.` was never written, so the server dropped the message and it is queued
    /// again. In it: never sent again. Claims this process cannot settle (their worker still
    /// runs, or ran on another machine) are left to whoever can ([`super::claim::ClaimMaker`]).
    async fn settle_unconfirmed_hand_overs(self: &Arc<Self>, queue: Queue) -> anyhow::Result<()> {
        let stale = match queue {
            Queue::Digests => self.store.unconfirmed_hand_overs(now()).await?,
            Queue::CommentMails => self.store.unconfirmed_comment_mails(now()).await?,
        };
        let mut by_journal: HashMap<PathBuf, Vec<(i64, String)>> = HashMap::new();
        for (id, claim) in stale {
            if let Some(journal) = self.claims.journal_to_settle(&claim) {
                by_journal.entry(journal).or_default().push((id, claim));
            }
        }
        for (directory, hand_overs) in by_journal {
            // Up to a few days of lines: read off the async threads.
            let journal = tokio::task::spawn_blocking(move || super::journal::entries_in(&directory))
                .await
                .context("the journal reader panicked")??;
            for (id, claim) in hand_overs {
                // Claims are random, so an (id, claim) pair names one mail of one queue.
                let reached_server = journal.contains(&(id, claim.clone()));
                let settled = match queue {
                    Queue::Digests => self.store.resolve_hand_over(id, &claim, reached_server, now()).await?,
                    Queue::CommentMails => {
                        self.store
                            .resolve_comment_mail(id, &claim, reached_server, now())
                            .await?
                    }
                };
                if settled {
                    tracing::info!(
                        queue = queue.name(),
                        id,
                        reached_server,
                        "settled a hand-over interrupted by a crash"
                    );
                }
            }
        }
        Ok(())
    }

    async fn period_papers(&self, key: &str) -> anyhow::Result<Arc<PeriodPapers>> {
        let mut cache = self.period_papers.lock().await;
        if let Some(papers) = cache.get(key) {
            return Ok(Arc::clone(papers));
        }
        let period = DigestPeriod::parse_key(key).with_context(|| format!("unknown digest period {key:?}"))?;
        let papers = Arc::new(PeriodPapers::load(self, &period).await?);
        // Only the periods in flight matter; an old one is dropped when a new one comes.
        if cache.len() > 8 {
            cache.clear();
        }
        cache.insert(key.to_owned(), Arc::clone(&papers));
        Ok(papers)
    }

    /// Sends one mail; answers what to record (nothing when it is no longer ours to record).
    async fn deliver_one(&self, delivery: Claimed, report: &mut DeliveryReport) -> Option<DeliveryOutcome> {
        let attempt = self.attempt(&delivery).await;
        let outcome = match attempt {
            Err(Attempt::NothingToSend(reason)) => {
                tracing::info!(delivery = delivery.id(), reason, "mail cancelled: nothing left to send");
                DeliveryOutcome::Cancelled { reason }
            }
            Err(Attempt::Smtp(error)) => return self.smtp_outcome(&delivery, error, report),
            Ok(()) => {
                report.sent += 1;
                DeliveryOutcome::Sent
            }
        };
        Some(outcome)
    }

    fn smtp_outcome(
        &self,
        delivery: &Claimed,
        error: SmtpError,
        report: &mut DeliveryReport,
    ) -> Option<DeliveryOutcome> {
        let outcome = match error {
            SmtpError::Withdrawn => {
                tracing::info!(
                    delivery = delivery.id(),
                    "mail withdrawn before sending (unsubscribed or taken over)"
                );
                return None;
            }
            SmtpError::Unknown(error) => {
                report.unconfirmed += 1;
                tracing::warn!(
                    delivery = delivery.id(),
                    error,
                    "mail sent without confirmation; not resending"
                );
                return None;
            }
            SmtpError::Permanent(error) => {
                report.failed += 1;
                tracing::warn!(delivery = delivery.id(), error, "mail refused for good");
                DeliveryOutcome::Failed {
                    error,
                    permanent: true,
                    bounce_limit: self.settings.bounce_limit,
                }
            }
            SmtpError::Transient(error) if delivery.attempts() >= self.settings.max_attempts => {
                report.failed += 1;
                tracing::warn!(
                    delivery = delivery.id(),
                    error,
                    attempts = delivery.attempts(),
                    "mail given up"
                );
                DeliveryOutcome::Failed {
                    error,
                    permanent: false,
                    bounce_limit: self.settings.bounce_limit,
                }
            }
            SmtpError::Transient(error) => {
                report.retrying += 1;
                let wait = backoff_seconds(self.settings.retry_seconds, delivery.attempts());
                tracing::info!(delivery = delivery.id(), error, wait, "mail will be retried");
                DeliveryOutcome::Retry {
                    error,
                    next_attempt_at: now() + wait,
                }
            }
        };
        Some(outcome)
    }

    async fn attempt(&self, delivery: &Claimed) -> Result<(), Attempt> {
        // A mail that cannot be rendered now (the database is busy, say) is tried again later.
        let (to, message) = match self.render(delivery).await {
            Ok(Some(rendered)) => rendered,
            Ok(None) => return Err(Attempt::NothingToSend("its comments were hidden or deleted".to_owned())),
            Err(error) => {
                return Err(Attempt::Smtp(SmtpError::Transient(format!(
                    "while composing the message: {error:#}"
                ))));
            }
        };
        let mut hand_over = DeliveryHandOver {
            digests: self,
            delivery,
        };
        self.mailer
            .deliver(&to, &message, &mut hand_over)
            .await
            .map_err(Attempt::Smtp)
    }

    /// The message to send, or `None` when there is nothing left to tell.
    async fn render(&self, delivery: &Claimed) -> anyhow::Result<Option<(EmailAddress, Vec<u8>)>> {
        let email = match delivery {
            Claimed::Digest(delivery) => {
                let period = DigestPeriod::parse_key(&delivery.period)
                    .with_context(|| format!("period {:?}", delivery.period))?;
                let papers = self.period_papers(&delivery.period).await?;
                let selected = papers.select(&delivery.papers);
                self.digest_email(&delivery.subscription, &period, &selected)?
            }
            Claimed::CommentMail(mail) => match self.comment_email(mail).await? {
                Some(email) => email,
                None => return Ok(None),
            },
        };
        let to = email.to.clone();
        Ok(Some((to, self.mailer.build(email)?)))
    }
}

/// The two queues of mail.
#[derive(Clone, Copy, Debug)]
enum Queue {
    Digests,
    CommentMails,
}

impl Queue {
    fn name(self) -> &'static str {
        match self {
            Queue::Digests => "digests",
            Queue::CommentMails => "comment mails",
        }
    }
}

/// A mail one worker has claimed, from either queue.
enum Claimed {
    Digest(ClaimedDelivery),
    CommentMail(ClaimedCommentMail),
}

impl Claimed {
    fn id(&self) -> i64 {
        match self {
            Claimed::Digest(delivery) => delivery.id,
            Claimed::CommentMail(mail) => mail.id,
        }
    }

    fn claim(&self) -> &str {
        match self {
            Claimed::Digest(delivery) => &delivery.claim,
            Claimed::CommentMail(mail) => &mail.claim,
        }
    }

    fn attempts(&self) -> u32 {
        match self {
            Claimed::Digest(delivery) => delivery.attempts,
            Claimed::CommentMail(mail) => mail.attempts,
        }
    }
}

/// Why a mail did not go.
enum Attempt {
    NothingToSend(String),
    Smtp(SmtpError),
}

/// The two records of a mail's hand-over: the database (is it still ours?), then the journal
/// immediately before the `.`.
struct DeliveryHandOver<'a> {
    digests: &'a Digests,
    delivery: &'a Claimed,
}

impl HandOver for DeliveryHandOver<'_> {
    async fn claim(&mut self) -> anyhow::Result<bool> {
        let store = &self.digests.store;
        Ok(match self.delivery {
            Claimed::Digest(delivery) => store.hand_over_delivery(delivery.id, &delivery.claim).await?,
            Claimed::CommentMail(mail) => store.hand_over_comment_mail(mail.id, &mail.claim).await?,
        })
    }

    fn about_to_end(&mut self) -> anyhow::Result<()> {
        self.digests.journal.record(self.delivery.id(), self.delivery.claim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::test_support::{instance_with_a_week_of_papers, sent};

    /// A delivery this machine claimed and recorded as handed over in the database, by a
    /// worker that then died (its lease long over); optionally journaled before it died.
    async fn interrupted_hand_over(digests: &Digests, journaled: bool) {
        let period = DigestPeriod::containing(paperboy_core::Frequency::Daily, jiff::civil::date(2026, 2, 13));
        digests.compose(&period, 0).await.expect("compose");
        let claim = digests.claims.claim_with("dead-worker");
        let claimed = digests.store.claim_deliveries(0, 60, 10, &claim).await.expect("claim");
        assert_eq!(claimed.len(), 1);
        assert!(
            digests
                .store
                .hand_over_delivery(claimed[0].id, &claim)
                .await
                .expect("hand over")
        );
        if journaled {
            digests.journal.record(claimed[0].id, &claim).expect("journal");
        }
    }

    #[tokio::test]
    async fn a_hand_over_cut_short_before_the_journal_is_sent_again() {
        let mail = tempfile::tempdir().expect("temp dir");
        let digests = instance_with_a_week_of_papers(mail.path()).await;
        interrupted_hand_over(&digests, false).await;
        let report = digests.deliver_due().await.expect("deliver");
        assert_eq!(report.sent, 1, "the `.` was never written, so it goes again");
        assert_eq!(sent(mail.path()).len(), 1);
        digests.deliver_due().await.expect("deliver");
        assert_eq!(sent(mail.path()).len(), 1, "once");
    }

    #[tokio::test]
    async fn a_journaled_hand_over_is_never_sent_again() {
        let mail = tempfile::tempdir().expect("temp dir");
        let digests = instance_with_a_week_of_papers(mail.path()).await;
        interrupted_hand_over(&digests, true).await;
        let report = digests.deliver_due().await.expect("deliver");
        assert_eq!(report.sent, 0);
        assert!(sent(mail.path()).is_empty());
        assert!(
            digests
                .store
                .unconfirmed_hand_overs(i64::MAX)
                .await
                .expect("list")
                .is_empty(),
            "settled"
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_seconds(60, 1), 60);
        assert_eq!(backoff_seconds(60, 2), 120);
        assert_eq!(backoff_seconds(60, 5), 960);
        assert_eq!(backoff_seconds(60, 40), MAX_BACKOFF_SECONDS);
    }
}
