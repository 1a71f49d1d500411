//! Every recorded and constructed fixture read end to end, with concrete field values checked,
//! and malformed versions of each format showing that the place is named and good records survive.

use std::io::Write;
use std::path::PathBuf;

use jiff::civil::date;
use paperboy_core::{CodeHost, Paper};
use paperboy_ingest::{Format, Item, Location, RecordError, from_reader, read_path, records};

fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(relative)
}

struct Read {
    papers: Vec<Paper>,
    failed: Vec<RecordError>,
    fatal: Option<String>,
}

fn split(items: Vec<Item>) -> Read {
    let mut read = Read {
        papers: Vec::new(),
        failed: Vec::new(),
        fatal: None,
    };
    for item in items {
        match item {
            Item::Paper(record) => read.papers.push(record.paper),
            Item::Failed(error) => read.failed.push(error),
            Item::Fatal(error) => {
                assert!(read.fatal.is_none(), "two fatal errors");
                read.fatal = Some(error.to_string());
            }
        }
    }
    read
}

fn read_fixture(relative: &str) -> Read {
    let read = split(read_path(&fixture(relative)).unwrap_or_else(|e| panic!("{relative}: {e}")));
    assert!(read.failed.is_empty(), "{relative}: {:?}", read.failed);
    assert!(read.fatal.is_none(), "{relative}: {:?}", read.fatal);
    read
}

fn read_bytes(name: &str, bytes: Vec<u8>) -> Result<Read, String> {
    let input = from_reader(name.to_owned(), Box::new(std::io::Cursor::new(bytes))).map_err(|e| e.to_string())?;
    Ok(split(records(input).collect()))
}

fn find<'a>(papers: &'a [Paper], id: &str) -> &'a Paper {
    papers
        .iter()
        .find(|p| p.id.as_str() == id)
        .unwrap_or_else(|| panic!("{id} not read"))
}

fn codes(paper: &Paper) -> Vec<&str> {
    paper.categories.iter().map(|c| c.as_str()).collect()
}

#[test]
fn arxiv_api_search() {
    let read = read_fixture("recorded/arxiv-api/query-testing-page0.atom.xml");
    assert_eq!(read.papers.len(), 10);
    let paper = find(&read.papers, "2202.12139");
    assert_eq!(paper.latest_version, Some(1));
    assert_eq!(
        paper.title,
        "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    );
    assert_eq!(paper.authors, ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]);
    assert_eq!(paper.primary_category.as_ref().unwrap().as_str(), "cs.SE");
    assert_eq!(codes(paper), ["cs.SE", "cs.LG"]);
    assert_eq!(paper.doi.as_deref(), Some("10.1109/ICSTW55395.2022.00035"));
    assert_eq!(
        paper.comment.as_deref(),
        Some("Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022")
    );
    assert!(
        paper
            .journal_ref
            .as_deref()
            .unwrap()
            .starts_with("Artificial Intelligence in Software Testing @ 2022 IEEE")
    );
    assert_eq!(paper.first_version_date, Some(date(2022, 2, 24)));
    assert!(paper.abstract_text.starts_with("Deep Learning (DL) has revolutionized"));
    assert!(
        paper.listing_dates.is_empty(),
        "an API answer says nothing about listings"
    );
}

#[test]
fn arxiv_api_pagination_pages_read_alike() {
    let page1 = read_fixture("recorded/arxiv-api/query-testing-page1.atom.xml");
    assert_eq!(page1.papers.len(), 10);
    assert_eq!(find(&page1.papers, "2403.16981").latest_version, Some(2));
}

#[test]
fn arxiv_api_today_and_older_namespace_forms_read_the_same() {
    let today = read_fixture("recorded/arxiv-api/query-transformer-cs.LG.atom.xml");
    let older = read_fixture("constructed/query-transformer-cs.LG-old-namespaces.atom.xml");
    assert_eq!(today.papers.len(), 5);
    assert_eq!(today.papers, older.papers);
    let mana = find(&today.papers, "2606.13677");
    assert_eq!(mana.title, "Mana: Dexterous Manipulation of Articulated Tools");
    assert_eq!(mana.primary_category.as_ref().unwrap().as_str(), "cs.RO");
    assert_eq!(codes(mana), ["cs.RO", "cs.AI", "cs.CV", "cs.LG"]);
    assert_eq!(
        mana.authors,
        ["Zhao-Heng Yin", "Guanya Shi", "Pieter Abbeel", "C. Karen Liu"]
    );
    assert_eq!(mana.code_links.len(), 1);
    assert_eq!(mana.code_links[0].host, CodeHost::ProjectPage);
    assert_eq!(mana.code_links[0].url, "https://zhaohengyin.github.io/mana");
    assert!(
        mana.abstract_text.contains("(<1 minute per tool)"),
        "entities are decoded"
    );
}

#[test]
fn arxiv_api_error_answer_is_a_clear_failure() {
    let read = split(read_path(&fixture("recorded/arxiv-api/error-bad-id.atom.xml")).unwrap());
    assert!(read.papers.is_empty());
    assert_eq!(read.failed.len(), 1);
    assert_eq!(
        read.failed[0].to_string(),
        "record 1: arXiv API error: incorrect id format for abc"
    );
}

#[test]
fn hugging_face_daily_papers_raw_response() {
    let read = read_fixture("recorded/hf-api/daily_papers-2026-06-12.json");
    assert_eq!(read.papers.len(), 30);
    let paper = find(&read.papers, "2606.00467");
    assert_eq!(
        paper.authors,
        ["Etienne Casanova", "Rafal Kocielnik", "R. Michael Alvarez"]
    );
    assert_eq!(paper.first_version_date, Some(date(2026, 5, 30)));
    let votes = &paper.community_votes[0];
    assert_eq!(
        (votes.source.as_str(), votes.votes, votes.featured_on),
        ("huggingface", 0, Some(date(2026, 6, 12)))
    );
    assert_eq!(votes.read_at, None, "the raw response does not say when it was read");
    let with_repo = read
        .papers
        .iter()
        .find(|p| {
            p.code_links
                .iter()
                .any(|l| l.url == "https://github.com/MiniMax-AI/MSA")
        })
        .unwrap();
    assert_eq!(with_repo.id.as_str(), "2606.13392");
    assert_eq!(with_repo.imported_votes(), 103);
}

#[test]
fn hugging_face_archive_with_capture_times() {
    let read = read_fixture("../demo/hf-daily-papers-2026-02.json.gz");
    assert_eq!(read.papers.len(), 384);
    assert!(read.papers.iter().all(|p| p.community_votes.len() == 1));
    let banana = find(&read.papers, "2601.23265");
    assert_eq!(
        banana.title,
        "PaperBanana: Automating Academic Illustration for AI Scientists"
    );
    assert_eq!(banana.authors[0], "Dawei Zhu");
    let votes = &banana.community_votes[0];
    assert_eq!(votes.featured_on, Some(date(2026, 2, 2)));
    assert_eq!(votes.read_at.unwrap().to_string(), "2026-02-19T05:35:33.531327Z");
}

#[test]
fn oai_pmh_get_record_in_arxiv_format() {
    let read = read_fixture("recorded/oai-pmh/getrecord-arXiv-1601.03238.xml");
    let [paper] = read.papers.as_slice() else {
        panic!("one record expected")
    };
    assert_eq!(paper.id.as_str(), "1601.03238");
    assert_eq!(
        paper.title,
        "Irreversible degradation of quantum coherence under relativistic motion"
    );
    assert_eq!(
        paper.authors,
        [
            "Planck Collaboration",
            "Jieci Wang",
            "Zehua Tian",
            "Jiliang Jing",
            "Heng Fan"
        ]
    );
    assert_eq!(codes(paper), ["quant-ph", "gr-qc", "hep-th", "chao-dyn", "nlin.CD"]);
    assert_eq!(paper.doi.as_deref(), Some("10.1103/PhysRevD.93.016005"));
    assert_eq!(paper.journal_ref.as_deref(), Some("Phys.Rev. D93 (2015) 016005"));
    assert_eq!(
        paper.license.as_deref(),
        Some("https://creativecommons.org/licenses/by/3.0/")
    );
    assert_eq!(paper.first_version_date, Some(date(2016, 1, 13)));
    assert_eq!(paper.comment.as_deref(), Some("6 pages, 4 figures, conference paper"));
}

#[test]
fn oai_pmh_list_records_in_dublin_core() {
    let read = read_fixture("recorded/oai-pmh/listrecords-oai_dc-cs-resumption.xml");
    assert_eq!(read.papers.len(), 5);
    let paper = find(&read.papers, "1303.2033");
    assert_eq!(paper.title, "Extended Fourier analysis of signals");
    assert_eq!(paper.authors, ["Vilnis Liepins"]);
    assert_eq!(codes(paper), ["cs.DS", "cs.IT", "math.NA"]);
    assert_eq!(paper.comment.as_deref(), Some("32 pages, 9 figures"));
    assert_eq!(paper.first_version_date, Some(date(2013, 3, 8)));
    assert_eq!(paper.latest_version_date, Some(date(2024, 1, 23)));
    assert!(paper.abstract_text.starts_with("This summary of the doctoral thesis"));
    assert_eq!(
        find(&read.papers, "2401.14040").comment.as_deref(),
        Some("Accepted to the Findings of EACL 2024")
    );
}

#[test]
fn oai_pmh_list_records_in_arxiv_raw() {
    let read = read_fixture("constructed/listrecords-arXivRaw.xml");
    assert_eq!(read.papers.len(), 2, "the deleted record is not a paper");
    let paper = find(&read.papers, "0704.0001");
    assert_eq!(paper.latest_version, Some(2));
    assert_eq!(paper.first_version_date, Some(date(2007, 4, 2)));
    assert_eq!(paper.latest_version_date, Some(date(2007, 7, 24)));
    assert_eq!(
        paper.authors,
        ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    );
    assert_eq!(
        paper.title,
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    );
    assert_eq!(paper.doi.as_deref(), Some("10.1103/PhysRevD.76.013009"));
    assert_eq!(
        find(&read.papers, "0704.0002").authors,
        ["Ileana Streinu", "Louis Theran"]
    );
}

#[test]
fn rss_announcements_list_new_and_cross_but_not_replace() {
    let read = read_fixture("recorded/rss/rss-cs.LG+cs.AI+cs.CL+stat.ML.xml");
    assert_eq!(read.papers.len(), 4);
    let new = find(&read.papers, "2609.26820");
    assert_eq!(new.latest_version, Some(1));
    assert_eq!(
        new.authors,
        ["Naser Mansour", "Sidahmed Benabderrahmane", "Ameer Rahwan"]
    );
    assert_eq!(codes(new), ["cs.LG", "cs.AI"]);
    assert_eq!(
        new.listing_dates.iter().copied().collect::<Vec<_>>(),
        [date(2026, 9, 24)]
    );
    assert!(
        new.abstract_text.starts_with("Physiological time series"),
        "{}",
        new.abstract_text
    );
    assert_eq!(
        new.license.as_deref(),
        Some("http://creativecommons.org/licenses/by-nc-nd/4.0/")
    );
    let cross = find(&read.papers, "2205.06398");
    assert_eq!((cross.latest_version, cross.listing_dates.len()), (Some(2), 1));
    let replaced = find(&read.papers, "2009.13987");
    assert_eq!(replaced.latest_version, Some(3));
    assert!(
        replaced.listing_dates.is_empty(),
        "a replacement is not a new announcement"
    );
}

#[test]
fn atom_announcements_read_like_rss() {
    let rss = read_fixture("recorded/rss/rss-cs.LG+cs.AI+cs.CL+stat.ML.xml");
    let atom = read_fixture("constructed/atom-cs.LG+cs.AI+cs.CL+stat.ML.xml");
    assert_eq!(atom.papers, rss.papers);
}

#[test]
fn kaggle_snapshot_keeps_every_field() {
    let read = read_fixture("recorded/kaggle-snapshot-first200.jsonl.gz");
    assert_eq!(read.papers.len(), 200);
    assert_eq!(read.papers[0].id.as_str(), "0704.0001");
    assert_eq!(read.papers[199].id.as_str(), "0704.0200");
    let paper = find(&read.papers, "0704.0002");
    assert_eq!(paper.authors, ["Ileana Streinu", "Louis Theran"]);
    assert_eq!(codes(paper), ["math.CO", "cs.CG"]);
    assert_eq!(paper.latest_version, Some(2));
    assert_eq!(paper.first_version_date, Some(date(2007, 3, 31)));
    assert_eq!(paper.latest_version_date, Some(date(2008, 12, 13)));
    assert_eq!(
        paper.license.as_deref(),
        Some("http://arxiv.org/licenses/nonexclusive-distrib/1.0/")
    );
    assert_eq!(paper.comment.as_deref(), Some("To appear in Graphs and Combinatorics"));
    let first = find(&read.papers, "0704.0001");
    assert_eq!(first.authors[0], "C. Balázs");
    assert_eq!(first.journal_ref.as_deref(), Some("Phys.Rev.D76:013009,2007"));
}

#[test]
fn listing_lines_become_weekday_listing_dates() {
    let read = read_fixture("recorded/listings-sample.jsonl");
    assert_eq!(read.papers.len(), 40);
    let paper = find(&read.papers, "2503.11677");
    assert_eq!(
        paper.title,
        "Simulation of prosthetic vision with PRIMA system and enhancement of face representation"
    );
    assert_eq!(paper.authors.len(), 5);
    assert_eq!(codes(paper), ["cs.HC", "cs.CV"]);
    assert_eq!(paper.first_listed(), Some(date(2025, 3, 18)));
    assert!(paper.abstract_text.starts_with("Objective. Patients implanted"));
    assert!(!paper.abstract_text.contains('\n'));
}

#[test]
fn weekend_listing_dates_mean_the_friday_before() {
    let line = br#"{"id": "2503.16001", "title": "T", "authors": [], "categories": ["cs.CL"], "abstract": "", "first_listed": "2025-03-21", "listed_on": ["2025-03-21", "2025-03-22", "2025-03-23"]}"#;
    let read = read_bytes("weekend.jsonl", line.to_vec()).unwrap();
    assert_eq!(
        read.papers[0].listing_dates.iter().copied().collect::<Vec<_>>(),
        [date(2025, 3, 21)]
    );
}

// ---- malformed input ----

fn listing_line(id: &str) -> String {
    format!(
        r#"{{"id": "{id}", "title": "Paper {id}", "authors": ["A"], "categories": ["cs.CL"], "abstract": "x", "first_listed": "2026-02-03", "listed_on": ["2026-02-03"]}}"#
    )
}

#[test]
fn json_lines_bad_records_are_named_and_the_rest_goes_in() {
    let mut bytes = Vec::new();
    writeln!(bytes, "{}", listing_line("2602.00001")).unwrap();
    writeln!(
        bytes,
        r#"{{"id": "2602.00002", "authors": ["A"], "categories": ["cs.CL"], "first_listed": "2026-02-03"}}"#
    )
    .unwrap();
    writeln!(bytes, "{{not json").unwrap();
    bytes.extend_from_slice(b"{\"id\": \"2602.00004\", \"title\": \"bad \xff byte\"}\n");
    writeln!(
        bytes,
        r#"{{"id": "banana", "title": "x", "first_listed": "2026-02-03"}}"#
    )
    .unwrap();
    writeln!(
        bytes,
        r#"{{"id": "2602.00006", "title": "x", "authors": "A. Author", "first_listed": "2026-02-03"}}"#
    )
    .unwrap();
    writeln!(
        bytes,
        r#"{{"id": "2602.00007", "title": "x", "first_listed": "2026-02-31"}}"#
    )
    .unwrap();
    writeln!(
        bytes,
        r#"{{"id": "2602.00008", "title": 5, "first_listed": "2026-02-03"}}"#
    )
    .unwrap();
    writeln!(bytes, "{}", listing_line("2602.00009")).unwrap();
    bytes.extend_from_slice(listing_line("2602.00010").as_bytes()[..40].as_ref());
    let read = read_bytes("broken.jsonl", bytes).unwrap();
    let ids: Vec<&str> = read.papers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["2602.00001", "2602.00009"]);
    let messages: Vec<String> = read.failed.iter().map(|f| f.to_string()).collect();
    assert_eq!(messages.len(), 8, "{messages:#?}");
    assert_eq!(messages[0], r#"line 2 (id 2602.00002): missing "title""#);
    assert!(messages[1].starts_with("line 3: broken JSON"), "{}", messages[1]);
    assert!(messages[2].starts_with("line 4: not valid UTF-8"), "{}", messages[2]);
    assert!(
        messages[3].starts_with("line 5 (id banana): \"banana\" is not an arXiv id"),
        "{}",
        messages[3]
    );
    assert!(
        messages[4].starts_with("line 6 (id 2602.00006): unexpected JSON: invalid type: string"),
        "{}",
        messages[4]
    );
    assert!(
        messages[5].starts_with("line 7 (id 2602.00007): listing date"),
        "{}",
        messages[5]
    );
    assert!(
        messages[6].starts_with("line 8 (id 2602.00008): unexpected JSON: invalid type"),
        "{}",
        messages[6]
    );
    assert_eq!(messages[7], "line 10: the file ends in the middle of this record");
}

#[test]
fn truncated_gzip_keeps_what_came_before_and_says_so() {
    let full = std::fs::read(fixture("recorded/kaggle-snapshot-first200.jsonl.gz")).unwrap();
    let cut = full[..full.len() / 2].to_vec();
    let read = read_bytes("cut.jsonl.gz", cut).unwrap();
    assert!(
        read.papers.len() > 50 && read.papers.len() < 200,
        "{}",
        read.papers.len()
    );
    let fatal = read.fatal.expect("a truncated gzip is reported");
    assert!(fatal.starts_with("cut.jsonl.gz: after line"), "{fatal}");
    assert!(fatal.contains("truncated"), "{fatal}");
}

#[test]
fn truncated_gzip_of_a_large_file_reports_the_line() {
    // Bigger than the detection head, so the break happens while streaming.
    let mut plain = Vec::new();
    for n in 1..=3000 {
        writeln!(plain, "{}", listing_line(&format!("2602.{n:05}"))).unwrap();
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&plain).unwrap();
    let gz = encoder.finish().unwrap();
    let read = read_bytes("big.jsonl.gz", gz[..gz.len() - 100].to_vec()).unwrap();
    assert!(read.papers.len() > 2500, "{}", read.papers.len());
    assert!(read.fatal.unwrap().contains("after line"));
}

#[test]
fn broken_xml_is_one_message_with_the_line_and_earlier_records_survive() {
    let text = std::fs::read_to_string(fixture("recorded/arxiv-api/query-transformer-cs.LG.atom.xml")).unwrap();
    let second_entry = text.match_indices("<entry>").nth(1).unwrap().0;
    let broken = format!(
        "{}<entry><id>http://arxiv.org/abs/2606.00001v1</id><title>x</tit",
        &text[..second_entry]
    );
    let read = read_bytes("broken.atom", broken.into_bytes()).unwrap();
    assert_eq!(
        read.papers.len(),
        1,
        "the complete first entry survives, the partial one does not"
    );
    let fatal = read.fatal.unwrap();
    assert!(fatal.starts_with("broken.atom: broken XML at line"), "{fatal}");
    assert!(fatal.contains("after 1 records"), "{fatal}");
}

#[test]
fn mismatched_tags_and_bad_entities_are_broken_xml() {
    for body in [
        "<feed><entry><id>2501.00001</id></feed>",
        "<feed><entry><title>&bogus;</title></entry></feed>",
    ] {
        let read = read_bytes("bad.xml", body.as_bytes().to_vec()).unwrap();
        assert!(read.papers.is_empty());
        assert!(read.fatal.unwrap().contains("broken XML"), "{body}");
    }
}

#[test]
fn xml_records_missing_fields_fail_alone() {
    let text = std::fs::read_to_string(fixture("recorded/oai-pmh/listrecords-oai_dc-cs-resumption.xml")).unwrap();
    let broken = text.replacen("<dc:title>Extended Fourier analysis of signals</dc:title>", "", 1);
    let read = read_bytes("oai.xml", broken.into_bytes()).unwrap();
    assert_eq!(read.papers.len(), 4);
    assert_eq!(read.failed[0].to_string(), "record 1 (id 1303.2033): missing \"title\"");
    assert_eq!(read.failed[0].location, Location::Record(1));
}

#[test]
fn hugging_face_bad_elements_fail_alone_and_truncation_keeps_the_rest() {
    let text = std::fs::read_to_string(fixture("recorded/hf-api/daily_papers-2026-06-12.json")).unwrap();
    let mut array: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    array[1]["paper"].as_object_mut().unwrap().remove("id");
    array[2]["paper"]["upvotes"] = serde_json::json!("many");
    array[3] = serde_json::json!({"no": "paper"});
    let read = read_bytes("hf.json", serde_json::to_vec_pretty(&array).unwrap()).unwrap();
    assert_eq!(read.papers.len(), 27);
    let messages: Vec<String> = read.failed.iter().map(|f| f.to_string()).collect();
    assert_eq!(messages[0], "record 2: missing \"id\"");
    assert!(
        messages[1].starts_with("record 3 (id 2606.") && messages[1].contains("invalid type"),
        "{}",
        messages[1]
    );
    assert_eq!(messages[2], "record 4: missing \"paper\"");

    let cut = &text.as_bytes()[..text.len() / 2];
    let read = read_bytes("hf-cut.json", cut.to_vec()).unwrap();
    assert!(
        read.papers.len() >= 10 && read.papers.len() < 30,
        "{}",
        read.papers.len()
    );
    assert!(read.fatal.unwrap().contains("broken JSON in record"));
}

#[test]
fn unknown_format_and_unreadable_files_are_one_clear_error() {
    let error = from_reader(
        "page.html".into(),
        Box::new(std::io::Cursor::new(b"<html><body>hi".to_vec())),
    )
    .err()
    .unwrap();
    assert!(error.to_string().starts_with("page.html: unknown format"), "{error}");
    let error = from_reader("empty".into(), Box::new(std::io::Cursor::new(Vec::new())))
        .err()
        .unwrap();
    assert!(error.to_string().contains("unknown format"), "{error}");
    let error = paperboy_ingest::open(std::path::Path::new("/nonexistent/file.jsonl"))
        .err()
        .unwrap();
    assert!(
        error.to_string().starts_with("/nonexistent/file.jsonl: cannot open"),
        "{error}"
    );
    let garbage: Vec<u8> = (0..5000u32).map(|n| (n * 7919 % 251) as u8).collect();
    assert!(from_reader("garbage".into(), Box::new(std::io::Cursor::new(garbage))).is_err());
}

#[test]
fn formats_are_detected_from_content_not_names() {
    let text = std::fs::read(fixture("recorded/rss/rss-cs.LG+cs.AI+cs.CL+stat.ML.xml")).unwrap();
    let input = from_reader("feed.json".into(), Box::new(std::io::Cursor::new(text))).unwrap();
    assert_eq!(input.format, Format::Rss);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const SAMPLES: &[&str] = &[
        "recorded/arxiv-api/query-transformer-cs.LG.atom.xml",
        "recorded/oai-pmh/getrecord-arXiv-1601.03238.xml",
        "recorded/rss/rss-cs.LG+cs.AI+cs.CL+stat.ML.xml",
        "recorded/listings-sample.jsonl",
        "recorded/hf-api/daily_papers-2026-06-12.json",
        "constructed/listrecords-arXivRaw.xml",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any damage to a real file (bytes overwritten, the end cut off) gives items or one
        /// error, never a panic, and never more papers than the intact file holds.
        #[test]
        fn damaged_files_never_panic(
            sample in 0..SAMPLES.len(),
            damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..20),
            keep in 0.0f64..=1.0,
        ) {
            let intact = std::fs::read(fixture(SAMPLES[sample])).unwrap();
            let mut bytes = intact.clone();
            for (index, byte) in &damage {
                let position = index.index(bytes.len());
                bytes[position] = *byte;
            }
            bytes.truncate((bytes.len() as f64 * keep) as usize);
            let intact_papers = read_bytes("intact", intact).unwrap().papers.len();
            if let Ok(read) = read_bytes("damaged", bytes) {
                prop_assert!(read.papers.len() <= intact_papers);
            }
        }
    }
}
