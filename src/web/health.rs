//! `/healthz`: 200 when the instance is well, 503 when the database does not answer or — when
//! this process harvests — a list arXiv's calendar says should exist is missing past the grace
//! period; with how far the search index and the embeddings have come. `/readyz` is for load
//! balancers: 200 whenever this process can serve pages, stale lists or not.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use crate::harvest::health;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.ping().await {
        Ok(()) => {
            let search = match state.search.status().await {
                Ok(status) => json!(status),
                Err(error) => json!({"error": format!("{error:#}")}),
            };
            let now = jiff::Timestamp::now();
            let harvest = health(state.store.as_ref(), &state.harvest, state.harvest_scheduled, now).await;
            let (status, harvest) = match harvest {
                Ok(harvest) if !harvest.healthy => ("unhealthy", json!(harvest)),
                Ok(harvest) => ("ok", json!(harvest)),
                Err(error) => ("ok", json!({"error": error.to_string()})),
            };
            let code = if status == "ok" {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            (
                code,
                Json(json!({"status": status, "search": search, "harvest": harvest})),
            )
        }
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
    }
}

/// `/readyz`: 200 while the database answers, for load balancers.
pub async fn readyz(State(state): State<AppState>) -> StatusCode {
    match state.store.ping().await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}
