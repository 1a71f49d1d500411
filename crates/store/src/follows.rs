//! What a member follows: authors, categories and saved searches. They feed the member's
//! "For you" list and personal digest; each can be turned off and on again.

use async_trait::async_trait;
use serde::Serialize;

use crate::StoreError;

/// What is followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowKind {
    /// An author's name as papers write it.
    Author,
    /// A category (`cs.CL`) or a whole archive (`cs`).
    Category,
    /// A search: the search page's query string (`q=…&cat=…`).
    Search,
}

impl FollowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowKind::Author => "author",
            FollowKind::Category => "category",
            FollowKind::Search => "search",
        }
    }

    pub fn parse(text: &str) -> Option<FollowKind> {
        match text {
            "author" => Some(FollowKind::Author),
            "category" => Some(FollowKind::Category),
            "search" => Some(FollowKind::Search),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Follow {
    pub kind: FollowKind,
    pub value: String,
    /// Turned off, it is kept but feeds nothing.
    pub active: bool,
    pub created_at: i64,
}

#[async_trait]
pub trait FollowStore: Send + Sync {
    /// Follows `value` (already checked for its kind), or turns the follow on again; answers
    /// whether it was new.
    async fn follow(&self, user_id: i64, kind: FollowKind, value: &str, now: i64) -> Result<bool, StoreError>;

    /// Turns a follow off (kept, feeding nothing) or on; answers whether there was one.
    async fn set_follow_active(
        &self,
        user_id: i64,
        kind: FollowKind,
        value: &str,
        active: bool,
    ) -> Result<bool, StoreError>;

    /// Forgets a follow; answers whether there was one.
    async fn unfollow(&self, user_id: i64, kind: FollowKind, value: &str) -> Result<bool, StoreError>;

    /// The member's follows, by kind and then in the order they were made.
    async fn follows(&self, user_id: i64) -> Result<Vec<Follow>, StoreError>;
}
