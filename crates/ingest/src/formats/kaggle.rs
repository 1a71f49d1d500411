//! Kaggle's "arxiv-metadata-oai-snapshot.json": one JSON object per line with every field of
//! arXiv's metadata, categories space-separated (primary first) and `versions` with dates.

use paperboy_core::Paper;
use serde::Deserialize;

use super::listing::json_refusal;
use super::{Refusal, add_categories, new_paper};
use crate::text::{non_empty, rfc2822_date, split_author_list, squash_whitespace, tex_to_unicode};

#[derive(Deserialize)]
struct KaggleLine {
    id: Option<String>,
    authors: Option<String>,
    title: Option<String>,
    comments: Option<String>,
    #[serde(rename = "journal-ref")]
    journal_ref: Option<String>,
    doi: Option<String>,
    categories: Option<String>,
    license: Option<String>,
    #[serde(rename = "abstract")]
    abstract_text: Option<String>,
    #[serde(default)]
    versions: Vec<KaggleVersion>,
    /// `[last, first, suffix]` per author.
    #[serde(default)]
    authors_parsed: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct KaggleVersion {
    version: String,
    created: String,
}

pub fn paper_from_line(line: &[u8]) -> Result<Paper, Refusal> {
    let record: KaggleLine = serde_json::from_slice(line).map_err(|error| json_refusal(line, &error))?;
    let mut paper = new_paper(record.id.as_deref(), record.title.as_deref())?;
    let id = paper.id.as_str().to_owned();
    let refuse = |reason: String| Refusal::new(Some(&id), reason);
    paper.abstract_text = record
        .abstract_text
        .as_deref()
        .map(squash_whitespace)
        .unwrap_or_default();
    // `authors` is what the submitter wrote; `authors_parsed` is derived from it and mangles
    // initials (`C.-P.` becomes `C. -P.`), so it is only the fallback.
    paper.authors = split_author_list(record.authors.as_deref().unwrap_or_default());
    if paper.authors.is_empty() {
        paper.authors = record
            .authors_parsed
            .iter()
            .filter_map(|parts| name_from_parts(parts))
            .collect();
    }
    let codes = record.categories.as_deref().unwrap_or_default();
    add_categories(&mut paper, codes.split_whitespace());
    paper.comment = non_empty(record.comments.as_deref());
    paper.journal_ref = non_empty(record.journal_ref.as_deref());
    paper.doi = first_doi(record.doi.as_deref());
    paper.license = non_empty(record.license.as_deref());
    for version in &record.versions {
        let number = version
            .version
            .trim()
            .strip_prefix('v')
            .and_then(|digits| digits.parse::<u32>().ok())
            .ok_or_else(|| refuse(format!("version {:?} is not vN", version.version)))?;
        let created = rfc2822_date(&version.created)
            .map_err(|reason| refuse(format!("version {}: {reason}", version.version)))?;
        if number == 1 {
            paper.first_version_date = Some(created);
        }
        if paper.latest_version.is_none_or(|latest| number >= latest) {
            paper.latest_version = Some(number);
            paper.latest_version_date = Some(created);
        }
    }
    Ok(paper.with_extracted_code_links())
}

/// `["Bal\'azs", "C.", ""]` → `C. Balázs`; a suffix ("Jr") goes last.
fn name_from_parts(parts: &[String]) -> Option<String> {
    let last = parts.first().map(String::as_str).unwrap_or_default();
    let first = parts.get(1).map(String::as_str).unwrap_or_default();
    let suffix = parts.get(2).map(String::as_str).unwrap_or_default();
    let joined = [first, last, suffix]
        .iter()
        .filter(|part| !part.trim().is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let name = tex_to_unicode(&squash_whitespace(&joined));
    (!name.is_empty()).then_some(name)
}

/// arXiv lets authors list several DOIs (`a, b;c`); the first is the paper's own.
pub fn first_doi(text: Option<&str>) -> Option<String> {
    text?
        .split([',', ';', ' '])
        .map(str::trim)
        .find(|doi| !doi.is_empty())
        .map(str::to_owned)
}
