//! Moving an instance from its SQLite file to PostgreSQL (`paperboy copy-db --to postgres://…`).
//!
//! Table by table, in the order foreign keys need, rows go over in batches in SQLite's rowid
//! order. Each batch is inserted in one PostgreSQL transaction together with how far that table
//! has come (`copy_progress`), so a copy killed at any moment resumes after the last batch that
//! committed, and nothing is copied twice. At the end every table's rows are counted on both
//! sides. The search change log is not copied: each replica's index rebuilds from the papers.

use sqlx::{QueryBuilder, Row, ValueRef};

use crate::{PgStore, SqliteStore, StoreError};

/// The tables copied, parents before children.
pub const TABLES: &[&str] = &[
    "papers",
    "paper_listings",
    "paper_categories",
    "users",
    "login_tokens",
    "sessions",
    "votes",
    "rate_limits",
    "submissions",
    "api_tokens",
    "subscriptions",
    "digest_deliveries",
    "digest_papers",
    "digest_runs",
    "instance_secrets",
    "paper_embeddings",
    "harvest_checkpoints",
    "harvest_runs",
    "repo_stars",
    "repo_star_counts",
    "collections",
    "collection_papers",
    "paper_notes",
    "follows",
    "comments",
    "comment_votes",
    "comment_reports",
    "moderation_log",
    "comment_mails",
    "comment_mail_items",
];

/// Tables with an identity column whose sequence must continue after the copied ids.
const IDENTITIES: &[&str] = &[
    "users",
    "api_tokens",
    "subscriptions",
    "digest_deliveries",
    "harvest_runs",
    "collections",
    "comments",
    "comment_reports",
    "moderation_log",
    "comment_mails",
];

const BATCH_ROWS: i64 = 1000;

/// One table's rows on both sides after the copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub sqlite: i64,
    pub postgres: i64,
}

/// A value read from SQLite, typed by its column's declared type.
enum Value {
    Null,
    Integer(i64),
    Boolean(bool),
    Text(String),
    Blob(Vec<u8>),
}

/// Copies every table of `from` into `to` (whose schema is current), reporting each batch to
/// `progress` as (table, rows copied so far), and answers the counts of both sides.
pub async fn copy_database(
    from: &SqliteStore,
    to: &PgStore,
    progress: &mut dyn FnMut(&str, i64),
) -> Result<Vec<TableCount>, StoreError> {
    let source = from.pool();
    let target = to.pool();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS copy_progress (table_name TEXT PRIMARY KEY, last_rowid BIGINT NOT NULL, \
         copied BIGINT NOT NULL)",
    )
    .execute(target)
    .await?;
    for &table in TABLES {
        let (types, names) = column_types(source, table).await?;
        // SQLite keeps some flags as integers where PostgreSQL has booleans.
        let boolean_targets: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::TEXT FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND data_type = 'boolean'",
        )
        .bind(table)
        .fetch_all(target)
        .await?;
        let to_boolean: Vec<bool> = names.iter().map(|name| boolean_targets.contains(name)).collect();
        let mut position: (i64, i64) =
            sqlx::query_as("SELECT last_rowid, copied FROM copy_progress WHERE table_name = $1")
                .bind(table)
                .fetch_optional(target)
                .await?
                .unwrap_or((0, 0));
        loop {
            let select = format!(
                "SELECT rowid AS copy_rowid, {} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                names.join(", ")
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(select))
                .bind(position.0)
                .bind(BATCH_ROWS)
                .fetch_all(source)
                .await?;
            let Some(last) = rows.last() else { break };
            let last_rowid: i64 = last.try_get("copy_rowid")?;
            let mut values = Vec::with_capacity(rows.len());
            for row in &rows {
                values.push(read_row(row, &types)?);
            }
            let mut transaction = target.begin().await?;
            let mut insert =
                QueryBuilder::<sqlx::Postgres>::new(format!("INSERT INTO {table} ({}) ", names.join(", ")));
            insert.push_values(values, |mut builder, row| {
                for (value, to_boolean) in row.into_iter().zip(&to_boolean) {
                    match value {
                        Value::Null => builder.push("NULL"),
                        Value::Integer(number) if *to_boolean => builder.push_bind(number != 0),
                        Value::Integer(number) => builder.push_bind(number),
                        Value::Boolean(flag) => builder.push_bind(flag),
                        Value::Text(text) => builder.push_bind(text),
                        Value::Blob(bytes) => builder.push_bind(bytes),
                    };
                }
            });
            insert.push(" ON CONFLICT DO NOTHING");
            insert.build().execute(&mut *transaction).await?;
            position = (last_rowid, position.1 + rows.len() as i64);
            sqlx::query(
                "INSERT INTO copy_progress (table_name, last_rowid, copied) VALUES ($1, $2, $3) \
                 ON CONFLICT (table_name) DO UPDATE SET last_rowid = excluded.last_rowid, copied = excluded.copied",
            )
            .bind(table)
            .bind(position.0)
            .bind(position.1)
            .execute(&mut *transaction)
            .await?;
            transaction.commit().await?;
            progress(table, position.1);
        }
    }
    finish(target).await?;
    let mut counts = Vec::new();
    for &table in TABLES {
        let count = format!("SELECT COUNT(*) FROM {table}");
        let sqlite: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone()))
            .fetch_one(source)
            .await?;
        let postgres: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).fetch_one(target).await?;
        counts.push(TableCount {
            table,
            sqlite,
            postgres,
        });
    }
    Ok(counts)
}

/// Identity sequences continue after the copied ids, the logs after the copied numbers, and
/// pages see a new content version.
async fn finish(target: &sqlx::PgPool) -> Result<(), StoreError> {
    for table in IDENTITIES {
        let reset = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
        );
        sqlx::query(sqlx::AssertSqlSafe(reset)).execute(target).await?;
    }
    sqlx::query(
        "UPDATE log_counters SET value = GREATEST(value, (SELECT COALESCE(MAX(seq), 0) FROM paper_embeddings)) \
         WHERE name = 'paper_embeddings'",
    )
    .execute(target)
    .await?;
    sqlx::query(
        "UPDATE content_version SET version = version + 1, changed_at = EXTRACT(EPOCH FROM now())::BIGINT WHERE id = 1",
    )
    .execute(target)
    .await?;
    Ok(())
}

/// The declared types and names of a SQLite table's columns.
async fn column_types(source: &sqlx::SqlitePool, table: &str) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let info = format!("SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid");
    let rows = sqlx::query(sqlx::AssertSqlSafe(info)).fetch_all(source).await?;
    let mut types = Vec::new();
    let mut names = Vec::new();
    for row in rows {
        names.push(row.try_get::<String, _>("name")?);
        types.push(row.try_get::<String, _>("type")?.to_ascii_uppercase());
    }
    Ok((types, names))
}

/// A row's values (after the rowid), each read as its column's declared type says.
fn read_row(row: &sqlx::sqlite::SqliteRow, types: &[String]) -> Result<Vec<Value>, StoreError> {
    let mut values = Vec::with_capacity(types.len());
    for (index, declared) in types.iter().enumerate() {
        let column = index + 1;
        if row.try_get_raw(column)?.is_null() {
            values.push(Value::Null);
            continue;
        }
        let value = match declared.as_str() {
            "INTEGER" | "BIGINT" => Value::Integer(row.try_get(column)?),
            "BOOLEAN" => Value::Boolean(row.try_get(column)?),
            "BLOB" => Value::Blob(row.try_get(column)?),
            _ => Value::Text(row.try_get(column)?),
        };
        values.push(value);
    }
    Ok(values)
}
