//! `paperboy import FILE...`

use std::path::PathBuf;
use std::sync::Arc;

use paperboy_store::SqliteWorkload;

use crate::cli::progress::TerminalProgress;
use crate::cli::{Context, init_logging, runtime};
use crate::import::{Source, import};

pub fn run(context: &Context, files: Vec<PathBuf>) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    let started = std::time::Instant::now();
    let outcome = runtime()?.block_on(async {
        let store = context.open_store_for(SqliteWorkload::BulkImport).await?;
        let sources = files.into_iter().map(Source::Path).collect();
        let mut progress = TerminalProgress::new();
        let outcome = import(
            Arc::clone(&store),
            sources,
            config.store.import_batch_size,
            &mut progress,
        )
        .await;
        // Folds what is left in the write-ahead log (up to 200 MB with a bulk import's
        // checkpoints) into the database file, rather than leaving it to whoever opens it next.
        store.close().await;
        outcome
    })?;
    println!("{} in {:.1} s", outcome.summary_line(), started.elapsed().as_secs_f64());
    Ok(outcome.exit_code())
}
