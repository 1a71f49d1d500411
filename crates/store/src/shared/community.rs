// What members do to the lists: votes, submissions, hiding, and roles (a ban stops a member's votes counting).
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::{ArxivId, Date};
use sqlx::{QueryBuilder, Row};

use super::dialect::{Backend, Db, MAX_BINDS, write_transaction};
use super::papers::bump_content_version;
use crate::{Activity, CommunityStore, NewSubmission, Role, StoreError, SubmitOutcome};

/// A paper's local vote count, for `UPDATE papers … WHERE id = …`: its votes from members who are
/// not banned.
pub(super) const COUNTED_VOTES: &str = "(SELECT COUNT(*) FROM votes v JOIN users u ON u.id = v.user_id \
                             WHERE v.paper_id = papers.id AND u.role <> 'banned')";

#[async_trait]
impl CommunityStore for Backend {
    async fn set_vote(&self, user_id: i64, paper: &ArxivId, voted: bool) -> Result<Option<i64>, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let exists = sqlx::query("SELECT 1 FROM papers WHERE id = $1")
            .bind(paper.as_str())
            .fetch_optional(&mut *transaction)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let changed = if voted {
            sqlx::query("INSERT INTO votes (user_id, paper_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(user_id)
                .bind(paper.as_str())
                .bind(jiff::Timestamp::now().as_second())
                .execute(&mut *transaction)
                .await?
        } else {
            sqlx::query("DELETE FROM votes WHERE user_id = $1 AND paper_id = $2")
                .bind(user_id)
                .bind(paper.as_str())
                .execute(&mut *transaction)
                .await?
        };
        // The count is recounted, not incremented, so it can never drift from the votes table.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE papers SET local_votes = {COUNTED_VOTES} WHERE id = $1"
        )))
        .bind(paper.as_str())
        .execute(&mut *transaction)
        .await?;
        let count: i64 = sqlx::query_scalar("SELECT local_votes FROM papers WHERE id = $1")
            .bind(paper.as_str())
            .fetch_one(&mut *transaction)
            .await?;
        if changed.rows_affected() > 0 {
            bump_content_version(&mut transaction).await?;
        }
        transaction.commit().await?;
        Ok(Some(count))
    }

    async fn local_votes(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, i64)>, StoreError> {
        let mut counts = Vec::with_capacity(papers.len());
        for chunk in papers.chunks(MAX_BINDS) {
            let mut query = QueryBuilder::<Db>::new("SELECT id, local_votes FROM papers WHERE id IN (");
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(id.as_str());
            }
            query.push(")");
            let rows: Vec<(String, i64)> = query.build_query_as().fetch_all(&self.pool).await?;
            let mut found: std::collections::HashMap<String, i64> = rows.into_iter().collect();
            counts.extend(
                chunk
                    .iter()
                    .map(|id| (id.clone(), found.remove(id.as_str()).unwrap_or(0))),
            );
        }
        Ok(counts)
    }

    async fn recent_votes(&self, user_id: i64, limit: u32) -> Result<Vec<ArxivId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT paper_id FROM votes WHERE user_id = $1 ORDER BY created_at DESC, paper_id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.iter().filter_map(|id| ArxivId::parse(id).ok()).collect())
    }

    async fn voted_among(&self, user_id: i64, papers: &[ArxivId]) -> Result<Vec<ArxivId>, StoreError> {
        let mut voted = Vec::new();
        for chunk in papers.chunks(MAX_BINDS - 1) {
            let mut query = QueryBuilder::<Db>::new("SELECT paper_id FROM votes WHERE user_id = ");
            query.push_bind(user_id).push(" AND paper_id IN (");
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(id.as_str());
            }
            query.push(")");
            for row in query.build().fetch_all(&self.pool).await? {
                let text: String = row.try_get("paper_id")?;
                if let Ok(id) = ArxivId::parse(&text) {
                    voted.push(id);
                }
            }
        }
        Ok(voted)
    }

    async fn submit_paper(&self, submission: &NewSubmission, daily_quota: u32) -> Result<SubmitOutcome, StoreError> {
        let day = submission.listing_date.to_string();
        let mut transaction = write_transaction(&self.pool).await?;
        let taken = sqlx::query("SELECT 1 FROM submissions WHERE paper_id = $1 AND listing_date = $2")
            .bind(submission.paper.as_str())
            .bind(&day)
            .fetch_optional(&mut *transaction)
            .await?;
        if taken.is_some() {
            return Ok(SubmitOutcome::AlreadySubmitted);
        }
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM submissions WHERE user_id = $1 AND listing_date = $2")
            .bind(submission.user_id)
            .bind(&day)
            .fetch_one(&mut *transaction)
            .await?;
        if used >= i64::from(daily_quota) {
            return Ok(SubmitOutcome::QuotaReached);
        }
        sqlx::query("INSERT INTO submissions (paper_id, listing_date, user_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(submission.paper.as_str())
            .bind(&day)
            .bind(submission.user_id)
            .bind(jiff::Timestamp::now().as_second())
            .execute(&mut *transaction)
            .await?;
        bump_content_version(&mut transaction).await?;
        transaction.commit().await?;
        Ok(SubmitOutcome::Accepted)
    }

    async fn submitters(
        &self,
        papers: &[ArxivId],
        first: Date,
        last: Date,
    ) -> Result<Vec<(ArxivId, String)>, StoreError> {
        let mut found = Vec::new();
        for chunk in papers.chunks(MAX_BINDS - 2) {
            let mut query = QueryBuilder::<Db>::new(
                "SELECT s.paper_id AS paper_id, u.display_name AS name FROM submissions s JOIN users u ON u.id = s.user_id \
                 WHERE NOT s.hidden AND u.role <> 'banned' AND s.listing_date BETWEEN ",
            );
            query
                .push_bind(first.to_string())
                .push(" AND ")
                .push_bind(last.to_string())
                .push(" AND s.paper_id IN (");
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(id.as_str());
            }
            query.push(") ORDER BY s.listing_date");
            for row in query.build().fetch_all(&self.pool).await? {
                let id: String = row.try_get("paper_id")?;
                if let Ok(id) = ArxivId::parse(&id) {
                    found.push((id, row.try_get("name")?));
                }
            }
        }
        Ok(found)
    }

    async fn activity(&self, user_id: i64, limit: u32) -> Result<Activity, StoreError> {
        let votes = sqlx::query(
            "SELECT paper_id FROM votes WHERE user_id = $1 ORDER BY created_at DESC, paper_id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let submissions = sqlx::query(
            "SELECT paper_id, listing_date FROM submissions WHERE user_id = $1 ORDER BY listing_date DESC, created_at DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut activity = Activity::default();
        for row in votes {
            if let Ok(id) = ArxivId::parse(&row.try_get::<String, _>("paper_id")?) {
                activity.votes.push(id);
            }
        }
        for row in submissions {
            let id = ArxivId::parse(&row.try_get::<String, _>("paper_id")?);
            let day = row.try_get::<String, _>("listing_date")?.parse::<Date>();
            if let (Ok(id), Ok(day)) = (id, day) {
                activity.submissions.push((id, day));
            }
        }
        Ok(activity)
    }

    async fn set_paper_hidden(&self, paper: &ArxivId, hidden: bool) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let done = sqlx::query("UPDATE papers SET hidden = $1 WHERE id = $2")
            .bind(hidden)
            .bind(paper.as_str())
            .execute(&mut *transaction)
            .await?;
        bump_content_version(&mut transaction).await?;
        transaction.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_submission_hidden(&self, paper: &ArxivId, day: Date, hidden: bool) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let done = sqlx::query("UPDATE submissions SET hidden = $1 WHERE paper_id = $2 AND listing_date = $3")
            .bind(hidden)
            .bind(paper.as_str())
            .bind(day.to_string())
            .execute(&mut *transaction)
            .await?;
        bump_content_version(&mut transaction).await?;
        transaction.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_role(&self, email: &str, role: Role) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let done = sqlx::query("UPDATE users SET role = $1 WHERE email = $2")
            .bind(role.as_str())
            .bind(email.to_lowercase())
            .execute(&mut *transaction)
            .await?;
        if role == Role::Banned {
            // A ban ends every way in at once.
            sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email = $1)")
                .bind(email.to_lowercase())
                .execute(&mut *transaction)
                .await?;
        }
        // A banned member's votes stop counting, and count again when the ban is lifted; their
        // submissions leave the lists meanwhile (the list queries read the role). Both show at
        // the next content version.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE papers SET local_votes = {COUNTED_VOTES} WHERE id IN \
             (SELECT v.paper_id FROM votes v JOIN users u ON u.id = v.user_id WHERE u.email = $1)"
        )))
        .bind(email.to_lowercase())
        .execute(&mut *transaction)
        .await?;
        if done.rows_affected() > 0 {
            bump_content_version(&mut transaction).await?;
        }
        transaction.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
