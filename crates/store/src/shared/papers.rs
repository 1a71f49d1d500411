// Papers and the lists they are on: merging imports, reading papers, the candidates a list ranks.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;
use paperboy_core::{ArxivId, Category, Date, DayBasis, Paper, RankCandidate};
use sqlx::{QueryBuilder, Row};
use std::sync::LazyLock;

use super::dialect::{Backend, CODE_LINKS, Connection, Db, MAX_BINDS, write_transaction};
use crate::paper_row::{COLUMNS, PaperRow};
use crate::{ContentVersion, MergeSummary, PaperStore, PaperTotals, StoreError, StoreStats, fold_duplicates};

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
        query.push(STAR_GROWTH_COLUMN.as_str()).push(
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
                    discussion: 0.0,
                })
            })
            .collect()
    }
}

#[async_trait]
impl PaperStore for Backend {
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
}

/// Merges records into what the transaction sees (see [`Store::merge_papers`]).
pub(super) async fn merge_in(connection: &mut Connection, records: Vec<Paper>) -> Result<MergeSummary, StoreError> {
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

pub(super) async fn bump_content_version(connection: &mut Connection) -> Result<(), StoreError> {
    sqlx::query("UPDATE content_version SET version = version + 1, changed_at = $1 WHERE id = 1")
        .bind(jiff::Timestamp::now().as_second())
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// A paper's largest weekly star growth among its GitHub links (0 without any), for ranking.
pub static STAR_GROWTH_COLUMN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "CASE WHEN p.code_link_count > 0 THEN COALESCE((SELECT MAX(r.growth) \
         FROM {CODE_LINKS} j JOIN repo_stars r ON r.url = (j.value->>'url') AND r.gone = FALSE), 0) \
         ELSE 0 END AS star_growth"
    )
});
