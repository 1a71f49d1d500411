//! One error type for handlers: a status and a message a person can act on. Pages answer it as
//! HTML, the API (through [`ApiError`]) as JSON. Internal causes are logged once, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::views::error_page;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub message: String,
    /// For a 429: seconds until the limit's window ends (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 429: a limit was reached; try again in `retry_after` seconds.
    pub fn too_many(message: impl Into<String>, retry_after: u64) -> AppError {
        AppError {
            retry_after: Some(retry_after.max(1)),
            ..AppError::new(StatusCode::TOO_MANY_REQUESTS, message)
        }
    }

    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, message)
    }

    /// A failure of ours: logged with its cause chain, answered with a generic message.
    pub fn internal(error: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %error, "request failed");
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "something went wrong on our side")
    }
}

impl From<crate::lists::InvalidListParams> for AppError {
    fn from(error: crate::lists::InvalidListParams) -> AppError {
        AppError::bad_request(error.to_string())
    }
}

/// Nothing is listed in the future: such a page is not found (and so not cached).
impl From<crate::lists::NotBegun> for AppError {
    fn from(error: crate::lists::NotBegun) -> AppError {
        AppError::not_found(error.to_string())
    }
}

impl From<paperboy_store::StoreError> for AppError {
    fn from(error: paperboy_store::StoreError) -> AppError {
        if error.is_unwritable() {
            // The machine's state, not a bug: it passes when there is room again.
            tracing::error!(%error, "a write failed");
            return AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Nothing can be saved right now (the server's disk is full or read-only); reading still \
                 works. Please try again in a few minutes.",
            );
        }
        AppError::internal(error)
    }
}

/// An error page still to be written: [`AppError`] has no state to name the instance with, so
/// its response carries the message, and [`fill_error_page`] (a layer, and the edge for its own
/// refusals) writes the page.
#[derive(Clone, Debug)]
pub struct UnwrittenErrorPage(String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let mut response = (self.status, Html("")).into_response();
        response.extensions_mut().insert(UnwrittenErrorPage(self.message));
        with_retry_after(response, retry_after)
    }
}

/// Writes the error page a response still lacks, naming the instance.
pub fn fill_error_page(mut response: Response, instance_name: &str) -> Response {
    if let Some(UnwrittenErrorPage(message)) = response.extensions_mut().remove::<UnwrittenErrorPage>() {
        let page = error_page(instance_name, response.status(), &message);
        response.headers_mut().remove(axum::http::header::CONTENT_LENGTH);
        *response.body_mut() = axum::body::Body::from(page);
    }
    response
}

fn with_retry_after(mut response: Response, retry_after: Option<u64>) -> Response {
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
    }
    response
}

/// The API's error object for any status and message (`{"error": "...", "status": 400}`).
pub fn api_error_body(status: StatusCode, message: &str) -> Json<serde_json::Value> {
    Json(json!({"error": message, "status": status.as_u16()}))
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
        let body = api_error_body(self.0.status, &self.0.message);
        with_retry_after((self.0.status, body).into_response(), self.0.retry_after)
    }
}
