//! Members and how they prove who they are: sign-in links, sessions, API tokens.

use async_trait::async_trait;
use serde::Serialize;

use crate::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    /// Hides and restores comments and bans their writers.
    Moderator,
    Admin,
    Banned,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
            Role::Banned => "banned",
        }
    }

    /// Whether this role moderates discussions (admins do everything moderators do).
    pub fn can_moderate(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }

    pub fn parse(text: &str) -> Role {
        match text {
            "admin" => Role::Admin,
            "moderator" => Role::Moderator,
            "banned" => Role::Banned,
            _ => Role::Member,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: i64,
    /// What the public profile's address (`/users/<profile_id>`) holds: random, so that members
    /// cannot be listed by counting.
    pub profile_id: String,
}

/// A session to start: the hash of its cookie, and the token its forms must carry.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Keeps a sign-in link (by its hash) for `email` until `expires_at` (unix seconds).
    async fn save_login_token(&self, email: &str, token_hash: &str, expires_at: i64) -> Result<(), StoreError>;

    /// Uses up a sign-in link: it is deleted whatever happens, so it works once. Answers the
    /// person it signs in (an account is made on first sign-in), or `None` when the link is
    /// unknown, used or expired, or the account is banned.
    async fn redeem_login_token(&self, token_hash: &str, now: i64) -> Result<Option<User>, StoreError>;

    /// The address a live sign-in link signs in, without using the link up: for the page that
    /// asks the person to confirm.
    async fn login_token_email(&self, token_hash: &str, now: i64) -> Result<Option<String>, StoreError>;

    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError>;

    /// The session with this cookie hash, if it has not expired.
    async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>, StoreError>;

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    async fn set_display_name(&self, user_id: i64, display_name: &str) -> Result<(), StoreError>;

    /// Makes a personal API token (kept by its hash) and answers its id.
    async fn create_api_token(&self, user_id: i64, name: &str, token_hash: &str) -> Result<i64, StoreError>;

    async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes one of the person's tokens; answers whether there was one.
    async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<bool, StoreError>;

    /// The person a bearer token belongs to (not banned), noting that it was used.
    async fn user_by_api_token(&self, token_hash: &str, now: i64) -> Result<Option<User>, StoreError>;

    async fn user(&self, user_id: i64) -> Result<Option<User>, StoreError>;

    /// Deletes the member and everything that is theirs: sessions, tokens, votes (the papers'
    /// counts go down), submissions, collections, notes and follows; their digest, if any, is
    /// ended. Answers whether there was such a member.
    async fn delete_user(&self, user_id: i64, now: i64) -> Result<bool, StoreError>;

    /// The member who signs in with this address (any case): a digest subscriber's account.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;

    /// The member whose public profile id is `profile_id`.
    async fn user_by_profile(&self, profile_id: &str) -> Result<Option<User>, StoreError>;

    async fn users(&self) -> Result<Vec<User>, StoreError>;
}
