// What members follow: authors, categories, saved searches.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use sqlx::Row;

use super::dialect::{Backend, write_transaction};
use crate::{Follow, FollowKind, FollowStore, StoreError};

#[async_trait]
impl FollowStore for Backend {
    async fn follow(&self, user_id: i64, kind: FollowKind, value: &str, now: i64) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let new = sqlx::query(
            "INSERT INTO follows (user_id, kind, value, active, created_at) VALUES ($1, $2, $3, TRUE, $4) \
             ON CONFLICT (user_id, kind, value) DO NOTHING",
        )
        .bind(user_id)
        .bind(kind.as_str())
        .bind(value)
        .bind(now)
        .execute(&mut *transaction)
        .await?
        .rows_affected()
            > 0;
        if !new {
            sqlx::query("UPDATE follows SET active = TRUE WHERE user_id = $1 AND kind = $2 AND value = $3")
                .bind(user_id)
                .bind(kind.as_str())
                .bind(value)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(new)
    }

    async fn set_follow_active(
        &self,
        user_id: i64,
        kind: FollowKind,
        value: &str,
        active: bool,
    ) -> Result<bool, StoreError> {
        let changed = sqlx::query("UPDATE follows SET active = $1 WHERE user_id = $2 AND kind = $3 AND value = $4")
            .bind(active)
            .bind(user_id)
            .bind(kind.as_str())
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(changed.rows_affected() > 0)
    }

    async fn unfollow(&self, user_id: i64, kind: FollowKind, value: &str) -> Result<bool, StoreError> {
        let gone = sqlx::query("DELETE FROM follows WHERE user_id = $1 AND kind = $2 AND value = $3")
            .bind(user_id)
            .bind(kind.as_str())
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(gone.rows_affected() > 0)
    }

    async fn follows(&self, user_id: i64) -> Result<Vec<Follow>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, value, active, created_at FROM follows WHERE user_id = $1 \
             ORDER BY CASE kind WHEN 'author' THEN 0 WHEN 'category' THEN 1 ELSE 2 END, created_at, value",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(Follow {
                    kind: FollowKind::parse(&kind).ok_or_else(|| StoreError::CorruptRow {
                        id: format!("follow of member {user_id}"),
                        reason: format!("unknown kind {kind:?}"),
                    })?,
                    value: row.try_get("value")?,
                    active: row.try_get("active")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
