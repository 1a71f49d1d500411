//! Whole responses of arXiv's live endpoints, read for the harvester: an announcement feed with
//! its day, an API page with its errors, an OAI-PMH page with its resumption token.
//!
//! Unlike the file readers, a response is all or nothing: one cut short (a dropped connection,
//! a proxy's truncated body) is an error for the whole page, so the harvester asks again instead
//! of taking half a page for a whole one and missing the resumption token at its end.

use jiff::Timestamp;
use jiff::civil::Date;
use paperboy_core::Paper;

use crate::formats::{Converted, Refusal, atom, oai_pmh, rss};
use crate::text::{date_of_timestamp, iso_date, rfc2822_date};
use crate::xml::{Element, RecordStream, XmlItem};
use crate::{InputError, Location, RecordError};

/// One rss.arxiv.org feed (RSS 2.0 or Atom): the day it announces and what it announces.
#[derive(Debug, Default)]
pub struct Feed {
    /// The listing day the feed is for (its `pubDate` / `updated`, in arXiv's offset).
    pub day: Option<Date>,
    pub items: Vec<FeedItem>,
    pub refused: Vec<RecordError>,
}

#[derive(Debug)]
pub struct FeedItem {
    pub paper: Paper,
    /// `new` or `cross`: the paper is on the day's list. A `replace` only updates it.
    pub listed: bool,
}

/// One answer of the arXiv API (`/api/query`).
#[derive(Debug, Default)]
pub struct ApiPage {
    pub papers: Vec<Paper>,
    /// What the API said was wrong with the query (it answers errors as entries).
    pub errors: Vec<String>,
    pub refused: Vec<RecordError>,
    pub total_results: Option<u64>,
}

/// One OAI-PMH `ListRecords` answer.
#[derive(Debug, Default)]
pub struct OaiPage {
    pub records: Vec<OaiRecord>,
    pub refused: Vec<RecordError>,
    /// Where the list goes on; `None` (or an empty token) when this page is the last.
    pub resumption_token: Option<String>,
    pub complete_list_size: Option<u64>,
    /// An OAI-PMH error (`badResumptionToken`, `noRecordsMatch`, …).
    pub error: Option<OaiError>,
    pub response_date: Option<Timestamp>,
}

#[derive(Debug)]
pub struct OaiRecord {
    /// `None` for a deleted record.
    pub paper: Option<Paper>,
    /// The record's datestamp: the day arXiv last changed it.
    pub datestamp: Option<Date>,
    /// When version 1 was submitted, as exactly as the format says (`arXivRaw` to the second,
    /// the others to the day, read as noon UTC).
    pub submitted: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OaiError {
    pub code: String,
    pub message: String,
}

/// Reads every element named in `names` of a whole response; any break in it is an error.
fn elements(name: &str, body: &[u8], names: &'static [&'static str]) -> Result<Vec<Element>, InputError> {
    let mut found = Vec::new();
    for item in RecordStream::new(body, names) {
        match item {
            Ok(XmlItem::Record(element)) => found.push(element),
            Ok(XmlItem::Root(_)) => {}
            Err(error) => return Err(InputError::new(name, error.to_string())),
        }
    }
    Ok(found)
}

fn refused(number: usize, refusal: Refusal) -> RecordError {
    RecordError {
        location: Location::Record(number),
        id: refusal.id,
        reason: refusal.reason,
    }
}

/// Reads an announcement feed. The channel's date comes before its items in both forms, and
/// item dates sit inside items, so the first date element outside an item is the feed's.
pub fn read_feed(name: &str, body: &[u8]) -> Result<Feed, InputError> {
    let mut feed = Feed::default();
    let mut number = 0;
    for element in elements(name, body, &["item", "entry", "pubDate", "updated"])? {
        match element.name.as_str() {
            "pubDate" if feed.day.is_none() => feed.day = rfc2822_date(&element.text).ok(),
            "updated" if feed.day.is_none() => feed.day = feed_day_of_timestamp(&element.text),
            "item" | "entry" => {
                number += 1;
                let converted = match element.name.as_str() {
                    "item" => rss::paper_from_item(&element),
                    _ => atom::paper_from_entry(&element),
                };
                match converted {
                    Ok(Converted::Paper(paper)) => feed.items.push(FeedItem {
                        listed: !paper.listing_dates.is_empty(),
                        paper: *paper,
                    }),
                    Ok(Converted::Nothing) => {}
                    Err(refusal) => feed.refused.push(refused(number, refusal)),
                }
            }
            _ => {}
        }
    }
    Ok(feed)
}

/// The Atom feed's `updated` (`2026-09-24T04:00:00Z`) is midnight US Eastern of the listing day.
fn feed_day_of_timestamp(text: &str) -> Option<Date> {
    let timestamp: Timestamp = text.trim().parse().ok()?;
    let eastern = jiff::tz::TimeZone::get("America/New_York").ok()?;
    Some(timestamp.to_zoned_datetime(eastern).date())
}

/// Reads an arXiv API answer.
pub fn read_api_page(name: &str, body: &[u8]) -> Result<ApiPage, InputError> {
    let mut page = ApiPage::default();
    let mut number = 0;
    for element in elements(name, body, &["entry", "totalResults"])? {
        if element.name == "totalResults" {
            page.total_results = element.text.trim().parse().ok();
            continue;
        }
        number += 1;
        match atom::paper_from_entry(&element) {
            Ok(Converted::Paper(paper)) => page.papers.push(*paper),
            Ok(Converted::Nothing) => {}
            Err(refusal) if refusal.id.is_none() && refusal.reason.starts_with("arXiv API error") => {
                page.errors.push(refusal.reason)
            }
            Err(refusal) => page.refused.push(refused(number, refusal)),
        }
    }
    Ok(page)
}

/// Reads an OAI-PMH `ListRecords` (or `GetRecord`) answer.
pub fn read_oai_page(name: &str, body: &[u8]) -> Result<OaiPage, InputError> {
    let mut page = OaiPage::default();
    let mut number = 0;
    for element in elements(name, body, &["record", "resumptionToken", "error", "responseDate"])? {
        match element.name.as_str() {
            "responseDate" => page.response_date = element.text.trim().parse().ok(),
            "resumptionToken" => {
                let token = element.text.trim();
                page.resumption_token = (!token.is_empty()).then(|| token.to_owned());
                page.complete_list_size = element.attribute("completeListSize").and_then(|size| size.parse().ok());
            }
            "error" => {
                page.error = Some(OaiError {
                    code: element.attribute("code").unwrap_or("unknown").to_owned(),
                    message: element.text.trim().to_owned(),
                })
            }
            _ => {
                number += 1;
                let header = element.child("header");
                let datestamp = header.and_then(|h| h.child_text("datestamp")).and_then(|text| {
                    // Day granularity is what arXiv uses; a full timestamp is read to its day.
                    iso_date(text).or_else(|_| date_of_timestamp(text)).ok()
                });
                match oai_pmh::paper_from_record(&element) {
                    Ok(Converted::Paper(paper)) => page.records.push(OaiRecord {
                        submitted: first_submitted(&element, &paper),
                        paper: Some(*paper),
                        datestamp,
                    }),
                    Ok(Converted::Nothing) => page.records.push(OaiRecord {
                        paper: None,
                        datestamp,
                        submitted: None,
                    }),
                    Err(refusal) => page.refused.push(refused(number, refusal)),
                }
            }
        }
    }
    Ok(page)
}

/// When version 1 was submitted: `arXivRaw` gives the moment, the other formats the day.
fn first_submitted(record: &Element, paper: &Paper) -> Option<Timestamp> {
    let raw_v1 = record
        .descendant("arXivRaw")
        .and_then(|raw| {
            raw.children_named("version")
                .find(|v| v.attribute("version") == Some("v1"))
        })
        .and_then(|version| version.child_text("date"))
        .and_then(|date| jiff::fmt::rfc2822::parse(date).ok())
        .map(|zoned| zoned.timestamp());
    raw_v1.or_else(|| {
        let day = paper.first_version_date?;
        day.to_datetime(jiff::civil::Time::constant(12, 0, 0, 0))
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|zoned| zoned.timestamp())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn fixture(path: &str) -> Vec<u8> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        std::fs::read(root.join(path)).expect("fixture")
    }

    #[test]
    fn a_recorded_rss_feed_gives_its_day_and_what_it_lists() {
        let feed = read_feed("rss", &fixture("recorded/rss/rss-cs.LG+cs.AI+cs.CL+stat.ML.xml")).expect("reads");
        assert_eq!(feed.day, Some(date(2026, 9, 24)));
        let listed: Vec<(&str, bool)> = feed
            .items
            .iter()
            .map(|item| (item.paper.id.as_str(), item.listed))
            .collect();
        assert_eq!(
            listed,
            [
                ("2609.26811", true),
                ("2609.26820", true),
                ("2205.06398", true),
                ("2009.13987", false)
            ]
        );
        let atom = read_feed("atom", &fixture("constructed/atom-cs.LG+cs.AI+cs.CL+stat.ML.xml")).expect("reads");
        assert_eq!(atom.day, Some(date(2026, 9, 24)));
        assert_eq!(atom.items.len(), 4);
    }

    #[test]
    fn a_feed_cut_short_between_items_is_an_error_not_a_shorter_feed() {
        let body = fixture("recorded/rss/rss-cs.LG+cs.AI+cs.CL+stat.ML.xml");
        let text = String::from_utf8(body).expect("utf-8");
        let cut = text
            .find("<item>")
            .map(|first| text[first + 1..].find("<item>").map(|second| first + 1 + second));
        let cut = cut.flatten().expect("two items");
        let error = read_feed("rss", &text.as_bytes()[..cut]).expect_err("cut short");
        assert!(error.reason.contains("cut short"), "{error}");
    }

    #[test]
    fn api_pages_give_papers_totals_and_errors() {
        let page = read_api_page("api", &fixture("recorded/arxiv-api/query-testing-page0.atom.xml")).expect("reads");
        assert!(!page.papers.is_empty());
        assert!(
            page.total_results
                .is_some_and(|total| total >= page.papers.len() as u64)
        );
        let error = read_api_page("api", &fixture("recorded/arxiv-api/error-bad-id.atom.xml")).expect("reads");
        assert!(error.papers.is_empty());
        assert_eq!(error.errors.len(), 1, "{:?}", error.errors);
    }

    #[test]
    fn oai_pages_give_records_with_datestamps_and_the_resumption_token() {
        let page =
            read_oai_page("oai", &fixture("recorded/oai-pmh/listrecords-oai_dc-cs-resumption.xml")).expect("reads");
        assert_eq!(page.records.len(), 5);
        assert_eq!(page.resumption_token.as_deref(), Some("6960524|1001"));
        assert_eq!(page.complete_list_size, Some(1162));
        let datestamps: Vec<Option<Date>> = page.records.iter().map(|record| record.datestamp).collect();
        assert_eq!(datestamps[0], Some(date(2024, 1, 25)));
        assert_eq!(datestamps[4], Some(date(2024, 1, 26)));
        let raw = read_oai_page("oai", &fixture("constructed/listrecords-arXivRaw.xml")).expect("reads");
        let first = raw
            .records
            .iter()
            .find_map(|r| r.paper.as_ref().map(|p| (p, r.submitted)));
        let (paper, submitted) = first.expect("a paper");
        assert_eq!(paper.id.as_str(), "0704.0001");
        assert_eq!(submitted, Some("2007-04-02T19:18:42Z".parse().expect("timestamp")));
        assert!(
            raw.records.iter().any(|record| record.paper.is_none()),
            "the deleted record"
        );
    }

    #[test]
    fn oai_errors_are_read() {
        let body = br#"<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-01-02T00:00:00Z</responseDate><request verb="ListRecords">x</request><error code="badResumptionToken">The value of the resumptionToken argument is invalid or expired.</error></OAI-PMH>"#;
        let page = read_oai_page("oai", body).expect("reads");
        assert_eq!(page.error.map(|e| e.code).as_deref(), Some("badResumptionToken"));
        assert!(page.records.is_empty());
    }
}
