// What the search index follows: its change log, index documents and embeddings.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::{Date, SearchDocument};
use sqlx::{QueryBuilder, Row};

use super::dialect::{Backend, Db, DbRow};
use crate::{SearchChange, SearchFeedStore, SearchLogBounds, StoreError, StoredEmbedding, TextToEmbed};

const DOCUMENT_COLUMNS: &str = "id, title, abstract, authors, categories, \
     COALESCE(first_listed, first_version_date) AS listed, \
     COALESCE(imported_votes, 0) + local_votes AS votes, hidden";

fn document_row(row: &DbRow) -> Result<SearchDocument, StoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |reason: String| StoreError::CorruptRow { id: id.clone(), reason };
    let authors: String = row.try_get("authors")?;
    let categories: String = row.try_get("categories")?;
    let listed: Option<String> = row.try_get("listed")?;
    Ok(SearchDocument {
        title: row.try_get("title")?,
        abstract_text: row.try_get("abstract")?,
        authors: serde_json::from_str(&authors).map_err(|e| corrupt(format!("authors: {e}")))?,
        categories: serde_json::from_str(&categories).map_err(|e| corrupt(format!("categories: {e}")))?,
        first_listed: listed
            .map(|text| text.parse::<Date>().map_err(|e| corrupt(format!("date {text:?}: {e}"))))
            .transpose()?,
        votes: row.try_get("votes")?,
        hidden: row.try_get("hidden")?,
        id,
    })
}

#[async_trait]
impl SearchFeedStore for Backend {
    async fn search_log_bounds(&self) -> Result<SearchLogBounds, StoreError> {
        let pool = &self.pool;
        let row =
            // Two subqueries, not MIN and MAX in one: SQLite answers a lone MIN or MAX from the
            // key's b-tree, but both at once by scanning the log (0.8 s at 2.8 M entries).
            sqlx::query(
                "SELECT COALESCE((SELECT MIN(seq) FROM search_changes), 0) AS oldest, \
                 COALESCE((SELECT MAX(seq) FROM search_changes), 0) AS newest",
            )
                .fetch_one(pool)
                .await?;
        Ok(SearchLogBounds {
            oldest: row.try_get("oldest")?,
            newest: row.try_get("newest")?,
        })
    }

    async fn search_changes_after(&self, position: i64, limit: u32) -> Result<Vec<SearchChange>, StoreError> {
        let pool = &self.pool;
        let rows = sqlx::query("SELECT seq, paper_id FROM search_changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(position)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SearchChange {
                    seq: row.try_get("seq")?,
                    paper_id: row.try_get("paper_id")?,
                })
            })
            .collect()
    }

    async fn prune_search_log(&self, before: i64) -> Result<u64, StoreError> {
        let pool = &self.pool;
        let done = sqlx::query(
            "DELETE FROM search_changes WHERE changed_at < $1 AND seq < (SELECT MAX(seq) FROM search_changes)",
        )
        .bind(before)
        .execute(pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn search_documents(&self, ids: &[String]) -> Result<Vec<SearchDocument>, StoreError> {
        let pool = &self.pool;
        let mut documents = Vec::with_capacity(ids.len());
        // SQLite's bound-parameter limit is far above this.
        for chunk in ids.chunks(500) {
            let mut query = QueryBuilder::<Db>::new("SELECT ");
            query.push(DOCUMENT_COLUMNS).push(" FROM papers WHERE id IN (");
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(id);
            }
            query.push(")");
            for row in query.build().fetch_all(pool).await? {
                documents.push(document_row(&row)?);
            }
        }
        Ok(documents)
    }

    async fn search_documents_after(&self, after: Option<&str>, limit: u32) -> Result<Vec<SearchDocument>, StoreError> {
        let pool = &self.pool;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DOCUMENT_COLUMNS} FROM papers WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
        rows.iter().map(document_row).collect()
    }

    async fn texts_to_embed(
        &self,
        model: &str,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<TextToEmbed>, StoreError> {
        let pool = &self.pool;
        // A range on the primary key, so each batch starts where the last ended (before this,
        // an order by listing date walked past every embedded paper: 7.6 s a batch at 330 k of
        // 1 M embedded).
        let below = if before.is_some() {
            "AND p.id < $3"
        } else {
            "AND $3 = ''"
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT p.id, p.title, p.abstract FROM papers p \
             LEFT JOIN paper_embeddings e ON e.paper_id = p.id AND e.model = $1 \
             WHERE e.paper_id IS NULL AND NOT p.hidden {below} \
             ORDER BY p.id DESC LIMIT $2"
        )))
        .bind(model)
        .bind(i64::from(limit))
        .bind(before.unwrap_or(""))
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TextToEmbed {
                    paper_id: row.try_get("id")?,
                    title: row.try_get("title")?,
                    abstract_text: row.try_get("abstract")?,
                })
            })
            .collect()
    }

    async fn save_embeddings(
        &self,
        model: &str,
        embeddings: &[(String, Vec<f32>)],
        now: i64,
    ) -> Result<(), StoreError> {
        let pool = &self.pool;
        let mut transaction = pool.begin().await?;
        for (paper_id, vector) in embeddings {
            let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
            // Delete then insert, not upsert: the new row gets a new `seq`, which followers notice.
            sqlx::query("DELETE FROM paper_embeddings WHERE paper_id = $1")
                .bind(paper_id)
                .execute(&mut *transaction)
                .await?;
            sqlx::query(
                "INSERT INTO paper_embeddings (paper_id, model, vector, embedded_at) \
                 SELECT id, $1, $2, $3 FROM papers WHERE id = $4",
            )
            .bind(model)
            .bind(bytes)
            .bind(now)
            .bind(paper_id)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn embeddings_after(
        &self,
        model: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredEmbedding>, StoreError> {
        let pool = &self.pool;
        let rows = sqlx::query(
            "SELECT seq, paper_id, vector FROM paper_embeddings WHERE model = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(model)
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                let paper_id: String = row.try_get("paper_id")?;
                let bytes: Vec<u8> = row.try_get("vector")?;
                if !bytes.len().is_multiple_of(4) {
                    return Err(StoreError::CorruptRow {
                        id: paper_id,
                        reason: "an embedding is not whole f32s".into(),
                    });
                }
                let vector = bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                Ok(StoredEmbedding {
                    seq: row.try_get("seq")?,
                    paper_id,
                    vector,
                })
            })
            .collect()
    }

    async fn embedding_coverage(&self, model: &str) -> Result<(u64, u64), StoreError> {
        let pool = &self.pool;
        let row = sqlx::query(
            "SELECT COUNT(*) AS papers, COUNT(e.paper_id) AS embedded FROM papers p \
             LEFT JOIN paper_embeddings e ON e.paper_id = p.id AND e.model = $1 WHERE NOT p.hidden",
        )
        .bind(model)
        .fetch_one(pool)
        .await?;
        let count = |name: &str| -> Result<u64, StoreError> { Ok(row.try_get::<i64, _>(name)?.max(0) as u64) };
        Ok((count("papers")?, count("embedded")?))
    }
}
