//! Rendered responses, kept until the data behind them changes.
//!
//! Every cached body is stamped with the store's content version. A background task reads the
//! version every second (so an import by another process shows within a second) and writes made
//! through this process bump it at once. Stale entries are rendered again, once: requests for
//! a page that arrive while it renders wait for that render and share its result. Hits are
//! answered by the [`edge`](super::edge) before routing, which is what lets a day page keep up
//! with a static file server.
//!
//! A page is keyed by its path and the query parameters cached pages read (any other parameter
//! is left out, so `?junk=1` cannot make a new page), and the cache holds at most
//! `page_cache_mib`: past it, the least recently used pages go. Renders are what a page costs,
//! so they count against the client's read limit; hits do not.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use paperboy_store::Store;

use super::error::AppError;
use super::state::AppState;
use crate::lists::LiveRankings;

/// Render locks kept before the ones nobody waits for are swept.
const MAX_RENDER_LOCKS: usize = 4096;

/// The query parameters some cached page reads (lists and feeds: sort, cat, page; the API's
/// daily papers: date, week, month, p, limit, submitter). Every other one is left out of the key.
const READ_PARAMETERS: &[&str] = &[
    "cat",
    "date",
    "limit",
    "month",
    "p",
    "page",
    "sort",
    "submitter",
    "week",
];

/// What an entry costs beyond its body: its key, the map's slot, the headers.
const ENTRY_OVERHEAD: usize = 512;

pub struct PageCache {
    entries: RwLock<Entries>,
    /// At most this many bytes of entries are kept.
    budget: usize,
    /// A clock that ticks at every use of an entry, for least-recently-used eviction.
    uses: AtomicU64,
    version: AtomicI64,
    changed_at: AtomicI64,
    /// One lock per page being rendered, so that the requests arriving while it renders wait
    /// for that render instead of each rendering it again (after a vote, every visitor of a
    /// month page at 2.8 M papers would otherwise spend half a second of CPU on it).
    renders: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Caught up before a new version is taken on: a page stamped with a version is then never
    /// ranked from rankings older than it (a version and its log entries commit together).
    rankings: Option<Arc<LiveRankings>>,
}

#[derive(Default)]
struct Entries {
    by_key: HashMap<String, Arc<CachedResponse>>,
    /// What the entries cost, as [`CachedResponse::cost`] counts.
    bytes: usize,
}

pub struct CachedResponse {
    version: i64,
    /// The cache's use clock when this entry was last served.
    last_used: AtomicU64,
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Bytes,
    gzip: OnceLock<Option<Bytes>>,
    pub etag: HeaderValue,
    pub last_modified: Option<HeaderValue>,
    /// The route that rendered it, for metrics on cache hits.
    pub route: String,
    /// Metric handles for a plain `GET` answered 200 from this entry, made once: looking a
    /// metric up by its labels on every hit costs more than serving the page.
    pub hit_metrics: OnceLock<(metrics::Counter, metrics::Histogram)>,
}

impl CachedResponse {
    /// Bytes held for this entry under `key`: its body, and its gzipped body, which is made
    /// on first need and counted ahead at half the body (HTML and JSON shrink to a fifth).
    fn cost(&self, key: &str) -> usize {
        key.len() + self.body.len() + self.body.len() / 2 + ENTRY_OVERHEAD
    }

    /// The body gzipped, made on first need and kept (browsers always ask for gzip).
    pub fn gzip(&self) -> Option<&Bytes> {
        self.gzip
            .get_or_init(|| {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(&self.body).ok()?;
                encoder.finish().ok().map(Bytes::from)
            })
            .as_ref()
    }
}

impl PageCache {
    /// An empty cache that holds at most `budget` bytes.
    pub fn with_budget(budget: usize) -> PageCache {
        PageCache {
            rankings: None,
            entries: RwLock::default(),
            budget,
            uses: AtomicU64::new(0),
            version: AtomicI64::new(0),
            changed_at: AtomicI64::new(0),
            renders: Mutex::default(),
        }
    }

    /// The cache of pages ranked from `rankings`.
    pub fn ranked_from(self, rankings: Arc<LiveRankings>) -> PageCache {
        PageCache {
            rankings: Some(rankings),
            ..self
        }
    }

    pub fn observe(&self, version: paperboy_store::ContentVersion) {
        self.version.fetch_max(version.version, Ordering::Relaxed);
        self.changed_at.fetch_max(version.changed_at, Ordering::Relaxed);
    }

    /// Reads the content version now, after a write of ours, so the next page shows it.
    pub async fn refresh(&self, store: &dyn Store) {
        if let Ok(version) = store.content_version().await {
            self.take_on(version).await;
        }
    }

    /// Takes on a version read from the store once the rankings hold what it counts. If they
    /// cannot catch up, they forget what they hold (lists read it again), rather than pages
    /// keeping an old version for as long as the failure lasts.
    async fn take_on(&self, version: paperboy_store::ContentVersion) {
        if let Some(rankings) = &self.rankings
            && let Err(error) = rankings.catch_up().await
        {
            tracing::warn!(%error, "cannot follow the change log; the rankings in memory start again");
            rankings.forget();
        }
        self.observe(version);
    }

    /// Keeps following the store's content version until the process ends.
    pub fn follow(self: &Arc<Self>, store: Arc<dyn Store>) {
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            loop {
                interval.tick().await;
                match store.content_version().await {
                    // Every second even without a new version: a replica's votes show within 2 s.
                    Ok(version) => cache.take_on(version).await,
                    Err(error) => tracing::warn!(%error, "cannot read the content version"),
                }
            }
        });
    }

    /// A fresh entry for this path and query, if there is one.
    pub fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        self.get_since(key, self.version.load(Ordering::Relaxed))
    }

    /// The entry for this path and query if it was rendered at `version` or later.
    fn get_since(&self, key: &str, version: i64) -> Option<Arc<CachedResponse>> {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = entries.by_key.get(key)?;
        if entry.version < version {
            return None;
        }
        entry
            .last_used
            .store(self.uses.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        Some(Arc::clone(entry))
    }

    /// This request's turn to render `key`: it comes once every render of `key` that started
    /// before it has finished.
    async fn render_turn<'a>(&'a self, key: &'a str) -> RenderTurn<'a> {
        let lock = {
            let mut renders = self.renders.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if renders.len() >= MAX_RENDER_LOCKS {
                // Locks left by requests cancelled while they waited.
                renders.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            Arc::clone(renders.entry(key.to_owned()).or_default())
        };
        let guard = Arc::clone(&lock).lock_owned().await;
        RenderTurn {
            cache: self,
            key,
            lock,
            guard: Some(guard),
        }
    }

    fn put(&self, key: String, entry: Arc<CachedResponse>) {
        let cost = entry.cost(&key);
        // (With a budget of 0, the cache is off and this keeps nothing.)
        if cost > self.budget / 4 {
            // One page that would push out a quarter of the others is served, not kept.
            return;
        }
        entry
            .last_used
            .store(self.uses.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        let mut entries = self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(replaced) = entries.by_key.insert(key.clone(), entry) {
            entries.bytes -= replaced.cost(&key);
        }
        entries.bytes += cost;
        if entries.bytes > self.budget {
            // Down to nine tenths at once, so that the sort is paid once per many renders.
            let target = self.budget / 10 * 9;
            let mut by_age: Vec<(u64, String)> = entries
                .by_key
                .iter()
                .map(|(key, entry)| (entry.last_used.load(Ordering::Relaxed), key.clone()))
                .collect();
            by_age.sort_unstable();
            for (_, key) in by_age {
                if entries.bytes <= target {
                    break;
                }
                if let Some(evicted) = entries.by_key.remove(&key) {
                    entries.bytes -= evicted.cost(&key);
                }
            }
        }
    }

    /// How many pages are held and what they cost, for `/metrics` and tests.
    pub fn size(&self) -> (usize, usize) {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        (entries.by_key.len(), entries.bytes)
    }
}

/// What a cacheable handler is asked for: its path and query (the cache key) and its route.
pub struct PageKey {
    pub key: String,
    pub route: String,
}

impl<S: Send + Sync> FromRequestParts<S> for PageKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or("unmatched", MatchedPath::as_str)
            .to_owned();
        Ok(PageKey {
            key: cache_key(&parts.uri),
            route,
        })
    }
}

/// The page a URI names: its path, and the parameters some cached page reads, sorted by name
/// (a name's values keep their order, which decides what a repeated one means).
pub fn cache_key(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_owned();
    };
    let mut read: Vec<&str> = query
        .split('&')
        .filter(|pair| READ_PARAMETERS.contains(&pair.split('=').next().unwrap_or("")))
        .collect();
    if read.is_empty() {
        return uri.path().to_owned();
    }
    read.sort_by_key(|pair| pair.split('=').next().unwrap_or(""));
    format!("{}?{}", uri.path(), read.join("&"))
}

/// An HTML page from the cache, or rendered and cached.
pub async fn cached_html(
    state: &AppState,
    page: &PageKey,
    render: impl Future<Output = Result<String, AppError>>,
) -> Response {
    cached(state, page, "text/html; charset=utf-8", async {
        render.await.map(Bytes::from)
    })
    .await
}

/// Any body from the cache, or rendered and cached. Client errors are cached (they change only
/// with the data); failures of ours are not.
pub async fn cached(
    state: &AppState,
    page: &PageKey,
    content_type: &'static str,
    render: impl Future<Output = Result<Bytes, AppError>>,
) -> Response {
    let cache = &state.cache;
    if cache.budget == 0 {
        // The cache is off (`page_cache_mib = 0`, for measuring renders): every request
        // renders, side by side, as each first visitor after a change would.
        return render_into_cache(state, page, content_type, render).await;
    }
    let wanted = cache.version.load(Ordering::Relaxed);
    if let Some(entry) = cache.get_since(&page.key, wanted) {
        return respond(&entry, false);
    }
    // One render at a time per page: whoever waited for another's render takes its result,
    // if that render saw every change this request must see (a voter sees their vote).
    let _turn = cache.render_turn(&page.key).await;
    match cache.get_since(&page.key, wanted) {
        Some(entry) => respond(&entry, false),
        None => render_into_cache(state, page, content_type, render).await,
    }
}

/// A request's turn to render one page; the page's lock is forgotten when the last request
/// done with it lets go.
struct RenderTurn<'a> {
    cache: &'a PageCache,
    key: &'a str,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for RenderTurn<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut renders = self
            .cache
            .renders
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Ours and the map's: nobody else holds or awaits it.
        if Arc::strong_count(&self.lock) == 2 {
            renders.remove(self.key);
        }
    }
}

async fn render_into_cache(
    state: &AppState,
    page: &PageKey,
    content_type: &'static str,
    render: impl Future<Output = Result<Bytes, AppError>>,
) -> Response {
    let cache = &state.cache;
    metrics::counter!("page_renders_total", "route" => page.route.clone()).increment(1);
    let version = cache.version.load(Ordering::Relaxed);
    let (status, content_type, body) = match render.await {
        Ok(body) => (StatusCode::OK, content_type, body),
        Err(error) if error.status.is_client_error() && content_type.starts_with("application/json") => {
            let body = serde_json::json!({"error": error.message, "status": error.status.as_u16()});
            (error.status, content_type, Bytes::from(body.to_string()))
        }
        Err(error) if error.status.is_client_error() => {
            let page = super::views::error_page(&state.settings.instance_name, error.status, &error.message);
            (error.status, "text/html; charset=utf-8", Bytes::from(page))
        }
        Err(error) => return error.into_response(),
    };
    let changed_at = cache.changed_at.load(Ordering::Relaxed);
    let entry = Arc::new(CachedResponse {
        version,
        last_used: AtomicU64::new(0),
        status,
        content_type,
        etag: etag_of(&body),
        last_modified: (changed_at > 0).then(|| http_date(changed_at)).flatten(),
        body,
        gzip: OnceLock::new(),
        route: page.route.clone(),
        hit_metrics: OnceLock::new(),
    });
    let response = respond(&entry, false);
    cache.put(page.key.clone(), entry);
    response
}

/// The response for an entry; `gzip` when the client accepts it.
pub fn respond(entry: &CachedResponse, gzip: bool) -> Response {
    use axum::http::header;
    let compressed = if gzip { entry.gzip() } else { None };
    let mut response = (entry.status, compressed.unwrap_or(&entry.body).clone()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(entry.content_type));
    headers.insert(header::ETAG, entry.etag.clone());
    // Pages change with every vote: let browsers keep them but ask each time (ETag makes that cheap).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(last_modified) = &entry.last_modified {
        headers.insert(header::LAST_MODIFIED, last_modified.clone());
    }
    if compressed.is_some() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// A strong validator from the body itself.
fn etag_of(body: &[u8]) -> HeaderValue {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    HeaderValue::from_str(&format!("\"{:016x}-{:x}\"", hasher.finish(), body.len()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(unix_seconds: i64) -> Option<HeaderValue> {
    let timestamp = jiff::Timestamp::from_second(unix_seconds).ok()?;
    let text = timestamp
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    HeaderValue::from_str(&text).ok()
}

/// Parses an `If-Modified-Since` value.
pub fn parse_http_date(text: &str) -> Option<i64> {
    jiff::fmt::rfc2822::parse(text)
        .ok()
        .map(|zoned| zoned.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_keeps_only_what_pages_read_in_one_order() {
        let key = |uri: &str| cache_key(&uri.parse().unwrap());
        assert_eq!(key("/papers/2602.11096?utm_source=x&junk=1"), "/papers/2602.11096");
        assert_eq!(
            key("/papers/trending?page=2&sort=new&ref=a"),
            "/papers/trending?page=2&sort=new"
        );
        assert_eq!(
            key("/papers/trending?sort=new&page=2"),
            key("/papers/trending?page=2&sort=new")
        );
        // A repeated parameter keeps its values' order: which one wins is the handler's affair.
        assert_eq!(key("/?sort=top&cat=cs.CL&sort=new"), "/?cat=cs.CL&sort=top&sort=new");
        assert_eq!(
            key("/api/daily_papers?p=3&limit=5&date=2026-02-13"),
            "/api/daily_papers?date=2026-02-13&limit=5&p=3"
        );
    }

    fn entry(body: usize) -> Arc<CachedResponse> {
        let body = Bytes::from(vec![b'x'; body]);
        Arc::new(CachedResponse {
            version: 0,
            last_used: AtomicU64::new(0),
            status: StatusCode::OK,
            content_type: "text/html; charset=utf-8",
            etag: etag_of(&body),
            body,
            gzip: OnceLock::new(),
            last_modified: None,
            route: "/".into(),
            hit_metrics: OnceLock::new(),
        })
    }

    #[test]
    fn the_least_recently_used_pages_go_first_and_the_budget_holds() {
        let cache = PageCache::with_budget(100_000);
        for n in 0..100 {
            cache.put(format!("/page/{n}"), entry(5_000));
            // One page is read all along.
            assert!(cache.get("/page/0").is_some(), "the page read all along stays ({n})");
            let (_, bytes) = cache.size();
            assert!(bytes <= 100_000, "{bytes}");
        }
        assert!(cache.get("/page/99").is_some(), "the newest stays");
        assert!(cache.get("/page/1").is_none(), "the oldest unread one went");
        cache.put("/huge".into(), entry(60_000));
        assert!(
            cache.get("/huge").is_none(),
            "a page of more than a quarter of the budget is not kept"
        );
        let off = PageCache::with_budget(0);
        off.put("/".into(), entry(10));
        assert!(off.get("/").is_none(), "a cache of 0 bytes is off");
    }
}
