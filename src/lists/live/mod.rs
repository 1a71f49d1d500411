//! Rankings kept in memory: every paper of the days lists were asked for, with what placing it
//! needs, so that a list is a walk over memory instead of a query over a period's papers.
//!
//! The days are read from the database when a list first needs them and kept, up to
//! [`DAYS_KEPT`], least recently used first out. They are kept true by the change log the search
//! index follows: every write that moves a paper on a list names the paper there (in the
//! write's own transaction), and [`LiveRankings::catch_up`] reads those papers again. Star
//! growth, which no log entry names, moves an epoch instead, and everything is read again.
//! Each replica keeps its own, from the shared database.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use paperboy_core::{ArxivId, Category, Date, DayBasis, RankCandidate, RankRecord};
use paperboy_store::{Store, StoreError};

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
}

#[derive(Default)]
struct State {
    /// The change log has been applied up to this entry.
    position: i64,
    epoch: i64,
    days: HashMap<Date, Day>,
    /// The record of every paper filed under a day held (shared with those days).
    records: HashMap<ArxivId, Arc<RankRecord>>,
    /// Ticks at every use of a day, for least-recently-used eviction.
    clock: AtomicU64,
}

struct Day {
    papers: Vec<Arc<RankRecord>>,
    last_used: AtomicU64,
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
    /// Empty rankings that follow the change log from where it stands now.
    pub async fn open(store: Arc<dyn Store>) -> Result<LiveRankings, StoreError> {
        Self::open_keeping(store, DAYS_KEPT).await
    }

    /// As [`open`](Self::open), holding at most `days_kept` days.
    pub async fn open_keeping(store: Arc<dyn Store>, days_kept: usize) -> Result<LiveRankings, StoreError> {
        let state = State {
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
                state.days.clear();
                state.records.clear();
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
                    Some(record) => state.put(record),
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
        let mut state = self.state.write().expect("rankings lock");
        state.days.clear();
        state.records.clear();
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
        for day in missing {
            state.days.insert(
                day,
                Day {
                    papers: Vec::new(),
                    last_used: AtomicU64::new(now),
                },
            );
        }
        for record in records {
            state.put(record);
        }
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
            for record in &held.papers {
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

    /// Holds `record` (in place of what was held for its paper) under each of its days held.
    fn put(&mut self, record: RankRecord) {
        self.remove(&record.id);
        let record = Arc::new(record);
        let mut filed = false;
        for day in record.filed_under() {
            if let Some(held) = self.days.get_mut(&day) {
                held.papers.push(Arc::clone(&record));
                filed = true;
            }
        }
        if filed {
            self.records.insert(record.id.clone(), record);
        }
    }

    /// Forgets a paper.
    fn remove(&mut self, id: &ArxivId) {
        let Some(old) = self.records.remove(id) else { return };
        for day in old.filed_under() {
            if let Some(held) = self.days.get_mut(&day) {
                held.papers.retain(|paper| paper.id != *id);
            }
        }
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
            for record in gone.papers {
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
