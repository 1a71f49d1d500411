//! Paperboy's search: the query language, a tantivy full-text index that is a cache of the
//! database, vector neighbours (a memory-mapped int8 file in k-means lists, and what came since),
//! and the fusion of the two rankings.
//!
//! This crate knows nothing of the database or the model: the application feeds it documents
//! and vectors. It is heavy to compile (tantivy) and rarely changes, which is why it stands alone.

pub mod analysis;
pub mod fusion;
pub mod highlight;
pub mod index;
pub mod metrics;
pub mod query;
mod ranking;
pub mod retrieve;
pub mod vectors;

pub use fusion::{DEFAULT_FUSION, Fusion, STATIC_MODEL_FUSION};
pub use highlight::{Highlight, Highlighter};
pub use index::{COUNT_LIMIT, Checkpoint, Filters, Hit, HitPage, IndexError, KeywordWeights, SearchIndex, Sort};
pub use query::{ParsedQuery, QueryError, parse};
pub use retrieve::{FUSION_DEPTH, Mode, retrieve};
pub use vectors::{EXACT_SCAN_LIMIT, VectorFile, VectorFileBuilder, VectorIndex};
