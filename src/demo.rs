//! The real sample `paperboy demo` serves: arXiv's cs listings of February 2026 (with the
//! January papers Hugging Face featured that month) and Hugging Face's February daily papers
//! with their upvotes. Shipped inside the binary so the demo runs from any directory.

use crate::import::Source;

pub fn sample_sources() -> Vec<Source> {
    vec![
        Source::Embedded {
            name: "demo/listings-2026-02.jsonl.gz",
            bytes: include_bytes!("../demo/listings-2026-02.jsonl.gz"),
        },
        Source::Embedded {
            name: "demo/hf-daily-papers-2026-02.json.gz",
            bytes: include_bytes!("../demo/hf-daily-papers-2026-02.json.gz"),
        },
    ]
}
