//! Sentence embeddings on the CPU, from local files only: all-MiniLM-L6-v2, a six-layer BERT, run
//! by candle and tokenised by Hugging Face's `tokenizers`. Nothing here touches the network; the
//! model's three files are fetched once by `scripts/fetch-model.sh`.
//!
//! This crate is heavy to compile and rarely changes, which is why it stands alone.

mod bert;
mod distilled;
mod learn;

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

pub use bert::BertConfig;
use bert::{Bert, mean_pool_normalized};
pub use distilled::{
    DEFAULT_DIMENSIONS, LearnOptions, LearnReport, SIF_COEFFICIENT, STATIC_CONFIG, STATIC_VECTORS, StaticConfig,
    StaticModel, distill,
};
pub use learn::LEARN_TOKENS;

/// The model this crate is written for, as named in the data directory and in the database.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// The files a model directory must hold.
pub const MODEL_FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];
/// Longer inputs are cut, as Sentence-Transformers does for this model.
pub const MAX_TOKENS: usize = 256;
/// Texts embedded in one forward pass. Eight was fastest on two cores in a one-off comparison
/// with 4 and 16 (`paperboy embed` with this constant changed): larger batches allocate
/// attention tensors of tens of megabytes.
const BATCH: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("no embedding model in {dir}: {missing} is missing (run scripts/fetch-model.sh)")]
    Missing { dir: PathBuf, missing: &'static str },
    #[error("cannot load the embedding model from {dir}: {reason}")]
    Load { dir: PathBuf, reason: String },
    #[error("tokenising failed: {0}")]
    Tokenize(String),
    #[error("the model failed: {0}")]
    Model(#[from] candle_core::Error),
}

/// The text of a paper that is embedded: its title, then its abstract.
pub fn paper_text(title: &str, abstract_text: &str) -> String {
    format!("{} {}", title.trim(), abstract_text.trim())
}

/// The two kinds of model an instance may embed with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// all-MiniLM-L6-v2 itself: the best vectors, 6–9 papers a second on two cores.
    #[default]
    Minilm,
    /// The static model distilled from it (`paperboy model distill`): thousands a second.
    Static,
}

impl ModelKind {
    pub fn parse(text: &str) -> Option<ModelKind> {
        match text {
            "minilm" => Some(ModelKind::Minilm),
            "static" => Some(ModelKind::Static),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Minilm => "minilm",
            ModelKind::Static => "static",
        }
    }
}

/// A loaded sentence-embedding model. Embeddings have length one, so a dot product is a cosine.
pub struct Embedder {
    encoder: Encoder,
    dimensions: usize,
    name: String,
}

enum Encoder {
    Transformer { model: Bert, tokenizer: Tokenizer },
    Static(StaticModel),
}

impl Embedder {
    /// Whether `dir` holds the three files [`Embedder::load`] needs.
    pub fn present(dir: &Path) -> bool {
        MODEL_FILES.iter().all(|file| dir.join(file).is_file())
    }

    /// Whether `dir` holds what a model of `kind` needs.
    pub fn present_kind(dir: &Path, kind: ModelKind) -> bool {
        match kind {
            ModelKind::Minilm => Embedder::present(dir),
            ModelKind::Static => StaticModel::present(dir),
        }
    }

    /// The model of `kind` in `dir`.
    pub fn load_kind(dir: &Path, kind: ModelKind) -> Result<Embedder, EmbedError> {
        match kind {
            ModelKind::Minilm => Embedder::load(dir),
            ModelKind::Static => Ok(Embedder::from_static(StaticModel::load(dir)?)),
        }
    }

    /// A distilled model, as an embedder. Its name says what it was distilled from, to how many
    /// dimensions, and which vectors it holds (a fingerprint of them: distilling again with other
    /// options, or learning, makes another model), so vectors of another model are never mixed
    /// with its own.
    pub fn from_static(model: StaticModel) -> Embedder {
        Embedder {
            dimensions: model.dimensions(),
            name: format!(
                "{}-static{}-{:08x}",
                model.config.source,
                model.dimensions(),
                model.fingerprint()
            ),
            encoder: Encoder::Static(model),
        }
    }

    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        for file in MODEL_FILES {
            if !dir.join(file).is_file() {
                return Err(EmbedError::Missing {
                    dir: dir.to_path_buf(),
                    missing: file,
                });
            }
        }
        let fail = |reason: String| EmbedError::Load {
            dir: dir.to_path_buf(),
            reason,
        };
        let config_text =
            std::fs::read_to_string(dir.join("config.json")).map_err(|e| fail(format!("config.json: {e}")))?;
        let config: BertConfig = serde_json::from_str(&config_text).map_err(|e| fail(format!("config.json: {e}")))?;
        let weights =
            std::fs::read(dir.join("model.safetensors")).map_err(|e| fail(format!("model.safetensors: {e}")))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|e| fail(format!("model.safetensors: {e}")))?;
        let model = Bert::load(vb, &config).map_err(|e| fail(format!("model.safetensors: {e}")))?;
        let tokenizer =
            Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| fail(format!("tokenizer.json: {e}")))?;
        Embedder::assemble(model, tokenizer, &config, MODEL_NAME.to_string()).map_err(|e| fail(e.to_string()))
    }

    /// A tiny randomly initialised BERT with a tokenizer over `words`: for tests of everything
    /// around the model, where the real weights are not worth the wait. Deterministic per `seed`.
    pub fn tiny(words: &[&str], seed: u64) -> Result<Embedder, EmbedError> {
        let config = tiny_config(words);
        let tensors = tiny_weights(&config, seed)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let model = Bert::load(vb, &config)?;
        let tokenizer = tiny_tokenizer(words)?;
        Embedder::assemble(model, tokenizer, &config, "tiny-test-model".to_string())
    }

    /// Writes the tiny model's three files to `dir`, so that a server can load it as it would
    /// the real one (tests of the service with a model, in seconds).
    pub fn write_tiny(dir: &Path, words: &[&str], seed: u64) -> Result<(), EmbedError> {
        let fail = |reason: String| EmbedError::Load {
            dir: dir.to_path_buf(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        let config = tiny_config(words);
        let config_text = serde_json::to_string_pretty(&config).map_err(|e| fail(e.to_string()))?;
        std::fs::write(dir.join("config.json"), config_text).map_err(|e| fail(e.to_string()))?;
        candle_core::safetensors::save(&tiny_weights(&config, seed)?, dir.join("model.safetensors"))?;
        tiny_tokenizer(words)?
            .save(dir.join("tokenizer.json"), false)
            .map_err(|e| fail(e.to_string()))?;
        Ok(())
    }
}

fn tiny_config(words: &[&str]) -> BertConfig {
    BertConfig {
        vocab_size: words.len() + 5,
        hidden_size: 16,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: MAX_TOKENS + 2,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
    }
}

impl Embedder {
    fn assemble(
        model: Bert,
        mut tokenizer: Tokenizer,
        config: &BertConfig,
        name: String,
    ) -> Result<Embedder, EmbedError> {
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams::default()));
        Ok(Embedder {
            encoder: Encoder::Transformer { model, tokenizer },
            dimensions: config.hidden_size,
            name,
        })
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// Which kind of model this is.
    pub fn kind(&self) -> ModelKind {
        match self.encoder {
            Encoder::Transformer { .. } => ModelKind::Minilm,
            Encoder::Static(_) => ModelKind::Static,
        }
    }

    /// How many texts are worth handing over at once: a transformer spends seconds on a few
    /// dozen, a static model milliseconds on thousands (so reading them is what costs).
    pub fn batch_hint(&self) -> usize {
        match self.encoder {
            Encoder::Transformer { .. } => 64,
            Encoder::Static(_) => 4096,
        }
    }

    /// The model's name, stored beside each embedding so that a change of model is noticed.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One embedding per text, in order. Texts are batched by length so padding stays small.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if let Encoder::Static(model) = &self.encoder {
            // Tokenising is most of the cost, and each text is independent: one share a core.
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let share = texts.len().div_ceil(threads).max(1);
            return std::thread::scope(|scope| {
                let workers: Vec<_> = texts
                    .chunks(share)
                    .map(|chunk| {
                        scope.spawn(move || chunk.iter().map(|text| model.embed_one(text)).collect::<Vec<_>>())
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|worker| worker.join().expect("an embedding thread panicked"))
                    .collect()
            });
        }
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            for (&i, vector) in chunk.iter().zip(self.embed_batch(&batch)?) {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        if let Encoder::Static(model) = &self.encoder {
            return model.embed_one(text);
        }
        Ok(self.embed_batch(&[text])?.remove(0))
    }

    /// The transformer and its tokenizer, for distilling; `None` for a static model.
    pub(crate) fn transformer(&self) -> Option<(&Bert, &Tokenizer)> {
        match &self.encoder {
            Encoder::Transformer { model, tokenizer } => Some((model, tokenizer)),
            Encoder::Static(_) => None,
        }
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let Some((model, tokenizer)) = self.transformer() else {
            return texts.iter().map(|text| self.embed_one(text)).collect();
        };
        let encodings = tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        let length = encodings.first().map_or(0, |e| e.get_ids().len());
        let ids: Vec<u32> = encodings.iter().flat_map(|e| e.get_ids().iter().copied()).collect();
        let mask: Vec<u32> = encodings
            .iter()
            .flat_map(|e| e.get_attention_mask().iter().copied())
            .collect();
        let ids = Tensor::from_vec(ids, (texts.len(), length), &Device::Cpu)?;
        let mask = Tensor::from_vec(mask, (texts.len(), length), &Device::Cpu)?;
        let hidden = model.forward(&ids, &mask)?;
        Ok(mean_pool_normalized(&hidden, &mask)?.to_vec2::<f32>()?)
    }
}

/// Random weights under the checkpoint's names, from a small deterministic generator.
fn tiny_weights(config: &BertConfig, seed: u64) -> Result<std::collections::HashMap<String, Tensor>, EmbedError> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut random = |shape: &[usize], scale: f32| -> Result<Tensor, EmbedError> {
        let count: usize = shape.iter().product();
        let values: Vec<f32> = (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * scale
            })
            .collect();
        Ok(Tensor::from_vec(values, shape, &Device::Cpu)?)
    };
    let (h, i) = (config.hidden_size, config.intermediate_size);
    let mut tensors = std::collections::HashMap::new();
    let ones = |n: usize| Tensor::ones(n, DType::F32, &Device::Cpu);
    let zeros = |n: usize| Tensor::zeros(n, DType::F32, &Device::Cpu);
    tensors.insert(
        "embeddings.word_embeddings.weight".into(),
        random(&[config.vocab_size, h], 1.0)?,
    );
    tensors.insert(
        "embeddings.position_embeddings.weight".into(),
        random(&[config.max_position_embeddings, h], 0.1)?,
    );
    tensors.insert(
        "embeddings.token_type_embeddings.weight".into(),
        random(&[config.type_vocab_size, h], 0.1)?,
    );
    tensors.insert("embeddings.LayerNorm.weight".into(), ones(h)?);
    tensors.insert("embeddings.LayerNorm.bias".into(), zeros(h)?);
    for n in 0..config.num_hidden_layers {
        let p = format!("encoder.layer.{n}");
        for (name, rows, cols) in [
            ("attention.self.query", h, h),
            ("attention.self.key", h, h),
            ("attention.self.value", h, h),
            ("attention.output.dense", h, h),
            ("intermediate.dense", i, h),
            ("output.dense", h, i),
        ] {
            tensors.insert(format!("{p}.{name}.weight"), random(&[rows, cols], 0.5)?);
            tensors.insert(format!("{p}.{name}.bias"), zeros(rows)?);
        }
        for name in ["attention.output.LayerNorm", "output.LayerNorm"] {
            tensors.insert(format!("{p}.{name}.weight"), ones(h)?);
            tensors.insert(format!("{p}.{name}.bias"), zeros(h)?);
        }
    }
    Ok(tensors)
}

/// A BERT-style tokenizer (lower-casing, punctuation split, WordPiece) over `words`, described
/// in the same JSON form as a real `tokenizer.json`.
fn tiny_tokenizer(words: &[&str]) -> Result<Tokenizer, EmbedError> {
    let vocab: serde_json::Map<String, serde_json::Value> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .chain(words)
        .enumerate()
        .map(|(n, token)| (token.to_string(), serde_json::Value::from(n)))
        .collect();
    let description = serde_json::json!({
        "version": "1.0",
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    });
    description
        .to_string()
        .parse::<Tokenizer>()
        .map_err(|e| EmbedError::Tokenize(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn tiny_model_gives_unit_vectors_that_do_not_depend_on_batching() {
        let embedder = Embedder::tiny(&["graph", "neural", "network", "cake", "recipe"], 7).unwrap();
        let texts = [
            "graph neural network",
            "cake recipe with a very long tail of unknown words",
            "cake",
        ];
        let together = embedder.embed(&texts).unwrap();
        for (text, vector) in texts.iter().zip(&together) {
            assert_eq!(vector.len(), 16);
            assert!((cosine(vector, vector) - 1.0).abs() < 1e-5);
            let alone = embedder.embed_one(text).unwrap();
            assert!(
                cosine(vector, &alone) > 1.0 - 1e-5,
                "padding changed the embedding of {text:?}"
            );
        }
        assert!(cosine(&together[0], &together[2]) < 0.999);
    }

    #[test]
    fn the_tiny_model_written_to_files_loads_as_the_real_one_would() {
        let words = ["graph", "neural", "network"];
        let dir = tempfile_dir();
        Embedder::write_tiny(&dir, &words, 11).unwrap();
        assert!(Embedder::present(&dir));
        let loaded = Embedder::load(&dir).unwrap();
        let built = Embedder::tiny(&words, 11).unwrap();
        let (a, b) = (
            loaded.embed_one("graph network").unwrap(),
            built.embed_one("graph network").unwrap(),
        );
        assert!(cosine(&a, &b) > 1.0 - 1e-6);
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("paperboy-tiny-model-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_missing_model_says_which_file_and_what_to_run() {
        let dir = std::env::temp_dir().join("paperboy-no-model-here");
        let error = Embedder::load(&dir).err().expect("no model there");
        let message = error.to_string();
        assert!(
            message.contains("config.json") && message.contains("scripts/fetch-model.sh"),
            "{message}"
        );
    }
}
