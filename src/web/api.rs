//! The JSON API, shaped like Hugging Face's (`/api/daily_papers`, `/api/papers/<id>`) so existing
//! daily-papers clients work against any instance, plus each paper's trending score and inputs.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use paperboy_core::{ArxivId, Period, Sort};

use super::api_json::{
    CategoryJson, DailyPaperJson, DailyPapersParams, ErrorJson, PaperIdPath, PaperJson, parse_number,
};
use super::cache::{PageKey, cached};
use super::error::{ApiError, AppError};
use super::forms::period_param;
use super::state::AppState;
use crate::lists::{ListParams, ListRequest, MAX_PAGE, Scope};
use crate::web::api_json::{
    daily_paper_item, hugging_face_submitter, method_not_allowed, no_empty_parameters, paper_object, scores_now,
};

/// The longest `submitter` read: longer than any display name or HF handle.
const MAX_SUBMITTER: usize = 100;

/// Papers of a day, ISO week or month, as Hugging Face's `/api/daily_papers`.
#[utoipa::path(
    get,
    path = "/api/daily_papers",
    params(DailyPapersParams),
    responses(
        (status = 200, description = "The period's papers, in the order asked", body = [DailyPaperJson]),
        (status = 400, description = "A parameter is out of range or malformed", body = ErrorJson),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorJson),
    )
)]
pub async fn daily_papers(
    State(state): State<AppState>,
    page: PageKey,
    Query(params): Query<DailyPapersParams>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    if let Err(error) = no_empty_parameters(&pairs) {
        return error.into_response();
    }
    cached(&state, &page, "application/json", async {
        let items = daily_papers_items(&state, params)
            .await
            .map_err(|ApiError(error)| error)?;
        serde_json::to_vec(&items).map(Bytes::from).map_err(AppError::internal)
    })
    .await
}

async fn daily_papers_items(state: &AppState, params: DailyPapersParams) -> Result<Vec<DailyPaperJson>, ApiError> {
    let bad = |message: String| ApiError(AppError::bad_request(message));
    let period =
        match period_param(params.date.as_deref(), params.week.as_deref(), params.month.as_deref()).map_err(bad)? {
            Some(period) => Some(period),
            None => state.store.latest_listing_day().await?.map(Period::Day),
        };
    if params
        .submitter
        .as_deref()
        .is_some_and(|name| name.chars().count() > MAX_SUBMITTER)
    {
        return Err(bad(format!("submitter is longer than {MAX_SUBMITTER} characters")));
    }
    let Some(period) = period else { return Ok(Vec::new()) };
    let limit = parse_number(params.limit.as_deref(), 50, 1, 100, "limit")?;
    let page = parse_number(params.p.as_deref(), 0, 0, MAX_PAGE - 1, "p")?;
    let sort = match params.sort.as_deref() {
        // HF's documented default.
        None => Sort::New,
        Some(text) => Sort::parse(text).ok_or_else(|| {
            bad(format!(
                "sort must be publishedAt or trending (or new, top), not {text:?}"
            ))
        })?,
    };
    let list_params = ListParams {
        sort: Some(sort.as_str().to_owned()),
        cat: params.cat.clone(),
        page: Some((page + 1).to_string()),
    };
    let mut request = ListRequest::from_params(Scope::Period(period), &list_params, limit)?;
    // HF's `date=` is the day HF's daily list featured a paper, and so is ours where HF did.
    request.by_hugging_face_day = true;
    let view = state.list(request).await?;
    // Hugging Face filters by who submitted the paper: a member's display name here, or the HF
    // user who put it on HF's list.
    let entries = view.entries.iter().filter(|entry| match &params.submitter {
        Some(submitter) => {
            entry.submitted_by.as_deref() == Some(submitter.as_str())
                || hugging_face_submitter(&entry.paper).is_some_and(|user| user.name == *submitter)
        }
        None => true,
    });
    Ok(entries
        .map(|entry| daily_paper_item(entry, &state.settings.trending))
        .collect())
}

/// One paper, as Hugging Face's `/api/papers/{id}`.
#[utoipa::path(
    get,
    path = "/api/papers/{id}",
    params(PaperIdPath),
    responses(
        (status = 200, description = "The paper", body = PaperJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 404, description = "The paper is not on this instance", body = ErrorJson),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorJson),
    )
)]
pub async fn paper(State(state): State<AppState>, Path(raw): Path<String>) -> Response {
    if raw.ends_with("/upvote") {
        return method_not_allowed("POST, DELETE");
    }
    paper_json(state, raw).await.into_response()
}

/// `OPTIONS /api/papers/…`: a paper answers GET, its `/upvote` POST and DELETE (the router
/// holds both under one catch-all, for old-style ids with a `/`).
pub async fn paper_options(Path(raw): Path<String>) -> Response {
    let allow = if raw.ends_with("/upvote") {
        "POST, DELETE, OPTIONS"
    } else if raw.ends_with("/comments") {
        "GET, HEAD, POST, OPTIONS"
    } else {
        "GET, HEAD, OPTIONS"
    };
    (axum::http::StatusCode::NO_CONTENT, [(axum::http::header::ALLOW, allow)]).into_response()
}

async fn paper_json(state: AppState, raw: String) -> Result<Json<PaperJson>, ApiError> {
    let id = ArxivId::parse(&raw).map_err(|error| AppError::bad_request(error.to_string()))?;
    let paper = state
        .store
        .paper(&id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("paper {id} is not on this instance")))?;
    let (score, listed) = scores_now(&state, std::slice::from_ref(&paper))
        .await?
        .pop()
        .expect("a score per paper");
    let daily_date = paper.hugging_face_daily_date().or(listed);
    let comments = state
        .store
        .comment_counts(std::slice::from_ref(&id))
        .await?
        .first()
        .map_or(0, |(_, count)| *count);
    Ok(Json(paper_object(
        &paper,
        &score,
        daily_date,
        &state.settings.trending,
        comments,
    )))
}

pub async fn not_found() -> ApiError {
    ApiError(AppError::not_found("no such API route; see /api/openapi.json"))
}

/// arXiv's categories with their names, for clients and the category box's suggestions.
#[utoipa::path(get, path = "/api/categories", responses((status = 200, description = "Every arXiv category", body = [CategoryJson])))]
pub async fn categories() -> Response {
    let list: Vec<CategoryJson> = paperboy_core::TAXONOMY
        .iter()
        .map(|(code, full)| CategoryJson {
            code: (*code).to_owned(),
            name: full.rsplit(" - ").next().unwrap_or(full).to_owned(),
        })
        .collect();
    let mut response = Json(list).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=86400"),
    );
    response
}
