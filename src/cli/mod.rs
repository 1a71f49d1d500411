//! One module per subcommand. Each builds what it needs (config, store, runtime) and calls into
//! the library; nothing here holds logic a test would want to reach without the binary.

pub mod backup;
pub mod copy_db;
pub mod demo;
pub mod digest;
pub mod eval_recs;
pub mod harvest;
pub mod import;
pub mod progress;
pub mod search;
pub mod serve;
pub mod stats;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use paperboy_store::{PgStore, SqliteStore, SqliteWorkload, Store};

use crate::config::{Config, DataDir, LogFormat};

/// What every subcommand is given: where the instance lives and which config file to read.
pub struct Context {
    pub data_dir: PathBuf,
    pub config_file: Option<PathBuf>,
    /// `--database-url`, over the config's `database_url`.
    pub database_url: Option<String>,
}

impl Context {
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(&self.data_dir, self.config_file.as_deref())?;
        if let Some(url) = &self.database_url {
            config.store.database_url = Some(url.clone());
        }
        Ok(config)
    }

    /// The instance's database: PostgreSQL when a `postgres://` URL is given, else the SQLite
    /// file in the data directory. Either way its schema is brought up to date.
    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        self.open_store_for(SqliteWorkload::Serving).await
    }

    /// [`Context::open_store`] for a process that mostly does `workload` (PostgreSQL is tuned
    /// by its operator, not per process).
    pub async fn open_store_for(&self, workload: SqliteWorkload) -> anyhow::Result<Arc<dyn Store>> {
        let data_dir = DataDir::create(self.data_dir.clone())?;
        match self.config()?.store.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let store = PgStore::connect(&url)
                    .await
                    .context("while opening the PostgreSQL database")?;
                Ok(Arc::new(store))
            }
            Some(_) => anyhow::bail!(
                "database_url must be a postgres:// URL (SQLite needs none: it is the file in the data directory)"
            ),
            None => {
                let store = SqliteStore::open_for(&data_dir.database(), workload)
                    .await
                    .with_context(|| format!("while opening the database in {}", data_dir.root.display()))?;
                Ok(Arc::new(store))
            }
        }
    }
}

/// Logs go to stderr so that stdout stays for results (`stats --json`, the listening line).
/// Lines are handed to a writer thread, so a busy server does not wait on the terminal or
/// the log file; the returned guard flushes what is left when it is dropped at exit.
pub fn init_logging(config: &Config) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.server.log))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        // Buffered: the writer thread flushes whenever it has caught up, so a busy server makes
        // one write(2) per burst of lines instead of one per line.
        .finish(std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr()));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    let _ = match config.server.log_format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    guard
}

/// A multi-threaded runtime: blocking parse work and async database work share the two cores.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")
}
