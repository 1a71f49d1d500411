//! `paperboy-bench vectors`: the vector file of an instance whose papers are embedded — how long
//! the server takes to build it from the database and how big it is, then, for queries made
//! from the papers, the approximate neighbours against an exact scan of the stored f32 vectors
//! measured in the same run (recall@100, p50/p99), unfiltered and with the filters search uses,
//! for several numbers of lists read; and hybrid search through the service.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paperboy::cli::Context;
use paperboy::search::{Search, vectors_dir_for};
use paperboy_core::SearchDocument;
use paperboy_embed::{Embedder, ModelKind};
use paperboy_search::vectors::{CANDIDATES_PER_HIT, ExactVectors, Reading, VectorFile, file::path_for, ivf};
use paperboy_search::{Filters, Hit, Mode, SearchIndex, VectorIndex, parse};

use crate::search::{percentiles, queries, time_queries};

/// Neighbours compared, as hybrid search asks for them.
const DEPTH: usize = 100;

/// What `bench vectors` measures.
pub struct Measure<'a> {
    /// How many queries.
    pub queries: usize,
    /// Where to write them, one per line (for HTTP load tests).
    pub write_queries: Option<&'a Path>,
    /// Whether to compare neighbours from the file with an exact scan.
    pub neighbours: bool,
}

pub fn vectors(context: &Context, model_dir: &Path, kind: ModelKind, measure: Measure) -> anyhow::Result<u8> {
    paperboy::cli::runtime()?.block_on(run(context, model_dir, kind, measure))?;
    Ok(0)
}

async fn run(context: &Context, model_dir: &Path, kind: ModelKind, measure: Measure<'_>) -> anyhow::Result<()> {
    let store = context.open_store().await?;
    let index_dir = context.data_dir.join("search-index");
    let embedder = Embedder::load_kind(model_dir, kind)?;
    let (name, dimensions) = (embedder.name().to_owned(), embedder.dimensions());

    let search = Search::open(Arc::clone(&store), &index_dir, Some((model_dir, kind))).await?;
    let started = Instant::now();
    let papers = search.build_vector_file().await?;
    let build = started.elapsed().as_secs_f64();
    let path = path_for(&vectors_dir_for(&index_dir), &name);
    let file = Arc::new(VectorFile::open(&path, &name, dimensions)?);
    println!(
        "bench vectors: {name}, {papers} papers\n  file      built from the database in {build:.1} s: {:.1} MB, {} lists ({} read a query by default)",
        file.size_on_disk() as f64 / 1e6,
        file.lists(),
        ivf::lists_to_probe(file.lists())
    );

    drop(search);

    let documents = store.search_documents_after(None, 200_000).await?;
    let made = queries(&documents, measure.queries);
    if let Some(path) = measure.write_queries {
        let lines: Vec<&str> = made.iter().map(|(_, text)| text.as_str()).collect();
        std::fs::write(path, lines.join("\n") + "\n")?;
    }
    if measure.neighbours {
        let embedder = &embedder;
        neighbours(&store, &index_dir, &name, embedder, &file, &documents, &made).await?;
    }

    // Hybrid's keyword half is a top 100 without a count, not keyword search's top 10 with one.
    let index = SearchIndex::open(&index_dir)?;
    let mut times = Vec::new();
    for (_, text) in &made {
        let query = parse(text).expect("benchmark queries parse");
        let started = Instant::now();
        index.top_by_relevance(&query, &Filters::default(), paperboy_search::FUSION_DEPTH)?;
        times.push(started.elapsed());
    }
    drop(index);
    let (p50, p99, mean) = percentiles(times);
    println!(
        "  keyword top {} alone (hybrid's keyword half): p50 {p50:.2} ms  p99 {p99:.2} ms  mean {mean:.2} ms",
        paperboy_search::FUSION_DEPTH
    );

    // Search as the service runs it: the query embedded, keywords, the file, fusion; keyword
    // and semantic alone show where hybrid's time goes.
    let search = Search::open(Arc::clone(&store), &index_dir, Some((model_dir, kind))).await?;
    search.follow_embeddings().await?;
    time_queries(&search, &made[..made.len().min(20)], Mode::Hybrid, 10).await?;
    for mode in [Mode::Keyword, Mode::Semantic, Mode::Hybrid] {
        let (p50, p99, mean) = time_queries(&search, &made, mode, 10).await?;
        println!(
            "  {:<9} {} queries through the service: p50 {p50:.2} ms  p99 {p99:.2} ms  mean {mean:.2} ms",
            mode.as_str(),
            made.len()
        );
    }
    Ok(())
}

/// Neighbours from the file against an exact scan of the stored f32 vectors, for several ways
/// of reading the file, unfiltered and with the filters search uses.
async fn neighbours(
    store: &Arc<dyn paperboy_store::Store>,
    index_dir: &Path,
    name: &str,
    embedder: &Embedder,
    file: &Arc<VectorFile>,
    documents: &[SearchDocument],
    made: &[(usize, String)],
) -> anyhow::Result<()> {
    let (dimensions, papers) = (embedder.dimensions(), file.len());
    // The stored vectors as they are, for the exact scan.
    let mut exact = ExactVectors::new(dimensions);
    let mut after = 0;
    loop {
        let batch = store.embeddings_after(name, after, 10_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for stored in &batch {
            exact.insert(&stored.paper_id, &stored.vector);
        }
    }
    let mut embedded = Vec::new();
    for (_, text) in made {
        let free_text = parse(text).expect("benchmark queries parse").free_text();
        if !free_text.trim().is_empty() {
            embedded.push(embedder.embed_one(&free_text)?);
        }
    }
    let index = SearchIndex::open(index_dir)?;
    let month = documents
        .iter()
        .filter_map(|d| d.first_listed)
        .max()
        .ok_or_else(|| anyhow::anyhow!("the instance has no listed papers"))?;
    let filters = [
        ("none", None),
        (
            "cs.CV",
            index.allowed(
                &parse("")?,
                &Filters {
                    categories: vec!["cs.CV".into()],
                    ..Filters::default()
                },
            )?,
        ),
        (
            "cs.CV, last 30 days",
            index.allowed(
                &parse("")?,
                &Filters {
                    categories: vec!["cs.CV".into()],
                    from: Some(month.saturating_sub(jiff::Span::new().days(30))),
                    until: Some(month),
                },
            )?,
        ),
    ];
    drop(index);

    let hit_ids = |hits: Vec<Hit>| hits.into_iter().map(|h| h.id).collect::<HashSet<_>>();
    let mut approximate = VectorIndex::with_file(dimensions, Arc::clone(file));
    for (label, allowed) in &filters {
        let allowed = allowed.as_ref();
        let accept = |id: &str| allowed.is_none_or(|a| a.contains(id));
        let mut truth = Vec::new();
        let mut exact_times = Vec::new();
        for query in &embedded {
            let started = Instant::now();
            truth.push(hit_ids(exact.nearest(query, DEPTH, &accept)));
            exact_times.push(started.elapsed());
        }
        let (p50, p99, _) = percentiles(exact_times);
        println!(
            "  filter {label} ({} papers): exact scan of f32 vectors p50 {p50:.2} ms  p99 {p99:.2} ms",
            allowed.map_or(papers, HashSet::len)
        );
        // Every row's int8 codes read for every query: what quantisation alone costs.
        let mut whole = Vec::new();
        let mut times = Vec::<Duration>::new();
        for query in &embedded {
            let started = Instant::now();
            whole.push(hit_ids(file.nearest_exact(query, DEPTH, &accept)));
            times.push(started.elapsed());
        }
        let found: usize = whole
            .iter()
            .zip(&truth)
            .map(|(hits, truth)| hits.intersection(truth).count())
            .sum();
        let wanted: usize = truth.iter().map(HashSet::len).sum();
        let (p50, p99, _) = percentiles(times);
        println!(
            "    int8 codes of every paper: recall@{DEPTH} {:.3} against f32  p50 {p50:.2} ms  p99 {p99:.2} ms",
            found as f64 / wanted.max(1) as f64
        );
        let default = Reading {
            lists: ivf::lists_to_probe(file.lists()),
            candidates_per_hit: CANDIDATES_PER_HIT,
        };
        let lists = file.lists();
        let mut readings: Vec<Reading> = [lists / 12, lists / 6, lists / 4, lists / 3, default.lists, lists]
            .into_iter()
            .filter(|&l| l >= 1 && l <= lists)
            .map(|lists| Reading { lists, ..default })
            .collect();
        readings.sort_by_key(|r| r.lists);
        readings.dedup_by_key(|r| r.lists);
        readings.extend([2, 4, 16, 32].into_iter().map(|candidates_per_hit| Reading {
            candidates_per_hit,
            ..default
        }));
        for reading in readings {
            approximate.set_reading(Some(reading));
            let (mut found, mut found_in_file, mut wanted) = (0usize, 0usize, 0usize);
            let mut times = Vec::<Duration>::new();
            for ((query, truth), whole) in embedded.iter().zip(&truth).zip(&whole) {
                let started = Instant::now();
                let hits = hit_ids(approximate.nearest(query, DEPTH, allowed, None)?);
                times.push(started.elapsed());
                found += hits.intersection(truth).count();
                found_in_file += hits.intersection(whole).count();
                wanted += truth.len();
            }
            let (p50, p99, _) = percentiles(times);
            let is_default = reading.lists == default.lists && reading.candidates_per_hit == default.candidates_per_hit;
            println!(
                "    {:>5} lists, {:>2} candidates a hit: recall@{DEPTH} {:.3} against f32 ({:.3} against int8 codes)  p50 {p50:.2} ms  p99 {p99:.2} ms{}",
                reading.lists,
                reading.candidates_per_hit,
                found as f64 / wanted.max(1) as f64,
                found_in_file as f64 / wanted.max(1) as f64,
                if is_default { "  (default)" } else { "" }
            );
        }
    }
    Ok(())
}
