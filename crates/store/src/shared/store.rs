// The `Store` trait, implemented once for both backends: the papers, members, votes and
// submissions here; digests, search and harvest queries in their own files.

// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::{ArxivId, Category, Date, DigestPreferences, Frequency, Paper, RankCandidate, SearchDocument};
use sqlx::{QueryBuilder, Row};

use super::dialect::{Backend, Connection, Db, DbRow, MAX_BINDS, RANDOM_PROFILE_ID, write_transaction};
use super::{digests, harvest, search};
use crate::paper_row::{COLUMNS, PaperRow};
use crate::{
    Activity, ApiToken, ClaimedDelivery, ContentVersion, DeliveryCounts, DeliveryOutcome, HarvestCheckpoint,
    HarvestRun, MergeSummary, NewDelivery, NewSession, NewSubmission, PaperTotals, RepoReading, RepoToCheck, Role,
    SearchChange, SearchLogBounds, Session, StarCount, Store, StoreError, StoreStats, StoredEmbedding, SubmitOutcome,
    SubscribeRequest, Subscription, TextToEmbed, User, fold_duplicates,
};

/// How far back rate-limit windows are kept: twice the longest window (a day).
const RATE_LIMIT_ROWS_KEPT_SECONDS: i64 = 2 * 86_400;

/// A paper's local vote count, for `UPDATE papers … WHERE id = …`: its votes from members who are
/// not banned.
const COUNTED_VOTES: &str = "(SELECT COUNT(*) FROM votes v JOIN users u ON u.id = v.user_id \
                             WHERE v.paper_id = papers.id AND u.role <> 'banned')";

/// Which day a paper belongs to in a list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DayBasis {
    /// The day arXiv listed it (or a member submitted it): the site's pages.
    Listing,
    /// Hugging Face's daily date where HF featured it, else the listing day: the HF-shaped API.
    HuggingFaceDaily,
}

impl Backend {
    async fn load_papers(connection: &mut Connection, ids: &[&str]) -> Result<Vec<Paper>, StoreError> {
        let mut papers = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_BINDS) {
            let mut query = QueryBuilder::<Db>::new("SELECT ");
            query.push(COLUMNS.join(", ")).push(" FROM papers WHERE id IN (");
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(*id);
            }
            query.push(")");
            let rows: Vec<PaperRow> = query.build_query_as().fetch_all(&mut *connection).await?;
            for row in rows {
                papers.push(row.into_paper()?);
            }
        }
        Ok(papers)
    }

    /// The papers of days `first` to `last`, dated by `basis`.
    async fn candidates(
        &self,
        first: Date,
        last: Date,
        category: Option<&Category>,
        basis: DayBasis,
    ) -> Result<Vec<RankCandidate>, StoreError> {
        let by_hf = basis == DayBasis::HuggingFaceDaily;
        let listed = if by_hf {
            "COALESCE(p.hf_daily_date, MIN(l.listing_date))"
        } else {
            "MIN(l.listing_date)"
        };
        let mut query = QueryBuilder::<Db>::new(format!(
            "SELECT p.id AS id, {listed} AS listed, COALESCE(p.imported_votes, 0) AS imported_votes, \
             p.local_votes AS local_votes, "
        ));
        query.push(harvest::STAR_GROWTH_COLUMN.as_str()).push(
            " FROM (SELECT listing_date, paper_id FROM paper_listings \
                   UNION SELECT listing_date, paper_id FROM submissions WHERE NOT hidden AND user_id NOT IN (SELECT id FROM users WHERE role = 'banned')",
        );
        if by_hf {
            query.push(" UNION SELECT hf_daily_date, id FROM papers WHERE hf_daily_date BETWEEN ");
            query
                .push_bind(first.to_string())
                .push(" AND ")
                .push_bind(last.to_string());
        }
        query.push(") l JOIN papers p ON p.id = l.paper_id AND NOT p.hidden ");
        if let Some(category) = category {
            query.push("JOIN paper_categories c ON c.paper_id = p.id AND (c.category = ");
            query.push_bind(category.as_str());
            if !category.as_str().contains('.') {
                query
                    .push(" OR c.category LIKE ")
                    .push_bind(format!("{}.%", category.as_str()));
            }
            query.push(") ");
        }
        query.push("WHERE l.listing_date BETWEEN ").push_bind(first.to_string());
        query.push(" AND ").push_bind(last.to_string());
        if by_hf {
            // A paper HF featured belongs to HF's day only.
            query.push(" AND (p.hf_daily_date IS NULL OR p.hf_daily_date BETWEEN ");
            query
                .push_bind(first.to_string())
                .push(" AND ")
                .push_bind(last.to_string())
                .push(")");
        }
        query.push(" GROUP BY p.id");
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let listed: String = row.try_get("listed")?;
                let corrupt = |reason: String| StoreError::CorruptRow { id: id.clone(), reason };
                Ok(RankCandidate {
                    id: ArxivId::parse(&id).map_err(|error| corrupt(error.to_string()))?,
                    listed: listed
                        .parse()
                        .map_err(|error: jiff::Error| corrupt(error.to_string()))?,
                    imported_votes: row.try_get("imported_votes")?,
                    local_votes: row.try_get("local_votes")?,
                    star_growth: row.try_get("star_growth")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl Store for Backend {
    async fn merge_papers(&self, records: Vec<Paper>) -> Result<MergeSummary, StoreError> {
        let records = fold_duplicates(records);
        if records.is_empty() {
            return Ok(MergeSummary::default());
        }
        // IMMEDIATE: a write transaction that starts as a reader can fail to upgrade while a
        // vote commits; taking the write lock first makes it wait (busy_timeout) instead.
        let mut transaction = write_transaction(&self.pool).await?;
        let summary = merge_in(&mut transaction, records).await?;
        transaction.commit().await?;
        Ok(summary)
    }

    async fn paper(&self, id: &ArxivId) -> Result<Option<Paper>, StoreError> {
        let mut connection = self.pool.acquire().await?;
        Ok(Self::load_papers(&mut connection, &[id.as_str()]).await?.pop())
    }

    async fn papers_after(&self, after: Option<&ArxivId>, limit: u32) -> Result<Vec<Paper>, StoreError> {
        let mut query = QueryBuilder::<Db>::new("SELECT ");
        query.push(COLUMNS.join(", ")).push(" FROM papers WHERE id > ");
        query.push_bind(after.map_or("", ArxivId::as_str));
        query.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
        let rows: Vec<PaperRow> = query.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(PaperRow::into_paper).collect()
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        let totals = sqlx::query(
            "SELECT COUNT(*) AS papers, COUNT(imported_votes) AS with_votes, \
             COALESCE(SUM(CASE WHEN code_link_count > 0 THEN 1 ELSE 0 END), 0) AS with_code FROM papers",
        )
        .fetch_one(&self.pool)
        .await?;
        let by_category = sqlx::query(
            "SELECT COALESCE(primary_category, '') AS category, COUNT(*) AS papers FROM papers \
             GROUP BY primary_category ORDER BY papers DESC, category",
        )
        .fetch_all(&self.pool)
        .await?;
        let range = sqlx::query("SELECT MIN(listing_date) AS first, MAX(listing_date) AS last FROM paper_listings")
            .fetch_one(&self.pool)
            .await?;
        let date = |text: Option<String>| text.and_then(|text| text.parse::<Date>().ok());
        Ok(StoreStats {
            papers: totals.try_get::<i64, _>("papers")? as u64,
            by_primary_category: by_category
                .iter()
                .map(|row| {
                    Ok((
                        row.try_get::<String, _>("category")?,
                        row.try_get::<i64, _>("papers")? as u64,
                    ))
                })
                .collect::<Result<_, sqlx::Error>>()?,
            first_listing_date: date(range.try_get("first")?),
            last_listing_date: date(range.try_get("last")?),
            papers_with_votes: totals.try_get::<i64, _>("with_votes")? as u64,
            papers_with_code: totals.try_get::<i64, _>("with_code")? as u64,
        })
    }

    async fn paper_totals(&self) -> Result<PaperTotals, StoreError> {
        let row = sqlx::query("SELECT papers, with_votes FROM paper_totals WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(PaperTotals {
            papers: row.try_get::<i64, _>("papers")? as u64,
            with_votes: row.try_get::<i64, _>("with_votes")? as u64,
        })
    }

    async fn listing_candidates(
        &self,
        first: Date,
        last: Date,
        category: Option<&Category>,
    ) -> Result<Vec<RankCandidate>, StoreError> {
        self.candidates(first, last, category, DayBasis::Listing).await
    }

    async fn daily_papers_candidates(
        &self,
        first: Date,
        last: Date,
        category: Option<&Category>,
    ) -> Result<Vec<RankCandidate>, StoreError> {
        self.candidates(first, last, category, DayBasis::HuggingFaceDaily).await
    }

    async fn papers_by_ids(&self, ids: &[ArxivId]) -> Result<Vec<Paper>, StoreError> {
        let mut connection = self.pool.acquire().await?;
        let texts: Vec<&str> = ids.iter().map(ArxivId::as_str).collect();
        let mut found: std::collections::HashMap<ArxivId, Paper> = Self::load_papers(&mut connection, &texts)
            .await?
            .into_iter()
            .map(|paper| (paper.id.clone(), paper))
            .collect();
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn listing_days_around(&self, first: Date, last: Date) -> Result<(Option<Date>, Option<Date>), StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT MAX(d) FROM (SELECT MAX(listing_date) AS d FROM paper_listings WHERE listing_date < $1 \
                    UNION ALL SELECT MAX(listing_date) FROM submissions WHERE listing_date < $1 AND NOT hidden AND user_id NOT IN (SELECT id FROM users WHERE role = 'banned')) AS days) AS previous, \
                    (SELECT MIN(d) FROM (SELECT MIN(listing_date) AS d FROM paper_listings WHERE listing_date > $2 \
                    UNION ALL SELECT MIN(listing_date) FROM submissions WHERE listing_date > $2 AND NOT hidden AND user_id NOT IN (SELECT id FROM users WHERE role = 'banned')) AS days) AS next",
        )
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_one(&self.pool)
        .await?;
        let date = |text: Option<String>| text.and_then(|text| text.parse::<Date>().ok());
        Ok((date(row.try_get("previous")?), date(row.try_get("next")?)))
    }

    async fn latest_listing_day(&self) -> Result<Option<Date>, StoreError> {
        let latest: Option<String> = sqlx::query_scalar("SELECT MAX(listing_date) FROM paper_listings")
            .fetch_one(&self.pool)
            .await?;
        Ok(latest.and_then(|text| text.parse().ok()))
    }

    async fn content_version(&self) -> Result<ContentVersion, StoreError> {
        let row = sqlx::query("SELECT version, changed_at FROM content_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(ContentVersion {
            version: row.try_get("version")?,
            changed_at: row.try_get("changed_at")?,
        })
    }

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

    async fn take_rate_limit(&self, bucket: &str, window_start: i64, limit: u32) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let hits: i64 = sqlx::query_scalar(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
        )
        .bind(bucket)
        .bind(window_start)
        .fetch_one(&mut *transaction)
        .await?;
        // Old windows are useless; dropping them here keeps the table small without a sweeper.
        sqlx::query("DELETE FROM rate_limits WHERE bucket = $1 AND window_start < $2")
            .bind(bucket)
            .bind(window_start)
            .execute(&mut *transaction)
            .await?;
        if hits == 1 {
            // A new window: also every bucket's windows that ended long ago, for the buckets of
            // clients that never come back. No window is longer than a day.
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(window_start - RATE_LIMIT_ROWS_KEPT_SECONDS)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(hits <= i64::from(limit))
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

    async fn request_subscription(
        &self,
        email: &str,
        preferences: &DigestPreferences,
        token_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<SubscribeRequest, StoreError> {
        digests::request_subscription(&self.pool, email, preferences, token_hash, expires_at, now).await
    }

    async fn confirm_subscription(&self, token_hash: &str, now: i64) -> Result<Option<Subscription>, StoreError> {
        digests::confirm_subscription(&self.pool, token_hash, now).await
    }

    async fn subscribe_confirmed(
        &self,
        email: &str,
        preferences: &DigestPreferences,
        now: i64,
    ) -> Result<Subscription, StoreError> {
        digests::subscribe_confirmed(&self.pool, email, preferences, now).await
    }

    async fn subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError> {
        digests::subscription(&self.pool, id).await
    }

    async fn subscription_by_email(&self, email: &str) -> Result<Option<Subscription>, StoreError> {
        digests::subscription_by_email(&self.pool, email).await
    }

    async fn update_subscription(
        &self,
        id: i64,
        preferences: &DigestPreferences,
        now: i64,
    ) -> Result<bool, StoreError> {
        digests::update_subscription(&self.pool, id, preferences, now).await
    }

    async fn unsubscribe(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        digests::unsubscribe(&self.pool, id, now).await
    }

    async fn active_subscriptions(
        &self,
        frequency: Frequency,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Subscription>, StoreError> {
        digests::active_subscriptions(&self.pool, frequency, after, limit).await
    }

    async fn papers_already_sent(
        &self,
        subscriptions: &[i64],
        papers: &[ArxivId],
    ) -> Result<Vec<(i64, ArxivId)>, StoreError> {
        digests::papers_already_sent(&self.pool, subscriptions, papers).await
    }

    async fn enqueue_deliveries(&self, period: &str, deliveries: &[NewDelivery], now: i64) -> Result<u64, StoreError> {
        digests::enqueue_deliveries(&self.pool, period, deliveries, now).await
    }

    async fn record_digest_run(
        &self,
        period: &str,
        frequency: Frequency,
        deliveries: u64,
        now: i64,
    ) -> Result<bool, StoreError> {
        digests::record_digest_run(&self.pool, period, frequency, deliveries, now).await
    }

    async fn digest_run_exists(&self, period: &str) -> Result<bool, StoreError> {
        digests::digest_run_exists(&self.pool, period).await
    }

    async fn claim_deliveries(
        &self,
        now: i64,
        lease_seconds: i64,
        limit: u32,
        claim: &str,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        digests::claim_deliveries(&self.pool, now, lease_seconds, limit, claim).await
    }

    async fn hand_over_delivery(&self, id: i64, claim: &str) -> Result<bool, StoreError> {
        digests::hand_over_delivery(&self.pool, id, claim).await
    }

    async fn unconfirmed_hand_overs(&self, now: i64) -> Result<Vec<(i64, String)>, StoreError> {
        digests::unconfirmed_hand_overs(&self.pool, now).await
    }

    async fn resolve_hand_over(
        &self,
        id: i64,
        claim: &str,
        reached_server: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        digests::resolve_hand_over(&self.pool, id, claim, reached_server, now).await
    }

    async fn finish_deliveries(&self, outcomes: &[(i64, DeliveryOutcome)], now: i64) -> Result<(), StoreError> {
        digests::finish_deliveries(&self.pool, outcomes, now).await
    }

    async fn delivery_counts(&self, period: Option<&str>) -> Result<DeliveryCounts, StoreError> {
        digests::delivery_counts(&self.pool, period).await
    }

    async fn next_delivery_due(&self) -> Result<Option<i64>, StoreError> {
        digests::next_delivery_due(&self.pool).await
    }

    async fn instance_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        digests::instance_secret(&self.pool, name, fresh).await
    }

    async fn search_log_bounds(&self) -> Result<SearchLogBounds, StoreError> {
        search::search_log_bounds(&self.pool).await
    }

    async fn search_changes_after(&self, position: i64, limit: u32) -> Result<Vec<SearchChange>, StoreError> {
        search::search_changes_after(&self.pool, position, limit).await
    }

    async fn prune_search_log(&self, before: i64) -> Result<u64, StoreError> {
        search::prune_search_log(&self.pool, before).await
    }

    async fn search_documents(&self, ids: &[String]) -> Result<Vec<SearchDocument>, StoreError> {
        search::search_documents(&self.pool, ids).await
    }

    async fn search_documents_after(&self, after: Option<&str>, limit: u32) -> Result<Vec<SearchDocument>, StoreError> {
        search::search_documents_after(&self.pool, after, limit).await
    }

    async fn texts_to_embed(&self, model: &str, limit: u32) -> Result<Vec<TextToEmbed>, StoreError> {
        search::texts_to_embed(&self.pool, model, limit).await
    }

    async fn save_embeddings(
        &self,
        model: &str,
        embeddings: &[(String, Vec<f32>)],
        now: i64,
    ) -> Result<(), StoreError> {
        search::save_embeddings(&self.pool, model, embeddings, now).await
    }

    async fn embeddings_after(
        &self,
        model: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredEmbedding>, StoreError> {
        search::embeddings_after(&self.pool, model, after_seq, limit).await
    }

    async fn embedding_coverage(&self, model: &str) -> Result<(u64, u64), StoreError> {
        search::embedding_coverage(&self.pool, model).await
    }

    async fn harvest_checkpoint(&self, name: &str) -> Result<Option<HarvestCheckpoint>, StoreError> {
        harvest::checkpoint(&self.pool, name).await
    }

    async fn merge_harvested(
        &self,
        records: Vec<Paper>,
        checkpoint: &HarvestCheckpoint,
    ) -> Result<MergeSummary, StoreError> {
        let records = fold_duplicates(records);
        let mut transaction = write_transaction(&self.pool).await?;
        let summary = merge_in(&mut transaction, records).await?;
        harvest::save_checkpoint(&mut transaction, checkpoint).await?;
        transaction.commit().await?;
        Ok(summary)
    }

    async fn delete_harvest_checkpoint(&self, name: &str) -> Result<(), StoreError> {
        harvest::delete_checkpoint(&self.pool, name).await
    }

    async fn record_harvest_run(&self, run: &HarvestRun) -> Result<(), StoreError> {
        harvest::record_run(&self.pool, run).await
    }

    async fn harvest_runs(&self, limit: u32) -> Result<Vec<HarvestRun>, StoreError> {
        harvest::runs(&self.pool, limit).await
    }

    async fn last_successful_harvest(&self) -> Result<Option<i64>, StoreError> {
        harvest::last_success(&self.pool).await
    }

    async fn repos_to_check(
        &self,
        since: Date,
        checked_before: i64,
        limit: u32,
    ) -> Result<Vec<RepoToCheck>, StoreError> {
        harvest::repos_to_check(&self.pool, since, checked_before, limit).await
    }

    async fn record_repo_reading(
        &self,
        url: &str,
        reading: &RepoReading,
        now: i64,
        day: Date,
    ) -> Result<(), StoreError> {
        harvest::record_repo_reading(&self.pool, url, reading, now, day).await
    }

    async fn star_counts(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, StarCount)>, StoreError> {
        harvest::star_counts(&self.pool, papers).await
    }

    async fn take_lease(&self, name: &str, holder: &str, now: i64, duration: i64) -> Result<bool, StoreError> {
        // One statement: the row's lock decides between two processes asking at once.
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now + duration)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(taken.is_some())
    }

    async fn lease_holder(&self, name: &str, now: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT holder FROM leases WHERE name = $1 AND expires_at > $2")
                .bind(name)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn probe_write(&self, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO write_probe (id, probed_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// Merges records into what the transaction sees (see [`Store::merge_papers`]).
async fn merge_in(connection: &mut Connection, records: Vec<Paper>) -> Result<MergeSummary, StoreError> {
    let ids: Vec<&str> = records.iter().map(|paper| paper.id.as_str()).collect();
    let mut held: std::collections::HashMap<ArxivId, Paper> = Backend::load_papers(&mut *connection, &ids)
        .await?
        .into_iter()
        .map(|paper| (paper.id.clone(), paper))
        .collect();
    let mut summary = MergeSummary::default();
    let mut changed: Vec<(Paper, bool)> = Vec::new();
    for record in records {
        match held.remove(&record.id) {
            Some(mut paper) => {
                if paper.merge(record) {
                    summary.updated += 1;
                    changed.push((paper, false));
                } else {
                    summary.unchanged += 1;
                }
            }
            None => {
                // Merging into an empty paper applies the same rules (dedupe, primary first).
                let mut paper = Paper::new(record.id.clone());
                paper.merge(record);
                summary.new += 1;
                changed.push((paper, true));
            }
        }
    }
    if !changed.is_empty() {
        write_papers(&mut *connection, &changed).await?;
        bump_content_version(&mut *connection).await?;
    }
    Ok(summary)
}

/// Writes merged papers and rebuilds their index rows; `true` marks papers that are new.
async fn write_papers(connection: &mut Connection, papers: &[(Paper, bool)]) -> Result<(), StoreError> {
    if papers.is_empty() {
        return Ok(());
    }
    let now = jiff::Timestamp::now().as_second();
    let rows: Vec<PaperRow> = papers.iter().map(|(paper, _)| PaperRow::from_paper(paper)).collect();
    let per_row = COLUMNS.len() + 2;
    for chunk in rows.chunks(MAX_BINDS / per_row) {
        let mut query = QueryBuilder::<Db>::new("INSERT INTO papers (");
        query.push(COLUMNS.join(", ")).push(", created_at, updated_at) ");
        query.push_values(chunk, |mut values, row| {
            values
                .push_bind(&row.id)
                .push_bind(row.latest_version)
                .push_bind(&row.title)
                .push_bind(&row.abstract_text)
                .push_bind(&row.authors)
                .push_bind(&row.primary_category)
                .push_bind(&row.categories)
                .push_bind(&row.comment)
                .push_bind(&row.journal_ref)
                .push_bind(&row.doi)
                .push_bind(&row.license)
                .push_bind(&row.first_version_date)
                .push_bind(&row.latest_version_date)
                .push_bind(&row.listing_dates)
                .push_bind(&row.first_listed)
                .push_bind(&row.code_links)
                .push_bind(row.code_link_count)
                .push_bind(&row.community_votes)
                .push_bind(row.imported_votes)
                .push_bind(&row.hugging_face)
                .push_bind(&row.hf_daily_date)
                .push_bind(now)
                .push_bind(now);
        });
        query.push(" ON CONFLICT (id) DO UPDATE SET ");
        let updates: Vec<String> = COLUMNS[1..]
            .iter()
            .map(|column| format!("{column} = excluded.{column}"))
            .collect();
        query
            .push(updates.join(", "))
            .push(", updated_at = excluded.updated_at");
        query.build().execute(&mut *connection).await?;
    }

    // Index rows: drop those of updated papers, then insert everyone's afresh.
    let updated: Vec<&str> = papers
        .iter()
        .filter(|(_, new)| !new)
        .map(|(paper, _)| paper.id.as_str())
        .collect();
    for chunk in updated.chunks(MAX_BINDS) {
        for table in ["paper_listings", "paper_categories"] {
            let mut query = QueryBuilder::<Db>::new(format!("DELETE FROM {table} WHERE paper_id IN ("));
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(*id);
            }
            query.push(")");
            query.build().execute(&mut *connection).await?;
        }
    }
    let listings: Vec<(String, &str)> = papers
        .iter()
        .flat_map(|(paper, _)| {
            paper
                .listing_dates
                .iter()
                .map(|date| (date.to_string(), paper.id.as_str()))
        })
        .collect();
    for chunk in listings.chunks(MAX_BINDS / 2) {
        let mut query = QueryBuilder::<Db>::new("INSERT INTO paper_listings (listing_date, paper_id) ");
        query.push_values(chunk, |mut values, (date, id)| {
            values.push_bind(date).push_bind(*id);
        });
        query.build().execute(&mut *connection).await?;
    }
    let categories: Vec<(&str, &str, bool)> = papers
        .iter()
        .flat_map(|(paper, _)| {
            paper.categories.iter().map(|category| {
                let primary = paper.primary_category.as_ref() == Some(category);
                (category.as_str(), paper.id.as_str(), primary)
            })
        })
        .collect();
    for chunk in categories.chunks(MAX_BINDS / 3) {
        let mut query = QueryBuilder::<Db>::new("INSERT INTO paper_categories (category, paper_id, is_primary) ");
        query.push_values(chunk, |mut values, (category, id, primary)| {
            values.push_bind(*category).push_bind(*id).push_bind(*primary);
        });
        query.build().execute(&mut *connection).await?;
    }
    Ok(())
}

async fn bump_content_version(connection: &mut Connection) -> Result<(), StoreError> {
    sqlx::query("UPDATE content_version SET version = version + 1, changed_at = $1 WHERE id = 1")
        .bind(jiff::Timestamp::now().as_second())
        .execute(&mut *connection)
        .await?;
    Ok(())
}

fn user_row(row: DbRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&row.try_get::<String, _>("role")?),
        created_at: row.try_get("created_at")?,
        profile_id: row.try_get("profile_id")?,
    })
}
