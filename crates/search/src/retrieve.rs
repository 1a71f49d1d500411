//! One ranking function for the service and for `paperboy eval beir`: keyword, semantic or both.

use crate::fusion::Fusion;
use crate::index::{Filters, Hit, IndexError, SearchIndex};
use crate::query::ParsedQuery;
use crate::vectors::VectorIndex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Keyword,
    Semantic,
    Hybrid,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "keyword" => Some(Mode::Keyword),
            "semantic" => Some(Mode::Semantic),
            "hybrid" => Some(Mode::Hybrid),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Keyword => "keyword",
            Mode::Semantic => "semantic",
            Mode::Hybrid => "hybrid",
        }
    }
}

/// Each ranking fused in hybrid mode is this deep: deeper lists change the top ten little and
/// cost time (measured on SciFact: see the README).
pub const FUSION_DEPTH: usize = 100;

/// The best `depth` papers for `query` by relevance. `semantic` is the papers' vectors and the
/// embedding of the query's free text; semantic and hybrid modes need it, and fall back to
/// keyword ranking without it.
pub fn retrieve(
    index: &SearchIndex,
    semantic: Option<(&VectorIndex, &[f32])>,
    query: &ParsedQuery,
    filters: &Filters,
    mode: Mode,
    fusion: Fusion,
    depth: usize,
) -> Result<Vec<Hit>, IndexError> {
    let by_meaning = |depth: usize| -> Result<Option<Vec<Hit>>, IndexError> {
        let Some((vectors, query_vector)) = semantic else {
            return Ok(None);
        };
        let allowed = index.allowed(query, filters)?;
        Ok(Some(vectors.nearest(query_vector, depth, allowed.as_ref(), None)?))
    };
    let keyword = |depth: usize| index.top_by_relevance(query, filters, depth);
    match mode {
        Mode::Keyword => keyword(depth),
        Mode::Semantic => match by_meaning(depth)? {
            Some(hits) => Ok(hits),
            None => keyword(depth),
        },
        Mode::Hybrid => {
            let lists = depth.max(FUSION_DEPTH);
            // The two rankings side by side, on two cores: a hybrid answer waits for the
            // slower of the two, not for both.
            let (words, meanings) = std::thread::scope(|scope| {
                let meanings = scope.spawn(|| by_meaning(lists));
                let words = keyword(lists);
                (words, meanings.join().expect("the ranking by meaning panicked"))
            });
            let (words, meanings) = (words?, meanings?);
            let Some(meanings) = meanings else {
                return Ok(words.into_iter().take(depth).collect());
            };
            let mut fused = fusion.fuse(&words, &meanings);
            fused.truncate(depth);
            Ok(fused)
        }
    }
}
