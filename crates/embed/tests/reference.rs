//! The Rust port against the reference: the real all-MiniLM-L6-v2 weights must give the recorded
//! Sentence-Transformers embeddings to within 1e-4 cosine. The weights come from
//! `scripts/fetch-model.sh` into a cache outside the repository (fetched once, then reused);
//! `PAPERBOY_TEST_MODEL_DIR` points elsewhere.

use std::path::PathBuf;
use std::process::Command;

use paperboy_embed::Embedder;

fn model_dir() -> PathBuf {
    let dir = match std::env::var_os("PAPERBOY_TEST_MODEL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
                .expect("HOME or XDG_CACHE_HOME is set");
            cache.join("paperboy").join("all-MiniLM-L6-v2")
        }
    };
    // The script checks the sha256 of what is there and downloads only when it is missing or wrong.
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fetch-model.sh");
    let status = Command::new("bash")
        .arg(script)
        .arg(&dir)
        .status()
        .expect("run fetch-model.sh");
    assert!(status.success(), "scripts/fetch-model.sh {} failed", dir.display());
    dir
}

#[test]
fn real_weights_reproduce_the_reference_embeddings() {
    let reference: serde_json::Value = serde_json::from_str(include_str!(
        "../../../fixtures/recorded/minilm/reference-embeddings.json"
    ))
    .expect("reference JSON");
    let sentences: Vec<&str> = reference["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let expected: Vec<Vec<f32>> = serde_json::from_value(reference["embeddings"].clone()).unwrap();

    let embedder = Embedder::load(&model_dir()).expect("load the model");
    assert_eq!(embedder.dimensions(), 384);
    let together = embedder.embed(&sentences).expect("embed");
    for ((sentence, got), want) in sentences.iter().zip(&together).zip(&expected) {
        let cosine: f32 = got.iter().zip(want).map(|(a, b)| a * b).sum();
        assert!(cosine > 1.0 - 1e-4, "{sentence:?}: cosine {cosine} to the reference");
        let largest_difference = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(
            largest_difference < 1e-3,
            "{sentence:?}: a component differs by {largest_difference}"
        );
    }
    // One at a time (no padding) gives the same vectors as the padded batch.
    for (sentence, batched) in sentences.iter().zip(&together) {
        let alone = embedder.embed_one(sentence).unwrap();
        let cosine: f32 = alone.iter().zip(batched).map(|(a, b)| a * b).sum();
        assert!(
            cosine > 1.0 - 1e-5,
            "{sentence:?}: batching changed the vector ({cosine})"
        );
    }
}
