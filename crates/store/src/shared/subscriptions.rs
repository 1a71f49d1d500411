// Digest subscriptions: asking, confirming, changing and ending them.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::{Category, DigestPreferences, Frequency};
use sqlx::{AssertSqlSafe, Row};

use super::dialect::{Backend, Connection, Db, DbRow, write_transaction};
use crate::{StoreError, SubscribeRequest, Subscription, SubscriptionStatus, SubscriptionStore};

pub(super) const SUBSCRIPTION_COLUMNS: &str =
    "id, email, status, frequency, categories, keywords, max_papers, for_you, created_at";

pub(super) fn subscription_row(row: &DbRow) -> Result<Subscription, StoreError> {
    let id: i64 = row.try_get("id")?;
    let corrupt = |reason: String| StoreError::CorruptRow {
        id: format!("subscription {id}"),
        reason,
    };
    let status: String = row.try_get("status")?;
    let frequency: String = row.try_get("frequency")?;
    let categories: String = row.try_get("categories")?;
    let keywords: String = row.try_get("keywords")?;
    let max_papers: i64 = row.try_get("max_papers")?;
    Ok(Subscription {
        id,
        email: row.try_get("email")?,
        status: SubscriptionStatus::parse(&status).ok_or_else(|| corrupt(format!("unknown status {status:?}")))?,
        preferences: DigestPreferences {
            frequency: Frequency::parse(&frequency).map_err(|error| corrupt(error.to_string()))?,
            categories: categories
                .split_whitespace()
                .map(Category::parse)
                .collect::<Result<_, _>>()
                .map_err(|error| corrupt(error.to_string()))?,
            keywords: serde_json::from_str(&keywords).map_err(|error| corrupt(error.to_string()))?,
            max_papers: u32::try_from(max_papers).map_err(|error| corrupt(error.to_string()))?,
            for_you: row.try_get("for_you")?,
        },
        created_at: row.try_get("created_at")?,
    })
}

fn categories_column(preferences: &DigestPreferences) -> String {
    preferences
        .categories
        .iter()
        .map(Category::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn keywords_column(preferences: &DigestPreferences) -> String {
    serde_json::Value::from(preferences.keywords.clone()).to_string()
}

type DbQuery<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;

/// Binds the five preference columns, in table order: frequency, categories, keywords,
/// max_papers, for_you.
fn bind_preferences<'q>(query: DbQuery<'q>, preferences: &DigestPreferences) -> DbQuery<'q> {
    query
        .bind(preferences.frequency.as_str())
        .bind(categories_column(preferences))
        .bind(keywords_column(preferences))
        .bind(i64::from(preferences.max_papers))
        .bind(preferences.for_you)
}

async fn subscription_where(
    connection: &mut Connection,
    column: &'static str,
    value: &str,
) -> Result<Option<Subscription>, StoreError> {
    // Only constants are formatted in; the value is bound (as text, cast to the column's type).
    let column_type = if column == "id" { "BIGINT" } else { "TEXT" };
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE {column} = CAST($1 AS {column_type})"
    )))
    .bind(value)
    .fetch_optional(&mut *connection)
    .await?;
    row.as_ref().map(subscription_row).transpose()
}

/// The subscription an upsert in this transaction has just written.
async fn just_written(connection: &mut Connection, key: &str) -> Result<Subscription, StoreError> {
    subscription_where(connection, "email_key", key)
        .await?
        .ok_or_else(|| StoreError::CorruptRow {
            id: key.to_owned(),
            reason: "subscription vanished while being written".to_owned(),
        })
}

#[async_trait]
impl SubscriptionStore for Backend {
    async fn request_subscription(
        &self,
        email: &str,
        preferences: &DigestPreferences,
        token_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<SubscribeRequest, StoreError> {
        let pool = &self.pool;
        let mut transaction = write_transaction(pool).await?;
        let key = email.to_lowercase();
        if let Some(existing) = subscription_where(&mut transaction, "email_key", &key).await?
            && existing.status == SubscriptionStatus::Active
        {
            transaction.commit().await?;
            return Ok(SubscribeRequest::AlreadyActive(existing));
        }
        let upsert = sqlx::query(
            "INSERT INTO subscriptions (email, email_key, status, frequency, categories, keywords, max_papers, \
             for_you, confirm_token_hash, confirm_expires_at, created_at, updated_at) \
             VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (email_key) DO UPDATE SET email = excluded.email, status = 'pending', \
             frequency = excluded.frequency, categories = excluded.categories, keywords = excluded.keywords, \
             max_papers = excluded.max_papers, for_you = excluded.for_you, confirm_token_hash = excluded.confirm_token_hash, \
             confirm_expires_at = excluded.confirm_expires_at, updated_at = excluded.updated_at",
        )
        .bind(email)
        .bind(&key);
        bind_preferences(upsert, preferences)
            .bind(token_hash)
            .bind(expires_at)
            .bind(now)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        let subscription = just_written(&mut transaction, &key).await?;
        transaction.commit().await?;
        Ok(SubscribeRequest::ConfirmationNeeded(subscription))
    }

    async fn confirm_subscription(&self, token_hash: &str, now: i64) -> Result<Option<Subscription>, StoreError> {
        let pool = &self.pool;
        let mut transaction = write_transaction(pool).await?;
        // The link is used up whether or not it is still valid, so it works at most once.
        let row = sqlx::query(
            "UPDATE subscriptions SET confirm_token_hash = NULL, confirm_expires_at = NULL, \
             status = CASE WHEN confirm_expires_at >= $1 AND status = 'pending' THEN 'active' ELSE status END, \
             confirmed_at = CASE WHEN confirm_expires_at >= $1 AND status = 'pending' THEN $1 ELSE confirmed_at END, \
             failures = CASE WHEN confirm_expires_at >= $1 AND status = 'pending' THEN 0 ELSE failures END, \
             updated_at = $1 \
             WHERE confirm_token_hash = $2 RETURNING id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(row) = row else {
            transaction.commit().await?;
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let subscription = subscription_where(&mut transaction, "id", &id.to_string()).await?;
        transaction.commit().await?;
        Ok(subscription.filter(|subscription| subscription.status == SubscriptionStatus::Active))
    }

    async fn subscribe_confirmed(
        &self,
        email: &str,
        preferences: &DigestPreferences,
        now: i64,
    ) -> Result<Subscription, StoreError> {
        let pool = &self.pool;
        let mut transaction = write_transaction(pool).await?;
        let key = email.to_lowercase();
        let upsert = sqlx::query(
            "INSERT INTO subscriptions (email, email_key, status, frequency, categories, keywords, max_papers, \
             for_you, created_at, confirmed_at, updated_at) VALUES ($1, $2, 'active', $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (email_key) DO UPDATE SET status = 'active', frequency = excluded.frequency, \
             categories = excluded.categories, keywords = excluded.keywords, max_papers = excluded.max_papers, \
             for_you = excluded.for_you, \
             confirm_token_hash = NULL, confirm_expires_at = NULL, failures = 0, \
             confirmed_at = excluded.confirmed_at, updated_at = excluded.updated_at",
        )
        .bind(email)
        .bind(&key);
        bind_preferences(upsert, preferences)
            .bind(now)
            .bind(now)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        let subscription = just_written(&mut transaction, &key).await?;
        transaction.commit().await?;
        Ok(subscription)
    }

    async fn subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError> {
        let pool = &self.pool;
        let mut connection = pool.acquire().await?;
        subscription_where(&mut connection, "id", &id.to_string()).await
    }

    async fn subscription_by_email(&self, email: &str) -> Result<Option<Subscription>, StoreError> {
        let pool = &self.pool;
        let mut connection = pool.acquire().await?;
        subscription_where(&mut connection, "email_key", &email.to_lowercase()).await
    }

    async fn update_subscription(
        &self,
        id: i64,
        preferences: &DigestPreferences,
        now: i64,
    ) -> Result<bool, StoreError> {
        let pool = &self.pool;
        let update = sqlx::query(
            "UPDATE subscriptions SET frequency = $1, categories = $2, keywords = $3, max_papers = $4, for_you = $5, \
             updated_at = $6 WHERE id = $7 AND status IN ('pending', 'active')",
        );
        let done = bind_preferences(update, preferences)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn unsubscribe(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let pool = &self.pool;
        let mut transaction = write_transaction(pool).await?;
        let done = sqlx::query(
            "UPDATE subscriptions SET status = 'unsubscribed', confirm_token_hash = NULL, confirm_expires_at = NULL, \
             updated_at = $1 WHERE id = $2 AND status IN ('pending', 'active')",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *transaction)
        .await?;
        // A worker holding one of these loses its claim, so it cannot hand the message over.
        sqlx::query(
            "UPDATE digest_deliveries SET state = 'cancelled', claim = NULL, lease_until = NULL \
             WHERE subscription_id = $1 AND state IN ('queued', 'sending')",
        )
        .bind(id)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn active_subscriptions(
        &self,
        frequency: Frequency,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Subscription>, StoreError> {
        let pool = &self.pool;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions \
             WHERE status = 'active' AND frequency = $1 AND id > $2 ORDER BY id LIMIT $3"
        )))
        .bind(frequency.as_str())
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
        rows.iter().map(subscription_row).collect()
    }
}
