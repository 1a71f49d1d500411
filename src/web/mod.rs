//! The HTTP server: pages, feeds, the JSON API, assets, health and metrics, and what every
//! request shares.

mod api;
mod api_json;
mod assets;
mod auth;
mod cache;
mod cards;
mod client;
mod comments;
mod comments_api;
mod discussion;
mod documents;
mod edge;
mod error;
mod feeds;
mod follows;
mod for_you;
mod forms;
mod guard;
mod health;
mod library;
mod markdown;
mod members;
mod metrics;
mod pages;
mod read_limit;
pub mod routes;
mod search;
mod state;
mod submit;
mod subscriptions;
mod views;
mod votes;

use crate::web::api_json::DailySort;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub use guard::SESSION_COOKIE;
pub use state::{AppState, Settings};

pub fn router(state: AppState) -> Router {
    metrics::handle();
    let api = Router::new()
        .route(routes::api::DAILY_PAPERS, get(api::daily_papers))
        .route(routes::api::SEARCH, get(search::api))
        .route(
            routes::api::ANY_PAPER,
            get(paper_get)
                .merge(guard::post(paper_post))
                .merge(guard::delete(votes::api_unvote))
                .options(api::paper_options),
        )
        .route(
            routes::api::COMMENT,
            guard::patch(comments_api::edit).merge(guard::delete(comments_api::delete)),
        )
        .route(
            routes::api::COMMENT_UPVOTE,
            guard::put(comments_api::upvote).merge(guard::delete(comments_api::unvote)),
        )
        .route(routes::api::COMMENT_REPORT, guard::post(comments_api::report))
        .route(routes::api::COMMENT_HIDE, guard::post(comments_api::hide))
        .route(routes::api::COMMENT_RESTORE, guard::post(comments_api::restore))
        .route(routes::api::MY_VOTES, get(votes::my_votes))
        .route(routes::api::LIBRARY, get(library::library))
        .route(routes::api::FOR_YOU, get(for_you::api))
        .route(routes::api::FOLLOWS, get(follows::list))
        .route(
            routes::api::ANY_FOLLOW,
            guard::put(follows::follow)
                .merge(guard::patch(follows::set_active))
                .merge(guard::delete(follows::unfollow)),
        )
        .route(
            routes::api::ANY_LIBRARY_PAPER,
            guard::put(library::save).merge(guard::delete(library::unsave)),
        )
        .route(routes::api::COLLECTIONS, guard::post(library::create_collection))
        .route(
            routes::api::COLLECTION,
            get(library::collection)
                .merge(guard::patch(library::change_collection))
                .merge(guard::delete(library::delete_collection)),
        )
        .route(
            routes::api::ANY_COLLECTION_PAPER,
            guard::put(library::file_in).merge(guard::delete(library::unfile_from)),
        )
        .route(routes::api::INDEX, guard::post(submit::api_index))
        .route(routes::api::OPENAPI, get(openapi))
        .route(routes::api::CATEGORIES, get(api::categories))
        .route("/api/{*rest}", get(api::not_found))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD]),
        );
    let site = Router::new()
        .route("/", get(pages::lists::home))
        .route("/favicon.ico", get(assets::favicon))
        .route("/{file}", get(feeds::latest_day))
        .route("/papers/date/{day}", get(pages::lists::day))
        .route("/papers/date/{day}/{file}", get(feeds::day))
        .route("/papers/week", get(pages::lists::latest_week))
        .route("/papers/week/{week}", get(pages::lists::week))
        .route("/papers/week/{week}/{file}", get(feeds::week))
        .route("/papers/month", get(pages::lists::latest_month))
        .route("/papers/month/{month}", get(pages::lists::month))
        .route("/papers/month/{month}/{file}", get(feeds::month))
        .route("/papers/trending", get(pages::lists::trending))
        .route("/papers/trending/{file}", get(feeds::trending))
        .route("/papers/{*id}", get(pages::paper::paper).merge(guard::post(paper_form)))
        .route("/login", get(auth::login_form).merge(guard::post(auth::login_submit)))
        .route(
            "/login/{token}",
            get(auth::login_confirm).merge(guard::post(auth::login_redeem)),
        )
        .route("/logout", guard::post(auth::logout))
        .route("/account", get(auth::account).merge(guard::post(auth::account_update)))
        .route("/account/export.json", get(auth::account_export))
        .route("/account/delete", guard::post(auth::delete_account))
        .route("/account/notifications", guard::post(auth::notifications_update))
        .route(
            "/notifications/unsubscribe/{link}",
            get(subscriptions::comment_mails_one_click_page).merge(guard::post(subscriptions::comment_mails_one_click)),
        )
        .route("/submit", get(submit::form).merge(guard::post(submit::submit)))
        .route("/account/tokens", guard::post(auth::create_token))
        .route("/account/tokens/{id}/revoke", guard::post(auth::revoke_token))
        .route(
            "/subscribe",
            get(subscriptions::form).merge(guard::post(subscriptions::subscribe)),
        )
        .route(
            "/subscribe/confirm/{token}",
            get(subscriptions::confirm_page).merge(guard::post(subscriptions::confirm)),
        )
        .route(
            "/subscription/{link}",
            get(subscriptions::manage).merge(guard::post(subscriptions::manage_update)),
        )
        .route(
            "/unsubscribe/{link}",
            get(subscriptions::one_click_page).merge(guard::post(subscriptions::one_click)),
        )
        .route(
            "/account/subscription",
            get(subscriptions::account_page).merge(guard::post(subscriptions::account_update)),
        )
        .route("/users/{profile}", get(members::profile))
        .route("/authors/{*name}", get(pages::author::author))
        .route("/library", get(pages::library::library))
        .route("/for-you", get(pages::for_you::for_you))
        .route("/follows", guard::post(follows::follow_form))
        .route("/library/{action}", guard::post(pages::library::change))
        .route("/collections/{public_id}", get(pages::library::public))
        .route("/collections/{public_id}/{file}", get(pages::library::public_file))
        .route("/comments/{id}/{action}", guard::post(discussion::act_form))
        .route("/moderation", get(discussion::queue))
        .route("/admin", get(members::admin))
        .route("/admin/papers", guard::post(members::hide_paper))
        .route("/admin/submissions", guard::post(members::hide_submission))
        .route("/search", get(search::page))
        .route("/feeds/search.atom", get(search::feed))
        .route("/search.bib", get(search::bibtex))
        .route("/static/{version}/{*path}", get(assets::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .fallback(|| async { error::AppError::not_found("There is no page at this address.") });
    site.merge(api)
        // Inside the route's layer, so that refusals and failures count under the route asked for.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), edge::limit_clients))
        .route_layer(axum::middleware::from_fn(edge::remember_route))
        .layer(axum::middleware::from_fn(edge::api_errors))
        // Inside compression, so that the page it writes is what gets compressed.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            edge::write_error_pages,
        ))
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge::edge))
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let address = listener.local_addr().context("while reading the listening address")?;
    state.cache.observe(
        state
            .store
            .content_version()
            .await
            .context("while reading the content version")?,
    );
    state.cache.follow(Arc::clone(&state.store));
    // Tests and scripts read this line to find a port chosen by the system (`--addr 127.0.0.1:0`).
    println!("paperboy listening on http://{address}");
    tracing::info!(%address, "listening");
    let idle = state.settings.connection_idle;
    let max_connections = connection_bound(state.settings.max_connections);
    let router = router(state);
    // HTTP/1.1 only: browsers speak HTTP/2 over TLS, which a reverse proxy in front ends, and
    // HTTP/1.1's head timeout is what closes connections that send nothing.
    let mut connections = hyper::server::conn::http1::Builder::new();
    connections
        .timer(TokioTimer::new())
        // A connection that has not sent a whole request head within this long is closed:
        // one that sends nothing at all, one idle between requests, or one that sends its head
        // slowly (slowloris).
        .header_read_timeout(idle)
        // A larger head is answered 431 Request Header Fields Too Large.
        .max_header_size(MAX_HEAD_BYTES);
    let open_connections = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    let mut warned_at = None;
    loop {
        // A connection is accepted only when there is room for it: past the bound, clients wait
        // in the kernel's listen queue instead of taking the process's last file descriptors.
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // Once a minute at most: under a flood this happens at every accept.
                if warned_at.is_none_or(|at: std::time::Instant| at.elapsed() > Duration::from_secs(60)) {
                    warned_at = Some(std::time::Instant::now());
                    tracing::warn!(
                        max_connections,
                        "the connection limit is reached: new connections wait until open ones close \
                     (raise max_connections, and LimitNOFILE under systemd)"
                    );
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                }
            }
        };
        let (stream, client) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: wait a moment rather than spin.
                Err(error) => {
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = router
            .clone()
            .map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(client));
                request.map(axum::body::Body::new)
            });
        let connection = connections.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = open_connections.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(slot);
        });
    }
    // Requests in flight finish; idle connections close. A client that holds on past the
    // deadline is cut off rather than holding up the exit.
    if tokio::time::timeout(Duration::from_secs(20), open_connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after 20 seconds and were cut off");
    }
    tracing::info!("shut down");
    Ok(())
}

/// `POST /papers/<id>/upvote` and `/papers/<id>/save`: the forms on cards and paper pages,
/// which share the paper's address (old-style ids hold a slash, so one route takes them all).
async fn paper_form(
    same_origin: guard::SameOrigin,
    state: axum::extract::State<AppState>,
    user: guard::CurrentUser,
    client: client::ClientIp,
    path: axum::extract::Path<String>,
    axum::Form(form): axum::Form<discussion::CommentForm>,
) -> Result<Response, error::AppError> {
    if path.0.ends_with("/comments") {
        return discussion::post_form(same_origin, state, user, client, path, form).await;
    }
    let next = axum::Form(forms::NextForm { next: form.next });
    if path.0.ends_with("/save") {
        library::save_form(same_origin, state, user, path, next).await
    } else {
        votes::vote_form(same_origin, state, user, path, next).await
    }
}

/// `GET /api/papers/…`: a paper, or with `/comments` its discussion (old-style ids hold a slash,
/// so one route takes them all).
async fn paper_get(
    state: axum::extract::State<AppState>,
    path: axum::extract::Path<String>,
    uri: axum::http::Uri,
) -> Response {
    if path.0.ends_with("/comments") {
        // Read here, not as an extractor: the paper itself takes no parameters and ignores any.
        return match axum::extract::Query::<comments_api::CommentsParams>::try_from_uri(&uri) {
            Ok(query) => comments_api::list(state, path, query).await.into_response(),
            Err(rejection) => error::ApiError(error::AppError::bad_request(rejection.body_text())).into_response(),
        };
    }
    api::paper(state, path).await
}

/// `POST /api/papers/…`: `/upvote` votes, `/comments` posts a comment (its body is read only
/// there: a vote has none).
async fn paper_post(
    caller: Result<guard::ApiCaller, error::ApiError>,
    state: axum::extract::State<AppState>,
    client: client::ClientIp,
    path: axum::extract::Path<String>,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::FromRequest;
    if !path.0.ends_with("/comments") {
        return votes::api_upvote(caller, state, path).await;
    }
    let caller = match caller {
        Ok(caller) => caller,
        Err(refused) => return refused.into_response(),
    };
    match axum::Json::<api_json::JsonObject>::from_request(request, &state.0).await {
        Ok(body) => comments_api::create(caller, state, client, path, body)
            .await
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// File descriptors kept for everything but connections: the database, the search index's
/// segments, logs, outgoing requests.
const RESERVED_FILES: u64 = 512;

/// How many connections may be open at once: `configured`, or less when the process's file
/// limit cannot hold that many. The soft limit is raised to the hard one first (systemd's
/// default soft limit is 1,024, far below what a server needs).
fn connection_bound(configured: usize) -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    let files = unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return configured;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
        limit.rlim_cur
    };
    let room = files.saturating_sub(RESERVED_FILES).max(16);
    let bound = configured.min(usize::try_from(room).unwrap_or(usize::MAX));
    if bound < configured {
        tracing::warn!(
            configured,
            bound,
            file_limit = files,
            "max_connections is lowered to fit the file limit (raise LimitNOFILE under systemd)"
        );
    }
    bound
}
/// The largest request head accepted: far above any browser's, far below what would hurt.
const MAX_HEAD_BYTES: usize = 32 * 1024;

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)))]
pub async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_document(),
    )
        .into_response()
}

/// The two ways to call the write endpoints.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // The derive tags each operation with its Rust module; that is no help to a reader.
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.delete,
                &mut item.put,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                operation.tags = None;
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token, made on the account page"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "paperboy_session",
                "The session cookie of a signed-in browser",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Paperboy API",
        version = "1",
        description = "Daily arXiv papers ranked by the community. /api/daily_papers and /api/papers/{id} answer in the shape and with the semantics of Hugging Face's API of the same names, so daily-papers clients work unchanged; each paper also carries trendingScore and the inputs it was computed from. Every error is {\"error\": …, \"status\": …}."
    ),
    paths(
        api::daily_papers,
        search::api,
        api::paper,
        openapi,
        api::categories,
        submit::api_index,
        votes::api_upvote,
        votes::api_unvote,
        comments_api::list,
        comments_api::create,
        comments_api::edit,
        comments_api::delete,
        comments_api::upvote,
        comments_api::unvote,
        comments_api::report,
        comments_api::hide,
        comments_api::restore,
        votes::my_votes,
        library::library,
        for_you::api,
        library::save,
        library::unsave,
        library::create_collection,
        library::collection,
        library::change_collection,
        library::delete_collection,
        library::file_in,
        library::unfile_from,
        follows::list,
        follows::follow,
        follows::set_active,
        follows::unfollow,
    ),
    components(schemas(DailySort, search::SearchMode, search::SearchSort)),
    modifiers(&Security)
)]
pub struct ApiDoc;

/// The document, made once.
pub fn openapi_document() -> &'static str {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".to_owned()))
}
