//! `/submit`: a member puts a new arXiv paper on today's page. Unknown papers are fetched from
//! the arXiv API (politely: one request every three seconds for the whole process).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use paperboy_core::{ArxivId, Date, Paper, VersionedArxivId};
use paperboy_store::{NewSubmission, SubmitOutcome};
use serde::Deserialize;

use super::api_json::{ErrorJson, IndexRequest, IndexedJson, PendingJson};
use super::error::{ApiError, AppError};
use super::guard::{ApiCaller, CurrentUser, SameOrigin, rate_limit};
use super::state::AppState;
use super::views::Layout;
use crate::arxiv::FetchError;
use crate::limits::Limit;

#[derive(Template)]
#[template(path = "submit.html")]
struct SubmitPage {
    layout: Layout,
    paper: String,
    error: String,
    notice: String,
    max_age_days: u32,
    quota: u32,
}

fn render(state: &AppState, paper: &str, error: &str) -> Result<Html<String>, AppError> {
    render_page(state, paper, error, "")
}

fn render_notice(state: &AppState, notice: &str) -> Result<Html<String>, AppError> {
    render_page(state, "", "", notice)
}

fn render_page(state: &AppState, paper: &str, error: &str, notice: &str) -> Result<Html<String>, AppError> {
    let layout = Layout::new(
        format!("Submit a paper · {}", state.settings.instance_name),
        &state.settings.instance_name,
    );
    let page = SubmitPage {
        layout,
        paper: paper.to_owned(),
        error: error.to_owned(),
        notice: notice.to_owned(),
        max_age_days: state.settings.submission_max_age_days,
        quota: state.settings.submissions_per_day,
    };
    Ok(Html(page.render().map_err(AppError::internal)?))
}

pub async fn form(State(state): State<AppState>, CurrentUser(session): CurrentUser) -> Result<Response, AppError> {
    if session.is_none() {
        return Ok(Redirect::to("/login?next=/submit").into_response());
    }
    Ok(render(&state, "", "")?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct SubmitForm {
    paper: String,
}

pub async fn submit(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Form(form): Form<SubmitForm>,
) -> Result<Response, AppError> {
    let Some(session) = session else {
        return Ok(Redirect::to("/login?next=/submit").into_response());
    };
    match submit_for(&state, session.user.id, &form.paper).await? {
        Submission::Done(id, day) => {
            Ok(Redirect::to(&format!("/papers/date/{day}#paper-{}", id.as_str().replace('/', "-"))).into_response())
        }
        Submission::Refused((status, message)) => Ok((status, render(&state, &form.paper, &message)?).into_response()),
        Submission::Pending(id) => {
            Ok((StatusCode::ACCEPTED, render_notice(&state, &pending_message(&id))?).into_response())
        }
        Submission::Retrying(id, cause) => Ok((
            StatusCode::ACCEPTED,
            render_notice(&state, &retrying_message(&state, &id, &cause))?,
        )
            .into_response()),
    }
}

/// `POST /api/papers/index` with `{"arxivId": "…"}`, as on Hugging Face.
#[utoipa::path(
    post,
    path = "/api/papers/index",
    request_body = IndexRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "On today's list", body = IndexedJson),
        (status = 202, description = "arXiv is slow (`pending`) or could not be reached (`retrying`, for ten attempts): the paper is fetched in the background; poll the Location", body = PendingJson,
            headers(("Location" = String, description = "The paper's API URL: 404 until it arrives"))),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site, or the account is banned", body = ErrorJson),
        (status = 409, description = "Already submitted today", body = ErrorJson),
        (status = 413, description = "The body is too large", body = ErrorJson),
        (status = 415, description = "The body is not JSON (Content-Type: application/json)", body = ErrorJson),
        (status = 422, description = "Unknown to arXiv, withdrawn, too old, or a body of the wrong shape", body = ErrorJson),
        (status = 429, description = "A limit was reached; see Retry-After", body = ErrorJson),
    )
)]
pub async fn api_index(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Json(request): Json<IndexRequest>,
) -> Result<Response, ApiError> {
    match submit_for(&state, user.id, &request.arxiv_id).await? {
        Submission::Done(id, day) => Ok(Json(IndexedJson {
            id: id.to_string(),
            listing_date: day.to_string(),
            submitted_by: user.display_name,
        })
        .into_response()),
        Submission::Refused((status, message)) => Err(ApiError(AppError::new(status, message))),
        // 202: poll the paper's URL; it answers 404 until arXiv has answered.
        Submission::Pending(id) => Ok(pending_json(&id, "pending", pending_message(&id))),
        Submission::Retrying(id, cause) => {
            let message = retrying_message(&state, &id, &cause);
            Ok(pending_json(&id, "retrying", message))
        }
    }
}

fn pending_json(id: &ArxivId, status: &str, message: String) -> Response {
    (
        StatusCode::ACCEPTED,
        [(axum::http::header::LOCATION, format!("/api/papers/{id}"))],
        Json(PendingJson {
            id: id.to_string(),
            status: status.to_owned(),
            message,
        }),
    )
        .into_response()
}

/// A refusal a member can act on: the status to answer and what to tell them.
type Refusal = (StatusCode, String);

/// How a submission ended, as far as the member's request can wait for it.
enum Submission {
    /// On the day's page.
    Done(ArxivId, Date),
    Refused(Refusal),
    /// arXiv is slow; the fetch goes on in the background and submits the paper when it ends.
    Pending(ArxivId),
    /// arXiv could not be reached (why); the submission is retried in the background.
    Retrying(ArxivId, String),
}

/// How long a request waits for arXiv before answering "pending" (the request timeout is 15 s).
const FETCH_WAIT: std::time::Duration = std::time::Duration::from_secs(8);

/// Submits `text` (any arXiv id form) for a member, fetching it from arXiv if needed.
async fn submit_for(state: &AppState, user_id: i64, text: &str) -> Result<Submission, AppError> {
    rate_limit(state, Limit::Submissions, &user_id.to_string()).await?;
    let id = match VersionedArxivId::parse(text) {
        Ok(versioned) => versioned.id,
        Err(error) => return Ok(Submission::Refused((StatusCode::BAD_REQUEST, error.to_string()))),
    };
    let today = crate::clock::today_utc();
    if let Some(paper) = state.store.paper(&id).await? {
        return submit_known(state, user_id, paper, today).await;
    }
    // The fetch and what follows run on their own: if arXiv answers late, the paper still goes on
    // the day the member asked, and nothing is lost when this request has already been answered.
    let mut fetching = tokio::spawn(fetch_and_submit(state.clone(), user_id, id.clone(), today));
    match tokio::time::timeout(FETCH_WAIT, &mut fetching).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(panicked)) => Err(AppError::internal(panicked)),
        Err(_) => {
            tracing::info!(paper = %id, "arXiv is slow; the submission continues in the background");
            Ok(Submission::Pending(id))
        }
    }
}

async fn fetch_and_submit(state: AppState, user_id: i64, id: ArxivId, day: Date) -> Result<Submission, AppError> {
    let outcome = match state.arxiv.fetch(&id).await {
        Ok(paper) => submit_fetched(&state, user_id, paper, day).await,
        Err(error @ (FetchError::Unknown(_) | FetchError::Refused(_))) => Ok(Submission::Refused((
            StatusCode::UNPROCESSABLE_ENTITY,
            error.to_string(),
        ))),
        Err(error @ FetchError::Unreachable(_)) => {
            tracing::warn!(%error, paper = %id, "arXiv API unreachable; the submission is retried in the background");
            tokio::spawn(retry_in_background(state.clone(), user_id, id.clone(), day));
            Ok(Submission::Retrying(id.clone(), error.to_string()))
        }
    };
    if let Ok(Submission::Refused((_, reason))) = &outcome {
        tracing::info!(paper = %id, user = user_id, reason, "submission refused");
    }
    outcome
}

/// Keeps a paper arXiv just answered with (unless withdrawn: that is not kept) and submits it.
async fn submit_fetched(state: &AppState, user_id: i64, paper: Paper, day: Date) -> Result<Submission, AppError> {
    if let Some(message) = withdrawn(&paper) {
        return Ok(Submission::Refused((StatusCode::UNPROCESSABLE_ENTITY, message)));
    }
    state.store.merge_papers(vec![paper.clone()]).await?;
    submit_known(state, user_id, paper, day).await
}

/// How often a submission is retried while arXiv cannot be reached.
const BACKGROUND_ATTEMPTS: u32 = 10;

/// Asks arXiv again, `submission_retry` apart, until it answers (and the paper goes on `day`'s
/// page, or is refused as it would have been) or the attempts run out. Lives in memory only: a
/// restart forgets it, and the member submits again.
async fn retry_in_background(state: AppState, user_id: i64, id: ArxivId, day: Date) {
    for attempt in 1..=BACKGROUND_ATTEMPTS {
        tokio::time::sleep(state.settings.submission_retry).await;
        let outcome = match state.arxiv.fetch(&id).await {
            Err(FetchError::Unreachable(error)) => {
                tracing::info!(paper = %id, attempt, %error, "arXiv still unreachable");
                continue;
            }
            Err(error) => Ok(Submission::Refused((
                StatusCode::UNPROCESSABLE_ENTITY,
                error.to_string(),
            ))),
            Ok(paper) => submit_fetched(&state, user_id, paper, day).await,
        };
        match outcome {
            Ok(Submission::Refused((_, reason))) => tracing::info!(paper = %id, reason, "retried submission refused"),
            Ok(_) => {}
            Err(error) => tracing::warn!(paper = %id, error = %error.message, "retried submission failed"),
        }
        return;
    }
    tracing::warn!(paper = %id, "arXiv stayed unreachable; the submission is given up");
}

/// Puts a paper we hold on `day`'s page for a member, within the rules.
async fn submit_known(state: &AppState, user_id: i64, paper: Paper, day: Date) -> Result<Submission, AppError> {
    let id = paper.id.clone();
    let refused = |status, message: String| Ok(Submission::Refused((status, message)));
    if let Some(message) = withdrawn(&paper) {
        return refused(StatusCode::UNPROCESSABLE_ENTITY, message);
    }
    let max_age = i64::from(state.settings.submission_max_age_days);
    if let Some(first) = paper.first_version_date.or(paper.first_listed())
        && let Ok(age) = first.until(day).map(|span| i64::from(span.get_days()))
        && age > max_age
    {
        let message = format!(
            "arXiv:{id} first appeared on {first}, more than {max_age} days ago; submissions are for new papers."
        );
        return refused(StatusCode::UNPROCESSABLE_ENTITY, message);
    }
    let submission = NewSubmission {
        paper: id.clone(),
        listing_date: day,
        user_id,
    };
    match state
        .store
        .submit_paper(&submission, state.settings.submissions_per_day)
        .await?
    {
        SubmitOutcome::Accepted => {}
        SubmitOutcome::AlreadySubmitted => {
            return refused(
                StatusCode::CONFLICT,
                format!("arXiv:{id} has already been submitted today."),
            );
        }
        SubmitOutcome::QuotaReached => {
            let quota = state.settings.submissions_per_day;
            return refused(
                StatusCode::TOO_MANY_REQUESTS,
                format!("You have submitted {quota} papers today, the daily limit. Thank you!"),
            );
        }
    }
    state.cache.refresh(state.store.as_ref()).await;
    tracing::info!(user = user_id, paper = %id, "submitted");
    Ok(Submission::Done(id, day))
}

/// What a member reads while arXiv is slow.
fn pending_message(id: &ArxivId) -> String {
    format!(
        "arXiv is slow to answer just now. We keep asking it for arXiv:{id} in the background and put it on \
         today's page as soon as it answers; there is nothing more to do."
    )
}

/// What a member reads when arXiv cannot be reached.
fn retrying_message(state: &AppState, id: &ArxivId, cause: &str) -> String {
    let minutes = (state.settings.submission_retry.as_secs_f64() * f64::from(BACKGROUND_ATTEMPTS) / 60.0).ceil();
    format!(
        "arXiv could not be reached just now ({cause}). We will ask it again for arXiv:{id} in the background \
         over the next {minutes} minutes and put the paper on today's page as soon as it answers; there is \
         nothing more to do. If it is not there by then, please submit it again later."
    )
}

/// arXiv keeps withdrawn papers with a comment (and often abstract) saying so.
fn withdrawn(paper: &Paper) -> Option<String> {
    let says_withdrawn = |text: &str| text.to_lowercase().contains("has been withdrawn");
    let withdrawn = paper.comment.as_deref().is_some_and(says_withdrawn) || says_withdrawn(&paper.abstract_text);
    withdrawn.then(|| format!("arXiv:{} has been withdrawn by its authors.", paper.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withdrawn_papers_are_recognised_by_what_arxiv_writes() {
        let mut paper = Paper::new(paperboy_core::ArxivId::parse("2606.00001").unwrap());
        paper.abstract_text = "We prove a thing.".into();
        assert_eq!(withdrawn(&paper), None);
        paper.comment = Some("This paper has been withdrawn by the author due to an error in Lemma 2".into());
        assert_eq!(
            withdrawn(&paper).unwrap(),
            "arXiv:2606.00001 has been withdrawn by its authors."
        );
    }
}
