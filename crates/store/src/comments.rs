//! Discussion on papers: threaded comments, their votes, reports and moderation.

use async_trait::async_trait;
use paperboy_core::ArxivId;
use serde::Serialize;

use crate::StoreError;

/// Replies nest this deep at most; a reply to a comment at this depth joins its parent's
/// thread at the same depth (deeper replies flatten).
pub const MAX_DEPTH: u32 = 4;

/// A comment to post.
#[derive(Clone, Debug)]
pub struct NewComment {
    pub paper: ArxivId,
    pub user_id: i64,
    pub parent: Option<i64>,
    /// Markdown as written (checked for length by the caller; rendered when shown).
    pub body: String,
    pub now: i64,
}

/// Who wrote a comment, as pages show them; `None` once the account is deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommentAuthor {
    pub user_id: i64,
    pub display_name: String,
    pub profile_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub id: i64,
    pub paper: String,
    /// The comment replied to (after flattening), if any.
    pub parent: Option<i64>,
    /// 0 for a top-level comment, at most [`MAX_DEPTH`].
    pub depth: u32,
    pub author: Option<CommentAuthor>,
    /// Empty once deleted.
    pub body: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    /// Hidden by a moderator, or written by a banned member.
    pub hidden: bool,
    pub votes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostOutcome {
    Posted(Comment),
    UnknownPaper,
    /// The parent is not a comment on this paper (or is gone).
    UnknownParent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditOutcome {
    Edited,
    NotFound,
    /// Another member's comment.
    NotYours,
    /// The edit window has closed.
    TooLate,
}

/// A member's report of a comment, waiting for a moderator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommentReport {
    pub id: i64,
    pub comment_id: i64,
    pub paper: String,
    pub reporter_id: i64,
    pub reason: String,
    pub created_at: i64,
}

/// One moderator action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModerationEntry {
    pub moderator_id: i64,
    /// hide, restore or ban.
    pub action: String,
    pub comment_id: i64,
    pub reason: String,
    pub created_at: i64,
}

#[async_trait]
pub trait CommentStore: Send + Sync {
    /// Posts a comment in one transaction: once this answers, it survives a crash.
    async fn post_comment(&self, new: &NewComment) -> Result<PostOutcome, StoreError>;

    async fn comment(&self, id: i64) -> Result<Option<Comment>, StoreError>;

    /// A member's comments, hidden and deleted ones too, oldest first (for their data export).
    async fn member_comments(&self, user_id: i64) -> Result<Vec<Comment>, StoreError>;

    /// A paper's comments, oldest first. Hidden ones (by a moderator, or by a banned member)
    /// only with `include_hidden`, for moderators.
    async fn paper_comments(&self, paper: &ArxivId, include_hidden: bool) -> Result<Vec<Comment>, StoreError>;

    /// Changes the body of the member's own comment while `created_at + window` has not passed.
    async fn edit_comment(
        &self,
        id: i64,
        user_id: i64,
        body: &str,
        now: i64,
        window_seconds: i64,
    ) -> Result<EditOutcome, StoreError>;

    /// Deletes the member's own comment: its text goes, its place in the thread stays for the
    /// replies. Answers whether it was theirs and there.
    async fn delete_comment(&self, id: i64, user_id: i64) -> Result<bool, StoreError>;

    /// Votes for a comment or withdraws the vote; the new count, or `None` for no such comment.
    async fn set_comment_vote(&self, id: i64, user_id: i64, voted: bool, now: i64) -> Result<Option<i64>, StoreError>;

    /// Which of these comments the member voted for.
    async fn comment_votes_among(&self, user_id: i64, comments: &[i64]) -> Result<Vec<i64>, StoreError>;

    /// How many comments others can read on each paper (not deleted, not hidden), in the
    /// order asked.
    async fn comment_counts(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, i64)>, StoreError>;

    /// When each comment others can read on these papers was written: `(paper, unix seconds)`,
    /// for the "most discussed" order.
    async fn comment_times(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, i64)>, StoreError>;

    /// Reports a comment (once per member); answers whether the report is new.
    async fn report_comment(&self, id: i64, user_id: i64, reason: &str, now: i64) -> Result<bool, StoreError>;

    /// Reports no moderator has acted on, oldest first.
    async fn open_reports(&self, limit: u32) -> Result<Vec<CommentReport>, StoreError>;

    /// Hides or restores a comment, closing its reports and writing the moderation log, in one
    /// transaction. Answers whether there was such a comment.
    async fn set_comment_hidden(
        &self,
        id: i64,
        hidden: bool,
        moderator_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Writes a moderator's action that is not a hide or restore (a ban from a comment) to the log.
    async fn record_moderation(
        &self,
        moderator_id: i64,
        action: &str,
        comment_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError>;

    /// The latest moderator actions, newest first.
    async fn moderation_log(&self, limit: u32) -> Result<Vec<ModerationEntry>, StoreError>;
}
