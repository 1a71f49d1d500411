//! Discussion on papers, as the site and the API share it: comments as threads in an order,
//! rendered from Markdown, and posting and acting on a comment with every check (limits, who
//! may do what).

use std::net::IpAddr;

use paperboy_core::ArxivId;
use paperboy_store::{Comment, EditOutcome, NewComment, PostOutcome, Role, User};

use super::error::AppError;
use super::guard::{now, rate_limit};
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
    /// The Markdown as written, for the edit form; empty for a deleted comment.
    pub body: String,
    pub votes: i64,
}

/// A paper's visible comments in thread order: threads in `order`, each followed by its
/// replies, oldest first. A deleted comment stays as a placeholder only where replies hang
/// from it.
pub fn thread_order(comments: &[Comment], order: CommentOrder) -> Vec<&Comment> {
    use std::collections::HashMap;
    let mut children: HashMap<Option<i64>, Vec<&Comment>> = HashMap::new();
    for comment in comments {
        children.entry(comment.parent).or_default().push(comment);
    }
    if let Some(top) = children.get_mut(&None) {
        order.sort(top);
    }
    fn has_living(id: i64, children: &HashMap<Option<i64>, Vec<&Comment>>) -> bool {
        children
            .get(&Some(id))
            .is_some_and(|replies| replies.iter().any(|r| !r.deleted || has_living(r.id, children)))
    }
    fn walk<'a>(parent: Option<i64>, children: &HashMap<Option<i64>, Vec<&'a Comment>>, out: &mut Vec<&'a Comment>) {
        for comment in children.get(&parent).into_iter().flatten() {
            if comment.deleted && !has_living(comment.id, children) {
                continue;
            }
            out.push(comment);
            walk(Some(comment.id), children, out);
        }
    }
    let mut out = Vec::with_capacity(comments.len());
    walk(None, &children, &mut out);
    out
}

/// [`thread_order`], as the paper page shows it.
pub fn threads(comments: Vec<Comment>, order: CommentOrder) -> Vec<CommentView> {
    thread_order(&comments, order)
        .into_iter()
        .map(|comment| CommentView {
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
            body: comment.body.clone(),
            votes: comment.votes,
        })
        .collect()
}

/// How long a comment can be edited after it is posted.
pub const EDIT_WINDOW_SECONDS: i64 = 15 * 60;

/// Links a member whose account is younger than a day may put in one comment.
pub const NEW_MEMBER_LINKS: usize = 2;

/// An account younger than this is new: stricter limits.
const NEW_MEMBER_SECONDS: i64 = 86_400;

/// The order of a discussion's threads (replies always read oldest first, under their comment).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommentOrder {
    #[default]
    Oldest,
    Newest,
    /// Most upvoted first, then oldest.
    Top,
}

impl CommentOrder {
    pub fn parse(text: Option<&str>) -> CommentOrder {
        match text {
            Some("newest") => CommentOrder::Newest,
            Some("top") => CommentOrder::Top,
            _ => CommentOrder::Oldest,
        }
    }

    /// Sorts comments (given oldest first) into this order.
    pub fn sort(self, comments: &mut [&Comment]) {
        match self {
            CommentOrder::Oldest => {}
            CommentOrder::Newest => comments.reverse(),
            CommentOrder::Top => comments.sort_by_key(|c| std::cmp::Reverse(c.votes)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CommentOrder::Oldest => "oldest",
            CommentOrder::Newest => "newest",
            CommentOrder::Top => "top",
        }
    }
}

/// A comment's text as posted: trimmed, 1 to [`MAX_COMMENT`] characters.
pub fn checked_body(raw: &str) -> Result<String, AppError> {
    let body = raw.trim();
    if body.is_empty() || body.chars().count() > MAX_COMMENT {
        return Err(AppError::bad_request(format!(
            "A comment is 1 to {MAX_COMMENT} characters."
        )));
    }
    Ok(body.to_owned())
}

/// How many links a comment holds: written as Markdown links or autolinks, or bare addresses.
fn links_in(body: &str) -> usize {
    body.matches("http://").count() + body.matches("https://").count() + body.matches("www.").count()
}

/// The limits a member's comment is held to: per member, per client address, and for accounts
/// younger than a day a stricter count and few links. A banned member may not post.
/// An edit counts as a post of the member's, but not of their address.
async fn check_poster(state: &AppState, user: &User, client: Option<IpAddr>, body: &str) -> Result<(), AppError> {
    if user.role == Role::Banned {
        return Err(AppError::forbidden("This account may not post comments."));
    }
    rate_limit(state, Limit::Comments, &user.id.to_string()).await?;
    if let Some(client) = client {
        rate_limit(state, Limit::CommentsPerClient, &client.to_string()).await?;
    }
    if now() - user.created_at < NEW_MEMBER_SECONDS {
        if links_in(body) > NEW_MEMBER_LINKS {
            return Err(AppError::bad_request(format!(
                "Accounts younger than a day may put at most {NEW_MEMBER_LINKS} links in a comment."
            )));
        }
        rate_limit(state, Limit::NewMemberComments, &user.id.to_string()).await?;
    }
    Ok(())
}

/// Posts a member's comment (or reply) after every check; the page cache sees it at once.
pub async fn post(
    state: &AppState,
    user: &User,
    client: IpAddr,
    paper: &ArxivId,
    body: &str,
    parent: Option<i64>,
) -> Result<Comment, AppError> {
    let body = checked_body(body)?;
    check_poster(state, user, Some(client), &body).await?;
    let outcome = state
        .store
        .post_comment(&NewComment {
            paper: paper.clone(),
            user_id: user.id,
            parent,
            body,
            now: now(),
        })
        .await?;
    match outcome {
        PostOutcome::Posted(comment) => {
            state.cache.refresh(state.store.as_ref()).await;
            tracing::info!(user = user.id, paper = %paper, comment = comment.id, "comment");
            Ok(comment)
        }
        PostOutcome::UnknownPaper => Err(AppError::not_found(format!("arXiv:{paper} is not on this instance."))),
        PostOutcome::UnknownParent => Err(AppError::bad_request("That comment is not there to reply to.")),
    }
}

/// Something a member does to one comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentAction {
    Edit(String),
    Delete,
    Vote(bool),
    /// The site's form without JavaScript: vote, or withdraw the vote the member has cast.
    ToggleVote,
    Report(String),
    /// Moderators only: hide or restore, with a reason for the log.
    Hide(String),
    Restore(String),
    /// Moderators only: ban the comment's writer (all their comments are hidden at once).
    BanWriter(String),
}

/// Does `action` to comment `id` for `user`, with every check; answers the comment after it.
pub async fn act(state: &AppState, user: &User, id: i64, action: CommentAction) -> Result<Comment, AppError> {
    let store = &state.store;
    let comment = store
        .comment(id)
        .await?
        .filter(|c| !c.hidden || user.role.can_moderate())
        .ok_or_else(|| AppError::not_found(format!("There is no comment {id}.")))?;
    let moderator = || {
        if user.role.can_moderate() {
            Ok(())
        } else {
            Err(AppError::forbidden("Only moderators can do that."))
        }
    };
    match &action {
        CommentAction::Edit(body) => {
            let body = checked_body(body)?;
            check_poster(state, user, None, &body).await?;
            match store
                .edit_comment(id, user.id, &body, now(), EDIT_WINDOW_SECONDS)
                .await?
            {
                EditOutcome::Edited => {}
                EditOutcome::NotFound => return Err(AppError::not_found(format!("There is no comment {id}."))),
                EditOutcome::NotYours => return Err(AppError::forbidden("You can only edit your own comments.")),
                EditOutcome::TooLate => {
                    return Err(AppError::new(
                        axum::http::StatusCode::CONFLICT,
                        "A comment can be edited for 15 minutes after it is posted.",
                    ));
                }
            }
        }
        CommentAction::Delete => {
            if !store.delete_comment(id, user.id).await? {
                return Err(AppError::forbidden("You can only delete your own comments."));
            }
        }
        CommentAction::Vote(voted) => {
            rate_limit(state, Limit::Votes, &user.id.to_string()).await?;
            store.set_comment_vote(id, user.id, *voted, now()).await?;
        }
        CommentAction::ToggleVote => {
            rate_limit(state, Limit::Votes, &user.id.to_string()).await?;
            let voted = !store.comment_votes_among(user.id, &[id]).await?.is_empty();
            store.set_comment_vote(id, user.id, !voted, now()).await?;
        }
        CommentAction::Report(reason) => {
            rate_limit(state, Limit::Comments, &user.id.to_string()).await?;
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(AppError::bad_request("Say in 1 to 500 characters what is wrong."));
            }
            store.report_comment(id, user.id, reason, now()).await?;
        }
        CommentAction::Hide(reason) | CommentAction::Restore(reason) => {
            moderator()?;
            let hidden = matches!(action, CommentAction::Hide(_));
            store
                .set_comment_hidden(id, hidden, user.id, reason.trim(), now())
                .await?;
        }
        CommentAction::BanWriter(reason) => {
            moderator()?;
            let writer = comment
                .author
                .as_ref()
                .ok_or_else(|| AppError::bad_request("That comment's writer has left."))?;
            let member = store
                .user(writer.user_id)
                .await?
                .ok_or_else(|| AppError::bad_request("That comment's writer has left."))?;
            if member.role.can_moderate() {
                return Err(AppError::forbidden("Moderators cannot be banned here."));
            }
            store.set_role(&member.email, Role::Banned).await?;
            store
                .record_moderation(user.id, "ban", id, reason.trim(), now())
                .await?;
        }
    }
    tracing::info!(user = user.id, comment = id, action = ?action, "comment action");
    state.cache.refresh(state.store.as_ref()).await;
    store
        .comment(id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no comment {id}.")))
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
        let views = threads(
            vec![
                comment(1, None, 0, false),
                comment(2, None, 0, true),
                comment(3, Some(1), 1, false),
                comment(4, None, 0, true),
                comment(5, Some(4), 1, false),
                comment(6, Some(1), 1, false),
            ],
            CommentOrder::Oldest,
        );
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
