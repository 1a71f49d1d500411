//! The API's answers as types, and the OpenAPI document generated from them and from the
//! handlers' `#[utoipa::path]` annotations: what is served is what is declared, because the
//! handlers serialise these very types.

use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

/// A paper in Hugging Face's `paper` shape, with its trending score and the score's inputs.
/// What is not known is left out, never sent as `null`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaperJson {
    /// The arXiv id, without a version.
    #[schema(example = "2601.23265")]
    pub id: String,
    pub authors: Vec<AuthorJson>,
    /// When the first version was submitted to arXiv.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, nullable = false)]
    pub published_at: Option<String>,
    /// The day Hugging Face's daily list featured the paper, else the day it was listed here.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, nullable = false)]
    pub submitted_on_daily_at: Option<String>,
    pub title: String,
    pub summary: String,
    /// Imported (Hugging Face) plus this instance's votes.
    pub upvotes: i64,
    /// arXiv categories, the primary one first.
    pub categories: Vec<String>,
    pub trending_score: f64,
    pub trending: TrendingJson,
    /// The paper's repository: the one its authors named on Hugging Face, else the first found.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub github_repo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub project_page: Option<String>,
    /// Hugging Face's AI summary, when imported.
    #[serde(rename = "ai_summary", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ai_summary: Option<String>,
    /// Hugging Face's AI keywords, when imported.
    #[serde(rename = "ai_keywords", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ai_keywords: Option<Vec<String>>,
    /// Who put the paper on Hugging Face's daily list.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub submitted_on_daily_by: Option<UserJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorJson {
    pub name: String,
    pub hidden: bool,
}

/// A trending score and what it was computed from.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrendingJson {
    pub score: f64,
    pub imported_votes: i64,
    pub local_votes: i64,
    /// GitHub stars the paper's repository gained over the last week.
    pub star_growth: i64,
    pub age_hours: f64,
    pub gravity: f64,
    pub age_offset_hours: f64,
    pub star_weight: f64,
    #[schema(
        example = "(importedVotes + localVotes + starWeight * max(starGrowth, 0) + 1) / (ageHours + ageOffsetHours) ^ gravity"
    )]
    pub formula: String,
}

/// A user in Hugging Face's shape (`huggingface_hub`'s `User`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    /// The handle.
    pub user: String,
    pub name: String,
    pub fullname: String,
    /// Always `user`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub avatar_url: Option<String>,
}

/// One item of `/api/daily_papers`, as Hugging Face answers it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DailyPaperJson {
    /// The paper's daily date (Hugging Face's where it featured the paper).
    #[schema(format = DateTime)]
    pub published_at: String,
    pub title: String,
    pub summary: String,
    pub num_comments: i64,
    pub is_author_participating: bool,
    pub paper: PaperJson,
    /// A member of this instance who submitted the paper, else the Hugging Face user who did.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub submitted_by: Option<UserJson>,
    /// Hugging Face's social thumbnail.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub thumbnail: Option<String>,
}

/// Every `/api/*` error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorJson {
    /// What was wrong, for a person.
    pub error: String,
    /// The HTTP status again.
    pub status: u16,
}

/// A vote's result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VoteJson {
    pub id: String,
    pub upvotes: i64,
    pub local_votes: i64,
    /// Whether the caller now votes for the paper.
    pub voted: bool,
}

/// Which of the asked papers the signed-in reader voted for.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyVotesJson {
    pub signed_in: bool,
    pub voted: Vec<String>,
}

/// `POST /api/papers/index`'s body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IndexRequest {
    /// Any arXiv id form: 2503.11677, arXiv:2503.11677v2, https://arxiv.org/abs/…
    #[serde(rename = "arxivId")]
    #[schema(min_length = 1, max_length = 200, example = "2503.11677")]
    pub arxiv_id: String,
}

/// A paper put on today's list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndexedJson {
    pub id: String,
    #[schema(format = Date)]
    pub listing_date: String,
    pub submitted_by: String,
}

/// arXiv is slow: the paper is fetched in the background; poll its URL (`Location`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingJson {
    pub id: String,
    /// `pending` (arXiv is slow to answer) or `retrying` (arXiv could not be reached; asked again
    /// in the background).
    pub status: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryJson {
    #[schema(example = "cs.CL")]
    pub code: String,
    #[schema(example = "Computation and Language")]
    pub name: String,
}

/// The `{id}` of `/api/papers/{id}` and its upvote.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PaperIdPath {
    /// An arXiv id: 2503.11677, arXiv:2503.11677v2, hep-th/9901001.
    #[param(
        pattern = r"^(arXiv:)?(\d{2}(0[1-9]|1[0-2])\.\d{4,5}|[a-z]+(-[a-z]+)*(\.[A-Z]{2})?/\d{2}(0[1-9]|1[0-2])\d{3})(v[1-9]\d{0,3})?$"
    )]
    #[allow(dead_code)] // Read from the path by axum, as text; declared here for the document.
    pub id: String,
}

/// The query of `/api/daily_papers`, with the values each parameter takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyPapersParams {
    /// A day (Hugging Face's daily date where it featured a paper). Default: the latest day.
    #[param(value_type = Option<String>, format = Date)]
    pub date: Option<String>,
    /// An ISO week.
    #[param(value_type = Option<String>, pattern = r"^\d{4}-W\d{2}$", example = "2026-W07")]
    pub week: Option<String>,
    /// A month.
    #[param(value_type = Option<String>, pattern = r"^\d{4}-\d{2}$", example = "2026-02")]
    pub month: Option<String>,
    /// publishedAt (Hugging Face's default; `new` is the same), trending or top.
    #[param(value_type = Option<DailySort>)]
    pub sort: Option<String>,
    /// An arXiv category (cs.CL) or archive (cs); cross-lists count.
    #[param(value_type = Option<String>, pattern = r"^[a-z-]+(\.[A-Za-z-]+)?$", example = "cs.CL")]
    pub cat: Option<String>,
    /// The page, from 0.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 10000)]
    pub p: Option<String>,
    /// Papers per page (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Only papers submitted by this member (display name) or Hugging Face user.
    #[param(value_type = Option<String>, max_length = 100)]
    pub submitter: Option<String>,
}

/// The orders `/api/daily_papers` knows.
#[derive(ToSchema)]
#[schema(as = DailySort)]
#[allow(dead_code)] // a schema only: the handler parses the text itself, to name bad values
pub enum DailySort {
    #[schema(rename = "publishedAt")]
    PublishedAt,
    #[schema(rename = "new")]
    New,
    #[schema(rename = "trending")]
    Trending,
    #[schema(rename = "top")]
    Top,
}

/// The two ways to call the write endpoints.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // The derive tags each operation with its Rust module; that is no help to a reader.
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.delete,
                &mut item.put,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                operation.tags = None;
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token, made on the account page"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "paperboy_session",
                "The session cookie of a signed-in browser",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Paperboy API",
        version = "1",
        description = "Daily arXiv papers ranked by the community. /api/daily_papers and /api/papers/{id} answer in the shape and with the semantics of Hugging Face's API of the same names, so daily-papers clients work unchanged; each paper also carries trendingScore and the inputs it was computed from. Every error is {\"error\": …, \"status\": …}."
    ),
    paths(
        super::api::daily_papers,
        super::search::api,
        super::api::paper,
        super::api::openapi,
        super::api::categories,
        super::submit::api_index,
        super::votes::api_upvote,
        super::votes::api_unvote,
        super::votes::my_votes,
    ),
    components(schemas(DailySort, super::search::SearchMode, super::search::SearchSort)),
    modifiers(&Security)
)]
pub struct ApiDoc;

/// The document, made once.
pub fn document() -> &'static str {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".to_owned()))
}
