//! `paperboy demo`: the sample goes into an empty instance, then the server starts.

use std::net::SocketAddr;

use crate::cli::Context;

pub fn run(context: &Context, addr: Option<SocketAddr>) -> anyhow::Result<u8> {
    crate::cli::serve::serve(context, addr, crate::app::ReplicaRole::Everything, true)
}
