// What rankings kept in memory read (see `crate::rankings`).
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use std::collections::HashMap;

use async_trait::async_trait;
use paperboy_core::{ArxivId, Attention, Date, RankRecord};
use sqlx::{QueryBuilder, Row};

use super::dialect::{Backend, Db, MAX_BINDS};
use super::papers::STAR_GROWTH_COLUMN;
use crate::paper_row::decode_json;
use crate::{RankingStore, StoreError};

/// The papers a read is about, as SQL that selects their ids.
enum Wanted<'a> {
    /// Listed, submitted or featured on a day of the range.
    Days(Date, Date),
    Ids(&'a [String]),
}

impl Wanted<'_> {
    /// `paper_id IN (…)`, for the column `column`.
    fn push_filter(&self, query: &mut QueryBuilder<Db>, column: &str) {
        query.push(format!("{column} IN ("));
        match self {
            Wanted::Days(first, last) => {
                let (first, last) = (first.to_string(), last.to_string());
                query
                    .push("SELECT paper_id FROM paper_listings WHERE listing_date BETWEEN ")
                    .push_bind(first.clone())
                    .push(" AND ")
                    .push_bind(last.clone());
                query
                    .push(" UNION SELECT paper_id FROM submissions WHERE listing_date BETWEEN ")
                    .push_bind(first.clone())
                    .push(" AND ")
                    .push_bind(last.clone())
                    .push(" AND NOT hidden AND user_id NOT IN (SELECT id FROM users WHERE role = 'banned')");
                query
                    .push(" UNION SELECT id FROM papers WHERE hf_daily_date BETWEEN ")
                    .push_bind(first)
                    .push(" AND ")
                    .push_bind(last);
            }
            Wanted::Ids(ids) => {
                let mut separated = query.separated(", ");
                for id in ids.iter() {
                    separated.push_bind(id.clone());
                }
            }
        }
        query.push(")");
    }
}

impl Backend {
    /// The papers' rows give their listing days and categories (the JSON columns the list
    /// tables are filled from, in the same transaction): one read of each paper, not three.
    async fn read_rank_records(&self, wanted: Wanted<'_>) -> Result<Vec<RankRecord>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT p.id AS id, p.hf_daily_date AS hf_daily_date, COALESCE(p.imported_votes, 0) AS imported_votes, \
             p.local_votes AS local_votes, p.listing_dates AS listing_dates, p.categories AS categories, ",
        );
        query
            .push(STAR_GROWTH_COLUMN.as_str())
            .push(" FROM papers p WHERE NOT p.hidden AND ");
        wanted.push_filter(&mut query, "p.id");
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut records = Vec::with_capacity(rows.len());
        let mut position: HashMap<String, usize> = HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id")?;
            let corrupt = |reason: String| StoreError::CorruptRow { id: id.clone(), reason };
            let featured: Option<String> = row.try_get("hf_daily_date")?;
            let hugging_face_day = featured
                .map(|text| text.parse::<Date>())
                .transpose()
                .map_err(|error| corrupt(error.to_string()))?;
            let listing_dates: String = row.try_get("listing_dates")?;
            let categories: String = row.try_get("categories")?;
            position.insert(id.clone(), records.len());
            records.push(RankRecord {
                days: decode_json(&id, "listing_dates", &listing_dates)?,
                categories: decode_json(&id, "categories", &categories)?,
                id: ArxivId::parse(&id).map_err(|error| corrupt(error.to_string()))?,
                hugging_face_day,
                attention: Attention {
                    imported_votes: row.try_get("imported_votes")?,
                    local_votes: row.try_get("local_votes")?,
                    star_growth: row.try_get("star_growth")?,
                },
            });
        }
        if records.is_empty() {
            return Ok(records);
        }

        // Members' submissions are days of their own, unless hidden or the member is banned.
        let mut query = QueryBuilder::<Db>::new(
            "SELECT paper_id, listing_date FROM submissions WHERE NOT hidden \
             AND user_id NOT IN (SELECT id FROM users WHERE role = 'banned') AND ",
        );
        wanted.push_filter(&mut query, "paper_id");
        for row in query.build().fetch_all(&self.pool).await? {
            let id: String = row.try_get("paper_id")?;
            let Some(&at) = position.get(&id) else { continue };
            let day: String = row.try_get("listing_date")?;
            let day = day.parse::<Date>().map_err(|error| StoreError::CorruptRow {
                id: id.clone(),
                reason: error.to_string(),
            })?;
            records[at].days.push(day);
        }
        for record in &mut records {
            record.days.sort_unstable();
            record.days.dedup();
            record.categories.sort_unstable();
        }
        Ok(records)
    }
}

#[async_trait]
impl RankingStore for Backend {
    async fn rank_records_listed(&self, first: Date, last: Date) -> Result<Vec<RankRecord>, StoreError> {
        self.read_rank_records(Wanted::Days(first, last)).await
    }

    async fn rank_records(&self, ids: &[String]) -> Result<Vec<RankRecord>, StoreError> {
        let mut records = Vec::with_capacity(ids.len());
        // Each read binds the ids twice.
        for chunk in ids.chunks(MAX_BINDS / 2) {
            records.extend(self.read_rank_records(Wanted::Ids(chunk)).await?);
        }
        Ok(records)
    }

    async fn ranking_epoch(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT epoch FROM ranking_epoch WHERE id = 1")
            .fetch_one(&self.pool)
            .await?)
    }
}
