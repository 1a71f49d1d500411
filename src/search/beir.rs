//! `paperboy eval beir`: retrieval quality on any BEIR-format dataset, measured with the
//! service's own analysis, index, embeddings and ranking ([`paperboy_search::retrieve`]).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use paperboy_core::SearchDocument;
use paperboy_embed::{Embedder, paper_text};
use paperboy_search::metrics::{Judgments, mrr_at, ndcg_at, recall_at};
use paperboy_search::{Filters, Fusion, KeywordWeights, Mode, ParsedQuery, SearchIndex, VectorIndex, retrieve};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Serialize)]
pub struct BeirReport {
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: f64,
    #[serde(rename = "recall@100")]
    pub recall_at_100: f64,
    #[serde(rename = "mrr@10")]
    pub mrr_at_10: f64,
    pub queries: usize,
}

#[derive(Deserialize)]
struct CorpusLine {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    text: String,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

/// A dataset read from its directory: `corpus.jsonl`, `queries.jsonl` and a qrels file.
pub struct Dataset {
    pub documents: Vec<SearchDocument>,
    /// Only the queries that have judgments, in file order.
    pub queries: Vec<(String, String)>,
    pub judgments: HashMap<String, Judgments>,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", path.display(), number + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).with_context(|| format!("{}: line {}", path.display(), number + 1))?);
    }
    Ok(out)
}

/// The judgments file: `--qrels`, else `qrels/test.tsv`, else the only file in `qrels/`.
fn qrels_path(dir: &Path, qrels: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = qrels {
        return Ok(path.to_path_buf());
    }
    let test = dir.join("qrels").join("test.tsv");
    if test.is_file() {
        return Ok(test);
    }
    let available: Vec<PathBuf> = std::fs::read_dir(dir.join("qrels"))
        .with_context(|| {
            format!(
                "{} has no qrels directory; name a judgments file with --qrels",
                dir.display()
            )
        })?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "tsv"))
        .collect();
    match available.as_slice() {
        [only] => Ok(only.clone()),
        _ => bail!(
            "{} has no qrels/test.tsv; choose one of {:?} with --qrels",
            dir.display(),
            available.iter().map(|p| p.display().to_string()).collect::<Vec<_>>()
        ),
    }
}

impl Dataset {
    /// Names the corpus's content, for caches.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        for document in &self.documents {
            for part in [&document.id, &document.title, &document.abstract_text] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
        }
        hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    pub fn read(dir: &Path, qrels: Option<&Path>) -> anyhow::Result<Dataset> {
        let qrels = qrels_path(dir, qrels)?;
        let mut judgments: HashMap<String, Judgments> = HashMap::new();
        let text = std::fs::read_to_string(&qrels).with_context(|| format!("cannot read {}", qrels.display()))?;
        for (number, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            if number == 0 && fields.first() == Some(&"query-id") || line.trim().is_empty() {
                continue;
            }
            let [query, document, grade] = fields.as_slice() else {
                bail!(
                    "{}: line {}: expected query-id, corpus-id and score separated by tabs",
                    qrels.display(),
                    number + 1
                );
            };
            let grade: i64 = grade
                .trim()
                .parse()
                .with_context(|| format!("{}: line {}: score {grade:?}", qrels.display(), number + 1))?;
            judgments
                .entry(query.to_string())
                .or_default()
                .insert(document.to_string(), grade.max(0) as u32);
        }
        let documents = read_jsonl::<CorpusLine>(&dir.join("corpus.jsonl"))?
            .into_iter()
            .map(|line| SearchDocument {
                id: line.id,
                title: line.title,
                abstract_text: line.text,
                authors: Vec::new(),
                categories: Vec::new(),
                first_listed: None,
                votes: 0,
                hidden: false,
            })
            .collect();
        let queries = read_jsonl::<QueryLine>(&dir.join("queries.jsonl"))?
            .into_iter()
            .filter(|q| judgments.contains_key(&q.id))
            .map(|q| (q.id, q.text))
            .collect::<Vec<_>>();
        if queries.is_empty() {
            bail!(
                "no query in {} has a judgment in {}",
                dir.join("queries.jsonl").display(),
                qrels.display()
            );
        }
        Ok(Dataset {
            documents,
            queries,
            judgments,
        })
    }
}

/// Embeddings cached by an earlier run, if they are there and whole.
fn read_cache(path: &Path, count: usize, dimensions: usize) -> Option<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() != count * dimensions * 4 {
        return None;
    }
    let floats: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Some(floats.chunks_exact(dimensions).map(<[f32]>::to_vec).collect())
}

/// Best effort: a cache that cannot be written only costs time next run.
fn write_cache(path: &Path, vectors: &[Vec<f32>]) {
    let bytes: Vec<u8> = vectors.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
    let partial = path.with_extension("part");
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&partial, bytes))
        .and_then(|()| std::fs::rename(&partial, path));
    if let Err(error) = written {
        tracing::warn!(%error, path = %path.display(), "could not cache the corpus embeddings");
    }
}

/// A dataset indexed for evaluation: the keyword index, and the document vectors when a model
/// is given. Built once, then ranked with any mode and fusion.
pub struct Prepared {
    index: SearchIndex,
    vectors: Option<(VectorIndex, Vec<Vec<f32>>)>,
}

impl Prepared {
    /// Indexes the corpus and, with a model, embeds it. Document embeddings are kept in
    /// `cache_dir` (keyed by the corpus's and the model's identity), since embedding a corpus on
    /// a CPU takes minutes and ranking it takes a second.
    pub fn build(
        dataset: &Dataset,
        embedder: Option<&Embedder>,
        weights: KeywordWeights,
        cache_dir: &Path,
        progress: &mut dyn FnMut(usize, usize),
    ) -> anyhow::Result<Prepared> {
        let index = SearchIndex::in_memory_weighted(weights)?;
        index.apply(&dataset.documents, &[], Some(1))?;
        let vectors = match embedder {
            None => None,
            Some(embedder) => {
                let mut vectors = VectorIndex::new(embedder.dimensions());
                let cache = cache_dir.join(format!("{}-{}.f32", embedder.name(), dataset.fingerprint()));
                let mut cached = read_cache(&cache, dataset.documents.len(), embedder.dimensions());
                if cached.is_none() {
                    let total = dataset.documents.len();
                    let mut all = Vec::with_capacity(total);
                    for (n, chunk) in dataset.documents.chunks(256).enumerate() {
                        let texts: Vec<String> = chunk.iter().map(|d| paper_text(&d.title, &d.abstract_text)).collect();
                        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                        all.extend(embedder.embed(&refs)?);
                        progress((n * 256 + chunk.len()).min(total), total);
                    }
                    write_cache(&cache, &all);
                    cached = Some(all);
                }
                for (document, vector) in dataset.documents.iter().zip(cached.unwrap_or_default()) {
                    vectors.insert(&document.id, &vector);
                }
                let texts: Vec<&str> = dataset.queries.iter().map(|(_, text)| text.as_str()).collect();
                let query_vectors = embedder.embed(&texts)?;
                Some((vectors, query_vectors))
            }
        };
        Ok(Prepared { index, vectors })
    }

    pub fn evaluate(&self, dataset: &Dataset, mode: Mode, fusion: Fusion) -> anyhow::Result<BeirReport> {
        if mode != Mode::Keyword && self.vectors.is_none() {
            bail!(
                "{} ranking needs the embedding model (scripts/fetch-model.sh)",
                mode.as_str()
            );
        }
        let (mut ndcg, mut recall, mut mrr) = (0.0, 0.0, 0.0);
        for (n, (query_id, text)) in dataset.queries.iter().enumerate() {
            let query = ParsedQuery::plain_text(text);
            let semantic = self
                .vectors
                .as_ref()
                .map(|(documents, queries)| (documents, queries[n].as_slice()));
            let hits = retrieve(&self.index, semantic, &query, &Filters::default(), mode, fusion, 100)?;
            // As BEIR does: a document never counts as an answer to itself.
            let ranked: Vec<String> = hits.into_iter().map(|h| h.id).filter(|id| id != query_id).collect();
            let judged = &dataset.judgments[query_id];
            ndcg += ndcg_at(&ranked, judged, 10);
            recall += recall_at(&ranked, judged, 100);
            mrr += mrr_at(&ranked, judged, 10);
        }
        let count = dataset.queries.len() as f64;
        Ok(BeirReport {
            ndcg_at_10: ndcg / count,
            recall_at_100: recall / count,
            mrr_at_10: mrr / count,
            queries: dataset.queries.len(),
        })
    }
}
