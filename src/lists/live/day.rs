//! One day held in memory, its papers kept in every order a list is sorted by, and the walk
//! that merges days into a list's page.
//!
//! Papers of one day are dated alike, so within a day the trending score orders them as their
//! weight (votes and stars) does, whatever the time: each day's orders stay true until a paper
//! changes, and a vote moves one paper within them. A list over several days merges its days'
//! orders, scoring only the papers it walks past, so a page costs its depth, not the period.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use paperboy_core::{Date, RankCandidate, RankRecord, Sort, Timestamp, TrendingParameters, TrendingScore, compare};

use super::Range;

/// The orders a day keeps; "most discussed" weighs comments, which are not held, so it is not
/// one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Newest,
    Top,
    Trending,
}

const ORDERS: [Order; 3] = [Order::Newest, Order::Top, Order::Trending];

impl Order {
    fn of(sort: Sort) -> Option<Order> {
        match sort {
            Sort::New => Some(Order::Newest),
            Sort::Top => Some(Order::Top),
            Sort::Trending => Some(Order::Trending),
            Sort::Discussed => None,
        }
    }

    /// Whether `a` comes before `b` among papers of the same day: [`compare`]'s order for papers
    /// of one age (ties to the newer paper).
    fn compare(self, trending: &TrendingParameters, a: &RankRecord, b: &RankRecord) -> Ordering {
        let newer_first = b.id.cmp(&a.id);
        match self {
            Order::Newest => newer_first,
            Order::Top => {
                let votes = |record: &RankRecord| record.attention.imported_votes + record.attention.local_votes;
                votes(b).cmp(&votes(a)).then(newer_first)
            }
            Order::Trending => trending
                .weight(b.attention)
                .total_cmp(&trending.weight(a.attention))
                .then(newer_first),
        }
    }
}

/// The papers filed under one day, in each of [`ORDERS`].
pub(super) struct Day {
    orders: [Vec<Arc<RankRecord>>; 3],
    pub(super) last_used: AtomicU64,
}

impl Day {
    pub(super) fn new(now: u64) -> Day {
        Day {
            orders: Default::default(),
            last_used: AtomicU64::new(now),
        }
    }

    /// Every paper filed under the day, newest first.
    pub(super) fn papers(&self) -> &[Arc<RankRecord>] {
        &self.orders[0]
    }

    /// Files `record` in its place in every order.
    pub(super) fn insert(&mut self, trending: &TrendingParameters, record: &Arc<RankRecord>) {
        for (order, list) in ORDERS.iter().zip(&mut self.orders) {
            let at = list.partition_point(|other| order.compare(trending, other, record) == Ordering::Less);
            list.insert(at, Arc::clone(record));
        }
    }

    /// Files `record` last, for [`sort`](Self::sort) to place (many papers at once).
    pub(super) fn push(&mut self, record: &Arc<RankRecord>) {
        for list in &mut self.orders {
            list.push(Arc::clone(record));
        }
    }

    pub(super) fn sort(&mut self, trending: &TrendingParameters) {
        for (order, list) in ORDERS.iter().zip(&mut self.orders) {
            list.sort_by(|a, b| order.compare(trending, a, b));
        }
    }

    pub(super) fn remove(&mut self, id: &paperboy_core::ArxivId) {
        for list in &mut self.orders {
            if let Some(at) = list.iter().position(|paper| paper.id == *id) {
                list.remove(at);
            }
        }
    }
}

/// A page of a list walked from held days: its papers, scored, in the list's order.
pub(super) fn walk(
    days: &[(Date, &Day)],
    range: Range<'_>,
    sort: Sort,
    trending: &TrendingParameters,
    reference: Timestamp,
    skip: usize,
    take: usize,
) -> Option<Vec<(RankCandidate, TrendingScore)>> {
    let order = Order::of(sort)?;
    let position = ORDERS.iter().position(|kept| *kept == order)?;
    let mut cursors: Vec<Cursor<'_>> = days
        .iter()
        .map(|(day, held)| Cursor {
            day: *day,
            papers: &held.orders[position],
            at: 0,
        })
        .collect();
    let mut heads = BinaryHeap::with_capacity(cursors.len());
    for (index, cursor) in cursors.iter_mut().enumerate() {
        if let Some(candidate) = cursor.next(range) {
            heads.push(Head::new(candidate, index, sort, trending, reference));
        }
    }
    let mut page = Vec::with_capacity(take.min(1_000));
    let mut walked = 0;
    while page.len() < take {
        let Some(head) = heads.pop() else { break };
        if let Some(next) = cursors[head.cursor].next(range) {
            heads.push(Head::new(next, head.cursor, sort, trending, reference));
        }
        walked += 1;
        if walked > skip {
            page.push((head.candidate, head.score));
        }
    }
    Some(page)
}

/// How many papers a list over `days` shows.
pub(super) fn count(days: &[(Date, &Day)], range: Range<'_>) -> usize {
    days.iter()
        .map(|(day, held)| {
            held.papers()
                .iter()
                .filter(|record| dated_on(record, *day, range))
                .count()
        })
        .sum()
}

/// Whether the list of `range` shows `record` and dates it `day` (each paper is shown once, on
/// the day it is dated by, though it is filed under each of its days).
fn dated_on(record: &RankRecord, day: Date, range: Range<'_>) -> bool {
    range.category.is_none_or(|category| record.in_category(category))
        && record.listed_in(range.first, range.last, range.basis) == Some(day)
}

/// Where a walk stands in one day's order.
struct Cursor<'a> {
    day: Date,
    papers: &'a [Arc<RankRecord>],
    at: usize,
}

impl Cursor<'_> {
    /// The next paper of this day the list shows.
    fn next(&mut self, range: Range<'_>) -> Option<RankCandidate> {
        while let Some(record) = self.papers.get(self.at) {
            self.at += 1;
            if dated_on(record, self.day, range) {
                return record.candidate(range.first, range.last, range.basis);
            }
        }
        None
    }
}

/// The best paper a day has left, scored.
struct Head {
    candidate: RankCandidate,
    score: TrendingScore,
    cursor: usize,
    sort: Sort,
}

impl Head {
    fn new(
        candidate: RankCandidate,
        cursor: usize,
        sort: Sort,
        trending: &TrendingParameters,
        reference: Timestamp,
    ) -> Head {
        let score = trending.score(candidate.attention(), candidate.listed, reference);
        Head {
            candidate,
            score,
            cursor,
            sort,
        }
    }
}

// The heap pops its greatest: the head the list shows first.
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(
            self.sort,
            (&other.candidate, &other.score),
            (&self.candidate, &self.score),
        )
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}
