// Digest subscriptions and the delivery queue. Writes take the write lock first, except claims,
// which lock only the rows they take (see `claim_transaction` and `CLAIM_LOCK`), so two workers
// or replicas cannot both claim or hand over one delivery.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use paperboy_core::{ArxivId, Category, DigestPreferences, Frequency};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use super::dialect::{CLAIM_LOCK, Connection, Db, DbRow, MAX_BINDS, Pool, claim_transaction, write_transaction};
use crate::{
    ClaimedDelivery, DeliveryCounts, DeliveryOutcome, NewDelivery, StoreError, SubscribeRequest, Subscription,
    SubscriptionStatus,
};

const SUBSCRIPTION_COLUMNS: &str = "id, email, status, frequency, categories, keywords, max_papers, created_at";

fn subscription_row(row: &DbRow) -> Result<Subscription, StoreError> {
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

/// Binds the four preference columns, in table order: frequency, categories, keywords, max_papers.
fn bind_preferences<'q>(query: DbQuery<'q>, preferences: &DigestPreferences) -> DbQuery<'q> {
    query
        .bind(preferences.frequency.as_str())
        .bind(categories_column(preferences))
        .bind(keywords_column(preferences))
        .bind(i64::from(preferences.max_papers))
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

pub(super) async fn request_subscription(
    pool: &Pool,
    email: &str,
    preferences: &DigestPreferences,
    token_hash: &str,
    expires_at: i64,
    now: i64,
) -> Result<SubscribeRequest, StoreError> {
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
         confirm_token_hash, confirm_expires_at, created_at, updated_at) \
         VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (email_key) DO UPDATE SET email = excluded.email, status = 'pending', \
         frequency = excluded.frequency, categories = excluded.categories, keywords = excluded.keywords, \
         max_papers = excluded.max_papers, confirm_token_hash = excluded.confirm_token_hash, \
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

pub(super) async fn confirm_subscription(
    pool: &Pool,
    token_hash: &str,
    now: i64,
) -> Result<Option<Subscription>, StoreError> {
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

pub(super) async fn subscribe_confirmed(
    pool: &Pool,
    email: &str,
    preferences: &DigestPreferences,
    now: i64,
) -> Result<Subscription, StoreError> {
    let mut transaction = write_transaction(pool).await?;
    let key = email.to_lowercase();
    let upsert = sqlx::query(
        "INSERT INTO subscriptions (email, email_key, status, frequency, categories, keywords, max_papers, \
         created_at, confirmed_at, updated_at) VALUES ($1, $2, 'active', $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (email_key) DO UPDATE SET status = 'active', frequency = excluded.frequency, \
         categories = excluded.categories, keywords = excluded.keywords, max_papers = excluded.max_papers, \
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

pub(super) async fn subscription(pool: &Pool, id: i64) -> Result<Option<Subscription>, StoreError> {
    let mut connection = pool.acquire().await?;
    subscription_where(&mut connection, "id", &id.to_string()).await
}

pub(super) async fn subscription_by_email(pool: &Pool, email: &str) -> Result<Option<Subscription>, StoreError> {
    let mut connection = pool.acquire().await?;
    subscription_where(&mut connection, "email_key", &email.to_lowercase()).await
}

pub(super) async fn update_subscription(
    pool: &Pool,
    id: i64,
    preferences: &DigestPreferences,
    now: i64,
) -> Result<bool, StoreError> {
    let update = sqlx::query(
        "UPDATE subscriptions SET frequency = $1, categories = $2, keywords = $3, max_papers = $4, updated_at = $5 \
         WHERE id = $6 AND status IN ('pending', 'active')",
    );
    let done = bind_preferences(update, preferences)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn unsubscribe(pool: &Pool, id: i64, now: i64) -> Result<bool, StoreError> {
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

pub(super) async fn active_subscriptions(
    pool: &Pool,
    frequency: Frequency,
    after: i64,
    limit: u32,
) -> Result<Vec<Subscription>, StoreError> {
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

pub(super) async fn papers_already_sent(
    pool: &Pool,
    subscriptions: &[i64],
    papers: &[ArxivId],
) -> Result<Vec<(i64, ArxivId)>, StoreError> {
    let mut found = Vec::new();
    if subscriptions.is_empty() || papers.is_empty() {
        return Ok(found);
    }
    // Bound-parameter limits: split the papers, keep the subscriptions whole (callers batch them).
    for chunk in papers.chunks(MAX_BINDS.saturating_sub(subscriptions.len()).max(1)) {
        let mut query =
            QueryBuilder::<Db>::new("SELECT subscription_id, paper_id FROM digest_papers WHERE subscription_id IN (");
        let mut separated = query.separated(", ");
        for id in subscriptions {
            separated.push_bind(*id);
        }
        query.push(") AND paper_id IN (");
        let mut separated = query.separated(", ");
        for paper in chunk {
            separated.push_bind(paper.as_str());
        }
        query.push(")");
        for row in query.build().fetch_all(pool).await? {
            let paper: String = row.try_get("paper_id")?;
            if let Ok(paper) = ArxivId::parse(&paper) {
                found.push((row.try_get("subscription_id")?, paper));
            }
        }
    }
    Ok(found)
}

pub(super) async fn enqueue_deliveries(
    pool: &Pool,
    period: &str,
    deliveries: &[NewDelivery],
    now: i64,
) -> Result<u64, StoreError> {
    let mut transaction = write_transaction(pool).await?;
    let mut queued = 0;
    // Multi-row statements: a batch of 500 digests is a handful of round trips, not thousands.
    for chunk in deliveries.chunks(1000) {
        let mut insert = QueryBuilder::<Db>::new(
            "INSERT INTO digest_deliveries (subscription_id, period, papers, next_attempt_at, created_at) ",
        );
        insert.push_values(chunk, |mut row, delivery| {
            let papers = serde_json::Value::from(
                delivery
                    .papers
                    .iter()
                    .map(|paper| paper.as_str().to_owned())
                    .collect::<Vec<_>>(),
            )
            .to_string();
            row.push_bind(delivery.subscription_id)
                .push_bind(period)
                .push_bind(papers)
                .push_bind(now)
                .push_bind(now);
        });
        // Only the rows actually inserted come back: a subscription that already has this
        // period's digest keeps it, and its papers are not recorded twice.
        insert.push(" ON CONFLICT (subscription_id, period) DO NOTHING RETURNING id, subscription_id");
        let inserted: Vec<(i64, i64)> = insert.build_query_as().fetch_all(&mut *transaction).await?;
        queued += inserted.len() as u64;
        let delivery_of: std::collections::HashMap<i64, i64> = inserted
            .into_iter()
            .map(|(id, subscription)| (subscription, id))
            .collect();
        let sent: Vec<(i64, &ArxivId, i64)> = chunk
            .iter()
            .filter_map(|delivery| {
                let id = *delivery_of.get(&delivery.subscription_id)?;
                Some(
                    delivery
                        .papers
                        .iter()
                        .map(move |paper| (delivery.subscription_id, paper, id)),
                )
            })
            .flatten()
            .collect();
        for rows in sent.chunks(MAX_BINDS / 3) {
            let mut insert =
                QueryBuilder::<Db>::new("INSERT INTO digest_papers (subscription_id, paper_id, delivery_id) ");
            insert.push_values(rows, |mut row, (subscription, paper, delivery)| {
                row.push_bind(*subscription)
                    .push_bind(paper.as_str())
                    .push_bind(*delivery);
            });
            insert.push(" ON CONFLICT DO NOTHING");
            insert.build().execute(&mut *transaction).await?;
        }
    }
    transaction.commit().await?;
    Ok(queued)
}

pub(super) async fn record_digest_run(
    pool: &Pool,
    period: &str,
    frequency: Frequency,
    deliveries: u64,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO digest_runs (period, frequency, deliveries, composed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (period) DO NOTHING",
    )
    .bind(period)
    .bind(frequency.as_str())
    .bind(i64::try_from(deliveries).unwrap_or(i64::MAX))
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn digest_run_exists(pool: &Pool, period: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 FROM digest_runs WHERE period = $1")
        .bind(period)
        .fetch_optional(pool)
        .await?;
    Ok(row.is_some())
}

pub(super) async fn claim_deliveries(
    pool: &Pool,
    now: i64,
    lease_seconds: i64,
    limit: u32,
    claim: &str,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let mut transaction = claim_transaction(pool).await?;
    let columns = format!(
        "d.id AS delivery_id, d.period, d.papers, d.attempts, {}",
        SUBSCRIPTION_COLUMNS
            .split(", ")
            .map(|column| format!("s.{column} AS {column}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Two queries rather than one with OR, so each walks the (state, next_attempt_at) index in
    // order instead of sorting every queued row on every claim. Lapsed claims go first.
    let mut rows = Vec::new();
    for condition in [
        "d.state = 'sending' AND d.lease_until < $1 ORDER BY d.lease_until, d.id",
        "d.state = 'queued' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at, d.id",
    ] {
        let wanted = i64::from(limit) - rows.len() as i64;
        if wanted <= 0 {
            break;
        }
        rows.extend(
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {columns} FROM digest_deliveries d \
                 JOIN subscriptions s ON s.id = d.subscription_id AND s.status = 'active' \
                 WHERE {condition} LIMIT $2{CLAIM_LOCK}"
            )))
            .bind(now)
            .bind(wanted)
            .fetch_all(&mut *transaction)
            .await?,
        );
    }
    let ids: Vec<i64> = rows
        .iter()
        .map(|row| row.try_get("delivery_id"))
        .collect::<Result<_, _>>()?;
    if !ids.is_empty() {
        let mut update = QueryBuilder::<Db>::new("UPDATE digest_deliveries SET state = 'sending', claim = ");
        update
            .push_bind(claim)
            .push(", lease_until = ")
            .push_bind(now + lease_seconds)
            .push(", attempts = attempts + 1 WHERE id IN (");
        let mut separated = update.separated(", ");
        for id in &ids {
            separated.push_bind(*id);
        }
        update.push(")");
        update.build().execute(&mut *transaction).await?;
    }
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("delivery_id")?;
        let attempts: i64 = row.try_get("attempts")?;
        let papers: String = row.try_get("papers")?;
        let papers: Vec<String> = serde_json::from_str(&papers).map_err(|error| StoreError::CorruptRow {
            id: format!("delivery {id}"),
            reason: error.to_string(),
        })?;
        claimed.push(ClaimedDelivery {
            id,
            claim: claim.to_owned(),
            subscription: subscription_row(&row)?,
            period: row.try_get("period")?,
            papers: papers.iter().filter_map(|paper| ArxivId::parse(paper).ok()).collect(),
            attempts: u32::try_from(attempts + 1).unwrap_or(u32::MAX),
        });
    }
    transaction.commit().await?;
    Ok(claimed)
}

pub(super) async fn hand_over_delivery(pool: &Pool, id: i64, claim: &str) -> Result<bool, StoreError> {
    // One statement, so one round trip: it commits on its own, atomically.
    let done = sqlx::query(
        "UPDATE digest_deliveries SET state = 'handed_over' \
         WHERE id = $1 AND state = 'sending' AND claim = $2 \
         AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = digest_deliveries.subscription_id \
                     AND s.status = 'active')",
    )
    .bind(id)
    .bind(claim)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn unconfirmed_hand_overs(pool: &Pool, now: i64) -> Result<Vec<(i64, String)>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, claim FROM digest_deliveries \
         WHERE state = 'handed_over' AND lease_until < $1 AND claim IS NOT NULL ORDER BY id",
    )
    .bind(now)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

pub(super) async fn resolve_hand_over(
    pool: &Pool,
    id: i64,
    claim: &str,
    reached_server: bool,
    now: i64,
) -> Result<bool, StoreError> {
    let statement = if reached_server {
        "UPDATE digest_deliveries SET lease_until = NULL WHERE id = $1 AND claim = $2 AND state = 'handed_over'"
    } else {
        "UPDATE digest_deliveries SET state = 'queued', claim = NULL, lease_until = NULL, next_attempt_at = $3 \
         WHERE id = $1 AND claim = $2 AND state = 'handed_over'"
    };
    let done = sqlx::query(statement)
        .bind(id)
        .bind(claim)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn finish_deliveries(
    pool: &Pool,
    outcomes: &[(i64, DeliveryOutcome)],
    now: i64,
) -> Result<(), StoreError> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let mut transaction = write_transaction(pool).await?;
    for (id, outcome) in outcomes {
        finish_one(&mut transaction, *id, outcome, now).await?;
    }
    transaction.commit().await?;
    Ok(())
}

async fn finish_one(
    connection: &mut Connection,
    id: i64,
    outcome: &DeliveryOutcome,
    now: i64,
) -> Result<(), StoreError> {
    match outcome {
        DeliveryOutcome::Sent => {
            sqlx::query(
                "UPDATE digest_deliveries SET state = 'sent', sent_at = $1, claim = NULL, lease_until = NULL, \
                 last_error = NULL WHERE id = $2",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *connection)
            .await?;
            sqlx::query(
                "UPDATE subscriptions SET failures = 0 WHERE id = (SELECT subscription_id FROM digest_deliveries WHERE id = $1)",
            )
            .bind(id)
            .execute(&mut *connection)
            .await?;
        }
        DeliveryOutcome::Retry { error, next_attempt_at } => {
            // Only a delivery still in flight goes back to the queue: a cancelled one stays so.
            sqlx::query(
                "UPDATE digest_deliveries SET state = 'queued', next_attempt_at = $1, last_error = $2, claim = NULL, \
                 lease_until = NULL WHERE id = $3 AND state IN ('sending', 'handed_over')",
            )
            .bind(next_attempt_at)
            .bind(error)
            .bind(id)
            .execute(&mut *connection)
            .await?;
        }
        DeliveryOutcome::Failed {
            error,
            permanent,
            bounce_limit,
        } => {
            sqlx::query(
                "UPDATE digest_deliveries SET state = 'failed', last_error = $1, claim = NULL, lease_until = NULL \
                 WHERE id = $2",
            )
            .bind(error)
            .bind(id)
            .execute(&mut *connection)
            .await?;
            if *permanent {
                sqlx::query(
                    "UPDATE subscriptions SET failures = failures + 1, \
                     status = CASE WHEN failures + 1 >= $1 AND status = 'active' THEN 'bounced' ELSE status END \
                     WHERE id = (SELECT subscription_id FROM digest_deliveries WHERE id = $2)",
                )
                .bind(i64::from(*bounce_limit))
                .bind(id)
                .execute(&mut *connection)
                .await?;
            }
        }
    }
    Ok(())
}

pub(super) async fn delivery_counts(pool: &Pool, period: Option<&str>) -> Result<DeliveryCounts, StoreError> {
    let rows = match period {
        Some(period) => {
            sqlx::query("SELECT state, COUNT(*) AS n FROM digest_deliveries WHERE period = $1 GROUP BY state")
                .bind(period)
                .fetch_all(pool)
                .await?
        }
        None => {
            sqlx::query("SELECT state, COUNT(*) AS n FROM digest_deliveries GROUP BY state")
                .fetch_all(pool)
                .await?
        }
    };
    let mut counts = DeliveryCounts::default();
    for row in rows {
        let state: String = row.try_get("state")?;
        let n = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0);
        match state.as_str() {
            "queued" => counts.queued = n,
            "sending" => counts.sending = n,
            "handed_over" => counts.handed_over = n,
            "sent" => counts.sent = n,
            "failed" => counts.failed = n,
            "cancelled" => counts.cancelled = n,
            _ => {}
        }
    }
    Ok(counts)
}

pub(super) async fn next_delivery_due(pool: &Pool) -> Result<Option<i64>, StoreError> {
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(CASE WHEN state = 'queued' THEN next_attempt_at ELSE lease_until END) \
         FROM digest_deliveries WHERE state IN ('queued', 'sending')",
    )
    .fetch_one(pool)
    .await?;
    Ok(due)
}

pub(super) async fn instance_secret(pool: &Pool, name: &str, fresh: &str) -> Result<String, StoreError> {
    sqlx::query("INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fresh)
        .execute(pool)
        .await?;
    let value: String = sqlx::query_scalar("SELECT value FROM instance_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await?;
    Ok(value)
}
