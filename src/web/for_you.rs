//! `GET /api/me/for-you`: a member's list of a day, week or month in the `/api/daily_papers`
//! shape, each item with its reason. Token or session auth; the list is the member's alone.

use axum::Json;
use axum::extract::{Query, State};
use paperboy_core::Period;

use super::api_json::{ErrorJson, ForYouItemJson, ForYouParams, daily_paper_item, parse_number};
use super::error::{ApiError, AppError};
use super::forms::period_param;
use super::guard::ApiCaller;
use super::state::AppState;
use crate::for_you::rank::Reason;
use crate::lists::MAX_PAGE;

/// The kind of a reason, as the API names it.
pub fn reason_kind(reason: &Reason) -> &'static str {
    match reason {
        Reason::Saved { .. } => "saved",
        Reason::Upvoted { .. } => "upvoted",
        Reason::Author { .. } => "author",
        Reason::Search { .. } => "search",
        Reason::Category { .. } => "category",
        Reason::Community { .. } => "community",
    }
}

/// Your papers of a day, week or month, ranked for you from what you saved, upvoted and
/// followed (the community's trending list until you have done any of that).
#[utoipa::path(
    get,
    path = "/api/me/for-you",
    params(ForYouParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Your list, best first", body = [ForYouItemJson]),
        (status = 400, description = "A parameter does not hold", body = ErrorJson),
        (status = 401, description = "No valid token or session", body = ErrorJson),
        (status = 403, description = "The session's request came from another site", body = ErrorJson),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorJson),
    )
)]
pub async fn api(
    ApiCaller(user): ApiCaller,
    State(state): State<AppState>,
    Query(params): Query<ForYouParams>,
) -> Result<Json<Vec<ForYouItemJson>>, ApiError> {
    let bad = |message: String| ApiError(AppError::bad_request(message));
    let period = period_param(params.date.as_deref(), params.week.as_deref(), params.month.as_deref()).map_err(bad)?;
    let Some(period) = (match period {
        Some(period) => Some(period),
        None => state.store.latest_listing_day().await?.map(Period::Day),
    }) else {
        return Ok(Json(Vec::new()));
    };
    let limit = parse_number(params.limit.as_deref(), 50, 1, 100, "limit")?;
    let page = parse_number(params.p.as_deref(), 0, 0, MAX_PAGE - 1, "p")?;
    let list = state
        .for_you
        .page(user.id, period, page + 1, limit)
        .await
        .map_err(|error| ApiError(AppError::internal(error)))?;
    let items = list
        .list
        .entries
        .iter()
        .zip(list.reasons.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(entry, reason)| {
            let reason = reason.cloned().flatten().unwrap_or(Reason::Community {
                votes: entry.score.votes(),
            });
            ForYouItemJson {
                item: daily_paper_item(entry, &state.settings.trending),
                reason: reason.to_string(),
                reason_kind: reason_kind(&reason).to_owned(),
            }
        })
        .collect();
    Ok(Json(items))
}
