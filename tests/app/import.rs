//! `paperboy import` and `paperboy stats` on real files, as an operator runs them.

use paperboy_store::InstanceStore;
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use jiff::civil::date;

use crate::helpers::{Instance, fixture};

fn recorded(name: &str) -> PathBuf {
    fixture(&format!("fixtures/recorded/{name}"))
}

fn every_fixture() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for directory in ["fixtures/recorded", "fixtures/constructed"] {
        for entry in walk(&fixture(directory)) {
            let name = entry
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            // The embedding model's reference vectors are a fixture, but not of papers.
            let not_papers = entry.starts_with(fixture("fixtures/recorded/minilm"));
            if !name.contains("error-bad-id") && !not_papers {
                files.push(entry);
            }
        }
    }
    files.sort();
    files
}

fn walk(directory: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).expect("fixture dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn kaggle_sample_imports_200_papers_with_their_ids_intact() {
    let instance = Instance::new();
    let run = instance.import(&[recorded("kaggle-snapshot-first200.jsonl.gz")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("imported 200 new, 0 updated, 0 failed"),
        "{}",
        run.stdout
    );
    assert_eq!(instance.stats()["papers"], 200);
    let papers = instance.all_papers().await;
    assert_eq!(papers.first().unwrap().id.as_str(), "0704.0001");
    assert_eq!(papers.last().unwrap().id.as_str(), "0704.0200");
    let paper = instance.paper("0704.0002").await.unwrap();
    assert_eq!(paper.authors, ["Ileana Streinu", "Louis Theran"]);
    assert_eq!(
        (paper.latest_version, paper.first_version_date),
        (Some(2), Some(date(2007, 3, 31)))
    );
}

#[tokio::test]
async fn hugging_face_file_sets_votes_on_384_papers_and_reimport_replaces_them() {
    let instance = Instance::new();
    let listings = fixture("demo/listings-2026-02.jsonl.gz");
    let hf = fixture("demo/hf-daily-papers-2026-02.json.gz");
    let run = instance.import(&[listings.clone(), hf.clone()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stats = instance.stats();
    assert_eq!(stats["papers"], 3994, "every HF paper is also a listed paper");
    assert_eq!(stats["papers_with_votes"], 384);
    let banana = instance.paper("2601.23265").await.unwrap();
    let votes_before = banana.imported_votes();
    assert!(votes_before > 0);
    assert!(
        !banana.listing_dates.is_empty(),
        "listing data and HF data meet in one paper"
    );

    let again = instance.import(&[hf]);
    assert!(
        again
            .stdout
            .starts_with("imported 0 new, 0 updated, 0 failed (384 unchanged)"),
        "{}",
        again.stdout
    );
    assert_eq!(
        instance.paper("2601.23265").await.unwrap().imported_votes(),
        votes_before,
        "votes never add up"
    );
}

#[tokio::test]
async fn every_fixture_imports_and_importing_twice_changes_nothing() {
    let instance = Instance::new();
    let files = every_fixture();
    let first = instance.import(&files);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let stats = instance.stats();
    let papers = instance.all_papers().await;
    assert!(papers.len() > 300, "{}", papers.len());

    let second = instance.import(&files);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stdout.starts_with("imported 0 new, 0 updated, 0 failed"),
        "{}",
        second.stdout
    );
    assert_eq!(instance.stats(), stats);
    assert_eq!(
        instance.all_papers().await,
        papers,
        "the same files twice give the same database"
    );
}

#[tokio::test]
async fn a_newer_version_updates_the_paper_and_an_older_one_does_not() {
    let instance = Instance::new();
    let dir = tempfile::tempdir().unwrap();
    let line = |version: u32, title: &str| {
        format!(
            r#"{{"id":"0704.0002","submitter":"x","title":"{title}","categories":"math.CO","versions":[{{"version":"v{version}","created":"Sat, 31 Mar 2007 02:26:18 GMT"}}],"authors_parsed":[["Theran","Louis",""]]}}"#
        )
    };
    let v1 = dir.path().join("v1.jsonl");
    let v3 = dir.path().join("v3.jsonl");
    std::fs::write(&v1, line(1, "Old title")).unwrap();
    std::fs::write(&v3, line(3, "New title")).unwrap();
    instance.import(&[&v1]);
    let run = instance.import(&[v3]);
    assert!(run.stdout.starts_with("imported 0 new, 1 updated"), "{}", run.stdout);
    let run = instance.import(&[v1]);
    assert!(
        run.stdout
            .starts_with("imported 0 new, 0 updated, 0 failed (1 unchanged)"),
        "{}",
        run.stdout
    );
    let paper = instance.paper("0704.0002").await.unwrap();
    assert_eq!((paper.title.as_str(), paper.latest_version), ("New title", Some(3)));
}

#[tokio::test]
async fn stdin_is_read_with_a_dash() {
    let instance = Instance::new();
    let mut child = instance
        .command()
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(recorded("rss/rss-cs.LG+cs.AI+cs.CL+stat.ML.xml")).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("imported 4 new"));
    assert_eq!(instance.stats()["first_listing_date"], "2026-09-24");
}

#[tokio::test]
async fn bad_records_are_reported_by_place_and_good_ones_stay() {
    let instance = Instance::new();
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(recorded("listings-sample.jsonl")).unwrap();
    let mut lines: Vec<&str> = good.lines().take(5).collect();
    lines.insert(2, r#"{"id": "2503.99999", "authors": []}"#);
    lines.insert(4, "{ this is not json");
    let file = dir.path().join("mixed.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let run = instance.import(&[&file]);
    assert_eq!(run.code, 1, "some failed: exit 1");
    assert!(
        run.stdout.starts_with("imported 5 new, 0 updated, 2 failed"),
        "{}",
        run.stdout
    );
    let name = file.display().to_string();
    assert!(
        run.stderr
            .contains(&format!("{name}: line 3 (id 2503.99999): missing \"title\"")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("{name}: line 5: broken JSON")),
        "{}",
        run.stderr
    );
    assert_eq!(instance.stats()["papers"], 5);
}

#[tokio::test]
async fn unreadable_inputs_exit_2_with_one_message_each() {
    let instance = Instance::new();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("page.html");
    std::fs::write(&html, "<html><body>not papers</body></html>").unwrap();
    let missing = dir.path().join("missing.jsonl");
    let run = instance.import(&[html.clone(), missing.clone()]);
    assert_eq!(run.code, 2, "nothing could be read: exit 2");
    assert!(
        run.stderr.contains(&format!("{}: unknown format", html.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("{}: cannot open", missing.display())),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(instance.stats()["papers"], 0);
}

#[tokio::test]
async fn truncated_gzip_keeps_the_records_before_the_cut() {
    let instance = Instance::new();
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(recorded("kaggle-snapshot-first200.jsonl.gz")).unwrap();
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &full[..full.len() * 2 / 3]).unwrap();
    let run = instance.import(&[&cut]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{}: after line", cut.display())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("truncated"), "{}", run.stderr);
    let papers = instance.stats()["papers"].as_u64().unwrap();
    assert!(papers > 100 && papers < 200, "{papers}");
    // The intact file completes the import.
    let run = instance.import(&[recorded("kaggle-snapshot-first200.jsonl.gz")]);
    assert_eq!(run.code, 0);
    assert_eq!(instance.stats()["papers"], 200);
}

/// A large listing file made from the demo sample with fresh ids, big enough to kill mid-way.
fn synthetic_listing(path: &std::path::Path, papers: usize) {
    let sample = flate2::read::GzDecoder::new(std::fs::File::open(fixture("demo/listings-2026-02.jsonl.gz")).unwrap());
    let lines: Vec<String> = std::io::BufRead::lines(std::io::BufReader::new(sample))
        .map_while(Result::ok)
        .collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for n in 0..papers {
        let mut record: serde_json::Value = serde_json::from_str(&lines[n % lines.len()]).unwrap();
        record["id"] = serde_json::json!(format!("2607.{:05}", n));
        writeln!(out, "{record}").unwrap();
    }
}

#[tokio::test]
async fn kill_9_mid_import_leaves_a_consistent_database_that_a_rerun_completes() {
    let instance = Instance::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.jsonl");
    let total = 60_000;
    synthetic_listing(&file, total);
    let mut child = instance
        .command()
        .env("PAPERBOY_IMPORT_BATCH_SIZE", "500")
        .arg("import")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill at a random moment while batches are being written: once the write-ahead log has
    // grown past somewhere between 1 and 24 MB (60,000 papers write over 100 MB into it; an
    // import checkpoints it every 50,000 pages, 200 MB).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let kill_at = 1_000_000 + u64::from(nanos) % 23_000_000;
    eprintln!("killing the import once its write-ahead log passes {kill_at} bytes");
    let database = instance.data_dir.path().join("paperboy.db-wal");
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::fs::metadata(&database).map(|m| m.len()).unwrap_or(0) < kill_at {
        assert!(Instant::now() < deadline, "import never started writing");
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let after_kill = instance.stats()["papers"].as_u64().unwrap();
    assert!(
        after_kill < total as u64,
        "the kill landed mid-import ({after_kill} papers)"
    );
    assert_eq!(after_kill % 500, 0, "only whole batches are committed ({after_kill})");
    let store = instance.store().await;
    assert_eq!(store.integrity_problems().await.unwrap(), Vec::<String>::new());
    store.close().await;

    let run = instance.import(&[file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = format!(
        "imported {} new, 0 updated, 0 failed ({after_kill} unchanged)",
        total as u64 - after_kill
    );
    assert!(run.stdout.starts_with(&expected), "{} vs {expected}", run.stdout);
    assert_eq!(instance.stats()["papers"], total);
}

#[test]
fn an_import_leaves_its_papers_in_the_database_file_not_in_the_log() {
    let instance = Instance::new();
    let run = instance.import(&[recorded("listings-sample.jsonl")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log = instance.data_dir.path().join("paperboy.db-wal");
    assert!(
        std::fs::metadata(&log).map_or(true, |log| log.len() == 0),
        "the import checkpointed its write-ahead log on the way out"
    );
    assert_eq!(instance.stats()["papers"], 40);
}

#[test]
fn stats_show_the_sample_by_category_and_dates() {
    let instance = Instance::new();
    instance.import(&[recorded("listings-sample.jsonl")]);
    let stats = instance.stats();
    assert_eq!(stats["papers"], 40);
    assert_eq!(stats["first_listing_date"], "2025-03-18");
    let by_category = stats["by_primary_category"].as_array().unwrap();
    let total: u64 = by_category.iter().map(|entry| entry["papers"].as_u64().unwrap()).sum();
    assert_eq!(total, 40);
    let table = instance.run(&["stats"]);
    assert!(table.stdout.contains("papers            40"), "{}", table.stdout);
    assert!(
        table.stdout.contains("Computer Vision and Pattern Recognition"),
        "{}",
        table.stdout
    );
}

/// arXiv owns the bibliographic fields and Hugging Face its own, so the sources imported in any
/// order give the same papers (issue 23: HF's file used to cut "Kimi K2.5" to 22 authors).
#[tokio::test]
async fn sources_imported_in_every_order_give_the_same_papers() {
    let listings = fixture("demo/listings-2026-02.jsonl.gz");
    let february = fixture("demo/hf-daily-papers-2026-02.json.gz");
    let june = recorded("hf-api/daily_papers-2026-06-12.json");
    let orders = [
        [&listings, &february, &june],
        [&listings, &june, &february],
        [&february, &listings, &june],
        [&february, &june, &listings],
        [&june, &listings, &february],
        [&june, &february, &listings],
    ];
    let mut first: Option<Vec<paperboy_core::Paper>> = None;
    for order in orders {
        let instance = Instance::new();
        for file in order {
            let run = instance.import(&[file]);
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
        let kimi = instance.paper("2602.02276").await.unwrap();
        assert_eq!(kimi.authors.len(), 326, "arXiv's author list, whatever the order");
        let tex = instance.paper("2602.23361").await.unwrap();
        assert_eq!(tex.title, "VGG-T$^3$: Offline Feed-Forward 3D Reconstruction at Scale");
        let hf = tex.hugging_face.as_ref().expect("HF's fields are kept");
        assert!(hf.ai_summary.is_some());
        let papers = instance.all_papers().await;
        match &first {
            None => first = Some(papers),
            Some(first) => assert!(
                *first == papers,
                "order {order:?} gave other papers: first difference {:?}",
                first.iter().zip(&papers).find(|(a, b)| a != b)
            ),
        }
    }
}
