// Members: sign-in links, sessions, API tokens and accounts.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use sqlx::Row;

use super::dialect::{Backend, DbRow, RANDOM_PROFILE_ID, write_transaction};
use super::papers::bump_content_version;
use crate::{AccountStore, ApiToken, NewSession, Role, Session, StoreError, User};

#[async_trait]
impl AccountStore for Backend {
    async fn save_login_token(&self, email: &str, token_hash: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO login_tokens (token_hash, email, expires_at, created_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(email.to_lowercase())
            .bind(expires_at)
            .bind(jiff::Timestamp::now().as_second())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn redeem_login_token(&self, token_hash: &str, now: i64) -> Result<Option<User>, StoreError> {
        // IMMEDIATE: take the write lock up front, so two clicks on one link cannot both win.
        let mut transaction = write_transaction(&self.pool).await?;
        let row = sqlx::query("DELETE FROM login_tokens WHERE token_hash = $1 RETURNING email, expires_at")
            .bind(token_hash)
            .fetch_optional(&mut *transaction)
            .await?;
        // Expired links are swept whenever one is used.
        sqlx::query("DELETE FROM login_tokens WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        let Some(row) = row else {
            transaction.commit().await?;
            return Ok(None);
        };
        let (email, expires_at): (String, i64) = (row.try_get("email")?, row.try_get("expires_at")?);
        if expires_at < now {
            transaction.commit().await?;
            return Ok(None);
        }
        // A new member gets an unguessable profile id and a name made from it: nothing of the
        // address is shown until they choose a name. (`WHERE TRUE`: SQLite's parser needs it
        // between an INSERT's SELECT and its ON CONFLICT.)
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO users (email, display_name, created_at, profile_id) \
             SELECT $1, 'Reader ' || substr(fresh.id, 1, 6), $2, fresh.id FROM (SELECT {RANDOM_PROFILE_ID} AS id) fresh \
             WHERE TRUE ON CONFLICT (email) DO NOTHING"
        )))
        .bind(&email)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        let user = user_row(
            sqlx::query("SELECT id, email, display_name, role, created_at, profile_id FROM users WHERE email = $1")
                .bind(&email)
                .fetch_one(&mut *transaction)
                .await?,
        )?;
        transaction.commit().await?;
        Ok((user.role != Role::Banned).then_some(user))
    }

    async fn login_token_email(&self, token_hash: &str, now: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT email FROM login_tokens WHERE token_hash = $1 AND expires_at >= $2")
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(session.user_id)
        .bind(&session.csrf_token)
        .bind(session.expires_at)
        .bind(jiff::Timestamp::now().as_second())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.display_name, u.role, u.created_at, u.profile_id, s.csrf_token, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at >= $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session = Session {
            csrf_token: row.try_get("csrf_token")?,
            expires_at: row.try_get("expires_at")?,
            user: user_row(row)?,
        };
        Ok((session.user.role != Role::Banned).then_some(session))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_display_name(&self, user_id: i64, display_name: &str) -> Result<(), StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(display_name)
            .bind(user_id)
            .execute(&mut *transaction)
            .await?;
        bump_content_version(&mut transaction).await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn create_api_token(&self, user_id: i64, name: &str, token_hash: &str) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(name)
        .bind(jiff::Timestamp::now().as_second())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        let rows =
            sqlx::query("SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY id")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiToken {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                    last_used_at: row.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(token_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn user_by_api_token(&self, token_hash: &str, now: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 RETURNING user_id")
            .bind(now)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let user = self.user(row.try_get("user_id")?).await?;
        Ok(user.filter(|user| user.role != Role::Banned))
    }

    async fn user(&self, user_id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, email, display_name, role, created_at, profile_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(user_row).transpose()
    }

    async fn delete_user(&self, user_id: i64, now: i64) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let Some(email): Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *transaction)
            .await?
        else {
            return Ok(false);
        };
        let voted: Vec<String> = sqlx::query_scalar("SELECT paper_id FROM votes WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut *transaction)
            .await?;
        let comments_voted: Vec<i64> = sqlx::query_scalar("SELECT comment_id FROM comment_votes WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut *transaction)
            .await?;
        // Every table that holds a member's rows cascades from users; their comments stay, with
        // no author, so that threads keep their shape.
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *transaction)
            .await?;
        for paper in &voted {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE papers SET local_votes = {} WHERE id = $1",
                super::community::COUNTED_VOTES
            )))
            .bind(paper)
            .execute(&mut *transaction)
            .await?;
        }
        for comment in &comments_voted {
            sqlx::query(
                "UPDATE comments SET votes = (SELECT COUNT(*) FROM comment_votes WHERE comment_id = $1) WHERE id = $1",
            )
            .bind(comment)
            .execute(&mut *transaction)
            .await?;
        }
        sqlx::query("DELETE FROM login_tokens WHERE email = $1")
            .bind(&email)
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "UPDATE subscriptions SET status = 'unsubscribed', updated_at = $1 \
             WHERE email_key = $2 AND status IN ('pending', 'active')",
        )
        .bind(now)
        .bind(email.to_lowercase())
        .execute(&mut *transaction)
        .await?;
        bump_content_version(&mut transaction).await?;
        transaction.commit().await?;
        Ok(true)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let row =
            sqlx::query("SELECT id, email, display_name, role, created_at, profile_id FROM users WHERE email = $1")
                .bind(email.to_lowercase())
                .fetch_optional(&self.pool)
                .await?;
        row.map(user_row).transpose()
    }

    async fn user_by_profile(&self, profile_id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, display_name, role, created_at, profile_id FROM users WHERE profile_id = $1",
        )
        .bind(profile_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(user_row).transpose()
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, email, display_name, role, created_at, profile_id FROM users ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(user_row).collect()
    }
}

pub(super) fn user_row(row: DbRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&row.try_get::<String, _>("role")?),
        created_at: row.try_get("created_at")?,
        profile_id: row.try_get("profile_id")?,
    })
}
