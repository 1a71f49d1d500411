//! One error type for handlers: a status and a message a person can act on. Pages answer it as
//! HTML, the API (through [`ApiError`]) as JSON. Internal causes are logged once, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::pages::error_page;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub message: String,
}

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::UNAUTHORIZED,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// A failure of ours: logged with its cause chain, answered with a generic message.
    pub fn internal(error: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %error, "request failed");
        AppError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "something went wrong on our side".to_owned(),
        }
    }
}

impl From<paperboy_store::StoreError> for AppError {
    fn from(error: paperboy_store::StoreError) -> AppError {
        if error.is_unwritable() {
            // The machine's state, not a bug: it passes when there is room again.
            tracing::error!(%error, "a write failed");
            return AppError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "Nothing can be saved right now (the server's disk is full or read-only); reading still \
                          works. Please try again in a few minutes."
                    .to_owned(),
            };
        }
        AppError::internal(error)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status, Html(error_page(self.status, &self.message))).into_response()
    }
}

/// The API's face of [`AppError`]: `{"error": "...", "status": 400}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(error: E) -> ApiError {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.0.message, "status": self.0.status.as_u16()});
        (self.0.status, Json(body)).into_response()
    }
}
