//! The list pages: `/` (the latest day), a day, a week, a month, cross-day trending.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use paperboy_core::{Period, Sort};

use crate::lists::{ListParams, ListRequest, Placement, Scope, begun};
use crate::web::cache::{PageKey, cached_html};
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::views::{FeedLink, Layout, human_date};

pub struct Link {
    pub label: String,
    pub href: String,
}

pub struct Tab {
    pub label: &'static str,
    pub href: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    previous: Option<Link>,
    next: Option<Link>,
    periods: Vec<Link>,
    tabs: Vec<Tab>,
    sort: &'static str,
    default_sort: &'static str,
    category: String,
    clear_filter: String,
    summary: String,
    /// The cards as `<li>` items, rendered (and mostly kept) by the card cache.
    cards: String,
    empty_message: String,
    page: u32,
    pages: u32,
    previous_page: Option<String>,
    next_page: Option<String>,
    /// The list's BibTeX, same sort and filter.
    bibtex: String,
}

pub async fn home(State(state): State<AppState>, page: PageKey, Query(params): Query<ListParams>) -> Response {
    cached_html(&state, &page, async {
        let scope = match state.store.latest_listing_day().await? {
            Some(day) => Scope::Period(Period::Day(day)),
            None => Scope::Trending,
        };
        render_list(&state, scope, &params, "/").await
    })
    .await
}

pub async fn day(
    State(state): State<AppState>,
    page: PageKey,
    Path(day): Path<String>,
    Query(params): Query<ListParams>,
) -> Response {
    cached_html(&state, &page, async {
        let period = begun(Period::parse_day(&day).map_err(|error| AppError::not_found(error.to_string()))?)?;
        render_list(&state, Scope::Period(period), &params, &period.path()).await
    })
    .await
}

pub async fn week(
    State(state): State<AppState>,
    page: PageKey,
    Path(week): Path<String>,
    Query(params): Query<ListParams>,
) -> Response {
    cached_html(&state, &page, async {
        let period = begun(Period::parse_week(&week).map_err(|error| AppError::not_found(error.to_string()))?)?;
        render_list(&state, Scope::Period(period), &params, &period.path()).await
    })
    .await
}

pub async fn month(
    State(state): State<AppState>,
    page: PageKey,
    Path(month): Path<String>,
    Query(params): Query<ListParams>,
) -> Response {
    cached_html(&state, &page, async {
        let period = begun(Period::parse_month(&month).map_err(|error| AppError::not_found(error.to_string()))?)?;
        render_list(&state, Scope::Period(period), &params, &period.path()).await
    })
    .await
}

/// `/papers/week` and `/papers/month`: the period of the latest listing day.
pub async fn latest_week(State(state): State<AppState>) -> Result<Response, AppError> {
    latest_period(&state, Period::week_of).await
}

pub async fn latest_month(State(state): State<AppState>) -> Result<Response, AppError> {
    latest_period(&state, Period::month_of).await
}

async fn latest_period(state: &AppState, period_of: fn(paperboy_core::Date) -> Period) -> Result<Response, AppError> {
    let latest = state.store.latest_listing_day().await?;
    let day = latest.unwrap_or_else(crate::clock::today_utc);
    Ok(Redirect::to(&period_of(day).path()).into_response())
}

pub async fn trending(State(state): State<AppState>, page: PageKey, Query(params): Query<ListParams>) -> Response {
    cached_html(&state, &page, async {
        render_list(&state, Scope::Trending, &params, "/papers/trending").await
    })
    .await
}

async fn render_list(state: &AppState, scope: Scope, params: &ListParams, path: &str) -> Result<String, AppError> {
    let request = ListRequest::from_params(scope, params, state.settings.page_size)?;
    let placement = state.place(request).await?;
    let request = &placement.request;
    let multi_day = !matches!(request.scope, Scope::Period(Period::Day(_)));
    let back = format!("{path}{}", request.query_string(Some(request.page)));
    let cards = state.cards.render(&*state.store, &placement, multi_day, &back).await?;
    list_page(state, &placement, cards, path)
        .render()
        .map_err(AppError::internal)
}

fn list_page(state: &AppState, view: &Placement, cards: String, path: &str) -> ListPage {
    let request = &view.request;
    let (heading, title_part, periods) = match request.scope {
        Scope::Period(Period::Day(day)) => {
            let periods = vec![
                Link {
                    label: "This week".into(),
                    href: Period::week_of(day).path(),
                },
                Link {
                    label: "This month".into(),
                    href: Period::month_of(day).path(),
                },
            ];
            (format!("Papers of {}", human_date(day)), human_date(day), periods)
        }
        Scope::Period(period @ Period::Week { .. }) => {
            let (first, last) = period.bounds();
            let heading = format!("Papers of week {period}: {} – {}", human_date(first), human_date(last));
            (
                heading,
                format!("week {period}"),
                vec![Link {
                    label: "That month".into(),
                    href: Period::month_of(first).path(),
                }],
            )
        }
        Scope::Period(Period::Month { year, month }) => {
            let name = format!("{} {year}", FULL_MONTHS[(month - 1) as usize]);
            (format!("Papers of {name}"), name, Vec::new())
        }
        Scope::Trending => {
            let heading = match view.range {
                Some((first, last)) => format!("Trending: {} – {}", human_date(first), human_date(last)),
                None => "Trending".to_owned(),
            };
            (heading, "trending".to_owned(), Vec::new())
        }
    };
    let step_link = |period: paperboy_core::Period| {
        let label = match period {
            Period::Day(day) => human_date(day),
            other => other.to_string(),
        };
        Link {
            label,
            href: format!("{}{}", period.path(), request.query_string(None)),
        }
    };
    let tabs = [
        (Sort::Trending, "Trending"),
        (Sort::New, "New"),
        (Sort::Top, "Top votes"),
        (Sort::Discussed, "Most discussed"),
    ]
    .into_iter()
    .map(|(sort, label)| {
        let other = ListRequest {
            sort,
            ..request.clone()
        };
        Tab {
            label,
            href: format!("{path}{}", other.query_string(None)),
            active: sort == request.sort,
        }
    })
    .collect();
    let category = request.category.as_ref().map(|c| c.to_string()).unwrap_or_default();
    let without_category = ListRequest {
        category: None,
        ..request.clone()
    };
    let pages = view.pages();
    let page_href = |page: u32| format!("{path}{}", request.query_string(Some(page)));
    let mut layout = Layout::new(
        format!("{title_part} · {}", state.settings.instance_name),
        &state.settings.instance_name,
    );
    layout.feeds = feed_links(path, request);
    layout.canonical = Some(format!(
        "{}{path}{}",
        state.settings.public_url,
        request.query_string(Some(request.page))
    ));
    let papers = if view.total == 1 {
        "1 paper".to_owned()
    } else {
        format!("{} papers", view.total)
    };
    let summary = match (view.total, &request.category) {
        (0, _) => String::new(),
        (_, Some(category)) => format!("{papers} in {category}, {}", sort_phrase(request.sort)),
        (_, None) => format!("{papers}, {}", sort_phrase(request.sort)),
    };
    ListPage {
        layout,
        heading,
        previous: view.previous.map(step_link),
        next: view.next.map(step_link),
        periods,
        tabs,
        sort: request.sort.as_str(),
        default_sort: request.scope.default_sort().as_str(),
        category,
        clear_filter: format!("{path}{}", without_category.query_string(None)),
        summary,
        cards,
        empty_message: empty_message(view),
        page: request.page,
        pages,
        previous_page: (request.page > 1).then(|| page_href(request.page - 1)),
        next_page: (request.page < pages).then(|| page_href(request.page + 1)),
        bibtex: format!(
            "{}/papers.bib{}",
            if path == "/" { "" } else { path },
            request.query_string(None)
        ),
    }
}

const FULL_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn sort_phrase(sort: Sort) -> &'static str {
    match sort {
        Sort::Trending => "ranked by trending score (votes, fading with age)",
        Sort::New => "newest first",
        Sort::Top => "most votes first",
        Sort::Discussed => {
            "most discussed first (comments weighted by recency: each counts half as much for every three days it is older)"
        }
    }
}

fn empty_message(view: &Placement) -> String {
    match (view.range, view.request.scope) {
        (None, _) => "No papers yet. Import some with `paperboy import` or start `paperboy demo`.".to_owned(),
        (_, Scope::Period(Period::Day(day)))
            if matches!(
                day.weekday(),
                jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
            ) =>
        {
            "arXiv announces nothing on weekends; the nearest days with papers are linked above.".to_owned()
        }
        _ if view.request.page > 1 => "There are not that many pages.".to_owned(),
        _ => "No papers were listed in this period (arXiv has quiet days and holidays).".to_owned(),
    }
}

/// The feeds of a list view, same sort and filter.
pub fn feed_links(path: &str, request: &ListRequest) -> Vec<FeedLink> {
    let base = if path == "/" { "" } else { path };
    FeedLink::all(base, &request.query_string(None), "this list")
}
