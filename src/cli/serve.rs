//! `paperboy serve [--addr HOST:PORT]`

use std::net::SocketAddr;

use anyhow::Context as _;

use crate::cli::{Context, init_logging, runtime};
use crate::web::{AppState, serve};

pub fn run(context: &Context, addr: Option<SocketAddr>) -> anyhow::Result<u8> {
    let config = context.config()?;
    init_logging(&config);
    let addr = addr.unwrap_or(config.addr);
    runtime()?.block_on(async {
        let store = context.open_store().await?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        serve(listener, AppState { store }).await
    })?;
    Ok(0)
}
