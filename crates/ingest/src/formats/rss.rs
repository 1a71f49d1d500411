//! rss.arxiv.org RSS 2.0 announcement feeds: one `<item>` per announced paper, with
//! `arxiv:announce_type`, `dc:creator` (all authors in one string) and `dc:rights`.

use super::announcement::{AnnounceType, announced_abstract};
use super::{Converted, Refusal, add_categories, new_paper};
use crate::text::{non_empty, rfc2822_date, split_author_list};
use crate::xml::Element;

pub fn paper_from_item(item: &Element) -> Result<Converted, Refusal> {
    let mut paper = new_paper(
        item.child_text("guid").or(item.child_text("link")),
        item.child_text("title"),
    )?;
    let id = paper.id.as_str().to_owned();
    let refuse = |reason: String| Refusal::new(Some(&id), reason);
    paper.abstract_text = announced_abstract(item.child_text("description").unwrap_or_default());
    paper.authors = split_author_list(item.child_text("creator").unwrap_or_default());
    add_categories(
        &mut paper,
        item.children_named("category").map(|element| element.text.trim()),
    );
    paper.license = non_empty(item.child_text("rights"));
    let kind = AnnounceType::parse(item.child_text("announce_type").unwrap_or("new"));
    let listed = kind.is_listing().map_err(|refusal| refuse(refusal.reason))?;
    if listed {
        let pub_date = item
            .child_text("pubDate")
            .ok_or_else(|| refuse("missing \"pubDate\"".to_owned()))?;
        paper
            .listing_dates
            .insert(rfc2822_date(pub_date).map_err(|reason| refuse(format!("pubDate: {reason}")))?);
    }
    Ok(Converted::Paper(Box::new(paper.with_extracted_code_links())))
}
