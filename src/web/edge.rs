//! The first thing every request meets. A GET for a page that is cached and fresh is answered
//! right here, before routing; everything else goes through the router. Either way this is where
//! security headers are set, conditional GETs become 304s (RFC 9110 §13), requests are
//! counted and timed for `/metrics` by route, and each request is logged as one structured line.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::cache::{cache_key, parse_http_date, respond};
use super::state::AppState;
use crate::limits::Limit;

const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    ),
];

/// The route a response came from, left by [`remember_route`] for the metrics.
#[derive(Clone)]
struct Route(String);

pub async fn edge(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let is_get = method == Method::GET || method == Method::HEAD;
    let conditions = Conditions::of(request.headers());
    let is_api = request.uri().path().starts_with("/api/");
    let http1 = request.version() <= axum::http::Version::HTTP_11;
    // One structured line per request, built only when someone reads it.
    let logged_path =
        (state.settings.access_log && tracing::enabled!(tracing::Level::INFO)).then(|| loggable(request.uri().path()));
    let cached = if is_get {
        state.cache.get(&cache_key(request.uri()))
    } else {
        None
    };
    let (mut response, route) = match &cached {
        Some(entry) => {
            let accepts_gzip = accepts_gzip(request.headers());
            (respond(entry, accepts_gzip), entry.route.clone())
        }
        None => {
            let mut response = next.run(request).await;
            let route = response
                .extensions_mut()
                .remove::<Route>()
                .map_or_else(|| "unmatched".to_owned(), |r| r.0);
            (response, route)
        }
    };
    if is_get && response.status() == StatusCode::OK && conditions.unchanged(response.headers()) {
        response = not_modified(&response);
    }
    // A body refused unread (413) leaves the connection unusable: say so, or a client would
    // send its next request down it and get nothing back.
    let refused_unread = response.status() == StatusCode::PAYLOAD_TOO_LARGE && http1;
    let headers = response.headers_mut();
    if refused_unread {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    // Only the page cache's answers are the same for everyone, and they say so (`no-cache`).
    // Anything else may depend on who asks (an account page with a new API token, a manage
    // link's subscription, `/api/me/*`): no browser or proxy may keep it.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    for (name, value) in &SECURITY_HEADERS {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
    }
    // The API is open to scripts on any origin for reading; cache hits skip the CORS layer.
    if is_api && is_get && !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    let elapsed = started.elapsed();
    let status = response.status();
    match &cached {
        Some(entry) if method == Method::GET && status == StatusCode::OK => {
            let (counter, histogram) = entry
                .hit_metrics
                .get_or_init(|| request_metrics(&route, &method, status));
            counter.increment(1);
            histogram.record(elapsed.as_secs_f64());
        }
        _ => {
            let (counter, histogram) = request_metrics(&route, &method, status);
            counter.increment(1);
            histogram.record(elapsed.as_secs_f64());
        }
    }
    if let Some(path) = logged_path {
        tracing::info!(target: "paperboy::request", %method, path, %route, status = status.as_u16(), micros = elapsed.as_micros() as u64, "request");
    }
    response
}

/// Paths whose last part is a secret: a sign-in link, a confirmation link, a manage or
/// unsubscribe link. Whoever reads the log must not be able to use them.
const SECRET_PATHS: [&str; 4] = ["/login/", "/subscribe/confirm/", "/subscription/", "/unsubscribe/"];

/// `path` as the access log may keep it: with any secret in it blanked out.
fn loggable(path: &str) -> String {
    match SECRET_PATHS.iter().find(|prefix| path.starts_with(*prefix)) {
        Some(prefix) => format!("{prefix}…"),
        None => path.to_owned(),
    }
}

/// Runs after routing: notes the matched route on the response so [`edge`] can label metrics.
pub async fn remember_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|parameter| matches!(parameter.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// What a conditional GET asked for.
struct Conditions {
    if_none_match: Option<String>,
    if_modified_since: Option<i64>,
}

impl Conditions {
    fn of(headers: &HeaderMap) -> Conditions {
        let text = |name| headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok());
        Conditions {
            if_none_match: text(header::IF_NONE_MATCH).map(str::to_owned),
            if_modified_since: text(header::IF_MODIFIED_SINCE).and_then(parse_http_date),
        }
    }

    fn unchanged(&self, response: &HeaderMap) -> bool {
        // If-None-Match wins when present (RFC 9110 §13.1.3).
        if let Some(wanted) = &self.if_none_match {
            let Some(etag) = response.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
                return false;
            };
            return wanted.trim() == "*"
                || wanted
                    .split(',')
                    .any(|candidate| candidate.trim().trim_start_matches("W/") == etag);
        }
        let Some(since) = self.if_modified_since else {
            return false;
        };
        let modified = response
            .get(header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date);
        modified.is_some_and(|modified| modified <= since)
    }
}

fn not_modified(response: &Response) -> Response {
    let mut not_modified = Response::new(Body::empty());
    *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
    for name in [header::ETAG, header::LAST_MODIFIED, header::CACHE_CONTROL, header::VARY] {
        if let Some(value) = response.headers().get(&name) {
            not_modified.headers_mut().insert(name, value.clone());
        }
    }
    not_modified
}

fn request_metrics(route: &str, method: &Method, status: StatusCode) -> (metrics::Counter, metrics::Histogram) {
    // Label values stay bounded: a client may send any method name, and each would be a series.
    let method = match *method {
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::DELETE | Method::PATCH | Method::OPTIONS => {
            method.as_str()
        }
        _ => "other",
    };
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.as_u16().to_string()),
    ];
    (
        metrics::counter!("http_requests_total", &labels),
        metrics::histogram!("http_request_duration_seconds", &labels[..2]),
    )
}

/// Every request that reaches a handler counts against its client's address: a state-changing
/// one against the writes it may make per ten minutes (sign-ins, votes, submissions; per-account
/// limits sit in the handlers), any other against the costly reads it may make per minute (a
/// cached page never gets here). It runs after routing, so that a refusal, or a failure to
/// count, is counted under the route it refused. Health checks, metrics and assets are free.
pub async fn limit_clients(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(client) = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|info| super::client::client_ip(info.0.ip(), request.headers(), &state.settings.trusted_proxies))
    else {
        return next.run(request).await;
    };
    let changes_state = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if changes_state {
        let counted = super::guard::rate_limit(&state, Limit::Writes, &client.to_string()).await;
        if let Err(refused) = counted {
            return if request.uri().path().starts_with("/api/") {
                super::error::ApiError(refused).into_response()
            } else {
                refused.into_response()
            };
        }
    } else if !free_to_read(request.uri().path()) {
        let now = crate::clock::now_seconds();
        if let Err(wait) = state.read_limiter.take(client, now) {
            tracing::debug!(%client, "read limit reached");
            return too_many_reads(wait, request.uri().path().starts_with("/api/"));
        }
    }
    next.run(request).await
}

/// Routes that cost nothing worth limiting, and that monitoring polls.
fn free_to_read(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/")
}

/// 429 with how long to wait (RFC 6585 §4, RFC 9110 §10.2.3).
fn too_many_reads(wait_seconds: u64, api: bool) -> Response {
    let message = "Too many searches and pages from your address this minute; please wait a little and try again.";
    let refused = super::error::AppError::too_many(message, wait_seconds);
    if api {
        super::error::ApiError(refused).into_response()
    } else {
        refused.into_response()
    }
}

/// Every `/api/*` error is the API's JSON error object: axum's own rejections (a duplicate
/// query parameter, a body of the wrong type, no Content-Type, a method the route lacks) answer
/// plain text or nothing; their text becomes the message, their status and headers stay.
/// It runs inside the compression layer, so the bodies it reads are plain.
/// Writes the error pages of the responses inside it (see [`super::error::UnwrittenErrorPage`]).
pub async fn write_error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    super::error::fill_error_page(response, &state.settings.instance_name)
}

pub async fn api_errors(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if is_api { as_api_error(response).await } else { response }
}

async fn as_api_error(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let is_text = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/plain"));
    let text = match axum::body::to_bytes(body, 16 * 1024).await {
        Ok(bytes) if is_text && !bytes.is_empty() => String::from_utf8_lossy(&bytes).trim().to_owned(),
        _ => String::new(),
    };
    let message = match (text.is_empty(), status) {
        (false, _) => text,
        (true, StatusCode::METHOD_NOT_ALLOWED) => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            format!("this route does not answer that method; it answers {allowed}")
        }
        (true, status) => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    let json = super::error::api_error_body(status, &message).into_response();
    let (json_parts, json_body) = json.into_parts();
    parts.headers.extend(json_parts.headers);
    Response::from_parts(parts, json_body)
}
