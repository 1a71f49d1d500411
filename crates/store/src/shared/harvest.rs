// Harvest positions, the log of harvest runs and GitHub star counts.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::{ArxivId, Date, Paper};
use std::sync::LazyLock;

use sqlx::{QueryBuilder, Row};

use super::dialect::{Backend, CODE_LINKS, Connection, Db, MAX_BINDS, write_transaction};
use super::papers::merge_in;
use crate::{
    HarvestCheckpoint, HarvestRun, HarvestStore, MergeSummary, RepoReading, RepoToCheck, StarCount, StoreError,
    fold_duplicates,
};

/// Growth is measured over this many days of counts.
const GROWTH_DAYS: i64 = 7;

/// GitHub repositories linked from papers listed since `$1`, never read or read before `$2`.
static REPOS_TO_CHECK: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT DISTINCT (j.value->>'url') AS url, r.etag AS etag, COALESCE(r.checked_at, 0) AS checked \
         FROM paper_listings l \
         JOIN papers p ON p.id = l.paper_id AND p.code_link_count > 0 AND NOT p.hidden \
         CROSS JOIN {CODE_LINKS} j \
         LEFT JOIN repo_stars r ON r.url = (j.value->>'url') \
         WHERE l.listing_date >= $1 AND (j.value->>'host') = 'github' \
           AND (r.url IS NULL OR (r.checked_at < $2 AND r.gone = FALSE)) \
         ORDER BY checked, url LIMIT $3"
    )
});

/// The start of the query for the star counts of some papers; their ids follow.
static STAR_COUNTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT p.id AS id, MAX(r.stars) AS stars, MAX(r.growth) AS growth FROM papers p \
         CROSS JOIN {CODE_LINKS} j \
         JOIN repo_stars r ON r.url = (j.value->>'url') AND r.gone = FALSE WHERE p.id IN ("
    )
});

pub async fn save_checkpoint(connection: &mut Connection, checkpoint: &HarvestCheckpoint) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO harvest_checkpoints (name, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(&checkpoint.name)
    .bind(&checkpoint.value)
    .bind(checkpoint.updated_at)
    .execute(connection)
    .await?;
    Ok(())
}

#[async_trait]
impl HarvestStore for Backend {
    async fn harvest_checkpoint(&self, name: &str) -> Result<Option<HarvestCheckpoint>, StoreError> {
        let pool = &self.pool;
        let row = sqlx::query("SELECT name, value, updated_at FROM harvest_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?;
        row.map(|row| {
            Ok(HarvestCheckpoint {
                name: row.try_get("name")?,
                value: row.try_get("value")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    async fn merge_harvested(
        &self,
        records: Vec<Paper>,
        checkpoint: &HarvestCheckpoint,
    ) -> Result<MergeSummary, StoreError> {
        let records = fold_duplicates(records);
        let mut transaction = write_transaction(&self.pool).await?;
        let summary = merge_in(&mut transaction, records).await?;
        save_checkpoint(&mut transaction, checkpoint).await?;
        transaction.commit().await?;
        Ok(summary)
    }

    async fn delete_harvest_checkpoint(&self, name: &str) -> Result<(), StoreError> {
        let pool = &self.pool;
        sqlx::query("DELETE FROM harvest_checkpoints WHERE name = $1")
            .bind(name)
            .execute(pool)
            .await?;
        Ok(())
    }

    async fn record_harvest_run(&self, run: &HarvestRun) -> Result<(), StoreError> {
        let pool = &self.pool;
        sqlx::query(
            "INSERT INTO harvest_runs (kind, started_at, finished_at, succeeded, requests, papers_new, \
             papers_updated, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&run.kind)
        .bind(run.started_at)
        .bind(run.finished_at)
        .bind(run.succeeded)
        .bind(i64::from(run.requests))
        .bind(run.papers_new as i64)
        .bind(run.papers_updated as i64)
        .bind(&run.message)
        .execute(pool)
        .await?;
        Ok(())
    }

    async fn harvest_runs(&self, limit: u32) -> Result<Vec<HarvestRun>, StoreError> {
        let pool = &self.pool;
        let rows = sqlx::query(
            "SELECT kind, started_at, finished_at, succeeded, requests, papers_new, papers_updated, message \
             FROM harvest_runs ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(HarvestRun {
                    kind: row.try_get("kind")?,
                    started_at: row.try_get("started_at")?,
                    finished_at: row.try_get("finished_at")?,
                    succeeded: row.try_get("succeeded")?,
                    requests: row.try_get::<i64, _>("requests")? as u32,
                    papers_new: row.try_get::<i64, _>("papers_new")? as u64,
                    papers_updated: row.try_get::<i64, _>("papers_updated")? as u64,
                    message: row.try_get("message")?,
                })
            })
            .collect()
    }

    async fn last_successful_harvest(&self) -> Result<Option<i64>, StoreError> {
        let pool = &self.pool;
        let row = sqlx::query("SELECT MAX(finished_at) AS last FROM harvest_runs WHERE succeeded")
            .fetch_one(pool)
            .await?;
        Ok(row.try_get("last")?)
    }

    async fn repos_to_check(
        &self,
        since: Date,
        checked_before: i64,
        limit: u32,
    ) -> Result<Vec<RepoToCheck>, StoreError> {
        let pool = &self.pool;
        let rows = sqlx::query(REPOS_TO_CHECK.as_str())
            .bind(since.to_string())
            .bind(checked_before)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(RepoToCheck {
                    url: row.try_get("url")?,
                    etag: row.try_get("etag")?,
                })
            })
            .collect()
    }

    async fn record_repo_reading(
        &self,
        url: &str,
        reading: &RepoReading,
        now: i64,
        day: Date,
    ) -> Result<(), StoreError> {
        let pool = &self.pool;
        let mut transaction = write_transaction(pool).await?;
        match reading {
            RepoReading::Counted { stars, etag } => {
                sqlx::query(
                    "INSERT INTO repo_stars (url, stars, growth, etag, checked_at, gone) VALUES ($1, $2, 0, $3, $4, FALSE) \
                     ON CONFLICT (url) DO UPDATE SET stars = excluded.stars, etag = excluded.etag, \
                     checked_at = excluded.checked_at, gone = FALSE",
                )
                .bind(url)
                .bind(stars)
                .bind(etag)
                .bind(now)
                .execute(&mut *transaction)
                .await?;
            }
            RepoReading::Unchanged => {
                sqlx::query("UPDATE repo_stars SET checked_at = $1 WHERE url = $2")
                    .bind(now)
                    .bind(url)
                    .execute(&mut *transaction)
                    .await?;
            }
            RepoReading::Gone => {
                sqlx::query(
                    "INSERT INTO repo_stars (url, stars, growth, etag, checked_at, gone) VALUES ($1, 0, 0, NULL, $2, TRUE) \
                     ON CONFLICT (url) DO UPDATE SET growth = 0, checked_at = excluded.checked_at, gone = TRUE",
                )
                .bind(url)
                .bind(now)
                .execute(&mut *transaction)
                .await?;
                transaction.commit().await?;
                return Ok(());
            }
        }
        // Today's count (a 304 repeats the held one), then the growth over the week's counts.
        sqlx::query(
            "INSERT INTO repo_star_counts (url, day, stars) SELECT url, $1, stars FROM repo_stars WHERE url = $2 \
             ON CONFLICT (url, day) DO UPDATE SET stars = excluded.stars",
        )
        .bind(day.to_string())
        .bind(url)
        .execute(&mut *transaction)
        .await?;
        let window_start = day.checked_sub(jiff::Span::new().days(GROWTH_DAYS)).unwrap_or(day);
        sqlx::query(
            "UPDATE repo_stars SET growth = stars - COALESCE((SELECT c.stars FROM repo_star_counts c \
             WHERE c.url = repo_stars.url AND c.day >= $1 ORDER BY c.day LIMIT 1), stars) WHERE url = $2",
        )
        .bind(window_start.to_string())
        .bind(url)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn star_counts(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, StarCount)>, StoreError> {
        let pool = &self.pool;
        let mut counts = Vec::new();
        for chunk in papers.chunks(MAX_BINDS) {
            let mut query = QueryBuilder::<Db>::new(STAR_COUNTS.as_str());
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(id.as_str());
            }
            query.push(") GROUP BY p.id");
            for row in query.build().fetch_all(pool).await? {
                let id: String = row.try_get("id")?;
                let id = ArxivId::parse(&id).map_err(|error| StoreError::CorruptRow {
                    id: id.clone(),
                    reason: error.to_string(),
                })?;
                counts.push((
                    id,
                    StarCount {
                        stars: row.try_get("stars")?,
                        growth: row.try_get("growth")?,
                    },
                ));
            }
        }
        Ok(counts)
    }
}
