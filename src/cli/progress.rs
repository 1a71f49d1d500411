//! Import progress for people: a bar on a terminal; on a pipe or in a log, a line every few
//! seconds. Problems are printed above the bar so they are never lost in it.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::import::ImportProgress;

/// How often a line is written when stderr is not a terminal.
const LOG_INTERVAL: Duration = Duration::from_secs(5);

pub struct TerminalProgress {
    bar: Option<ProgressBar>,
    interactive: bool,
    current: String,
    last_log: Instant,
}

impl TerminalProgress {
    pub fn new() -> TerminalProgress {
        TerminalProgress {
            bar: None,
            interactive: std::io::stderr().is_terminal(),
            current: String::new(),
            last_log: Instant::now(),
        }
    }
}

impl Default for TerminalProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl ImportProgress for TerminalProgress {
    fn input_started(&mut self, name: &str, size: Option<u64>) {
        self.current = name.to_owned();
        self.last_log = Instant::now();
        if !self.interactive {
            eprintln!("import: reading {name}");
            return;
        }
        let bar = match size {
            Some(size) => ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = "{prefix} [{bar:30}] {bytes}/{total_bytes} {msg} ({elapsed}, eta {eta})";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(name.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bar = Some(bar);
    }

    fn advanced(&mut self, bytes_read: u64, records: u64) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(bytes_read);
                bar.set_message(format!("{records} records"));
            }
            None if self.last_log.elapsed() >= LOG_INTERVAL => {
                eprintln!("import: {}: {records} records so far", self.current);
                self.last_log = Instant::now();
            }
            None => {}
        }
    }

    fn problem(&mut self, message: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("import: {message}")),
            None => eprintln!("import: {message}"),
        }
    }

    fn input_finished(&mut self, _name: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
