//! One module per source format; each turns its records into [`Paper`]s.

mod announcement;
pub(crate) mod atom;
mod hugging_face;
mod kaggle;
mod listing;
pub(crate) mod oai_pmh;
pub(crate) mod rss;

use std::io::BufRead;

use paperboy_core::{Category, Paper, VersionedArxivId};

use crate::input::read_error_reason;
use crate::xml::{Element, RecordStream, XmlItem};
use crate::{Format, Input, InputError, Item, Location, Record, RecordError};

pub fn records(input: Input) -> Box<dyn Iterator<Item = Item> + Send> {
    let Input { name, format, reader } = input;
    match format {
        Format::ListingJsonLines => Box::new(json_lines(name, reader, listing::paper_from_line)),
        Format::KaggleJsonLines => Box::new(json_lines(name, reader, kaggle::paper_from_line)),
        Format::HuggingFaceDailyPapers => hugging_face::records(name, reader),
        Format::Atom => Box::new(xml_records(name, reader, &["entry"], atom::paper_from_entry)),
        Format::OaiPmh => Box::new(xml_records(name, reader, &["record"], oai_pmh::paper_from_record)),
        Format::Rss => Box::new(xml_records(name, reader, &["item"], rss::paper_from_item)),
    }
}

/// Why a record was refused, with its id when it had one.
pub struct Refusal {
    pub id: Option<String>,
    pub reason: String,
}

impl Refusal {
    pub fn new(id: Option<&str>, reason: impl Into<String>) -> Refusal {
        Refusal {
            id: id.map(str::to_owned),
            reason: reason.into(),
        }
    }
}

/// What a record turned into: a paper, nothing worth importing (an OAI deletion), or a refusal.
pub enum Converted {
    Paper(Box<Paper>),
    Nothing,
}

type LineConverter = fn(&[u8]) -> Result<Paper, Refusal>;

/// JSON lines: one record per line; blank lines are allowed; a bad line fails alone.
fn json_lines(
    name: String,
    mut reader: Box<dyn BufRead + Send>,
    convert: LineConverter,
) -> impl Iterator<Item = Item> + Send {
    let mut line_number = 0usize;
    let mut line = Vec::with_capacity(8 * 1024);
    let mut done = false;
    std::iter::from_fn(move || {
        loop {
            if done {
                return None;
            }
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => {
                    done = true;
                    let reason = format!("after line {line_number}: {}", read_error_reason(&error));
                    return Some(Item::Fatal(InputError::new(&name, reason)));
                }
            }
            line_number += 1;
            let location = Location::Line(line_number);
            let content = line.trim_ascii();
            if content.is_empty() {
                continue;
            }
            // A line cut short by the end of the file is a partial record, not a record.
            if !line.ends_with(b"\n") && serde_json::from_slice::<serde_json::Value>(content).is_err() {
                return Some(Item::Failed(RecordError {
                    location,
                    id: None,
                    reason: "the file ends in the middle of this record".to_owned(),
                }));
            }
            if let Err(error) = std::str::from_utf8(content) {
                let reason = format!("not valid UTF-8 (bad byte at column {})", error.valid_up_to() + 1);
                return Some(Item::Failed(RecordError {
                    location,
                    id: None,
                    reason,
                }));
            }
            return Some(match convert(content) {
                Ok(paper) => Item::Paper(Record { location, paper }),
                Err(Refusal { id, reason }) => Item::Failed(RecordError { location, id, reason }),
            });
        }
    })
}

type ElementConverter = fn(&Element) -> Result<Converted, Refusal>;

/// XML documents: one record per `record_names` element; a break in the XML ends the input.
fn xml_records(
    name: String,
    reader: Box<dyn BufRead + Send>,
    record_names: &'static [&'static str],
    convert: ElementConverter,
) -> impl Iterator<Item = Item> + Send {
    let mut stream = RecordStream::new(reader, record_names);
    let mut record_number = 0usize;
    std::iter::from_fn(move || {
        loop {
            match stream.next()? {
                Ok(XmlItem::Root(_)) => continue,
                Ok(XmlItem::Record(element)) => {
                    record_number += 1;
                    let location = Location::Record(record_number);
                    match convert(&element) {
                        Ok(Converted::Paper(paper)) => {
                            return Some(Item::Paper(Record {
                                location,
                                paper: *paper,
                            }));
                        }
                        Ok(Converted::Nothing) => continue,
                        Err(Refusal { id, reason }) => {
                            return Some(Item::Failed(RecordError { location, id, reason }));
                        }
                    }
                }
                Err(error) => {
                    let reason = format!("{error} (after {record_number} records)");
                    return Some(Item::Fatal(InputError::new(&name, reason)));
                }
            }
        }
    })
}

/// Parses a record's id field, refusing the record with a clear reason when it is bad.
pub fn parse_id(text: Option<&str>) -> Result<VersionedArxivId, Refusal> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Err(Refusal::new(None, "missing \"id\""));
    };
    VersionedArxivId::parse(text).map_err(|error| Refusal::new(Some(text), error.to_string()))
}

/// Starts a paper from a record's id and title, refusing the record when either is unusable:
/// a paper we cannot identify or name cannot be shown.
pub fn new_paper(id: Option<&str>, title: Option<&str>) -> Result<Paper, Refusal> {
    let versioned = parse_id(id)?;
    let mut paper = Paper::new(versioned.id);
    paper.latest_version = versioned.version;
    paper.title =
        crate::text::non_empty(title).ok_or_else(|| Refusal::new(Some(paper.id.as_str()), "missing \"title\""))?;
    Ok(paper)
}

/// Adds categories in the order given; the first valid one is the primary unless one is set.
///
/// Sources mix in ACM (`I.2.7`) and MSC (`68T50`) classes where arXiv categories belong; those are
/// not categories and are skipped, not refused: the record is still good.
pub fn add_categories<'a>(paper: &mut Paper, codes: impl IntoIterator<Item = &'a str>) {
    for category in codes.into_iter().filter_map(|code| Category::parse(code).ok()) {
        if paper.primary_category.is_none() {
            paper.primary_category = Some(category.clone());
        }
        if !paper.categories.contains(&category) {
            paper.categories.push(category);
        }
    }
}
