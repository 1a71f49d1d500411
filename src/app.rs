//! The composition root: what one process of an instance runs, from the configuration. It
//! opens the parts (digests, the arXiv client, the harvester, search, the web server), starts
//! the background work the replica's role allows, and stops them all on Ctrl-C or SIGTERM.
//! `web/`, `digest/`, `harvest/` and `search/` sit side by side below it.

use std::sync::Arc;

use anyhow::Context;
use paperboy_store::Store;
use tokio::net::TcpListener;

use crate::arxiv::ArxivClient;
use crate::config::Config;
use crate::digest::{DigestSettings, Digests};
use crate::harvest::{HarvestSettings, Harvester};
use crate::mail::Mailer;
use crate::search::Search;
use crate::web::{AppState, Settings};

/// What one process of the fleet does. Every replica may do everything (the default): the
/// queue's unique rows, claims and the arXiv lease keep them from doubling anything. Splitting
/// lets an operator keep the background work off the machines that answer requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaRole {
    /// Requests, digests, harvests and embeddings, as configured.
    Everything,
    /// Only requests: no digest clock, no harvests, no embedding of new papers.
    WebOnly,
    /// Only the background work: nothing listens.
    WorkerOnly,
}

impl ReplicaRole {
    /// Whether this process runs the background work the configuration turns on.
    fn works_in_background(self) -> bool {
        self != ReplicaRole::WebOnly
    }

    /// Whether this process answers requests.
    pub fn serves(self) -> bool {
        self != ReplicaRole::WorkerOnly
    }
}

/// The background work of a process: the digest clock and the harvest schedule (each when
/// configured, and not on a web-only replica), and what the web server shares with them.
struct BackgroundWork {
    digests: Arc<Digests>,
    arxiv: Arc<ArxivClient>,
    harvest: HarvestSettings,
}

impl BackgroundWork {
    async fn start(
        config: &Config,
        role: ReplicaRole,
        store: Arc<dyn Store>,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        let mailer = Arc::new(Mailer::from_config(config, data_dir)?);
        let digests = Arc::new(Digests::new(store, mailer, DigestSettings::from_config(config)?, data_dir).await?);
        // Every replica may run the clock: the queue's unique rows and claims keep them from doubling.
        if config.digest.digest_schedule && role.works_in_background() {
            tokio::spawn(Arc::clone(&digests).run_scheduler());
        }
        // One client for every arXiv request of the process: submissions and harvests share its pace.
        let arxiv = Arc::new(ArxivClient::from_config(config)?.taking_turns_with(Arc::clone(&digests.store)));
        let harvest = HarvestSettings::from_config(config)?;
        if config.harvest.harvest_schedule && role.works_in_background() {
            let harvester = Harvester::new(
                Arc::clone(&digests.store),
                Arc::clone(&arxiv),
                harvest.clone(),
                &crate::arxiv::user_agent(config),
            );
            tokio::spawn(Arc::new(harvester).run_schedule());
        }
        Ok(BackgroundWork {
            digests,
            arxiv,
            harvest,
        })
    }
}

/// Listens on `addr` and serves the instance until Ctrl-C or SIGTERM, with the background work
/// `config` asks for unless `role` is web-only. Without a configured `public_url`, links point
/// at the address actually bound (which matters with port 0). A web-only replica still reports
/// on the fleet's harvests in `/healthz`: their run log is in the database.
pub async fn bind_and_serve(
    addr: std::net::SocketAddr,
    role: ReplicaRole,
    mut config: Config,
    store: Arc<dyn Store>,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    if config.server.public_url.is_none() {
        config.server.public_url = Some(format!(
            "http://{}",
            listener.local_addr().context("while reading the listening address")?
        ));
    }
    let work = BackgroundWork::start(&config, role, store, data_dir).await?;
    let embed = config.search.embed_in_background && role.works_in_background();
    let search = open_search(&config, &work.digests.store, data_dir, embed).await?;
    let rankings = if config.ranking.rankings_in_memory {
        let rankings = crate::lists::LiveRankings::open(Arc::clone(&work.digests.store), config.trending())
            .await
            .context("while reading where the change log stands")?;
        Some(Arc::new(rankings))
    } else {
        None
    };
    let state = AppState::new(
        Settings::from_config(&config),
        work.digests,
        search,
        work.arxiv,
        work.harvest,
        config.harvest.harvest_schedule,
        rankings,
    );
    crate::web::serve(listener, state, shutdown_signal()).await
}

/// A worker-only replica: the background work `config` asks for until Ctrl-C or SIGTERM, and
/// nothing listening. It keeps no search index (the web replicas do, even one on this data
/// directory); with a model it embeds new papers for them.
pub async fn work_without_serving(
    config: Config,
    store: Arc<dyn Store>,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    if config.server.public_url.is_none() && config.digest.digest_schedule {
        tracing::warn!(
            "public_url is not set: digests will link to http://{}",
            config.server.addr
        );
    }
    let work = BackgroundWork::start(&config, ReplicaRole::WorkerOnly, store, data_dir).await?;
    let model_dir = model_dir(&config, data_dir);
    let kind = config.search.embedding_model;
    let embedding = config.search.embed_in_background && paperboy_embed::Embedder::present_kind(&model_dir, kind);
    if embedding {
        let search = Search::in_memory_with_model(Arc::clone(&work.digests.store), &model_dir, kind).await?;
        Arc::new(search).embed_in_background();
    }
    println!(
        "paperboy worker running (digests: {}, harvests: {}, embeddings: {})",
        config.digest.digest_schedule, config.harvest.harvest_schedule, embedding
    );
    tracing::info!("worker running; nothing listens");
    shutdown_signal().await;
    tracing::info!("worker stopping");
    Ok(())
}

/// Where the embedding model is looked for: `model_dir`, or the data directory's default.
fn model_dir(config: &Config, data_dir: &std::path::Path) -> std::path::PathBuf {
    config
        .search
        .model_dir
        .clone()
        .unwrap_or_else(|| crate::search::default_model_dir(data_dir))
}

/// Opens the search index (rebuilding it if it is missing or outdated, before the first request)
/// and starts keeping it up to date, and the embeddings: loading them, and with `embed`
/// computing those of new papers.
async fn open_search(
    config: &Config,
    store: &Arc<dyn Store>,
    data_dir: &std::path::Path,
    embed: bool,
) -> anyhow::Result<Arc<Search>> {
    let model_dir = model_dir(config, data_dir);
    let data_dir = crate::config::DataDir::create(data_dir.to_path_buf())?;
    let model = Some((model_dir.as_path(), config.search.embedding_model));
    let search = Arc::new(Search::open(Arc::clone(store), &data_dir.search_index(), model).await?);
    if search.semantic_available() {
        tracing::info!(model = %model_dir.display(), "semantic search on");
        search.follow_embeddings().await?;
    } else {
        tracing::info!(model = %model_dir.display(), "no embedding model: search is keyword-only (scripts/fetch-model.sh)");
    }
    search
        .catch_up()
        .await
        .context("while bringing the search index up to date")?;
    search.run_in_background(embed);
    Ok(search)
}

/// Ctrl-C or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
