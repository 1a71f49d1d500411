// E-mail about discussions: members' choices and the queue of comment mails. Mails are queued
// inside the transaction that posts the comment (`queue_comment_mails`), so a comment that is
// acknowledged has its mails queued too; they go out through the digest queue's steps
// (`super::deliveries::queue`).
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::ArxivId;
use sqlx::Row;

use super::accounts::user_row;
use super::deliveries::queue;
use super::dialect::{Backend, Connection, claim_transaction, write_transaction};
use crate::{
    ClaimedCommentMail, DeliveryCounts, DeliveryOutcome, MAIL_SPACING_SECONDS, NotificationSettings, NotificationStore,
    NotifyReason, StoreError,
};

const TABLE: &str = "comment_mails";

/// Queues the mails a new comment causes: to the author of the comment it answers (`replied_to`,
/// as asked, before any flattening), and to members who saved or submitted the paper; never to
/// its writer, nor to anyone who opted out or is banned, and none at all for a banned writer
/// (whose comments nobody sees). A mail still gathering comments for
/// that member and paper takes this one; otherwise a new mail is due no sooner than an hour
/// after the previous one.
pub(super) async fn queue_comment_mails(
    connection: &mut Connection,
    comment_id: i64,
    paper: &str,
    writer: i64,
    replied_to: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let rows = sqlx::query(
        "SELECT r.user_id, MIN(r.reason_rank) AS reason_rank FROM ( \
           SELECT c.user_id, CAST(0 AS BIGINT) AS reason_rank FROM comments c JOIN users u ON u.id = c.user_id \
             WHERE c.id = $1 AND u.notify_replies \
           UNION ALL SELECT col.user_id, CAST(1 AS BIGINT) FROM collection_papers cp \
             JOIN collections col ON col.id = cp.collection_id JOIN users u ON u.id = col.user_id \
             WHERE cp.paper_id = $2 AND u.notify_papers \
           UNION ALL SELECT s.user_id, CAST(2 AS BIGINT) FROM submissions s JOIN users u ON u.id = s.user_id \
             WHERE s.paper_id = $2 AND NOT s.hidden AND u.notify_papers \
         ) r JOIN users w ON w.id = r.user_id \
         WHERE r.user_id <> $3 AND w.role <> 'banned' \
         AND NOT EXISTS (SELECT 1 FROM users b WHERE b.id = $3 AND b.role = 'banned') \
         GROUP BY r.user_id ORDER BY r.user_id",
    )
    .bind(replied_to.unwrap_or(-1))
    .bind(paper)
    .bind(writer)
    .fetch_all(&mut *connection)
    .await?;
    for row in rows {
        let user_id: i64 = row.try_get("user_id")?;
        let reason = match row.try_get::<i64, _>("reason_rank")? {
            0 => NotifyReason::Reply,
            1 => NotifyReason::Saved,
            _ => NotifyReason::Submitted,
        };
        let previous: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(scheduled_at) FROM comment_mails WHERE user_id = $1 AND paper_id = $2 AND state <> 'cancelled'",
        )
        .bind(user_id)
        .bind(paper)
        .fetch_one(&mut *connection)
        .await?;
        let due = previous.map_or(now, |previous| now.max(previous + MAIL_SPACING_SECONDS));
        // The open mail, if there is one, stays as it is (its due time was set when it opened).
        sqlx::query(
            "INSERT INTO comment_mails (user_id, paper_id, scheduled_at, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $3, $4) \
             ON CONFLICT (user_id, paper_id) WHERE state = 'queued' AND attempts = 0 DO NOTHING",
        )
        .bind(user_id)
        .bind(paper)
        .bind(due)
        .bind(now)
        .execute(&mut *connection)
        .await?;
        sqlx::query(
            "INSERT INTO comment_mail_items (mail_id, comment_id, reason) \
             SELECT id, $3, $4 FROM comment_mails \
             WHERE user_id = $1 AND paper_id = $2 AND state = 'queued' AND attempts = 0",
        )
        .bind(user_id)
        .bind(paper)
        .bind(comment_id)
        .bind(reason.as_str())
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl NotificationStore for Backend {
    async fn notification_settings(&self, user_id: i64) -> Result<NotificationSettings, StoreError> {
        let row = sqlx::query("SELECT notify_replies, notify_papers FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(NotificationSettings {
                replies: row.try_get("notify_replies")?,
                papers: row.try_get("notify_papers")?,
            }),
            None => Ok(NotificationSettings::default()),
        }
    }

    async fn set_notification_settings(&self, user_id: i64, settings: NotificationSettings) -> Result<(), StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        sqlx::query("UPDATE users SET notify_replies = $1, notify_papers = $2 WHERE id = $3")
            .bind(settings.replies)
            .bind(settings.papers)
            .bind(user_id)
            .execute(&mut *transaction)
            .await?;
        // Mails not yet handed over of a kind now unwanted are dropped: they would be a surprise.
        // One being sent right now loses its claim, so its worker withdraws it.
        sqlx::query(
            "UPDATE comment_mails SET state = 'cancelled', last_error = 'turned off', claim = NULL, lease_until = NULL \
             WHERE user_id = $1 AND state IN ('queued', 'sending') AND NOT EXISTS ( \
               SELECT 1 FROM comment_mail_items i WHERE i.mail_id = comment_mails.id \
               AND ((i.reason = 'reply' AND $2) OR (i.reason <> 'reply' AND $3)))",
        )
        .bind(user_id)
        .bind(settings.replies)
        .bind(settings.papers)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn claim_comment_mails(
        &self,
        now: i64,
        lease_seconds: i64,
        limit: u32,
        claim: &str,
    ) -> Result<Vec<ClaimedCommentMail>, StoreError> {
        let mut transaction = claim_transaction(&self.pool).await?;
        let select = "SELECT d.id AS mail_id, d.paper_id, d.attempts, u.id, u.email, u.display_name, u.role, \
                      u.created_at, u.profile_id FROM comment_mails d JOIN users u ON u.id = d.user_id";
        let rows = queue::due_rows(&mut transaction, select, now, limit).await?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|row| row.try_get("mail_id"))
            .collect::<Result<_, _>>()?;
        queue::mark_claimed(&mut transaction, TABLE, &ids, claim, now + lease_seconds).await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("mail_id")?;
            let paper: String = row.try_get("paper_id")?;
            let attempts: i64 = row.try_get("attempts")?;
            let items: Vec<(i64, String)> = sqlx::query_as(
                "SELECT comment_id, reason FROM comment_mail_items WHERE mail_id = $1 ORDER BY comment_id",
            )
            .bind(id)
            .fetch_all(&mut *transaction)
            .await?;
            claimed.push(ClaimedCommentMail {
                id,
                claim: claim.to_owned(),
                paper: ArxivId::parse(&paper).map_err(|error| StoreError::CorruptRow {
                    id: format!("comment mail {id}"),
                    reason: error.to_string(),
                })?,
                member: user_row(row)?,
                comments: items
                    .into_iter()
                    .map(|(comment, reason)| (comment, NotifyReason::parse(&reason)))
                    .collect(),
                attempts: u32::try_from(attempts + 1).unwrap_or(u32::MAX),
            });
        }
        transaction.commit().await?;
        Ok(claimed)
    }

    async fn hand_over_comment_mail(&self, id: i64, claim: &str) -> Result<bool, StoreError> {
        // A mail the member no longer wants was cancelled (`set_notification_settings`), which
        // the state check of the hand-over sees.
        queue::hand_over(&self.pool, TABLE, id, claim, "TRUE").await
    }

    async fn unconfirmed_comment_mails(&self, now: i64) -> Result<Vec<(i64, String)>, StoreError> {
        queue::unconfirmed(&self.pool, TABLE, now).await
    }

    async fn resolve_comment_mail(
        &self,
        id: i64,
        claim: &str,
        reached_server: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        queue::resolve(&self.pool, TABLE, id, claim, reached_server, now).await
    }

    async fn finish_comment_mails(&self, outcomes: &[(i64, DeliveryOutcome)], now: i64) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut transaction = write_transaction(&self.pool).await?;
        for (id, outcome) in outcomes {
            queue::finish(&mut transaction, TABLE, *id, outcome, now).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn comment_mail_counts(&self) -> Result<DeliveryCounts, StoreError> {
        queue::counts(&self.pool, TABLE, None).await
    }
}
