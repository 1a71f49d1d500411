//! The API's JSON: its answers as types (with the schemas the OpenAPI document is generated
//! from; what is served is what is declared, because the handlers serialise these very types),
//! and how papers, scores and refusals become them.

use crate::lists::Entry;
use crate::web::error::{ApiError, AppError};
use crate::web::state::AppState;
use axum::response::{IntoResponse, Response};
use paperboy_core::{ArxivId, Attention, Date, Paper, TrendingScore, announcement_time};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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
    /// Comments others can read in the paper's discussion (not deleted, not hidden).
    pub num_comments: i64,
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
    /// Which of them are in the reader's library.
    pub saved: Vec<String>,
    /// The reader's public profile id (`/users/<profile>`), so a page cached for everyone can
    /// offer edit and delete on the reader's own comments.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub profile: Option<String>,
    /// Which of the asked comments the reader upvoted.
    pub comment_votes: Vec<i64>,
}

/// One of a member's collections.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionJson {
    pub id: i64,
    pub name: String,
    /// Whether it is "Saved", where `PUT /api/me/library/{id}` files papers.
    pub is_default: bool,
    /// How many papers it holds.
    pub papers: i64,
    /// Whether it is published (private otherwise).
    pub published: bool,
}

/// A member's collections, in their order.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryJson {
    pub collections: Vec<CollectionJson>,
}

/// Where a paper is in the caller's library after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedJson {
    pub id: String,
    /// Whether the paper is in any of the caller's collections.
    pub saved: bool,
    /// The ids of the collections that hold it.
    pub collections: Vec<i64>,
}

/// A paper as a collection lists it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FiledPaperJson {
    pub id: String,
    pub title: String,
    /// When it was filed (RFC 3339).
    pub filed_at: String,
}

/// A collection and a page of its papers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionPapersJson {
    pub collection: CollectionJson,
    pub papers: Vec<FiledPaperJson>,
}

/// The body of `POST /api/me/collections`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCollectionRequest {
    /// 1 to 100 characters once trimmed, no control characters.
    #[schema(min_length = 1, max_length = 100, example = "Reading group")]
    pub name: String,
}

/// The body of `PATCH /api/me/collections/{id}`: what to change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CollectionChangeRequest {
    /// A new name: 1 to 100 characters once trimmed, no control characters.
    #[schema(min_length = 1, max_length = 100, example = "Journal club")]
    pub name: Option<String>,
    /// Where to move the collection among the others than "Saved", from 0.
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 10000)]
    pub position: Option<f64>,
}

/// One thing a member follows.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowJson {
    /// author, category or search.
    pub kind: String,
    pub value: String,
    /// Off, it is kept but feeds nothing.
    pub active: bool,
}

/// What a member follows.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowsJson {
    pub follows: Vec<FollowJson>,
}

/// The body of `PATCH /api/me/follows/{kind}/{value}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FollowActiveRequest {
    pub active: bool,
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
    /// Most discussed first: comments weighted by recency.
    #[schema(rename = "discussed")]
    Discussed,
}

/// The API takes a parameter with a value or not at all: `cat=` is a mistake to name, not a
/// silent "any category" (the site's forms, which send empty fields, are more forgiving).
pub(crate) fn no_empty_parameters(pairs: &[(String, String)]) -> Result<(), ApiError> {
    match pairs.iter().find(|(_, value)| value.is_empty()) {
        Some((name, _)) => Err(ApiError(AppError::bad_request(format!(
            "{name} is empty: give it a value or leave it out"
        )))),
        None => Ok(()),
    }
}

pub(crate) fn iso(date: Date) -> String {
    // Hugging Face writes milliseconds and Z: 2026-02-02T00:00:00.000Z.
    announcement_time(date).strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// A paper in Hugging Face's `paper` shape, with the trending score and its inputs added.
pub(crate) fn paper_object(
    paper: &Paper,
    score: &TrendingScore,
    daily_date: Option<Date>,
    parameters: &paperboy_core::TrendingParameters,
    num_comments: i64,
) -> PaperJson {
    let first_of = |host: paperboy_core::CodeHost| {
        paper
            .code_links
            .iter()
            .find(|link| link.host == host)
            .map(|link| link.url.clone())
    };
    let hugging_face = paper.hugging_face.as_ref();
    PaperJson {
        id: paper.id.to_string(),
        authors: paper
            .authors
            .iter()
            .map(|name| AuthorJson {
                name: name.clone(),
                hidden: false,
            })
            .collect(),
        published_at: paper.first_version_date.or(paper.first_listed()).map(iso),
        submitted_on_daily_at: daily_date.map(iso),
        title: paper.title.clone(),
        summary: paper.abstract_text.clone(),
        upvotes: score.votes(),
        categories: paper.categories.iter().map(|c| c.to_string()).collect(),
        trending_score: score.score,
        trending: TrendingJson {
            score: score.score,
            imported_votes: score.imported_votes,
            local_votes: score.local_votes,
            star_growth: score.star_growth,
            age_hours: score.age_hours,
            gravity: parameters.gravity,
            age_offset_hours: parameters.age_offset_hours,
            star_weight: parameters.star_weight,
            formula: "(importedVotes + localVotes + starWeight * max(starGrowth, 0) + 1) / (ageHours + ageOffsetHours) ^ gravity"
                .to_owned(),
        },
        github_repo: first_of(paperboy_core::CodeHost::Github),
        project_page: first_of(paperboy_core::CodeHost::ProjectPage),
        ai_summary: hugging_face.and_then(|hf| hf.ai_summary.clone()),
        ai_keywords: hugging_face
            .filter(|hf| !hf.ai_keywords.is_empty())
            .map(|hf| hf.ai_keywords.clone()),
        submitted_on_daily_by: hugging_face.and_then(|hf| hf.submitted_by.as_ref()).map(user_object),
        num_comments,
    }
}

/// An HF user object (`huggingface_hub`'s `User`): `user` is the handle, `fullname` the name.
pub(crate) fn user_object(user: &paperboy_core::HuggingFaceUser) -> UserJson {
    UserJson {
        user: user.name.clone(),
        name: user.name.clone(),
        fullname: user.fullname.clone().unwrap_or_else(|| user.name.clone()),
        kind: "user".to_owned(),
        avatar_url: user.avatar_url.clone(),
    }
}

pub(crate) fn hugging_face_submitter(paper: &Paper) -> Option<&paperboy_core::HuggingFaceUser> {
    paper.hugging_face.as_ref()?.submitted_by.as_ref()
}

pub(crate) fn daily_paper_item(entry: &Entry, parameters: &paperboy_core::TrendingParameters) -> DailyPaperJson {
    // A member of this instance who submitted it, else the HF user who did; absent if neither.
    let submitted_by = match &entry.submitted_by {
        Some(name) => Some(user_object(&paperboy_core::HuggingFaceUser {
            name: name.clone(),
            fullname: None,
            avatar_url: None,
        })),
        None => hugging_face_submitter(&entry.paper).map(user_object),
    };
    DailyPaperJson {
        published_at: iso(entry.listed),
        title: entry.paper.title.clone(),
        summary: entry.paper.abstract_text.clone(),
        num_comments: entry.comments,
        is_author_participating: false,
        paper: paper_object(
            &entry.paper,
            &entry.score,
            Some(entry.listed),
            parameters,
            entry.comments,
        ),
        submitted_by,
        thumbnail: entry.paper.hugging_face.as_ref().and_then(|hf| hf.thumbnail.clone()),
    }
}

/// Papers' trending scores now, with this instance's votes and their repositories' star
/// growth (two queries, however many papers), and the days they were first listed.
pub(crate) async fn scores_now(
    state: &AppState,
    papers: &[Paper],
) -> Result<Vec<(TrendingScore, Option<Date>)>, paperboy_store::StoreError> {
    let ids: Vec<ArxivId> = papers.iter().map(|paper| paper.id.clone()).collect();
    let local_votes = state.store.local_votes(&ids).await?;
    let stars: std::collections::HashMap<ArxivId, i64> = state
        .store
        .star_counts(&ids)
        .await?
        .into_iter()
        .map(|(id, count)| (id, count.growth))
        .collect();
    let now = crate::clock::now();
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    Ok(papers
        .iter()
        .zip(local_votes)
        .map(|(paper, (_, local_votes))| {
            let attention = Attention {
                imported_votes: paper.imported_votes(),
                local_votes,
                star_growth: stars.get(&paper.id).copied().unwrap_or(0),
            };
            let listed = paper.first_listed();
            let announced = listed.or(paper.first_version_date).unwrap_or(today);
            (state.settings.trending.score(attention, announced, now), listed)
        })
        .collect())
}

/// 405 with the methods the route has (RFC 9110 §15.5.6); the edge gives it the JSON body.
pub fn method_not_allowed(allow: &'static str) -> Response {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        [(axum::http::header::ALLOW, allow)],
    )
        .into_response()
}

/// One item of `/api/me/for-you`: a `/api/daily_papers` item with why it is on your list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForYouItemJson {
    #[serde(flatten)]
    pub item: DailyPaperJson,
    /// Why the paper is on your list, for a person ("Because you saved “…”").
    #[schema(example = "By Yann LeCun, whom you follow")]
    pub reason: String,
    /// The kind of reason: saved, upvoted, author, search, category or community (the list is
    /// the community's until you save, upvote or follow something).
    pub reason_kind: String,
}

/// The query of `/api/me/for-you`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForYouParams {
    /// A day. Default: the latest listing day.
    #[param(value_type = Option<String>, format = Date)]
    pub date: Option<String>,
    /// An ISO week.
    #[param(value_type = Option<String>, pattern = r"^\d{4}-W\d{2}$", example = "2026-W07")]
    pub week: Option<String>,
    /// A month.
    #[param(value_type = Option<String>, pattern = r"^\d{4}-\d{2}$", example = "2026-02")]
    pub month: Option<String>,
    /// The page, from 0.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 10000)]
    pub p: Option<String>,
    /// Papers per page (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

/// A whole-number query parameter within bounds; the error names it and the bounds.
pub fn parse_number(text: Option<&str>, default: u32, min: u32, max: u32, name: &str) -> Result<u32, ApiError> {
    match text {
        None => Ok(default),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                ApiError(AppError::bad_request(format!(
                    "{name} must be a whole number from {min} to {max}, not {text:?}"
                )))
            }),
    }
}

pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// A request body read as the object its schema says it is: serde would also take an array of
/// the fields in order, which no client means.
pub fn object_body<T: serde::de::DeserializeOwned>(body: JsonObject) -> Result<T, super::error::AppError> {
    serde_json::from_value(serde_json::Value::Object(body)).map_err(|error| {
        super::error::AppError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!("the body does not fit its schema: {error}"),
        )
    })
}
