//! Exact nearest neighbours over unit-length embeddings, by dot product, in memory: the vectors
//! written since the vector file was built, and all of them for an evaluation.
//!
//! A scan of every vector: 74,728 papers × 384 dimensions is ~29 M multiply-adds, a few
//! milliseconds, and exact, so no recall is traded away at this size.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use crate::index::Hit;

pub struct ExactVectors {
    dimensions: usize,
    ids: Vec<String>,
    rows: HashMap<String, usize>,
    data: Vec<f32>,
}

impl ExactVectors {
    pub fn new(dimensions: usize) -> ExactVectors {
        ExactVectors {
            dimensions,
            ids: Vec::new(),
            rows: HashMap::new(),
            data: Vec::new(),
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.rows.contains_key(id)
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Adds or replaces the vector of `id`. A vector of the wrong length is refused.
    pub fn insert(&mut self, id: &str, vector: &[f32]) -> bool {
        if vector.len() != self.dimensions {
            return false;
        }
        match self.rows.get(id) {
            Some(&row) => self.data[row * self.dimensions..(row + 1) * self.dimensions].copy_from_slice(vector),
            None => {
                self.rows.insert(id.to_string(), self.ids.len());
                self.ids.push(id.to_string());
                self.data.extend_from_slice(vector);
            }
        }
        true
    }

    /// Removes `id`'s vector (the last row moves into its place); false when it had none.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(row) = self.rows.remove(id) else { return false };
        let last = self.ids.len() - 1;
        if row != last {
            let (d, moved) = (self.dimensions, self.ids[last].clone());
            self.data.copy_within(last * d..(last + 1) * d, row * d);
            self.ids[row] = moved.clone();
            self.rows.insert(moved, row);
        }
        self.ids.pop();
        self.data.truncate(last * self.dimensions);
        true
    }

    pub fn vector(&self, id: &str) -> Option<&[f32]> {
        let row = *self.rows.get(id)?;
        Some(&self.data[row * self.dimensions..(row + 1) * self.dimensions])
    }

    /// The `k` vectors most similar to `query` whose ids `accept`, best first.
    pub fn nearest(&self, query: &[f32], k: usize, accept: &dyn Fn(&str) -> bool) -> Vec<Hit> {
        if query.len() != self.dimensions || k == 0 {
            return Vec::new();
        }
        let mut best = TopK::new(k);
        for (row, vector) in self.data.chunks_exact(self.dimensions).enumerate() {
            let score = dot(query, vector);
            if best.admits(score) && accept(&self.ids[row]) {
                best.push(score, row);
            }
        }
        best.into_hits(|row| self.ids[row].clone())
    }
}

/// The best `k` candidates seen so far, by score.
pub(crate) struct TopK {
    k: usize,
    heap: BinaryHeap<Candidate>,
}

impl TopK {
    pub(crate) fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// The rows kept, in no order.
    pub(crate) fn into_rows(self) -> Vec<usize> {
        self.heap.into_iter().map(|c| c.row).collect()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.heap.len() >= self.k
    }

    /// Whether a candidate with this score would be kept: checked before the (dearer) filter.
    pub(crate) fn admits(&self, score: f32) -> bool {
        !self.is_full() || self.heap.peek().is_some_and(|worst| score > worst.score)
    }

    pub(crate) fn push(&mut self, score: f32, row: usize) {
        self.heap.push(Candidate { score, row });
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// Best first; ties broken by id so results are stable.
    pub(crate) fn into_hits(self, id_of: impl Fn(usize) -> String) -> Vec<Hit> {
        let mut hits: Vec<Hit> = self
            .heap
            .into_iter()
            .map(|c| Hit {
                id: id_of(c.row),
                score: c.score,
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        hits
    }
}

pub(crate) use super::simd::dot;

/// Ordered so that the heap's top is the worst of the best so far.
struct Candidate {
    score: f32,
    row: usize,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| self.row.cmp(&other.row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::unit;

    #[test]
    fn finds_the_nearest_within_what_is_allowed() {
        let mut index = ExactVectors::new(3);
        index.insert("a", &unit(&[1.0, 0.0, 0.0]));
        index.insert("b", &unit(&[0.9, 0.1, 0.0]));
        index.insert("c", &unit(&[0.0, 1.0, 0.0]));
        index.insert("d", &unit(&[0.0, 0.0, 1.0]));
        assert!(!index.insert("bad", &[1.0]));
        let ids = |hits: Vec<Hit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(ids(index.nearest(&unit(&[1.0, 0.05, 0.0]), 2, &|_| true)), ["a", "b"]);
        assert_eq!(
            ids(index.nearest(&unit(&[1.0, 0.05, 0.0]), 2, &|id| id != "a")),
            ["b", "c"]
        );
        assert_eq!(
            ids(index.nearest(&unit(&[1.0, 0.05, 0.0]), 1, &|id| id == "c" || id == "d")),
            ["c"]
        );

        index.remove("a");
        index.insert("c", &unit(&[1.0, 0.0, 0.0]));
        assert_eq!(index.len(), 3);
        assert_eq!(
            ids(index.nearest(&unit(&[1.0, 0.0, 0.0]), 3, &|_| true)),
            ["c", "b", "d"]
        );
        assert_eq!(index.vector("d"), Some(&unit(&[0.0, 0.0, 1.0])[..]));
    }
}
