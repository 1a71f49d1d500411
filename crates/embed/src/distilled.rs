//! A static embedding model distilled from the transformer, in the spirit of model2vec: every
//! token of the vocabulary is passed through the encoder once (as `[SEP] token [CLS]`, the order
//! model2vec found better, and the three outputs averaged), the vectors are reduced by PCA, and
//! each is weighted by how rare its token probably is (Zipf's law over the vocabulary's order,
//! then SIF; weights from token counts in the bundled sample's abstracts did worse on SciFact). Embedding a text is then a tokenisation and a weighted mean: no transformer.
//!
//! The model is two files beside the transformer's: `static.safetensors` (one row per token id)
//! and `static.json` (how it was made). Distillation is deterministic: the same files give the
//! same bytes.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use tokenizers::Tokenizer;

use crate::{EmbedError, Embedder};

/// The vectors, one row per token id.
pub const STATIC_VECTORS: &str = "static.safetensors";
/// How they were made.
pub const STATIC_CONFIG: &str = "static.json";
/// The dimensions kept by PCA, model2vec's default.
pub const DEFAULT_DIMENSIONS: usize = 256;
/// The SIF coefficient of the Zipf weighting, model2vec's default (1e-3 and 1e-5 did no better
/// on SciFact: docs/performance.md).
pub const SIF_COEFFICIENT: f64 = 1e-4;
/// Tokens passed through the encoder at once while distilling.
const DISTILL_BATCH: usize = 256;

/// What `static.json` says.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StaticConfig {
    /// The transformer it was distilled from.
    pub source: String,
    pub dimensions: usize,
    /// The weight of a token is `a / (a + p)`, `p` its probability by Zipf's law over the
    /// vocabulary's order and `a` this.
    pub sif_coefficient: f64,
    /// Token ids left out (special and unused tokens): their rows are zero.
    pub skipped_tokens: usize,
    /// How the vectors then learned from the transformer's vectors of whole abstracts, if they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<LearnReport>,
}

/// How a model learns from a corpus.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LearnOptions {
    /// Texts seen per step.
    pub batch: usize,
    pub learning_rate: f64,
    /// Training stops after this many epochs without a better validation loss…
    pub patience: usize,
    /// …or after this many epochs.
    pub max_epochs: usize,
    /// One text in this many is held out to validate on.
    pub validate_every: usize,
}

impl Default for LearnOptions {
    fn default() -> LearnOptions {
        LearnOptions {
            batch: 32,
            learning_rate: 1e-3,
            patience: 3,
            max_epochs: 40,
            validate_every: 10,
        }
    }
}

/// What a run of learning did, for `static.json` and the command's output.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LearnReport {
    pub texts: usize,
    pub epochs: usize,
    /// The best epoch's mean squared error on the held-out texts, and the error before training
    /// (with the head at zero: the spread of the targets).
    pub validation_loss: f64,
    pub initial_validation_loss: f64,
    pub options: LearnOptions,
}

/// A distilled static model: a tokenizer and a vector per token.
pub struct StaticModel {
    pub(crate) tokenizer: Tokenizer,
    pub(crate) vectors: Vec<f32>,
    dimensions: usize,
    pub(crate) config: StaticConfig,
}

impl StaticModel {
    /// Whether `dir` holds a distilled model (and the tokenizer it needs).
    pub fn present(dir: &Path) -> bool {
        [STATIC_VECTORS, STATIC_CONFIG, "tokenizer.json"]
            .iter()
            .all(|file| dir.join(file).is_file())
    }

    pub fn load(dir: &Path) -> Result<StaticModel, EmbedError> {
        for file in [STATIC_VECTORS, STATIC_CONFIG, "tokenizer.json"] {
            if !dir.join(file).is_file() {
                return Err(EmbedError::Load {
                    dir: dir.to_path_buf(),
                    reason: format!("{file} is missing (run `paperboy model distill`)"),
                });
            }
        }
        let fail = |reason: String| EmbedError::Load {
            dir: dir.to_path_buf(),
            reason,
        };
        let config: StaticConfig = serde_json::from_str(
            &std::fs::read_to_string(dir.join(STATIC_CONFIG)).map_err(|e| fail(format!("{STATIC_CONFIG}: {e}")))?,
        )
        .map_err(|e| fail(format!("{STATIC_CONFIG}: {e}")))?;
        let tensors = candle_core::safetensors::load(dir.join(STATIC_VECTORS), &Device::Cpu)
            .map_err(|e| fail(format!("{STATIC_VECTORS}: {e}")))?;
        let table = tensors
            .get("embeddings")
            .ok_or_else(|| fail(format!("{STATIC_VECTORS} holds no `embeddings` tensor")))?;
        let (_, dimensions) = table.dims2().map_err(|e| fail(e.to_string()))?;
        let vectors = table
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| fail(e.to_string()))?;
        let tokenizer =
            Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| fail(format!("tokenizer.json: {e}")))?;
        Ok(StaticModel::new(tokenizer, vectors, dimensions, config))
    }

    fn new(mut tokenizer: Tokenizer, vectors: Vec<f32>, dimensions: usize, config: StaticConfig) -> StaticModel {
        // Whole texts: no padding, no cut (the cost of a token here is an addition).
        tokenizer.with_padding(None);
        let _ = tokenizer.with_truncation(None);
        StaticModel {
            tokenizer,
            vectors,
            dimensions,
            config,
        }
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// Writes the two files into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), EmbedError> {
        let fail = |reason: String| EmbedError::Load {
            dir: dir.to_path_buf(),
            reason,
        };
        let rows = self.vectors.len() / self.dimensions.max(1);
        let table = Tensor::from_vec(self.vectors.clone(), (rows, self.dimensions), &Device::Cpu)?;
        let tensors = std::collections::HashMap::from([("embeddings".to_owned(), table)]);
        // Written aside, then renamed: a reader never sees half a model.
        let partial = dir.join(format!("{STATIC_VECTORS}.partial"));
        candle_core::safetensors::save(&tensors, &partial)?;
        std::fs::rename(&partial, dir.join(STATIC_VECTORS)).map_err(|e| fail(e.to_string()))?;
        let config = serde_json::to_string_pretty(&self.config).map_err(|e| fail(e.to_string()))?;
        std::fs::write(dir.join(STATIC_CONFIG), config + "\n").map_err(|e| fail(e.to_string()))?;
        Ok(())
    }

    /// A 32-bit FNV-1a hash of the vectors' bits: which vectors these are.
    pub fn fingerprint(&self) -> u32 {
        self.vectors.iter().fold(0x811c_9dc5u32, |hash, value| {
            value
                .to_bits()
                .to_le_bytes()
                .iter()
                .fold(hash, |hash, byte| (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193))
        })
    }

    /// The start of `text` that holds its first `tokens` tokens, and their ids: what a text to
    /// learn from is cut to, so that the transformer and the static model see the same words.
    pub fn cut<'a>(&self, text: &'a str, tokens: usize) -> Result<(&'a str, Vec<u32>), EmbedError> {
        let encoding = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        let ids = encoding.get_ids();
        let kept = ids.len().min(tokens);
        let end = if kept == ids.len() {
            text.len()
        } else {
            encoding.get_offsets()[kept - 1].1
        };
        Ok((&text[..end], ids[..kept].to_vec()))
    }

    /// The mean of a text's token vectors, scaled to length one (zero for a text with no known
    /// token).
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let encoding = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        let mut sum = vec![0f32; self.dimensions];
        for &id in encoding.get_ids() {
            let start = id as usize * self.dimensions;
            if let Some(row) = self.vectors.get(start..start + self.dimensions) {
                for (total, value) in sum.iter_mut().zip(row) {
                    *total += value;
                }
            }
        }
        let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for value in &mut sum {
                *value /= norm;
            }
        }
        Ok(sum)
    }
}

/// The SIF weight `a / (a + p)` of each kept token, with `p` estimated by Zipf's law from the
/// token's place in the vocabulary (model2vec's way; BERT's vocabulary is roughly in order of
/// frequency).
fn zipf_weights(count: usize, sif: f64) -> Vec<f64> {
    let harmonic: f64 = (0..count).map(|rank| 1.0 / (rank as f64 + 2.0)).sum();
    (0..count)
        .map(|rank| sif / (sif + (1.0 / (rank as f64 + 2.0)) / harmonic))
        .collect()
}

/// Distills `embedder`'s transformer into a static model of `dimensions`; `progress` is told
/// (tokens done, tokens in all) after every batch.
pub fn distill(
    embedder: &Embedder,
    dimensions: usize,
    sif: f64,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<StaticModel, EmbedError> {
    let (transformer, tokenizer) = embedder
        .transformer()
        .ok_or_else(|| EmbedError::Tokenize("a static model cannot be distilled again".to_owned()))?;
    let tokenizer = tokenizer.clone();
    let vocabulary = tokenizer.get_vocab_size(true);
    let hidden = embedder.dimensions();
    let id_of = |token: &str| {
        tokenizer
            .token_to_id(token)
            .ok_or_else(|| EmbedError::Tokenize(format!("the tokenizer has no {token} token")))
    };
    let (cls, sep) = (id_of("[CLS]")?, id_of("[SEP]")?);
    // Special tokens and the unused slots of BERT's vocabulary mean nothing in a text.
    let skipped: Vec<bool> = (0..vocabulary as u32)
        .map(|id| {
            tokenizer.id_to_token(id).is_none_or(|token| {
                (token.starts_with("[unused") && token.ends_with(']'))
                    || ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].contains(&token.as_str())
            })
        })
        .collect();
    let mut raw = vec![0f64; vocabulary * hidden];
    let mut done = 0;
    for start in (0..vocabulary).step_by(DISTILL_BATCH) {
        let end = (start + DISTILL_BATCH).min(vocabulary);
        let ids: Vec<u32> = (start as u32..end as u32).flat_map(|id| [sep, id, cls]).collect();
        let rows = end - start;
        let ids = Tensor::from_vec(ids, (rows, 3), &Device::Cpu)?;
        let mask = Tensor::ones((rows, 3), DType::U32, &Device::Cpu)?;
        let out = transformer.forward(&ids, &mask)?.mean(1)?.to_vec2::<f32>()?;
        for (offset, vector) in out.iter().enumerate() {
            let id = start + offset;
            if !skipped[id] {
                for (slot, value) in raw[id * hidden..(id + 1) * hidden].iter_mut().zip(vector) {
                    *slot = f64::from(*value);
                }
            }
        }
        done += rows;
        progress(done, vocabulary);
    }
    let kept: Vec<usize> = (0..vocabulary).filter(|&id| !skipped[id]).collect();
    let dimensions = dimensions.min(hidden);
    let components = principal_components(&raw, hidden, &kept, dimensions);
    let mean = column_means(&raw, hidden, &kept);
    let weights = zipf_weights(kept.len(), sif);
    let mut vectors = vec![0f32; vocabulary * dimensions];
    for (&id, &weight) in kept.iter().zip(&weights) {
        let row = &raw[id * hidden..(id + 1) * hidden];
        for (k, component) in components.iter().enumerate() {
            let projected: f64 = row
                .iter()
                .zip(&mean)
                .zip(component)
                .map(|((x, m), c)| (x - m) * c)
                .sum();
            vectors[id * dimensions + k] = (projected * weight) as f32;
        }
    }
    let config = StaticConfig {
        source: embedder.name().to_owned(),
        dimensions,
        sif_coefficient: sif,
        skipped_tokens: vocabulary - kept.len(),
        learned: None,
    };
    Ok(StaticModel::new(tokenizer, vectors, dimensions, config))
}

fn column_means(rows: &[f64], width: usize, kept: &[usize]) -> Vec<f64> {
    let mut mean = vec![0f64; width];
    for &id in kept {
        for (total, value) in mean.iter_mut().zip(&rows[id * width..(id + 1) * width]) {
            *total += value;
        }
    }
    for value in &mut mean {
        *value /= kept.len().max(1) as f64;
    }
    mean
}

/// The `count` leading eigenvectors of the kept rows' covariance, largest variance first, each
/// signed so that its largest entry is positive (a deterministic choice of the two).
fn principal_components(rows: &[f64], width: usize, kept: &[usize], count: usize) -> Vec<Vec<f64>> {
    let mean = column_means(rows, width, kept);
    let mut covariance = vec![0f64; width * width];
    for &id in kept {
        let centred: Vec<f64> = rows[id * width..(id + 1) * width]
            .iter()
            .zip(&mean)
            .map(|(x, m)| x - m)
            .collect();
        for i in 0..width {
            let ci = centred[i];
            let line = &mut covariance[i * width..(i + 1) * width];
            for (cell, cj) in line.iter_mut().zip(&centred).skip(i) {
                *cell += ci * cj;
            }
        }
    }
    for i in 0..width {
        for j in 0..i {
            covariance[i * width + j] = covariance[j * width + i];
        }
    }
    let (values, vectors) = symmetric_eigen(covariance, width);
    let mut order: Vec<usize> = (0..width).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(count)
        .map(|k| {
            let mut column: Vec<f64> = (0..width).map(|i| vectors[i * width + k]).collect();
            let largest = column
                .iter()
                .copied()
                .fold(0f64, |best, v| if v.abs() > best.abs() { v } else { best });
            if largest < 0.0 {
                column.iter_mut().for_each(|v| *v = -*v);
            }
            column
        })
        .collect()
}

/// Eigenvalues and eigenvectors (as the columns of a row-major matrix) of a symmetric matrix, by
/// cyclic Jacobi rotations: slow for large matrices, exact enough and deterministic for the few
/// hundred dimensions of a sentence encoder.
fn symmetric_eigen(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..50 {
        let off: f64 = (0..n)
            .flat_map(|i| ((i + 1)..n).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        let scale: f64 = (0..n)
            .map(|i| a[i * n + i] * a[i * n + i])
            .sum::<f64>()
            .max(f64::MIN_POSITIVE);
        if off <= 1e-22 * scale {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let sign = if theta >= 0.0 { 1.0 } else { -1.0 };
                let t = sign / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_finds_the_eigenvectors_of_a_small_symmetric_matrix() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1) and (1, -1) over √2.
        let (values, vectors) = symmetric_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert!(
            (sorted[0] - 1.0).abs() < 1e-12 && (sorted[1] - 3.0).abs() < 1e-12,
            "{values:?}"
        );
        let big = if values[0] > values[1] { 0 } else { 1 };
        let column = [vectors[big], vectors[2 + big]];
        assert!((column[0].abs() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        assert!((column[0] - column[1]).abs() < 1e-12, "{column:?}");
    }

    #[test]
    fn principal_components_point_along_the_spread() {
        // Points along (1, 2) with a little noise across it.
        let rows: Vec<f64> = (0..50)
            .flat_map(|i| {
                let t = f64::from(i) - 25.0;
                let noise = if i % 2 == 0 { 0.1 } else { -0.1 };
                [t + 2.0 * noise, 2.0 * t - noise]
            })
            .collect();
        let kept: Vec<usize> = (0..50).collect();
        let first = &principal_components(&rows, 2, &kept, 1)[0];
        let expected = [1.0 / 5f64.sqrt(), 2.0 / 5f64.sqrt()];
        assert!(
            (first[0] - expected[0]).abs() < 1e-2 && (first[1] - expected[1]).abs() < 1e-2,
            "{first:?}"
        );
    }

    #[test]
    fn a_distilled_tiny_model_is_deterministic_and_embeds_like_its_source() {
        let words = [
            "graph", "neural", "network", "cake", "recipe", "sugar", "flour", "node", "edge",
        ];
        let embedder = Embedder::tiny(&words, 5).unwrap();
        let mut calls = 0;
        let model = distill(&embedder, 8, SIF_COEFFICIENT, &mut |_, _| calls += 1).unwrap();
        assert!(calls >= 1);
        assert_eq!(model.dimensions(), 8);
        let again = distill(&embedder, 8, SIF_COEFFICIENT, &mut |_, _| {}).unwrap();
        assert_eq!(model.vectors, again.vectors, "the same model twice");
        let cosine = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let (graph, network, cake) = (
            model.embed_one("graph node edge").unwrap(),
            model.embed_one("network graph").unwrap(),
            model.embed_one("cake sugar flour recipe").unwrap(),
        );
        assert!((cosine(&graph, &graph) - 1.0).abs() < 1e-5);
        assert!(
            cosine(&graph, &network) > cosine(&graph, &cake) - 1.0,
            "well-formed cosines"
        );
        let dir = std::env::temp_dir().join(format!("paperboy-static-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Embedder::write_tiny(&dir, &words, 5).unwrap();
        model.save(&dir).unwrap();
        assert!(StaticModel::present(&dir));
        let loaded = StaticModel::load(&dir).unwrap();
        assert_eq!(
            loaded.embed_one("cake recipe").unwrap(),
            model.embed_one("cake recipe").unwrap()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
