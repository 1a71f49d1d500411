//! What a member follows — authors, categories, saved searches — through the API, and the
//! Follow buttons' form. Token or session (same-origin) auth; a member's follows are theirs alone.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use paperboy_core::Category;
use paperboy_store::FollowKind;
use serde::Deserialize;

use super::api_json::{ErrorJson, FollowActiveRequest, FollowJson, FollowsJson};
use super::error::{ApiError, AppError};
use super::forms::{percent_encode, safe_next};
use super::guard::{ApiCaller, CurrentUser, SameOrigin, now, rate_limit};
use super::state::AppState;
use crate::limits::Limit;

/// A follow's kind and value as the path gives them, checked: an author's name (1 to 200
/// characters), a category or archive arXiv has, or a search's query string (with `q=` or
/// `cat=`, up to 1,000 characters). Whitespace around is dropped; a category is written as
/// arXiv writes it (`CS.cl` is `cs.CL`).
fn followable(kind: &str, value: &str) -> Result<(FollowKind, String), AppError> {
    let kind = FollowKind::parse(kind)
        .ok_or_else(|| AppError::not_found(format!("one follows an author, a category or a search, not {kind:?}")))?;
    let value = value.trim();
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "what is followed is named, without control characters",
        ));
    }
    let value = match kind {
        FollowKind::Author if value.chars().count() <= 200 => value.to_owned(),
        FollowKind::Category => Category::known(value)
            .map_err(|error| AppError::bad_request(error.to_string()))?
            .to_string(),
        FollowKind::Search
            if value.len() <= 1000
                && value
                    .split('&')
                    .any(|part| part.starts_with("q=") || part.starts_with("cat=")) =>
        {
            value.to_owned()
        }
        FollowKind::Author => return Err(AppError::bad_request("an author's name is at most 200 characters")),
        FollowKind::Search => {
            return Err(AppError::bad_request(
                "a followed search is a search page's query string with q= or cat=, at most 1000 characters",
            ));
        }
    };
    Ok((kind, value))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FollowPath {
    /// author, category or search.
    #[param(pattern = "^(author|category|search)$")]
    #[allow(dead_code)] // Read by axum from the path; declared here for the document.
    kind: String,
    /// The author's name, the category (cs.CL, or an archive: cs), or the search's query string
    /// (q=…&cat=…), percent-encoded.
    #[param(min_length = 1, max_length = 1000)]
    #[allow(dead_code)]
    value: String,
}

async fn follows_json(state: &AppState, user_id: i64) -> Result<FollowsJson, AppError> {
    let follows = state.store.follows(user_id).await?;
    Ok(FollowsJson {
        follows: follows
            .into_iter()
            .map(|follow| FollowJson {
                kind: follow.kind.as_str().to_owned(),
                value: follow.value,
                active: follow.active,
            })
            .collect(),
    })
}

/// What you follow.
#[utoipa::path(
    get,
    path = "/api/me/follows",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Your follows, authors first, then categories, then searches", body = FollowsJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorJson),
    )
)]
pub async fn list(ApiCaller(user): ApiCaller, State(state): State<AppState>) -> Result<Json<FollowsJson>, ApiError> {
    Ok(Json(follows_json(&state, user.id).await?))
}

/// Follow an author, a category or a search (again: turns it on).
#[utoipa::path(
    put,
    path = "/api/me/follows/{kind}/{value}",
    params(FollowPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Your follows now", body = FollowsJson),
        (status = 400, description = "Not a name, category or search query string", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 404, description = "Not a kind of follow", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn follow(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path((kind, value)): Path<(String, String)>,
) -> Result<Json<FollowsJson>, ApiError> {
    let (kind, value) = followable(&kind, &value)?;
    rate_limit(&state, Limit::LibraryChanges, &user.id.to_string()).await?;
    state.store.follow(user.id, kind, &value, now()).await?;
    Ok(Json(follows_json(&state, user.id).await?))
}

/// Turn a follow off (kept, feeding nothing) or on again.
#[utoipa::path(
    patch,
    path = "/api/me/follows/{kind}/{value}",
    params(FollowPath),
    request_body = FollowActiveRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Your follows now", body = FollowsJson),
        (status = 400, description = "Not a name, category or search query string", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 404, description = "You do not follow that", body = ErrorJson),
        (status = 413, description = "The body is too large", body = ErrorJson),
        (status = 415, description = "The body is not JSON (Content-Type: application/json)", body = ErrorJson),
        (status = 422, description = "A body of the wrong shape", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn set_active(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path((kind, value)): Path<(String, String)>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<FollowsJson>, ApiError> {
    let (kind, value) = followable(&kind, &value)?;
    let request: FollowActiveRequest = super::api_json::object_body(body)?;
    rate_limit(&state, Limit::LibraryChanges, &user.id.to_string()).await?;
    if !state
        .store
        .set_follow_active(user.id, kind, &value, request.active)
        .await?
    {
        return Err(AppError::not_found("you do not follow that").into());
    }
    Ok(Json(follows_json(&state, user.id).await?))
}

/// Forget a follow.
#[utoipa::path(
    delete,
    path = "/api/me/follows/{kind}/{value}",
    params(FollowPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Your follows now", body = FollowsJson),
        (status = 400, description = "Not a name, category or search query string", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 404, description = "Not a kind of follow", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn unfollow(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path((kind, value)): Path<(String, String)>,
) -> Result<Json<FollowsJson>, ApiError> {
    let (kind, value) = followable(&kind, &value)?;
    rate_limit(&state, Limit::LibraryChanges, &user.id.to_string()).await?;
    state.store.unfollow(user.id, kind, &value).await?;
    Ok(Json(follows_json(&state, user.id).await?))
}

#[derive(Debug, Deserialize)]
pub struct FollowForm {
    kind: String,
    value: String,
    /// `unfollow` to stop following, `off` and `on` to turn a follow off and on again;
    /// anything else follows.
    action: Option<String>,
    next: Option<String>,
}

/// `POST /follows`: the Follow buttons without JavaScript; back to the page afterwards.
pub async fn follow_form(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Form(form): Form<FollowForm>,
) -> Result<Response, AppError> {
    let back = safe_next(form.next.as_deref());
    let Some(session) = session else {
        return Ok(Redirect::to(&format!("/login?next={}", percent_encode(&back))).into_response());
    };
    let (kind, value) = followable(&form.kind, &form.value)?;
    rate_limit(&state, Limit::LibraryChanges, &session.user.id.to_string()).await?;
    match form.action.as_deref() {
        Some("unfollow") => {
            state.store.unfollow(session.user.id, kind, &value).await?;
        }
        Some(switch @ ("off" | "on")) => {
            state
                .store
                .set_follow_active(session.user.id, kind, &value, switch == "on")
                .await?;
        }
        _ => {
            state.store.follow(session.user.id, kind, &value, now()).await?;
        }
    }
    Ok(Redirect::to(&back).into_response())
}
