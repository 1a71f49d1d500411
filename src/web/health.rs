//! `/healthz`: 200 when the database answers, 503 when it does not, for load balancers; with
//! how far the search index and the embeddings have come.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.ping().await {
        Ok(()) => {
            let search = match state.search.status().await {
                Ok(status) => json!(status),
                Err(error) => json!({"error": format!("{error:#}")}),
            };
            (StatusCode::OK, Json(json!({"status": "ok", "search": search})))
        }
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
    }
}
