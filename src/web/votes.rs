//! Upvotes: one per person per paper. Without JavaScript a form on every card posts here and
//! comes back to the same place; with it, `app.js` calls the API and updates the count in place.

use super::api_json::{ErrorJson, MyVotesJson, PaperIdPath, VoteJson};
use axum::Form;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use paperboy_core::ArxivId;
use serde::Deserialize;

use super::error::{ApiError, AppError};
use super::forms::{NextForm, percent_encode, safe_next};
use super::guard::{ApiCaller, CurrentUser, SameOrigin, rate_limit};
use super::state::AppState;
use crate::limits::Limit;

/// `<id>/upvote` → the paper's id (old-style ids have a slash of their own).
fn upvote_target(rest: &str) -> Result<ArxivId, AppError> {
    let id = rest
        .strip_suffix("/upvote")
        .ok_or_else(|| AppError::not_found("There is nothing to post to here."))?;
    ArxivId::parse(id).map_err(|error| AppError::bad_request(error.to_string()))
}

/// `POST /papers/<id>/upvote`: toggles the person's vote and goes back to the page.
pub async fn vote_form(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(rest): Path<String>,
    Form(form): Form<NextForm>,
) -> Result<Response, AppError> {
    let paper = upvote_target(&rest)?;
    let back = safe_next(form.next.as_deref());
    let Some(session) = session else {
        return Ok(Redirect::to(&format!("/login?next={}", percent_encode(&back))).into_response());
    };
    rate_limit(&state, Limit::Votes, &session.user.id.to_string()).await?;
    let voted = state
        .store
        .voted_among(session.user.id, std::slice::from_ref(&paper))
        .await?
        .contains(&paper);
    state
        .store
        .set_vote(session.user.id, &paper, !voted)
        .await?
        .ok_or_else(|| AppError::not_found(format!("arXiv:{paper} is not on this instance.")))?;
    state.cache.refresh(state.store.as_ref()).await;
    tracing::info!(user = session.user.id, paper = %paper, voted = !voted, "vote");
    let anchor = paper.as_str().replace('/', "-");
    Ok(Redirect::to(&format!("{back}#paper-{anchor}")).into_response())
}

/// Upvote a paper (once per person; again changes nothing).
#[utoipa::path(
    post,
    path = "/api/papers/{id}/upvote",
    params(PaperIdPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The new count", body = VoteJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site, or the account is banned", body = ErrorJson),
        (status = 404, description = "The paper is not on this instance", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn api_upvote(caller: Result<ApiCaller, ApiError>, state: State<AppState>, path: Path<String>) -> Response {
    api_vote(state, caller, path, true).await
}

/// Withdraw your upvote.
#[utoipa::path(
    delete,
    path = "/api/papers/{id}/upvote",
    params(PaperIdPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The new count", body = VoteJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site, or the account is banned", body = ErrorJson),
        (status = 404, description = "The paper is not on this instance", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn api_unvote(caller: Result<ApiCaller, ApiError>, state: State<AppState>, path: Path<String>) -> Response {
    api_vote(state, caller, path, false).await
}

/// `POST` / `DELETE /api/papers/<id>/upvote`: answers the new count. Any other path under
/// `/api/papers/` is a paper, which only answers GET.
async fn api_vote(
    state: State<AppState>,
    caller: Result<ApiCaller, ApiError>,
    Path(rest): Path<String>,
    voted: bool,
) -> Response {
    if !rest.ends_with("/upvote") {
        return super::api_json::method_not_allowed("GET, HEAD");
    }
    match caller {
        Ok(ApiCaller(user)) => cast_api_vote(state, user, &rest, voted).await.into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn cast_api_vote(
    State(state): State<AppState>,
    user: paperboy_store::User,
    rest: &str,
    voted: bool,
) -> Result<Json<VoteJson>, ApiError> {
    let paper = upvote_target(rest)?;
    rate_limit(&state, Limit::Votes, &user.id.to_string()).await?;
    let local_votes = state
        .store
        .set_vote(user.id, &paper, voted)
        .await?
        .ok_or_else(|| AppError::not_found(format!("paper {paper} is not on this instance")))?;
    let imported = state.store.paper(&paper).await?.map_or(0, |p| p.imported_votes());
    state.cache.refresh(state.store.as_ref()).await;
    tracing::info!(user = user.id, paper = %paper, voted, "vote");
    Ok(Json(VoteJson {
        id: paper.to_string(),
        upvotes: imported + local_votes,
        local_votes,
        voted,
    }))
}

/// The longest `ids` text read (200 ids of up to 25 characters).
const MAX_IDS_TEXT: usize = 5000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VotedParams {
    /// arXiv ids, comma-separated (the first 200 count).
    #[param(
        max_length = 5000,
        pattern = r"^[A-Za-z0-9.,/:-]*$",
        example = "2601.23265,2602.02276"
    )] // MAX_IDS_TEXT
    ids: Option<String>,
    /// Comment ids, comma-separated (the first 500 count).
    #[param(max_length = 5000, pattern = r"^[0-9,]*$", example = "12,15")] // MAX_IDS_TEXT
    comments: Option<String>,
}

/// `GET /api/me/votes?ids=a,b`: which of these the signed-in person voted for (pages are
/// cached for everyone, so a person's own state comes separately).
#[utoipa::path(
    get,
    path = "/api/me/votes",
    params(VotedParams),
    security((), ("session" = [])),
    responses(
        (status = 200, description = "Which of the papers the signed-in reader voted for (none when signed out)", body = MyVotesJson),
        (status = 400, description = "ids is too long", body = ErrorJson),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorJson),
    )
)]
pub async fn my_votes(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Query(params): Query<VotedParams>,
) -> Result<Json<MyVotesJson>, ApiError> {
    if params.ids.as_deref().is_some_and(|ids| ids.len() > MAX_IDS_TEXT) {
        return Err(AppError::bad_request(format!("ids is longer than {MAX_IDS_TEXT} characters")).into());
    }
    if params.comments.as_deref().is_some_and(|ids| ids.len() > MAX_IDS_TEXT) {
        return Err(AppError::bad_request(format!("comments is longer than {MAX_IDS_TEXT} characters")).into());
    }
    // Only the characters ids are written with: the address stays far below the head limit.
    if params
        .ids
        .as_deref()
        .is_some_and(|ids| !ids.chars().all(|c| c.is_ascii_alphanumeric() || ".,/:-".contains(c)))
    {
        return Err(AppError::bad_request("ids holds a character no arXiv id has").into());
    }
    if params
        .comments
        .as_deref()
        .is_some_and(|ids| !ids.chars().all(|c| c.is_ascii_digit() || c == ','))
    {
        return Err(AppError::bad_request("comments is comment numbers separated by commas").into());
    }
    let Some(session) = session else {
        return Ok(Json(MyVotesJson {
            signed_in: false,
            voted: Vec::new(),
            saved: Vec::new(),
            profile: None,
            comment_votes: Vec::new(),
        }));
    };
    let ids: Vec<ArxivId> = params
        .ids
        .unwrap_or_default()
        .split(',')
        .take(200)
        .filter_map(|id| ArxivId::parse(id).ok())
        .collect();
    let voted = state.store.voted_among(session.user.id, &ids).await?;
    let saved = state.store.saved_among(session.user.id, &ids).await?;
    let comments: Vec<i64> = params
        .comments
        .unwrap_or_default()
        .split(',')
        .take(500)
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    let comment_votes = state.store.comment_votes_among(session.user.id, &comments).await?;
    Ok(Json(MyVotesJson {
        signed_in: true,
        voted: voted.iter().map(ArxivId::to_string).collect(),
        saved: saved.iter().map(ArxivId::to_string).collect(),
        profile: Some(session.user.profile_id.clone()),
        comment_votes,
    }))
}
