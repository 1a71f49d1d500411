//! Ranking and counting at scale: the best few of millions of matches without scoring them all,
//! and counting matches only as far as anyone reads.
//!
//! A search scores each word by its best field plus a share of the others (a dis-max), which
//! tantivy cannot prune: it scores every paper that holds any of the words, which over 2.8
//! million papers takes longer than any search should (docs/performance.md). The plain sum of the same field scores is never
//! lower than the dis-max, and a sum of term scores is what tantivy prunes with block-max WAND.
//! So the sum proposes and the dis-max decides: a paper is scored exactly, term by term, only
//! when its sum could still beat the k-th best exact score found so far. The result is exactly
//! the dis-max's top k, with the same scores to the last bit (the same terms, added in the same
//! order as tantivy's `DisjunctionMaxQuery` inside a `BooleanQuery` adds them).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};

use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, Scorer, Weight};
use tantivy::{DocAddress, DocSet, Executor, Index, Score, Searcher, TERMINATED};

/// The fast field that orders papers of equal score: [`paperboy_core::ArxivId::issue_order`],
/// higher first. Every ranking ends with it, so ties do not depend on the order of indexing.
pub(crate) const ISSUE_ORDER: &str = "issued";

/// Plain words scored by their best field: for each word, the query of each field it may match
/// (a term query, boosted or not), in the order the ranking's query lists them.
pub struct BestFields {
    pub words: Vec<Vec<Box<dyn Query>>>,
    /// A word's score is its best field's plus this share of its other fields'.
    pub tie_breaker: Score,
}

/// The best `k` documents by `query`'s score, best first, ties by [`ISSUE_ORDER`], higher first.
/// Every field term must be a term query with frequencies (boosted or
/// not), or tantivy cannot prune their sum.
///
/// Segments are shared out among the threads of the index's search executor (one per core),
/// which raise one bar together: any thread's k-th best is a bar for all, since the k best
/// overall score at least as much.
pub fn top_k_best_fields(
    searcher: &Searcher,
    query: &BestFields,
    k: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let bound = BooleanQuery::new(
        query
            .words
            .iter()
            .flatten()
            .map(|field| (Occur::Should, field.box_clone()))
            .collect(),
    );
    let bound = bound.weight(scoring)?;
    let words: Vec<Vec<Box<dyn Weight>>> = query
        .words
        .iter()
        .map(|fields| fields.iter().map(|field| field.weight(scoring)).collect())
        .collect::<tantivy::Result<_>>()?;
    let executor = searcher.index().search_executor();
    let shared = SharedBar::new();
    let rank_share = |segments: Vec<usize>| -> tantivy::Result<Best> {
        let mut best = Best::new(k);
        for ord in segments {
            let reader = searcher.segment_reader(ord as u32);
            let mut scorers: Vec<Vec<Box<dyn Scorer>>> = words
                .iter()
                .map(|fields| fields.iter().map(|weight| weight.scorer(reader, 1.0)).collect())
                .collect::<tantivy::Result<_>>()?;
            let alive = reader.alive_bitset();
            let issued = reader.fast_fields().u64(ISSUE_ORDER)?.first_or_default_col(0);
            // The bar carries over from segment to segment: later segments skip more.
            let bar = best.bar().max(shared.get());
            bound.for_each_pruning(bar, reader, &mut |doc, _sum| {
                if !alive.is_some_and(|alive| alive.is_deleted(doc)) {
                    let score = best_fields_score(&mut scorers, doc, query.tie_breaker);
                    let candidate = Candidate(score, issued.get_val(doc), DocAddress::new(ord as u32, doc));
                    if best.offer(candidate) {
                        shared.raise(best.bar());
                    }
                }
                best.bar().max(shared.get())
            })?;
        }
        Ok(best)
    };
    let shares = share_out(searcher, search_threads(searcher.index()));
    let ranked = if shares.len() > 1 {
        executor.map(rank_share, shares.into_iter())?
    } else {
        shares.into_iter().map(rank_share).collect::<tantivy::Result<_>>()?
    };
    let mut best = Best::new(k);
    for candidate in ranked.into_iter().flat_map(|share| share.heap) {
        best.offer(candidate);
    }
    Ok(best.into_sorted())
}

/// How many threads `index`'s searches may use.
pub(crate) fn search_threads(index: &Index) -> usize {
    match index.search_executor() {
        Executor::SingleThread => 1,
        Executor::ThreadPool(pool) => pool.current_num_threads(),
    }
}

/// Segment ordinals in at most `threads` shares of about equal work (documents, deleted ones
/// included, since they are visited too).
fn share_out(searcher: &Searcher, threads: usize) -> Vec<Vec<usize>> {
    let readers = searcher.segment_readers();
    balanced(
        readers
            .iter()
            .enumerate()
            .map(|(ord, reader)| (u64::from(reader.max_doc()), ord)),
        threads,
    )
}

/// `items` (each with its weight) in at most `parts` non-empty groups of about equal weight:
/// the heaviest goes first, each to the lightest group so far.
pub(crate) fn balanced<T>(items: impl IntoIterator<Item = (u64, T)>, parts: usize) -> Vec<Vec<T>> {
    let mut items: Vec<(u64, T)> = items.into_iter().collect();
    items.sort_by_key(|(weight, _)| std::cmp::Reverse(*weight));
    let mut groups: Vec<(u64, Vec<T>)> = (0..parts.max(1)).map(|_| (0, Vec::new())).collect();
    for (weight, item) in items {
        let lightest = groups
            .iter_mut()
            .min_by_key(|(total, _)| *total)
            .expect("there is at least one group");
        lightest.0 += weight;
        lightest.1.push(item);
    }
    groups
        .into_iter()
        .map(|(_, group)| group)
        .filter(|group| !group.is_empty())
        .collect()
}

/// The highest bar any thread has reached, as an `f32`'s bits.
struct SharedBar(AtomicU32);

impl SharedBar {
    fn new() -> SharedBar {
        SharedBar(AtomicU32::new(Score::MIN.to_bits()))
    }

    fn get(&self) -> Score {
        Score::from_bits(self.0.load(AtomicOrdering::Relaxed))
    }

    fn raise(&self, bar: Score) {
        let mut current = self.0.load(AtomicOrdering::Relaxed);
        while Score::from_bits(current) < bar {
            match self
                .0
                .compare_exchange_weak(current, bar.to_bits(), AtomicOrdering::Relaxed, AtomicOrdering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
    }
}

/// `doc`'s score: per word, its best field plus `tie_breaker` times the rest, summed over the
/// words. Documents come in increasing order, so each term's scorer only moves forward.
fn best_fields_score(words: &mut [Vec<Box<dyn Scorer>>], doc: u32, tie_breaker: Score) -> Score {
    let mut total: Score = 0.0;
    for fields in words.iter_mut() {
        let (mut best, mut sum, mut matched) = (0.0 as Score, 0.0 as Score, false);
        for scorer in fields.iter_mut() {
            if scorer.doc() < doc {
                scorer.seek(doc);
            }
            if scorer.doc() == doc {
                let score = scorer.score();
                best = best.max(score);
                sum += score;
                matched = true;
            }
        }
        if matched {
            total += best + (sum - best) * tie_breaker;
        }
    }
    total
}

/// How many live documents `query` matches, counting no further than `limit`: the count, and
/// whether it is all of them (`false`: there are more than `limit`).
pub fn count_up_to(searcher: &Searcher, query: &dyn Query, limit: usize) -> tantivy::Result<(usize, bool)> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut count = 0;
    for reader in searcher.segment_readers() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if !alive.is_some_and(|alive| alive.is_deleted(doc)) {
                if count == limit {
                    return Ok((limit, false));
                }
                count += 1;
            }
            doc = scorer.advance();
        }
    }
    Ok((count, true))
}

/// A candidate: its score, its [`ISSUE_ORDER`] and where it is. The worse of two is the
/// greater, so a max-heap keeps the worst on top.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Candidate(Score, u64, DocAddress);

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then(other.1.cmp(&self.1))
            .then(self.2.cmp(&other.2))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best `k` candidates so far.
struct Best {
    k: usize,
    heap: BinaryHeap<Candidate>,
}

impl Best {
    fn new(k: usize) -> Best {
        Best {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// Keeps the candidate if it is among the best `k` so far; whether it was.
    fn offer(&mut self, candidate: Candidate) -> bool {
        if self.heap.len() < self.k {
            self.heap.push(candidate);
        } else if self.heap.peek().is_some_and(|worst| candidate < *worst) {
            self.heap.pop();
            self.heap.push(candidate);
        } else {
            return false;
        }
        true
    }

    /// The bound score a document must beat to be worth scoring: the k-th best exact score, a
    /// hair lower so that rounding in the two sums never skips a document that belongs, nor
    /// one that ties the k-th (its issue order may win).
    fn bar(&self) -> Score {
        match self.heap.peek() {
            Some(worst) if self.heap.len() == self.k => worst.0 - worst.0.abs() * 1e-4 - 1e-6,
            _ => Score::MIN,
        }
    }

    fn into_sorted(self) -> Vec<(Score, DocAddress)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Candidate(score, _, address)| (score, address))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BoostQuery, DisjunctionMaxQuery, TermQuery};
    use tantivy::schema::{FAST, IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, Order, Term, doc};

    use super::*;

    /// Random short texts in two fields over a small vocabulary, so words repeat across fields
    /// and documents (where a dis-max and a sum disagree) and scores often tie. Issue orders
    /// are distinct and unrelated to the order of indexing.
    fn corpus(seed: u64, documents: usize) -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let issued = schema.add_u64_field(ISSUE_ORDER, FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer(15_000_000).unwrap();
        let mut state = seed;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota"];
        let mut text = |length: u64| -> String {
            (0..1 + next(length))
                .map(|_| words[next(words.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(" ")
        };
        for n in 0..documents {
            let issue_order = (n as u64 * 7_919) % documents as u64;
            writer
                .add_document(doc!(title => text(4), body => text(30), issued => issue_order))
                .unwrap();
            // Several segments, so the bar carries across them.
            if n % 700 == 699 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        // Deleted documents must never come back.
        writer.delete_term(Term::from_field_text(title, "iota"));
        writer.commit().unwrap();
        (index, title, body)
    }

    fn term(field: tantivy::schema::Field, word: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, word),
            IndexRecordOption::WithFreqs,
        ))
    }

    #[test]
    fn the_pruned_top_k_is_exactly_the_dis_max_top_k() {
        for seed in 1..=4 {
            let (mut index, title, body) = corpus(seed, 3_000);
            // Even seeds share the segments out among two threads.
            if seed % 2 == 0 {
                index.set_multithread_executor(2).unwrap();
            }
            let searcher = index.reader().unwrap().searcher();
            for query_words in [
                &["alpha"][..],
                &["beta", "gamma"],
                &["delta", "eps", "zeta", "eta", "theta"],
            ] {
                let fields = |w: &str| {
                    vec![
                        Box::new(BoostQuery::new(term(title, w), 1.2)) as Box<dyn Query>,
                        term(body, w),
                    ]
                };
                let exact = BooleanQuery::new(
                    query_words
                        .iter()
                        .map(|w| {
                            let best_field = DisjunctionMaxQuery::with_tie_breaker(fields(w), 0.3);
                            (Occur::Should, Box::new(best_field) as Box<dyn Query>)
                        })
                        .collect(),
                );
                let pruned = BestFields {
                    words: query_words.iter().map(|w| fields(w)).collect(),
                    tie_breaker: 0.3,
                };
                for k in [1, 10, 100] {
                    let newest_first = (SortByStaticFastValue::<u64>::for_field(ISSUE_ORDER), Order::Desc);
                    let by_score = TopDocs::with_limit(k).order_by((SortBySimilarityScore, newest_first));
                    let expected: Vec<(Score, DocAddress)> = searcher
                        .search(&exact, &by_score)
                        .unwrap()
                        .into_iter()
                        .map(|((score, _), address)| (score, address))
                        .collect();
                    let got = top_k_best_fields(&searcher, &pruned, k).unwrap();
                    assert_eq!(got, expected, "seed {seed}, words {query_words:?}, k {k}");
                }
            }
        }
    }

    #[test]
    fn shares_are_about_equal_and_hold_everything_once() {
        let groups = balanced([(50, 'a'), (10, 'b'), (40, 'c'), (30, 'd'), (30, 'e')], 2);
        assert_eq!(groups, vec![vec!['a', 'e'], vec!['c', 'd', 'b']], "80 and 80");
        assert_eq!(balanced([(5, 'a')], 4), vec![vec!['a']], "no empty shares");
        assert_eq!(balanced([(5, 'a'), (1, 'b')], 0), vec![vec!['a', 'b']], "at least one");
        assert!(balanced(Vec::<(u64, char)>::new(), 2).is_empty());
    }

    #[test]
    fn counting_stops_at_the_limit_and_says_so() {
        let (index, title, _) = corpus(9, 3_000);
        let searcher = index.reader().unwrap().searcher();
        let query = term(title, "alpha");
        let all = searcher.search(&*query, &Count).unwrap();
        assert!(all > 100, "the corpus has {all} matches");
        assert_eq!(count_up_to(&searcher, &*query, all).unwrap(), (all, true));
        assert_eq!(count_up_to(&searcher, &*query, all + 1).unwrap(), (all, true));
        assert_eq!(count_up_to(&searcher, &*query, all - 1).unwrap(), (all - 1, false));
        assert_eq!(count_up_to(&searcher, &*query, 100).unwrap(), (100, false));
    }
}
