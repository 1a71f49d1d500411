//! The import pipeline: inputs are read and parsed on a blocking thread while batches are merged
//! into the store on the async side, so parsing and writing overlap on two cores.
//!
//! Each batch is one transaction, so a crash loses at most the batch in flight, and since
//! merging is idempotent, running the same import again completes it without duplicates.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use paperboy_core::Paper;
use paperboy_ingest::{InputError, Item};
use paperboy_store::{MergeSummary, Store};
use tokio::sync::mpsc;

/// Something to import: a file (`-` is stdin) or bytes shipped in the binary.
#[derive(Clone, Debug)]
pub enum Source {
    Path(PathBuf),
    Embedded { name: &'static str, bytes: &'static [u8] },
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::Path(path) => path.display().to_string(),
            Source::Embedded { name, .. } => (*name).to_owned(),
        }
    }

    /// The size to show progress against, when it is known.
    fn size(&self) -> Option<u64> {
        match self {
            Source::Path(path) if path.as_os_str() == "-" => None,
            Source::Path(path) => std::fs::metadata(path).ok().map(|metadata| metadata.len()),
            Source::Embedded { bytes, .. } => Some(bytes.len() as u64),
        }
    }

    fn open(&self, bytes_read: Arc<AtomicU64>) -> Result<paperboy_ingest::Input, InputError> {
        let name = self.name();
        let raw: Box<dyn Read + Send> = match self {
            Source::Path(path) if path.as_os_str() == "-" => Box::new(std::io::stdin()),
            Source::Path(path) => Box::new(
                std::fs::File::open(path).map_err(|error| InputError::new(&name, format!("cannot open: {error}")))?,
            ),
            Source::Embedded { bytes, .. } => Box::new(*bytes),
        };
        paperboy_ingest::from_reader(name, Box::new(CountingReader { inner: raw, bytes_read }))
    }
}

/// Counts the (compressed) bytes taken from an input, for the progress bar.
struct CountingReader {
    inner: Box<dyn Read + Send>,
    bytes_read: Arc<AtomicU64>,
}

impl Read for CountingReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.bytes_read.fetch_add(count as u64, Ordering::Relaxed);
        Ok(count)
    }
}

/// Told what the import is doing; the CLI draws a progress bar from it, tests stay silent.
pub trait ImportProgress: Send {
    fn input_started(&mut self, name: &str, size: Option<u64>);
    fn advanced(&mut self, bytes_read: u64, records: u64);
    fn problem(&mut self, message: &str);
    fn input_finished(&mut self, name: &str);
}

/// Stays silent; for tests and embedded imports whose summary is enough.
pub struct Silent;

impl ImportProgress for Silent {
    fn input_started(&mut self, _: &str, _: Option<u64>) {}
    fn advanced(&mut self, _: u64, _: u64) {}
    fn problem(&mut self, _: &str) {}
    fn input_finished(&mut self, _: &str) {}
}

/// What an import did, in total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub merged: MergeSummary,
    /// Records that could not be used.
    pub failed: u64,
    /// Inputs that could not be read to their end (unreadable, unknown format, broken).
    pub broken_inputs: u64,
}

impl ImportOutcome {
    pub fn records_taken(&self) -> u64 {
        self.merged.new + self.merged.updated + self.merged.unchanged
    }

    /// 0 when every record went in, 1 when some failed (the good ones stay), 2 when nothing
    /// could be read at all.
    pub fn exit_code(&self) -> u8 {
        let had_problems = self.failed > 0 || self.broken_inputs > 0;
        match (had_problems, self.records_taken()) {
            (false, _) => 0,
            (true, 0) => 2,
            (true, _) => 1,
        }
    }

    pub fn summary_line(&self) -> String {
        format!(
            "imported {} new, {} updated, {} failed ({} unchanged)",
            self.merged.new,
            self.merged.updated,
            self.failed + self.broken_inputs,
            self.merged.unchanged
        )
    }
}

enum Message {
    Started { name: String, size: Option<u64> },
    Batch(Vec<Paper>),
    Problem(String),
    Finished { name: String },
}

/// Imports every source in order into the store.
pub async fn import(
    store: Arc<dyn Store>,
    sources: Vec<Source>,
    batch_size: usize,
    progress: &mut dyn ImportProgress,
) -> anyhow::Result<ImportOutcome> {
    let (sender, mut receiver) = mpsc::channel::<Message>(4);
    let bytes_read = Arc::new(AtomicU64::new(0));
    let reader_bytes = bytes_read.clone();
    let reader = tokio::task::spawn_blocking(move || read_sources(sources, batch_size, reader_bytes, sender));

    let mut outcome = ImportOutcome::default();
    let mut records_in_input = 0u64;
    while let Some(message) = receiver.recv().await {
        match message {
            Message::Started { name, size } => {
                records_in_input = 0;
                progress.input_started(&name, size);
            }
            Message::Batch(batch) => {
                records_in_input += batch.len() as u64;
                let merged = store.merge_papers(batch).await.with_context(|| {
                    let kept = outcome.merged.new + outcome.merged.updated;
                    format!("while writing papers to the database ({kept} papers written before this are kept)")
                })?;
                outcome.merged.add(merged);
                progress.advanced(bytes_read.load(Ordering::Relaxed), records_in_input);
            }
            Message::Problem(message) => progress.problem(&message),
            Message::Finished { name } => progress.input_finished(&name),
        }
    }
    let (failed, broken_inputs) = reader.await.context("the input reader stopped unexpectedly")?;
    outcome.failed = failed;
    outcome.broken_inputs = broken_inputs;
    Ok(outcome)
}

/// At most this many problems are printed per input; the rest are counted.
const PROBLEMS_SHOWN_PER_INPUT: u64 = 100;

/// Runs on a blocking thread: parses inputs and sends batches; returns (failed, broken inputs).
fn read_sources(
    sources: Vec<Source>,
    batch_size: usize,
    bytes_read: Arc<AtomicU64>,
    sender: mpsc::Sender<Message>,
) -> (u64, u64) {
    let mut failed = 0u64;
    let mut broken_inputs = 0u64;
    let send = |message: Message| sender.blocking_send(message).is_ok();
    for source in sources {
        let name = source.name();
        bytes_read.store(0, Ordering::Relaxed);
        if !send(Message::Started {
            name: name.clone(),
            size: source.size(),
        }) {
            break;
        }
        let input = match source.open(bytes_read.clone()) {
            Ok(input) => input,
            Err(error) => {
                broken_inputs += 1;
                send(Message::Problem(error.to_string()));
                send(Message::Finished { name });
                continue;
            }
        };
        let mut batch = Vec::with_capacity(batch_size);
        let mut problems = 0u64;
        for item in paperboy_ingest::records(input) {
            match item {
                Item::Paper(record) => {
                    batch.push(record.paper);
                    if batch.len() >= batch_size && !send(Message::Batch(std::mem::take(&mut batch))) {
                        return (failed, broken_inputs);
                    }
                }
                Item::Failed(error) => {
                    failed += 1;
                    problems += 1;
                    if problems <= PROBLEMS_SHOWN_PER_INPUT {
                        send(Message::Problem(format!("{name}: {error}")));
                    }
                }
                Item::Fatal(error) => {
                    broken_inputs += 1;
                    send(Message::Problem(error.to_string()));
                }
            }
        }
        if problems > PROBLEMS_SHOWN_PER_INPUT {
            let hidden = problems - PROBLEMS_SHOWN_PER_INPUT;
            send(Message::Problem(format!("{name}: … and {hidden} more failed records")));
        }
        if !batch.is_empty() && !send(Message::Batch(batch)) {
            break;
        }
        send(Message::Finished { name });
    }
    (failed, broken_inputs)
}
