//! The arXiv API (`export.arxiv.org/api/query`), used to fetch a paper someone submits.
//!
//! arXiv asks for at most one request every three seconds and one connection at a time, across
//! everything a client does (https://info.arxiv.org/help/api/tou.html); one limiter per process
//! enforces that for every caller.

use std::time::Duration;

use anyhow::Context;
use paperboy_core::{ArxivId, Paper};
use paperboy_ingest::Item;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// What fetching a paper can come to besides the paper.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("arXiv has no paper {0}")]
    Unknown(ArxivId),
    #[error("arXiv refused the id: {0}")]
    Refused(String),
    #[error("arXiv could not be reached: {0:#}")]
    Unreachable(anyhow::Error),
}

pub struct ArxivClient {
    base_url: String,
    http: reqwest::Client,
    /// When the last request was sent; holding the lock also keeps requests one at a time.
    last_request: Mutex<Option<Instant>>,
    min_interval: Duration,
}

impl ArxivClient {
    pub fn new(base_url: &str, min_interval: Duration, user_agent: &str) -> anyhow::Result<ArxivClient> {
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(Duration::from_secs(30))
            .build()
            .context("while building the HTTP client")?;
        Ok(ArxivClient {
            base_url: base_url.to_owned(),
            http,
            last_request: Mutex::new(None),
            min_interval,
        })
    }

    /// Fetches one paper's metadata by id.
    pub async fn fetch(&self, id: &ArxivId) -> Result<Paper, FetchError> {
        let body = {
            let mut last = self.last_request.lock().await;
            if let Some(previous) = *last {
                tokio::time::sleep_until(previous + self.min_interval).await;
            }
            *last = Some(Instant::now());
            let response = self
                .http
                .get(&self.base_url)
                .query(&[("id_list", id.as_str()), ("max_results", "1")])
                .send()
                .await
                .map_err(|error| FetchError::Unreachable(error.into()))?;
            let status = response.status();
            let body = response
                .bytes()
                .await
                .map_err(|error| FetchError::Unreachable(error.into()))?;
            if !status.is_success() && status.as_u16() != 400 {
                return Err(FetchError::Unreachable(anyhow::anyhow!("HTTP {status}")));
            }
            body
        };
        let input = paperboy_ingest::from_reader("arXiv API".to_owned(), Box::new(std::io::Cursor::new(body.to_vec())))
            .map_err(|error| FetchError::Unreachable(anyhow::anyhow!(error)))?;
        let mut refusal = None;
        for item in paperboy_ingest::records(input) {
            match item {
                Item::Paper(record) if record.paper.id == *id => return Ok(record.paper),
                Item::Paper(_) => {}
                Item::Failed(error) => refusal = Some(error.reason),
                Item::Fatal(error) => return Err(FetchError::Unreachable(anyhow::anyhow!(error))),
            }
        }
        Err(match refusal {
            Some(reason) => FetchError::Refused(reason),
            None => FetchError::Unknown(id.clone()),
        })
    }
}
