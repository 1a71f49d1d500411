//! Search over HTTP: the page (`/search`), the saved-search feed (`/feeds/search.atom`) and the
//! API (`/api/papers/search`). All three read the same parameters the same way.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use paperboy_core::{ArxivId, Date};
use paperboy_search::{Filters, Highlight, Mode, Sort, parse};
use serde::Deserialize;

use crate::lists::Entry;
use crate::search::{SearchRequest, SearchResults};
use crate::web::error::AppError;
use crate::web::forms::percent_encode;
use crate::web::state::AppState;
use crate::web::views::{CardView, FeedLink, HighlightView, Layout};

/// Every search parameter, as text: each is checked and a bad one named in the error.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query, in the search page's language (words, "phrases", -exclusions, au:, ti:,
    /// cat:, parentheses). Needed unless `cat` is given.
    #[param(max_length = 500, example = "diffusion language models")]
    pub q: Option<String>,
    /// keyword, semantic or hybrid. Default: hybrid when the instance has the embedding model,
    /// else keyword; without the model, semantic and hybrid fall back to keyword (see
    /// X-Search-Notice).
    #[param(value_type = Option<SearchMode>)]
    pub mode: Option<String>,
    /// relevance (default); new and votes sort every keyword match.
    #[param(value_type = Option<SearchSort>)]
    pub sort: Option<String>,
    /// Categories or archives, separated by commas or spaces: any of them.
    #[param(max_length = 200, example = "cs.CV,cs.LG")]
    pub cat: Option<String>,
    /// Papers listed on or after this day.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Papers listed on or before this day.
    #[param(value_type = Option<String>, format = Date)]
    pub until: Option<String>,
    /// Results go 1,000 deep: with limit L the last page is 1000 / L + 1.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1001)]
    pub page: Option<String>,
    /// Results per page (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

/// Search modes, for the document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // a schema only: the text is parsed where it is used, to name bad values
pub enum SearchMode {
    Keyword,
    Semantic,
    Hybrid,
}

/// Search orders, for the document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // a schema only
pub enum SearchSort {
    Relevance,
    New,
    Votes,
}

/// The longest `cat` read (dozens of categories).
const MAX_CATEGORIES_TEXT: usize = 200;

/// Results per page on the search page and in the feed.
const PAGE_SIZE: usize = 20;
/// Deepest result a page can reach: the index is not a bulk export.
const MAX_OFFSET: usize = 1_000;

/// The parameters, read. An error says which parameter and why.
struct Read {
    text: String,
    request: SearchRequest,
    page: usize,
}

fn read(params: &SearchParams, page_size: usize) -> Result<Read, String> {
    let text = params.q.clone().unwrap_or_default().trim().to_string();
    let query = parse(&text).map_err(|error| format!("The query could not be read: {error}."))?;
    let mode = match params.mode.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => None,
        Some(mode) => {
            Some(Mode::parse(mode).ok_or_else(|| format!("mode must be keyword, semantic or hybrid, not {mode:?}."))?)
        }
    };
    let sort = match params.sort.as_deref().map(str::trim).unwrap_or("") {
        "" | "relevance" => {
            if text.is_empty() {
                Sort::New
            } else {
                Sort::Relevance
            }
        }
        "new" => Sort::New,
        "votes" => Sort::Votes,
        other => return Err(format!("sort must be relevance, new or votes, not {other:?}.")),
    };
    let date = |name: &str, value: &Option<String>| -> Result<Option<Date>, String> {
        match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => text
                .parse::<Date>()
                .map(Some)
                .map_err(|_| format!("{name} must be a date like 2026-02-13, not {text:?}.")),
        }
    };
    if params
        .cat
        .as_deref()
        .is_some_and(|cat| cat.chars().count() > MAX_CATEGORIES_TEXT)
    {
        return Err(format!("cat is longer than {MAX_CATEGORIES_TEXT} characters."));
    }
    let categories: Vec<String> = params
        .cat
        .as_deref()
        .unwrap_or("")
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(bad) = categories
        .iter()
        .find(|c| !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '-'))
    {
        return Err(format!(
            "cat takes arXiv categories like cs.CV or archives like cs, not {bad:?}."
        ));
    }
    let filters = Filters {
        categories,
        from: date("from", &params.from)?,
        until: date("until", &params.until)?,
    };
    // Results go MAX_OFFSET deep: the last page is the one that starts there. Checked before
    // any arithmetic, so no page number can wrap round to an early page.
    let last_page = MAX_OFFSET / page_size + 1;
    let page = match params.page.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => 1,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=last_page).contains(p))
            .ok_or_else(|| {
                format!(
                    "page must be a number from 1 to {last_page} (results go {MAX_OFFSET} deep; narrow the search \
                     to see further), not {text:?}."
                )
            })?,
    };
    let offset = (page - 1) * page_size;
    let request = SearchRequest {
        query,
        mode,
        filters,
        sort,
        offset,
        limit: page_size,
    };
    Ok(Read { text, request, page })
}

/// The search's parameters as a query string, with `page` replaced.
fn query_string(params: &SearchParams, page: Option<usize>) -> String {
    let mut pairs = Vec::new();
    for (name, value) in [
        ("q", &params.q),
        ("mode", &params.mode),
        ("sort", &params.sort),
        ("cat", &params.cat),
        ("from", &params.from),
        ("until", &params.until),
    ] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            pairs.push(format!("{name}={}", percent_encode(value)));
        }
    }
    if let Some(page) = page.filter(|&p| p > 1) {
        pairs.push(format!("page={page}"));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

/// The papers of a result page, in order, with their current scores.
async fn entries(state: &AppState, results: &SearchResults) -> Result<Vec<Entry>, AppError> {
    let ids: Vec<ArxivId> = results
        .hits
        .iter()
        .filter_map(|hit| ArxivId::parse(&hit.id).ok())
        .collect();
    let papers = state.store.papers_by_ids(&ids).await?;
    let scores = crate::web::api_json::scores_now(state, &papers).await?;
    let held: Vec<ArxivId> = papers.iter().map(|paper| paper.id.clone()).collect();
    let comments = state.store.comment_counts(&held).await?;
    Ok(papers
        .into_iter()
        .zip(scores)
        .zip(comments)
        .map(|((paper, (score, listed)), (_, comments))| Entry {
            listed: listed.or(paper.first_version_date).unwrap_or(Date::MIN),
            score,
            paper,
            submitted_by: None,
            comments,
        })
        .collect())
}

pub struct PageLink {
    pub label: &'static str,
    pub href: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    text: String,
    mode: &'static str,
    sort: &'static str,
    cat: String,
    from: String,
    until: String,
    semantic: bool,
    problem: Option<String>,
    notice: Option<String>,
    summary: String,
    cards: Vec<CardView>,
    previous: Option<PageLink>,
    next: Option<PageLink>,
    feed: String,
    /// The BibTeX of the results on this page.
    bibtex: String,
    /// What following this search stores (its words and categories), and where to come back.
    follow: Option<(String, String)>,
}

pub async fn page(State(state): State<AppState>, Query(params): Query<SearchParams>) -> Result<Response, AppError> {
    let text = params.q.clone().unwrap_or_default().trim().to_string();
    // An arXiv id goes straight to its paper.
    if let Ok(id) = ArxivId::parse(&text)
        && state.store.paper(&id).await?.is_some()
    {
        return Ok(Redirect::to(&format!("/papers/{id}")).into_response());
    }
    let semantic = state.search.semantic_available();
    let mut layout = Layout::new(
        if text.is_empty() {
            format!("Search · {}", state.settings.instance_name)
        } else {
            format!("Search: {text} · {}", state.settings.instance_name)
        },
        &state.settings.instance_name,
    );
    layout.query = text.clone();
    let feed = format!("/feeds/search.atom{}", query_string(&params, None));
    let field = |value: &Option<String>| value.clone().unwrap_or_default();
    let mut page = SearchPage {
        layout,
        text: text.clone(),
        mode: params.mode.as_deref().and_then(Mode::parse).map_or("", Mode::as_str),
        sort: match params.sort.as_deref() {
            Some("new") => "new",
            Some("votes") => "votes",
            _ => "relevance",
        },
        cat: field(&params.cat),
        from: field(&params.from),
        until: field(&params.until),
        semantic,
        problem: None,
        notice: None,
        summary: String::new(),
        cards: Vec::new(),
        previous: None,
        next: None,
        feed: feed.clone(),
        bibtex: String::new(),
        follow: None,
    };
    let nothing_asked = text.is_empty() && params.cat.as_deref().unwrap_or("").trim().is_empty();
    if !nothing_asked {
        // A followed search keeps its words and categories; dates and order are the page's.
        let followed = SearchParams {
            q: params.q.clone(),
            cat: params.cat.clone(),
            ..SearchParams::default()
        };
        let value = query_string(&followed, None).trim_start_matches('?').to_owned();
        page.follow = Some((value, format!("/search{}", query_string(&params, None))));
    }
    let read = match read(&params, PAGE_SIZE) {
        Ok(read) => read,
        Err(problem) => {
            page.problem = Some(problem);
            page.follow = None;
            let html = page.render().map_err(AppError::internal)?;
            return Ok((StatusCode::BAD_REQUEST, Html(html)).into_response());
        }
    };
    if nothing_asked && read.request.filters.is_empty() {
        return Ok(Html(page.render().map_err(AppError::internal)?).into_response());
    }
    page.bibtex = format!("/search.bib{}", query_string(&params, Some(read.page)));
    let highlighter = state
        .search
        .highlighter(&read.request.query)
        .map_err(AppError::internal)?;
    let results = state
        .search
        .query(read.request.clone())
        .await
        .map_err(AppError::internal)?;
    let entries = entries(&state, &results).await?;
    page.layout.feeds.push(FeedLink {
        label: "Atom",
        title: "Atom feed of this search".into(),
        href: feed,
        mime: "application/atom+xml",
    });
    page.notice = results.notice.clone();
    page.summary = summary(&results, read.request.sort);
    // Right after a model is installed, papers get their embeddings over minutes or hours:
    // say so rather than claim an answer by meaning that is by keywords.
    let (embedded, indexed) = state.search.embedding_progress();
    if results.mode != Mode::Keyword && (embedded as u64) < indexed {
        let progress = format!(
            "Search by meaning is still being prepared: {} of {} papers have been read for their meaning so far; until then the others are found by their keywords.",
            grouped(embedded),
            grouped(indexed as usize)
        );
        page.notice = Some(match page.notice.take() {
            Some(notice) => format!("{notice} {progress}"),
            None => progress,
        });
        if embedded == 0 {
            page.summary = summary_by_keywords(&results);
        }
    }
    let back = format!("/search{}", query_string(&params, Some(read.page)));
    page.cards = entries
        .iter()
        .map(|entry| {
            let mut card = CardView::from_entry(entry, true, &back);
            if !read.text.is_empty() {
                let paper = &entry.paper;
                card.highlight = Some(HighlightView::new(
                    &keeping_math_whole(&highlighter.title(&paper.title), &paper.title),
                    &keeping_math_whole(
                        &highlighter.abstract_excerpt(&paper.abstract_text),
                        &paper.abstract_text,
                    ),
                ));
            }
            card
        })
        .collect();
    if read.page > 1 {
        page.previous = Some(PageLink {
            label: "← Previous",
            href: format!("/search{}", query_string(&params, Some(read.page - 1))),
        });
    }
    if read.request.offset + read.request.limit < results.total.min(MAX_OFFSET + PAGE_SIZE) {
        page.next = Some(PageLink {
            label: "Next →",
            href: format!("/search{}", query_string(&params, Some(read.page + 1))),
        });
    }
    Ok(Html(page.render().map_err(AppError::internal)?).into_response())
}

fn summary(results: &SearchResults, sort: Sort) -> String {
    let ranking = match (results.mode, sort) {
        (_, Sort::New) => "newest first",
        (_, Sort::Votes) => "most votes first",
        (Mode::Keyword, _) => "ranked by keyword relevance",
        (Mode::Semantic, _) => "ranked by meaning",
        (Mode::Hybrid, _) => "ranked by keywords and meaning",
    };
    match (results.total, results.mode) {
        (0, _) => "No paper matches this search.".into(),
        (1, _) => format!("1 paper, {ranking}."),
        (n, Mode::Keyword) if !results.total_is_exact => format!("More than {} papers, {ranking}.", grouped(n)),
        (n, Mode::Keyword) => format!("{} papers, {ranking}.", grouped(n)),
        (n, _) => format!("The {n} closest papers, {ranking}."),
    }
}

/// The summary of an answer that asked for meaning while no paper has an embedding yet: it was
/// ranked by keywords.
fn summary_by_keywords(results: &SearchResults) -> String {
    match results.total {
        0 => "No paper matches this search.".into(),
        1 => "1 paper, ranked by keyword relevance.".into(),
        n => format!("The {n} closest papers, ranked by keyword relevance."),
    }
}

/// A count with thousands separated: 10,000.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `/feeds/search.atom?q=…`: a saved search for feed readers, newest matches first unless the
/// URL sorts otherwise.
pub async fn feed(State(state): State<AppState>, Query(mut params): Query<SearchParams>) -> Result<Response, AppError> {
    if params.sort.as_deref().unwrap_or("").is_empty() {
        params.sort = Some("new".into());
    }
    let read = read(&params, PAGE_SIZE).map_err(AppError::bad_request)?;
    let results = state.search.query(read.request).await.map_err(AppError::internal)?;
    let entries = entries(&state, &results).await?;
    let base = &state.settings.public_url;
    let title = if read.text.is_empty() {
        format!("Search · {}", state.settings.instance_name)
    } else {
        format!("“{}” · {}", read.text, state.settings.instance_name)
    };
    params.sort = params.sort.filter(|s| s != "new");
    let page_path = format!("/search{}", query_string(&params, None));
    let self_url = format!("{base}/feeds/search.atom{}", query_string(&params, None));
    let updated = entries.iter().map(|e| e.listed).max().unwrap_or(Date::MIN);
    let body = crate::web::documents::atom_document(&state, &title, updated, &entries, &page_path, &self_url)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response())
}

/// `GET /search.bib?…`: the BibTeX of a search's results page, in the page's order.
pub async fn bibtex(State(state): State<AppState>, Query(params): Query<SearchParams>) -> Result<Response, AppError> {
    let read = read(&params, PAGE_SIZE).map_err(AppError::bad_request)?;
    let results = state.search.query(read.request).await.map_err(AppError::internal)?;
    let entries = entries(&state, &results).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/x-bibtex; charset=utf-8")],
        crate::web::documents::bibtex_of(&entries),
    )
        .into_response())
}

/// `GET /api/papers/search?q=&limit=&mode=` (and sort, cat, from, until, page): the daily-papers
/// item shape, best first. `X-Total-Count` and `X-Search-Mode` say how many matched and how
/// (`X-Total-Count-Exact: false` when there are more: counting stops at 10,000).
#[utoipa::path(
    get,
    path = "/api/papers/search",
    params(SearchParams),
    responses(
        (status = 200, description = "Matching papers, best first (or as sorted)", body = [crate::web::api_json::DailyPaperJson],
            headers(
                ("X-Total-Count" = u64, description = "Keyword: every match, counted up to 10,000; semantic and hybrid: the ranked candidates"),
                ("X-Total-Count-Exact" = bool, description = "false when counting stopped at 10,000 and more papers match"),
                ("X-Search-Mode" = String, description = "The mode that ranked the results"),
                ("X-Search-Notice" = String, description = "Why the mode asked for was not used, if it was not"),
            )),
        (status = 400, description = "A parameter is malformed, or the query cannot be read (the error says where)", body = crate::web::api_json::ErrorJson),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = crate::web::api_json::ErrorJson),
    )
)]
pub async fn api(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, crate::web::error::ApiError> {
    crate::web::api_json::no_empty_parameters(&pairs)?;
    if params.q.as_deref().unwrap_or("").trim().is_empty() && params.cat.as_deref().unwrap_or("").trim().is_empty() {
        return Err(AppError::bad_request("q must not be empty").into());
    }
    let limit = match params.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => 20,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| AppError::bad_request(format!("limit must be a number from 1 to 100, not {text:?}")))?,
    };
    let read = read(&params, limit).map_err(AppError::bad_request)?;
    let results = state.search.query(read.request).await.map_err(AppError::internal)?;
    let entries = entries(&state, &results).await?;
    let items: Vec<crate::web::api_json::DailyPaperJson> = entries
        .iter()
        .map(|entry| crate::web::api_json::daily_paper_item(entry, &state.settings.trending))
        .collect();
    let mut response = axum::Json(items).into_response();
    let headers = response.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(results.total as u64));
    // Counting stops at paperboy_search::COUNT_LIMIT: then there are more than X-Total-Count.
    headers.insert(
        "x-total-count-exact",
        HeaderValue::from_static(if results.total_is_exact { "true" } else { "false" }),
    );
    headers.insert("x-search-mode", HeaderValue::from_static(results.mode.as_str()));
    if let Some(notice) = results.notice.as_deref().and_then(|n| HeaderValue::from_str(n).ok()) {
        headers.insert("x-search-notice", notice);
    }
    Ok(response)
}

/// `highlight` (of `whole`, or of an excerpt of it) with no math expression cut: the browser
/// renders an expression only from one piece of text, so a match inside one marks all of it, and
/// an excerpt that would start or end inside one takes all of it.
pub fn keeping_math_whole(highlight: &Highlight, whole: &str) -> Highlight {
    let Some(offset) = whole.find(highlight.text.as_str()) else {
        return highlight.clone();
    };
    let spans = paperboy_core::math_spans(whole);
    let range = paperboy_core::widen_to_whole_math(offset..offset + highlight.text.len(), &spans);
    let mut marks: Vec<std::ops::Range<usize>> = Vec::new();
    for mark in &highlight.marks {
        let widened = paperboy_core::widen_to_whole_math(mark.start + offset..mark.end + offset, &spans);
        match marks.last_mut() {
            Some(last) if widened.start <= last.end => last.end = last.end.max(widened.end),
            _ => marks.push(widened),
        }
    }
    Highlight {
        text: whole[range.clone()].to_owned(),
        marks: marks
            .into_iter()
            .map(|mark| mark.start - range.start..mark.end - range.start)
            .collect(),
        excerpt: highlight.excerpt && range.len() < whole.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_or_an_excerpt_never_cuts_a_math_expression() {
        let whole = r"the density ($\texttt{EOS}$) of tokens";
        let title = Highlight {
            text: whole.to_owned(),
            marks: std::iter::once(22..25).collect(),
            excerpt: false,
        };
        let kept = keeping_math_whole(&title, whole);
        assert_eq!(&kept.text[kept.marks[0].clone()], r"$\texttt{EOS}$");
        let excerpt = Highlight {
            text: whole[16..30].to_owned(),
            marks: vec![],
            excerpt: true,
        };
        let kept = keeping_math_whole(&excerpt, whole);
        assert_eq!(kept.text, r"$\texttt{EOS}$) o");
        assert!(kept.excerpt);
    }
}
