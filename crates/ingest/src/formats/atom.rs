//! Atom entries: arXiv API responses (`export.arxiv.org/api/query`, today's form and the older
//! one that declares the `arxiv:` namespace on every element) and rss.arxiv.org's Atom
//! announcement feeds (entries carrying `arxiv:announce_type`).

use paperboy_core::Paper;

use super::announcement::{AnnounceType, announced_abstract};
use super::kaggle::first_doi;
use super::{Converted, Refusal, add_categories, new_paper};
use crate::text::{date_of_timestamp, non_empty, split_author_list, squash_whitespace};
use crate::xml::Element;

pub fn paper_from_entry(entry: &Element) -> Result<Converted, Refusal> {
    let raw_id = entry.child_text("id");
    // The API answers a malformed query with an entry that describes the error.
    if raw_id.is_some_and(|id| id.contains("/api/errors")) {
        let message = entry.child_text("summary").unwrap_or("unknown error");
        return Err(Refusal::new(None, format!("arXiv API error: {message}")));
    }
    let mut paper = new_paper(raw_id, entry.child_text("title"))?;
    let id = paper.id.as_str().to_owned();
    let refuse = |reason: String| Refusal::new(Some(&id), reason);
    let announce_type = entry.child_text("announce_type").map(AnnounceType::parse);
    let summary = entry.child_text("summary").unwrap_or_default();
    paper.abstract_text = match announce_type {
        Some(_) => announced_abstract(summary),
        None => squash_whitespace(summary),
    };
    paper.authors = entry
        .children_named("author")
        .filter_map(|author| non_empty(author.child_text("name")))
        .collect();
    if let Some(creators) = entry.child_text("creator") {
        paper.authors = split_author_list(creators);
    }
    let primary = entry
        .child("primary_category")
        .and_then(|element| element.attribute("term"));
    let terms = primary
        .into_iter()
        .chain(entry.children_named("category").filter_map(|c| c.attribute("term")));
    add_categories(&mut paper, terms);
    paper.comment = non_empty(entry.child_text("comment"));
    paper.journal_ref = non_empty(entry.child_text("journal_ref"));
    paper.doi = first_doi(entry.child_text("doi"));
    paper.license = non_empty(entry.child_text("rights"));
    let published = match entry.child_text("published") {
        Some(text) => Some(date_of_timestamp(text).map_err(|reason| refuse(format!("published: {reason}")))?),
        None => None,
    };
    match announce_type {
        // In announcement feeds `published` is the announcement day, in its own offset.
        Some(kind) => {
            let day = entry
                .child_text("published")
                .map(|text| announcement_day(text).map_err(|reason| refuse(format!("published: {reason}"))))
                .transpose()?;
            if let (true, Some(day)) = (kind.is_listing().map_err(|r| refuse(r.reason))?, day) {
                paper.listing_dates.insert(day);
            }
        }
        None => {
            paper.first_version_date = published;
            if let Some(updated) = entry.child_text("updated") {
                let date = date_of_timestamp(updated).map_err(|reason| refuse(format!("updated: {reason}")))?;
                paper.latest_version_date = Some(date);
            }
        }
    }
    let paper: Paper = paper.with_extracted_code_links();
    Ok(Converted::Paper(Box::new(paper)))
}

/// The calendar day of a timestamp in the offset it is written in (`…T00:00:00-04:00`).
fn announcement_day(text: &str) -> Result<jiff::civil::Date, String> {
    let trimmed = text.trim();
    trimmed
        .parse::<jiff::ZonedDateTime>()
        .map(|zoned| zoned.date())
        .or_else(|_| trimmed.get(..10).unwrap_or(trimmed).parse::<jiff::civil::Date>())
        .map_err(|_| format!("{text:?} is not a timestamp"))
}
