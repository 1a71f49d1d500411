//! The discussion's forms and the moderators' pages, for browsers with or without JavaScript:
//! post a comment or reply, act on one (edit, delete, upvote, report; hide, restore or ban for
//! moderators), and the queue of reports and the moderation log. Every form comes back to the
//! comment's permalink.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use paperboy_core::ArxivId;

use super::client::ClientIp;
use super::comments::{self, CommentAction};
use super::error::AppError;
use super::forms::{percent_encode, safe_next};
use super::guard::{CurrentUser, SameOrigin};
use super::markdown;
use super::state::AppState;
use super::views::Layout;

#[derive(Debug, Default, serde::Deserialize)]
pub struct CommentForm {
    pub body: Option<String>,
    pub parent: Option<String>,
    pub next: Option<String>,
    pub reason: Option<String>,
}

fn sign_in_first(next: &str) -> Response {
    Redirect::to(&format!("/login?next={}", percent_encode(next))).into_response()
}

/// `POST /papers/<id>/comments`: posts a comment (or a reply, with `parent`) and goes to it on
/// the paper's page.
pub async fn post_form(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    ClientIp(client): ClientIp,
    Path(rest): Path<String>,
    form: CommentForm,
) -> Result<Response, AppError> {
    let raw = rest
        .strip_suffix("/comments")
        .ok_or_else(|| AppError::not_found("There is nothing to post to here."))?;
    let paper = ArxivId::parse(raw).map_err(|error| AppError::bad_request(error.to_string()))?;
    let Some(session) = session else {
        return Ok(sign_in_first(&safe_next(form.next.as_deref())));
    };
    let parent = match form.parent.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .map_err(|_| AppError::bad_request(format!("parent must be a comment's number, not {text:?}")))?,
        ),
    };
    let body = form.body.unwrap_or_default();
    let comment = comments::post(&state, &session.user, client, &paper, &body, parent).await?;
    Ok(Redirect::to(&format!("/papers/{paper}#comment-{}", comment.id)).into_response())
}

/// `POST /comments/<id>/<action>`: edit, delete, upvote (or withdraw it), report; hide, restore,
/// ban.
pub async fn act_form(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((id, action)): Path<(i64, String)>,
    axum::Form(form): axum::Form<CommentForm>,
) -> Result<Response, AppError> {
    let Some(session) = session else {
        return Ok(sign_in_first(&safe_next(form.next.as_deref())));
    };
    let reason = form.reason.unwrap_or_default();
    let action = match action.as_str() {
        "edit" => CommentAction::Edit(form.body.unwrap_or_default()),
        "delete" => CommentAction::Delete,
        "upvote" => CommentAction::ToggleVote,
        "report" => CommentAction::Report(reason),
        "hide" => CommentAction::Hide(reason),
        "restore" => CommentAction::Restore(reason),
        "ban" => CommentAction::BanWriter(reason),
        other => {
            return Err(AppError::not_found(format!(
                "There is no action {other:?} on comments."
            )));
        }
    };
    let comment = comments::act(&state, &session.user, id, action).await?;
    let back = form
        .next
        .as_deref()
        .map(|next| safe_next(Some(next)))
        .unwrap_or_else(|| format!("/papers/{}", comment.paper));
    Ok(Redirect::to(&format!("{back}#comment-{id}")).into_response())
}

struct ReportView {
    comment_id: i64,
    paper: String,
    reason: String,
    when: String,
    author: String,
    html: String,
    hidden: bool,
}

struct LogView {
    when: String,
    action: String,
    comment_id: i64,
    reason: String,
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage {
    layout: Layout,
    reports: Vec<ReportView>,
    log: Vec<LogView>,
}

fn when(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// `GET /moderation`: open reports, oldest first, each with the comment and what can be done;
/// then the latest of the moderation log.
pub async fn queue(State(state): State<AppState>, CurrentUser(session): CurrentUser) -> Result<Response, AppError> {
    let Some(session) = session else {
        return Ok(sign_in_first("/moderation"));
    };
    if !session.user.role.can_moderate() {
        return Err(AppError::forbidden("Only moderators can see this page."));
    }
    let mut reports = Vec::new();
    for report in state.store.open_reports(200).await? {
        let Some(comment) = state.store.comment(report.comment_id).await? else {
            continue;
        };
        reports.push(ReportView {
            comment_id: comment.id,
            paper: comment.paper.clone(),
            reason: report.reason,
            when: when(report.created_at),
            author: comment
                .author
                .map_or_else(|| "a former member".to_owned(), |a| a.display_name),
            html: markdown::render(&comment.body),
            hidden: comment.hidden,
        });
    }
    let log = state
        .store
        .moderation_log(100)
        .await?
        .into_iter()
        .map(|entry| LogView {
            when: when(entry.created_at),
            action: entry.action,
            comment_id: entry.comment_id,
            reason: entry.reason,
        })
        .collect();
    let page = ModerationPage {
        layout: Layout::new(
            format!("Moderation of discussions · {}", state.settings.instance_name),
            &state.settings.instance_name,
        ),
        reports,
        log,
    };
    Ok(Html(page.render().map_err(AppError::internal)?).into_response())
}
