//! `/library`: a member's collections and what they hold, with the forms that change them (no
//! JavaScript needed), and `/collections/<public id>`: a published collection, for anyone, with
//! its Atom feed and BibTeX.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use paperboy_core::{ArxivId, Paper};
use paperboy_store::{Collection, CollectionChange, Shelf};
use serde::Deserialize;

use crate::limits::Limit;
use crate::lists::Entry;
use crate::web::documents::entries_file;
use crate::web::error::AppError;
use crate::web::guard::{CurrentUser, SameOrigin, checked_session, now, rate_limit};
use crate::web::state::AppState;
use crate::web::views::{FeedLink, Layout, human_date};

/// Papers a collection page shows.
const PAGE_PAPERS: u32 = 200;

pub struct CollectionView {
    pub id: i64,
    pub name: String,
    pub papers: i64,
    pub is_default: bool,
    pub public_url: Option<String>,
    pub selected: bool,
}

pub struct FiledView {
    pub id: String,
    pub href: String,
    pub title: String,
    pub filed: String,
    /// The member's private note on the paper (empty on public pages).
    pub note: String,
}

/// The longest note kept.
const MAX_NOTE: usize = 5000;

#[derive(Template)]
#[template(path = "library.html")]
struct LibraryPage {
    layout: Layout,
    csrf: String,
    /// The member's public profile, which lists their published collections.
    profile_id: String,
    notice: String,
    collections: Vec<CollectionView>,
    selected: CollectionView,
    papers: Vec<FiledView>,
}

#[derive(Debug, Deserialize)]
pub struct LibraryParams {
    c: Option<i64>,
    notice: Option<String>,
}

fn collection_view(state: &AppState, collection: &Collection, selected: i64) -> CollectionView {
    CollectionView {
        id: collection.id,
        name: collection.name.clone(),
        papers: collection.papers,
        is_default: collection.is_default,
        public_url: collection
            .public_id
            .as_ref()
            .map(|public_id| format!("{}/collections/{public_id}", state.settings.public_url)),
        selected: collection.id == selected,
    }
}

/// What a collection holds, most recently filed first, as full papers (hidden ones left out).
async fn filed_papers(state: &AppState, collection: &Collection) -> Result<Vec<(Paper, i64)>, AppError> {
    let filed = state.store.collection_papers(collection.id, 0, PAGE_PAPERS).await?;
    let ids: Vec<ArxivId> = filed.iter().map(|(paper, _)| paper.clone()).collect();
    let papers = state.store.papers_by_ids(&ids).await?;
    Ok(filed
        .into_iter()
        .filter_map(|(id, at)| {
            papers
                .iter()
                .find(|paper| paper.id == id)
                .map(|paper| (paper.clone(), at))
        })
        .collect())
}

fn filed_date(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| human_date(t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()))
        .unwrap_or_default()
}

/// `GET /library`: the signed-in member's collections, one of them open.
pub async fn library(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Query(params): Query<LibraryParams>,
) -> Result<Response, AppError> {
    let Some(session) = session else {
        return Ok(Redirect::to("/login?next=/library").into_response());
    };
    let user = session.user.id;
    let collections = state.store.collections(user).await?;
    let open = match params.c {
        Some(id) => collections.iter().find(|collection| collection.id == id),
        None => collections.first(),
    };
    let notes = state.store.notes(user).await?;
    let (selected, papers) = match open {
        Some(collection) => {
            let papers = filed_papers(&state, collection)
                .await?
                .into_iter()
                .map(|(paper, at)| FiledView {
                    id: paper.id.to_string(),
                    href: format!("/papers/{}", paper.id),
                    note: notes
                        .iter()
                        .find(|(id, _, _)| *id == paper.id)
                        .map(|(_, note, _)| note.clone())
                        .unwrap_or_default(),
                    title: paper.title,
                    filed: filed_date(at),
                })
                .collect();
            (collection_view(&state, collection, collection.id), papers)
        }
        None if params.c.is_some() => return Err(AppError::not_found("You have no such collection.")),
        None => (
            CollectionView {
                id: 0,
                name: paperboy_store::library::DEFAULT_COLLECTION.to_owned(),
                papers: 0,
                is_default: true,
                public_url: None,
                selected: true,
            },
            Vec::new(),
        ),
    };
    let page = LibraryPage {
        layout: Layout::new(
            format!("Your library · {}", state.settings.instance_name),
            &state.settings.instance_name,
        ),
        profile_id: session.user.profile_id.clone(),
        csrf: session.csrf_token,
        notice: params.notice.unwrap_or_default().chars().take(200).collect(),
        collections: collections
            .iter()
            .map(|collection| collection_view(&state, collection, selected.id))
            .collect(),
        selected,
        papers,
    };
    Ok(Html(page.render().map_err(AppError::internal)?).into_response())
}

#[derive(Debug, Deserialize)]
pub struct LibraryForm {
    csrf: String,
    name: Option<String>,
    collection: Option<i64>,
    paper: Option<String>,
    direction: Option<String>,
    public: Option<String>,
    note: Option<String>,
}

/// `POST /library/<action>`: create, rename, move, publish, unpublish or delete a collection,
/// or file a paper in one or take it out; then back to the library.
pub async fn change(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(form): Form<LibraryForm>,
) -> Result<Response, AppError> {
    let session = checked_session(&state, session, &headers, &form.csrf)?;
    let user = session.user.id;
    rate_limit(&state, Limit::LibraryChanges, &user.to_string()).await?;
    let collection = form.collection.unwrap_or(0);
    let back = |id: i64, notice: &str| {
        let notice = crate::web::forms::percent_encode(notice);
        Redirect::to(&format!("/library?c={id}&notice={notice}")).into_response()
    };
    let name = || form.name.as_deref().map(str::trim).unwrap_or("").to_owned();
    let valid_name =
        |name: &str| !name.is_empty() && name.chars().count() <= 100 && !name.chars().any(char::is_control);
    let paper = || -> Result<ArxivId, AppError> {
        ArxivId::parse(form.paper.as_deref().unwrap_or("")).map_err(|error| AppError::bad_request(error.to_string()))
    };
    let shelf = if collection == 0 {
        Shelf::Default
    } else {
        Shelf::Collection(collection)
    };
    Ok(match action.as_str() {
        "create" => {
            let name = name();
            if !valid_name(&name) {
                return Ok(back(collection, "A collection's name is 1 to 100 characters."));
            }
            match state.store.create_collection(user, &name, now()).await? {
                CollectionChange::Done(created) => back(created.id, "Collection made."),
                _ => back(collection, &format!("You have a collection called “{name}” already.")),
            }
        }
        "rename" => {
            let name = name();
            if !valid_name(&name) {
                return Ok(back(collection, "A collection's name is 1 to 100 characters."));
            }
            match state.store.rename_collection(user, collection, &name).await? {
                CollectionChange::Done(_) => back(collection, "Renamed."),
                CollectionChange::NameTaken => {
                    back(collection, &format!("You have a collection called “{name}” already."))
                }
                CollectionChange::NotFound => return Err(AppError::not_found("You have no such collection.")),
            }
        }
        "move" => {
            let order: Vec<i64> = state
                .store
                .collections(user)
                .await?
                .into_iter()
                .filter(|c| !c.is_default)
                .map(|c| c.id)
                .collect();
            let at = order.iter().position(|&id| id == collection);
            if let Some(at) = at {
                let to = match form.direction.as_deref() {
                    Some("up") => at.saturating_sub(1),
                    _ => at + 1,
                };
                state.store.move_collection(user, collection, to).await?;
            }
            back(collection, "")
        }
        "publish" => {
            let public_id =
                (form.public.as_deref() == Some("1")).then(|| crate::secrets::random_token()[..24].to_owned());
            let published = public_id.is_some();
            match state
                .store
                .publish_collection(user, collection, public_id.as_deref())
                .await?
            {
                Some(_) if published => back(collection, "Published: anyone with its address can see it."),
                Some(_) => back(collection, "Private again: its address no longer works."),
                None => return Err(AppError::not_found("You have no such collection.")),
            }
        }
        "delete" => {
            if !state.store.delete_collection(user, collection).await? {
                return Err(AppError::not_found(
                    "You have no such collection (Saved cannot be deleted).",
                ));
            }
            back(0, "Deleted; its papers stay in your other collections.")
        }
        "file" => {
            let paper = paper()?;
            match state.store.file_paper(user, shelf, &paper, now()).await? {
                paperboy_store::Filing::UnknownPaper => return Err(AppError::not_found("That paper is not here.")),
                paperboy_store::Filing::UnknownCollection => {
                    return Err(AppError::not_found("You have no such collection."));
                }
                _ => back(collection, "Filed."),
            }
        }
        "note" => {
            let paper = paper()?;
            let note = form.note.as_deref().unwrap_or("").trim();
            if note.chars().count() > MAX_NOTE {
                return Ok(back(collection, "A note is at most 5,000 characters."));
            }
            if !state.store.set_note(user, &paper, note, now()).await? {
                return Err(AppError::not_found("That paper is not here."));
            }
            back(collection, if note.is_empty() { "Note deleted." } else { "Note kept." })
        }
        "unfile" => {
            let paper = paper()?;
            state.store.unfile_paper(user, shelf, &paper).await?;
            back(collection, "Taken out.")
        }
        _ => return Err(AppError::not_found("There is nothing to post to here.")),
    })
}

#[derive(Template)]
#[template(path = "collection.html")]
struct CollectionPage {
    layout: Layout,
    name: String,
    maker: String,
    maker_href: String,
    /// The collection's address, which its feed and BibTeX hang off.
    base: String,
    papers: Vec<FiledView>,
}

/// A published collection and its maker, or 404 (unknown, private again, or its maker banned).
async fn published(state: &AppState, public_id: &str) -> Result<(Collection, paperboy_store::User), AppError> {
    state
        .store
        .public_collection(public_id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such collection, or it is private."))
}

/// `GET /collections/<public id>`: a published collection, for anyone.
pub async fn public(State(state): State<AppState>, Path(public_id): Path<String>) -> Result<Html<String>, AppError> {
    let (collection, maker) = published(&state, &public_id).await?;
    let papers = filed_papers(&state, &collection)
        .await?
        .into_iter()
        .map(|(paper, at)| FiledView {
            id: paper.id.to_string(),
            href: format!("/papers/{}", paper.id),
            title: paper.title,
            filed: filed_date(at),
            note: String::new(),
        })
        .collect();
    let mut layout = Layout::new(
        format!("{} · {}", collection.name, state.settings.instance_name),
        &state.settings.instance_name,
    );
    layout.feeds = FeedLink::all(&format!("/collections/{public_id}"), "", &collection.name);
    let page = CollectionPage {
        layout,
        name: collection.name,
        maker: maker.display_name,
        maker_href: format!("/users/{}", maker.profile_id),
        base: format!("/collections/{public_id}"),
        papers,
    };
    Ok(Html(page.render().map_err(AppError::internal)?))
}

/// `GET /collections/<public id>/feed.atom` and `papers.bib`: a published collection as a feed
/// (newest filed first) and as BibTeX.
pub async fn public_file(
    State(state): State<AppState>,
    Path((public_id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (collection, _) = published(&state, &public_id).await?;
    let entries: Vec<Entry> = filed_papers(&state, &collection)
        .await?
        .into_iter()
        .filter_map(|(paper, at)| {
            let filed = jiff::Timestamp::from_second(at)
                .ok()?
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date();
            Some(Entry::unranked(paper, filed))
        })
        .collect();
    let page_path = format!("/collections/{public_id}");
    entries_file(&state, &collection.name, &entries, &page_path, &file)
}
