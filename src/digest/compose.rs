//! Composing a period's digests: rank the period's papers once, then give each active
//! subscriber of that frequency the top papers that match their topics and that they have not
//! been sent before, and queue them. Composing a period twice queues nothing new.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use paperboy_core::{ArxivId, DigestPeriod, Paper, Sort};
use paperboy_store::NewDelivery;
use serde::Serialize;

use super::Digests;
use crate::lists::{self, ListRequest, Scope, ScoredAt};

/// Subscriptions composed per transaction.
const BATCH: u32 = 500;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ComposeReport {
    pub period: String,
    /// Papers listed in the period.
    pub papers: usize,
    pub subscribers: u64,
    /// Digests queued by this run (not counting ones queued before).
    pub queued: u64,
    /// Subscribers for whom the period held nothing new.
    pub nothing_new: u64,
}

/// A paper as a digest shows it: the paper and its votes (imported and cast here).
#[derive(Clone, Debug)]
pub struct RankedPaper {
    pub paper: Paper,
    pub votes: i64,
}

/// A period's papers, best first by trending score at the end of the period.
#[derive(Debug, Default)]
pub struct PeriodPapers {
    pub ranked: Vec<RankedPaper>,
    position: HashMap<ArxivId, usize>,
}

impl PeriodPapers {
    pub async fn load(digests: &Digests, period: &DigestPeriod) -> anyhow::Result<PeriodPapers> {
        let whole_period = ListRequest {
            scope: Scope::Period(period.period),
            sort: Sort::Trending,
            category: None,
            page: 1,
            page_size: u32::MAX,
            by_hugging_face_day: false,
            scored_at: ScoredAt::PeriodEnd,
        };
        let list = lists::load(&*digests.store, None, &digests.settings.trending, whole_period)
            .await
            .context("while listing the period's papers")?;
        let ranked: Vec<RankedPaper> = list
            .entries
            .into_iter()
            .map(|entry| RankedPaper {
                votes: entry.score.votes(),
                paper: entry.paper,
            })
            .collect();
        let position = ranked
            .iter()
            .enumerate()
            .map(|(index, ranked)| (ranked.paper.id.clone(), index))
            .collect();
        Ok(PeriodPapers { ranked, position })
    }

    /// The papers one subscriber gets: matching, not sent before, at most `max_papers`, in
    /// the trending order or, for a member's personal digest, in `order` (their For you list).
    pub fn pick(
        &self,
        preferences: &paperboy_core::DigestPreferences,
        already_sent: Option<&HashSet<ArxivId>>,
        order: Option<&[ArxivId]>,
    ) -> Vec<&RankedPaper> {
        let ranked: Box<dyn Iterator<Item = &RankedPaper>> = match order {
            Some(order) => Box::new(self.select(order).into_iter()),
            None => Box::new(self.ranked.iter()),
        };
        ranked
            .filter(|ranked| already_sent.is_none_or(|sent| !sent.contains(&ranked.paper.id)))
            .filter(|ranked| preferences.matches(&ranked.paper))
            .take(preferences.max_papers as usize)
            .collect()
    }

    /// The papers with these ids, in the order given.
    pub fn select(&self, ids: &[ArxivId]) -> Vec<&RankedPaper> {
        ids.iter()
            .filter_map(|id| self.position.get(id).map(|&index| &self.ranked[index]))
            .collect()
    }
}

impl Digests {
    /// The subscriber's For you list of the period, when the address is a member's who has
    /// something to go on; else their digest follows the trending list.
    pub async fn personal_order(&self, email: &str, period: &DigestPeriod) -> anyhow::Result<Option<Vec<ArxivId>>> {
        let Some(member) = self.store.user_by_email(email).await? else {
            return Ok(None);
        };
        self.for_you
            .order(member.id, period.period)
            .await
            .context("while ranking a member's For you digest")
    }

    /// Queues the digests of `period` for every active subscriber of its frequency.
    pub async fn compose(&self, period: &DigestPeriod, now: i64) -> anyhow::Result<ComposeReport> {
        let key = period.key();
        let papers = PeriodPapers::load(self, period).await?;
        let mut report = ComposeReport {
            period: key.clone(),
            papers: papers.ranked.len(),
            ..ComposeReport::default()
        };
        if !papers.ranked.is_empty() {
            let ids: Vec<ArxivId> = papers.ranked.iter().map(|ranked| ranked.paper.id.clone()).collect();
            let mut after = 0;
            loop {
                let subscriptions = self
                    .store
                    .active_subscriptions(period.frequency, after, BATCH)
                    .await
                    .context("while reading subscriptions")?;
                let Some(last) = subscriptions.last() else { break };
                after = last.id;
                let subscription_ids: Vec<i64> = subscriptions.iter().map(|s| s.id).collect();
                let mut sent: HashMap<i64, HashSet<ArxivId>> = HashMap::new();
                for (subscription, paper) in self.store.papers_already_sent(&subscription_ids, &ids).await? {
                    sent.entry(subscription).or_default().insert(paper);
                }
                let mut deliveries = Vec::new();
                for subscription in &subscriptions {
                    report.subscribers += 1;
                    let order = match subscription.preferences.for_you {
                        true => self.personal_order(&subscription.email, period).await?,
                        false => None,
                    };
                    let picked = papers.pick(&subscription.preferences, sent.get(&subscription.id), order.as_deref());
                    if picked.is_empty() {
                        report.nothing_new += 1;
                        continue;
                    }
                    deliveries.push(NewDelivery {
                        subscription_id: subscription.id,
                        papers: picked.into_iter().map(|ranked| ranked.paper.id.clone()).collect(),
                    });
                }
                report.queued += self
                    .store
                    .enqueue_deliveries(&key, &deliveries, now)
                    .await
                    .context("while queueing digests")?;
            }
        }
        // Recorded last: a crash before this leaves the period to be composed again, which
        // completes the queue without doubling anything.
        self.store
            .record_digest_run(&key, period.frequency, report.queued, now)
            .await?;
        tracing::info!(
            period = %key,
            papers = report.papers,
            subscribers = report.subscribers,
            queued = report.queued,
            nothing_new = report.nothing_new,
            "digests composed"
        );
        Ok(report)
    }
}
