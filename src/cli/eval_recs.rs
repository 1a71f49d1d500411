//! `paperboy eval recs`.

use std::path::PathBuf;

use paperboy_core::Period;

use crate::for_you::eval::{EvalOptions, run as evaluate};
use crate::for_you::rank::{EMBEDDING_SHARE, FORMULA, Similarity};

pub struct Arguments {
    pub month: String,
    pub authors: usize,
    pub seed: u64,
    pub listings: Vec<PathBuf>,
    pub votes: Vec<PathBuf>,
    pub similarity: Option<String>,
    pub votes_weight: Option<f32>,
    pub model_dir: Option<PathBuf>,
    pub embeddings_cache: Option<PathBuf>,
    pub embedding_share: Option<f32>,
    pub json: bool,
}

pub fn run(arguments: Arguments) -> anyhow::Result<u8> {
    let month = Period::parse_month(&arguments.month)?;
    let mut formula = FORMULA;
    if let Some(text) = &arguments.similarity {
        formula.similarity = Similarity::parse(text)
            .ok_or_else(|| anyhow::anyhow!("--similarity must be centroid, max or topK, not {text:?}"))?;
    }
    if let Some(weight) = arguments.votes_weight {
        formula.votes = weight;
    }
    let votes = if arguments.votes.is_empty() {
        let default = PathBuf::from(format!("../shared/data/hf/daily_papers-{}.json", arguments.month));
        if default.exists() { vec![default] } else { Vec::new() }
    } else {
        arguments.votes
    };
    let report = evaluate(&EvalOptions {
        listings: arguments.listings,
        votes,
        month,
        authors: arguments.authors,
        seed: arguments.seed,
        formula,
        model_dir: arguments.model_dir,
        embeddings_cache: arguments.embeddings_cache,
        embedding_share: arguments.embedding_share.unwrap_or(EMBEDDING_SHARE),
    })?;
    if arguments.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{report}");
    }
    Ok(0)
}
