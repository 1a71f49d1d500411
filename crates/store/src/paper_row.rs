//! A paper as database columns, the same for every backend: lists become JSON text, dates
//! `YYYY-MM-DD` text, so that SQLite and PostgreSQL store and compare them alike.

use paperboy_core::{ArxivId, Category, CodeLink, CommunityVotes, Date, Paper};

use crate::StoreError;

/// Columns of the `papers` table, in the order `COLUMNS` lists them.
#[derive(Debug, sqlx::FromRow)]
pub struct PaperRow {
    pub id: String,
    pub latest_version: Option<i64>,
    pub title: String,
    #[sqlx(rename = "abstract")]
    pub abstract_text: String,
    pub authors: String,
    pub primary_category: Option<String>,
    pub categories: String,
    pub comment: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    pub license: Option<String>,
    pub first_version_date: Option<String>,
    pub latest_version_date: Option<String>,
    pub listing_dates: String,
    pub first_listed: Option<String>,
    pub code_links: String,
    pub code_link_count: i64,
    pub community_votes: String,
    pub imported_votes: Option<i64>,
    pub hugging_face: Option<String>,
    pub hf_daily_date: Option<String>,
}

pub const COLUMNS: &[&str] = &[
    "id",
    "latest_version",
    "title",
    "abstract",
    "authors",
    "primary_category",
    "categories",
    "comment",
    "journal_ref",
    "doi",
    "license",
    "first_version_date",
    "latest_version_date",
    "listing_dates",
    "first_listed",
    "code_links",
    "code_link_count",
    "community_votes",
    "imported_votes",
    "hugging_face",
    "hf_daily_date",
];

impl PaperRow {
    pub fn from_paper(paper: &Paper) -> PaperRow {
        PaperRow {
            id: paper.id.to_string(),
            latest_version: paper.latest_version.map(i64::from),
            title: paper.title.clone(),
            abstract_text: paper.abstract_text.clone(),
            authors: json(&paper.authors),
            primary_category: paper.primary_category.as_ref().map(Category::to_string),
            categories: json(&paper.categories),
            comment: paper.comment.clone(),
            journal_ref: paper.journal_ref.clone(),
            doi: paper.doi.clone(),
            license: paper.license.clone(),
            first_version_date: paper.first_version_date.map(|date| date.to_string()),
            latest_version_date: paper.latest_version_date.map(|date| date.to_string()),
            listing_dates: json(&paper.listing_dates),
            first_listed: paper.first_listed().map(|date| date.to_string()),
            code_links: json(&paper.code_links),
            code_link_count: paper.code_links.len() as i64,
            community_votes: json(&paper.community_votes),
            imported_votes: (!paper.community_votes.is_empty()).then(|| paper.imported_votes()),
            hugging_face: paper.hugging_face.as_ref().map(json),
            hf_daily_date: paper.hugging_face_daily_date().map(|date| date.to_string()),
        }
    }

    pub fn into_paper(self) -> Result<Paper, StoreError> {
        let id_text = self.id.clone();
        let corrupt = |reason: String| StoreError::CorruptRow {
            id: id_text.clone(),
            reason,
        };
        let id = ArxivId::parse(&self.id).map_err(|error| corrupt(error.to_string()))?;
        let date = |column: &str, text: Option<String>| -> Result<Option<Date>, StoreError> {
            text.map(|text| {
                text.parse::<Date>()
                    .map_err(|error| corrupt(format!("{column}: {error}")))
            })
            .transpose()
        };
        let authors: Vec<String> = decode_json(&id_text, "authors", &self.authors)?;
        let categories: Vec<Category> = decode_json(&id_text, "categories", &self.categories)?;
        let listing_dates = decode_json(&id_text, "listing_dates", &self.listing_dates)?;
        let code_links: Vec<CodeLink> = decode_json(&id_text, "code_links", &self.code_links)?;
        let community_votes: Vec<CommunityVotes> = decode_json(&id_text, "community_votes", &self.community_votes)?;
        let hugging_face = self
            .hugging_face
            .map(|text| decode_json(&id_text, "hugging_face", &text))
            .transpose()?;
        let primary_category = self
            .primary_category
            .map(|code| Category::parse(&code).map_err(|error| corrupt(error.to_string())))
            .transpose()?;
        Ok(Paper {
            id,
            latest_version: self.latest_version.and_then(|v| u32::try_from(v).ok()),
            title: self.title,
            abstract_text: self.abstract_text,
            authors,
            primary_category,
            categories,
            comment: self.comment,
            journal_ref: self.journal_ref,
            doi: self.doi,
            license: self.license,
            first_version_date: date("first_version_date", self.first_version_date)?,
            latest_version_date: date("latest_version_date", self.latest_version_date)?,
            listing_dates,
            code_links,
            community_votes,
            hugging_face,
        })
    }
}

/// Serialises the lists we store; plain data like these cannot fail to serialise.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(id: &str, column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::CorruptRow {
        id: id.to_owned(),
        reason: format!("{column}: {error}"),
    })
}
