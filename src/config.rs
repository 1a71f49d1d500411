//! Instance configuration: defaults, then `paperboy.toml` (in the data dir, or `--config`),
//! then `PAPERBOY_*` environment variables, then command-line flags. `paperboy.example.toml`
//! lists every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Provider};
use serde::{Deserialize, Serialize};

use crate::limits::Limit;

/// The configuration file looked for in the data directory.
pub const CONFIG_FILE_NAME: &str = "paperboy.toml";
/// The SQLite database file in the data directory.
pub const DATABASE_FILE_NAME: &str = "paperboy.db";

/// The whole configuration, by area. Files and variables name its keys flat (`page_size`,
/// `PAPERBOY_PAGE_SIZE`); each group holds its keys under their own names.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Config {
    #[serde(flatten)]
    pub store: StoreConfig,
    #[serde(flatten)]
    pub server: ServerConfig,
    #[serde(flatten)]
    pub ranking: RankingConfig,
    #[serde(flatten)]
    pub limits: LimitsConfig,
    #[serde(flatten)]
    pub mail: MailConfig,
    #[serde(flatten)]
    pub arxiv: ArxivConfig,
    #[serde(flatten)]
    pub submissions: SubmissionConfig,
    #[serde(flatten)]
    pub digest: DigestConfig,
    #[serde(flatten)]
    pub search: SearchConfig,
    #[serde(flatten)]
    pub harvest: HarvestConfig,
}

/// Where the data is kept and how it is written.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StoreConfig {
    /// PostgreSQL instead of the SQLite file in the data directory
    /// (`postgres://user:password@host:5432/database`); also `--database-url`.
    pub database_url: Option<String>,
    /// Records written to the database per transaction during imports.
    pub import_batch_size: usize,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig {
            database_url: None,
            import_batch_size: 10_000,
        }
    }
}

/// The web server: where it listens, what it logs, how it treats connections.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ServerConfig {
    /// Where `paperboy serve` listens.
    pub addr: SocketAddr,
    /// Log filter in `tracing` syntax, e.g. `info` or `paperboy=debug,sqlx=warn`.
    pub log: String,
    /// `text` for people, `json` (one object per line) for log collectors.
    pub log_format: LogFormat,
    /// One log line per HTTP request (at `info`).
    pub access_log: bool,
    /// The instance's name, shown in page titles and the "by … and the research community" line.
    pub instance_name: String,
    /// The URL people reach this instance at (for feeds, e-mails, Open Graph); defaults to
    /// `http://<addr>`.
    pub public_url: Option<String>,
    /// Papers per page on list views.
    pub page_size: u32,
    /// Seconds a connection may go without sending a whole request head, whether newly opened
    /// or idle between requests, before it is closed.
    pub connection_idle_seconds: u32,
    /// Connections open at once; past it, new ones wait in the listen queue (and a line is
    /// logged). Lowered to fit the process's file limit, which `serve` raises as far as allowed.
    pub max_connections: u32,
    /// Rendered pages kept in memory, in MiB; the least recently used go first. 0 turns the
    /// cache off: every request renders its page (for measuring renders).
    pub page_cache_mib: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for per-client limits and
    /// logs); requests from anywhere else are taken at their connection's address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log: "info".to_owned(),
            log_format: LogFormat::Text,
            access_log: true,
            instance_name: "Paperboy".to_owned(),
            public_url: None,
            page_size: 30,
            connection_idle_seconds: 10,
            max_connections: 4096,
            page_cache_mib: 64,
            trusted_proxies: vec![[127, 0, 0, 1].into(), std::net::Ipv6Addr::LOCALHOST.into()],
        }
    }
}

/// How lists rank papers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RankingConfig {
    /// Trending score: `(votes + 1) / (age_hours + trending_age_offset_hours) ^ trending_gravity`.
    pub trending_gravity: f64,
    pub trending_age_offset_hours: f64,
    /// Votes one GitHub star gained over the last week counts as (0: stars do not count; needs
    /// `github_stars`).
    pub trending_star_weight: f64,
    /// Days `/papers/trending` looks back from the latest listing day.
    pub trending_window_days: u32,
    /// Whether the web's lists rank papers kept in memory and followed from the change log
    /// (false: every list is read from the database, as before; for comparison).
    pub rankings_in_memory: bool,
}

impl Default for RankingConfig {
    fn default() -> RankingConfig {
        RankingConfig {
            trending_gravity: 1.5,
            trending_age_offset_hours: 2.0,
            trending_star_weight: 0.0,
            trending_window_days: 7,
            rankings_in_memory: true,
        }
    }
}

/// The configurable rate limits (each declared in `crate::limits`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LimitsConfig {
    /// Sign-in links one client address may ask for per 15 minutes (each address: 3).
    pub login_links_per_client: u32,
    /// State-changing requests (sign-in, votes, submissions, …) one client address may make per
    /// ten minutes, on top of the per-account limits.
    pub writes_per_client: u32,
    /// Searches and pages rendered afresh (not served from the page cache) one client address
    /// may ask for per minute; 0 turns the limit off (benchmarks from one machine).
    pub reads_per_client: u32,
    /// Subscribe requests one client address may make per hour (each address gets at most 3
    /// confirmation mails a day).
    pub subscribe_requests_per_client: u32,
    /// Comments one member may post per hour.
    pub comments_per_member: u32,
    /// Comments one client address may post per hour (members behind one address share it).
    pub comments_per_client: u32,
    /// Comments per hour of a member whose account is younger than a day.
    pub new_member_comments: u32,
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        LimitsConfig {
            login_links_per_client: Limit::LoginLinks.default_value(),
            writes_per_client: Limit::Writes.default_value(),
            reads_per_client: Limit::Reads.default_value(),
            subscribe_requests_per_client: Limit::SubscribeRequests.default_value(),
            comments_per_member: Limit::Comments.default_value(),
            comments_per_client: Limit::CommentsPerClient.default_value(),
            new_member_comments: Limit::NewMemberComments.default_value(),
        }
    }
}

/// Outgoing mail and sign-in links.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MailConfig {
    /// SMTP server for outgoing mail, e.g. `smtp://127.0.0.1:2525` or `smtps://user:pass@host`.
    /// Unset, mail is written as .eml files to `<data dir>/mail/`.
    pub smtp_url: Option<String>,
    /// The sender of outgoing mail.
    pub mail_from: String,
    /// How long a sign-in link works.
    pub login_link_minutes: u32,
}

impl Default for MailConfig {
    fn default() -> MailConfig {
        MailConfig {
            smtp_url: None,
            mail_from: "Paperboy <paperboy@localhost>".to_owned(),
            login_link_minutes: 15,
        }
    }
}

/// Talking to arXiv.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ArxivConfig {
    /// The arXiv API endpoint (a mirror or a test server may stand in).
    pub arxiv_api_url: String,
    /// rss.arxiv.org's feeds; `/<categories joined by +>` is appended.
    pub arxiv_rss_url: String,
    /// arXiv's OAI-PMH endpoint.
    pub arxiv_oai_url: String,
    /// Seconds between requests to arXiv; arXiv asks for at least 3, so less is only honoured
    /// for endpoints that are not arXiv's.
    pub arxiv_min_interval: f64,
    /// Attempts at one request (busy, unreachable, cut short) before a harvest run stops; the
    /// next run resumes where it stopped.
    pub arxiv_max_attempts: u32,
    /// Seconds before the first retry; doubled for each further one, plus jitter.
    pub arxiv_retry_seconds: f64,
    /// The longest Retry-After a run waits out; a longer one ends the run.
    pub arxiv_max_wait_seconds: f64,
    /// Seconds one request may take.
    pub arxiv_timeout_seconds: f64,
    /// The address arXiv may write to about this instance's requests (in the User-Agent);
    /// default: the address of `mail_from`.
    pub arxiv_contact: Option<String>,
}

impl Default for ArxivConfig {
    fn default() -> ArxivConfig {
        ArxivConfig {
            arxiv_api_url: "https://export.arxiv.org/api/query".to_owned(),
            arxiv_rss_url: "https://rss.arxiv.org/rss".to_owned(),
            arxiv_oai_url: "https://oaipmh.arxiv.org/oai".to_owned(),
            arxiv_min_interval: 3.0,
            arxiv_max_attempts: 5,
            arxiv_retry_seconds: 10.0,
            arxiv_max_wait_seconds: 600.0,
            arxiv_timeout_seconds: 60.0,
            arxiv_contact: None,
        }
    }
}

/// Papers members submit.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SubmissionConfig {
    /// Submissions take papers whose first version is at most this many days old.
    pub submission_max_age_days: u32,
    /// Papers one member may submit per day.
    pub submissions_per_day: u32,
    /// When arXiv cannot be reached, a submission is tried again in the background this many
    /// seconds apart, ten times, before it is given up.
    pub submission_retry_seconds: f64,
}

impl Default for SubmissionConfig {
    fn default() -> SubmissionConfig {
        SubmissionConfig {
            submission_max_age_days: 14,
            submissions_per_day: 5,
            submission_retry_seconds: 60.0,
        }
    }
}

/// E-mail digests: their clock and their delivery.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DigestConfig {
    /// Whether `serve` runs the digest clock (compose when due, send the queue). Every replica
    /// may; turn it off to drive digests from cron with `paperboy digest run` instead.
    pub digest_schedule: bool,
    /// Seconds between two looks of the digest clock: how late a due digest or retry may start.
    pub digest_check_seconds: u32,
    /// UTC time (HH:MM) the daily digest goes out: after arXiv's announcement at 20:00 US
    /// Eastern (00:00 or 01:00 UTC), and after the day's import.
    pub digest_daily_time: String,
    /// The weekday the weekly digest of the week before goes out (at `digest_daily_time`).
    pub digest_weekly_day: String,
    /// SMTP connections digests are sent over at once.
    pub digest_connections: u32,
    /// Wait before the first retry after a transient failure; it doubles with each attempt.
    pub digest_retry_seconds: u32,
    /// Attempts at one digest before it is given up.
    pub digest_max_attempts: u32,
    /// Permanent failures (5xx) in a row after which an address is marked bounced and skipped.
    pub digest_bounce_limit: u32,
    /// How long a worker holds the digests it claimed before another may take them over.
    pub digest_lease_seconds: u32,
}

impl Default for DigestConfig {
    fn default() -> DigestConfig {
        DigestConfig {
            digest_schedule: true,
            digest_check_seconds: 15,
            digest_daily_time: "02:00".to_owned(),
            digest_weekly_day: "saturday".to_owned(),
            digest_connections: 4,
            digest_retry_seconds: 60,
            digest_max_attempts: 10,
            digest_bounce_limit: 3,
            digest_lease_seconds: 300,
        }
    }
}

/// Semantic search.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SearchConfig {
    /// Where the sentence-embedding model's files are (see scripts/fetch-model.sh); default
    /// `<data dir>/models/all-MiniLM-L6-v2`. Without them, search is keyword-only.
    pub model_dir: Option<PathBuf>,
    /// Whether `serve` embeds new papers as they arrive (it uses the CPU while it does; turn it
    /// off to run `paperboy embed` at quiet times instead).
    pub embed_in_background: bool,
    /// Which model embeds papers and queries: `minilm` (the transformer itself) or `static` (the
    /// model `paperboy model distill` makes from it, beside it: hundreds of times faster).
    pub embedding_model: paperboy_embed::ModelKind,
}

impl Default for SearchConfig {
    fn default() -> SearchConfig {
        SearchConfig {
            model_dir: None,
            embed_in_background: true,
            embedding_model: paperboy_embed::ModelKind::Minilm,
        }
    }
}

/// Harvesting arXiv, Hugging Face and GitHub.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HarvestConfig {
    /// Whether `serve` harvests arXiv on its schedule (after each announcement). `paperboy
    /// harvest` works either way; `demo` never harvests.
    pub harvest_schedule: bool,
    /// The categories (or whole archives, e.g. `cs`) to harvest.
    pub harvest_categories: Vec<String>,
    /// Minutes after arXiv's 20:00 US Eastern announcement that the scheduled harvest starts.
    pub harvest_delay_minutes: u32,
    /// Minutes before a failed scheduled harvest is tried again.
    pub harvest_retry_minutes: u32,
    /// Hours after an announcement before its missing list makes `/healthz` unhealthy.
    pub harvest_grace_hours: u32,
    /// US Eastern days on which arXiv skips its announcement (see arXiv's holiday notices).
    pub harvest_holidays: Vec<paperboy_core::Date>,
    /// Whether harvests also read OAI-PMH (replacements, anything the feed missed).
    pub harvest_oai: bool,
    /// Papers per arXiv API request when completing what the feed announced.
    pub harvest_api_batch: u32,
    /// Days OAI-PMH looks back on the very first harvest.
    pub harvest_oai_first_days: u32,
    /// Whether harvests also read Hugging Face daily papers for their upvotes.
    pub hf_sync: bool,
    /// Hugging Face's base URL (`/api/daily_papers?date=` is appended).
    pub hf_api_url: String,
    /// Whether harvests also read the GitHub star counts of repositories linked from recent papers.
    pub github_stars: bool,
    /// GitHub's REST API.
    pub github_api_url: String,
    /// A GitHub token: 5,000 requests an hour instead of 60.
    pub github_token: Option<String>,
    /// Repositories read per harvest at most (those never read, then the least recently read).
    pub github_repos_per_run: u32,
}

impl Default for HarvestConfig {
    fn default() -> HarvestConfig {
        HarvestConfig {
            harvest_schedule: true,
            harvest_categories: vec!["cs.AI".to_owned(), "cs.CL".to_owned(), "cs.CV".to_owned()],
            harvest_delay_minutes: 30,
            harvest_retry_minutes: 30,
            harvest_grace_hours: 6,
            harvest_holidays: paperboy_core::AnnouncementCalendar::known_holidays(),
            harvest_oai: true,
            harvest_api_batch: 100,
            harvest_oai_first_days: 3,
            hf_sync: false,
            hf_api_url: "https://huggingface.co".to_owned(),
            github_stars: false,
            github_api_url: "https://api.github.com".to_owned(),
            github_token: None,
            github_repos_per_run: 500,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The `PAPERBOY_` variables that are not configuration keys: where things are (clap reads
/// them), and the clock a test or benchmark sets (`crate::clock`).
const NOT_CONFIGURATION_KEYS: &[&str] = &["DATA_DIR", "CONFIG", "CLOCK"];

impl Config {
    /// Loads the layered configuration for an instance whose data lives in `data_dir`.
    pub fn load(data_dir: &Path, explicit_file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match explicit_file {
            Some(file) => {
                anyhow::ensure!(file.is_file(), "config file {} does not exist", file.display());
                figment = figment.merge(Toml::file_exact(file));
            }
            None => {
                let in_data_dir = data_dir.join(CONFIG_FILE_NAME);
                if in_data_dir.is_file() {
                    figment = figment.merge(Toml::file_exact(in_data_dir));
                }
            }
        }
        let environment = Env::prefixed("PAPERBOY_").filter(|key| {
            !NOT_CONFIGURATION_KEYS
                .iter()
                .any(|location| key.as_str().eq_ignore_ascii_case(location))
        });
        figment = figment.merge(environment);
        let config = Config::extract(&figment)?;
        anyhow::ensure!(
            config.store.import_batch_size > 0,
            "import_batch_size must be at least 1"
        );
        anyhow::ensure!(
            (1..=3600).contains(&config.server.connection_idle_seconds),
            "connection_idle_seconds must be between 1 and 3600"
        );
        anyhow::ensure!(config.server.max_connections > 0, "max_connections must be at least 1");
        anyhow::ensure!(
            (1..=200).contains(&config.server.page_size),
            "page_size must be between 1 and 200"
        );
        anyhow::ensure!(
            config.ranking.trending_gravity > 0.0,
            "trending_gravity must be positive"
        );
        anyhow::ensure!(
            config.ranking.trending_age_offset_hours > 0.0,
            "trending_age_offset_hours must be positive"
        );
        anyhow::ensure!(
            config.ranking.trending_star_weight >= 0.0,
            "trending_star_weight must not be negative"
        );
        anyhow::ensure!(
            config.ranking.trending_window_days > 0,
            "trending_window_days must be at least 1"
        );
        anyhow::ensure!(
            (1..=2000).contains(&config.harvest.harvest_api_batch),
            "harvest_api_batch must be between 1 and 2000"
        );
        config.harvest_categories()?;
        config.digest_daily_time()?;
        config.digest_weekly_day()?;
        anyhow::ensure!(
            config.digest.digest_connections > 0,
            "digest_connections must be at least 1"
        );
        anyhow::ensure!(
            config.digest.digest_check_seconds > 0,
            "digest_check_seconds must be at least 1"
        );
        anyhow::ensure!(
            config.digest.digest_max_attempts > 0,
            "digest_max_attempts must be at least 1"
        );
        anyhow::ensure!(
            config.digest.digest_bounce_limit > 0,
            "digest_bounce_limit must be at least 1"
        );
        anyhow::ensure!(
            config.digest.digest_lease_seconds > 0,
            "digest_lease_seconds must be at least 1"
        );
        Ok(config)
    }

    /// The configuration the layers of `figment` make, refusing a key that is none of ours (a
    /// typo would otherwise be a setting silently not taken) and saying where it came from.
    /// The groups are flattened into one namespace of keys, so every key stands alone.
    fn extract(figment: &Figment) -> anyhow::Result<Config> {
        let known = Config::keys();
        let layers = figment.data().context("while reading the configuration")?;
        for key in layers.values().flat_map(|layer| layer.keys()) {
            if !known.contains(key) {
                let source = figment
                    .find_metadata(key)
                    .map_or_else(|| "the configuration".to_owned(), |metadata| metadata.name.to_string());
                anyhow::bail!(
                    "while reading the configuration: {key:?} (from {source}) is not a setting; \
                     paperboy.example.toml lists them all"
                );
            }
        }
        // Group by group: each is a plain struct of flat keys, so an error names its key and
        // the file or variable it came from.
        let read = |error: figment::Error| anyhow::Error::from(error).context("while reading the configuration");
        Ok(Config {
            store: figment.extract().map_err(read)?,
            server: figment.extract().map_err(read)?,
            ranking: figment.extract().map_err(read)?,
            limits: figment.extract().map_err(read)?,
            mail: figment.extract().map_err(read)?,
            arxiv: figment.extract().map_err(read)?,
            submissions: figment.extract().map_err(read)?,
            digest: figment.extract().map_err(read)?,
            search: figment.extract().map_err(read)?,
            harvest: figment.extract().map_err(read)?,
        })
    }

    /// Every key of the configuration, as files and `PAPERBOY_<KEY>` variables name them.
    pub fn keys() -> std::collections::BTreeSet<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(keys)) => keys.keys().cloned().collect(),
            _ => std::collections::BTreeSet::new(),
        }
    }

    pub fn digest_daily_time(&self) -> anyhow::Result<jiff::civil::Time> {
        let text = self.digest.digest_daily_time.trim();
        let parsed = text
            .split_once(':')
            .and_then(|(hour, minute)| Some((hour.parse::<i8>().ok()?, minute.parse::<i8>().ok()?)))
            .and_then(|(hour, minute)| jiff::civil::Time::new(hour, minute, 0, 0).ok());
        parsed.ok_or_else(|| anyhow::anyhow!("digest_daily_time must be a UTC time like 02:00, not {text:?}"))
    }

    /// The categories to harvest, checked: each an arXiv category (`cs.CL`) or archive (`cs`).
    pub fn harvest_categories(&self) -> anyhow::Result<Vec<paperboy_core::Category>> {
        anyhow::ensure!(
            !self.harvest.harvest_categories.is_empty(),
            "harvest_categories must name at least one category"
        );
        self.harvest
            .harvest_categories
            .iter()
            .map(|code| {
                paperboy_core::Category::parse(code)
                    .map_err(|_| anyhow::anyhow!("harvest_categories: {code:?} is not an arXiv category or archive"))
            })
            .collect()
    }

    pub fn digest_weekly_day(&self) -> anyhow::Result<jiff::civil::Weekday> {
        paperboy_core::parse_weekday(&self.digest.digest_weekly_day).ok_or_else(|| {
            anyhow::anyhow!(
                "digest_weekly_day must be a weekday such as saturday, not {:?}",
                self.digest.digest_weekly_day
            )
        })
    }
}

impl Config {
    pub fn trending(&self) -> paperboy_core::TrendingParameters {
        paperboy_core::TrendingParameters {
            gravity: self.ranking.trending_gravity,
            age_offset_hours: self.ranking.trending_age_offset_hours,
            window_days: self.ranking.trending_window_days,
            star_weight: self.ranking.trending_star_weight,
        }
    }

    /// The public URL without a trailing slash.
    pub fn public_url(&self) -> String {
        let url = self
            .server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.server.addr));
        url.trim_end_matches('/').to_owned()
    }
}

/// The host part of a URL (`paperboy.example` of `https://paperboy.example:8443/x`), or
/// `localhost` when there is none. IPv6 literals are not expected in `public_url`.
pub fn host_of(url: &str) -> &str {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .filter(|host| !host.is_empty())
        .unwrap_or("localhost")
}

/// The paths of one instance's data directory.
#[derive(Clone, Debug)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    /// Creates the directory if needed.
    pub fn create(root: PathBuf) -> anyhow::Result<DataDir> {
        std::fs::create_dir_all(&root)
            .with_context(|| format!("while creating the data directory {}", root.display()))?;
        Ok(DataDir { root })
    }

    pub fn database(&self) -> PathBuf {
        self.root.join(DATABASE_FILE_NAME)
    }

    /// The full-text index: a cache of the database, rebuilt when missing.
    pub fn search_index(&self) -> PathBuf {
        self.root.join("search-index")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_from_urls() {
        assert_eq!(host_of("https://paperboy.example:8443/x"), "paperboy.example");
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_of("http://"), "localhost");
    }

    /// The grouped configuration reads the same flat keys, from every layer, and a key that is
    /// none of ours is refused, named with where it came from.
    #[test]
    fn flat_keys_fill_the_groups_and_strangers_are_refused() {
        let layers = |toml: &str| {
            Figment::from(Serialized::defaults(Config::default()))
                .merge(Toml::string(toml))
                .merge(Serialized::default("instance_name", "Lab"))
        };
        let config = Config::extract(&layers("page_size = 12\ndigest_lease_seconds = 30")).expect("read");
        assert_eq!(config.server.instance_name, "Lab");
        assert_eq!(config.server.page_size, 12);
        assert_eq!(config.digest.digest_lease_seconds, 30);
        let refused = Config::extract(&layers("page_sise = 12")).unwrap_err().to_string();
        assert!(
            refused.contains("\"page_sise\"") && refused.contains("TOML"),
            "{refused}"
        );
        assert!(Config::keys().contains("github_repos_per_run") && Config::keys().len() > 60);
    }

    #[test]
    fn the_example_file_lists_every_key_with_its_default() {
        let example = include_str!("../paperboy.example.toml");
        let uncommented: String = example
            .lines()
            .map(|line| {
                let key_line = line.strip_prefix("# ").filter(|rest| {
                    rest.split_once(" = ")
                        .is_some_and(|(key, _)| key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                });
                key_line.unwrap_or("")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let parsed = Config::extract(&Figment::from(Toml::string(&uncommented))).expect("example parses");
        assert_eq!(parsed, Config::default());
        // The key without a default value is listed too, as `# key =`.
        for optional in ["database_url", "public_url", "smtp_url"] {
            assert!(
                example.contains(&format!("# {optional} =")),
                "{optional} is not in the example"
            );
        }
    }
}
