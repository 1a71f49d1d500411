//! GitHub star counts of the repositories recent papers link to, for the trending score's star
//! growth. Requests are conditional (`If-None-Match` with the last ETag), so a count that did not
//! change costs none of the rate limit; when GitHub says the limit is spent
//! (`X-RateLimit-Remaining: 0`, or 403/429), the step stops and the next run goes on.

use paperboy_store::RepoReading;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, ETAG, IF_NONE_MATCH};

use super::{HarvestReport, Harvester};
use crate::clock::today_utc;

/// Repositories of papers listed this many days before today are followed.
const FOLLOWED_DAYS: i64 = 30;
/// A count is read again after this long.
const REREAD_AFTER_SECONDS: i64 = 20 * 3600;

/// Where GitHub's settings come from, when star counts are read.
#[derive(Clone, Debug)]
pub struct GithubSettings {
    pub api_url: String,
    pub token: Option<String>,
    pub repos_per_run: u32,
}

impl Harvester {
    pub(super) async fn read_star_counts(&self, report: &mut HarvestReport) -> anyhow::Result<()> {
        let Some(github) = &self.settings.github else {
            return Ok(());
        };
        let now = crate::clock::now_seconds();
        let today = today_utc();
        let since = today.checked_sub(jiff::Span::new().days(FOLLOWED_DAYS))?;
        let repos = self
            .store
            .repos_to_check(since, now - REREAD_AFTER_SECONDS, github.repos_per_run)
            .await?;
        for repo in repos {
            let Some(path) = repo.url.strip_prefix("https://github.com/") else {
                continue;
            };
            let mut request = self
                .http
                .get(format!("{}/repos/{path}", github.api_url))
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28");
            if let Some(token) = &github.token {
                request = request.header(AUTHORIZATION, format!("Bearer {token}"));
            }
            if let Some(etag) = &repo.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            let response = request.send().await?;
            let status = response.status();
            let remaining = response
                .headers()
                .get("x-ratelimit-remaining")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<u64>().ok());
            let reading = match status {
                StatusCode::OK => {
                    let etag = response
                        .headers()
                        .get(ETAG)
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned);
                    let body: serde_json::Value = response.json().await?;
                    let stars = body["stargazers_count"]
                        .as_i64()
                        .ok_or_else(|| anyhow::anyhow!("{}: no stargazers_count in GitHub's answer", repo.url))?;
                    RepoReading::Counted { stars, etag }
                }
                StatusCode::NOT_MODIFIED => RepoReading::Unchanged,
                StatusCode::NOT_FOUND | StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS => RepoReading::Gone,
                StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS => {
                    let reset = response
                        .headers()
                        .get("x-ratelimit-reset")
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("unknown")
                        .to_owned();
                    tracing::warn!(status = %status, reset, "GitHub's rate limit is spent; star counts go on next run");
                    report.github_rate_limited = true;
                    return Ok(());
                }
                other => anyhow::bail!("{}: GitHub answered HTTP {other}", repo.url),
            };
            self.store.record_repo_reading(&repo.url, &reading, now, today).await?;
            report.github_read += 1;
            if remaining == Some(0) {
                tracing::warn!("GitHub's rate limit is spent; star counts go on next run");
                report.github_rate_limited = true;
                return Ok(());
            }
        }
        Ok(())
    }
}
