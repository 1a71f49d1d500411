//! Atom, RSS 2.0 and JSON Feed for every list view: `<list path>/feed.atom|feed.rss|feed.json`,
//! with the list's `sort` and `cat`. Same papers as the page, in the same order. And the list's
//! BibTeX, `<list path>/papers.bib`, for a reference manager.

use crate::web::documents::bibtex_of;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use paperboy_core::Period;

use super::cache::{PageKey, cached};
use super::documents::{atom, json_feed, rss};
use super::error::AppError;
use super::state::AppState;
use crate::lists::{ListParams, ListRequest, Scope, begun};

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
        let view = state.list(request).await?;
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

fn page_path(scope: Scope) -> String {
    match scope {
        Scope::Period(period) => period.path(),
        Scope::Trending => "/papers/trending".to_owned(),
    }
}
