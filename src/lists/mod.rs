//! Ranked lists: the papers of a day, week, month, or the cross-day trending list, sorted,
//! filtered and paged. Pages, feeds, the API and digests all read papers through [`load`], so
//! they always agree; nothing here knows HTTP.

pub mod live;
mod placement;

use jiff::Timestamp;
use paperboy_core::{
    Category, Date, DayBasis, Paper, Period, RankCandidate, Sort, TrendingParameters, TrendingScore, announcement_time,
    rank,
};
use paperboy_store::{Store, StoreError};
use serde::Deserialize;

/// What a list covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Period(Period),
    /// The last `trending_window_days` listing days up to the latest one.
    Trending,
}

/// The query string every list view accepts.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub sort: Option<String>,
    pub cat: Option<String>,
    pub page: Option<String>,
}

/// The deepest page of a list: the API's `p` counts from 0 up to 10,000, as its document says.
pub const MAX_PAGE: u32 = 10_001;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListRequest {
    pub scope: Scope,
    pub sort: Sort,
    pub category: Option<Category>,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
    /// Date papers by Hugging Face's daily date where HF featured them (the HF-shaped API).
    pub by_hugging_face_day: bool,
    pub scored_at: ScoredAt,
}

/// The moment a list's trending scores are computed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScoredAt {
    /// The end of the period shown, or now if that is earlier: a list as it stands while its
    /// period unfolds (pages, feeds, the API).
    PeriodEndOrNow,
    /// The end of the period, whenever the list is read: a digest composed late ranks as one
    /// composed on time.
    PeriodEnd,
}

/// A list's query string that does not hold: the message says which parameter and why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidListParams(pub String);

/// Asked for a period that has not begun: nothing is listed in the future.
#[derive(Debug, thiserror::Error)]
#[error("{0} has not begun yet, so nothing has been listed for it.")]
pub struct NotBegun(pub Period);

impl Scope {
    /// The ranking a list opens with. A day and the trending list rank by trending score; a week
    /// or a month is a closed window in which recency says when a paper came, not how much it
    /// mattered (the month's most-voted paper ranked 17th by trending score), so they rank by
    /// votes within the period.
    pub fn default_sort(self) -> Sort {
        match self {
            Scope::Period(Period::Week { .. } | Period::Month { .. }) => Sort::Top,
            Scope::Period(Period::Day(_)) | Scope::Trending => Sort::Trending,
        }
    }
}

impl ListRequest {
    /// The request a list's query string asks for, as pages, feeds and the API read it.
    pub fn from_params(scope: Scope, params: &ListParams, page_size: u32) -> Result<ListRequest, InvalidListParams> {
        let sort = match params.sort.as_deref().filter(|s| !s.is_empty()) {
            None => scope.default_sort(),
            Some(text) => Sort::parse(text).ok_or_else(|| {
                InvalidListParams(format!("sort must be trending, new, top or discussed, not {text:?}"))
            })?,
        };
        let category = match params.cat.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(text) => Some(Category::parse(text).map_err(|error| InvalidListParams(error.to_string()))?),
        };
        let page = match params.page.as_deref().filter(|p| !p.is_empty()) {
            None => 1,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|page| (1..=MAX_PAGE).contains(page))
                .ok_or_else(|| {
                    InvalidListParams(format!("page must be a number from 1 to {MAX_PAGE}, not {text:?}"))
                })?,
        };
        Ok(ListRequest {
            scope,
            sort,
            category,
            page,
            page_size,
            by_hugging_face_day: false,
            scored_at: ScoredAt::PeriodEndOrNow,
        })
    }

    /// The query string that reproduces this request on another path (feeds, pagination).
    pub fn query_string(&self, page: Option<u32>) -> String {
        let mut parts = Vec::new();
        if self.sort != self.scope.default_sort() {
            parts.push(format!("sort={}", self.sort.as_str()));
        }
        if let Some(category) = &self.category {
            parts.push(format!("cat={category}"));
        }
        if let Some(page) = page.filter(|&page| page > 1) {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// One paper in a list, with the score that placed it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub paper: Paper,
    pub score: TrendingScore,
    pub listed: Date,
    /// The member who put the paper on this list, if one did.
    pub submitted_by: Option<String>,
    /// Comments others can read on the paper.
    pub comments: i64,
}

impl Entry {
    /// A paper shown outside a ranked list (a collection, an author's page): dated by its first
    /// listing, or `fallback` if it has none, with its imported votes.
    pub fn unranked(paper: Paper, fallback: Date) -> Entry {
        Entry {
            listed: paper.first_listed().unwrap_or(fallback),
            score: TrendingScore {
                score: 0.0,
                imported_votes: paper.imported_votes(),
                local_votes: 0,
                star_growth: 0,
                age_hours: 0.0,
            },
            submitted_by: None,
            comments: 0,
            paper,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ListView {
    pub request: ListRequest,
    /// First and last day covered; `None` when the store has no listings at all.
    pub range: Option<(Date, Date)>,
    pub entries: Vec<Entry>,
    pub total: usize,
    pub previous: Option<Period>,
    pub next: Option<Period>,
}

impl ListView {
    pub fn pages(&self) -> u32 {
        pages(self.total, &self.request)
    }
}

/// How many pages a list of `total` papers takes (at least one, empty).
fn pages(total: usize, request: &ListRequest) -> u32 {
    (total as u32).div_ceil(request.page_size).max(1)
}

/// A period that has begun: a page or feed for a day that has not come would only be an empty
/// answer that caches forever.
pub fn begun(period: Period) -> Result<Period, NotBegun> {
    let (first, _) = period.bounds();
    if first > crate::clock::today_utc() {
        return Err(NotBegun(period));
    }
    Ok(period)
}

pub use live::LiveRankings;
pub use placement::{Placed, Placement};

/// Loads a list: [`place`]s its page, then reads the page's papers in full.
pub async fn load(
    store: &dyn Store,
    live: Option<&LiveRankings>,
    trending: &TrendingParameters,
    request: ListRequest,
) -> Result<ListView, StoreError> {
    place(store, live, trending, request).await?.with_papers(store).await
}

/// A list's page before its papers are read: from `live` rankings when the process keeps
/// them, a walk over the days held; else candidates for the range from the database, ranked
/// in Rust.
pub async fn place(
    store: &dyn Store,
    live: Option<&LiveRankings>,
    trending: &TrendingParameters,
    request: ListRequest,
) -> Result<Placement, StoreError> {
    if let Some(live) = live
        && let Some(bounds) = bounds(store, trending, &request).await?
    {
        let skip = ((request.page - 1) * request.page_size) as usize;
        let walked = live
            .page(
                bounds.range(&request),
                request.sort,
                bounds.reference,
                skip,
                request.page_size as usize,
            )
            .await?;
        if let Some(page) = walked {
            return Placement::of(store, request, Some((bounds.first, bounds.last)), page).await;
        }
    }
    let (range, page) = ranked(store, live, trending, &request).await?.page(&request);
    Placement::of(store, request, range, page).await
}

/// A list's candidates in the request's order, before paging.
pub struct Ranked {
    /// First and last day covered; `None` when the store has no listings at all.
    pub range: Option<(Date, Date)>,
    pub candidates: Vec<(RankCandidate, TrendingScore)>,
}

impl Ranked {
    /// The request's page of the list, and the days the list covers.
    fn page(self, request: &ListRequest) -> (Option<(Date, Date)>, live::Page) {
        let total = self.candidates.len();
        let start = ((request.page - 1) * request.page_size) as usize;
        let entries = self
            .candidates
            .into_iter()
            .skip(start)
            .take(request.page_size as usize)
            .collect();
        let page = live::Page {
            total,
            entries,
            revisions: Vec::new(),
        };
        (self.range, page)
    }
}

/// The days a list covers and the time it is scored at.
struct Bounds {
    first: Date,
    last: Date,
    reference: Timestamp,
}

impl Bounds {
    fn range<'a>(&self, request: &'a ListRequest) -> live::Range<'a> {
        live::Range {
            first: self.first,
            last: self.last,
            category: request.category.as_ref(),
            basis: if request.by_hugging_face_day {
                DayBasis::HuggingFaceDaily
            } else {
                DayBasis::Listing
            },
        }
    }
}

/// What a request covers; `None` when the store has no listings at all (and it asks for the
/// trending list, which runs up to the latest one).
async fn bounds(
    store: &dyn Store,
    trending: &TrendingParameters,
    request: &ListRequest,
) -> Result<Option<Bounds>, StoreError> {
    Ok(match request.scope {
        Scope::Period(period) => {
            let (first, last) = period.bounds();
            Some(Bounds {
                first,
                last,
                reference: reference_time(last, request.scored_at),
            })
        }
        Scope::Trending => store.latest_listing_day().await?.map(|latest| {
            let days = i64::from(trending.window_days) - 1;
            Bounds {
                first: latest.checked_sub(jiff::Span::new().days(days)).unwrap_or(latest),
                last: latest,
                reference: reference_time(latest, request.scored_at),
            }
        }),
    })
}

/// The first half of [`load`] without rankings kept: every candidate of the list, ranked
/// (For you reorders them).
pub async fn ranked(
    store: &dyn Store,
    live: Option<&LiveRankings>,
    trending: &TrendingParameters,
    request: &ListRequest,
) -> Result<Ranked, StoreError> {
    let Some(bounds) = bounds(store, trending, request).await? else {
        return Ok(Ranked {
            range: None,
            candidates: Vec::new(),
        });
    };
    let range = bounds.range(request);
    let mut candidates = match (live, range.basis) {
        (Some(live), _) => live.candidates(range).await?,
        (None, DayBasis::HuggingFaceDaily) => {
            store
                .daily_papers_candidates(range.first, range.last, range.category)
                .await?
        }
        (None, DayBasis::Listing) => {
            store
                .listing_candidates(range.first, range.last, range.category)
                .await?
        }
    };
    if request.sort == Sort::Discussed {
        weigh_discussions(store, &mut candidates).await?;
    }
    Ok(Ranked {
        range: Some((bounds.first, bounds.last)),
        candidates: rank(candidates, request.sort, trending, bounds.reference),
    })
}

/// Fills each candidate's discussion weight from its comments' times, all weighed against the
/// newest of them ([`paperboy_core::discussion_weight`]).
async fn weigh_discussions(store: &dyn Store, candidates: &mut [RankCandidate]) -> Result<(), StoreError> {
    let ids: Vec<_> = candidates.iter().map(|c| c.id.clone()).collect();
    let mut times: std::collections::HashMap<paperboy_core::ArxivId, Vec<i64>> = std::collections::HashMap::new();
    for (paper, time) in store.comment_times(&ids).await? {
        times.entry(paper).or_default().push(time);
    }
    let newest = times.values().flatten().copied().max().unwrap_or(0);
    for candidate in candidates {
        if let Some(times) = times.get(&candidate.id) {
            candidate.discussion = paperboy_core::discussion_weight(times, newest);
        }
    }
    Ok(())
}

/// The request's page of ranked candidates, in full.
pub async fn page_of(store: &dyn Store, request: ListRequest, ranked: Ranked) -> Result<ListView, StoreError> {
    let (range, page) = ranked.page(&request);
    Placement::of(store, request, range, page)
        .await?
        .with_papers(store)
        .await
}

/// When scores are computed for a list ending on `last_day`: the announcement that ends it.
fn reference_time(last_day: Date, scored_at: ScoredAt) -> Timestamp {
    let end = announcement_time(last_day.tomorrow().unwrap_or(last_day));
    match scored_at {
        ScoredAt::PeriodEndOrNow => end.min(crate::clock::now()),
        ScoredAt::PeriodEnd => end,
    }
}
