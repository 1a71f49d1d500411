//! Rankings kept in memory: every paper of the days lists were asked for, with what placing it
//! needs, so that a list is a walk over memory instead of a query over a period's papers.
//!
//! The days are read from the database when a list first needs them and kept, up to
//! [`DAYS_KEPT`], least recently used first out. They are kept true by the change log the search
//! index follows: every write that moves a paper on a list names the paper there (in the
//! write's own transaction), and [`LiveRankings::catch_up`] reads those papers again. Star
//! growth, which no log entry names, moves an epoch instead, and everything is read again.
//! Each replica keeps its own, from the shared database.

mod day;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use paperboy_core::{
    ArxivId, Category, Date, DayBasis, RankCandidate, RankRecord, Sort, Timestamp, TrendingParameters, TrendingScore,
    rank,
};
use paperboy_store::{Store, StoreError};

use day::Day;

/// Days kept in memory: about 900 papers a day at full arXiv scale; six months of lists at
/// 2.8 M papers took the server from 34 to 166 MB (docs/performance.md). A list longer than
/// half of it is read from the database.
pub const DAYS_KEPT: usize = 200;

/// Change-log entries read at a time.
const LOG_BATCH: u32 = 2_000;

/// Past this many new log entries a catch-up forgets what it holds instead of reading every
/// changed paper: a month is 19,000 papers at full scale, read in about a second, and votes
/// wait for catch-ups.
const READ_AGAIN_PAST: i64 = 20_000;

pub struct LiveRankings {
    store: Arc<dyn Store>,
    state: RwLock<State>,
    /// Held by whoever changes what the state holds (a catch-up, a load of new days), so that
    /// a load never lands between a catch-up's read and its write.
    writing: tokio::sync::Mutex<()>,
    /// Catch-ups asked for, and how many of those a finished catch-up covered: callers that
    /// queue behind a running catch-up are covered by the next one, not each by its own.
    asked: AtomicU64,
    covered: AtomicU64,
    days_kept: usize,
    /// How many papers each list asked for shows, as of a [`State::membership`]: votes do not
    /// change it, so most pages count nothing.
    counts: Mutex<HashMap<CountKey, (u64, usize)>>,
}

type CountKey = (Date, Date, Option<Category>, DayBasis);

/// Lists counted before the counts are forgotten.
const COUNTS_KEPT: usize = 10_000;

/// A page of a ranked list and how many papers the whole list shows.
pub struct Page {
    pub total: usize,
    pub entries: Vec<(RankCandidate, TrendingScore)>,
    /// Each entry's revision, when the page was walked from memory (else empty): it moves
    /// whenever the paper changes.
    pub revisions: Vec<u64>,
}

/// A paper's record and its revision: a number no other read of any record had, so that what
/// was made from a paper (a rendered card) can tell whether the paper changed since.
struct Held {
    record: Arc<RankRecord>,
    revision: u64,
}

#[derive(Default)]
struct State {
    trending: TrendingParameters,
    /// The change log has been applied up to this entry.
    position: i64,
    epoch: i64,
    days: HashMap<Date, Day>,
    /// The record of every paper filed under a day held (shared with those days).
    records: HashMap<ArxivId, Held>,
    /// The revision the next record read gets.
    next_revision: u64,
    /// Ticks at every use of a day, for least-recently-used eviction.
    clock: AtomicU64,
    /// Moves whenever a paper joins or leaves a day, or a day is held or let go: what a list
    /// shows may then have changed (a vote alone only reorders).
    membership: u64,
}

/// What a list asks the rankings for.
#[derive(Clone, Copy, Debug)]
pub struct Range<'a> {
    pub first: Date,
    pub last: Date,
    pub category: Option<&'a Category>,
    pub basis: DayBasis,
}

impl LiveRankings {
    /// Empty rankings that follow the change log from where it stands now, ordering by
    /// `trending`'s score.
    pub async fn open(store: Arc<dyn Store>, trending: TrendingParameters) -> Result<LiveRankings, StoreError> {
        Self::open_keeping(store, trending, DAYS_KEPT).await
    }

    /// As [`open`](Self::open), holding at most `days_kept` days.
    pub async fn open_keeping(
        store: Arc<dyn Store>,
        trending: TrendingParameters,
        days_kept: usize,
    ) -> Result<LiveRankings, StoreError> {
        let state = State {
            trending,
            position: store.search_log_bounds().await?.newest,
            epoch: store.ranking_epoch().await?,
            ..State::default()
        };
        Ok(LiveRankings {
            store,
            state: RwLock::new(state),
            writing: tokio::sync::Mutex::new(()),
            asked: AtomicU64::new(0),
            covered: AtomicU64::new(0),
            days_kept: days_kept.max(2),
            counts: Mutex::default(),
        })
    }

    /// `take` papers of the list after its first `skip`, in `sort`'s order, scored at
    /// `reference`, walked from the days held; `None` for "most discussed", which weighs
    /// comments the days do not hold.
    pub async fn page(
        &self,
        range: Range<'_>,
        sort: Sort,
        reference: Timestamp,
        skip: usize,
        take: usize,
    ) -> Result<Option<Page>, StoreError> {
        if sort == Sort::Discussed {
            return Ok(None);
        }
        let days: Vec<Date> = days_of(range.first, range.last).collect();
        if days.len() <= self.days_kept / 2 {
            self.load_missing(&days).await?;
            if let Some(page) = self.walk(&days, range, sort, reference, skip, take) {
                return Ok(Some(page));
            }
        }
        // Too long a list, or another list's days pushed some of these out meanwhile.
        let candidates = self.read_database(range).await?;
        let total = candidates.len();
        let trending = self.state.read().expect("rankings lock").trending;
        let entries = rank(candidates, sort, &trending, reference)
            .into_iter()
            .skip(skip)
            .take(take)
            .collect();
        Ok(Some(Page {
            total,
            entries,
            revisions: Vec::new(),
        }))
    }

    /// The page from memory, or `None` if a day is not held.
    fn walk(
        &self,
        days: &[Date],
        range: Range<'_>,
        sort: Sort,
        reference: Timestamp,
        skip: usize,
        take: usize,
    ) -> Option<Page> {
        let state = self.state.read().expect("rankings lock");
        let now = state.tick();
        let mut held = Vec::with_capacity(days.len());
        for day in days {
            let kept = state.days.get(day)?;
            kept.last_used.store(now, Ordering::Relaxed);
            held.push((*day, kept));
        }
        let key: CountKey = (range.first, range.last, range.category.cloned(), range.basis);
        let counted = self.counts.lock().expect("counts lock").get(&key).copied();
        let total = match counted {
            Some((membership, total)) if membership == state.membership => total,
            _ => {
                let total = day::count(&held, range);
                let mut counts = self.counts.lock().expect("counts lock");
                if counts.len() >= COUNTS_KEPT {
                    counts.clear();
                }
                counts.insert(key, (state.membership, total));
                total
            }
        };
        let entries = day::walk(&held, range, sort, &state.trending, reference, skip, take)?;
        let revisions = entries
            .iter()
            .map(|(candidate, _)| state.records.get(&candidate.id).map_or(0, |held| held.revision))
            .collect();
        Some(Page {
            total,
            entries,
            revisions,
        })
    }

    /// The list's candidates, each once, dated by its first day on the list, as
    /// `listing_candidates` and `daily_papers_candidates` give them (in no particular order).
    pub async fn candidates(&self, range: Range<'_>) -> Result<Vec<RankCandidate>, StoreError> {
        let days: Vec<Date> = days_of(range.first, range.last).collect();
        if days.len() > self.days_kept / 2 {
            return self.read_database(range).await;
        }
        self.load_missing(&days).await?;
        match self.read(&days, range) {
            Some(candidates) => Ok(candidates),
            // Another list's days pushed some of these out meanwhile.
            None => self.read_database(range).await,
        }
    }

    /// Applies the change log written since the last catch-up. Call it after a write whose
    /// effect the next page must show; it also runs whenever the content version moves.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        let ticket = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        let _writing = self.writing.lock().await;
        if self.covered.load(Ordering::SeqCst) >= ticket {
            // A catch-up that began after this one was asked for has read the log since.
            return Ok(());
        }
        // This run reads the log after every catch-up asked for so far was asked for.
        let covering = self.asked.load(Ordering::SeqCst);
        let epoch = self.store.ranking_epoch().await?;
        let bounds = self.store.search_log_bounds().await?;
        let mut position = {
            let mut state = self.state.write().expect("rankings lock");
            // Star growth moved, the log was pruned past what was applied, or so much was written
            // (an import) that reading the held days again costs less than reading every
            // changed paper: start afresh.
            let pruned = bounds.oldest > state.position + 1;
            let flood = bounds.newest - state.position > READ_AGAIN_PAST;
            if epoch != state.epoch || pruned || flood {
                if !state.days.is_empty() {
                    tracing::info!(days = state.days.len(), "rankings read again from the database");
                }
                state.clear();
                state.epoch = epoch;
                state.position = bounds.newest;
            }
            state.position
        };
        loop {
            let changes = self.store.search_changes_after(position, LOG_BATCH).await?;
            let Some(last) = changes.last().map(|change| change.seq) else {
                break;
            };
            // A paper not held matters too if one of its new days is held, and only its
            // record says which days those are: every changed paper is read, unless no day is
            // held at all.
            let nothing_held = self.state.read().expect("rankings lock").days.is_empty();
            let changed: Vec<String> = if nothing_held {
                Vec::new()
            } else {
                let unique: HashSet<String> = changes.into_iter().map(|change| change.paper_id).collect();
                unique.into_iter().collect()
            };
            let records = if changed.is_empty() {
                Vec::new()
            } else {
                self.store.rank_records(&changed).await?
            };
            let mut state = self.state.write().expect("rankings lock");
            let mut found: HashMap<String, RankRecord> = records
                .into_iter()
                .map(|record| (record.id.as_str().to_owned(), record))
                .collect();
            for id in &changed {
                match found.remove(id) {
                    Some(record) => state.put(record, &[]),
                    // Deleted or hidden.
                    None => {
                        if let Ok(id) = ArxivId::parse(id) {
                            state.remove(&id);
                        }
                    }
                }
            }
            state.position = last;
            position = last;
        }
        self.covered.store(covering, Ordering::SeqCst);
        Ok(())
    }

    /// Forgets every day held, to read them again when lists ask: what a failed catch-up
    /// leaves, since what it had applied is not known.
    pub fn forget(&self) {
        self.state.write().expect("rankings lock").clear();
    }

    /// How many days and papers are held.
    pub fn held(&self) -> (usize, usize) {
        let state = self.state.read().expect("rankings lock");
        (state.days.len(), state.records.len())
    }

    async fn read_database(&self, range: Range<'_>) -> Result<Vec<RankCandidate>, StoreError> {
        match range.basis {
            DayBasis::Listing => {
                self.store
                    .listing_candidates(range.first, range.last, range.category)
                    .await
            }
            DayBasis::HuggingFaceDaily => {
                self.store
                    .daily_papers_candidates(range.first, range.last, range.category)
                    .await
            }
        }
    }

    /// Reads the days of `days` not held yet, in one query from the first missing to the last.
    async fn load_missing(&self, days: &[Date]) -> Result<(), StoreError> {
        let missing = |state: &State| -> Vec<Date> {
            days.iter()
                .copied()
                .filter(|day| !state.days.contains_key(day))
                .collect()
        };
        if missing(&self.state.read().expect("rankings lock")).is_empty() {
            return Ok(());
        }
        let _writing = self.writing.lock().await;
        let missing = missing(&self.state.read().expect("rankings lock"));
        let (Some(&first), Some(&last)) = (missing.first(), missing.last()) else {
            return Ok(());
        };
        // Whatever was written after the last catch-up and is already in these records is
        // read again by the next catch-up: harmless, as records are read whole.
        let records = self.store.rank_records_listed(first, last).await?;
        let mut state = self.state.write().expect("rankings lock");
        let now = state.tick();
        for &day in &missing {
            state.days.insert(day, Day::new(now));
        }
        // Filed last on the new days, then sorted once.
        for record in records {
            state.put(record, &missing);
        }
        let trending = state.trending;
        for day in &missing {
            if let Some(held) = state.days.get_mut(day) {
                held.sort(&trending);
            }
        }
        state.membership += 1;
        state.evict_beyond(self.days_kept, days);
        Ok(())
    }

    /// The candidates from memory, or `None` if a day is not held.
    fn read(&self, days: &[Date], range: Range<'_>) -> Option<Vec<RankCandidate>> {
        let state = self.state.read().expect("rankings lock");
        let now = state.tick();
        let mut candidates = Vec::new();
        for day in days {
            let held = state.days.get(day)?;
            held.last_used.store(now, Ordering::Relaxed);
            for record in held.papers() {
                if range.category.is_some_and(|category| !record.in_category(category)) {
                    continue;
                }
                // Each paper once: on the day it is dated by.
                match record.candidate(range.first, range.last, range.basis) {
                    Some(candidate) if candidate.listed == *day => candidates.push(candidate),
                    _ => {}
                }
            }
        }
        Some(candidates)
    }
}

impl State {
    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// Forgets every day held.
    fn clear(&mut self) {
        self.days.clear();
        self.records.clear();
        self.membership += 1;
    }

    /// Holds `record` (in place of what was held for its paper) under each of its days held,
    /// in its place in their orders, or last on the days of `unsorted`.
    fn put(&mut self, record: RankRecord, unsorted: &[Date]) {
        let same_lists = self.records.get(&record.id).is_some_and(|Held { record: old, .. }| {
            old.days == record.days
                && old.hugging_face_day == record.hugging_face_day
                && old.categories == record.categories
        });
        if !same_lists {
            self.membership += 1;
        }
        self.unfile(&record.id);
        let record = Arc::new(record);
        let mut filed = false;
        for day in record.filed_under() {
            if let Some(held) = self.days.get_mut(&day) {
                if unsorted.contains(&day) {
                    held.push(&record);
                } else {
                    held.insert(&self.trending, &record);
                }
                filed = true;
            }
        }
        if filed {
            self.next_revision += 1;
            let revision = self.next_revision;
            self.records.insert(record.id.clone(), Held { record, revision });
        }
    }

    /// Forgets a paper.
    fn remove(&mut self, id: &ArxivId) {
        if self.unfile(id) {
            self.membership += 1;
        }
    }

    /// Takes a paper off the days it is filed under; whether it was held.
    fn unfile(&mut self, id: &ArxivId) -> bool {
        let Some(Held { record: old, .. }) = self.records.remove(id) else {
            return false;
        };
        for day in old.filed_under() {
            if let Some(held) = self.days.get_mut(&day) {
                held.remove(id);
            }
        }
        true
    }

    /// Drops the least recently used days past `kept`, never one of `keep`.
    fn evict_beyond(&mut self, kept: usize, keep: &[Date]) {
        if self.days.len() <= kept {
            return;
        }
        let mut by_use: Vec<(u64, Date)> = self
            .days
            .iter()
            .filter(|(day, _)| !keep.contains(day))
            .map(|(day, held)| (held.last_used.load(Ordering::Relaxed), *day))
            .collect();
        by_use.sort_unstable();
        let surplus = self.days.len() - kept;
        for (_, day) in by_use.into_iter().take(surplus) {
            let Some(gone) = self.days.remove(&day) else { continue };
            self.membership += 1;
            for record in gone.papers() {
                if !record.filed_under().any(|other| self.days.contains_key(&other)) {
                    self.records.remove(&record.id);
                }
            }
        }
    }
}

/// Every day from `first` to `last`, inclusive.
fn days_of(first: Date, last: Date) -> impl Iterator<Item = Date> {
    first
        .series(jiff::Span::new().days(1))
        .take_while(move |day| *day <= last)
}

#[cfg(test)]
mod tests;
