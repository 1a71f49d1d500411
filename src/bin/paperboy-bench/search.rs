//! `paperboy-bench search`: index build time and size, query latency, and embedding throughput
//! over a listings file, with tantivy's plain query parser as the keyword baseline measured in
//! the same run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use paperboy_core::SearchDocument;
use paperboy_embed::{Embedder, paper_text};
use paperboy_search::{Filters, Mode, Sort, parse};
use paperboy_store::{SqliteStore, Store};

use paperboy::search::{Search, SearchRequest};

/// Latencies in milliseconds: (p50, p99, mean).
pub(crate) fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64 * 1e3;
    (at(0.5), at(0.99), mean)
}

/// The kinds of query measured, as `queries` makes them.
const KINDS: [&str; 4] = ["title words", "author", "phrase + word", "abstract opening"];

/// Queries people type, made from the papers themselves: title words, an author's surname, a
/// quoted phrase with a word, and the opening of an abstract as a question in one's own words;
/// each with its index in [`KINDS`].
pub(crate) fn queries(documents: &[SearchDocument], count: usize) -> Vec<(usize, String)> {
    let step = (documents.len() / count.max(1)).max(1);
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2)
            .map(str::to_lowercase)
            .collect()
    };
    documents
        .iter()
        .step_by(step)
        .take(count)
        .enumerate()
        .filter_map(|(n, document)| {
            let title = words(&document.title);
            let (kind, query) = match n % 5 {
                0 | 1 => (0, title.iter().take(2 + n % 3).cloned().collect::<Vec<_>>().join(" ")),
                2 => (
                    1,
                    format!("au:{}", document.authors.first()?.split_whitespace().last()?),
                ),
                3 if title.len() >= 3 => (2, format!("\"{} {}\" {}", title[0], title[1], title[2])),
                _ => (
                    3,
                    words(&document.abstract_text)
                        .into_iter()
                        .take(8)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            };
            (!query.trim().is_empty()).then_some((kind, query))
        })
        .collect()
}

pub fn search(
    file: &Path,
    instance: Option<&Path>,
    query_count: usize,
    embed_sample: usize,
    model_dir: Option<PathBuf>,
    write_queries: Option<&Path>,
) -> anyhow::Result<u8> {
    if let Some(instance) = instance {
        // An instance already built (`scripts/bench-scale.sh`): its index is used as it is.
        anyhow::ensure!(instance.is_dir(), "{} is not a data directory", instance.display());
        println!("bench search: the instance in {}", instance.display());
        paperboy::cli::runtime()?.block_on(run(
            instance,
            false,
            query_count,
            embed_sample,
            model_dir,
            write_queries,
        ))?;
        return Ok(0);
    }
    anyhow::ensure!(file.is_file(), "{} is not a file", file.display());
    let executable = crate::paperboy_binary()?;
    let data_dir = std::env::temp_dir().join(format!("paperboy-bench-search-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    println!("bench search: {}", file.display());
    let status = Command::new(&executable)
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("import")
        .arg(file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "the import failed");
    let outcome = paperboy::cli::runtime()?.block_on(run(
        &data_dir,
        true,
        query_count,
        embed_sample,
        model_dir,
        write_queries,
    ));
    let _ = std::fs::remove_dir_all(&data_dir);
    outcome?;
    Ok(0)
}

async fn run(
    data_dir: &Path,
    rebuild: bool,
    query_count: usize,
    embed_sample: usize,
    model_dir: Option<PathBuf>,
    write_queries: Option<&Path>,
) -> anyhow::Result<()> {
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&data_dir.join(paperboy::config::DATABASE_FILE_NAME)).await?);
    let papers = store.stats().await?.papers;
    let index_dir = data_dir.join("search-index");
    let search = Search::open(Arc::clone(&store), &index_dir, None).await?;
    if rebuild {
        let started = Instant::now();
        search.rebuild(&mut |_, _| {}).await?;
        let build = started.elapsed();
        println!(
            "  index     {papers} papers built in {:.1} s ({:.0} papers/s), {:.1} MB on disk",
            build.as_secs_f64(),
            papers as f64 / build.as_secs_f64(),
            search.index_size() as f64 / 1e6
        );
    } else {
        search.catch_up().await?;
        println!(
            "  index     {papers} papers, {:.1} MB on disk",
            search.index_size() as f64 / 1e6
        );
    }

    // Every paper when they all get vectors below; else a sample, enough for the queries, so
    // that millions of papers need not be held in memory.
    let model_dir = model_dir.unwrap_or_else(|| paperboy::search::default_model_dir(data_dir));
    let keep_every = if Embedder::present(&model_dir) {
        1
    } else {
        (papers as usize / (query_count * 20).max(1)).max(1)
    };
    let mut documents = Vec::new();
    let mut after: Option<String> = None;
    let mut seen = 0usize;
    loop {
        let page = store.search_documents_after(after.as_deref(), 5_000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        for document in page {
            if seen.is_multiple_of(keep_every) {
                documents.push(document);
            }
            seen += 1;
        }
    }
    let queries = queries(&documents, query_count);
    if let Some(file) = write_queries {
        let lines: String = queries.iter().map(|(_, text)| format!("{text}\n")).collect();
        std::fs::write(file, lines).with_context(|| format!("while writing {}", file.display()))?;
    }
    let request = |text: &str, mode: Mode| SearchRequest {
        query: parse(text).expect("benchmark queries parse"),
        mode: Some(mode),
        filters: Filters::default(),
        sort: Sort::Relevance,
        offset: 0,
        limit: 20,
    };
    // Warm the page cache and the allocator once, then measure alternately so that both see
    // the same machine.
    for (_, text) in queries.iter().take(50) {
        search.query(request(text, Mode::Keyword)).await?;
        search.baseline_search(text, 20).await?;
    }
    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    let mut by_kind: Vec<(Vec<Duration>, Vec<Duration>)> = vec![Default::default(); KINDS.len()];
    let mut newest_first = Vec::new();
    for (kind, text) in &queries {
        let started = Instant::now();
        search.query(request(text, Mode::Keyword)).await?;
        ours.push(started.elapsed());
        by_kind[*kind].0.push(started.elapsed());
        let started = Instant::now();
        search.baseline_search(&text.replace("au:", ""), 20).await?;
        baseline.push(started.elapsed());
        by_kind[*kind].1.push(started.elapsed());
        let started = Instant::now();
        search
            .query(SearchRequest {
                sort: Sort::New,
                ..request(text, Mode::Keyword)
            })
            .await?;
        newest_first.push(started.elapsed());
    }
    let (p50, p99, mean) = percentiles(ours);
    let (b50, b99, bmean) = percentiles(baseline);
    println!(
        "  keyword   {} queries: p50 {p50:.2} ms  p99 {p99:.2} ms  mean {mean:.2} ms",
        queries.len()
    );
    println!("  baseline  tantivy's query parser, same queries: p50 {b50:.2} ms  p99 {b99:.2} ms  mean {bmean:.2} ms");
    println!(
        "  ratio     keyword / baseline: p50 {:.2}×  p99 {:.2}×",
        p50 / b50.max(1e-9),
        p99 / b99.max(1e-9)
    );
    for (kind, (ours, baseline)) in KINDS.iter().zip(by_kind) {
        if ours.is_empty() {
            continue;
        }
        let count = ours.len();
        let ((p50, p99, _), (b50, b99, _)) = (percentiles(ours), percentiles(baseline));
        println!(
            "    {kind:<17} {count:>4} queries: p50 {p50:.2} ms  p99 {p99:.2} ms; baseline p50 {b50:.2} ms  p99 {b99:.2} ms"
        );
    }
    let (p50, p99, mean) = percentiles(newest_first);
    println!("  newest    same queries sorted by date: p50 {p50:.2} ms  p99 {p99:.2} ms  mean {mean:.2} ms");
    // A paper page's similar papers, by shared words (the vectors come later, when there is a model).
    let mut similar = Vec::new();
    for document in documents
        .iter()
        .step_by((documents.len() / query_count.max(1)).max(1))
        .take(query_count)
    {
        let started = Instant::now();
        search.similar(&document.id, 6).await?;
        similar.push(started.elapsed());
    }
    let (p50, p99, mean) = percentiles(similar);
    println!("  similar   papers sharing telling words: p50 {p50:.2} ms  p99 {p99:.2} ms  mean {mean:.2} ms");

    if !Embedder::present(&model_dir) {
        println!(
            "  semantic  skipped: no model in {} (scripts/fetch-model.sh; --model-dir)",
            model_dir.display()
        );
        return Ok(());
    }
    let embedder = Embedder::load(&model_dir)?;
    let sample: Vec<String> = documents
        .iter()
        .step_by((documents.len() / embed_sample.max(1)).max(1))
        .take(embed_sample)
        .map(|d| paper_text(&d.title, &d.abstract_text))
        .collect();
    let refs: Vec<&str> = sample.iter().map(String::as_str).collect();
    let started = Instant::now();
    let real = embedder.embed(&refs)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  embedding {} papers in {seconds:.1} s: {:.1} papers/s (all {papers}: about {:.1} h on this machine)",
        real.len(),
        real.len() as f64 / seconds,
        papers as f64 / (real.len() as f64 / seconds) / 3600.0
    );

    // Embedding every paper here takes hours, and a scan costs the same whatever the vectors
    // hold, so the papers outside the sample get random unit vectors: the latencies below are
    // real, the rankings are not meaningful.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut random_unit = || -> Vec<f32> {
        let mut v: Vec<f32> = (0..embedder.dimensions())
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        v
    };
    let sampled: std::collections::HashSet<usize> = (0..documents.len())
        .step_by((documents.len() / embed_sample.max(1)).max(1))
        .take(embed_sample)
        .collect();
    let mut real = real.into_iter();
    let mut vectors = Vec::with_capacity(documents.len());
    for (n, document) in documents.iter().enumerate() {
        let vector = if sampled.contains(&n) {
            real.next().unwrap_or_else(&mut random_unit)
        } else {
            random_unit()
        };
        vectors.push((document.id.clone(), vector));
    }
    for chunk in vectors.chunks(5_000) {
        store.save_embeddings(embedder.name(), chunk, 0).await?;
    }
    drop(search);
    let search = Search::open(
        Arc::clone(&store),
        &index_dir,
        Some((model_dir.as_path(), paperboy_embed::ModelKind::Minilm)),
    )
    .await?;
    search.follow_embeddings().await?;
    for (_, text) in queries.iter().take(20) {
        search.query(request(text, Mode::Hybrid)).await?;
    }
    let mut embedding_only = Vec::new();
    for (_, text) in &queries {
        let free_text = parse(text).expect("benchmark queries parse").free_text();
        let started = Instant::now();
        embedder.embed_one(&free_text)?;
        embedding_only.push(started.elapsed());
    }
    let (p50, p99, mean) = percentiles(embedding_only);
    println!("  query embedding alone: p50 {p50:.2} ms  p99 {p99:.2} ms  mean {mean:.2} ms");
    for mode in [Mode::Semantic, Mode::Hybrid] {
        let (p50, p99, mean) = time_queries(&search, &queries, mode, 20).await?;
        println!(
            "  {:<9} {} queries over {papers} vectors, query embedding included: p50 {p50:.2} ms  p99 {p99:.2} ms  mean {mean:.2} ms",
            mode.as_str(),
            queries.len()
        );
    }
    Ok(())
}

/// Each query through the service in `mode`, a page of `limit`: (p50, p99, mean) in ms.
pub(crate) async fn time_queries(
    search: &Search,
    queries: &[(usize, String)],
    mode: Mode,
    limit: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let mut samples = Vec::new();
    for (_, text) in queries {
        let request = SearchRequest {
            query: parse(text).expect("benchmark queries parse"),
            mode: Some(mode),
            filters: Filters::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit,
        };
        let started = Instant::now();
        search.query(request).await?;
        samples.push(started.elapsed());
    }
    Ok(percentiles(samples))
}
