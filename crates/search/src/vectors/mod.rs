//! Nearest neighbours over unit-length embeddings, by dot product: the vector file built from
//! the database (int8, memory-mapped, read a few lists at a time), plus the vectors written
//! since, held exactly in memory until the next build folds them in.

mod exact;
pub mod file;
pub mod ivf;
mod residuals;
mod simd;

use std::collections::HashSet;
use std::io;
use std::sync::Arc;

pub use exact::ExactVectors;
pub use file::{VectorFile, VectorFileBuilder};

use crate::index::Hit;

/// Up to this many papers the whole file is read for every query: exact, and a few ms.
pub const EXACT_SCAN_LIMIT: usize = 100_000;

pub struct VectorIndex {
    dimensions: usize,
    file: Option<Arc<VectorFile>>,
    fresh: ExactVectors,
    /// Papers of the file whose vector has since changed (the new one is in `fresh`) or gone.
    overridden: HashSet<String>,
    /// How a query reads the file; `None` for the defaults.
    reading: Option<Reading>,
}

/// How much of the vector file a query reads past [`EXACT_SCAN_LIMIT`] papers.
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    /// Lists whose residual codes are scanned.
    pub lists: usize,
    /// Candidates, per neighbour asked for, whose int8 codes are read to rank them.
    pub candidates_per_hit: usize,
}

/// Candidates a neighbour asked for by default (`paperboy-bench vectors`, docs/performance.md).
pub const CANDIDATES_PER_HIT: usize = 8;

impl VectorIndex {
    pub fn new(dimensions: usize) -> VectorIndex {
        VectorIndex {
            dimensions,
            file: None,
            fresh: ExactVectors::new(dimensions),
            overridden: HashSet::new(),
            reading: None,
        }
    }

    /// An index over a vector file, with nothing newer yet.
    pub fn with_file(dimensions: usize, file: Arc<VectorFile>) -> VectorIndex {
        VectorIndex {
            file: Some(file),
            ..VectorIndex::new(dimensions)
        }
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    pub fn file(&self) -> Option<&Arc<VectorFile>> {
        self.file.as_ref()
    }

    /// Vectors held in memory because they are newer than the file.
    pub fn fresh_len(&self) -> usize {
        self.fresh.len()
    }

    /// Reads the file so instead of by the defaults (for measuring recall).
    pub fn set_reading(&mut self, reading: Option<Reading>) {
        self.reading = reading;
    }

    pub fn len(&self) -> usize {
        self.file.as_ref().map_or(0, |f| f.len()) - self.overridden.len() + self.fresh.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn in_file(&self, id: &str) -> bool {
        self.file.as_ref().is_some_and(|f| f.row_of(id).is_some())
    }

    /// Adds or replaces the vector of `id`. A vector of the wrong length is refused.
    pub fn insert(&mut self, id: &str, vector: &[f32]) -> bool {
        if vector.len() != self.dimensions {
            return false;
        }
        if !self.overridden.contains(id) && self.in_file(id) {
            self.overridden.insert(id.to_owned());
        }
        self.fresh.insert(id, vector)
    }

    /// Forgets `id`'s vector (its paper went).
    pub fn remove(&mut self, id: &str) {
        self.fresh.remove(id);
        if !self.overridden.contains(id) && self.in_file(id) {
            self.overridden.insert(id.to_owned());
        }
    }

    /// `id`'s vector: exact when fresh, dequantised from the file otherwise.
    pub fn vector(&self, id: &str) -> io::Result<Option<Vec<f32>>> {
        if let Some(vector) = self.fresh.vector(id) {
            return Ok(Some(vector.to_vec()));
        }
        if self.overridden.contains(id) {
            return Ok(None);
        }
        match self.file.as_ref().and_then(|file| Some((file, file.row_of(id)?))) {
            Some((file, row)) => file.vector(row).map(Some),
            None => Ok(None),
        }
    }

    /// The `k` vectors most similar to `query`, best first, among `allowed` when given, never
    /// `exclude`.
    pub fn nearest(
        &self,
        query: &[f32],
        k: usize,
        allowed: Option<&HashSet<String>>,
        exclude: Option<&str>,
    ) -> io::Result<Vec<Hit>> {
        let accept = |id: &str| exclude != Some(id) && allowed.is_none_or(|allowed| allowed.contains(id));
        let mut hits = self.fresh.nearest(query, k, &accept);
        if let Some(file) = &self.file {
            let accept_from_file = |id: &str| !self.overridden.contains(id) && accept(id);
            let reading = self.reading.unwrap_or(Reading {
                lists: ivf::lists_to_probe(file.lists()),
                candidates_per_hit: CANDIDATES_PER_HIT,
            });
            let candidates = k.saturating_mul(reading.candidates_per_hit);
            let from_file = match allowed {
                _ if file.len() <= EXACT_SCAN_LIMIT && self.reading.is_none() => {
                    file.nearest_exact(query, k, &accept_from_file)
                }
                // A filter that leaves few papers: score just those.
                Some(allowed) if allowed.len() * 16 < file.len() => file.nearest_among(
                    query,
                    k,
                    candidates,
                    allowed.iter().map(String::as_str),
                    &accept_from_file,
                )?,
                _ => file.nearest(query, k, reading.lists, candidates, &accept_from_file)?,
            };
            hits.extend(from_file);
            hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
            hits.truncate(k);
        }
        Ok(hits)
    }
}

/// `v` scaled to length one, for the tests of this module and its parts.
#[cfg(test)]
pub(crate) fn unit(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(hits: Vec<Hit>) -> Vec<String> {
        hits.into_iter().map(|h| h.id).collect()
    }

    #[test]
    fn newer_vectors_and_removals_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = VectorFileBuilder::create(dir.path(), "m", 3).unwrap();
        builder.push("a", &unit(&[1.0, 0.0, 0.0])).unwrap();
        builder.push("b", &unit(&[0.9, 0.1, 0.0])).unwrap();
        builder.push("c", &unit(&[0.0, 1.0, 0.0])).unwrap();
        let mut index = VectorIndex::with_file(3, Arc::new(builder.finish(3).unwrap()));
        assert_eq!(index.len(), 3);
        let near_x = unit(&[1.0, 0.05, 0.0]);
        assert_eq!(ids(index.nearest(&near_x, 2, None, None).unwrap()), ["a", "b"]);

        // "c" moved next to the x axis, "a" went, "d" is new.
        index.insert("c", &unit(&[1.0, 0.02, 0.0]));
        index.remove("a");
        index.insert("d", &unit(&[0.0, 0.0, 1.0]));
        assert_eq!(index.len(), 3);
        assert_eq!((index.fresh_len(), index.vector("a").unwrap()), (2, None));
        assert_eq!(ids(index.nearest(&near_x, 3, None, None).unwrap()), ["c", "b", "d"]);
        assert_eq!(ids(index.nearest(&near_x, 3, None, Some("c")).unwrap()), ["b", "d"]);
        let allowed: HashSet<String> = ["b".to_string(), "d".to_string()].into();
        assert_eq!(ids(index.nearest(&near_x, 1, Some(&allowed), None).unwrap()), ["b"]);
        assert!(index.vector("b").unwrap().unwrap()[0] > 0.98);
    }
}
