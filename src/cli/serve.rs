//! `paperboy serve [--addr HOST:PORT] [--web-only | --worker-only]`, and the start-up
//! `paperboy demo` shares.

use std::net::SocketAddr;

use crate::app::{ReplicaRole, bind_and_serve, work_without_serving};
use crate::cli::progress::TerminalProgress;
use crate::cli::{Context, init_logging, runtime};
use crate::demo::sample_sources;
use crate::import::import;

pub fn run(context: &Context, addr: Option<SocketAddr>, role: ReplicaRole) -> anyhow::Result<u8> {
    serve(context, addr, role, false)
}

/// Opens the instance and serves it; with `demo_sample`, an empty instance first gets the
/// sample shipped in the binary.
pub fn serve(context: &Context, addr: Option<SocketAddr>, role: ReplicaRole, demo_sample: bool) -> anyhow::Result<u8> {
    let mut config = context.config()?;
    if demo_sample {
        // The demo shows the bundled sample; it does not reach out to arXiv.
        config.harvest.harvest_schedule = false;
    }
    let _log_guard = init_logging(&config);
    let addr = addr.unwrap_or(config.server.addr);
    runtime()?.block_on(async {
        let store = context.open_store().await?;
        if demo_sample && store.paper_totals().await?.papers == 0 {
            tracing::info!(data_dir = %context.data_dir.display(), "empty instance: importing the demo sample");
            let mut progress = TerminalProgress::new();
            let outcome = import(
                store.clone(),
                sample_sources(),
                config.store.import_batch_size,
                &mut progress,
            )
            .await?;
            tracing::info!("demo sample: {}", outcome.summary_line());
        }
        if demo_sample && let Some(last_list) = store.latest_listing_day().await? {
            // The sample ends long before today: a paper's age for submission counts from the
            // sample's last day, so that its new papers can be submitted as on that day.
            let behind = last_list
                .until(crate::clock::today_utc())
                .map_or(0, |span| span.get_days().max(0));
            config.submissions.submission_max_age_days =
                config.submissions.submission_max_age_days.saturating_add(behind as u32);
        }
        if role.serves() {
            bind_and_serve(addr, role, config.clone(), store, &context.data_dir).await
        } else {
            work_without_serving(config.clone(), store, &context.data_dir).await
        }
    })?;
    Ok(0)
}
