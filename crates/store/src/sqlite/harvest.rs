//! Harvest positions and the log of harvest runs on SQLite.

use sqlx::{Row, SqlitePool};

use crate::{HarvestCheckpoint, HarvestRun, StoreError};

pub async fn checkpoint(pool: &SqlitePool, name: &str) -> Result<Option<HarvestCheckpoint>, StoreError> {
    let row = sqlx::query("SELECT name, value, updated_at FROM harvest_checkpoints WHERE name = ?")
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

pub async fn save_checkpoint(
    connection: &mut sqlx::SqliteConnection,
    checkpoint: &HarvestCheckpoint,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO harvest_checkpoints (name, value, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(&checkpoint.name)
    .bind(&checkpoint.value)
    .bind(checkpoint.updated_at)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn delete_checkpoint(pool: &SqlitePool, name: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM harvest_checkpoints WHERE name = ?")
        .bind(name)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn record_run(pool: &SqlitePool, run: &HarvestRun) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO harvest_runs (kind, started_at, finished_at, succeeded, requests, papers_new, \
         papers_updated, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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

pub async fn runs(pool: &SqlitePool, limit: u32) -> Result<Vec<HarvestRun>, StoreError> {
    let rows = sqlx::query(
        "SELECT kind, started_at, finished_at, succeeded, requests, papers_new, papers_updated, message \
         FROM harvest_runs ORDER BY id DESC LIMIT ?",
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

pub async fn last_success(pool: &SqlitePool) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT MAX(finished_at) AS last FROM harvest_runs WHERE succeeded = 1")
        .fetch_one(pool)
        .await?;
    Ok(row.try_get("last")?)
}
