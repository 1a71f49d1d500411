//! Ranking and counting at scale: the best few of millions of matches without scoring them all,
//! and counting matches only as far as anyone reads.
//!
//! A search scores each word by its best field plus a share of the others (a dis-max), which
//! tantivy cannot prune: it scores every paper that holds any of the words, 90 ms for an
//! eight-word question over 2.8 million papers. The plain sum of the same field scores is never
//! lower than the dis-max, and a sum of term scores is what tantivy prunes with block-max WAND.
//! So the sum proposes and the dis-max decides: a paper is scored exactly only when its sum could
//! still beat the k-th best exact score found so far. The result is exactly the dis-max's top k.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocSet, Score, Searcher, TERMINATED};

/// The best `k` documents by `exact`'s score, best first, ties in index order (as tantivy's
/// `TopDocs` orders them). `bound` must match every document `exact` matches and score each at
/// least as high; only documents whose `bound` score could place them are scored by `exact`.
pub fn top_k_bounded(
    searcher: &Searcher,
    exact: &dyn Query,
    bound: &dyn Query,
    k: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let exact_weight = exact.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let bound_weight = bound.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let mut best = Best::new(k);
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut scorer = exact_weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        // The bar carries over from segment to segment: later segments skip more.
        let bar = best.bar();
        bound_weight.for_each_pruning(bar, reader, &mut |doc, _bound| {
            if !alive.is_some_and(|alive| alive.is_deleted(doc)) {
                // Documents arrive in increasing order, so the exact scorer only moves forward.
                let at = if scorer.doc() < doc {
                    scorer.seek(doc)
                } else {
                    scorer.doc()
                };
                if at == doc {
                    best.offer(scorer.score(), DocAddress::new(ord as u32, doc));
                }
            }
            best.bar()
        })?;
    }
    Ok(best.into_sorted())
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
    use tantivy::query::{BooleanQuery, DisjunctionMaxQuery, Occur, TermQuery};
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
    fn the_bounded_top_k_is_exactly_the_dis_max_top_k() {
        for seed in 1..=4 {
            let (index, title, body) = corpus(seed, 3_000);
            let searcher = index.reader().unwrap().searcher();
            for query_words in [
                &["alpha"][..],
                &["beta", "gamma"],
                &["delta", "eps", "zeta", "eta", "theta"],
            ] {
                let exact = BooleanQuery::new(
                    query_words
                        .iter()
                        .map(|w| {
                            let best_field =
                                DisjunctionMaxQuery::with_tie_breaker(vec![term(title, w), term(body, w)], 0.3);
                            (Occur::Should, Box::new(best_field) as Box<dyn Query>)
                        })
                        .collect(),
                );
                let bound = BooleanQuery::new(
                    query_words
                        .iter()
                        .flat_map(|w| [term(title, w), term(body, w)])
                        .map(|q| (Occur::Should, q))
                        .collect(),
                );
                for k in [1, 10, 100] {
                    let expected = searcher
                        .search(&exact, &TopDocs::with_limit(k).order_by_score())
                        .unwrap();
                    let got = top_k_bounded(&searcher, &exact, &bound, k).unwrap();
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
