//! "For you": a period's papers ranked for one member from what they saved, upvoted and
//! followed, each with the reason it is there. `rank` holds the formula; `lexical` the tf-idf
//! model that makes it work without an embedding model; `eval` measures it on real listings.
//!
//! Cost: the period's model (its papers' vectors) depends on the period only and is built once
//! and shared; a member's list is then their papers' vectors and one pass over the period. Lists
//! are kept until the content changes (the page cache's rule) or the member's interests do.

pub mod eval;
pub mod lexical;
pub mod rank;

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use paperboy_core::{ArxivId, Date, Period, RankCandidate, SearchDocument, Sort, TrendingParameters, TrendingScore};
use paperboy_store::{FollowKind, Store};

use crate::lists::{self, ListRequest, ListView, Ranked, Scope, ScoredAt};
use crate::search::{Search, SearchRequest};
use paperboy_search::SearchIndex;
use rank::{
    BlendedScores, EMBEDDING_SHARE, EmbeddedScores, FORMULA, Interests, LexicalScores, PeriodPapers, Reason,
    SearchMatches,
};

/// The most recently saved papers a member's list is computed from.
pub const SAVED_CAP: usize = 200;
/// The most recent upvotes it is computed from.
pub const UPVOTED_CAP: usize = 100;
/// Papers a followed search contributes per period at most.
const SEARCH_MATCHES: usize = 1_000;
/// Periods whose models are kept (today, this week, this month and a few more).
const PERIODS_KEPT: usize = 4;
/// Members' lists kept.
const LISTS_KEPT: usize = 512;

/// A page of a member's list, with the reason for each paper (in the page's order).
pub struct ForYouPage {
    pub list: ListView,
    pub reasons: Vec<Option<Reason>>,
    /// False when the member has nothing to go on yet: the list is the community's.
    pub personal: bool,
}

pub struct ForYou {
    store: Arc<dyn Store>,
    /// For followed searches; until a process has its index, they are passed over.
    search: OnceLock<Arc<Search>>,
    trending: TrendingParameters,
    periods: Mutex<VecDeque<CachedPeriod>>,
    /// Each period's candidates as the community ranks them, by content version.
    candidates: Mutex<VecDeque<CandidatesOf>>,
    lists: Mutex<VecDeque<CachedList>>,
    /// A keyword index of one period's papers, for followed searches in a process without a
    /// search index of its own (a worker, `paperboy digest run`): by range and papers.
    period_index: Mutex<Option<PeriodIndex>>,
}

type PeriodIndex = ((Date, Date), u64, Arc<SearchIndex>);

type CandidatesOf = ((Date, Date), i64, Arc<Vec<(RankCandidate, TrendingScore)>>);

struct CachedPeriod {
    range: (Date, Date),
    /// Of the candidates' ids: a new paper listed makes a new model.
    fingerprint: u64,
    period: Arc<PeriodPapers>,
    /// The papers' embeddings in the period's order, when the instance has the model, as
    /// loaded at `vectors_loaded` (read again when more have been loaded since).
    vectors: Option<Arc<PeriodVectors>>,
    vectors_loaded: i64,
}

type PeriodVectors = Vec<Option<Vec<f32>>>;

/// The share of a period's papers that must be embedded before embeddings take part: until
/// then (a fresh install embedding in the background) the lexical model ranks alone.
const EMBEDDED_ENOUGH: f64 = 0.9;

#[derive(Clone)]
struct CachedList {
    user_id: i64,
    range: (Date, Date),
    content_version: i64,
    interests: u64,
    ranked: Arc<Vec<(RankCandidate, TrendingScore)>>,
    reasons: Arc<HashMap<ArxivId, Reason>>,
    personal: bool,
}

/// The member's interests as ids and follows: cheap to read, and what a cached list is keyed by.
struct InterestIds {
    saved: Vec<ArxivId>,
    upvoted: Vec<ArxivId>,
    authors: Vec<String>,
    categories: Vec<String>,
    searches: Vec<String>,
}

impl InterestIds {
    fn fingerprint(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        (
            &self.saved,
            &self.upvoted,
            &self.authors,
            &self.categories,
            &self.searches,
        )
            .hash(&mut hasher);
        hasher.finish()
    }

    fn is_empty(&self) -> bool {
        self.saved.is_empty()
            && self.upvoted.is_empty()
            && self.authors.is_empty()
            && self.categories.is_empty()
            && self.searches.is_empty()
    }
}

impl ForYou {
    pub fn new(store: Arc<dyn Store>, trending: TrendingParameters) -> ForYou {
        ForYou {
            store,
            search: OnceLock::new(),
            trending,
            periods: Mutex::new(VecDeque::new()),
            candidates: Mutex::new(VecDeque::new()),
            period_index: Mutex::new(None),
            lists: Mutex::new(VecDeque::new()),
        }
    }

    /// Lets followed searches count: the search of the process, once it has one.
    pub fn attach_search(&self, search: Arc<Search>) {
        let _ = self.search.set(search);
    }

    /// The member's list of a day, week or month, one page of it.
    pub async fn page(&self, user_id: i64, period: Period, page: u32, page_size: u32) -> anyhow::Result<ForYouPage> {
        let request = list_request(period, page, page_size);
        let range = period.bounds();
        let cached = self.list(user_id, period).await?;
        let list = lists::page_of(
            self.store.as_ref(),
            request,
            Ranked {
                range: Some(range),
                candidates: cached.ranked.as_ref().clone(),
            },
        )
        .await?;
        let reasons = list
            .entries
            .iter()
            .map(|entry| cached.reasons.get(&entry.paper.id).cloned())
            .collect();
        Ok(ForYouPage {
            list,
            reasons,
            personal: cached.personal,
        })
    }

    /// The member's whole list of a period in order (for their digest), or `None` while they
    /// have nothing to go on.
    pub async fn order(&self, user_id: i64, period: Period) -> anyhow::Result<Option<Vec<ArxivId>>> {
        let cached = self.list(user_id, period).await?;
        Ok(cached
            .personal
            .then(|| cached.ranked.iter().map(|(c, _)| c.id.clone()).collect()))
    }

    async fn list(&self, user_id: i64, period: Period) -> anyhow::Result<CachedList> {
        let request = list_request(period, 1, 1);
        let range = period.bounds();
        let interests = self.interest_ids(user_id).await?;
        let fingerprint = interests.fingerprint();
        let version = self.store.content_version().await?.version;
        let cached = self
            .lists
            .lock()
            .expect("list cache lock")
            .iter()
            .find(|c| {
                c.user_id == user_id && c.range == range && c.content_version == version && c.interests == fingerprint
            })
            .cloned();
        let cached = match cached {
            Some(cached) => cached,
            None => {
                let candidates = self.candidates(&request, range, version).await?;
                let computed = self.compute(user_id, range, version, &interests, candidates).await?;
                let mut lists = self.lists.lock().expect("list cache lock");
                lists.retain(|c| !(c.user_id == user_id && c.range == range));
                lists.push_front(computed.clone());
                lists.truncate(LISTS_KEPT);
                computed
            }
        };
        Ok(cached)
    }

    async fn interest_ids(&self, user_id: i64) -> anyhow::Result<InterestIds> {
        let saved = self.store.recently_saved(user_id, SAVED_CAP as u32).await?;
        let upvoted = self.store.recent_votes(user_id, UPVOTED_CAP as u32).await?;
        let mut interests = InterestIds {
            saved,
            upvoted,
            authors: Vec::new(),
            categories: Vec::new(),
            searches: Vec::new(),
        };
        for follow in self.store.follows(user_id).await?.into_iter().filter(|f| f.active) {
            match follow.kind {
                FollowKind::Author => interests.authors.push(follow.value),
                FollowKind::Category => interests.categories.push(follow.value),
                FollowKind::Search => interests.searches.push(follow.value),
            }
        }
        Ok(interests)
    }

    async fn compute(
        &self,
        user_id: i64,
        range: (Date, Date),
        content_version: i64,
        ids: &InterestIds,
        candidates: Arc<Vec<(RankCandidate, TrendingScore)>>,
    ) -> anyhow::Result<CachedList> {
        let mut cached = CachedList {
            user_id,
            range,
            content_version,
            interests: ids.fingerprint(),
            ranked: Arc::new(Vec::new()),
            reasons: Arc::new(HashMap::new()),
            personal: !ids.is_empty(),
        };
        if ids.is_empty() {
            cached.ranked = candidates;
            return Ok(cached);
        }
        let (period, vectors) = self.period(range, &candidates).await?;
        let known: HashSet<&ArxivId> = ids.saved.iter().chain(&ids.upvoted).collect();
        let mut profile: Vec<String> = known.iter().map(|id| id.to_string()).collect();
        profile.sort();
        let documents: HashMap<String, SearchDocument> = self
            .store
            .search_documents(&profile)
            .await?
            .into_iter()
            .map(|d| (d.id.clone(), d))
            .collect();
        let in_order = |list: &[ArxivId]| -> Vec<SearchDocument> {
            list.iter()
                .filter_map(|id| documents.get(id.as_str()).cloned())
                .collect()
        };
        let mut searches = Vec::new();
        for query_string in &ids.searches {
            if let Some(matches) = self.search_matches(query_string, range, &period).await? {
                searches.push(matches);
            }
        }
        let interests = Interests {
            saved: in_order(&ids.saved),
            upvoted: in_order(&ids.upvoted),
            authors: ids.authors.clone(),
            categories: ids.categories.clone(),
            searches,
        };
        let by_id: HashMap<&str, usize> = period
            .documents
            .iter()
            .enumerate()
            .map(|(position, d)| (d.id.as_str(), position))
            .collect();
        let mut votes = vec![0; period.documents.len()];
        for (candidate, score) in candidates.iter() {
            if let Some(&position) = by_id.get(candidate.id.as_str()) {
                votes[position] = score.votes();
            }
        }
        // Embeddings join the lexical model once most of the period has them.
        let embedded = vectors.filter(|vectors| {
            let have = vectors.iter().filter(|v| v.is_some()).count();
            have as f64 >= EMBEDDED_ENOUGH * vectors.len().max(1) as f64
        });
        let search = self.search.get().cloned();
        let model = Arc::clone(&period);
        let recommendations = tokio::task::spawn_blocking(move || {
            let lexical = LexicalScores::new(&model, &interests);
            // Vectors of papers in the vector file are read from it: here, off the async workers.
            let profile_vectors = match (&embedded, &search) {
                (Some(_), Some(search)) => {
                    let ids: Vec<&str> = interests.profile_ids().collect();
                    search
                        .embeddings_of(&ids)
                        .map(|(_, found)| found.into_iter().map(Option::unwrap_or_default).collect::<Vec<_>>())
                }
                _ => None,
            };
            match (&embedded, profile_vectors) {
                (Some(candidates), Some(profile)) => {
                    let embeddings = EmbeddedScores::new(candidates, profile);
                    let content = BlendedScores {
                        first: &embeddings,
                        second: &lexical,
                        share: EMBEDDING_SHARE,
                    };
                    rank::rank(&model, &votes, &content, &interests, &FORMULA)
                }
                _ => rank::rank(&model, &votes, &lexical, &interests, &FORMULA),
            }
        })
        .await?;
        let by_candidate: HashMap<&str, &(RankCandidate, TrendingScore)> =
            candidates.iter().map(|c| (c.0.id.as_str(), c)).collect();
        let mut ranked = Vec::with_capacity(recommendations.len());
        let mut reasons = HashMap::with_capacity(recommendations.len());
        for recommendation in recommendations {
            let id = period.documents[recommendation.position].id.as_str();
            if let Some(&entry) = by_candidate.get(id) {
                reasons.insert(entry.0.id.clone(), recommendation.reason);
                ranked.push(entry.clone());
            }
        }
        cached.ranked = Arc::new(ranked);
        cached.reasons = Arc::new(reasons);
        Ok(cached)
    }

    /// The period's candidates ranked as the community's list, from the cache while the
    /// content is unchanged: they are the same for every member.
    async fn candidates(
        &self,
        request: &ListRequest,
        range: (Date, Date),
        version: i64,
    ) -> anyhow::Result<Arc<Vec<(RankCandidate, TrendingScore)>>> {
        if let Some((_, _, candidates)) = self
            .candidates
            .lock()
            .expect("candidate cache lock")
            .iter()
            .find(|(r, v, _)| *r == range && *v == version)
        {
            return Ok(Arc::clone(candidates));
        }
        let ranked = Arc::new(
            lists::ranked(self.store.as_ref(), None, &self.trending, request)
                .await?
                .candidates,
        );
        let mut cache = self.candidates.lock().expect("candidate cache lock");
        cache.retain(|(r, _, _)| *r != range);
        cache.push_front((range, version, Arc::clone(&ranked)));
        cache.truncate(PERIODS_KEPT);
        Ok(ranked)
    }

    /// The period's model and embeddings, from the cache while its papers (and the loaded
    /// embeddings) are the same.
    async fn period(
        &self,
        range: (Date, Date),
        candidates: &[(RankCandidate, TrendingScore)],
    ) -> anyhow::Result<(Arc<PeriodPapers>, Option<Arc<PeriodVectors>>)> {
        let mut ids: Vec<String> = candidates.iter().map(|(c, _)| c.id.to_string()).collect();
        ids.sort();
        let fingerprint = {
            let mut hasher = DefaultHasher::new();
            ids.hash(&mut hasher);
            hasher.finish()
        };
        let loaded = self.search.get().and_then(|search| search.embeddings_loaded());
        let cached = self
            .periods
            .lock()
            .expect("period cache lock")
            .iter()
            .find(|c| c.range == range && c.fingerprint == fingerprint)
            .map(|c| (Arc::clone(&c.period), c.vectors.clone(), c.vectors_loaded));
        let period = match &cached {
            Some((period, vectors, at)) if loaded.is_none_or(|loaded| loaded == *at) => {
                return Ok((Arc::clone(period), vectors.clone()));
            }
            Some((period, _, _)) => Arc::clone(period),
            None => {
                let mut documents = self.store.search_documents(&ids).await?;
                documents.sort_by(|a, b| a.id.cmp(&b.id));
                Arc::new(tokio::task::spawn_blocking(move || PeriodPapers::new(documents)).await?)
            }
        };
        // Copying a month's vectors out takes milliseconds: off the async workers.
        let vectors = match self.search.get() {
            Some(search) => {
                let (search, papers) = (Arc::clone(search), Arc::clone(&period));
                tokio::task::spawn_blocking(move || {
                    let ids: Vec<&str> = papers.documents.iter().map(|d| d.id.as_str()).collect();
                    search.embeddings_of(&ids)
                })
                .await?
            }
            None => None,
        };
        let vectors_loaded = vectors.as_ref().map_or(0, |(at, _)| *at);
        let vectors = vectors.map(|(_, vectors)| Arc::new(vectors));
        let mut periods = self.periods.lock().expect("period cache lock");
        periods.retain(|c| c.range != range);
        periods.push_front(CachedPeriod {
            range,
            fingerprint,
            period: Arc::clone(&period),
            vectors: vectors.clone(),
            vectors_loaded,
        });
        periods.truncate(PERIODS_KEPT);
        Ok((period, vectors))
    }

    /// The period's papers a followed search matches by its words (keyword matching: a
    /// ranking by meaning has no "matches"). A search that no longer reads is skipped.
    async fn search_matches(
        &self,
        query_string: &str,
        range: (Date, Date),
        period: &PeriodPapers,
    ) -> anyhow::Result<Option<SearchMatches>> {
        let Some((label, request)) = saved_search(query_string, range.0, range.1) else {
            return Ok(None);
        };
        let ids: HashSet<String> = match self.search.get() {
            Some(search) => match search.query(request).await {
                Ok(results) => results.hits.into_iter().map(|hit| hit.id).collect(),
                Err(_) => return Ok(None),
            },
            None => {
                let index = self.period_index(range, period).await?;
                let hits = tokio::task::spawn_blocking(move || {
                    index.search(
                        &request.query,
                        &request.filters,
                        request.sort,
                        request.offset,
                        request.limit,
                    )
                })
                .await?;
                match hits {
                    Ok(page) => page.hits.into_iter().map(|hit| hit.id).collect(),
                    Err(_) => return Ok(None),
                }
            }
        };
        Ok(Some(SearchMatches { query: label, ids }))
    }

    /// The in-memory keyword index of the period's papers, built on first need.
    async fn period_index(&self, range: (Date, Date), period: &PeriodPapers) -> anyhow::Result<Arc<SearchIndex>> {
        let ids: Vec<String> = period.documents.iter().map(|d| d.id.clone()).collect();
        let fingerprint = {
            let mut hasher = DefaultHasher::new();
            ids.hash(&mut hasher);
            hasher.finish()
        };
        if let Some((r, f, index)) = self.period_index.lock().expect("period index lock").as_ref()
            && *r == range
            && *f == fingerprint
        {
            return Ok(Arc::clone(index));
        }
        let documents = self.store.search_documents(&ids).await?;
        let index = tokio::task::spawn_blocking(move || -> anyhow::Result<SearchIndex> {
            let index = SearchIndex::in_memory()?;
            index.add_to_build(&documents)?;
            index.finish_build(0)?;
            Ok(index)
        })
        .await??;
        let index = Arc::new(index);
        *self.period_index.lock().expect("period index lock") = Some((range, fingerprint, Arc::clone(&index)));
        Ok(index)
    }
}

/// The period's list as For you reorders it: every candidate, scored as pages score them.
fn list_request(period: Period, page: u32, page_size: u32) -> ListRequest {
    ListRequest {
        scope: Scope::Period(period),
        sort: Sort::Trending,
        category: None,
        page,
        page_size,
        by_hugging_face_day: false,
        scored_at: ScoredAt::PeriodEndOrNow,
    }
}

/// A followed search (the search page's query string) as a keyword search over the period,
/// with the words a reason names it by.
fn saved_search(query_string: &str, first: Date, last: Date) -> Option<(String, SearchRequest)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string).ok()?;
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string());
    let text = get("q").unwrap_or_default();
    let categories: Vec<String> = get("cat")
        .unwrap_or_default()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    if text.is_empty() && categories.is_empty() {
        return None;
    }
    let date = |name: &str| get(name).and_then(|d| d.parse::<Date>().ok());
    let from = date("from").map_or(first, |d| d.max(first));
    let until = date("until").map_or(last, |d| d.min(last));
    let label = match (text.is_empty(), categories.is_empty()) {
        (false, true) => text.clone(),
        (true, false) => format!("in {}", categories.join(", ")),
        _ => format!("{text} in {}", categories.join(", ")),
    };
    let request = SearchRequest {
        query: paperboy_search::parse(&text).ok()?,
        mode: Some(paperboy_search::Mode::Keyword),
        filters: paperboy_search::Filters {
            categories,
            from: Some(from),
            until: Some(until),
        },
        sort: paperboy_search::Sort::New,
        offset: 0,
        limit: SEARCH_MATCHES,
    };
    Some((label, request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_followed_search_is_read_within_the_period() {
        let (first, last) = (jiff::civil::date(2026, 2, 1), jiff::civil::date(2026, 2, 28));
        let (label, request) =
            saved_search("q=diffusion%20models&cat=cs.CV&from=2026-02-10", first, last).expect("reads");
        assert_eq!(label, "diffusion models in cs.CV");
        assert_eq!(request.filters.from, Some(jiff::civil::date(2026, 2, 10)));
        assert_eq!(request.filters.until, Some(last));
        assert_eq!(request.filters.categories, ["cs.CV"]);
        assert!(saved_search("sort=new", first, last).is_none(), "nothing to match by");
    }
}
