//! Discussion on a paper's page: its comments as threads, rendered from Markdown, and the form
//! that posts one without JavaScript.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use paperboy_core::ArxivId;
use paperboy_store::{Comment, NewComment, PostOutcome};

use super::error::AppError;
use super::forms::{percent_encode, safe_next};
use super::guard::{CurrentUser, SameOrigin, now, rate_limit};
use super::markdown;
use super::state::AppState;
use super::views::human_date;
use crate::limits::Limit;

/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 10_000;

/// One comment as the paper page shows it, in thread order.
pub struct CommentView {
    pub id: i64,
    pub depth: u32,
    pub author: String,
    pub author_href: Option<String>,
    pub when: String,
    pub edited: bool,
    pub deleted: bool,
    /// Rendered Markdown; empty for a deleted comment.
    pub html: String,
    pub votes: i64,
}

/// A paper's visible comments in thread order (each followed by its replies, oldest first). A
/// deleted comment stays as a placeholder only where replies hang from it.
pub fn threads(comments: Vec<Comment>) -> Vec<CommentView> {
    use std::collections::HashMap;
    let mut children: HashMap<Option<i64>, Vec<&Comment>> = HashMap::new();
    for comment in &comments {
        children.entry(comment.parent).or_default().push(comment);
    }
    fn has_living(id: i64, children: &HashMap<Option<i64>, Vec<&Comment>>) -> bool {
        children
            .get(&Some(id))
            .is_some_and(|replies| replies.iter().any(|r| !r.deleted || has_living(r.id, children)))
    }
    fn walk(parent: Option<i64>, children: &HashMap<Option<i64>, Vec<&Comment>>, out: &mut Vec<CommentView>) {
        for comment in children.get(&parent).into_iter().flatten() {
            if comment.deleted && !has_living(comment.id, children) {
                continue;
            }
            out.push(CommentView {
                id: comment.id,
                depth: comment.depth,
                author: match (&comment.author, comment.deleted) {
                    (_, true) => "deleted".to_owned(),
                    (Some(author), false) => author.display_name.clone(),
                    (None, false) => "a former member".to_owned(),
                },
                author_href: comment
                    .author
                    .as_ref()
                    .filter(|_| !comment.deleted)
                    .map(|a| format!("/users/{}", a.profile_id)),
                when: jiff::Timestamp::from_second(comment.created_at)
                    .map(|t| human_date(t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()))
                    .unwrap_or_default(),
                edited: comment.edited_at.is_some() && !comment.deleted,
                deleted: comment.deleted,
                html: if comment.deleted {
                    String::new()
                } else {
                    markdown::render(&comment.body)
                },
                votes: comment.votes,
            });
            walk(Some(comment.id), children, out);
        }
    }
    let mut out = Vec::with_capacity(comments.len());
    walk(None, &children, &mut out);
    out
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct CommentForm {
    pub body: Option<String>,
    pub parent: Option<String>,
    pub next: Option<String>,
}

/// `POST /papers/<id>/comments`: posts a comment (or a reply, with `parent`) and goes back to
/// it on the paper's page.
pub async fn post_form(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(rest): Path<String>,
    form: CommentForm,
) -> Result<Response, AppError> {
    let raw = rest
        .strip_suffix("/comments")
        .ok_or_else(|| AppError::not_found("There is nothing to post to here."))?;
    let paper = ArxivId::parse(raw).map_err(|error| AppError::bad_request(error.to_string()))?;
    let back = safe_next(form.next.as_deref());
    let Some(session) = session else {
        return Ok(Redirect::to(&format!("/login?next={}", percent_encode(&back))).into_response());
    };
    let body = form.body.as_deref().unwrap_or("").trim().to_owned();
    if body.is_empty() || body.chars().count() > MAX_COMMENT {
        return Err(AppError::bad_request(format!(
            "A comment is 1 to {MAX_COMMENT} characters."
        )));
    }
    let parent = match form.parent.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .map_err(|_| AppError::bad_request(format!("parent must be a comment's number, not {text:?}")))?,
        ),
    };
    rate_limit(&state, Limit::Comments, &session.user.id.to_string()).await?;
    let outcome = state
        .store
        .post_comment(&NewComment {
            paper: paper.clone(),
            user_id: session.user.id,
            parent,
            body,
            now: now(),
        })
        .await?;
    // Our own write: the paper's page (cached) shows it at once.
    state.cache.refresh(state.store.as_ref()).await;
    match outcome {
        PostOutcome::Posted(comment) => {
            tracing::info!(user = session.user.id, paper = %paper, comment = comment.id, "comment");
            Ok(Redirect::to(&format!("/papers/{paper}#comment-{}", comment.id)).into_response())
        }
        PostOutcome::UnknownPaper => Err(AppError::not_found(format!("arXiv:{paper} is not on this instance."))),
        PostOutcome::UnknownParent => Err(AppError::bad_request("That comment is not there to reply to.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: i64, parent: Option<i64>, depth: u32, deleted: bool) -> Comment {
        Comment {
            id,
            paper: "2602.00001".into(),
            parent,
            depth,
            author: None,
            body: if deleted {
                String::new()
            } else {
                format!("comment {id}")
            },
            created_at: 0,
            edited_at: None,
            deleted,
            hidden: false,
            votes: 0,
        }
    }

    #[test]
    fn threads_read_in_order_and_deleted_comments_stay_only_for_their_replies() {
        let views = threads(vec![
            comment(1, None, 0, false),
            comment(2, None, 0, true),
            comment(3, Some(1), 1, false),
            comment(4, None, 0, true),
            comment(5, Some(4), 1, false),
            comment(6, Some(1), 1, false),
        ]);
        let order: Vec<(i64, u32, bool)> = views.iter().map(|v| (v.id, v.depth, v.deleted)).collect();
        assert_eq!(
            order,
            [(1, 0, false), (3, 1, false), (6, 1, false), (4, 0, true), (5, 1, false)],
            "2 is gone (nothing hangs from it); 4 stays as a placeholder"
        );
        assert_eq!(views[3].author, "deleted");
        assert!(views[3].html.is_empty());
        assert!(views[0].html.contains("comment 1"));
    }
}
