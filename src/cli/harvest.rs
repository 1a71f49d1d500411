//! `paperboy harvest [--once] [--from DAY [--until DAY]]`.

use std::sync::Arc;

use paperboy_core::Date;

use crate::arxiv::{ArxivClient, user_agent};
use crate::cli::{Context, init_logging, runtime};
use crate::harvest::{HarvestSettings, Harvester, RunKind};

/// What to harvest: the schedule forever, one run now, or a back-fill of a date range.
pub enum Mode {
    Schedule,
    Once,
    Backfill { from: Date, until: Option<Date> },
}

/// Exit code 0: the run finished; 1: it stopped early (its position is saved: run it again,
/// or let the schedule, to resume).
pub fn run(context: &Context, mode: Mode) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    let settings = HarvestSettings::from_config(&config)?;
    runtime()?.block_on(async {
        let store = context.open_store().await?;
        let arxiv = Arc::new(ArxivClient::from_config(&config)?.taking_turns_with(Arc::clone(&store)));
        let harvester = Harvester::new(store, arxiv, settings, &user_agent(&config));
        let (report, result) = match mode {
            Mode::Schedule => {
                tokio::select! {
                    () = Arc::new(harvester).run_schedule() => {},
                    _ = tokio::signal::ctrl_c() => {},
                }
                return Ok(0);
            }
            Mode::Once => harvester.run(RunKind::Once).await,
            Mode::Backfill { from, until } => {
                let until = until.unwrap_or_else(crate::clock::today_utc);
                anyhow::ensure!(from <= until, "--from {from} is after --until {until}");
                harvester.backfill(from, until).await
            }
        };
        println!("{}", report.summary_line());
        match result {
            Ok(()) => Ok(0),
            Err(error) => {
                eprintln!("harvest stopped (run it again to resume): {error}");
                Ok(1)
            }
        }
    })
}
