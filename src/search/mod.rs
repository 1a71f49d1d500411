//! Search as the service runs it: the full-text index kept up to date from the database's change
//! log, embeddings made in the background and kept in a vector file (with the newest in memory),
//! and the query path that ranks by keyword, meaning, or both.
//!
//! The index and the vector file are caches: delete them and they are rebuilt from the database.

pub mod beir;
mod embeddings;

use embeddings::{EmbedSweep, Standby};

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use paperboy_embed::{Embedder, ModelKind};
use paperboy_search::{
    DEFAULT_FUSION, Filters, Hit, IndexError, Mode, ParsedQuery, QueryError, SearchIndex, Sort, VectorIndex, retrieve,
};
use paperboy_store::Store;

/// Opens the index on disk for writing, which one process at a time may do: a running server
/// keeps it up to date by itself, and other subcommands that need it say so.
pub async fn open_index(index_dir: &Path) -> anyhow::Result<SearchIndex> {
    let dir = index_dir.to_path_buf();
    tokio::task::spawn_blocking(move || SearchIndex::open(&dir))
        .await?
        .map_err(|error| match error {
            IndexError::Tantivy(tantivy_error) if tantivy_error.to_string().contains("Lock") => anyhow::anyhow!(
                "the search index in {} is in use by another paperboy process (a running server keeps it up to date \
                 by itself; stop it first)",
                index_dir.display()
            ),
            other => other.into(),
        })
}

/// Changes read from the log per index commit.
const INDEX_BATCH: u32 = 1_000;
/// Papers read from the database at a time while rebuilding.
const REBUILD_BATCH: u32 = 2_000;
/// How often the background tasks look for new work when there was none.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Change-log entries older than this are pruned; an index further behind is rebuilt.
const LOG_RETENTION_SECONDS: i64 = 7 * 24 * 3600;
/// Where the vector files live beside an index directory.
pub fn vectors_dir_for(index_dir: &Path) -> PathBuf {
    index_dir.with_file_name("search-vectors")
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{0}")]
    Query(#[from] QueryError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("embedding the query failed: {0}")]
    Embed(#[from] paperboy_embed::EmbedError),
    #[error("the search task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What a search asks for.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub query: ParsedQuery,
    /// Keyword, semantic or hybrid; `None` is the best available.
    pub mode: Option<Mode>,
    pub filters: Filters,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

/// What a search found: a page of ids in order, and how it was ranked.
#[derive(Clone, Debug)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// All matches for keyword ranking (counted up to [`paperboy_search::COUNT_LIMIT`]); the
    /// ranked candidates for semantic and hybrid.
    pub total: usize,
    /// False when there are more matches than `total`.
    pub total_is_exact: bool,
    pub mode: Mode,
    /// Set when the mode asked for could not be used (no model yet), in words for the page.
    pub notice: Option<String>,
}

/// How far the index and the embeddings have come.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SearchStatus {
    pub indexed: u64,
    pub behind: i64,
    pub semantic: bool,
    pub embedded: usize,
    /// Papers whose vector is read from the vector file (the rest are newer, in memory).
    pub in_vector_file: usize,
    /// The model that embeds papers and queries, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// After a switch of model, the previous one, which answers by meaning until `model` has
    /// embedded every paper.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_model: Option<String>,
}

pub struct Search {
    store: Arc<dyn Store>,
    index: Arc<SearchIndex>,
    index_dir: Option<PathBuf>,
    /// Where the vector file is kept; `None` keeps every vector in memory (tests, `embed`).
    vectors_dir: Option<PathBuf>,
    vectors: Arc<RwLock<VectorIndex>>,
    embedder: Option<Arc<Embedder>>,
    /// The last embedding (by its `seq`) loaded into `vectors`.
    followed: AtomicI64,
    sweep: std::sync::Mutex<EmbedSweep>,
    /// The previous model, answering by meaning while this one re-embeds after a switch.
    standby: RwLock<Option<Arc<Standby>>>,
    /// One permit a core: searches beyond it wait their turn without a thread, instead of
    /// thirty CPU-bound searches sharing two cores with everything else (votes timed out
    /// after 10 s while wrk read search pages at 2.8 M papers).
    running: tokio::sync::Semaphore,
    /// Similar papers found lately, by paper and how many: a paper page rendered again after a
    /// vote does not search again (a third of a second of CPU at 2.8 M papers).
    similar_found: std::sync::Mutex<HashMap<(String, usize), FoundSimilar>>,
}

/// Similar papers, and when they were found.
type FoundSimilar = (std::time::Instant, Vec<String>);

/// How long similar papers found are offered before they are looked for again: a paper new
/// since then joins its neighbours' lists this late at most.
const SIMILAR_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(600);

/// Papers whose similar papers are kept; past it, all are forgotten.
const SIMILAR_KEPT: usize = 10_000;

/// Searches that run at once: the cores this process may use.
fn searches_at_once() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// How hybrid search weighs a model's vectors against keywords.
pub fn fusion_for(kind: ModelKind) -> paperboy_search::Fusion {
    match kind {
        ModelKind::Minilm => DEFAULT_FUSION,
        ModelKind::Static => paperboy_search::STATIC_MODEL_FUSION,
    }
}

/// Where the model's files are looked for by default.
pub fn default_model_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models").join(paperboy_embed::MODEL_NAME)
}

impl Search {
    /// Opens the index in `index_dir` and, when `model` names a directory holding a model of
    /// that kind, loads it and the stored embeddings. Without a model, search is keyword-only.
    pub async fn open(
        store: Arc<dyn Store>,
        index_dir: &Path,
        model: Option<(&Path, ModelKind)>,
    ) -> anyhow::Result<Search> {
        let index = open_index(index_dir).await?;
        let embedder = match model {
            Some((dir, kind)) if Embedder::present_kind(dir, kind) => {
                let dir = dir.to_path_buf();
                let embedder = tokio::task::spawn_blocking(move || Embedder::load_kind(&dir, kind)).await??;
                Some(Arc::new(embedder))
            }
            _ => None,
        };
        let mut search = Search::assemble(store, index, Some(index_dir.to_path_buf()), embedder);
        search.vectors_dir = Some(vectors_dir_for(index_dir));
        if let Some((model_dir, _)) = model {
            search.open_vector_file(model_dir).await;
        }
        Ok(search)
    }

    /// A search over an index in memory with the model in `model_dir`: for `paperboy embed`,
    /// which writes embeddings to the database while a server may hold the index on disk.
    pub async fn in_memory_with_model(
        store: Arc<dyn Store>,
        model_dir: &Path,
        kind: ModelKind,
    ) -> anyhow::Result<Search> {
        let dir = model_dir.to_path_buf();
        let embedder = tokio::task::spawn_blocking(move || Embedder::load_kind(&dir, kind)).await??;
        Ok(Search::assemble(
            store,
            SearchIndex::in_memory()?,
            None,
            Some(Arc::new(embedder)),
        ))
    }

    fn assemble(
        store: Arc<dyn Store>,
        index: SearchIndex,
        index_dir: Option<PathBuf>,
        embedder: Option<Arc<Embedder>>,
    ) -> Search {
        let dimensions = embedder.as_ref().map_or(0, |e| e.dimensions());
        Search {
            store,
            index: Arc::new(index),
            index_dir,
            vectors_dir: None,
            vectors: Arc::new(RwLock::new(VectorIndex::new(dimensions))),
            embedder,
            followed: AtomicI64::new(0),
            sweep: Default::default(),
            standby: RwLock::new(None),
            running: tokio::sync::Semaphore::new(searches_at_once()),
            similar_found: Default::default(),
        }
    }

    pub fn semantic_available(&self) -> bool {
        self.embedder.is_some()
    }

    pub fn embedder(&self) -> Option<&Embedder> {
        self.embedder.as_deref()
    }

    pub async fn status(&self) -> anyhow::Result<SearchStatus> {
        let newest = self.store.search_log_bounds().await?.newest;
        let checkpoint = self.index.checkpoint();
        Ok(SearchStatus {
            indexed: self.index.len(),
            behind: if checkpoint.complete {
                newest - checkpoint.position
            } else {
                newest.max(1)
            },
            semantic: self.semantic_available(),
            embedded: self.vectors.read().expect("vector lock").len(),
            in_vector_file: self.vectors.read().expect("vector lock").file().map_or(0, |f| f.len()),
            model: self.embedder.as_ref().map(|e| e.name().to_owned()),
            previous_model: self.standby_model(),
        })
    }

    /// Papers with an embedding loaded, and papers in the index: from memory, for pages that
    /// say how far search by meaning has come.
    pub fn embedding_progress(&self) -> (usize, u64) {
        let embedded = self
            .serving()
            .map_or(0, |(_, vectors)| vectors.read().expect("vector lock").len());
        (embedded, self.index.len())
    }

    /// Bytes the index takes on disk.
    pub fn index_size(&self) -> u64 {
        self.index_dir.as_deref().map_or(0, SearchIndex::size_on_disk)
    }

    /// Brings the index up to date with the database: follows the change log from the index's
    /// checkpoint, or rebuilds when the index is new, half-built, of an older schema, or so far
    /// behind that the log no longer reaches back to it. Returns the papers written.
    pub async fn catch_up(&self) -> anyhow::Result<u64> {
        let checkpoint = self.index.checkpoint();
        let bounds = self.store.search_log_bounds().await?;
        if !checkpoint.complete || bounds.oldest > checkpoint.position + 1 {
            return self.rebuild(&mut |_, _| {}).await;
        }
        self.follow_log(checkpoint.position).await
    }

    /// Applies the change log after `position` to the index.
    async fn follow_log(&self, mut position: i64) -> anyhow::Result<u64> {
        let mut written = 0;
        loop {
            let changes = self.store.search_changes_after(position, INDEX_BATCH).await?;
            let Some(last) = changes.last() else { break };
            let last = last.seq;
            let ids: Vec<String> = changes
                .into_iter()
                .map(|c| c.paper_id)
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let documents = self.store.search_documents(&ids).await?;
            let present: HashSet<&str> = documents.iter().map(|d| d.id.as_str()).collect();
            let removed: Vec<String> = ids
                .iter()
                .filter(|id| !present.contains(id.as_str()))
                .cloned()
                .collect();
            written += documents.len() as u64;
            if !removed.is_empty() {
                let mut vectors = self.vectors.write().expect("vector lock");
                for id in &removed {
                    vectors.remove(id);
                }
            }
            let index = Arc::clone(&self.index);
            tokio::task::spawn_blocking(move || index.apply(&documents, &removed, Some(last))).await??;
            position = last;
        }
        Ok(written)
    }

    /// Empties the index and fills it again from the database; `progress(done, total)`.
    pub async fn rebuild(&self, progress: &mut (dyn FnMut(u64, u64) + Send)) -> anyhow::Result<u64> {
        // Changes after this point are followed by the log afterwards; those before are in the walk.
        let start = self.store.search_log_bounds().await?.newest;
        let total = self.store.paper_totals().await?.papers;
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || index.clear()).await??;
        let mut after: Option<String> = None;
        let mut done = 0;
        loop {
            let documents = self
                .store
                .search_documents_after(after.as_deref(), REBUILD_BATCH)
                .await?;
            let Some(last) = documents.last() else { break };
            after = Some(last.id.clone());
            done += documents.len() as u64;
            let index = Arc::clone(&self.index);
            tokio::task::spawn_blocking(move || index.add_to_build(&documents)).await??;
            progress(done, total);
        }
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || index.finish_build(start)).await??;
        tracing::info!(papers = done, "search index rebuilt");
        Ok(done + self.follow_log(start).await?)
    }

    /// Keeps the index and the embeddings up to date for as long as the process runs.
    pub fn run_in_background(self: &Arc<Self>, embed: bool) {
        let search = Arc::clone(self);
        tokio::spawn(async move {
            let mut last_prune = 0;
            loop {
                match search.catch_up().await {
                    Ok(0) => tokio::time::sleep(IDLE_POLL).await,
                    Ok(written) => tracing::debug!(written, "search index caught up"),
                    Err(error) => {
                        tracing::error!(error = format!("{error:#}"), "search indexing failed; retrying");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
                let now = crate::clock::now_seconds();
                if now - last_prune > 3600 {
                    last_prune = now;
                    if let Err(error) = search.store.prune_search_log(now - LOG_RETENTION_SECONDS).await {
                        tracing::warn!(%error, "pruning the search change log failed");
                    }
                }
            }
        });
        self.spawn_embedding(embed, true);
    }

    /// Embeds new papers for as long as the process runs, for a worker that serves no search.
    pub fn embed_in_background(self: &Arc<Self>) {
        self.spawn_embedding(true, false);
    }

    /// With a model: embeds papers that have none (`embed`) and loads new embeddings into
    /// memory (`follow`), whoever wrote them.
    fn spawn_embedding(self: &Arc<Self>, embed: bool, follow: bool) {
        if self.embedder.is_none() {
            return;
        }
        let search = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let work = if embed {
                    // One batch at a time, so the loop also follows others' embeddings.
                    let batch = search.embedder.as_ref().map_or(0, |e| e.batch_hint());
                    search.embed_missing(batch, &mut |_| {}).await
                } else {
                    Ok(0)
                };
                let followed = if follow {
                    let built = if search.vector_file_due() {
                        search.build_vector_file().await.map(|_| ())
                    } else {
                        Ok(())
                    };
                    match built {
                        Ok(()) => match search.follow_embeddings().await {
                            Ok(loaded) => search.retire_standby_once_caught_up().await.map(|()| loaded),
                            Err(error) => Err(error),
                        },
                        Err(error) => Err(error),
                    }
                } else {
                    Ok(0)
                };
                match (work, followed) {
                    (Ok(0), Ok(_)) => tokio::time::sleep(IDLE_POLL * 4).await,
                    (Ok(_), Ok(_)) => {}
                    (Err(error), _) | (_, Err(error)) => {
                        tracing::error!(error = format!("{error:#}"), "embedding papers failed; retrying");
                        tokio::time::sleep(Duration::from_secs(10)).await;
                    }
                }
            }
        });
    }

    /// Runs a search. Semantic and hybrid ranking need the model; without it they fall back to
    /// keyword ranking and say so. Sorting by date or votes uses keyword matching (a ranking by
    /// meaning has no "all matches" to sort).
    pub async fn query(&self, request: SearchRequest) -> Result<SearchResults, SearchError> {
        let available = self.semantic_available();
        let wanted = request
            .mode
            .unwrap_or(if available { Mode::Hybrid } else { Mode::Keyword });
        let mut notice = None;
        let free_text = request.query.free_text();
        let mode = if wanted == Mode::Keyword || request.sort != Sort::Relevance || request.query.is_empty() {
            Mode::Keyword
        } else if !available {
            notice = Some(format!(
                "{} search needs the embedding model, which this instance does not have: these are keyword results.",
                if wanted == Mode::Semantic { "Semantic" } else { "Hybrid" }
            ));
            Mode::Keyword
        } else if free_text.trim().is_empty() {
            Mode::Keyword
        } else {
            wanted
        };
        let index = Arc::clone(&self.index);
        let _turn = self
            .running
            .acquire()
            .await
            .expect("the search semaphore is never closed");
        if mode == Mode::Keyword {
            let page = tokio::task::spawn_blocking(move || {
                index.search(
                    &request.query,
                    &request.filters,
                    request.sort,
                    request.offset,
                    request.limit,
                )
            })
            .await??;
            return Ok(SearchResults {
                hits: page.hits,
                total: page.total,
                total_is_exact: page.total_is_exact,
                mode,
                notice,
            });
        }
        let (embedder, vectors) = self.serving().expect("semantic modes have a model");
        let ranked = tokio::task::spawn_blocking(move || -> Result<Vec<Hit>, SearchError> {
            let query_vector = embedder.embed_one(&free_text)?;
            let fusion = fusion_for(embedder.kind());
            let vectors = vectors.read().expect("vector lock");
            let depth = (request.offset + request.limit).max(paperboy_search::FUSION_DEPTH);
            Ok(retrieve(
                &index,
                Some((&vectors, &query_vector)),
                &request.query,
                &request.filters,
                mode,
                fusion,
                depth,
            )?)
        })
        .await??;
        let total = ranked.len();
        let hits = ranked.into_iter().skip(request.offset).take(request.limit).collect();
        Ok(SearchResults {
            hits,
            total,
            total_is_exact: true,
            mode,
            notice,
        })
    }

    /// Papers like this one: nearest embeddings when there are some, else shared telling words;
    /// found again after [`SIMILAR_KEPT_FOR`].
    pub async fn similar(&self, id: &str, limit: usize) -> anyhow::Result<Vec<String>> {
        let key = (id.to_owned(), limit);
        if let Some((found, ids)) = self.similar_found.lock().expect("similar lock").get(&key)
            && found.elapsed() < SIMILAR_KEPT_FOR
        {
            return Ok(ids.clone());
        }
        let ids = self.find_similar(id, limit).await?;
        let mut kept = self.similar_found.lock().expect("similar lock");
        if kept.len() >= SIMILAR_KEPT {
            kept.clear();
        }
        kept.insert(key, (std::time::Instant::now(), ids.clone()));
        Ok(ids)
    }

    async fn find_similar(&self, id: &str, limit: usize) -> anyhow::Result<Vec<String>> {
        // A scan of every vector takes milliseconds: off the async workers, one a core.
        let _turn = self
            .running
            .acquire()
            .await
            .expect("the search semaphore is never closed");
        let serving = self.serving().map(|(_, vectors)| vectors);
        let paper = id.to_string();
        let neighbours = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            let Some(vectors) = serving else { return Ok(None) };
            let vectors = vectors.read().expect("vector lock");
            let Some(vector) = vectors.vector(&paper)? else {
                return Ok(None);
            };
            Ok(Some(vectors.nearest(&vector, limit, None, Some(&paper))?))
        })
        .await??;
        if let Some(hits) = neighbours {
            return Ok(hits.into_iter().map(|h| h.id).collect());
        }
        let Some(document) = self.store.search_documents(&[id.to_string()]).await?.pop() else {
            return Ok(Vec::new());
        };
        let index = Arc::clone(&self.index);
        let hits = tokio::task::spawn_blocking(move || index.more_like_this(&document, limit)).await??;
        Ok(hits.into_iter().map(|h| h.id).collect())
    }

    /// The benchmark's baseline (see [`SearchIndex::baseline_search`]).
    pub async fn baseline_search(&self, text: &str, limit: usize) -> anyhow::Result<usize> {
        let index = Arc::clone(&self.index);
        let text = text.to_string();
        Ok(tokio::task::spawn_blocking(move || index.baseline_search(&text, limit)).await??)
    }

    /// Marks the query's matches in titles and abstracts.
    pub fn highlighter(&self, query: &ParsedQuery) -> anyhow::Result<paperboy_search::Highlighter> {
        self.index.highlighter(query).context("while preparing highlights")
    }
}

#[cfg(test)]
mod tests {
    use paperboy_core::{ArxivId, Category, Paper};
    use paperboy_search::parse;
    use paperboy_store::SqliteStore;

    use super::*;

    fn paper(id: &str, title: &str, abstract_text: &str, category: &str) -> Paper {
        let mut paper = Paper::new(ArxivId::parse(id).unwrap());
        paper.title = title.into();
        paper.abstract_text = abstract_text.into();
        paper.authors = vec!["Ada Lovelace".into()];
        paper.categories = vec![Category::parse(category).unwrap()];
        paper.primary_category = paper.categories.first().cloned();
        paper
    }

    async fn search_with(embedder: Option<Embedder>) -> Search {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
        store
            .merge_papers(vec![
                paper(
                    "2602.00001",
                    "Graph neural networks",
                    "Message passing on graph data.",
                    "cs.LG",
                ),
                paper(
                    "2602.00002",
                    "Neural networks for graphs",
                    "Graph learning with message passing.",
                    "cs.CV",
                ),
                paper(
                    "2602.00003",
                    "A chocolate cake recipe",
                    "Baking with cocoa and sugar.",
                    "cs.CL",
                ),
            ])
            .await
            .unwrap();
        let search = Search::assemble(store, SearchIndex::in_memory().unwrap(), None, embedder.map(Arc::new));
        search.catch_up().await.unwrap();
        search
    }

    fn request(text: &str, mode: Option<Mode>) -> SearchRequest {
        SearchRequest {
            query: parse(text).unwrap(),
            mode,
            filters: Filters::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit: 10,
        }
    }

    fn ids(results: &SearchResults) -> Vec<&str> {
        results.hits.iter().map(|h| h.id.as_str()).collect()
    }

    const WORDS: &[&str] = &[
        "graph", "neural", "networks", "message", "passing", "cake", "recipe", "baking", "cocoa",
    ];

    #[tokio::test]
    async fn hybrid_search_embeds_new_papers_and_honours_restrictions() {
        let search = search_with(Some(Embedder::tiny(WORDS, 3).unwrap())).await;
        assert_eq!(search.status().await.unwrap().embedded, 0);
        assert_eq!(search.embed_missing(100, &mut |_| {}).await.unwrap(), 3);
        assert_eq!(search.follow_embeddings().await.unwrap(), 3);
        assert_eq!(
            search.embed_missing(100, &mut |_| {}).await.unwrap(),
            0,
            "nothing is embedded twice"
        );

        let hybrid = search.query(request("graph message passing", None)).await.unwrap();
        assert_eq!(hybrid.mode, Mode::Hybrid, "hybrid is the default with a model");
        assert_eq!(
            &ids(&hybrid)[..2].iter().collect::<HashSet<_>>(),
            &["2602.00001", "2602.00002"].iter().collect()
        );

        // Semantic ranking ranks every paper, but only among those a prefix allows.
        let semantic = search
            .query(request("graph cat:cs.CV", Some(Mode::Semantic)))
            .await
            .unwrap();
        assert_eq!(ids(&semantic), ["2602.00002"]);
        let excluded = search
            .query(request("graph -cake", Some(Mode::Semantic)))
            .await
            .unwrap();
        assert!(!ids(&excluded).contains(&"2602.00003"));

        let similar = search.similar("2602.00001", 5).await.unwrap();
        assert_eq!(similar.len(), 2, "every other paper, never itself: {similar:?}");
        assert!(!similar.contains(&"2602.00001".to_string()));
    }

    #[tokio::test]
    async fn without_a_model_search_is_keyword_only_and_says_so() {
        let search = search_with(None).await;
        let results = search.query(request("graph", Some(Mode::Semantic))).await.unwrap();
        assert_eq!(results.mode, Mode::Keyword);
        assert!(results.notice.unwrap().contains("keyword results"));
        assert_eq!(results.total, 2);
        let similar = search.similar("2602.00001", 5).await.unwrap();
        assert_eq!(
            similar,
            ["2602.00002"],
            "shared words find the neighbour without embeddings"
        );
    }
}
