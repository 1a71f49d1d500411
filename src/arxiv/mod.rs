//! Talking to arXiv politely. arXiv asks for at most one request every three seconds and one
//! connection at a time, across everything a client does (https://info.arxiv.org/help/api/tou.html),
//! and answers overload with 503 + Retry-After. One [`ArxivClient`] per process carries every
//! request — submissions, the announcement feed, the API, OAI-PMH — through one gate, and with
//! several processes on one database (replicas, a `paperboy harvest` beside `serve`) each request
//! also waits for the fleet's turn, a lease in the database.

mod submission;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use paperboy_store::{Store, StoreError};
use reqwest::StatusCode;
use tokio::sync::Mutex;
use tokio::time::Instant;

pub use submission::FetchError;

use crate::config::{Config, host_of};

/// arXiv's own rule; endpoints on other hosts (a mirror, a test) may be asked faster.
pub const ARXIV_MIN_INTERVAL: Duration = Duration::from_secs(3);

/// How the client paces and retries.
#[derive(Clone, Debug)]
pub struct Politeness {
    /// From the end of one request to the start of the next (raised to 3 s for arXiv's hosts).
    pub min_interval: Duration,
    /// Attempts at one request before the run gives up (the next run resumes).
    pub max_attempts: u32,
    /// The first retry waits this long (plus jitter); each further one twice as long.
    pub backoff: Duration,
    /// A Retry-After longer than this ends the run instead of holding it.
    pub max_wait: Duration,
    pub timeout: Duration,
}

impl Politeness {
    pub fn from_config(config: &Config) -> Politeness {
        Politeness {
            min_interval: Duration::from_secs_f64(config.arxiv.arxiv_min_interval.max(0.0)),
            max_attempts: config.arxiv.arxiv_max_attempts.max(1),
            backoff: Duration::from_secs_f64(config.arxiv.arxiv_retry_seconds.max(0.0)),
            max_wait: Duration::from_secs_f64(config.arxiv.arxiv_max_wait_seconds.max(0.0)),
            timeout: Duration::from_secs_f64(config.arxiv.arxiv_timeout_seconds.max(0.1)),
        }
    }
}

/// Why a request did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Transient failures, as many as allowed: arXiv busy, the network down, answers cut short.
    #[error("{url}: gave up after {attempts} attempts; last: {last}")]
    GaveUp { url: String, attempts: u32, last: String },
    /// arXiv asked us to wait longer than we hold a run for.
    #[error("{url}: asked to wait {seconds} s (Retry-After); the next run resumes")]
    TooLongToWait { url: String, seconds: u64 },
    /// An answer that retrying will not change (404, 403, …).
    #[error("{url}: HTTP {status}")]
    Refused { url: String, status: u16 },
}

impl RequestError {
    /// Whether the cause looks like having no network at all (worth a plain warning).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, RequestError::GaveUp { last, .. } if last.starts_with("cannot connect"))
    }
}

pub struct ArxivClient {
    http: reqwest::Client,
    politeness: Politeness,
    /// When the next request may start; holding the lock keeps requests one at a time.
    gate: Mutex<Option<Instant>>,
    /// The API endpoint submissions use.
    api_url: String,
    requests: AtomicU64,
    /// The fleet's turn, when the client is shared through a database.
    fleet: Option<FleetTurns>,
}

/// The lease a process holds from just before one of its requests to arXiv until the interval
/// after it has passed, so that the requests of every process on the database keep the gap.
/// Counted in milliseconds.
const REQUEST_TURN: &str = "arxiv-request";

/// How often a process waiting for the turn asks for it.
const TURN_POLL: Duration = Duration::from_millis(50);

struct FleetTurns {
    store: Arc<dyn Store>,
    holder: String,
    /// When the turn this process last held ends (Unix milliseconds). It waits for that like
    /// any other process, and a moment more, so that a process waiting meanwhile (a submission
    /// during a long back-fill) gets its turn instead of this one renewing its own forever.
    turn_ends: std::sync::Mutex<i64>,
}

fn now_millis() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl FleetTurns {
    /// Waits until this process holds the turn, for `duration` from now.
    async fn take(&self, duration: Duration, interval: Duration) -> Result<(), StoreError> {
        let ends = *self.turn_ends.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let courtesy = interval
            .min(Duration::from_millis(400))
            .mul_f64(rand::random::<f64>() * 0.5);
        let wait = ends + millis(courtesy) - now_millis();
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())).await;
        }
        loop {
            let now = now_millis();
            if self
                .store
                .take_lease(REQUEST_TURN, &self.holder, now, millis(duration))
                .await?
            {
                return Ok(());
            }
            if let Some(holder) = self.store.lease_holder(REQUEST_TURN, now).await?
                && crate::process::is_gone_here(&holder)
            {
                self.store.release_lease(REQUEST_TURN, &holder).await?;
                continue;
            }
            tokio::time::sleep(TURN_POLL).await;
        }
    }

    /// Keeps the turn until `duration` from now (when it is still this process's to keep).
    async fn keep(&self, duration: Duration) {
        let now = now_millis();
        match self
            .store
            .take_lease(REQUEST_TURN, &self.holder, now, millis(duration))
            .await
        {
            Ok(_) => *self.turn_ends.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = now + millis(duration),
            Err(error) => tracing::warn!(%error, "cannot keep the fleet's turn to ask arXiv"),
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}

impl ArxivClient {
    pub fn new(api_url: &str, politeness: Politeness, user_agent: &str) -> anyhow::Result<ArxivClient> {
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(politeness.timeout)
            .connect_timeout(politeness.timeout.min(Duration::from_secs(10)))
            // One connection at a time, and not kept open between requests seconds apart.
            .pool_max_idle_per_host(0)
            .build()
            .context("while building the HTTP client")?;
        Ok(ArxivClient {
            http,
            politeness,
            gate: Mutex::new(None),
            api_url: api_url.to_owned(),
            requests: AtomicU64::new(0),
            fleet: None,
        })
    }

    /// Every request also waits for the turn of the processes sharing `store`.
    pub fn taking_turns_with(mut self, store: Arc<dyn Store>) -> ArxivClient {
        self.fleet = Some(FleetTurns {
            store,
            holder: crate::process::this_process(),
            turn_ends: std::sync::Mutex::new(0),
        });
        self
    }

    pub fn from_config(config: &Config) -> anyhow::Result<ArxivClient> {
        ArxivClient::new(
            &config.arxiv.arxiv_api_url,
            Politeness::from_config(config),
            &user_agent(config),
        )
    }

    /// Requests sent so far by this process (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The pause before a request to `url`: never under 3 s for arXiv's hosts.
    fn interval_for(&self, url: &str) -> Duration {
        let host = host_of(url);
        if host == "arxiv.org" || host.ends_with(".arxiv.org") {
            self.politeness.min_interval.max(ARXIV_MIN_INTERVAL)
        } else {
            self.politeness.min_interval
        }
    }

    /// GETs `url` with `query` and reads the answer with `read`, retrying transient failures
    /// (busy, unreachable, cut short, unreadable) with backoff, within the politeness rules.
    /// `read` gets the body of a 2xx answer, and of a 400 (arXiv's API explains errors there).
    pub async fn get<T>(
        &self,
        url: &str,
        query: &[(&str, &str)],
        read: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, RequestError> {
        let mut last = String::new();
        for attempt in 1..=self.politeness.max_attempts {
            let mut retry_after = None;
            match self.send_once(url, query).await {
                Ok((status, body)) if status.is_success() || status == StatusCode::BAD_REQUEST => match read(&body) {
                    Ok(answer) => return Ok(answer),
                    Err(reason) => last = format!("unreadable answer: {reason}"),
                },
                Ok((status, _)) if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
                    last = format!("HTTP {status}");
                }
                Ok((status, _)) => {
                    return Err(RequestError::Refused {
                        url: url.to_owned(),
                        status: status.as_u16(),
                    });
                }
                Err(Failure::Busy { status, wait }) => {
                    last = format!("HTTP {status} with Retry-After {} s", wait.as_secs());
                    if wait > self.politeness.max_wait {
                        return Err(RequestError::TooLongToWait {
                            url: url.to_owned(),
                            seconds: wait.as_secs(),
                        });
                    }
                    retry_after = Some(wait);
                }
                Err(Failure::Transport(reason)) => last = reason,
            }
            if attempt == self.politeness.max_attempts {
                break;
            }
            let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
            tracing::warn!(url, attempt, wait_seconds = wait.as_secs_f64(), problem = %last, "arXiv request failed; retrying");
            self.hold_gate_for(wait).await;
        }
        Err(RequestError::GaveUp {
            url: url.to_owned(),
            attempts: self.politeness.max_attempts,
            last,
        })
    }

    /// Exponential backoff with up to 50 % jitter, so restarted harvesters do not march in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.politeness.backoff.saturating_mul(1 << (attempt - 1).min(10));
        let jitter = base.mul_f64(rand::random::<f64>() * 0.5);
        base + jitter
    }

    /// Keeps every request of the process — not only the retrying one — off arXiv for `wait`.
    async fn hold_gate_for(&self, wait: Duration) {
        let mut next = self.gate.lock().await;
        let until = Instant::now() + wait;
        *next = Some(next.map_or(until, |at| at.max(until)));
        drop(next);
        if let Some(fleet) = &self.fleet {
            fleet.keep(wait).await;
        }
        tokio::time::sleep(wait).await;
    }

    /// One request through the gate: waits its turn, sends, reads the whole body. The next
    /// request may start `interval` after this one ended, so even slow answers keep the gap.
    async fn send_once(&self, url: &str, query: &[(&str, &str)]) -> Result<(StatusCode, Vec<u8>), Failure> {
        let mut next = self.gate.lock().await;
        if let Some(at) = *next {
            tokio::time::sleep_until(at).await;
        }
        let interval = self.interval_for(url);
        if let Some(fleet) = &self.fleet {
            // Held for as long as the request may take and the interval after it.
            fleet
                .take(self.politeness.timeout + interval, interval)
                .await
                .map_err(|error| Failure::Transport(format!("cannot take the fleet's turn to ask arXiv: {error}")))?;
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let result = self.exchange(url, query).await;
        *next = Some(Instant::now() + interval);
        if let Some(fleet) = &self.fleet {
            fleet.keep(interval).await;
        }
        result
    }

    async fn exchange(&self, url: &str, query: &[(&str, &str)]) -> Result<(StatusCode, Vec<u8>), Failure> {
        let response = match self.http.get(url).query(query).send().await {
            Ok(response) => response,
            Err(error) => {
                metrics::counter!("paperboy_arxiv_requests_total", "outcome" => "unreachable").increment(1);
                return Err(Failure::Transport(describe(&error)));
            }
        };
        let status = response.status();
        metrics::counter!("paperboy_arxiv_requests_total", "outcome" => status.as_u16().to_string()).increment(1);
        if (status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS)
            && let Some(wait) = retry_after(response.headers())
        {
            return Err(Failure::Busy { status, wait });
        }
        match response.bytes().await {
            Ok(body) => Ok((status, body.to_vec())),
            Err(error) => Err(Failure::Transport(format!("answer cut short: {}", describe(&error)))),
        }
    }
}

enum Failure {
    Busy { status: StatusCode, wait: Duration },
    Transport(String),
}

/// A short, specific reason (reqwest's Display hides the cause behind "error sending request").
fn describe(error: &reqwest::Error) -> String {
    let mut reason = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// `Retry-After: 120` or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(text).ok()?.timestamp();
    let seconds = (at.as_second() - jiff::Timestamp::now().as_second()).max(0);
    Some(Duration::from_secs(seconds as u64))
}

/// Names the instance and how to reach its operator, as arXiv asks of harvesters.
pub fn user_agent(config: &Config) -> String {
    // The sender's address, read the way the mailer reads it.
    let contact = config.arxiv.arxiv_contact.clone().unwrap_or_else(|| {
        config.mail.mail_from.parse::<lettre::message::Mailbox>().map_or_else(
            |_| config.mail.mail_from.trim().to_owned(),
            |mailbox| mailbox.email.to_string(),
        )
    });
    format!(
        "Paperboy/{} ({}; {}; mailto:{})",
        env!("CARGO_PKG_VERSION"),
        config.server.instance_name,
        config.public_url(),
        contact
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_process_waiting_for_the_turn_gets_it_between_a_busy_ones_requests() {
        let store: Arc<dyn Store> = Arc::new(paperboy_store::SqliteStore::in_memory().await.expect("store"));
        let turns = |holder: &str| FleetTurns {
            store: Arc::clone(&store),
            holder: holder.to_owned(),
            turn_ends: std::sync::Mutex::new(0),
        };
        let (busy, waiting) = (turns("busy"), turns("waiting"));
        let interval = Duration::from_millis(100);
        // A back-fill: request after request for two seconds, each keeping the turn for the
        // interval after it.
        let busy_loop = async {
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(2) {
                busy.take(interval * 3, interval).await.expect("turn");
                tokio::time::sleep(Duration::from_millis(10)).await;
                busy.keep(interval).await;
            }
        };
        let waiter = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let asked = std::time::Instant::now();
            waiting.take(interval * 3, interval).await.expect("turn");
            asked.elapsed()
        };
        let ((), waited) = tokio::join!(busy_loop, waiter);
        assert!(
            waited < Duration::from_secs(1),
            "the waiting process got the turn after {waited:?}, not at the end of the back-fill"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "Thu, 01 Jan 1970 00:00:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    }

    #[test]
    fn arxiv_hosts_never_get_less_than_three_seconds() {
        let politeness = Politeness {
            min_interval: Duration::from_millis(100),
            max_attempts: 1,
            backoff: Duration::ZERO,
            max_wait: Duration::ZERO,
            timeout: Duration::from_secs(1),
        };
        let client = ArxivClient::new("http://127.0.0.1:1/api/query", politeness, "test").unwrap();
        assert_eq!(
            client.interval_for("https://export.arxiv.org/api/query"),
            ARXIV_MIN_INTERVAL
        );
        assert_eq!(
            client.interval_for("https://rss.arxiv.org/rss/cs.AI"),
            ARXIV_MIN_INTERVAL
        );
        assert_eq!(
            client.interval_for("http://127.0.0.1:9/oai"),
            Duration::from_millis(100)
        );
        let mut config = Config::default();
        config.mail.mail_from = "Paperboy <ops@example.org>".to_owned();
        assert!(
            user_agent(&config).ends_with("mailto:ops@example.org)"),
            "{}",
            user_agent(&config)
        );
    }
}
