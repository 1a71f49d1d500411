//! Fuzz targets for everything Paperboy parses from outside: arXiv ids, the arXiv API's Atom,
//! the announcement RSS, OAI-PMH, JSON lines, Hugging Face's JSON and the search language.

use std::io::Read;

use paperboy_core::{ArxivId, Paper, VersionedArxivId};
use paperboy_ingest::{Item, responses};
use paperboy_search::{Filters, SearchIndex, Sort};

use super::{Target, bucket, fuzz, kind_of};
use crate::helpers::fixture;

fn read(relative: &str) -> Vec<u8> {
    std::fs::read(fixture(relative)).unwrap()
}

const XML_TOKENS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x110000;",
    "&bogus;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?xml version=\"1.0\"?>",
    "<!DOCTYPE x [<!ENTITY e \"&e;&e;\">]>",
    "&e;",
    "xmlns=\"\"",
    "xmlns:a=\"urn:x\"",
    "<entry>",
    "</entry>",
    "<item>",
    "</item>",
    "<record>",
    "</record>",
    "<id>",
    "</id>",
    "<title>",
    "</title>",
    "http://arxiv.org/abs/",
    "2503.11677v2",
    "hep-th/9901001",
    "<dc:identifier>",
    "<resumptionToken>",
    "<error code=\"badArgument\">",
    "<pubDate>",
    "Mon, 31 Feb 2026 00:00:00 -0500",
    "2026-13-45",
    "\u{202e}",
];

/// Every paper a parser hands over is named and identified properly.
fn check_paper(paper: &Paper) {
    assert_eq!(
        ArxivId::parse(paper.id.as_str()).as_ref(),
        Ok(&paper.id),
        "id not canonical"
    );
    assert!(
        !paper.title.trim().is_empty(),
        "{}: an empty title got through",
        paper.id
    );
}

/// Reads `input` as a file would be imported: the format detected, records streamed.
fn import_items(input: &[u8]) -> String {
    let opened = paperboy_ingest::from_reader("fuzz".into(), Box::new(std::io::Cursor::new(input.to_vec())));
    let input = match opened {
        Ok(input) => input,
        Err(error) => return format!("refused: {}", kind_of(&error.to_string())),
    };
    let format = input.format;
    let (mut papers, mut refused, mut fatal) = (0, 0, None);
    for item in paperboy_ingest::records(input) {
        assert!(fatal.is_none(), "{format:?}: a record came after the input broke");
        match item {
            Item::Paper(record) => {
                check_paper(&record.paper);
                papers += 1;
            }
            Item::Failed(error) => {
                assert!(!error.reason.is_empty(), "{format:?}: a refusal without a reason");
                refused += 1;
            }
            Item::Fatal(error) => fatal = Some(kind_of(&error.to_string())),
        }
    }
    format!("{format:?} {} {} {fatal:?}", bucket(papers), bucket(refused))
}

#[test]
fn fuzz_arxiv_ids() {
    let seeds = [
        "2503.11677",
        "2503.11677v2",
        "arXiv:2503.11677",
        "hep-th/9901001",
        "math.GT/0309136v1",
        "https://arxiv.org/abs/2503.11677v3",
        "https://export.arxiv.org/pdf/hep-th/9901001v1.pdf",
        "oai:arXiv.org:1601.03238",
        "0704.0001",
        "solv-int/9907001v2",
    ];
    let target = Target {
        name: "arxiv_ids",
        seeds: seeds.iter().map(|s| s.as_bytes().to_vec()).collect(),
        dictionary: &[
            "v",
            "v0",
            "v99999",
            "/",
            ".",
            "arXiv:",
            "https://arxiv.org/abs/",
            ".pdf",
            "?x#y",
            "９",
            "ı",
        ],
    };
    fuzz(target, |input| {
        let text = String::from_utf8_lossy(input);
        match VersionedArxivId::parse(&text) {
            Ok(parsed) => {
                // The canonical form is a fixed point and keeps its place in the issue order.
                let again = ArxivId::parse(parsed.id.as_str()).expect("a canonical id parses");
                assert_eq!(again, parsed.id);
                assert_eq!(again.issue_order(), parsed.id.issue_order());
                format!("ok {} {}", parsed.id.is_old_style(), parsed.version.is_some())
            }
            Err(error) => format!("{error:?}").split('(').next().unwrap_or("").to_owned(),
        }
    });
}

#[test]
fn fuzz_atom_from_the_arxiv_api() {
    let target = Target {
        name: "atom",
        seeds: vec![
            read("fixtures/recorded/arxiv-api/query-testing-page0.atom.xml"),
            read("fixtures/recorded/arxiv-api/query-transformer-cs.LG.atom.xml"),
            read("fixtures/recorded/arxiv-api/error-bad-id.atom.xml"),
            read("fixtures/constructed/query-transformer-cs.LG-old-namespaces.atom.xml"),
            read("fixtures/constructed/atom-cs.LG+cs.AI+cs.CL+stat.ML.xml"),
        ],
        dictionary: XML_TOKENS,
    };
    fuzz(target, |input| {
        let page = match responses::read_api_page("fuzz", input) {
            Ok(page) => {
                page.papers.iter().for_each(check_paper);
                format!(
                    "page {} {} {}",
                    bucket(page.papers.len()),
                    bucket(page.errors.len()),
                    bucket(page.refused.len())
                )
            }
            Err(error) => format!("page refused: {}", kind_of(&error.to_string())),
        };
        format!("{page} / {}", import_items(input))
    });
}

#[test]
fn fuzz_rss_announcements() {
    let target = Target {
        name: "rss",
        seeds: vec![read("fixtures/recorded/rss/rss-cs.LG+cs.AI+cs.CL+stat.ML.xml")],
        dictionary: XML_TOKENS,
    };
    fuzz(target, |input| {
        let feed = match responses::read_feed("fuzz", input) {
            Ok(feed) => {
                feed.items.iter().for_each(|item| check_paper(&item.paper));
                format!(
                    "feed {} {} {}",
                    feed.day.is_some(),
                    bucket(feed.items.len()),
                    bucket(feed.refused.len())
                )
            }
            Err(error) => format!("feed refused: {}", kind_of(&error.to_string())),
        };
        format!("{feed} / {}", import_items(input))
    });
}

#[test]
fn fuzz_oai_pmh() {
    let target = Target {
        name: "oai_pmh",
        seeds: vec![
            read("fixtures/recorded/oai-pmh/listrecords-oai_dc-cs-resumption.xml"),
            read("fixtures/recorded/oai-pmh/getrecord-arXiv-1601.03238.xml"),
            read("fixtures/constructed/listrecords-arXivRaw.xml"),
        ],
        dictionary: XML_TOKENS,
    };
    fuzz(target, |input| {
        let page = match responses::read_oai_page("fuzz", input) {
            Ok(page) => {
                page.records.iter().flat_map(|r| &r.paper).for_each(check_paper);
                format!(
                    "page {} {} {} {:?}",
                    bucket(page.records.len()),
                    bucket(page.refused.len()),
                    page.resumption_token.is_some(),
                    page.error.map(|e| e.code)
                )
            }
            Err(error) => format!("page refused: {}", kind_of(&error.to_string())),
        };
        format!("{page} / {}", import_items(input))
    });
}

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\u0000",
    "\\ud800",
    "\\\"",
    "null",
    "true",
    "-1",
    "1e999",
    "9223372036854775808",
    "\"id\":",
    "\"title\":",
    "\"authors\":",
    "\"categories\":",
    "\"paper\":",
    "\"upvotes\":",
    "\"publishedAt\":",
    "\"2026-02-30T00:00:00.000Z\"",
    "\n",
    "\r\n",
    "\u{feff}",
];

#[test]
fn fuzz_json_lines() {
    let mut kaggle = Vec::new();
    paperboy_ingest::open(&fixture("fixtures/recorded/kaggle-snapshot-first200.jsonl.gz"))
        .unwrap()
        .reader
        .take(40_000)
        .read_to_end(&mut kaggle)
        .unwrap();
    let listings = read("fixtures/recorded/listings-sample.jsonl");
    let target = Target {
        name: "json_lines",
        seeds: vec![listings[..listings.len().min(40_000)].to_vec(), kaggle],
        dictionary: JSON_TOKENS,
    };
    fuzz(target, import_items);
}

#[test]
fn fuzz_hugging_face_json() {
    let target = Target {
        name: "hugging_face_json",
        seeds: vec![read("fixtures/recorded/hf-api/daily_papers-2026-06-12.json")],
        dictionary: JSON_TOKENS,
    };
    fuzz(target, import_items);
}

#[test]
fn fuzz_the_search_language() {
    let index = SearchIndex::in_memory().unwrap();
    let papers: Vec<_> = [
        "graph neural networks",
        "attention is all you need",
        "Ünïcode ﬁ ligatures",
    ]
    .iter()
    .enumerate()
    .map(|(n, title)| paperboy_core::SearchDocument {
        id: format!("2501.0000{n}"),
        title: title.to_string(),
        abstract_text: format!("{title}, a study (with some-hyphenated words) and \"quotes\"."),
        authors: vec!["Ada Lovelace".into(), "Li Wang".into()],
        categories: vec!["cs.LG".into()],
        first_listed: Some(jiff::civil::date(2025, 1, 1 + n as i8)),
        votes: n as i64,
        hidden: false,
    })
    .collect();
    index.apply(&papers, &[], Some(1)).unwrap();
    let seeds = [
        "graph neural",
        "\"graph neural\" -attention",
        "ti:graph au:wang",
        "(graph OR attention) AND NOT x",
        "abs:\"some-hyphenated\" cat:cs.LG",
        "neur*",
        "a:b:c",
        "((((",
        "\"unclosed",
        "-",
        "ünï*",
    ];
    let target = Target {
        name: "search_language",
        seeds: seeds.iter().map(|s| s.as_bytes().to_vec()).collect(),
        dictionary: &[
            "\"", "(", ")", "-", "*", "AND", "OR", "NOT", "and", "ti:", "au:", "abs:", "cat:", "all:", " ", ":",
            "\u{0}",
        ],
    };
    fuzz(target, |input| {
        let text = String::from_utf8_lossy(input);
        match paperboy_search::parse(&text) {
            Ok(query) => {
                // Whatever parses can be searched, in every order, and highlighted.
                for sort in [Sort::Relevance, Sort::New, Sort::Votes] {
                    index
                        .search(&query, &Filters::default(), sort, 0, 10)
                        .unwrap_or_else(|e| panic!("{text:?} parsed but failed to search: {e}"));
                }
                index.allowed(&query, &Filters::default()).unwrap();
                let highlighter = index.highlighter(&query).unwrap();
                highlighter.title(&papers[0].title);
                format!("ok {}", query.restricts())
            }
            Err(error) => {
                assert!(
                    error.position <= text.chars().count(),
                    "{text:?}: the error points past the end ({error})"
                );
                format!("error {}", kind_of(&error.message))
            }
        }
    });
}
