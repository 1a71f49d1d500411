//! `paperboy serve [--addr HOST:PORT]`

use std::net::SocketAddr;

use crate::cli::{Context, init_logging, runtime};
use crate::web::bind_and_serve;

pub fn run(context: &Context, addr: Option<SocketAddr>) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    let addr = addr.unwrap_or(config.addr);
    runtime()?.block_on(async {
        let store = context.open_store().await?;
        bind_and_serve(addr, config.clone(), store, &context.data_dir).await
    })?;
    Ok(0)
}
