// The digest delivery queue. Writes take the write lock first, except claims, which lock only
// the rows they take (see `claim_transaction` and `CLAIM_LOCK`), so two workers or replicas
// cannot both claim or hand over one delivery.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::{ArxivId, Frequency};
use sqlx::{QueryBuilder, Row};

use super::dialect::{Backend, Connection, Db, MAX_BINDS, claim_transaction, write_transaction};
use super::subscriptions::{SUBSCRIPTION_COLUMNS, subscription_row};
use crate::{ClaimedDelivery, DeliveryCounts, DeliveryOutcome, DeliveryStore, NewDelivery, StoreError};

/// The steps both mail queues (`digest_deliveries`, `comment_mails`) share, by table: how a
/// claimed mail is marked, handed over, settled after a crash and finished.
pub(super) mod queue {
    use sqlx::{AssertSqlSafe, QueryBuilder};

    use super::super::dialect::{CLAIM_LOCK, Connection, Db, DbRow, Pool};
    use crate::{DeliveryCounts, DeliveryOutcome, StoreError};

    /// Up to `limit` rows a worker may claim at `now`, from `select` (a `SELECT … FROM <table> d
    /// …` whose queue table is aliased `d`), locked for this transaction where the database can.
    /// Two queries rather than one with OR, so each walks the (state, next_attempt_at) index in
    /// order instead of sorting every queued row on every claim. Lapsed claims go first.
    pub async fn due_rows(
        connection: &mut Connection,
        select: &str,
        now: i64,
        limit: u32,
    ) -> Result<Vec<DbRow>, StoreError> {
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
                    "{select} WHERE {condition} LIMIT $2{CLAIM_LOCK}"
                )))
                .bind(now)
                .bind(wanted)
                .fetch_all(&mut *connection)
                .await?,
            );
        }
        Ok(rows)
    }

    /// Marks the rows a claim took as being sent, under `claim` until `lease_until`.
    pub async fn mark_claimed(
        connection: &mut Connection,
        table: &str,
        ids: &[i64],
        claim: &str,
        lease_until: i64,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut update = QueryBuilder::<Db>::new(format!("UPDATE {table} SET state = 'sending', claim = "));
        update
            .push_bind(claim)
            .push(", lease_until = ")
            .push_bind(lease_until)
            .push(", attempts = attempts + 1 WHERE id IN (");
        let mut separated = update.separated(", ");
        for id in ids {
            separated.push_bind(*id);
        }
        update.push(")");
        update.build().execute(&mut *connection).await?;
        Ok(())
    }

    /// One statement, so one round trip that commits on its own: the claimed row becomes
    /// handed over if the claim still holds and `still_wanted` (a condition on the row) is true.
    pub async fn hand_over(
        pool: &Pool,
        table: &str,
        id: i64,
        claim: &str,
        still_wanted: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE {table} SET state = 'handed_over' WHERE id = $1 AND state = 'sending' AND claim = $2 AND {still_wanted}"
        )))
        .bind(id)
        .bind(claim)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn unconfirmed(pool: &Pool, table: &str, now: i64) -> Result<Vec<(i64, String)>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT id, claim FROM {table} WHERE state = 'handed_over' AND lease_until < $1 AND claim IS NOT NULL ORDER BY id"
        )))
        .bind(now)
        .fetch_all(pool)
        .await?;
        Ok(rows)
    }

    pub async fn resolve(
        pool: &Pool,
        table: &str,
        id: i64,
        claim: &str,
        reached_server: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        let statement = if reached_server {
            format!("UPDATE {table} SET lease_until = NULL WHERE id = $1 AND claim = $2 AND state = 'handed_over'")
        } else {
            format!(
                "UPDATE {table} SET state = 'queued', claim = NULL, lease_until = NULL, next_attempt_at = $3 \
                 WHERE id = $1 AND claim = $2 AND state = 'handed_over'"
            )
        };
        let done = sqlx::query(AssertSqlSafe(statement))
            .bind(id)
            .bind(claim)
            .bind(now)
            .execute(pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records how one mail ended (the row only; what else an outcome means is the caller's).
    pub async fn finish(
        connection: &mut Connection,
        table: &str,
        id: i64,
        outcome: &DeliveryOutcome,
        now: i64,
    ) -> Result<(), StoreError> {
        let query = match outcome {
            DeliveryOutcome::Sent => sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET state = 'sent', sent_at = $1, claim = NULL, lease_until = NULL, last_error = NULL \
                 WHERE id = $2"
            )))
            .bind(now)
            .bind(id),
            // Only a mail still in flight goes back to the queue: a cancelled one stays so.
            DeliveryOutcome::Retry { error, next_attempt_at } => sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET state = 'queued', next_attempt_at = $1, last_error = $2, claim = NULL, \
                 lease_until = NULL WHERE id = $3 AND state IN ('sending', 'handed_over')"
            )))
            .bind(*next_attempt_at)
            .bind(error)
            .bind(id),
            DeliveryOutcome::Failed { error, .. } => sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET state = 'failed', last_error = $1, claim = NULL, lease_until = NULL WHERE id = $2"
            )))
            .bind(error)
            .bind(id),
            DeliveryOutcome::Cancelled { reason } => sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET state = 'cancelled', last_error = $1, claim = NULL, lease_until = NULL WHERE id = $2"
            )))
            .bind(reason)
            .bind(id),
        };
        query.execute(&mut *connection).await?;
        Ok(())
    }

    /// Rows by state: all, or one digest period's.
    pub async fn counts(pool: &Pool, table: &str, period: Option<&str>) -> Result<DeliveryCounts, StoreError> {
        use sqlx::Row;
        let rows = match period {
            Some(period) => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT state, COUNT(*) AS n FROM {table} WHERE period = $1 GROUP BY state"
                )))
                .bind(period)
                .fetch_all(pool)
                .await?
            }
            None => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT state, COUNT(*) AS n FROM {table} GROUP BY state"
                )))
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
}

/// Records how one digest ended: its row, and its subscription's count of refusals.
async fn finish_one(
    connection: &mut Connection,
    id: i64,
    outcome: &DeliveryOutcome,
    now: i64,
) -> Result<(), StoreError> {
    queue::finish(connection, "digest_deliveries", id, outcome, now).await?;
    match outcome {
        DeliveryOutcome::Sent => {
            sqlx::query(
                "UPDATE subscriptions SET failures = 0 WHERE id = (SELECT subscription_id FROM digest_deliveries WHERE id = $1)",
            )
            .bind(id)
            .execute(&mut *connection)
            .await?;
        }
        DeliveryOutcome::Failed {
            permanent: true,
            bounce_limit,
            ..
        } => {
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
        _ => {}
    }
    Ok(())
}

#[async_trait]
impl DeliveryStore for Backend {
    async fn papers_already_sent(
        &self,
        subscriptions: &[i64],
        papers: &[ArxivId],
    ) -> Result<Vec<(i64, ArxivId)>, StoreError> {
        let pool = &self.pool;
        let mut found = Vec::new();
        if subscriptions.is_empty() || papers.is_empty() {
            return Ok(found);
        }
        // Bound-parameter limits: split the papers, keep the subscriptions whole (callers batch them).
        for chunk in papers.chunks(MAX_BINDS.saturating_sub(subscriptions.len()).max(1)) {
            let mut query = QueryBuilder::<Db>::new(
                "SELECT subscription_id, paper_id FROM digest_papers WHERE subscription_id IN (",
            );
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

    async fn enqueue_deliveries(&self, period: &str, deliveries: &[NewDelivery], now: i64) -> Result<u64, StoreError> {
        let pool = &self.pool;
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

    async fn record_digest_run(
        &self,
        period: &str,
        frequency: Frequency,
        deliveries: u64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let pool = &self.pool;
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

    async fn digest_run_exists(&self, period: &str) -> Result<bool, StoreError> {
        let pool = &self.pool;
        let row = sqlx::query("SELECT 1 FROM digest_runs WHERE period = $1")
            .bind(period)
            .fetch_optional(pool)
            .await?;
        Ok(row.is_some())
    }

    async fn claim_deliveries(
        &self,
        now: i64,
        lease_seconds: i64,
        limit: u32,
        claim: &str,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let pool = &self.pool;
        let mut transaction = claim_transaction(pool).await?;
        let columns = format!(
            "d.id AS delivery_id, d.period, d.papers, d.attempts, {}",
            SUBSCRIPTION_COLUMNS
                .split(", ")
                .map(|column| format!("s.{column} AS {column}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let select = format!(
            "SELECT {columns} FROM digest_deliveries d \
             JOIN subscriptions s ON s.id = d.subscription_id AND s.status = 'active'"
        );
        let rows = queue::due_rows(&mut transaction, &select, now, limit).await?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|row| row.try_get("delivery_id"))
            .collect::<Result<_, _>>()?;
        queue::mark_claimed(&mut transaction, "digest_deliveries", &ids, claim, now + lease_seconds).await?;
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

    async fn hand_over_delivery(&self, id: i64, claim: &str) -> Result<bool, StoreError> {
        // Not once the subscriber has left.
        let active = "EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = digest_deliveries.subscription_id \
                      AND s.status = 'active')";
        queue::hand_over(&self.pool, "digest_deliveries", id, claim, active).await
    }

    async fn unconfirmed_hand_overs(&self, now: i64) -> Result<Vec<(i64, String)>, StoreError> {
        queue::unconfirmed(&self.pool, "digest_deliveries", now).await
    }

    async fn resolve_hand_over(
        &self,
        id: i64,
        claim: &str,
        reached_server: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        queue::resolve(&self.pool, "digest_deliveries", id, claim, reached_server, now).await
    }

    async fn finish_deliveries(&self, outcomes: &[(i64, DeliveryOutcome)], now: i64) -> Result<(), StoreError> {
        let pool = &self.pool;
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

    async fn delivery_counts(&self, period: Option<&str>) -> Result<DeliveryCounts, StoreError> {
        queue::counts(&self.pool, "digest_deliveries", period).await
    }

    async fn next_delivery_due(&self) -> Result<Option<i64>, StoreError> {
        let pool = &self.pool;
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(CASE WHEN state = 'queued' THEN next_attempt_at ELSE lease_until END) \
             FROM digest_deliveries WHERE state IN ('queued', 'sending')",
        )
        .fetch_one(pool)
        .await?;
        Ok(due)
    }
}
