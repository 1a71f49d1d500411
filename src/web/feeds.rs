//! Atom, RSS 2.0 and JSON Feed for every list view: `<list path>/feed.atom|feed.rss|feed.json`,
//! with the list's `sort` and `cat`. Same papers as the page, in the same order. And the list's
//! BibTeX, `<list path>/papers.bib`, for a reference manager.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use paperboy_core::{Date, Period, announcement_time};

use super::AppState;
use super::cache::{PageKey, cached};
use super::error::AppError;
use super::pages::{escape_html, human_date};
use crate::lists::{ListParams, ListRequest, ListView, Scope, begun, load};

#[derive(Clone, Copy)]
enum FeedFormat {
    Atom,
    Rss,
    Json,
    Bibtex,
}

/// A list's BibTeX holds this many papers a page (a day's whole list, nearly always).
const BIBTEX_PAGE_SIZE: u32 = 1000;

impl FeedFormat {
    fn from_file(file: &str) -> Option<FeedFormat> {
        match file {
            "feed.atom" => Some(FeedFormat::Atom),
            "feed.rss" => Some(FeedFormat::Rss),
            "feed.json" => Some(FeedFormat::Json),
            "papers.bib" => Some(FeedFormat::Bibtex),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            FeedFormat::Atom => "application/atom+xml; charset=utf-8",
            FeedFormat::Rss => "application/rss+xml; charset=utf-8",
            FeedFormat::Json => "application/feed+json; charset=utf-8",
            FeedFormat::Bibtex => "application/x-bibtex; charset=utf-8",
        }
    }
}

pub async fn latest_day(
    State(state): State<AppState>,
    page: PageKey,
    Path(file): Path<String>,
    Query(params): Query<ListParams>,
) -> Response {
    serve(state, page, None, file, params).await
}

pub async fn day(
    State(state): State<AppState>,
    page: PageKey,
    Path((day, file)): Path<(String, String)>,
    Query(params): Query<ListParams>,
) -> Response {
    let scope = Period::parse_day(&day)
        .map_err(|e| AppError::not_found(e.to_string()))
        .and_then(|period| Ok(begun(period)?))
        .map(|p| Some(Scope::Period(p)));
    serve_scope(state, page, scope, file, params).await
}

pub async fn week(
    State(state): State<AppState>,
    page: PageKey,
    Path((week, file)): Path<(String, String)>,
    Query(params): Query<ListParams>,
) -> Response {
    let scope = Period::parse_week(&week)
        .map_err(|e| AppError::not_found(e.to_string()))
        .and_then(|period| Ok(begun(period)?))
        .map(|p| Some(Scope::Period(p)));
    serve_scope(state, page, scope, file, params).await
}

pub async fn month(
    State(state): State<AppState>,
    page: PageKey,
    Path((month, file)): Path<(String, String)>,
    Query(params): Query<ListParams>,
) -> Response {
    let scope = Period::parse_month(&month)
        .map_err(|e| AppError::not_found(e.to_string()))
        .and_then(|period| Ok(begun(period)?))
        .map(|p| Some(Scope::Period(p)));
    serve_scope(state, page, scope, file, params).await
}

pub async fn trending(
    State(state): State<AppState>,
    page: PageKey,
    Path(file): Path<String>,
    Query(params): Query<ListParams>,
) -> Response {
    serve(state, page, Some(Scope::Trending), file, params).await
}

async fn serve_scope(
    state: AppState,
    page: PageKey,
    scope: Result<Option<Scope>, AppError>,
    file: String,
    params: ListParams,
) -> Response {
    match scope {
        Ok(scope) => serve(state, page, scope, file, params).await,
        Err(error) => axum::response::IntoResponse::into_response(error),
    }
}

/// `scope` None means the latest listing day (the home page's list).
async fn serve(state: AppState, page: PageKey, scope: Option<Scope>, file: String, params: ListParams) -> Response {
    let Some(format) = FeedFormat::from_file(&file) else {
        return axum::response::IntoResponse::into_response(AppError::not_found(format!(
            "no page called {file:?} here"
        )));
    };
    cached(&state, &page, format.content_type(), async {
        let scope = match scope {
            Some(scope) => scope,
            None => match state.store.latest_listing_day().await? {
                Some(day) => Scope::Period(Period::Day(day)),
                None => Scope::Trending,
            },
        };
        let page_size = match format {
            FeedFormat::Bibtex => BIBTEX_PAGE_SIZE,
            _ => state.settings.page_size.max(50),
        };
        let request = ListRequest::from_params(scope, &params, page_size)?;
        let view = load(&*state.store, &state.settings.trending, request).await?;
        // The page a feed stands for keeps its sort and category.
        let page_path = format!("{}{}", page_path(scope), view.request.query_string(None));
        let self_url = format!("{}{}", state.settings.public_url, page.key);
        let body = match format {
            FeedFormat::Atom => atom(&state, &view, &page_path, &self_url)?,
            FeedFormat::Rss => rss(&state, &view, &page_path, &self_url),
            FeedFormat::Json => json_feed(&state, &view, &page_path, &self_url)?,
            FeedFormat::Bibtex => bibtex_of(&view.entries),
        };
        Ok(Bytes::from(body))
    })
    .await
}

/// The BibTeX entries of a list's papers, in the list's order.
pub(crate) fn bibtex_of(entries: &[crate::lists::Entry]) -> String {
    let entries: Vec<String> = entries
        .iter()
        .map(|entry| crate::web::pages::paper::bibtex(&entry.paper) + "\n")
        .collect();
    entries.join("\n")
}

fn page_path(scope: Scope) -> String {
    match scope {
        Scope::Period(period) => period.path(),
        Scope::Trending => "/papers/trending".to_owned(),
    }
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

fn atom(state: &AppState, view: &ListView, page_path: &str, self_url: &str) -> Result<String, AppError> {
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

fn rss(state: &AppState, view: &ListView, page_path: &str, self_url: &str) -> String {
    use rss::{CategoryBuilder, ChannelBuilder, GuidBuilder, ItemBuilder};
    let base = &state.settings.public_url;
    let rfc2822 = |date: Date| {
        announcement_time(date)
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .strftime("%a, %d %b %Y %H:%M:%S +0000")
            .to_string()
    };
    let items: Vec<rss::Item> = view
        .entries
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
        .title(feed_title(state, view))
        .link(format!("{base}{page_path}"))
        .description(format!(
            "Papers from arXiv, ranked by {} and the research community.",
            state.settings.instance_name
        ))
        .last_build_date(Some(rfc2822(updated(view))))
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

fn json_feed(state: &AppState, view: &ListView, page_path: &str, self_url: &str) -> Result<String, AppError> {
    let base = &state.settings.public_url;
    let items: Vec<serde_json::Value> = view
        .entries
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
        "title": feed_title(state, view),
        "description": format!("Papers from arXiv, ranked by {} and the research community.", state.settings.instance_name),
        "home_page_url": format!("{base}{page_path}"),
        "feed_url": self_url,
        "icon": format!("{base}{}/icon.svg", super::assets::ASSET_PREFIX),
        "favicon": format!("{base}{}/icon.svg", super::assets::ASSET_PREFIX),
        "authors": [{"name": state.settings.instance_name, "url": base}],
        "language": "en",
        "items": items,
    });
    // The next page of a long list, as JSON Feed readers page.
    if view.request.page < view.pages() {
        let next = crate::lists::ListRequest {
            page: view.request.page + 1,
            ..view.request.clone()
        };
        let path = self_url.split('?').next().unwrap_or(self_url);
        feed["next_url"] = serde_json::json!(format!("{path}{}", next.query_string(Some(next.page))));
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
