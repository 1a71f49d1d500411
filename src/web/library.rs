//! A member's library through the API: saving papers (the default collection, "Saved"), named
//! collections, and filing papers in them. Token or session (same-origin) auth, like every
//! write; nothing here is visible to anyone but its member.

use axum::Form;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use paperboy_core::ArxivId;
use paperboy_store::{Collection, CollectionChange, Filing, Shelf};
use serde::Deserialize;

use super::api_json::{
    CollectionChangeRequest, CollectionJson, CollectionPapersJson, ErrorJson, FiledPaperJson, JsonObject, LibraryJson,
    NewCollectionRequest, PaperIdPath, SavedJson, object_body,
};
use super::error::{ApiError, AppError};
use super::forms::{NextForm, percent_encode, safe_next};
use super::guard::{ApiCaller, CurrentUser, SameOrigin, now, rate_limit};
use super::state::AppState;
use crate::limits::Limit;

/// The longest collection name.
const MAX_NAME: usize = 100;

/// A collection name as typed: trimmed, 1 to 100 characters, no control characters.
fn collection_name(typed: &str) -> Result<String, AppError> {
    let name = typed.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::bad_request(format!(
            "a collection's name is 1 to {MAX_NAME} characters, none of them control characters"
        )));
    }
    Ok(name.to_owned())
}

fn paper_id(raw: &str) -> Result<ArxivId, AppError> {
    ArxivId::parse(raw).map_err(|error| AppError::bad_request(error.to_string()))
}

/// `POST /papers/<id>/save`, the save button without JavaScript: saves the paper to "Saved",
/// or takes it out again with `remove`, and goes back to the page.
pub async fn save_form(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(rest): Path<String>,
    Form(form): Form<NextForm>,
) -> Result<Response, AppError> {
    let raw = rest
        .strip_suffix("/save")
        .ok_or_else(|| AppError::not_found("There is nothing to post to here."))?;
    let paper = paper_id(raw)?;
    let back = safe_next(form.next.as_deref());
    let Some(session) = session else {
        return Ok(Redirect::to(&format!("/login?next={}", percent_encode(&back))).into_response());
    };
    rate_limit(&state, Limit::LibraryChanges, &session.user.id.to_string()).await?;
    let saved = state.store.collections_holding(session.user.id, &paper).await?;
    let in_default = match state.store.collection(session.user.id, Shelf::Default).await? {
        Some(default) => saved.contains(&default.id),
        None => false,
    };
    if in_default {
        state
            .store
            .unfile_paper(session.user.id, Shelf::Default, &paper)
            .await?;
    } else if state
        .store
        .file_paper(session.user.id, Shelf::Default, &paper, now())
        .await?
        == Filing::UnknownPaper
    {
        return Err(AppError::not_found(format!("arXiv:{paper} is not on this instance.")));
    }
    tracing::info!(user = session.user.id, paper = %paper, saved = !in_default, "save");
    let anchor = paper.as_str().replace('/', "-");
    Ok(Redirect::to(&format!("{back}#paper-{anchor}")).into_response())
}

fn collection_json(collection: Collection) -> CollectionJson {
    CollectionJson {
        id: collection.id,
        name: collection.name,
        is_default: collection.is_default,
        papers: collection.papers,
        published: collection.public_id.is_some(),
    }
}

fn unknown_collection(id: i64) -> AppError {
    AppError::not_found(format!("you have no collection {id}"))
}

/// Your collections, in your order ("Saved" first once it exists).
#[utoipa::path(
    get,
    path = "/api/me/library",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Your collections", body = LibraryJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorJson),
    )
)]
pub async fn library(ApiCaller(user): ApiCaller, State(state): State<AppState>) -> Result<Json<LibraryJson>, ApiError> {
    let collections = state.store.collections(user.id).await?;
    Ok(Json(LibraryJson {
        collections: collections.into_iter().map(collection_json).collect(),
    }))
}

/// Save a paper to your library (the "Saved" collection; again changes nothing).
#[utoipa::path(
    put,
    path = "/api/me/library/{id}",
    params(PaperIdPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The paper's place in your library now", body = SavedJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 404, description = "The paper is not on this instance", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn save(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<SavedJson>, ApiError> {
    file(&state, caller, Shelf::Default, &raw).await
}

/// Take a paper out of "Saved" (it stays in your other collections).
#[utoipa::path(
    delete,
    path = "/api/me/library/{id}",
    params(PaperIdPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The paper's place in your library now", body = SavedJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn unsave(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<SavedJson>, ApiError> {
    unfile(&state, caller, Shelf::Default, &raw).await
}

/// Make a collection (private).
#[utoipa::path(
    post,
    path = "/api/me/collections",
    request_body = NewCollectionRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "The new collection", body = CollectionJson),
        (status = 400, description = "No name, or one that is too long", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 409, description = "You have a collection of that name", body = ErrorJson),
        (status = 413, description = "The body is too large", body = ErrorJson),
        (status = 415, description = "The body is not JSON (Content-Type: application/json)", body = ErrorJson),
        (status = 422, description = "A body of the wrong shape", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn create_collection(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Json(body): Json<JsonObject>,
) -> Result<Response, ApiError> {
    let request: NewCollectionRequest = object_body(body)?;
    rate_limit(&state, Limit::LibraryChanges, &user.id.to_string()).await?;
    let name = collection_name(&request.name)?;
    match state.store.create_collection(user.id, &name, now()).await? {
        CollectionChange::Done(collection) => {
            Ok((StatusCode::CREATED, Json(collection_json(collection))).into_response())
        }
        CollectionChange::NameTaken => Err(name_taken(&name).into()),
        CollectionChange::NotFound => Err(AppError::internal("a new collection vanished").into()),
    }
}

fn name_taken(name: &str) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        format!("you have a collection called {name:?} already"),
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CollectionPath {
    /// The collection's id.
    #[param(minimum = 1)]
    #[allow(dead_code)] // Read by axum from the path; declared here for the document.
    id: i64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The page, from 0.
    #[param(minimum = 0, maximum = 10000)]
    p: Option<u32>,
    /// Papers per page.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// One of your collections and its papers, most recently filed first.
#[utoipa::path(
    get,
    path = "/api/me/collections/{id}",
    params(CollectionPath, PageParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The collection and a page of its papers", body = CollectionPapersJson),
        (status = 400, description = "A parameter is out of range", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 404, description = "You have no such collection", body = ErrorJson),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorJson),
    )
)]
pub async fn collection(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(params): Query<PageParams>,
) -> Result<Json<CollectionPapersJson>, ApiError> {
    let page = params.p.unwrap_or(0);
    let limit = params.limit.unwrap_or(50);
    if page > 10_000 || !(1..=100).contains(&limit) {
        return Err(AppError::bad_request("p is 0 to 10000 and limit 1 to 100").into());
    }
    let collection = state
        .store
        .collection(user.id, Shelf::Collection(id))
        .await?
        .ok_or_else(|| unknown_collection(id))?;
    let filed = state
        .store
        .collection_papers(collection.id, page * limit, limit)
        .await?;
    let ids: Vec<ArxivId> = filed.iter().map(|(paper, _)| paper.clone()).collect();
    let papers = state.store.papers_by_ids(&ids).await?;
    let papers = filed
        .into_iter()
        .zip(papers)
        .map(|((_, filed_at), paper)| FiledPaperJson {
            id: paper.id.to_string(),
            title: paper.title,
            filed_at: jiff::Timestamp::from_second(filed_at).map_or_else(|_| String::new(), |at| at.to_string()),
        })
        .collect();
    Ok(Json(CollectionPapersJson {
        collection: collection_json(collection),
        papers,
    }))
}

/// Rename a collection or move it in your order ("Saved" keeps its name and place).
#[utoipa::path(
    patch,
    path = "/api/me/collections/{id}",
    params(CollectionPath),
    request_body = CollectionChangeRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The collection as it is now", body = CollectionJson),
        (status = 400, description = "A name that is empty or too long", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 404, description = "You have no such collection (or it is Saved)", body = ErrorJson),
        (status = 409, description = "You have a collection of that name", body = ErrorJson),
        (status = 413, description = "The body is too large", body = ErrorJson),
        (status = 415, description = "The body is not JSON (Content-Type: application/json)", body = ErrorJson),
        (status = 422, description = "A body of the wrong shape", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn change_collection(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<JsonObject>,
) -> Result<Json<CollectionJson>, ApiError> {
    let request: CollectionChangeRequest = object_body(body)?;
    rate_limit(&state, Limit::LibraryChanges, &user.id.to_string()).await?;
    let mine = state.store.collection(user.id, Shelf::Collection(id)).await?;
    if mine.as_ref().is_none_or(|collection| collection.is_default) {
        return Err(unknown_collection(id).into());
    }
    if let Some(typed) = &request.name {
        let name = collection_name(typed)?;
        match state.store.rename_collection(user.id, id, &name).await? {
            CollectionChange::Done(_) => {}
            CollectionChange::NameTaken => return Err(name_taken(&name).into()),
            CollectionChange::NotFound => return Err(unknown_collection(id).into()),
        }
    }
    if let Some(position) = request.position {
        // JSON Schema's integers include 3.0; anything else is refused, saying so.
        if position.fract() != 0.0 || !(0.0..=10_000.0).contains(&position) {
            return Err(AppError::bad_request("position is a whole number from 0 to 10000").into());
        }
        state.store.move_collection(user.id, id, position as usize).await?;
    }
    let collection = state
        .store
        .collection(user.id, Shelf::Collection(id))
        .await?
        .ok_or_else(|| unknown_collection(id))?;
    Ok(Json(collection_json(collection)))
}

/// Delete a collection; its papers stay in your other collections ("Saved" cannot go).
#[utoipa::path(
    delete,
    path = "/api/me/collections/{id}",
    params(CollectionPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a number", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 404, description = "You have no such collection (or it is Saved)", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn delete_collection(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    rate_limit(&state, Limit::LibraryChanges, &user.id.to_string()).await?;
    if state.store.delete_collection(user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(unknown_collection(id).into())
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FilingPath {
    /// The collection's id.
    #[param(minimum = 1)]
    #[allow(dead_code)] // Read by axum from the path; declared here for the document.
    id: i64,
    /// An arXiv id: 2503.11677, hep-th/9901001.
    #[param(
        pattern = r"^(arXiv:)?(\d{2}(0[1-9]|1[0-2])\.\d{4,5}|[a-z]+(-[a-z]+)*(\.[A-Z]{2})?/\d{2}(0[1-9]|1[0-2])\d{3})(v[1-9]\d{0,3})?$"
    )]
    #[allow(dead_code)]
    paper: String,
}

/// File a paper in one of your collections.
#[utoipa::path(
    put,
    path = "/api/me/collections/{id}/papers/{paper}",
    params(FilingPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The paper's place in your library now", body = SavedJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 404, description = "No such paper here, or no such collection of yours", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn file_in(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path((id, raw)): Path<(i64, String)>,
) -> Result<Json<SavedJson>, ApiError> {
    file(&state, caller, Shelf::Collection(id), &raw).await
}

/// Take a paper out of one of your collections.
#[utoipa::path(
    delete,
    path = "/api/me/collections/{id}/papers/{paper}",
    params(FilingPath),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The paper's place in your library now", body = SavedJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 404, description = "No such collection of yours", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn unfile_from(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path((id, raw)): Path<(i64, String)>,
) -> Result<Json<SavedJson>, ApiError> {
    if state
        .store
        .collection(caller.0.id, Shelf::Collection(id))
        .await?
        .is_none()
    {
        return Err(unknown_collection(id).into());
    }
    unfile(&state, caller, Shelf::Collection(id), &raw).await
}

async fn file(
    state: &AppState,
    ApiCaller(user): ApiCaller,
    shelf: Shelf,
    raw: &str,
) -> Result<Json<SavedJson>, ApiError> {
    let paper = paper_id(raw)?;
    rate_limit(state, Limit::LibraryChanges, &user.id.to_string()).await?;
    match state.store.file_paper(user.id, shelf, &paper, now()).await? {
        Filing::Added | Filing::AlreadyThere => {}
        Filing::UnknownPaper => {
            return Err(AppError::not_found(format!("paper {paper} is not on this instance")).into());
        }
        Filing::UnknownCollection => {
            let Shelf::Collection(id) = shelf else {
                return Err(AppError::internal("the default collection could not be made").into());
            };
            return Err(unknown_collection(id).into());
        }
    }
    saved_state(state, user.id, paper).await
}

async fn unfile(
    state: &AppState,
    ApiCaller(user): ApiCaller,
    shelf: Shelf,
    raw: &str,
) -> Result<Json<SavedJson>, ApiError> {
    let paper = paper_id(raw)?;
    rate_limit(state, Limit::LibraryChanges, &user.id.to_string()).await?;
    state.store.unfile_paper(user.id, shelf, &paper).await?;
    saved_state(state, user.id, paper).await
}

async fn saved_state(state: &AppState, user_id: i64, paper: ArxivId) -> Result<Json<SavedJson>, ApiError> {
    let collections = state.store.collections_holding(user_id, &paper).await?;
    Ok(Json(SavedJson {
        id: paper.to_string(),
        saved: !collections.is_empty(),
        collections,
    }))
}
