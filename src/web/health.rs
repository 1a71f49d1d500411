//! `/healthz`: 200 when the instance is well, 503 when the database does not answer or — when
//! this process harvests — a list arXiv's calendar says should exist is missing past the grace
//! period, or the database takes no writes; with how far the search index and the embeddings
//! have come. `/readyz` is for load balancers: 200 whenever this process can serve pages and
//! take votes and sign-ins, stale lists or not; 503 with the reason otherwise.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::state::AppState;
use crate::harvest::health;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.ping().await {
        Ok(()) => {
            let writes = state.writability.check(state.store.as_ref()).await;
            let search = match state.search.status().await {
                Ok(status) => json!(status),
                Err(error) => json!({"error": format!("{error:#}")}),
            };
            let now = crate::clock::now();
            let harvest = health(state.store.as_ref(), &state.harvest, state.harvest_scheduled, now).await;
            let (mut status, harvest) = match harvest {
                Ok(harvest) if !harvest.healthy => ("unhealthy", json!(harvest)),
                Ok(harvest) => ("ok", json!(harvest)),
                Err(error) => ("ok", json!({"error": error.to_string()})),
            };
            let writes = match writes {
                Ok(()) => json!("ok"),
                Err(reason) => {
                    status = "unhealthy";
                    json!({"error": reason})
                }
            };
            let code = if status == "ok" {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            (
                code,
                Json(json!({"status": status, "writes": writes, "search": search, "harvest": harvest})),
            )
        }
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
    }
}

/// `/readyz`: 200 while the database answers and takes writes, 503 with the reason when it
/// does not (a full disk, a read-only data directory), for load balancers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.writability.check(state.store.as_ref()).await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": reason})),
        ),
    }
}

/// Whether the database takes writes, found by writing: a full disk or a read-only file still
/// answers every read. A success holds for a second, shared by everyone who asks meanwhile, so
/// that polling `/readyz` cannot become a flood of writes; a failure is tried again at the next
/// question (it writes nothing), so that readiness comes back as soon as the space does.
#[derive(Default)]
pub struct Writability {
    last_success: tokio::sync::Mutex<Option<std::time::Instant>>,
}

impl Writability {
    const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(1);

    pub async fn check(&self, store: &dyn paperboy_store::Store) -> Result<(), String> {
        let mut last_success = self.last_success.lock().await;
        if last_success.is_some_and(|at| at.elapsed() < Self::FRESH_FOR) {
            return Ok(());
        }
        match store.probe_write(crate::clock::now_seconds()).await {
            Ok(()) => {
                *last_success = Some(std::time::Instant::now());
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, "the database takes no writes");
                *last_success = None;
                Err(error.to_string())
            }
        }
    }
}
