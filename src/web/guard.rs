//! The guards of requests: who is calling (a session cookie, an API token), whether a
//! state-changing request comes from our own pages (CSRF), and rate limits kept in the database
//! so that they hold across replicas.
//!
//! A state-changing route is registered only through [`post`], [`put`], [`patch`] and [`delete`] here, which accept
//! a handler only if its first argument is a [`Guard`]: a handler that forgets the same-origin
//! check does not compile. (`tests/architecture.rs` checks that the router uses nothing else.)

use crate::web::forms::hash_token;
use axum::extract::FromRequestParts;
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::routing::MethodRouter;
use paperboy_store::Session;

use super::error::AppError;
use super::state::AppState;
use crate::limits::Limit;

/// An extractor that lets a state-changing request through only when it may change state: it
/// proves the request came from our own pages, or carries a credential a browser does not send
/// by itself.
pub trait Guard {}

impl Guard for SameOrigin {}
impl Guard for ApiCaller {}
/// The vote API answers a refused caller itself (as JSON, or 405 for a path that is no vote).
impl Guard for Result<ApiCaller, super::error::ApiError> {}
impl Guard for CrossSiteAllowed {}

/// The arguments of a handler whose first is a [`Guard`]. axum sees a handler's arguments as
/// `(M, T1, …, Tn)`, `M` marking how the last one is read.
pub trait GuardedArguments {}

macro_rules! guarded_arguments {
    ($($rest:ident),*) => {
        impl<M, G: Guard, $($rest),*> GuardedArguments for (M, G, $($rest,)*) {}
    };
}
guarded_arguments!();
guarded_arguments!(T2);
guarded_arguments!(T2, T3);
guarded_arguments!(T2, T3, T4);
guarded_arguments!(T2, T3, T4, T5);
guarded_arguments!(T2, T3, T4, T5, T6);
guarded_arguments!(T2, T3, T4, T5, T6, T7);
guarded_arguments!(T2, T3, T4, T5, T6, T7, T8);

/// A `POST` route; its handler's first argument must be a [`Guard`].
pub fn post<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: GuardedArguments + 'static,
{
    axum::routing::post(handler)
}

/// A `PUT` route; its handler's first argument must be a [`Guard`].
pub fn put<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: GuardedArguments + 'static,
{
    axum::routing::put(handler)
}

/// A `PATCH` route; its handler's first argument must be a [`Guard`].
pub fn patch<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: GuardedArguments + 'static,
{
    axum::routing::patch(handler)
}

/// A `DELETE` route; its handler's first argument must be a [`Guard`].
pub fn delete<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: GuardedArguments + 'static,
{
    axum::routing::delete(handler)
}

/// The one deliberate exception to the same-origin rule, named where it is taken: one-click
/// unsubscribe (RFC 8058) is posted by mail providers' servers, never from our pages, and the
/// unguessable link it is posted to is its whole authority. Always succeeds.
pub struct CrossSiteAllowed;

impl FromRequestParts<AppState> for CrossSiteAllowed {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(CrossSiteAllowed)
    }
}

pub const SESSION_COOKIE: &str = "paperboy_session";

pub fn now() -> i64 {
    crate::clock::now_seconds()
}

/// Proof that a state-changing request comes from one of this site's own pages (the CSRF
/// defence of [`require_same_origin`]): a handler takes it as an argument, and without it the
/// request is refused (403) before the handler runs. The other ways in check the same:
/// [`ApiCaller`] for cookie callers and [`checked_session`]. One-click unsubscribe (RFC 8058)
/// alone goes without, by design, and says so with [`CrossSiteAllowed`].
pub struct SameOrigin;

impl FromRequestParts<AppState> for SameOrigin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        require_same_origin(&parts.headers, state)?;
        Ok(SameOrigin)
    }
}

/// The signed-in person, if the request carries a live session cookie.
pub struct CurrentUser(pub Option<Session>);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = session_cookie(&parts.headers) else {
            return Ok(CurrentUser(None));
        };
        Ok(CurrentUser(state.store.session(&hash_token(&token), now()).await?))
    }
}

pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned)
}

/// CSRF defence for cookie-authenticated requests: the browser must say the request comes from
/// one of our own pages (`Origin`, or `Sec-Fetch-Site` where Origin is absent). A request that
/// says neither is refused too: every browser that sends cookies sends one of them on a POST.
fn require_same_origin(headers: &HeaderMap, state: &AppState) -> Result<(), AppError> {
    let forbidden =
        || AppError::forbidden("This request did not come from this site's own pages, so it was refused.".to_owned());
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        return if same_origin(origin, &state.settings.public_url, host) {
            Ok(())
        } else {
            Err(forbidden())
        };
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("same-origin") => Ok(()),
        _ => Err(forbidden()),
    }
}

/// Whether a request's `Origin` is this site: the configured public URL's scheme, host and port
/// (RFC 6454 §4), or the same scheme with the host and port the request was sent to (an
/// instance reached under a second name). A scheme alone never differs unnoticed:
/// `https://host` is another origin than `http://host`.
fn same_origin(origin: &str, public_url: &str, host: &str) -> bool {
    let ours = origin_of(public_url);
    let Some((scheme, _)) = ours.split_once("://") else {
        return false;
    };
    let origin = origin_of(origin);
    origin == ours || (!host.is_empty() && origin == origin_of(&format!("{scheme}://{host}")))
}

/// `scheme://host[:port]` of a URL, lower-cased, without a path or the scheme's default port.
fn origin_of(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let default_port = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    let authority = match authority.strip_suffix(default_port) {
        Some(bare) if !default_port.is_empty() => bare,
        _ => authority,
    };
    format!("{scheme}://{authority}")
}

/// Counts a hit by `who` against `limit`; past it the request is refused (429, with how long
/// to wait).
pub async fn rate_limit(state: &AppState, limit: Limit, who: &str) -> Result<(), AppError> {
    if within_limit(state, limit, who).await? {
        Ok(())
    } else {
        tracing::warn!(bucket = limit.bucket(who), "rate limited");
        let window_seconds = limit.declaration().window_seconds;
        let wait = (limit.window_start(now()) + window_seconds - now()).max(1) as u64;
        Err(AppError::too_many(
            "Too many requests; please wait a few minutes and try again.",
            wait,
        ))
    }
}

/// Counts a hit by `who` against `limit` and answers whether it is within it, for the limits
/// whose refusal is silent.
pub async fn within_limit(state: &AppState, limit: Limit, who: &str) -> Result<bool, paperboy_store::StoreError> {
    state
        .store
        .take_rate_limit(
            &limit.bucket(who),
            limit.window_start(now()),
            state.settings.limits.of(limit),
        )
        .await
}

/// Who is calling the API: a personal token (`Authorization: Bearer …`), or a session cookie
/// from one of our own pages. Answers 401 when neither, 403 for a cookie from elsewhere.
pub struct ApiCaller(pub paperboy_store::User);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = super::error::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(token) = bearer {
            return match state.store.user_by_api_token(&hash_token(token.trim()), now()).await? {
                Some(user) => Ok(ApiCaller(user)),
                None => Err(AppError::unauthorized("that API token is not valid").into()),
            };
        }
        let CurrentUser(session) = CurrentUser::from_request_parts(parts, state).await?;
        let Some(session) = session else {
            return Err(AppError::unauthorized("sign in, or send a personal API token").into());
        };
        // A token is not sent by browsers on their own; a cookie is, so it needs the CSRF check.
        require_same_origin(&parts.headers, state)?;
        Ok(ApiCaller(session.user))
    }
}

/// A signed-in session whose form came from our page and carries its token.
pub fn checked_session(
    state: &AppState,
    session: Option<Session>,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Session, AppError> {
    require_same_origin(headers, state)?;
    let session = session.ok_or_else(|| AppError::unauthorized("Please sign in again."))?;
    if !crate::secrets::same_secret(csrf, &session.csrf_token) {
        return Err(AppError::forbidden(
            "This form has expired; reload the page and try again.",
        ));
    }
    Ok(session)
}

/// The value of cookie `name` in a request.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    /// The scheme counted for nothing: `Origin: https://host` passed on an http instance.
    #[test]
    fn an_origin_is_its_scheme_host_and_port() {
        let public = "http://paperboy.example:8080";
        assert!(same_origin(
            "http://paperboy.example:8080",
            public,
            "paperboy.example:8080"
        ));
        assert!(same_origin("HTTP://Paperboy.Example:8080", public, ""));
        assert!(
            same_origin("http://127.0.0.1:8080", public, "127.0.0.1:8080"),
            "a second name"
        );
        for other in [
            "https://paperboy.example:8080",
            "http://paperboy.example:8081",
            "http://paperboy.example",
            "http://evil.example:8080",
            "https://127.0.0.1:8080",
            "null",
            "",
        ] {
            assert!(!same_origin(other, public, "127.0.0.1:8080"), "{other:?}");
        }
        let https = "https://papers.example/";
        assert!(same_origin("https://papers.example", https, "papers.example"));
        assert!(
            same_origin("https://papers.example:443", https, ""),
            "the default port is no port"
        );
        assert!(!same_origin("http://papers.example", https, "papers.example"));
    }
}
