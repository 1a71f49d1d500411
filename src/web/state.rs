//! What every request shares: the settings resolved from the configuration once, and the
//! services and caches handlers reach through [`AppState`].

use std::sync::Arc;
use std::time::Duration;

use paperboy_core::TrendingParameters;
use paperboy_store::Store;

use super::{cache, cards, health, read_limit};
use crate::arxiv::ArxivClient;
use crate::config::Config;
use crate::digest::Digests;
use crate::for_you::ForYou;
use crate::harvest::HarvestSettings;
use crate::limits::{Limit, Limits};
use crate::lists::{ListRequest, ListView, LiveRankings, Placement};
use crate::mail::Mailer;
use crate::search::Search;

/// What handlers need from the configuration, resolved once.
#[derive(Clone, Debug)]
pub struct Settings {
    pub instance_name: String,
    pub public_url: String,
    pub page_size: u32,
    pub trending: TrendingParameters,
    pub access_log: bool,
    pub login_link_minutes: u32,
    pub submission_max_age_days: u32,
    pub submissions_per_day: u32,
    pub submission_retry: Duration,
    pub limits: Limits,
    pub connection_idle: Duration,
    pub max_connections: usize,
    pub page_cache_bytes: usize,
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Settings {
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            instance_name: config.server.instance_name.clone(),
            public_url: config.public_url(),
            page_size: config.server.page_size,
            trending: config.trending(),
            access_log: config.server.access_log,
            login_link_minutes: config.mail.login_link_minutes,
            submission_max_age_days: config.submissions.submission_max_age_days,
            submissions_per_day: config.submissions.submissions_per_day,
            submission_retry: Duration::from_secs_f64(config.submissions.submission_retry_seconds.clamp(0.0, 86_400.0)),
            limits: Limits::default()
                .with(Limit::Writes, config.limits.writes_per_client)
                .with(Limit::Comments, config.limits.comments_per_member)
                .with(Limit::CommentsPerClient, config.limits.comments_per_client)
                .with(Limit::NewMemberComments, config.limits.new_member_comments)
                .with(Limit::Reads, config.limits.reads_per_client)
                .with(Limit::LoginLinks, config.limits.login_links_per_client)
                .with(Limit::SubscribeRequests, config.limits.subscribe_requests_per_client),
            connection_idle: Duration::from_secs(u64::from(config.server.connection_idle_seconds)),
            max_connections: config.server.max_connections as usize,
            page_cache_bytes: config.server.page_cache_mib as usize * 1024 * 1024,
            trusted_proxies: config.server.trusted_proxies.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub mailer: Arc<Mailer>,
    pub arxiv: Arc<ArxivClient>,
    pub digests: Arc<Digests>,
    pub search: Arc<Search>,
    pub for_you: Arc<ForYou>,
    /// The lists' candidates, kept in memory and followed from the change log (unless
    /// `rankings_in_memory` is off).
    pub rankings: Option<Arc<LiveRankings>>,
    /// What `/healthz` holds the lists' freshness against, and whether this process harvests.
    pub harvest: Arc<HarvestSettings>,
    pub harvest_scheduled: bool,
    pub(crate) cache: Arc<cache::PageCache>,
    /// List cards kept per paper revision, so a vote re-renders one card and the page around it.
    pub(crate) cards: Arc<cards::CardCache>,
    /// Whether the database takes writes, as `/readyz` and `/healthz` last found.
    pub(crate) writability: Arc<health::Writability>,
    pub(crate) read_limiter: Arc<read_limit::ReadLimiter>,
    /// The key that marks browsers which signed in to an account, read from the instance's
    /// secrets on first need and kept: every replica shares it, and it never changes.
    pub(crate) known_browser_key: Arc<tokio::sync::OnceCell<String>>,
}

impl AppState {
    pub fn new(
        settings: Settings,
        digests: Arc<Digests>,
        search: Arc<Search>,
        arxiv: Arc<ArxivClient>,
        harvest: HarvestSettings,
        harvest_scheduled: bool,
        rankings: Option<Arc<LiveRankings>>,
    ) -> AppState {
        let mut cache = cache::PageCache::with_budget(settings.page_cache_bytes);
        if let Some(rankings) = &rankings {
            cache = cache.ranked_from(Arc::clone(rankings));
        }
        let reads_per_client = settings.limits.of(Limit::Reads);
        digests.for_you.attach_search(Arc::clone(&search));
        AppState {
            for_you: Arc::clone(&digests.for_you),
            store: Arc::clone(&digests.store),
            settings: Arc::new(settings),
            mailer: Arc::clone(&digests.mailer),
            arxiv,
            digests,
            search,
            harvest: Arc::new(harvest),
            harvest_scheduled,
            cache: Arc::new(cache),
            cards: Arc::default(),
            rankings,
            writability: Arc::new(health::Writability::default()),
            read_limiter: Arc::new(read_limit::ReadLimiter::new(reads_per_client)),
            known_browser_key: Arc::default(),
        }
    }
}

impl AppState {
    /// A list as the site shows it (pages, feeds, the API): its candidates from the rankings in
    /// memory when this process keeps them.
    pub async fn list(&self, request: ListRequest) -> Result<ListView, paperboy_store::StoreError> {
        self.place(request).await?.with_papers(&*self.store).await
    }

    /// A list's page before its papers are read, as [`list`](Self::list) places it.
    pub async fn place(&self, request: ListRequest) -> Result<Placement, paperboy_store::StoreError> {
        crate::lists::place(&*self.store, self.rankings.as_deref(), &self.settings.trending, request).await
    }
}
