//! The discussion's API: a paper's comments as threads, page by page; posting one; and what a
//! member (edit, delete, upvote, report) or a moderator (hide, restore) does to one. Token or
//! session auth, CSRF-safe (a session's request must come from our pages), rate-limited with
//! JSON 429s and `Retry-After`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use paperboy_core::ArxivId;
use paperboy_store::Comment;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api_json::{ErrorJson, JsonObject, PaperIdPath, object_body};
use super::client::ClientIp;
use super::comments::{self, CommentAction, CommentOrder};
use super::error::{ApiError, AppError};
use super::guard::ApiCaller;
use super::markdown;
use super::state::AppState;

/// Who wrote a comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentAuthorJson {
    pub name: String,
    /// Their public profile: `/users/<profile>`.
    pub profile: String,
}

/// One comment, with its replies when read as a thread.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentJson {
    pub id: i64,
    /// The paper's arXiv id.
    pub paper: String,
    /// The comment this answers (after flattening: threads are at most 5 deep).
    pub parent: Option<i64>,
    pub depth: u32,
    /// Absent once the writer's account is deleted, and for a deleted comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub author: Option<CommentAuthorJson>,
    /// Markdown as written; empty once deleted.
    pub body: String,
    /// The body rendered into the site's safe subset of HTML (math left for KaTeX).
    pub html: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, nullable = false)]
    pub edited_at: Option<String>,
    pub deleted: bool,
    /// Hidden by a moderator (only moderators see such a comment, and only in their answers).
    pub hidden: bool,
    pub upvotes: i64,
    /// The comment's permalink.
    pub url: String,
    #[schema(no_recursion)]
    pub replies: Vec<CommentJson>,
}

/// A page of a paper's discussion.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentsPageJson {
    pub paper: String,
    pub sort: CommentOrder,
    /// Comments others can read, in all threads.
    pub total: usize,
    /// Threads (top-level comments) in all.
    pub threads: usize,
    pub page: u32,
    pub page_size: u32,
    /// This page's threads, each with its replies nested.
    pub comments: Vec<CommentJson>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommentsParams {
    /// oldest (default), newest, or top (most upvoted).
    pub sort: Option<CommentOrder>,
    /// Threads per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The page, from 0.
    #[param(minimum = 0, maximum = 10000)]
    pub p: Option<u32>,
}

/// A comment to post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommentRequest {
    /// Markdown, 1 to 10,000 characters (not only spaces): inline `$math$` and display
    /// `$$math$$`, code, links.
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub body: String,
    /// The comment this answers (a comment on the same paper), or null for a new thread.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub parent: Option<serde_json::Number>,
}

/// A JSON number that is a whole number (`3` and `3.0` alike), as an id.
fn whole_number(number: &serde_json::Number) -> Result<i64, AppError> {
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
        .ok_or_else(|| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("parent must be a comment's id, not {number}"),
            )
        })
}

/// A comment's new text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditCommentRequest {
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub body: String,
}

/// Why a moderator hid or restored a comment, for the log.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: String,
}

/// What is wrong with a comment, for the moderators.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedJson {
    pub reported: bool,
}

/// The `{id}` of a comment.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CommentIdPath {
    /// The comment's id.
    #[param(minimum = 1, maximum = 9_223_372_036_854_775_807_i64)]
    #[allow(dead_code)] // Read from the path by axum; declared here for the document.
    pub id: i64,
}

fn timestamp(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn comment_json(state: &AppState, comment: &Comment) -> CommentJson {
    let deleted = comment.deleted;
    CommentJson {
        id: comment.id,
        paper: comment.paper.clone(),
        parent: comment.parent,
        depth: comment.depth,
        author: comment.author.as_ref().filter(|_| !deleted).map(|a| CommentAuthorJson {
            name: a.display_name.clone(),
            profile: a.profile_id.clone(),
        }),
        body: comment.body.clone(),
        html: if deleted {
            String::new()
        } else {
            markdown::render(&comment.body)
        },
        created_at: timestamp(comment.created_at),
        edited_at: comment.edited_at.filter(|_| !deleted).map(timestamp),
        deleted,
        hidden: comment.hidden,
        upvotes: comment.votes,
        url: format!(
            "{}/papers/{}#comment-{}",
            state.settings.public_url, comment.paper, comment.id
        ),
        replies: Vec::new(),
    }
}

/// The paper of `<id>/comments`.
fn discussed_paper(rest: &str) -> Result<ArxivId, AppError> {
    let raw = rest
        .strip_suffix("/comments")
        .ok_or_else(|| AppError::not_found("there is nothing here"))?;
    ArxivId::parse(raw).map_err(|error| AppError::bad_request(error.to_string()))
}

/// A paper's discussion, threaded and paginated.
#[utoipa::path(
    get,
    path = "/api/papers/{id}/comments",
    params(PaperIdPath, CommentsParams),
    responses(
        (status = 200, description = "A page of threads", body = CommentsPageJson),
        (status = 400, description = "Not an arXiv id, or a parameter out of range", body = ErrorJson),
        (status = 404, description = "The paper is not on this instance", body = ErrorJson),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Path(rest): Path<String>,
    Query(params): Query<CommentsParams>,
) -> Result<Json<CommentsPageJson>, ApiError> {
    let paper = discussed_paper(&rest)?;
    let limit = params.limit.unwrap_or(20);
    let page = params.p.unwrap_or(0);
    if !(1..=100).contains(&limit) || page > 10_000 {
        return Err(AppError::bad_request("limit is 1 to 100 and p 0 to 10000").into());
    }
    if state.store.paper(&paper).await?.is_none() {
        return Err(AppError::not_found(format!("paper {paper} is not on this instance")).into());
    }
    let sort = params.sort.unwrap_or_default();
    let all = state.store.paper_comments(&paper, false).await?;
    // The same order and placeholders as the page's.
    let mut roots: Vec<CommentJson> = Vec::new();
    let mut path: Vec<usize> = Vec::new();
    for comment in comments::thread_order(&all, sort) {
        let json = comment_json(&state, comment);
        path.truncate(comment.depth as usize);
        let mut siblings = &mut roots;
        for &index in &path {
            siblings = &mut siblings[index].replies;
        }
        siblings.push(json);
        path.push(siblings.len() - 1);
    }
    let total = all.iter().filter(|c| !c.deleted).count();
    let threads = roots.len();
    let start = (page as usize).saturating_mul(limit as usize);
    let comments: Vec<CommentJson> = roots.into_iter().skip(start).take(limit as usize).collect();
    Ok(Json(CommentsPageJson {
        paper: paper.to_string(),
        sort,
        total,
        threads,
        page,
        page_size: limit,
        comments,
    }))
}

/// Post a comment, or a reply with `parent`.
#[utoipa::path(
    post,
    path = "/api/papers/{id}/comments",
    params(PaperIdPath),
    request_body = NewCommentRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "The comment, with its id", body = CommentJson),
        (status = 400, description = "Not an arXiv id, an empty or too long body, too many links for a new account, or no such parent on this paper", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site, or the account is banned", body = ErrorJson),
        (status = 404, description = "The paper is not on this instance", body = ErrorJson),
        (status = 413, description = "The body is too large", body = ErrorJson),
        (status = 415, description = "The body is not JSON (Content-Type: application/json)", body = ErrorJson),
        (status = 422, description = "A body of the wrong shape", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn create(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(rest): Path<String>,
    Json(body): Json<JsonObject>,
) -> Result<Response, ApiError> {
    let paper = discussed_paper(&rest)?;
    let request: NewCommentRequest = object_body(body)?;
    let parent = request.parent.as_ref().map(whole_number).transpose()?;
    let comment = comments::post(&state, &user, client, &paper, &request.body, parent).await?;
    Ok((StatusCode::CREATED, Json(comment_json(&state, &comment))).into_response())
}

/// The reason a moderator may give in the body, or none.
fn optional_reason(body: Option<Json<JsonObject>>) -> Result<String, ApiError> {
    let request: Option<ReasonRequest> = body.map(|Json(body)| object_body(body)).transpose()?;
    Ok(request.unwrap_or_default().reason)
}

async fn acted(
    state: &AppState,
    user: &paperboy_store::User,
    id: i64,
    action: CommentAction,
) -> Result<Json<CommentJson>, ApiError> {
    let comment = comments::act(state, user, id, action).await?;
    Ok(Json(comment_json(state, &comment)))
}

/// Change your comment's text (within 15 minutes of posting; it is then marked edited).
#[utoipa::path(
    patch,
    path = "/api/comments/{id}",
    params(CommentIdPath),
    request_body = EditCommentRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The comment now", body = CommentJson),
        (status = 400, description = "An empty or too long body", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "Not your comment, or a request from another site", body = ErrorJson),
        (status = 404, description = "No such comment", body = ErrorJson),
        (status = 409, description = "The edit window has closed", body = ErrorJson),
        (status = 413, description = "The body is too large", body = ErrorJson),
        (status = 415, description = "The body is not JSON (Content-Type: application/json)", body = ErrorJson),
        (status = 422, description = "A body of the wrong shape", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn edit(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<JsonObject>,
) -> Result<Json<CommentJson>, ApiError> {
    let request: EditCommentRequest = object_body(body)?;
    acted(&state, &user, id, CommentAction::Edit(request.body)).await
}

/// Delete your comment: its text goes; where replies hang from it, a placeholder stays.
#[utoipa::path(
    delete,
    path = "/api/comments/{id}",
    params(CommentIdPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The comment now (deleted)", body = CommentJson),
        (status = 400, description = "Not a comment id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "Not your comment, or a request from another site", body = ErrorJson),
        (status = 404, description = "No such comment", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn delete(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<CommentJson>, ApiError> {
    acted(&state, &user, id, CommentAction::Delete).await
}

/// Upvote a comment (once per member).
#[utoipa::path(
    put,
    path = "/api/comments/{id}/upvote",
    params(CommentIdPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The comment with its new count", body = CommentJson),
        (status = 400, description = "Not a comment id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "A request from another site", body = ErrorJson),
        (status = 404, description = "No such comment", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn upvote(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<CommentJson>, ApiError> {
    acted(&state, &user, id, CommentAction::Vote(true)).await
}

/// Withdraw your upvote of a comment.
#[utoipa::path(
    delete,
    path = "/api/comments/{id}/upvote",
    params(CommentIdPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The comment with its new count", body = CommentJson),
        (status = 400, description = "Not a comment id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "A request from another site", body = ErrorJson),
        (status = 404, description = "No such comment", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn unvote(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<CommentJson>, ApiError> {
    acted(&state, &user, id, CommentAction::Vote(false)).await
}

/// Report a comment to the moderators (once per member; again changes nothing).
#[utoipa::path(
    post,
    path = "/api/comments/{id}/report",
    params(CommentIdPath),
    request_body = ReportRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 202, description = "Reported", body = ReportedJson),
        (status = 400, description = "No reason, or one longer than 500 characters", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "A request from another site", body = ErrorJson),
        (status = 404, description = "No such comment", body = ErrorJson),
        (status = 413, description = "The body is too large", body = ErrorJson),
        (status = 415, description = "The body is not JSON (Content-Type: application/json)", body = ErrorJson),
        (status = 422, description = "A body of the wrong shape", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn report(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<JsonObject>,
) -> Result<Response, ApiError> {
    let request: ReportRequest = object_body(body)?;
    comments::act(&state, &user, id, CommentAction::Report(request.reason)).await?;
    Ok((StatusCode::ACCEPTED, Json(ReportedJson { reported: true })).into_response())
}

/// Hide a comment from everyone but moderators (moderators only; written to the log).
#[utoipa::path(
    post,
    path = "/api/comments/{id}/hide",
    params(CommentIdPath),
    request_body(content = ReasonRequest, description = "Optional"),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The comment now", body = CommentJson),
        (status = 400, description = "Not a comment id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "Not a moderator, or a request from another site", body = ErrorJson),
        (status = 404, description = "No such comment", body = ErrorJson),
        (status = 413, description = "The body is too large", body = ErrorJson),
        (status = 422, description = "A body of the wrong shape", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn hide(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Option<Json<JsonObject>>,
) -> Result<Json<CommentJson>, ApiError> {
    acted(&state, &user, id, CommentAction::Hide(optional_reason(body)?)).await
}

/// Show a hidden comment again (moderators only; written to the log).
#[utoipa::path(
    post,
    path = "/api/comments/{id}/restore",
    params(CommentIdPath),
    request_body(content = ReasonRequest, description = "Optional"),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The comment now", body = CommentJson),
        (status = 400, description = "Not a comment id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "Not a moderator, or a request from another site", body = ErrorJson),
        (status = 404, description = "No such comment", body = ErrorJson),
        (status = 413, description = "The body is too large", body = ErrorJson),
        (status = 422, description = "A body of the wrong shape", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn restore(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Option<Json<JsonObject>>,
) -> Result<Json<CommentJson>, ApiError> {
    acted(&state, &user, id, CommentAction::Restore(optional_reason(body)?)).await
}
