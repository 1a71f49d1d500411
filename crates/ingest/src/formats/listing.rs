//! arXiv daily listing exports: one JSON object per line with `id, title, authors[],
//! categories[]` (primary first), `comment, abstract, first_listed, listed_on[]`.

use paperboy_core::Paper;
use serde::Deserialize;

use super::{Refusal, add_categories, new_paper};
use crate::text::{iso_date, non_empty, squash_whitespace, weekday_listing};

#[derive(Deserialize)]
struct ListingLine {
    id: Option<String>,
    title: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    comment: Option<String>,
    #[serde(rename = "abstract")]
    abstract_text: Option<String>,
    first_listed: Option<String>,
    #[serde(default)]
    listed_on: Vec<String>,
}

pub fn paper_from_line(line: &[u8]) -> Result<Paper, Refusal> {
    let record: ListingLine = serde_json::from_slice(line).map_err(|error| json_refusal(line, &error))?;
    let mut paper = new_paper(record.id.as_deref(), record.title.as_deref())?;
    let id = paper.id.as_str().to_owned();
    paper.abstract_text = record
        .abstract_text
        .as_deref()
        .map(squash_whitespace)
        .unwrap_or_default();
    paper.authors = record
        .authors
        .iter()
        .map(|name| squash_whitespace(name))
        .filter(|n| !n.is_empty())
        .collect();
    add_categories(&mut paper, record.categories.iter().map(String::as_str));
    paper.comment = non_empty(record.comment.as_deref());
    let dates = record.first_listed.iter().chain(&record.listed_on);
    for text in dates {
        let date = iso_date(text).map_err(|reason| Refusal::new(Some(&id), format!("listing date: {reason}")))?;
        paper.listing_dates.insert(weekday_listing(date));
    }
    Ok(paper.with_extracted_code_links())
}

/// A line that is not the JSON we expect: say why, and name its id if one can be found.
pub fn json_refusal(line: &[u8], error: &serde_json::Error) -> Refusal {
    let id = serde_json::from_slice::<serde_json::Value>(line)
        .ok()
        .and_then(|value| value.get("id").and_then(|id| id.as_str().map(str::to_owned)));
    let reason = if error.is_syntax() || error.is_eof() {
        format!("broken JSON: {error}")
    } else {
        format!("unexpected JSON: {error}")
    };
    Refusal { id, reason }
}
