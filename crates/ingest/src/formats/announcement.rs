//! What rss.arxiv.org's RSS and Atom feeds share: the announcement type and the abstract's
//! `arXiv:ID Announce Type: new Abstract: …` preamble.

use super::Refusal;
use crate::text::squash_whitespace;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnnounceType {
    New,
    Cross,
    Replace,
    ReplaceCross,
    Other(String),
}

impl AnnounceType {
    pub fn parse(text: &str) -> AnnounceType {
        match text.trim() {
            "new" => AnnounceType::New,
            "cross" => AnnounceType::Cross,
            "replace" => AnnounceType::Replace,
            "replace-cross" => AnnounceType::ReplaceCross,
            other => AnnounceType::Other(other.to_owned()),
        }
    }

    /// `new` and `cross` put the paper on that day's list; a replacement updates it silently.
    pub fn is_listing(&self) -> Result<bool, Refusal> {
        match self {
            AnnounceType::New | AnnounceType::Cross => Ok(true),
            AnnounceType::Replace | AnnounceType::ReplaceCross => Ok(false),
            AnnounceType::Other(other) => Err(Refusal::new(None, format!("unknown announce type {other:?}"))),
        }
    }
}

/// Strips the `arXiv:2609.26811v1 Announce Type: new Abstract:` preamble.
pub fn announced_abstract(description: &str) -> String {
    let squashed = squash_whitespace(description);
    match squashed.find("Abstract:") {
        Some(at) if squashed[..at].contains("Announce Type") => squashed[at + "Abstract:".len()..].trim().to_owned(),
        _ => squashed,
    }
}
