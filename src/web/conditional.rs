//! Conditional GETs (RFC 9110 §13): a response whose `ETag` matches `If-None-Match`, or that is
//! not newer than `If-Modified-Since`, becomes an empty 304. One layer serves pages, feeds and API.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::cache::parse_http_date;

pub async fn not_modified(request: Request, next: Next) -> Response {
    let is_get = matches!(*request.method(), Method::GET | Method::HEAD);
    let conditions = request.headers().clone();
    let response = next.run(request).await;
    if !is_get || response.status() != StatusCode::OK || !unchanged(&conditions, response.headers()) {
        return response;
    }
    let mut not_modified = Response::new(Body::empty());
    *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
    for name in [header::ETAG, header::LAST_MODIFIED, header::CACHE_CONTROL] {
        if let Some(value) = response.headers().get(&name) {
            not_modified.headers_mut().insert(name, value.clone());
        }
    }
    not_modified
}

fn unchanged(request: &HeaderMap, response: &HeaderMap) -> bool {
    // If-None-Match wins when present (RFC 9110 §13.1.3).
    if let Some(wanted) = request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let Some(etag) = response.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        return wanted.trim() == "*"
            || wanted
                .split(',')
                .any(|candidate| candidate.trim().trim_start_matches("W/") == etag);
    }
    let since = request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date);
    let modified = response
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date);
    matches!((since, modified), (Some(since), Some(modified)) if modified <= since)
}
