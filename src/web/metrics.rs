//! Prometheus metrics at `/metrics`: requests and latencies by route (counted by the edge),
//! papers held, what the page cache holds, when the content last changed, and how harvesting
//! keeps up.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

use super::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later calls reuse it.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), &buckets)
                .and_then(|builder| builder.install_recorder())
                .map_err(|error| tracing::warn!(%error, "metrics disabled"))
                .ok()
        })
        .as_ref()
}

pub async fn render(State(state): State<AppState>) -> Response {
    let Some(handle) = handle() else {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "metrics are disabled").into_response();
    };
    let (pages, bytes) = state.cache.size();
    metrics::gauge!("paperboy_page_cache_pages").set(pages as f64);
    metrics::gauge!("paperboy_page_cache_bytes").set(bytes as f64);
    if let Ok(totals) = state.store.paper_totals().await {
        metrics::gauge!("paperboy_papers").set(totals.papers as f64);
        metrics::gauge!("paperboy_papers_with_votes").set(totals.with_votes as f64);
    }
    let now = jiff::Timestamp::now();
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
