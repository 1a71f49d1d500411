//! The documents lists and searches are also read as: Atom, RSS 2.0, JSON Feed and BibTeX.
//! Rendering only; the handlers that serve them are in `feeds` and `search`.

use paperboy_core::{Date, Paper, Period, announcement_time};

use super::error::AppError;
use super::state::AppState;
use super::views::{escape_html, human_date};
use crate::lists::{ListView, Scope};

/// The BibTeX entries of a list's papers, in the list's order.
pub(crate) fn bibtex_of(entries: &[crate::lists::Entry]) -> String {
    let entries: Vec<String> = entries.iter().map(|entry| bibtex(&entry.paper) + "\n").collect();
    entries.join("\n")
}

fn feed_title(state: &AppState, view: &ListView) -> String {
    let what = match view.request.scope {
        Scope::Period(Period::Day(day)) => format!("papers of {}", human_date(day)),
        Scope::Period(period) => format!("papers of {period}"),
        Scope::Trending => "trending papers".to_owned(),
    };
    let filter = view
        .request
        .category
        .as_ref()
        .map(|c| format!(" in {c}"))
        .unwrap_or_default();
    format!(
        "{}: {what}{filter} ({})",
        state.settings.instance_name,
        view.request.sort.as_str()
    )
}

fn rfc3339(date: Date) -> String {
    announcement_time(date).to_string()
}

/// The feed's updated time: the latest listing among its papers.
fn updated(view: &ListView) -> Date {
    view.entries
        .iter()
        .map(|entry| entry.listed)
        .max()
        .or(view.range.map(|(_, last)| last))
        .unwrap_or(Date::MIN)
}

pub fn atom(state: &AppState, view: &ListView, page_path: &str, self_url: &str) -> Result<String, AppError> {
    atom_document(
        state,
        &feed_title(state, view),
        updated(view),
        &view.entries,
        page_path,
        self_url,
    )
}

/// An Atom feed of `entries` (lists and saved searches share it).
pub(crate) fn atom_document(
    state: &AppState,
    title: &str,
    updated: Date,
    entries: &[crate::lists::Entry],
    page_path: &str,
    self_url: &str,
) -> Result<String, AppError> {
    use atom_syndication::{Category, Content, Entry, Feed, FixedDateTime, Link, Person, Text};
    let time = |date: Date| -> Result<FixedDateTime, AppError> {
        FixedDateTime::parse_from_rfc3339(&rfc3339(date)).map_err(AppError::internal)
    };
    let base = &state.settings.public_url;
    let entries = entries
        .iter()
        .map(|entry| {
            let paper = &entry.paper;
            let url = format!("{base}/papers/{}", paper.id);
            Ok(Entry {
                id: url.clone(),
                title: Text::plain(paper.title.clone()),
                updated: time(entry.listed)?,
                published: Some(time(paper.first_version_date.unwrap_or(entry.listed))?),
                authors: paper
                    .authors
                    .iter()
                    .map(|name| Person {
                        name: name.clone(),
                        ..Person::default()
                    })
                    .collect(),
                links: vec![
                    Link {
                        href: url,
                        rel: "alternate".into(),
                        mime_type: Some("text/html".into()),
                        ..Link::default()
                    },
                    Link {
                        href: paper.id.abs_url(),
                        rel: "related".into(),
                        title: Some("arXiv".into()),
                        ..Link::default()
                    },
                ],
                categories: paper
                    .categories
                    .iter()
                    .map(|c| Category {
                        term: c.to_string(),
                        ..Category::default()
                    })
                    .collect(),
                summary: Some(Text::plain(paper.abstract_text.clone())),
                content: Some(Content {
                    value: Some(format!("{} votes. {}", entry.score.votes(), paper.abstract_text)),
                    content_type: Some("text".into()),
                    ..Content::default()
                }),
                ..Entry::default()
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let feed = Feed {
        id: format!("{base}{page_path}"),
        title: Text::plain(title.to_owned()),
        updated: time(updated)?,
        links: vec![
            Link {
                href: self_url.to_owned(),
                rel: "self".into(),
                mime_type: Some("application/atom+xml".into()),
                ..Link::default()
            },
            Link {
                href: format!("{base}{page_path}"),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Link::default()
            },
        ],
        authors: vec![Person {
            name: state.settings.instance_name.clone(),
            ..Person::default()
        }],
        entries,
        ..Feed::default()
    };
    Ok(xml_1_0(feed.to_string()))
}

/// An Atom feed of a paper's discussion: what others can read of it, newest first, each
/// comment's Markdown rendered as the page renders it.
pub fn discussion_atom(
    state: &AppState,
    paper: &Paper,
    comments: &[paperboy_store::Comment],
) -> Result<String, AppError> {
    use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
    let time = |seconds: i64| -> Result<FixedDateTime, AppError> {
        let stamp = jiff::Timestamp::from_second(seconds).map_err(AppError::internal)?;
        FixedDateTime::parse_from_rfc3339(&stamp.to_string()).map_err(AppError::internal)
    };
    let base = &state.settings.public_url;
    let page = format!("{base}/papers/{}", paper.id);
    let title = paperboy_core::tex_to_plain(&paper.title);
    let visible: Vec<&paperboy_store::Comment> = comments.iter().filter(|c| !c.deleted && !c.hidden).rev().collect();
    let entries = visible
        .iter()
        .map(|comment| {
            let url = format!("{page}#comment-{}", comment.id);
            let author = comment
                .author
                .as_ref()
                .map_or_else(|| "a former member".to_owned(), |a| a.display_name.clone());
            Ok(Entry {
                id: format!("{base}/comments/{}", comment.id),
                title: Text::plain(format!("{author} on “{title}”")),
                updated: time(comment.edited_at.unwrap_or(comment.created_at))?,
                published: Some(time(comment.created_at)?),
                authors: vec![Person {
                    name: author,
                    ..Person::default()
                }],
                links: vec![Link {
                    href: url,
                    rel: "alternate".into(),
                    mime_type: Some("text/html".into()),
                    ..Link::default()
                }],
                content: Some(Content {
                    value: Some(super::markdown::render(&comment.body)),
                    content_type: Some("html".into()),
                    ..Content::default()
                }),
                ..Entry::default()
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let updated = visible
        .iter()
        .map(|c| c.edited_at.unwrap_or(c.created_at))
        .max()
        .unwrap_or(0);
    let feed = Feed {
        id: format!("{page}/comments.atom"),
        title: Text::plain(format!("Discussion of “{title}” · {}", state.settings.instance_name)),
        updated: time(updated)?,
        links: vec![
            Link {
                href: format!("{page}/comments.atom"),
                rel: "self".into(),
                mime_type: Some("application/atom+xml".into()),
                ..Link::default()
            },
            Link {
                href: format!("{page}#discussion"),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Link::default()
            },
        ],
        authors: vec![Person {
            name: state.settings.instance_name.clone(),
            ..Person::default()
        }],
        entries,
        ..Feed::default()
    };
    Ok(xml_1_0(feed.to_string()))
}

/// `document` without the characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF; Rust
/// strings hold no lone surrogates): no escape can carry them, and one of them makes the whole
/// feed unreadable to a conforming parser. Every XML document this server writes passes through
/// here, once, on its way out: whatever the text came from (arXiv, Hugging Face, a submission,
/// a search query, older data), and whatever the writer escaped.
pub(crate) fn xml_1_0(document: String) -> String {
    fn allowed(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    }
    if document.chars().all(allowed) {
        return document;
    }
    document.chars().filter(|&c| allowed(c)).collect()
}

pub fn rss(state: &AppState, view: &ListView, page_path: &str, self_url: &str) -> String {
    rss_document(
        state,
        &feed_title(state, view),
        updated(view),
        &view.entries,
        page_path,
        self_url,
    )
}

/// An RSS 2.0 feed of `entries` (lists, collections and author pages share it).
pub(crate) fn rss_document(
    state: &AppState,
    title: &str,
    updated: Date,
    entries: &[crate::lists::Entry],
    page_path: &str,
    self_url: &str,
) -> String {
    use rss::{CategoryBuilder, ChannelBuilder, GuidBuilder, ItemBuilder};
    let base = &state.settings.public_url;
    let rfc2822 = |date: Date| {
        announcement_time(date)
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .strftime("%a, %d %b %Y %H:%M:%S +0000")
            .to_string()
    };
    let items: Vec<rss::Item> = entries
        .iter()
        .map(|entry| {
            let paper = &entry.paper;
            let url = format!("{base}/papers/{}", paper.id);
            ItemBuilder::default()
                .title(Some(paper.title.clone()))
                .link(Some(url.clone()))
                // RSS readers take a description as HTML: the text must arrive escaped.
                .description(Some(escape_html(&format!(
                    "{} — {}",
                    paper.authors.join(", "),
                    paper.abstract_text
                ))))
                .guid(Some(GuidBuilder::default().value(url).permalink(true).build()))
                // One `dc:creator` per author, as arXiv's own feed writes them.
                .dublin_core_ext(Some({
                    let mut dublin_core = rss::extension::dublincore::DublinCoreExtension::default();
                    dublin_core.set_creators(paper.authors.clone());
                    dublin_core
                }))
                .pub_date(Some(rfc2822(entry.listed)))
                .categories(
                    paper
                        .categories
                        .iter()
                        .map(|c| CategoryBuilder::default().name(c.to_string()).build())
                        .collect::<Vec<_>>(),
                )
                .build()
        })
        .collect();
    let mut atom_extension = rss::extension::atom::AtomExtension::default();
    atom_extension.set_links(vec![rss::extension::atom::Link {
        href: self_url.to_owned(),
        rel: "self".into(),
        mime_type: Some("application/rss+xml".into()),
        ..Default::default()
    }]);
    let channel = ChannelBuilder::default()
        .title(title.to_owned())
        .link(format!("{base}{page_path}"))
        .description(format!(
            "Papers from arXiv, ranked by {} and the research community.",
            state.settings.instance_name
        ))
        .last_build_date(Some(rfc2822(updated)))
        .atom_ext(Some(atom_extension))
        .namespaces(std::collections::BTreeMap::from([(
            "dc".to_owned(),
            rss::extension::dublincore::NAMESPACE.to_owned(),
        )]))
        .items(items)
        .build()
        .to_string();
    xml_1_0(channel)
}

pub fn json_feed(state: &AppState, view: &ListView, page_path: &str, self_url: &str) -> Result<String, AppError> {
    // The next page of a long list, as JSON Feed readers page.
    let next_url = (view.request.page < view.pages()).then(|| {
        let next = crate::lists::ListRequest {
            page: view.request.page + 1,
            ..view.request.clone()
        };
        let path = self_url.split('?').next().unwrap_or(self_url);
        format!("{path}{}", next.query_string(Some(next.page)))
    });
    json_feed_document(
        state,
        &feed_title(state, view),
        &view.entries,
        page_path,
        self_url,
        next_url,
    )
}

/// A JSON Feed 1.1 of `entries`, with the URL of its next page if it has one.
pub(crate) fn json_feed_document(
    state: &AppState,
    title: &str,
    entries: &[crate::lists::Entry],
    page_path: &str,
    self_url: &str,
    next_url: Option<String>,
) -> Result<String, AppError> {
    let base = &state.settings.public_url;
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|entry| {
            let paper = &entry.paper;
            let summary: String = paper.abstract_text.chars().take(280).collect();
            serde_json::json!({
                "id": format!("{base}/papers/{}", paper.id),
                "url": format!("{base}/papers/{}", paper.id),
                "external_url": paper.id.abs_url(),
                "title": paper.title,
                "content_text": paper.abstract_text,
                "summary": summary,
                "date_published": rfc3339(entry.listed),
                "authors": paper.authors.iter().map(|name| serde_json::json!({"name": name})).collect::<Vec<_>>(),
                "tags": paper.categories.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                "_paperboy": {"votes": entry.score.votes(), "trendingScore": entry.score.score},
            })
        })
        .collect();
    let mut feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "description": format!("Papers from arXiv, ranked by {} and the research community.", state.settings.instance_name),
        "home_page_url": format!("{base}{page_path}"),
        "feed_url": self_url,
        "icon": format!("{base}{}/icon.svg", super::views::ASSET_PREFIX),
        "favicon": format!("{base}{}/icon.svg", super::views::ASSET_PREFIX),
        "authors": [{"name": state.settings.instance_name, "url": base}],
        "language": "en",
        "items": items,
    });
    if let Some(next_url) = next_url {
        feed["next_url"] = serde_json::json!(next_url);
    }
    serde_json::to_string_pretty(&feed).map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::xml_1_0;

    /// Every character XML 1.0's `Char` production leaves out.
    fn forbidden_in_xml() -> Vec<char> {
        (0_u32..0x20)
            .filter(|c| !matches!(c, 0x9 | 0xA | 0xD))
            .chain([0xFFFE, 0xFFFF])
            .filter_map(char::from_u32)
            .collect()
    }

    #[test]
    fn every_character_xml_forbids_is_dropped_and_everything_else_kept() {
        for forbidden in forbidden_in_xml() {
            let document = format!("<title>a{forbidden}b</title>");
            assert_eq!(xml_1_0(document), "<title>ab</title>", "U+{:04X}", forbidden as u32);
        }
        let allowed = "<t>tab\there\nline\r\u{20}é\u{D7FF}\u{E000}\u{FFFD}\u{10000}𝔸</t>";
        assert_eq!(xml_1_0(allowed.to_owned()), allowed);
    }
}

/// arXiv's own BibTeX style: `@misc{key, title=, author=, year=, eprint=, archivePrefix={arXiv}, primaryClass=, url=}`.
pub fn bibtex(paper: &Paper) -> String {
    let year = paper
        .first_version_date
        .or(paper.first_listed())
        .map(|d| d.year().to_string())
        .unwrap_or_default();
    let first_author_surname = paper
        .authors
        .first()
        .and_then(|name| name.split_whitespace().last())
        .map(|surname| {
            surname
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .unwrap_or_else(|| "anonymous".to_owned());
    let first_title_word = paper
        .title
        .split_whitespace()
        .map(|word| {
            word.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .find(|word| word.len() > 3 && !["with", "from", "that", "this", "towards"].contains(&word.as_str()))
        .unwrap_or_default();
    let key = format!("{first_author_surname}{year}{first_title_word}");
    let mut entry = format!("@misc{{{key},\n      title={{{}}},\n", bibtex_text(&paper.title));
    entry.push_str(&format!(
        "      author={{{}}},\n",
        bibtex_text(&paper.authors.join(" and "))
    ));
    entry.push_str(&format!(
        "      year={{{year}}},\n      eprint={{{}}},\n      archivePrefix={{arXiv}},\n",
        paper.id
    ));
    if let Some(primary) = &paper.primary_category {
        entry.push_str(&format!("      primaryClass={{{primary}}},\n"));
    }
    entry.push_str(&format!("      url={{{}}},\n}}", paper.id.abs_url()));
    entry
}

/// A field's text for BibTeX: TeX's specials `& % # _ $` escaped outside `$…$` math (inside it
/// they are TeX's), a lone `$` escaped, and the braces balanced.
fn bibtex_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while !rest.is_empty() {
        // A math span runs from an unescaped `$` to the next one.
        let math = rest.find('$').and_then(|start| {
            let escaped = rest[..start].ends_with('\\');
            let end = rest[start + 1..].find('$').map(|end| start + 1 + end);
            (!escaped).then_some(()).and(end).map(|end| (start, end))
        });
        let (plain, next) = match math {
            Some((start, end)) => (&rest[..start], Some(&rest[start..=end])),
            None => (rest, None),
        };
        let mut previous = None;
        for character in plain.chars() {
            if matches!(character, '&' | '%' | '#' | '_' | '$') && previous != Some('\\') {
                out.push('\\');
            }
            out.push(character);
            previous = Some(character);
        }
        match next {
            Some(span) => {
                out.push_str(span);
                rest = &rest[plain.len() + span.len()..];
            }
            None => rest = "",
        }
    }
    balanced(&out)
}

#[cfg(test)]
mod bibtex_tests {
    use super::*;
    use paperboy_core::ArxivId;

    #[test]
    fn bibtex_follows_arxiv_style_and_stays_balanced() {
        let mut paper = Paper::new(ArxivId::parse("2601.23265").unwrap());
        paper.title = "PaperBanana: Automating {Academic} Illustration} for AI {Scientists".into();
        paper.authors = vec!["Dawei Zhu".into(), "Rui Meng".into()];
        paper.primary_category = Some(paperboy_core::Category::parse("cs.CL").unwrap());
        paper.first_version_date = Some(jiff::civil::date(2026, 1, 30));
        let entry = bibtex(&paper);
        assert!(entry.starts_with("@misc{zhu2026paperbanana,\n"), "{entry}");
        assert!(entry.contains("eprint={2601.23265}"));
        assert!(entry.contains("archivePrefix={arXiv}"));
        assert!(entry.contains("primaryClass={cs.CL}"));
        assert!(entry.contains("author={Dawei Zhu and Rui Meng}"));
        assert_eq!(entry.matches('{').count(), entry.matches('}').count(), "{entry}");
    }

    #[test]
    fn bibtex_escapes_specials_outside_math_only() {
        assert_eq!(bibtex_text("Q&A 100% #1 snake_case"), "Q\\&A 100\\% \\#1 snake\\_case");
        assert_eq!(bibtex_text("VGG-T$^3$ and $a_b$"), "VGG-T$^3$ and $a_b$");
        assert_eq!(bibtex_text("costs $5 only"), "costs \\$5 only");
        assert_eq!(bibtex_text("already \\& escaped"), "already \\& escaped");
    }
}

/// BibTeX breaks on unbalanced braces; drop the ones that do not pair.
pub fn balanced(text: &str) -> String {
    let mut depth = 0usize;
    let mut kept: Vec<char> = Vec::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '{' => {
                depth += 1;
                kept.push(character);
            }
            '}' if depth == 0 => {}
            '}' => {
                depth -= 1;
                kept.push(character);
            }
            other => kept.push(other),
        }
    }
    let mut out: String = kept.into_iter().collect();
    while depth > 0 {
        if let Some(position) = out.rfind('{') {
            out.remove(position);
        }
        depth -= 1;
    }
    out
}

/// The feeds and the BibTeX of a page that lists `entries` (a collection, an author), by the
/// file name asked for under the page's path: `feed.atom`, `feed.rss`, `feed.json` or
/// `papers.bib`.
pub(crate) fn entries_file(
    state: &AppState,
    title: &str,
    entries: &[crate::lists::Entry],
    page_path: &str,
    file: &str,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let updated = entries
        .iter()
        .map(|entry| entry.listed)
        .max()
        .unwrap_or_else(crate::clock::today_utc);
    let self_url = format!("{}{page_path}/{file}", state.settings.public_url);
    let (content_type, body) = match file {
        "feed.atom" => (
            "application/atom+xml; charset=utf-8",
            atom_document(state, title, updated, entries, page_path, &self_url)?,
        ),
        "feed.rss" => (
            "application/rss+xml; charset=utf-8",
            rss_document(state, title, updated, entries, page_path, &self_url),
        ),
        "feed.json" => (
            "application/feed+json; charset=utf-8",
            json_feed_document(state, title, entries, page_path, &self_url, None)?,
        ),
        "papers.bib" => ("application/x-bibtex; charset=utf-8", bibtex_of(entries)),
        _ => return Err(AppError::not_found(format!("There is no page called {file:?} here."))),
    };
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response())
}
