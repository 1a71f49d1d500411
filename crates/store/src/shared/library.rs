// A member's library: collections, the papers filed in them, notes. Every change runs under the
// write lock, so positions and the one default collection per member hold under races.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::ArxivId;
use sqlx::{QueryBuilder, Row};

use super::dialect::{Backend, Connection, Db, DbRow, MAX_BINDS, write_transaction};
use crate::library::DEFAULT_COLLECTION;
use crate::{AccountStore, Collection, CollectionChange, Filing, LibraryStore, Role, Shelf, StoreError, User};

const COLLECTION_COLUMNS: &str = "c.id, c.user_id, c.name, c.position, c.is_default, c.public_id, c.created_at, \
     (SELECT COUNT(*) FROM collection_papers f JOIN papers p ON p.id = f.paper_id \
      WHERE f.collection_id = c.id AND NOT p.hidden) AS papers";

fn collection_row(row: &DbRow) -> Result<Collection, StoreError> {
    Ok(Collection {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        position: row.try_get("position")?,
        is_default: row.try_get("is_default")?,
        public_id: row.try_get("public_id")?,
        created_at: row.try_get("created_at")?,
        papers: row.try_get("papers")?,
    })
}

async fn collection_where(
    connection: &mut Connection,
    user_id: i64,
    shelf: Shelf,
) -> Result<Option<Collection>, StoreError> {
    let row = match shelf {
        Shelf::Default => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLLECTION_COLUMNS} FROM collections c WHERE c.user_id = $1 AND c.is_default"
            )))
            .bind(user_id)
            .fetch_optional(&mut *connection)
            .await?
        }
        Shelf::Collection(id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLLECTION_COLUMNS} FROM collections c WHERE c.user_id = $1 AND c.id = $2"
            )))
            .bind(user_id)
            .bind(id)
            .fetch_optional(&mut *connection)
            .await?
        }
    };
    row.as_ref().map(collection_row).transpose()
}

/// The id of the member's collection `shelf`; the default one is made if `make_default`.
async fn shelf_id(
    connection: &mut Connection,
    user_id: i64,
    shelf: Shelf,
    make_default: bool,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    if shelf == Shelf::Default && make_default {
        // "Saved" is no other collection's name, so the only conflict is the default itself.
        sqlx::query(
            "INSERT INTO collections (user_id, name, position, is_default, created_at) \
             VALUES ($1, $2, 0, TRUE, $3) ON CONFLICT (user_id, name) DO NOTHING",
        )
        .bind(user_id)
        .bind(DEFAULT_COLLECTION)
        .bind(now)
        .execute(&mut *connection)
        .await?;
    }
    Ok(collection_where(connection, user_id, shelf)
        .await?
        .map(|collection| collection.id))
}

async fn paper_exists(connection: &mut Connection, paper: &ArxivId) -> Result<bool, StoreError> {
    Ok(sqlx::query("SELECT 1 FROM papers WHERE id = $1")
        .bind(paper.as_str())
        .fetch_optional(&mut *connection)
        .await?
        .is_some())
}

/// Whether another collection of the member's than `except` is called `name`.
async fn name_taken(connection: &mut Connection, user_id: i64, name: &str, except: i64) -> Result<bool, StoreError> {
    if name == DEFAULT_COLLECTION {
        return Ok(true);
    }
    Ok(
        sqlx::query("SELECT 1 FROM collections WHERE user_id = $1 AND name = $2 AND id <> $3")
            .bind(user_id)
            .bind(name)
            .bind(except)
            .fetch_optional(&mut *connection)
            .await?
            .is_some(),
    )
}

#[async_trait]
impl LibraryStore for Backend {
    async fn collections(&self, user_id: i64) -> Result<Vec<Collection>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections c WHERE c.user_id = $1 \
             ORDER BY c.is_default DESC, c.position, c.id"
        )))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(collection_row).collect()
    }

    async fn collection(&self, user_id: i64, shelf: Shelf) -> Result<Option<Collection>, StoreError> {
        let mut connection = self.pool.acquire().await?;
        collection_where(&mut connection, user_id, shelf).await
    }

    async fn create_collection(&self, user_id: i64, name: &str, now: i64) -> Result<CollectionChange, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        if name_taken(&mut transaction, user_id, name, 0).await? {
            return Ok(CollectionChange::NameTaken);
        }
        let position: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM collections WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&mut *transaction)
                .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO collections (user_id, name, position, is_default, created_at) \
             VALUES ($1, $2, $3, FALSE, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(position)
        .bind(now)
        .fetch_one(&mut *transaction)
        .await?;
        let created = collection_where(&mut transaction, user_id, Shelf::Collection(id)).await?;
        transaction.commit().await?;
        Ok(created.map_or(CollectionChange::NotFound, CollectionChange::Done))
    }

    async fn rename_collection(&self, user_id: i64, id: i64, name: &str) -> Result<CollectionChange, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        match collection_where(&mut transaction, user_id, Shelf::Collection(id)).await? {
            Some(collection) if !collection.is_default => {}
            _ => return Ok(CollectionChange::NotFound),
        }
        if name_taken(&mut transaction, user_id, name, id).await? {
            return Ok(CollectionChange::NameTaken);
        }
        sqlx::query("UPDATE collections SET name = $1 WHERE id = $2 AND user_id = $3")
            .bind(name)
            .bind(id)
            .bind(user_id)
            .execute(&mut *transaction)
            .await?;
        let renamed = collection_where(&mut transaction, user_id, Shelf::Collection(id)).await?;
        transaction.commit().await?;
        Ok(renamed.map_or(CollectionChange::NotFound, CollectionChange::Done))
    }

    async fn move_collection(&self, user_id: i64, id: i64, position: usize) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let mut order: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM collections WHERE user_id = $1 AND NOT is_default ORDER BY position, id",
        )
        .bind(user_id)
        .fetch_all(&mut *transaction)
        .await?;
        let Some(at) = order.iter().position(|&other| other == id) else {
            return Ok(false);
        };
        order.remove(at);
        order.insert(position.min(order.len()), id);
        for (index, collection) in order.iter().enumerate() {
            sqlx::query("UPDATE collections SET position = $1 WHERE id = $2")
                .bind(index as i64 + 1)
                .bind(collection)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(true)
    }

    async fn delete_collection(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let owned = sqlx::query("SELECT 1 FROM collections WHERE id = $1 AND user_id = $2 AND NOT is_default")
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *transaction)
            .await?
            .is_some();
        if owned {
            sqlx::query("DELETE FROM collection_papers WHERE collection_id = $1")
                .bind(id)
                .execute(&mut *transaction)
                .await?;
            sqlx::query("DELETE FROM collections WHERE id = $1")
                .bind(id)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(owned)
    }

    async fn publish_collection(
        &self,
        user_id: i64,
        id: i64,
        public_id: Option<&str>,
    ) -> Result<Option<Collection>, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        sqlx::query("UPDATE collections SET public_id = $1 WHERE id = $2 AND user_id = $3")
            .bind(public_id)
            .bind(id)
            .bind(user_id)
            .execute(&mut *transaction)
            .await?;
        let collection = collection_where(&mut transaction, user_id, Shelf::Collection(id)).await?;
        transaction.commit().await?;
        Ok(collection)
    }

    async fn public_collection(&self, public_id: &str) -> Result<Option<(Collection, User)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections c WHERE c.public_id = $1"
        )))
        .bind(public_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(collection) = row.as_ref().map(collection_row).transpose()? else {
            return Ok(None);
        };
        Ok(match self.user(collection.user_id).await? {
            Some(maker) if maker.role != Role::Banned => Some((collection, maker)),
            _ => None,
        })
    }

    async fn file_paper(&self, user_id: i64, shelf: Shelf, paper: &ArxivId, now: i64) -> Result<Filing, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        if !paper_exists(&mut transaction, paper).await? {
            return Ok(Filing::UnknownPaper);
        }
        let Some(collection) = shelf_id(&mut transaction, user_id, shelf, true, now).await? else {
            return Ok(Filing::UnknownCollection);
        };
        let added = sqlx::query(
            "INSERT INTO collection_papers (collection_id, paper_id, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(collection)
        .bind(paper.as_str())
        .bind(now)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
        transaction.commit().await?;
        Ok(if added > 0 { Filing::Added } else { Filing::AlreadyThere })
    }

    async fn unfile_paper(&self, user_id: i64, shelf: Shelf, paper: &ArxivId) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let Some(collection) = shelf_id(&mut transaction, user_id, shelf, false, 0).await? else {
            return Ok(false);
        };
        let removed = sqlx::query("DELETE FROM collection_papers WHERE collection_id = $1 AND paper_id = $2")
            .bind(collection)
            .bind(paper.as_str())
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        transaction.commit().await?;
        Ok(removed > 0)
    }

    async fn collection_papers(
        &self,
        collection_id: i64,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<(ArxivId, i64)>, StoreError> {
        // A paper hidden by a moderator is in no list, a collection's included.
        let rows = sqlx::query(
            "SELECT f.paper_id, f.added_at FROM collection_papers f JOIN papers p ON p.id = f.paper_id \
             WHERE f.collection_id = $1 AND NOT p.hidden \
             ORDER BY f.added_at DESC, f.paper_id DESC LIMIT $2 OFFSET $3",
        )
        .bind(collection_id)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("paper_id")?;
                let paper = ArxivId::parse(&id).map_err(|error| StoreError::CorruptRow {
                    id: id.clone(),
                    reason: error.to_string(),
                })?;
                Ok((paper, row.try_get("added_at")?))
            })
            .collect()
    }

    async fn recently_saved(&self, user_id: i64, limit: u32) -> Result<Vec<ArxivId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT f.paper_id FROM collection_papers f JOIN collections c ON c.id = f.collection_id \
             WHERE c.user_id = $1 GROUP BY f.paper_id ORDER BY MAX(f.added_at) DESC, f.paper_id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.iter().filter_map(|id| ArxivId::parse(id).ok()).collect())
    }

    async fn saved_among(&self, user_id: i64, papers: &[ArxivId]) -> Result<Vec<ArxivId>, StoreError> {
        let mut saved = Vec::new();
        for chunk in papers.chunks(MAX_BINDS - 1) {
            let mut query = QueryBuilder::<Db>::new(
                "SELECT DISTINCT f.paper_id FROM collection_papers f JOIN collections c ON c.id = f.collection_id \
                 WHERE c.user_id = ",
            );
            query.push_bind(user_id).push(" AND f.paper_id IN (");
            let mut separated = query.separated(", ");
            for paper in chunk {
                separated.push_bind(paper.as_str());
            }
            query.push(")");
            let ids: Vec<String> = query.build_query_scalar().fetch_all(&self.pool).await?;
            saved.extend(
                papers
                    .iter()
                    .filter(|paper| ids.iter().any(|id| id == paper.as_str()))
                    .cloned(),
            );
        }
        Ok(saved)
    }

    async fn collections_holding(&self, user_id: i64, paper: &ArxivId) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT c.id FROM collections c JOIN collection_papers f ON f.collection_id = c.id \
             WHERE c.user_id = $1 AND f.paper_id = $2 ORDER BY c.is_default DESC, c.position, c.id",
        )
        .bind(user_id)
        .bind(paper.as_str())
        .fetch_all(&self.pool)
        .await?)
    }

    async fn set_note(&self, user_id: i64, paper: &ArxivId, note: &str, now: i64) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        if !paper_exists(&mut transaction, paper).await? {
            return Ok(false);
        }
        if note.is_empty() {
            sqlx::query("DELETE FROM paper_notes WHERE user_id = $1 AND paper_id = $2")
                .bind(user_id)
                .bind(paper.as_str())
                .execute(&mut *transaction)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO paper_notes (user_id, paper_id, note, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, paper_id) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at",
            )
            .bind(user_id)
            .bind(paper.as_str())
            .bind(note)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(true)
    }

    async fn notes(&self, user_id: i64) -> Result<Vec<(ArxivId, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT paper_id, note, updated_at FROM paper_notes WHERE user_id = $1 ORDER BY updated_at DESC, paper_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("paper_id")?;
                let paper = ArxivId::parse(&id).map_err(|error| StoreError::CorruptRow {
                    id: id.clone(),
                    reason: error.to_string(),
                })?;
                Ok((paper, row.try_get("note")?, row.try_get("updated_at")?))
            })
            .collect()
    }

    async fn note(&self, user_id: i64, paper: &ArxivId) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT note FROM paper_notes WHERE user_id = $1 AND paper_id = $2")
                .bind(user_id)
                .bind(paper.as_str())
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
