//! OAI-PMH `ListRecords` / `GetRecord` pages from arXiv in its three metadata formats:
//! `arXiv` (split author names, created/updated dates), `arXivRaw` (every version with its
//! date, authors as one string) and `oai_dc` (Dublin Core, categories only by name).

use paperboy_core::{Category, Paper};

use super::kaggle::first_doi;
use super::{Converted, Refusal, add_categories, new_paper};
use crate::text::{iso_date, non_empty, rfc2822_date, split_author_list, squash_whitespace, tex_to_unicode};
use crate::xml::Element;

pub fn paper_from_record(record: &Element) -> Result<Converted, Refusal> {
    let header = record.child("header");
    // A deleted record has a header and nothing else to import.
    if header.and_then(|h| h.attribute("status")) == Some("deleted") {
        return Ok(Converted::Nothing);
    }
    let header_id = header.and_then(|h| h.child_text("identifier"));
    let Some(metadata) = record.child("metadata").and_then(|m| m.children.first()) else {
        return Err(Refusal::new(header_id, "record without metadata"));
    };
    let paper = match metadata.name.as_str() {
        "arXiv" => from_arxiv_format(metadata)?,
        "arXivRaw" => from_arxiv_raw(metadata)?,
        "dc" => from_dublin_core(metadata, header_id)?,
        other => {
            return Err(Refusal::new(
                header_id,
                format!("unsupported metadata format <{other}>"),
            ));
        }
    };
    Ok(Converted::Paper(Box::new(paper.with_extracted_code_links())))
}

fn from_arxiv_format(metadata: &Element) -> Result<Paper, Refusal> {
    let mut paper = common_fields(metadata)?;
    let id = paper.id.as_str().to_owned();
    let refuse = |reason: String| Refusal::new(Some(&id), reason);
    if let Some(authors) = metadata.child("authors") {
        paper.authors = authors
            .children_named("author")
            .filter_map(|author| {
                let parts = [
                    author.child_text("forenames"),
                    author.child_text("keyname"),
                    author.child_text("suffix"),
                ];
                let name = parts.into_iter().flatten().collect::<Vec<_>>().join(" ");
                non_empty(Some(&tex_to_unicode(&name)))
            })
            .collect();
    }
    if let Some(created) = metadata.child_text("created") {
        paper.first_version_date = Some(iso_date(created).map_err(|r| refuse(format!("created: {r}")))?);
        paper.latest_version_date = paper.first_version_date;
    }
    if let Some(updated) = metadata.child_text("updated") {
        paper.latest_version_date = Some(iso_date(updated).map_err(|r| refuse(format!("updated: {r}")))?);
    }
    Ok(paper)
}

fn from_arxiv_raw(metadata: &Element) -> Result<Paper, Refusal> {
    let mut paper = common_fields(metadata)?;
    let id = paper.id.as_str().to_owned();
    let refuse = |reason: String| Refusal::new(Some(&id), reason);
    paper.authors = split_author_list(metadata.child_text("authors").unwrap_or_default());
    for version in metadata.children_named("version") {
        let label = version.attribute("version").unwrap_or_default();
        let number = label
            .strip_prefix('v')
            .and_then(|digits| digits.parse::<u32>().ok())
            .ok_or_else(|| refuse(format!("version {label:?} is not vN")))?;
        let date_text = version
            .child_text("date")
            .ok_or_else(|| refuse(format!("version {label} has no date")))?;
        let date = rfc2822_date(date_text).map_err(|r| refuse(format!("version {label}: {r}")))?;
        if number == 1 {
            paper.first_version_date = Some(date);
        }
        if paper.latest_version.is_none_or(|latest| number >= latest) {
            paper.latest_version = Some(number);
            paper.latest_version_date = Some(date);
        }
    }
    Ok(paper)
}

/// Fields named alike in the `arXiv` and `arXivRaw` formats.
fn common_fields(metadata: &Element) -> Result<Paper, Refusal> {
    let mut paper = new_paper(metadata.child_text("id"), metadata.child_text("title"))?;
    paper.abstract_text = squash_whitespace(metadata.child_text("abstract").unwrap_or_default());
    add_categories(
        &mut paper,
        metadata.child_text("categories").unwrap_or_default().split_whitespace(),
    );
    paper.comment = non_empty(metadata.child_text("comments"));
    paper.journal_ref = non_empty(metadata.child_text("journal-ref"));
    paper.doi = first_doi(metadata.child_text("doi"));
    paper.license = non_empty(metadata.child_text("license"));
    Ok(paper)
}

fn from_dublin_core(metadata: &Element, header_id: Option<&str>) -> Result<Paper, Refusal> {
    let abs_url = metadata
        .children_named("identifier")
        .map(|element| element.text.trim())
        .find(|text| text.contains("arxiv.org/abs/"));
    let mut paper = new_paper(abs_url.or(header_id), metadata.child_text("title"))?;
    let id = paper.id.as_str().to_owned();
    let refuse = |reason: String| Refusal::new(Some(&id), reason);
    paper.authors = metadata
        .children_named("creator")
        .filter_map(|creator| non_empty(Some(&last_comma_first(creator.text.trim()))))
        .collect();
    for subject in metadata.children_named("subject") {
        // Names arXiv no longer uses are skipped rather than refused: the rest is still good.
        if let Some(category) = Category::from_subject_name(&subject.text) {
            if paper.primary_category.is_none() {
                paper.primary_category = Some(category.clone());
            }
            if !paper.categories.contains(&category) {
                paper.categories.push(category);
            }
        }
    }
    for description in metadata.children_named("description") {
        let text = squash_whitespace(&description.text);
        match text.strip_prefix("Comment:") {
            Some(comment) => paper.comment = non_empty(Some(comment)),
            None if paper.abstract_text.is_empty() => paper.abstract_text = text,
            None => {}
        }
    }
    let mut dates = Vec::new();
    for element in metadata.children_named("date") {
        dates.push(iso_date(&element.text).map_err(|r| refuse(format!("date: {r}")))?);
    }
    paper.first_version_date = dates.iter().min().copied();
    paper.latest_version_date = dates.iter().max().copied();
    Ok(paper)
}

/// `Liepins, Vilnis` → `Vilnis Liepins`.
fn last_comma_first(name: &str) -> String {
    let name = tex_to_unicode(name);
    match name.split_once(',') {
        Some((last, first)) if !first.trim().is_empty() => {
            squash_whitespace(&format!("{} {}", first.trim(), last.trim()))
        }
        _ => squash_whitespace(&name),
    }
}
