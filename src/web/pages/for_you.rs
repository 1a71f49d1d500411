//! `/for-you`: the signed-in member's list of a day, week or month, each paper with the reason
//! it is there. A member with nothing saved, upvoted or followed sees the community's trending
//! list and an invitation to start.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use paperboy_core::Period;
use serde::Deserialize;

use crate::lists::MAX_PAGE;
use crate::web::error::AppError;
use crate::web::forms::period_param;
use crate::web::guard::CurrentUser;
use crate::web::state::AppState;
use crate::web::views::{CardView, Layout, author_href, human_date};
use paperboy_store::FollowKind;

#[derive(Debug, Default, Deserialize)]
pub struct ForYouQuery {
    pub date: Option<String>,
    pub week: Option<String>,
    pub month: Option<String>,
    pub page: Option<String>,
}

/// One thing the member follows, with what its buttons post.
pub struct FollowView {
    pub kind: &'static str,
    pub value: String,
    /// How the page names it: an author's name, a category, a search's words.
    pub label: String,
    pub href: String,
    pub active: bool,
}

pub struct PeriodLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "for_you.html")]
struct ForYouPage {
    layout: Layout,
    heading: String,
    personal: bool,
    follows: Vec<FollowView>,
    /// Where the follow buttons come back to.
    back: String,
    periods: Vec<PeriodLink>,
    cards: Vec<CardView>,
    page: u32,
    pages: u32,
    previous_page: Option<String>,
    next_page: Option<String>,
}

/// `GET /for-you`.
pub async fn for_you(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Query(query): Query<ForYouQuery>,
) -> Result<Response, AppError> {
    let Some(session) = session else {
        return Ok(Redirect::to("/login?next=/for-you").into_response());
    };
    let period = period_param(query.date.as_deref(), query.week.as_deref(), query.month.as_deref())
        .map_err(AppError::bad_request)?;
    let latest = state.store.latest_listing_day().await?;
    let Some(period) = period.or(latest.map(Period::Day)) else {
        return Err(AppError::not_found("Nothing has been listed on this instance yet."));
    };
    let page = match query.page.as_deref().filter(|p| !p.is_empty()) {
        None => 1,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=MAX_PAGE).contains(p))
            .ok_or_else(|| AppError::bad_request(format!("page must be a number from 1 to {MAX_PAGE}")))?,
    };
    let list = state
        .for_you
        .page(session.user.id, period, page, state.settings.page_size)
        .await
        .map_err(AppError::internal)?;
    let base = format!("/for-you?{}", period_query(period));
    let back = if page > 1 {
        format!("{base}&page={page}")
    } else {
        base.clone()
    };
    let cards = list
        .list
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let mut card = CardView::from_entry(entry, !matches!(period, Period::Day(_)), &back);
            card.reason = list.reasons.get(i).cloned().flatten().map(|r| r.to_string());
            card
        })
        .collect();
    let pages = list.list.pages();
    let (first, _) = period.bounds();
    let day = latest.filter(|d| *d >= first).unwrap_or(first);
    let periods = [
        ("Day", Period::Day(day)),
        ("Week", Period::week_of(day)),
        ("Month", Period::month_of(day)),
    ]
    .into_iter()
    .map(|(label, p)| PeriodLink {
        label,
        href: format!("/for-you?{}", period_query(p)),
        current: p == period,
    })
    .collect();
    let heading = match period {
        Period::Day(day) => format!("For you · {}", human_date(day)),
        Period::Week { .. } => format!("For you · week of {}", human_date(first)),
        Period::Month { .. } => format!("For you · {}", first.strftime("%B %Y")),
    };
    let follows = state
        .store
        .follows(session.user.id)
        .await?
        .into_iter()
        .map(|follow| {
            let (label, href) = match follow.kind {
                FollowKind::Author => (follow.value.clone(), author_href(&follow.value)),
                FollowKind::Category => (follow.value.clone(), format!("/?cat={}", follow.value)),
                FollowKind::Search => {
                    let words: Vec<(String, String)> = serde_urlencoded::from_str(&follow.value).unwrap_or_default();
                    let label = words
                        .iter()
                        .map(|(k, v)| if k == "q" { v.clone() } else { format!("{k}:{v}") })
                        .collect::<Vec<_>>()
                        .join(" ");
                    (label, format!("/search?{}", follow.value))
                }
            };
            FollowView {
                kind: follow.kind.as_str(),
                value: follow.value,
                label,
                href,
                active: follow.active,
            }
        })
        .collect();
    let view = ForYouPage {
        follows,
        back: back.clone(),
        layout: Layout::new(
            format!("{heading} · {}", state.settings.instance_name),
            &state.settings.instance_name,
        ),
        heading,
        personal: list.personal,
        periods,
        cards,
        page,
        pages,
        previous_page: (page > 1).then(|| format!("{base}&page={}", page - 1)),
        next_page: (page < pages).then(|| format!("{base}&page={}", page + 1)),
    };
    Ok(Html(view.render().map_err(AppError::internal)?).into_response())
}

/// The query string naming a period on `/for-you`.
fn period_query(period: Period) -> String {
    match period {
        Period::Day(_) => format!("date={period}"),
        Period::Week { .. } => format!("week={period}"),
        Period::Month { .. } => format!("month={period}"),
    }
}
