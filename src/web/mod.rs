//! The HTTP server: the router and what every request shares.

mod health;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use paperboy_store::Store;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
}

pub fn router(state: AppState) -> Router {
    Router::new().route("/healthz", get(health::healthz)).with_state(state)
}

/// Listens on `addr` and serves until Ctrl-C or SIGTERM.
pub async fn bind_and_serve(addr: std::net::SocketAddr, state: AppState) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    serve(listener, state).await
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    let address = listener.local_addr().context("while reading the listening address")?;
    // Tests and scripts read this line to find a port chosen by the system (`--addr 127.0.0.1:0`).
    println!("paperboy listening on http://{address}");
    tracing::info!(%address, "listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("while serving HTTP")?;
    tracing::info!("shut down");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
