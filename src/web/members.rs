//! Members' public profiles (what they voted for and submitted) and the moderation page where
//! admins hide a paper or a submission from the lists.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use paperboy_core::{ArxivId, Date};
use paperboy_store::{Role, Session};
use serde::Deserialize;

use super::error::AppError;
use super::guard::SameOrigin;
use super::guard::{CurrentUser, checked_session};
use super::state::AppState;
use super::views::{Layout, human_date};

pub struct ItemView {
    pub href: String,
    pub title: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    name: String,
    joined: String,
    submissions: Vec<ItemView>,
    votes: Vec<ItemView>,
    collections: Vec<ItemView>,
    comments: Vec<ItemView>,
}

/// Comments a profile lists, newest first.
const PROFILE_COMMENTS: usize = 50;

/// The first words of a comment, for a list of them.
fn opening(body: &str) -> String {
    let text = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= 140 {
        return text;
    }
    format!("{}…", text.chars().take(140).collect::<String>().trim_end())
}

/// `/users/<profile id>`: a member's submissions and votes. The id is random, so that members
/// cannot be listed by counting.
pub async fn profile(State(state): State<AppState>, Path(profile_id): Path<String>) -> Result<Html<String>, AppError> {
    let user = state
        .store
        .user_by_profile(&profile_id)
        .await?
        .filter(|user| user.role != Role::Banned);
    let user = user.ok_or_else(|| AppError::not_found("There is no such member."))?;
    let activity = state.store.activity(user.id, 100).await?;
    let title_of = |papers: &[paperboy_core::Paper], id: &ArxivId| {
        papers
            .iter()
            .find(|paper| &paper.id == id)
            .map_or_else(|| id.to_string(), |paper| paper.title.clone())
    };
    let submitted_ids: Vec<ArxivId> = activity.submissions.iter().map(|(id, _)| id.clone()).collect();
    let submitted_papers = state.store.papers_by_ids(&submitted_ids).await?;
    let voted_papers = state.store.papers_by_ids(&activity.votes).await?;
    let submissions = activity
        .submissions
        .iter()
        .map(|(id, day)| ItemView {
            href: format!("/papers/{id}"),
            title: title_of(&submitted_papers, id),
            note: format!("on {}", human_date(*day)),
        })
        .collect();
    let votes = activity
        .votes
        .iter()
        .map(|id| ItemView {
            href: format!("/papers/{id}"),
            title: title_of(&voted_papers, id),
            note: String::new(),
        })
        .collect();
    // A published collection is public: its member's profile lists it.
    let collections = state
        .store
        .collections(user.id)
        .await?
        .into_iter()
        .filter_map(|collection| {
            Some(ItemView {
                href: format!("/collections/{}", collection.public_id?),
                note: match collection.papers {
                    1 => "1 paper".to_owned(),
                    n => format!("{n} papers"),
                },
                title: collection.name,
            })
        })
        .collect();
    // What others can read of theirs, with a link to each permalink.
    let comments = state
        .store
        .member_comments(user.id)
        .await?
        .into_iter()
        .rev()
        .filter(|comment| !comment.deleted && !comment.hidden)
        .take(PROFILE_COMMENTS)
        .map(|comment| ItemView {
            href: format!("/papers/{}#comment-{}", comment.paper, comment.id),
            title: opening(&comment.body),
            note: format!("on arXiv:{}", comment.paper),
        })
        .collect();
    let joined = jiff::Timestamp::from_second(user.created_at)
        .map(|t| human_date(t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()))
        .unwrap_or_default();
    let layout = Layout::new(
        format!("{} · {}", user.display_name, state.settings.instance_name),
        &state.settings.instance_name,
    );
    let page = ProfilePage {
        layout,
        name: user.display_name,
        joined,
        submissions,
        votes,
        collections,
        comments,
    };
    Ok(Html(page.render().map_err(AppError::internal)?))
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    csrf: String,
    notice: String,
}

fn admin_session(session: Option<Session>) -> Result<Session, AppError> {
    match session {
        Some(session) if session.user.role == Role::Admin => Ok(session),
        Some(_) => Err(AppError::forbidden("Only admins can moderate.")),
        None => Err(AppError::unauthorized("Sign in as an admin first.")),
    }
}

fn render_admin(state: &AppState, session: &Session, notice: &str) -> Result<Html<String>, AppError> {
    let layout = Layout::new(
        format!("Moderation · {}", state.settings.instance_name),
        &state.settings.instance_name,
    );
    let page = AdminPage {
        layout,
        csrf: session.csrf_token.clone(),
        notice: notice.to_owned(),
    };
    Ok(Html(page.render().map_err(AppError::internal)?))
}

pub async fn admin(State(state): State<AppState>, CurrentUser(session): CurrentUser) -> Result<Response, AppError> {
    if session.is_none() {
        return Ok(Redirect::to("/login?next=/admin").into_response());
    }
    let session = admin_session(session)?;
    Ok(render_admin(&state, &session, "")?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct HideForm {
    csrf: String,
    paper: String,
    day: Option<String>,
    hidden: Option<String>,
}

pub async fn hide_paper(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    headers: HeaderMap,
    Form(form): Form<HideForm>,
) -> Result<Response, AppError> {
    let (session, id, hidden) = moderation(&state, session, &headers, &form)?;
    let found = state.store.set_paper_hidden(&id, hidden).await?;
    state.cache.refresh(state.store.as_ref()).await;
    tracing::info!(admin = session.user.id, paper = %id, hidden, "moderation: paper");
    let notice = match (found, hidden) {
        (false, _) => format!("arXiv:{id} is not on this instance."),
        (true, true) => format!("arXiv:{id} is hidden from every list."),
        (true, false) => format!("arXiv:{id} is shown again."),
    };
    Ok(render_admin(&state, &session, &notice)?.into_response())
}

pub async fn hide_submission(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    headers: HeaderMap,
    Form(form): Form<HideForm>,
) -> Result<Response, AppError> {
    let (session, id, hidden) = moderation(&state, session, &headers, &form)?;
    let day: Date = form
        .day
        .as_deref()
        .unwrap_or_default()
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("The day is a date such as 2026-02-13."))?;
    let found = state.store.set_submission_hidden(&id, day, hidden).await?;
    state.cache.refresh(state.store.as_ref()).await;
    tracing::info!(admin = session.user.id, paper = %id, %day, hidden, "moderation: submission");
    let notice = if found {
        format!(
            "The submission of arXiv:{id} on {day} is {}.",
            if hidden { "hidden" } else { "shown" }
        )
    } else {
        format!("No submission of arXiv:{id} on {day}.")
    };
    Ok(render_admin(&state, &session, &notice)?.into_response())
}

fn moderation(
    state: &AppState,
    session: Option<Session>,
    headers: &HeaderMap,
    form: &HideForm,
) -> Result<(Session, ArxivId, bool), AppError> {
    let session = admin_session(Some(checked_session(state, session, headers, &form.csrf)?))?;
    let id = ArxivId::parse(&form.paper).map_err(|error| AppError::bad_request(error.to_string()))?;
    Ok((session, id, form.hidden.as_deref() == Some("true")))
}
