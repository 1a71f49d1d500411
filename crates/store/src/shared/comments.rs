// Discussion on papers: comments, their votes, reports and the moderation log.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::ArxivId;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use super::dialect::{Backend, Connection, Db, DbRow, MAX_BINDS, Pool, write_transaction};
use super::papers::bump_content_version;
use crate::comments::MAX_DEPTH;
use crate::{
    Comment, CommentAuthor, CommentReport, CommentStore, EditOutcome, ModerationEntry, NewComment, PostOutcome,
    StoreError,
};

/// A comment with its author; `hidden` counts a banned author's comments as hidden.
const COMMENT_SELECT: &str = "SELECT c.id, c.paper_id, c.parent_id, c.depth, c.body, c.created_at, c.edited_at, \
     c.deleted, (c.hidden OR COALESCE(u.role = 'banned', FALSE)) AS hidden, c.votes, c.user_id, \
     u.display_name, u.profile_id FROM comments c LEFT JOIN users u ON u.id = c.user_id";

fn comment_row(row: &DbRow) -> Result<Comment, StoreError> {
    let user_id: Option<i64> = row.try_get("user_id")?;
    let author = match user_id {
        Some(user_id) => Some(CommentAuthor {
            user_id,
            display_name: row.try_get("display_name")?,
            profile_id: row.try_get("profile_id")?,
        }),
        None => None,
    };
    let depth: i64 = row.try_get("depth")?;
    Ok(Comment {
        id: row.try_get("id")?,
        paper: row.try_get("paper_id")?,
        parent: row.try_get("parent_id")?,
        depth: u32::try_from(depth).unwrap_or(MAX_DEPTH),
        author,
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
        edited_at: row.try_get("edited_at")?,
        deleted: row.try_get("deleted")?,
        hidden: row.try_get("hidden")?,
        votes: row.try_get("votes")?,
    })
}

async fn comment_by_id(connection: &mut Connection, id: i64) -> Result<Option<Comment>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("{COMMENT_SELECT} WHERE c.id = $1")))
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
    row.as_ref().map(comment_row).transpose()
}

async fn log_moderation(
    connection: &mut Connection,
    moderator_id: i64,
    action: &str,
    comment_id: i64,
    reason: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO moderation_log (moderator_id, action, comment_id, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(moderator_id)
    .bind(action)
    .bind(comment_id)
    .bind(reason)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// `columns` of the comments others can read (not deleted, not hidden, not by a banned member)
/// on `papers`, then `suffix` (a GROUP BY), in chunks of bound parameters.
async fn visible_comments_of(
    pool: &Pool,
    papers: &[ArxivId],
    columns: &str,
    suffix: &str,
) -> Result<Vec<DbRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in papers.chunks(MAX_BINDS - 1) {
        let mut query = QueryBuilder::<Db>::new(format!(
            "SELECT {columns} FROM comments c LEFT JOIN users u ON u.id = c.user_id \
             WHERE NOT c.deleted AND NOT c.hidden AND NOT COALESCE(u.role = 'banned', FALSE) AND c.paper_id IN ("
        ));
        let mut list = query.separated(", ");
        for paper in chunk {
            list.push_bind(paper.as_str());
        }
        query.push(")").push(suffix);
        rows.extend(query.build().fetch_all(pool).await?);
    }
    Ok(rows)
}

#[async_trait]
impl CommentStore for Backend {
    async fn record_moderation(
        &self,
        moderator_id: i64,
        action: &str,
        comment_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        log_moderation(&mut transaction, moderator_id, action, comment_id, reason, now).await?;
        // Reports of the comment are answered by the ban.
        sqlx::query("UPDATE comment_reports SET resolved_at = $1 WHERE comment_id = $2 AND resolved_at IS NULL")
            .bind(now)
            .bind(comment_id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn post_comment(&self, new: &NewComment) -> Result<PostOutcome, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let paper = sqlx::query("SELECT 1 FROM papers WHERE id = $1")
            .bind(new.paper.as_str())
            .fetch_optional(&mut *transaction)
            .await?;
        if paper.is_none() {
            return Ok(PostOutcome::UnknownPaper);
        }
        let (parent, depth) = match new.parent {
            None => (None, 0),
            Some(parent) => {
                let row = sqlx::query(
                    "SELECT parent_id, depth FROM comments WHERE id = $1 AND paper_id = $2 AND NOT deleted",
                )
                .bind(parent)
                .bind(new.paper.as_str())
                .fetch_optional(&mut *transaction)
                .await?;
                let Some(row) = row else {
                    return Ok(PostOutcome::UnknownParent);
                };
                let depth: i64 = row.try_get("depth")?;
                if depth >= i64::from(MAX_DEPTH) {
                    // Deeper replies flatten: a sibling of the comment answered.
                    (row.try_get::<Option<i64>, _>("parent_id")?, i64::from(MAX_DEPTH))
                } else {
                    (Some(parent), depth + 1)
                }
            }
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (paper_id, user_id, parent_id, depth, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(new.paper.as_str())
        .bind(new.user_id)
        .bind(parent)
        .bind(depth)
        .bind(&new.body)
        .bind(new.now)
        .fetch_one(&mut *transaction)
        .await?;
        super::notifications::queue_comment_mails(
            &mut transaction,
            id,
            new.paper.as_str(),
            new.user_id,
            new.parent,
            new.now,
        )
        .await?;
        bump_content_version(&mut transaction).await?;
        let comment = comment_by_id(&mut transaction, id)
            .await?
            .ok_or_else(|| StoreError::CorruptRow {
                id: format!("comment {id}"),
                reason: "not there right after it was written".to_owned(),
            })?;
        transaction.commit().await?;
        Ok(PostOutcome::Posted(comment))
    }

    async fn comment(&self, id: i64) -> Result<Option<Comment>, StoreError> {
        let mut connection = self.pool.acquire().await?;
        comment_by_id(&mut connection, id).await
    }

    async fn member_comments(&self, user_id: i64) -> Result<Vec<Comment>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{COMMENT_SELECT} WHERE c.user_id = $1 ORDER BY c.id"
        )))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(comment_row).collect()
    }

    async fn paper_comments(&self, paper: &ArxivId, include_hidden: bool) -> Result<Vec<Comment>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{COMMENT_SELECT} WHERE c.paper_id = $1 AND ($2 OR NOT (c.hidden OR COALESCE(u.role = 'banned', FALSE))) \
             ORDER BY c.id"
        )))
        .bind(paper.as_str())
        .bind(include_hidden)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(comment_row).collect()
    }

    async fn edit_comment(
        &self,
        id: i64,
        user_id: i64,
        body: &str,
        now: i64,
        window_seconds: i64,
    ) -> Result<EditOutcome, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let row = sqlx::query("SELECT user_id, created_at FROM comments WHERE id = $1 AND NOT deleted")
            .bind(id)
            .fetch_optional(&mut *transaction)
            .await?;
        let Some(row) = row else {
            return Ok(EditOutcome::NotFound);
        };
        if row.try_get::<Option<i64>, _>("user_id")? != Some(user_id) {
            return Ok(EditOutcome::NotYours);
        }
        if now > row.try_get::<i64, _>("created_at")? + window_seconds {
            return Ok(EditOutcome::TooLate);
        }
        sqlx::query("UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3")
            .bind(body)
            .bind(now)
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        bump_content_version(&mut transaction).await?;
        transaction.commit().await?;
        Ok(EditOutcome::Edited)
    }

    async fn delete_comment(&self, id: i64, user_id: i64) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let done =
            sqlx::query("UPDATE comments SET deleted = TRUE, body = '' WHERE id = $1 AND user_id = $2 AND NOT deleted")
                .bind(id)
                .bind(user_id)
                .execute(&mut *transaction)
                .await?
                .rows_affected()
                > 0;
        if done {
            bump_content_version(&mut transaction).await?;
        }
        transaction.commit().await?;
        Ok(done)
    }

    async fn set_comment_vote(&self, id: i64, user_id: i64, voted: bool, now: i64) -> Result<Option<i64>, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let exists = sqlx::query("SELECT 1 FROM comments WHERE id = $1 AND NOT deleted")
            .bind(id)
            .fetch_optional(&mut *transaction)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        if voted {
            sqlx::query(
                "INSERT INTO comment_votes (comment_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(user_id)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        } else {
            sqlx::query("DELETE FROM comment_votes WHERE comment_id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .execute(&mut *transaction)
                .await?;
        }
        // Recounted, not incremented, so it never drifts from the votes held.
        sqlx::query(
            "UPDATE comments SET votes = (SELECT COUNT(*) FROM comment_votes WHERE comment_id = $1) WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *transaction)
        .await?;
        let votes: i64 = sqlx::query_scalar("SELECT votes FROM comments WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(Some(votes))
    }

    async fn comment_votes_among(&self, user_id: i64, comments: &[i64]) -> Result<Vec<i64>, StoreError> {
        let mut voted = Vec::new();
        for chunk in comments.chunks(MAX_BINDS - 1) {
            let mut query = QueryBuilder::<Db>::new("SELECT comment_id FROM comment_votes WHERE user_id = ");
            query.push_bind(user_id).push(" AND comment_id IN (");
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            query.push(") ORDER BY comment_id");
            for row in query.build().fetch_all(&self.pool).await? {
                voted.push(row.try_get("comment_id")?);
            }
        }
        Ok(voted)
    }

    async fn comment_counts(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, i64)>, StoreError> {
        let mut counts: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for row in visible_comments_of(&self.pool, papers, "c.paper_id, COUNT(*) AS n", " GROUP BY c.paper_id").await? {
            counts.insert(row.try_get("paper_id")?, row.try_get("n")?);
        }
        Ok(papers
            .iter()
            .map(|paper| (paper.clone(), counts.get(paper.as_str()).copied().unwrap_or(0)))
            .collect())
    }

    async fn comment_times(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, i64)>, StoreError> {
        let rows = visible_comments_of(&self.pool, papers, "c.paper_id, c.created_at", "").await?;
        rows.iter()
            .map(|row| {
                let paper: String = row.try_get("paper_id")?;
                let paper = ArxivId::parse(&paper).map_err(|error| StoreError::CorruptRow {
                    id: paper.clone(),
                    reason: error.to_string(),
                })?;
                Ok((paper, row.try_get("created_at")?))
            })
            .collect()
    }

    async fn report_comment(&self, id: i64, user_id: i64, reason: &str, now: i64) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let exists = sqlx::query("SELECT 1 FROM comments WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *transaction)
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        let new = sqlx::query(
            "INSERT INTO comment_reports (comment_id, user_id, reason, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (comment_id, user_id) DO NOTHING",
        )
        .bind(id)
        .bind(user_id)
        .bind(reason)
        .bind(now)
        .execute(&mut *transaction)
        .await?
        .rows_affected()
            > 0;
        transaction.commit().await?;
        Ok(new)
    }

    async fn open_reports(&self, limit: u32) -> Result<Vec<CommentReport>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.comment_id, c.paper_id, r.user_id, r.reason, r.created_at FROM comment_reports r \
             JOIN comments c ON c.id = r.comment_id WHERE r.resolved_at IS NULL ORDER BY r.id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CommentReport {
                    id: row.try_get("id")?,
                    comment_id: row.try_get("comment_id")?,
                    paper: row.try_get("paper_id")?,
                    reporter_id: row.try_get("user_id")?,
                    reason: row.try_get("reason")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn set_comment_hidden(
        &self,
        id: i64,
        hidden: bool,
        moderator_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let found = sqlx::query("UPDATE comments SET hidden = $1 WHERE id = $2")
            .bind(hidden)
            .bind(id)
            .execute(&mut *transaction)
            .await?
            .rows_affected()
            > 0;
        if !found {
            return Ok(false);
        }
        sqlx::query("UPDATE comment_reports SET resolved_at = $1 WHERE comment_id = $2 AND resolved_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        log_moderation(
            &mut transaction,
            moderator_id,
            if hidden { "hide" } else { "restore" },
            id,
            reason,
            now,
        )
        .await?;
        bump_content_version(&mut transaction).await?;
        transaction.commit().await?;
        Ok(true)
    }

    async fn moderation_log(&self, limit: u32) -> Result<Vec<ModerationEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT COALESCE(moderator_id, 0) AS moderator_id, action, comment_id, reason, created_at \
             FROM moderation_log ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ModerationEntry {
                    moderator_id: row.try_get("moderator_id")?,
                    action: row.try_get("action")?,
                    comment_id: row.try_get("comment_id")?,
                    reason: row.try_get("reason")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
