//! `paperboy reindex`, `paperboy embed` and `paperboy eval beir`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use paperboy_embed::{Embedder, ModelKind};
use paperboy_search::{Fusion, KeywordWeights, Mode};
use sha2::Digest as _;

use crate::cli::{Context, init_logging, runtime};
use crate::config::{Config, DataDir};
use crate::search::beir::{Dataset, Prepared};
use crate::search::{Search, default_model_dir};

fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)"
        ))
        .expect("a valid template"),
    );
    bar
}

pub fn model_dir(context: &Context, config: &Config) -> PathBuf {
    config
        .search
        .model_dir
        .clone()
        .unwrap_or_else(|| default_model_dir(&context.data_dir))
}

/// Rebuilds the full-text index from the database.
pub fn reindex(context: &Context) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    runtime()?.block_on(async {
        let store = context.open_store().await?;
        let data_dir = DataDir::create(context.data_dir.clone())?;
        let search = Search::open(store, &data_dir.search_index(), None).await?;
        let started = Instant::now();
        let progress = bar(0, "papers");
        let papers = search
            .rebuild(&mut |done, total| {
                progress.set_length(total);
                progress.set_position(done);
            })
            .await?;
        progress.finish_and_clear();
        println!(
            "indexed {papers} papers in {:.1} s; the index takes {:.1} MB",
            started.elapsed().as_secs_f64(),
            search.index_size() as f64 / 1e6
        );
        anyhow::Ok(())
    })?;
    Ok(0)
}

/// Embeds every paper that has no embedding yet.
pub fn embed(context: &Context, limit: Option<usize>) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    let model_dir = model_dir(context, &config);
    let kind = config.search.embedding_model;
    if !Embedder::present_kind(&model_dir, kind) {
        anyhow::bail!(
            "{}",
            Embedder::load_kind(&model_dir, kind)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        );
    }
    runtime()?.block_on(async {
        let store = context.open_store().await?;
        // The embeddings go to the database only: a running server may hold the index.
        let search = Search::in_memory_with_model(store.clone(), &model_dir, kind).await?;
        let model = search.embedder().expect("loaded").name().to_string();
        let (papers, embedded) = store.embedding_coverage(&model).await?;
        let missing = (papers - embedded) as usize;
        let todo = limit.map_or(missing, |limit| limit.min(missing));
        let progress = bar(todo as u64, "papers");
        let started = Instant::now();
        let done = search
            .embed_missing(todo, &mut |done| progress.set_position(done as u64))
            .await?;
        progress.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "embedded {done} papers in {seconds:.1} s ({:.1} papers/s); {} of {papers} papers have an embedding",
            done as f64 / seconds.max(1e-9),
            embedded as usize + done
        );
        anyhow::Ok(())
    })?;
    Ok(0)
}

/// Where `paperboy model distill` finds the abstracts its static model learns from.
pub struct Learning {
    /// A JSON-lines file of papers with `title` and `abstract` (gzip or not); the demo sample
    /// inside the binary when `None`.
    pub from: Option<PathBuf>,
    /// At most this many of its papers, from the start.
    pub texts: usize,
}

/// Distills the static model from the transformer in the model directory, teaches it the
/// transformer's vectors of real abstracts unless `learning` is `None`, and writes it beside the
/// transformer; prints how long it took and the SHA-256 of the vectors (the same files give the
/// same hash).
pub fn distill(context: &Context, dimensions: usize, sif: f64, learning: Option<Learning>) -> anyhow::Result<u8> {
    let config = context.config()?;
    let model_dir = model_dir(context, &config);
    let started = Instant::now();
    let embedder = Embedder::load(&model_dir)?;
    let progress = bar(0, "tokens");
    let mut model = paperboy_embed::distill(&embedder, dimensions, sif, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })?;
    progress.finish_and_clear();
    if let Some(learning) = learning {
        let mut texts = Vec::new();
        let mut tokens = Vec::new();
        for text in learning_texts(&learning)? {
            let (start, ids) = model.cut(&text, paperboy_embed::LEARN_TOKENS)?;
            texts.push(start.to_owned());
            tokens.push(ids);
        }
        let teacher = teacher_vectors(&embedder, &model_dir, &texts)?;
        let report = model.learn(
            &tokens,
            &teacher,
            paperboy_embed::LearnOptions::default(),
            &mut |epoch, loss| {
                eprintln!("epoch {epoch}: validation loss {loss:.6}");
            },
        );
        println!(
            "learned from {} abstracts in {} epochs: validation loss {:.6} (targets' spread {:.6})",
            report.texts, report.epochs, report.validation_loss, report.initial_validation_loss
        );
    }
    model.save(&model_dir)?;
    let vectors = std::fs::read(model_dir.join(paperboy_embed::STATIC_VECTORS))?;
    let hash: String = sha2::Sha256::digest(&vectors)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!(
        "distilled {} into {} dimensions in {:.1} s: {} ({:.1} MB, sha256 {hash})",
        embedder.name(),
        model.dimensions(),
        started.elapsed().as_secs_f64(),
        model_dir.join(paperboy_embed::STATIC_VECTORS).display(),
        vectors.len() as f64 / 1e6
    );
    Ok(0)
}

/// The texts (title and abstract) of the first `learning.texts` papers of its source.
fn learning_texts(learning: &Learning) -> anyhow::Result<Vec<String>> {
    use std::io::BufRead;
    #[derive(serde::Deserialize)]
    struct Paper {
        #[serde(default)]
        title: String,
        // `text` as BEIR's corpora call it.
        #[serde(rename = "abstract", alias = "text")]
        abstract_text: String,
    }
    let (name, raw): (String, Box<dyn std::io::Read + Send>) = match &learning.from {
        Some(path) => (
            path.display().to_string(),
            Box::new(std::fs::File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?),
        ),
        None => {
            let listings = crate::demo::sample_sources().remove(0);
            let crate::import::Source::Embedded { bytes, .. } = listings else {
                unreachable!("the demo sample is inside the binary")
            };
            (listings.name(), Box::new(bytes))
        }
    };
    let reader = std::io::BufReader::new(paperboy_ingest::decompressed(raw)?);
    let mut texts = Vec::new();
    for (number, line) in reader.lines().enumerate() {
        if texts.len() == learning.texts {
            break;
        }
        let line = line?;
        let paper: Paper = serde_json::from_str(&line).map_err(|e| {
            anyhow::anyhow!(
                "{name}, line {}: not a paper with a title and an abstract: {e}",
                number + 1
            )
        })?;
        texts.push(paperboy_embed::paper_text(&paper.title, &paper.abstract_text));
    }
    anyhow::ensure!(
        texts.len() >= 20,
        "{name}: {} papers are too few to learn from",
        texts.len()
    );
    Ok(texts)
}

/// The transformer's vectors of `texts`, kept in the model directory under a name made of the
/// transformer's weights and the texts: embedding thousands of abstracts takes it minutes.
fn teacher_vectors(embedder: &Embedder, model_dir: &Path, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
    let mut digest = sha2::Sha256::new();
    digest.update(std::fs::read(model_dir.join("model.safetensors"))?);
    for text in texts {
        digest.update([0]);
        digest.update(text);
    }
    let key: String = digest.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect();
    let cache = model_dir.join(format!("static-teacher-{key}.f32"));
    let width = embedder.dimensions();
    if let Ok(bytes) = std::fs::read(&cache)
        && bytes.len() == texts.len() * width * 4
    {
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        return Ok(values.chunks(width).map(<[f32]>::to_vec).collect());
    }
    let progress = bar(texts.len() as u64, "abstracts through the transformer");
    let mut vectors = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(64) {
        let batch: Vec<&str> = chunk.iter().map(String::as_str).collect();
        vectors.extend(embedder.embed(&batch)?);
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    let bytes: Vec<u8> = vectors.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
    let partial = cache.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, &cache)?;
    Ok(vectors)
}

/// Evaluates retrieval on a BEIR dataset and prints nDCG@10, Recall@100 and MRR@10.
#[allow(clippy::too_many_arguments)] // one per command-line option
pub fn eval_beir(
    context: &Context,
    dir: &Path,
    qrels: Option<&Path>,
    mode: Option<Mode>,
    fusion: Option<Fusion>,
    weights: KeywordWeights,
    kind: ModelKind,
    as_json: bool,
) -> anyhow::Result<u8> {
    let config = context.config()?;
    let model_present = Embedder::present_kind(&model_dir(context, &config), kind);
    let mode = mode.unwrap_or(if model_present { Mode::Hybrid } else { Mode::Keyword });
    let dataset = Dataset::read(dir, qrels)?;
    let embedder = if mode == Mode::Keyword {
        None
    } else {
        Some(Embedder::load_kind(&model_dir(context, &config), kind)?)
    };
    let started = Instant::now();
    let progress = bar(dataset.documents.len() as u64, "documents embedded");
    if embedder.is_none() || as_json {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let cache_dir = context.data_dir.join("eval-cache");
    let prepared = Prepared::build(&dataset, embedder.as_ref(), weights, &cache_dir, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })?;
    progress.finish_and_clear();
    let built = started.elapsed();
    let report = prepared.evaluate(&dataset, mode, fusion.unwrap_or(crate::search::fusion_for(kind)))?;
    if as_json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{} on {} ({} queries)", mode.as_str(), dir.display(), report.queries);
        println!("nDCG@10     {:.4}", report.ndcg_at_10);
        println!("Recall@100  {:.4}", report.recall_at_100);
        println!("MRR@10      {:.4}", report.mrr_at_10);
        println!(
            "indexed {} documents in {:.1} s, ranked in {:.1} s",
            dataset.documents.len(),
            built.as_secs_f64(),
            (started.elapsed() - built).as_secs_f64()
        );
    }
    Ok(0)
}
