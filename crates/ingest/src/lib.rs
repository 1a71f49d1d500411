//! Reads every format an operator has — arXiv listings, the Kaggle snapshot, Hugging Face
//! daily papers, arXiv API Atom, OAI-PMH, rss.arxiv.org feeds — into [`Paper`] records.
//!
//! Readers stream: one bad record is reported with where it was and the rest goes on; a break
//! in the file itself (truncated gzip, broken XML) ends the input with one clear message, and
//! what came before it still counts. No reader panics on any input.

mod formats;
mod input;
pub mod responses;
mod text;
pub mod xml;

use std::fmt;

use paperboy_core::Paper;

pub use input::{Format, Input, decompressed, detect, from_reader, open};

/// Where in an input a record was: a line for line-based formats, the n-th record otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    Line(usize),
    Record(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::Record(number) => write!(f, "record {number}"),
        }
    }
}

/// One usable record.
#[derive(Debug)]
pub struct Record {
    pub location: Location,
    pub paper: Paper,
}

/// A record that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub location: Location,
    /// The arXiv id as the record wrote it, when it had one.
    pub id: Option<String>,
    pub reason: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{} (id {}): {}", self.location, id, self.reason),
            None => write!(f, "{}: {}", self.location, self.reason),
        }
    }
}

/// An input that cannot be read (further) as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input}: {reason}")]
pub struct InputError {
    pub input: String,
    pub reason: String,
}

impl InputError {
    pub fn new(input: &str, reason: String) -> InputError {
        InputError {
            input: input.to_owned(),
            reason,
        }
    }
}

/// What reading an input yields, in order.
// Papers are nearly every item; boxing them would cost an allocation per record for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Item {
    Paper(Record),
    Failed(RecordError),
    /// The input broke here; nothing follows.
    Fatal(InputError),
}

/// Streams the records of an opened input.
pub fn records(input: Input) -> Box<dyn Iterator<Item = Item> + Send> {
    formats::records(input)
}

/// Opens an input and streams its records (convenience for tests and small inputs).
pub fn read_path(path: &std::path::Path) -> Result<Vec<Item>, InputError> {
    Ok(records(open(path)?).collect())
}
