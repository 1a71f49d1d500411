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

use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, Scorer, Weight};
use tantivy::{DocAddress, DocSet, Score, Searcher, TERMINATED};

/// Plain words scored by their best field: for each word, the query of each field it may match
/// (a term query, boosted or not), in the order the ranking's query lists them.
pub struct BestFields {
    pub words: Vec<Vec<Box<dyn Query>>>,
    /// A word's score is its best field's plus this share of its other fields'.
    pub tie_breaker: Score,
}

/// The best `k` documents by `query`'s score, best first, ties in index order (as tantivy's
/// `TopDocs` orders them). Every field term must be a term query with frequencies (boosted or
/// not), or tantivy cannot prune their sum.
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
    let mut best = Best::new(k);
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut scorers: Vec<Vec<Box<dyn Scorer>>> = words
            .iter()
            .map(|fields| fields.iter().map(|weight| weight.scorer(reader, 1.0)).collect())
            .collect::<tantivy::Result<_>>()?;
        let alive = reader.alive_bitset();
        // The bar carries over from segment to segment: later segments skip more.
        let bar = best.bar();
        bound.for_each_pruning(bar, reader, &mut |doc, _sum| {
            if !alive.is_some_and(|alive| alive.is_deleted(doc)) {
                let score = best_fields_score(&mut scorers, doc, query.tie_breaker);
                best.offer(score, DocAddress::new(ord as u32, doc));
            }
            best.bar()
        })?;
    }
    Ok(best.into_sorted())
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

/// A candidate; the worse of two is the greater, so a max-heap keeps the worst on top.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Candidate(Score, DocAddress);

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
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

    fn offer(&mut self, score: Score, address: DocAddress) {
        let candidate = Candidate(score, address);
        if self.heap.len() < self.k {
            self.heap.push(candidate);
        } else if self.heap.peek().is_some_and(|worst| candidate < *worst) {
            self.heap.pop();
            self.heap.push(candidate);
        }
    }

    /// The bound score a document must beat to be worth scoring: the k-th best exact score, a
    /// hair lower so that rounding in the two sums never skips a document that belongs. (A
    /// document that only ties the k-th loses anyway: it comes later in index order.)
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
            .map(|Candidate(score, address)| (score, address))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BoostQuery, DisjunctionMaxQuery, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, Term, doc};

    use super::*;

    /// Random short texts in two fields over a small vocabulary, so words repeat across fields
    /// and documents (where a dis-max and a sum disagree) and scores often tie.
    fn corpus(seed: u64, documents: usize) -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
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
            writer.add_document(doc!(title => text(4), body => text(30))).unwrap();
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
            let (index, title, body) = corpus(seed, 3_000);
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
                    let expected = searcher
                        .search(&exact, &TopDocs::with_limit(k).order_by_score())
                        .unwrap();
                    let got = top_k_best_fields(&searcher, &pruned, k).unwrap();
                    assert_eq!(got, expected, "seed {seed}, words {query_words:?}, k {k}");
                }
            }
        }
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
