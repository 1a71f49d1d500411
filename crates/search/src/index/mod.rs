//! The full-text index: a tantivy index of [`SearchDocument`]s, a cache of the database.
//!
//! Each commit records, as its payload, the schema version and how far into the database's
//! change log it has indexed, so a restarted process knows where to resume and an index built
//! by an older version is rebuilt rather than misread.

use std::collections::HashSet;
use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;

use paperboy_core::{ArxivId, Date, SearchDocument};
use serde::{Deserialize, Serialize};
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, DisjunctionMaxQuery, EmptyQuery, MoreLikeThisQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, OwnedValue, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::analysis::{self, CATEGORY, NAMES, PROSE};
use crate::highlight::Highlighter;
use crate::query::{Node, ParsedQuery, Scope};
use crate::ranking;

/// Bumped whenever the schema or the analysis changes: an index with another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 2;
/// How keyword matches in different fields add up. The service uses the default; `paperboy eval
/// beir --title-boost --tie-breaker` tries others (the README has the numbers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeywordWeights {
    /// A title match counts this many times an abstract match. SciFact (train) prefers 1.0: its
    /// claims paraphrase abstracts; people searching papers type titles, so titles keep an edge.
    pub title_boost: f32,
    /// A word's score is its best field's plus this share of the other fields'; 1.0 sums them.
    pub tie_breaker: f32,
}

impl Default for KeywordWeights {
    fn default() -> Self {
        KeywordWeights {
            title_boost: 1.2,
            tie_breaker: 0.3,
        }
    }
}
/// The index writer's memory per indexing thread: a segment is written when it is full.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// A built index is split into segments for several search threads only when each would hold
/// at least about this many papers (a guess, not measured: with fewer, most searches take a few
/// milliseconds on one thread anyway).
const DOCUMENTS_WORTH_A_THREAD: u64 = 250_000;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index directory {dir}: {reason}")]
    Directory { dir: String, reason: String },
}

/// Where a committed index stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub schema: u32,
    /// The last change-log entry whose paper is indexed.
    pub position: i64,
    /// False until a full build has finished: an incomplete index is built again.
    pub complete: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    New,
    Votes,
}

/// Restrictions from the search form rather than the query text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// Any of these categories (or archives, like "cs").
    pub categories: Vec<String>,
    pub from: Option<Date>,
    pub until: Option<Date>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty() && self.from.is_none() && self.until.is_none()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub id: String,
    pub score: f32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HitPage {
    pub hits: Vec<Hit>,
    /// All matches, not just this page (for a pruned ranking, counted up to [`COUNT_LIMIT`]).
    pub total: usize,
    /// False when there are more than `total` (counting stopped at the limit).
    pub total_is_exact: bool,
}

/// Matches of a ranking by relevance that skips most of them are counted up to this many: a
/// person reads no further (results go 1,000 deep), and counting all of a common word's matches
/// among millions of papers would cost more than finding the best.
pub const COUNT_LIMIT: usize = 10_000;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    abstract_text: Field,
    authors: Field,
    categories: Field,
    listed: Field,
    votes: Field,
    /// [`ArxivId::issue_order`]: the last sort key of every ranking, so that papers that tie
    /// come out in the same order whatever order they were indexed in (newest first).
    issued: Field,
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    weights: KeywordWeights,
    /// The last committed checkpoint, kept so that asking for it reads no file.
    committed: Mutex<Checkpoint>,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |analyzer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        id: builder.add_text_field("id", STRING | FAST),
        title: builder.add_text_field("title", text(PROSE)),
        abstract_text: builder.add_text_field("abstract", text(PROSE)),
        authors: builder.add_text_field("authors", text(NAMES)),
        categories: builder.add_text_field(
            "categories",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(CATEGORY)
                    .set_index_option(IndexRecordOption::Basic),
            ),
        ),
        listed: builder.add_i64_field("listed", INDEXED | FAST),
        votes: builder.add_i64_field("votes", FAST),
        issued: builder.add_u64_field(ranking::ISSUE_ORDER, FAST),
    };
    (builder.build(), fields)
}

/// The last sort key of every ranking: among equals, the paper arXiv issued last comes first.
fn newest_first() -> (SortByStaticFastValue<u64>, Order) {
    (SortByStaticFastValue::for_field(ranking::ISSUE_ORDER), Order::Desc)
}

/// A date as a sortable number: 2026-02-13 is 20260213.
fn date_number(date: Date) -> i64 {
    i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if there is none. An index of another schema version
    /// is emptied (its checkpoint then says position 0 and the caller rebuilds).
    pub fn open(dir: &Path) -> Result<SearchIndex, IndexError> {
        let directory_error = |reason: String| IndexError::Directory {
            dir: dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| directory_error(e.to_string()))?;
        let directory = MmapDirectory::open(dir).map_err(|e| directory_error(e.to_string()))?;
        let (schema, _) = schema();
        let index = Index::open_or_create(directory, schema.clone());
        let index = match index {
            Ok(index) => index,
            // A schema from another version of Paperboy: start again, it is only a cache.
            Err(tantivy::TantivyError::SchemaError(_)) => {
                std::fs::remove_dir_all(dir).map_err(|e| directory_error(e.to_string()))?;
                std::fs::create_dir_all(dir).map_err(|e| directory_error(e.to_string()))?;
                let directory = MmapDirectory::open(dir).map_err(|e| directory_error(e.to_string()))?;
                Index::create(directory, schema, Default::default())?
            }
            Err(error) => return Err(error.into()),
        };
        SearchIndex::wrap(index)
    }

    /// An index in memory: for evaluations and tests.
    pub fn in_memory() -> Result<SearchIndex, IndexError> {
        SearchIndex::in_memory_weighted(KeywordWeights::default())
    }

    /// An index in memory that ranks keyword matches with `weights`: for evaluations.
    pub fn in_memory_weighted(weights: KeywordWeights) -> Result<SearchIndex, IndexError> {
        let mut index = SearchIndex::wrap(Index::create_in_ram(schema().0))?;
        index.weights = weights;
        Ok(index)
    }

    fn wrap(mut index: Index) -> Result<SearchIndex, IndexError> {
        analysis::register(index.tokenizers());
        // One search thread per core: a ranking shares the segments out among them.
        index.set_default_multithread_executor()?;
        let (_, fields) = schema();
        // An indexing thread per core, each with its budget: a rebuild is mostly tokenising.
        // Which thread takes which paper varies from run to run, and so does the order of the
        // documents; rankings end with the issue order, so no result depends on it.
        let indexing_threads = ranking::search_threads(&index);
        let writer = index.writer_with_num_threads(indexing_threads, indexing_threads * WRITER_MEMORY)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        // The checkpoint on disk; an incomplete one for a new index, one whose build was cut
        // short, or one of another schema version: all must be built again.
        let committed = index
            .load_metas()?
            .payload
            .and_then(|payload| serde_json::from_str::<Checkpoint>(&payload).ok())
            .filter(|checkpoint| checkpoint.schema == SCHEMA_VERSION)
            .unwrap_or_default();
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            weights: KeywordWeights::default(),
            committed: Mutex::new(committed),
        })
    }

    /// The committed checkpoint (from memory: this process is the index's only writer).
    pub fn checkpoint(&self) -> Checkpoint {
        *self.committed.lock().expect("the checkpoint lock is never poisoned")
    }

    /// Writes `documents` (replacing earlier versions; hidden ones are removed) and commits
    /// them with `position` as the new checkpoint, or as part of an unfinished build when
    /// `None`. Safe to repeat: a crash before the commit leaves the previous checkpoint, and the
    /// same changes are applied again.
    pub fn apply(
        &self,
        documents: &[SearchDocument],
        removed: &[String],
        position: Option<i64>,
    ) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().expect("the index writer lock is never poisoned");
        for document in documents {
            writer.delete_term(Term::from_field_text(self.fields.id, &document.id));
            if !document.hidden {
                writer.add_document(self.document(document))?;
            }
        }
        for id in removed {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
        }
        let checkpoint = Checkpoint {
            schema: SCHEMA_VERSION,
            position: position.unwrap_or(0),
            complete: position.is_some(),
        };
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&serde_json::to_string(&checkpoint).expect("a checkpoint serialises"));
        commit.commit()?;
        *self.committed.lock().expect("the checkpoint lock is never poisoned") = checkpoint;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Removes every document and marks the index incomplete: the first step of a rebuild,
    /// which then adds papers with [`SearchIndex::add_to_build`] and ends with
    /// [`SearchIndex::finish_build`]. Segments are not merged until then.
    pub fn clear(&self) -> Result<(), IndexError> {
        let writer = self.writer.lock().expect("the index writer lock is never poisoned");
        writer.set_merge_policy(Box::new(NoMergePolicy));
        writer.delete_all_documents()?;
        drop(writer);
        self.apply(&[], &[], None)
    }

    /// Adds papers to a build under way without committing them: a commit per batch made a
    /// segment per batch, merged again and again. Until the build is finished nothing added is
    /// searchable or survives a crash; the index still says it is incomplete, so a crashed
    /// build starts again.
    pub fn add_to_build(&self, documents: &[SearchDocument]) -> Result<(), IndexError> {
        let writer = self.writer.lock().expect("the index writer lock is never poisoned");
        for document in documents.iter().filter(|document| !document.hidden) {
            writer.add_document(self.document(document))?;
        }
        Ok(())
    }

    /// Commits a build as complete up to change-log `position`, then merges its segments once,
    /// into one per search thread of about equal size so that searches share them out evenly
    /// (a small index into one), and merges as usual again from then on.
    pub fn finish_build(&self, position: i64) -> Result<(), IndexError> {
        self.apply(&[], &[], Some(position))?;
        // Segment ids only: a segment's files are kept while anything holds its metadata.
        let groups = {
            let metas = self.index.searchable_segment_metas()?;
            let documents: u64 = metas.iter().map(|meta| u64::from(meta.max_doc())).sum();
            let parts = ranking::search_threads(&self.index).min(1 + (documents / DOCUMENTS_WORTH_A_THREAD) as usize);
            ranking::balanced(metas.iter().map(|meta| (u64::from(meta.max_doc()), meta.id())), parts)
        };
        let mut writer = self.writer.lock().expect("the index writer lock is never poisoned");
        let merges: Vec<_> = groups
            .iter()
            .filter(|group| group.len() > 1)
            .map(|group| writer.merge(group))
            .collect();
        for merge in merges {
            merge.wait()?;
        }
        writer.set_merge_policy(Box::new(LogMergePolicy::default()));
        // The merged segments' files go once no searcher reads them.
        self.reader.reload()?;
        writer.garbage_collect_files().wait()?;
        Ok(())
    }

    fn document(&self, paper: &SearchDocument) -> TantivyDocument {
        let f = self.fields;
        let mut document = TantivyDocument::new();
        document.add_text(f.id, &paper.id);
        document.add_text(f.title, &paper.title);
        document.add_text(f.abstract_text, &paper.abstract_text);
        for author in &paper.authors {
            for form in analysis::name_forms(author) {
                document.add_text(f.authors, form);
            }
        }
        let mut categories: Vec<&str> = Vec::new();
        for category in &paper.categories {
            categories.push(category);
            categories.extend(analysis::archive(category));
        }
        categories.sort_unstable();
        categories.dedup();
        for category in categories {
            document.add_text(f.categories, category);
        }
        document.add_i64(f.listed, paper.first_listed.map_or(0, date_number));
        document.add_i64(f.votes, paper.votes);
        // Ids in the database are canonical; one that is not would only lose its ties.
        let issued = ArxivId::parse(&paper.id).map_or(0, |id| id.issue_order());
        document.add_u64(f.issued, issued);
        document
    }

    /// Documents in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the index takes on disk (0 in memory).
    pub fn size_on_disk(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// One page of the papers that match `query` and `filters`, in `sort` order.
    pub fn search(
        &self,
        query: &ParsedQuery,
        filters: &Filters,
        sort: Sort,
        offset: usize,
        limit: usize,
    ) -> Result<HitPage, IndexError> {
        let searcher = self.reader.searcher();
        let compiled = self.compile(query, filters, true);
        let limit = limit.max(1);
        let top = TopDocs::with_limit(limit).and_offset(offset);
        // A pruned ranking skips most matches, so counting them is a pass of its own, and stops
        // at the limit. Every other way visits each match anyway and counts them all as it goes.
        let (addresses, total, total_is_exact): (Vec<(f32, DocAddress)>, usize, bool) =
            match (sort, self.best_fields(query, filters)) {
                (Sort::Relevance, Some(words)) => {
                    let best = ranking::top_k_best_fields(&searcher, &words, offset + limit)?;
                    let (total, exact) = ranking::count_up_to(&searcher, &*compiled, COUNT_LIMIT)?;
                    (best.into_iter().skip(offset).collect(), total, exact)
                }
                (Sort::Relevance, None) => {
                    let by_score = top.order_by((SortBySimilarityScore, newest_first()));
                    let (best, total) = searcher.search(&*compiled, &(by_score, Count))?;
                    let best = best.into_iter().map(|((score, _), address)| (score, address)).collect();
                    (best, total, true)
                }
                (Sort::New | Sort::Votes, _) => {
                    let field = if sort == Sort::New { "listed" } else { "votes" };
                    let by_field = (SortByStaticFastValue::<i64>::for_field(field), Order::Desc);
                    let (best, total) =
                        searcher.search(&*compiled, &(top.order_by((by_field, newest_first())), Count))?;
                    let best = best
                        .into_iter()
                        .map(|((value, _), address)| (value.unwrap_or(0) as f32, address))
                        .collect();
                    (best, total, true)
                }
            };
        let hits = self.ids(&searcher, addresses)?;
        Ok(HitPage {
            hits,
            total,
            total_is_exact,
        })
    }

    /// The ids of every paper the restricting parts of `query` (prefixes, exclusions, operators)
    /// and `filters` allow; `None` when nothing restricts. Semantic search ranks only these.
    pub fn allowed(&self, query: &ParsedQuery, filters: &Filters) -> Result<Option<HashSet<String>>, IndexError> {
        if !query.restricts() && filters.is_empty() {
            return Ok(None);
        }
        let searcher = self.reader.searcher();
        let query = self.compile(query, filters, false);
        let addresses = searcher.search(&*query, &DocSetCollector)?;
        let hits = self.ids(&searcher, addresses.into_iter().map(|a| (0.0, a)).collect())?;
        Ok(Some(hits.into_iter().map(|hit| hit.id).collect()))
    }

    /// Papers that share the most telling words with this one (when there are no embeddings).
    pub fn more_like_this(&self, paper: &SearchDocument, limit: usize) -> Result<Vec<Hit>, IndexError> {
        let f = self.fields;
        let like = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(2)
            .with_min_term_frequency(1)
            .with_max_query_terms(30)
            .with_min_word_length(3)
            .with_document_fields(vec![
                (f.title, vec![OwnedValue::Str(paper.title.clone())]),
                (f.abstract_text, vec![OwnedValue::Str(paper.abstract_text.clone())]),
            ]);
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(like) as Box<dyn Query>),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.id, &paper.id),
                    IndexRecordOption::Basic,
                )),
            ),
        ]);
        let searcher = self.reader.searcher();
        let by_score = TopDocs::with_limit(limit.max(1)).order_by((SortBySimilarityScore, newest_first()));
        let addresses = searcher.search(&query, &by_score)?;
        let addresses = addresses
            .into_iter()
            .map(|((score, _), address)| (score, address))
            .collect();
        self.ids(&searcher, addresses)
    }

    /// The benchmark's baseline: `text` through tantivy's own query parser over title and
    /// abstract, top `limit` by score — what tantivy does with no query language, author
    /// matching or filters of ours. Not used to serve searches.
    pub fn baseline_search(&self, text: &str, limit: usize) -> Result<usize, IndexError> {
        let parser =
            tantivy::query::QueryParser::for_index(&self.index, vec![self.fields.title, self.fields.abstract_text]);
        let (query, _) = parser.parse_query_lenient(text);
        let searcher = self.reader.searcher();
        Ok(searcher
            .search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?
            .len())
    }

    /// Marks what `query` matched in a title (whole) and an abstract (the best excerpt).
    pub fn highlighter(&self, query: &ParsedQuery) -> Result<Highlighter, IndexError> {
        let searcher = self.reader.searcher();
        let compiled = self.compile(query, &Filters::default(), true);
        let mut title = SnippetGenerator::create(&searcher, &*compiled, self.fields.title)?;
        title.set_max_num_chars(1_000);
        let mut abstract_text = SnippetGenerator::create(&searcher, &*compiled, self.fields.abstract_text)?;
        abstract_text.set_max_num_chars(320);
        Ok(Highlighter::new(title, abstract_text))
    }

    fn ids(&self, searcher: &Searcher, addresses: Vec<(f32, DocAddress)>) -> Result<Vec<Hit>, IndexError> {
        let mut columns = Vec::new();
        for segment in searcher.segment_readers() {
            columns.push(segment.fast_fields().str("id")?);
        }
        let mut hits = Vec::with_capacity(addresses.len());
        let mut id = String::new();
        for (score, address) in addresses {
            let Some(column) = &columns[address.segment_ord as usize] else {
                continue;
            };
            if let Some(ordinal) = column.term_ords(address.doc_id).next() {
                id.clear();
                column.ord_to_str(ordinal, &mut id)?;
                hits.push(Hit { id: id.clone(), score });
            }
        }
        Ok(hits)
    }

    /// The tantivy query for a parsed query plus filters. Without `rank`, plain words and
    /// phrases are left out: what remains is what restricts.
    fn compile(&self, query: &ParsedQuery, filters: &Filters, rank: bool) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = self.node(&query.root, rank) {
            clauses.push((Occur::Must, text));
        }
        if !filters.categories.is_empty() {
            let any: Vec<(Occur, Box<dyn Query>)> = filters
                .categories
                .iter()
                .map(|c| (Occur::Should, self.category(c)))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if filters.from.is_some() || filters.until.is_some() {
            let bound = |date: Option<Date>| match date {
                Some(date) => Bound::Included(Term::from_field_i64(self.fields.listed, date_number(date))),
                None => Bound::Unbounded,
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(filters.from), bound(filters.until))),
            ));
        }
        match clauses.len() {
            0 => Box::new(AllQuery),
            1 if clauses[0].0 == Occur::Must => clauses.remove(0).1,
            _ => Box::new(BooleanQuery::new(clauses)),
        }
    }

    /// A query of plain words only, with no filters, as [`ranking`] scores it: each word's
    /// field terms, so that the ranking's top papers are found without scoring every match.
    /// `None` for any other query (and for a hyphenated word, which is a phrase).
    fn best_fields(&self, query: &ParsedQuery, filters: &Filters) -> Option<ranking::BestFields> {
        let Node::Sequence(clauses) = &query.root else {
            return None;
        };
        if !filters.is_empty() {
            return None;
        }
        let mut words = Vec::new();
        for clause in clauses {
            let Node::Match {
                scope: Scope::Anywhere,
                text,
                phrase: false,
            } = clause
            else {
                return None;
            };
            let mut fields = Vec::new();
            for (analysed, boost) in self.anywhere(text, false) {
                if !matches!(analysed, FieldText::Term(_)) {
                    return None;
                }
                fields.push(boosted(analysed.query(), boost));
            }
            // A stop word matches nothing; the ranking's query leaves it out too.
            if !fields.is_empty() {
                words.push(fields);
            }
        }
        (!words.is_empty()).then_some(ranking::BestFields {
            words,
            tie_breaker: self.weights.tie_breaker,
        })
    }

    /// `None` when the node matches no restriction at all (a stop word, or plain text when not
    /// ranking): it then neither requires nor excludes anything.
    fn node(&self, node: &Node, rank: bool) -> Option<Box<dyn Query>> {
        match node {
            Node::Match {
                scope: Scope::Anywhere, ..
            } if !rank => None,
            Node::Match { scope, text, phrase } => self.matching(*scope, text, *phrase),
            Node::Not(inner) => {
                // Kept even when not ranking: an exclusion restricts.
                let inner = self.node(inner, true)?;
                Some(Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery)),
                    (Occur::MustNot, inner),
                ])))
            }
            Node::And(parts) => {
                let parts: Vec<_> = parts
                    .iter()
                    .filter_map(|p| self.node(p, true))
                    .map(|q| (Occur::Must, q))
                    .collect();
                (!parts.is_empty()).then(|| Box::new(BooleanQuery::new(parts)) as Box<dyn Query>)
            }
            Node::Or(options) => {
                let options: Vec<_> = options
                    .iter()
                    .filter_map(|p| self.node(p, true))
                    .map(|q| (Occur::Should, q))
                    .collect();
                (!options.is_empty()).then(|| Box::new(BooleanQuery::new(options)) as Box<dyn Query>)
            }
            Node::Sequence(clauses) => {
                let mut words = Vec::new();
                let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for clause in clauses {
                    match clause {
                        Node::Not(inner) => {
                            if let Some(inner) = self.node(inner, true) {
                                parts.push((Occur::MustNot, inner));
                            }
                        }
                        word if word.is_plain_word() => words.extend(self.node(word, rank)),
                        other => parts.extend(self.node(other, rank).map(|q| (Occur::Must, q))),
                    }
                }
                if !words.is_empty() {
                    let any = words.into_iter().map(|q| (Occur::Should, q)).collect();
                    parts.push((Occur::Must, Box::new(BooleanQuery::new(any))));
                }
                if parts.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    if parts.is_empty() {
                        return None;
                    }
                    parts.push((Occur::Must, Box::new(AllQuery)));
                }
                Some(Box::new(BooleanQuery::new(parts)))
            }
        }
    }

    /// A word or phrase in a scope, analysed as that scope's fields analyse text.
    fn matching(&self, scope: Scope, text: &str, phrase: bool) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let options: Vec<Box<dyn Query>> = match scope {
            Scope::Category => return Some(self.category(text)),
            Scope::Authors => analysis::name_forms(text)
                .iter()
                .filter_map(|form| self.analysed(f.authors, form))
                .map(FieldText::query)
                .collect(),
            Scope::Title => self.analysed(f.title, text).map(FieldText::query).into_iter().collect(),
            Scope::Abstract => self
                .analysed(f.abstract_text, text)
                .map(FieldText::query)
                .into_iter()
                .collect(),
            Scope::Anywhere => {
                let mut options: Vec<Box<dyn Query>> = self
                    .anywhere(text, phrase)
                    .into_iter()
                    .map(|(analysed, boost)| boosted(analysed.query(), boost))
                    .collect();
                // The best field counts in full, the others a little: a word found in both title
                // and abstract is not worth twice a word found in one.
                return match options.len() {
                    0 => None,
                    1 => options.pop(),
                    _ => Some(Box::new(DisjunctionMaxQuery::with_tie_breaker(
                        options,
                        self.weights.tie_breaker,
                    ))),
                };
            }
        };
        match options.len() {
            0 => None,
            1 => options.into_iter().next(),
            _ => Some(Box::new(BooleanQuery::new(
                options.into_iter().map(|q| (Occur::Should, q)).collect(),
            ))),
        }
    }

    /// Where a word or phrase typed without a prefix is looked for, and each field's weight:
    /// the title (boosted), the abstract, and the authors — a phrase of several words may be a
    /// name, a plain word may be a surname. Fields where analysis leaves nothing are left out.
    fn anywhere(&self, text: &str, phrase: bool) -> Vec<(FieldText, f32)> {
        let f = self.fields;
        let names = if phrase {
            analysis::name_forms(text)
        } else {
            vec![text.to_string()]
        };
        let mut options = Vec::new();
        options.extend(self.analysed(f.title, text).map(|t| (t, self.weights.title_boost)));
        options.extend(self.analysed(f.abstract_text, text).map(|t| (t, 1.0)));
        options.extend(
            names
                .iter()
                .filter_map(|form| self.analysed(f.authors, form))
                .map(|t| (t, 1.0)),
        );
        options
    }

    /// `text` as one field's analysis reads it; `None` when nothing is left (a stop word).
    fn analysed(&self, field: Field, text: &str) -> Option<FieldText> {
        let mut analyzer = self.index.tokenizer_for_field(field).ok()?;
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            let token = stream.token();
            terms.push((token.position, Term::from_field_text(field, &token.text)));
        }
        match terms.len() {
            0 => None,
            1 => Some(FieldText::Term(terms.remove(0).1)),
            _ => {
                let first = terms[0].0;
                Some(FieldText::Phrase(
                    terms.into_iter().map(|(p, t)| (p - first, t)).collect(),
                ))
            }
        }
    }

    fn category(&self, text: &str) -> Box<dyn Query> {
        let text = text.trim().to_lowercase();
        if text.is_empty() {
            return Box::new(EmptyQuery);
        }
        Box::new(TermQuery::new(
            Term::from_field_text(self.fields.categories, &text),
            IndexRecordOption::Basic,
        ))
    }
}

/// A word or phrase in one field after analysis: one term, or several (words joined by hyphens
/// or quoted) that must stand together.
enum FieldText {
    Term(Term),
    Phrase(Vec<(usize, Term)>),
}

impl FieldText {
    fn query(self) -> Box<dyn Query> {
        match self {
            FieldText::Term(term) => Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            FieldText::Phrase(terms) => Box::new(PhraseQuery::new_with_offset(terms)),
        }
    }
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if boost == 1.0 {
        query
    } else {
        Box::new(BoostQuery::new(query, boost))
    }
}

mod top;

#[cfg(test)]
mod tests;
