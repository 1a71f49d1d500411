//! Prometheus metrics at `/metrics`: requests and latencies by route (counted by the edge),
//! papers held, what the page cache holds, when the content last changed, and how harvesting
//! keeps up.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

use super::state::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later calls reuse it.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ];
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), &buckets)
                .and_then(|builder| builder.install_recorder())
                .map_err(|error| tracing::warn!(%error, "metrics disabled"))
                .ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

/// Every metric's `# HELP`, and the counters that exist from the start at zero (a rate over a
/// series that appears only on the first failure is no rate at all).
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by route, method and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route and method"
    );
    describe_counter!(
        "page_renders_total",
        "Pages rendered afresh (not from the page cache), by route"
    );
    describe_counter!(
        "card_renders_total",
        "List cards rendered afresh (not kept from an earlier page: new, or their paper changed)"
    );
    describe_gauge!("paperboy_page_cache_pages", "Pages held in the page cache");
    describe_gauge!("paperboy_page_cache_bytes", "Bytes held in the page cache");
    describe_gauge!("paperboy_papers", "Papers in the database");
    describe_gauge!("paperboy_papers_with_votes", "Papers with imported votes");
    describe_gauge!(
        "paperboy_harvest_healthy",
        "1 when harvesting keeps up with arXiv's announcements"
    );
    describe_gauge!(
        "paperboy_harvest_last_success_timestamp_seconds",
        "When the last harvest run finished well (Unix time)"
    );
    describe_gauge!(
        "paperboy_harvest_lists_behind_days",
        "Announcement days the harvest is behind"
    );
    describe_counter!("paperboy_harvest_runs_total", "Harvest runs, by outcome");
    describe_counter!("paperboy_harvest_papers_total", "Papers a harvest added or updated");
    describe_counter!(
        "paperboy_arxiv_requests_total",
        "Requests to arXiv, by outcome (status code or unreachable)"
    );
    describe_gauge!(
        "paperboy_last_change_timestamp_seconds",
        "When papers or votes last changed (Unix time)"
    );
    describe_counter!(
        "process_cpu_seconds_total",
        "CPU time used by the process (user and system)"
    );
    describe_gauge!("process_resident_memory_bytes", "Resident memory of the process");
    describe_gauge!("process_open_fds", "Open file descriptors");
    describe_gauge!("process_max_fds", "The process's limit on open file descriptors");
    describe_gauge!("process_start_time_seconds", "When the process started (Unix time)");
    for outcome in ["succeeded", "failed"] {
        metrics::counter!("paperboy_harvest_runs_total", "outcome" => outcome).increment(0);
    }
    for change in ["new", "updated"] {
        metrics::counter!("paperboy_harvest_papers_total", "change" => change).increment(0);
    }
    metrics::gauge!("paperboy_harvest_lists_behind_days").set(0.0);
    metrics::counter!("card_renders_total").increment(0);
}

/// The standard `process_*` metrics, read from /proc (Linux; elsewhere they are left out).
fn process_metrics() {
    static STARTED: OnceLock<Option<f64>> = OnceLock::new();
    let ticks_per_second = 100.0; // USER_HZ, fixed at 100 on Linux's ABI.
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return;
    };
    // Fields after the command name (which may hold spaces) start at field 3.
    let Some((_, after)) = stat.rsplit_once(')') else {
        return;
    };
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
    if let (Some(user), Some(system)) = (field(14), field(15)) {
        metrics::counter!("process_cpu_seconds_total").absolute(((user + system) / ticks_per_second) as u64);
    }
    if let Some(pages) = field(24) {
        metrics::gauge!("process_resident_memory_bytes").set(pages * 4096.0);
    }
    let started = STARTED.get_or_init(|| {
        let boot = std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|line| line.strip_prefix("btime ").and_then(|v| v.trim().parse::<f64>().ok()))?;
        Some(boot + field(22)? / ticks_per_second)
    });
    if let Some(started) = started {
        metrics::gauge!("process_start_time_seconds").set(*started);
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(entries.count() as f64);
    }
    if let Ok(limits) = std::fs::read_to_string("/proc/self/limits")
        && let Some(soft) = limits
            .lines()
            .find(|line| line.starts_with("Max open files"))
            .and_then(|line| line.split_whitespace().nth(3))
            .and_then(|v| v.parse::<f64>().ok())
    {
        metrics::gauge!("process_max_fds").set(soft);
    }
}

pub async fn render(State(state): State<AppState>) -> Response {
    let Some(handle) = handle() else {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "metrics are disabled").into_response();
    };
    process_metrics();
    let (pages, bytes) = state.cache.size();
    metrics::gauge!("paperboy_page_cache_pages").set(pages as f64);
    metrics::gauge!("paperboy_page_cache_bytes").set(bytes as f64);
    if let Ok(totals) = state.store.paper_totals().await {
        metrics::gauge!("paperboy_papers").set(totals.papers as f64);
        metrics::gauge!("paperboy_papers_with_votes").set(totals.with_votes as f64);
    }
    let now = crate::clock::now();
    if let Ok(harvest) =
        crate::harvest::health(state.store.as_ref(), &state.harvest, state.harvest_scheduled, now).await
    {
        metrics::gauge!("paperboy_harvest_healthy").set(if harvest.healthy { 1.0 } else { 0.0 });
        if let Ok(Some(finished)) = state.store.last_successful_harvest().await {
            metrics::gauge!("paperboy_harvest_last_success_timestamp_seconds").set(finished as f64);
        }
        let lag = harvest
            .latest_list
            .map(|latest| (harvest.expected_list - latest).get_days())
            .unwrap_or(0);
        metrics::gauge!("paperboy_harvest_lists_behind_days").set(f64::from(lag.max(0)));
    }
    if let Ok(version) = state.store.content_version().await {
        metrics::gauge!("paperboy_last_change_timestamp_seconds").set(version.changed_at as f64);
    }
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}
