//! The top of a ranking without a count, for hybrid search to fuse.

use tantivy::collector::TopDocs;
use tantivy::collector::sort_key::SortBySimilarityScore;

use super::{Filters, Hit, IndexError, SearchIndex, newest_first};
use crate::query::ParsedQuery;
use crate::ranking;

impl SearchIndex {
    /// The best `depth` matches by relevance, as [`search`](Self::search) ranks them, without
    /// counting the matches: what hybrid search fuses, where no total is shown.
    pub fn top_by_relevance(
        &self,
        query: &ParsedQuery,
        filters: &Filters,
        depth: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let searcher = self.reader.searcher();
        let depth = depth.max(1);
        let addresses = match self.best_fields(query, filters) {
            Some(words) => ranking::top_k_best_fields(&searcher, &words, depth)?,
            None => {
                let compiled = self.compile(query, filters, true);
                let by_score = TopDocs::with_limit(depth).order_by((SortBySimilarityScore, newest_first()));
                searcher
                    .search(&*compiled, &by_score)?
                    .into_iter()
                    .map(|((score, _), address)| (score, address))
                    .collect()
            }
        };
        self.ids(&searcher, addresses)
    }
}
