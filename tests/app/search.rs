//! Search as a person and a client meet it: the page, the feed, the API, and an index that keeps
//! up with the database through imports, restarts, deletion and kill -9.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::helpers::{Instance, Server, fixture};

/// Polls `/healthz` until the index holds every paper the database does, and returns that count.
pub(crate) async fn wait_until_indexed(server: &Server, papers: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = server.json("/healthz").await;
        if health["search"]["indexed"] == papers && health["search"]["behind"] == 0 {
            return health;
        }
        assert!(Instant::now() < deadline, "the index did not catch up: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ids(items: &serde_json::Value) -> Vec<String> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item["paper"]["id"].as_str().expect("an id").to_string())
        .collect()
}

pub(crate) const DEMO_PAPERS: u64 = 3994;
const QUERIES: [&str; 5] = [
    "PaperBanana",
    "au:korner",
    "\"academic illustration\"",
    "diffusion cat:cs.CV -video",
    "language models",
];

async fn answers(server: &Server) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for query in QUERIES {
        let path = format!("/api/papers/search?limit=50&q={}", urlencode(query));
        all.push(ids(&server.json(&path).await));
    }
    all
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_search_page_ranks_highlights_filters_and_explains_bad_queries() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, DEMO_PAPERS).await;

    let page = server.text("/search?q=PaperBanana").await;
    let first = page.find("2601.23265").expect("PaperBanana is found");
    assert!(page[..first].matches("class=\"card\"").count() <= 1, "and comes first");
    assert!(page.contains("<mark>PaperBanana</mark>"), "the match is marked");
    assert!(
        page.contains("href=\"/feeds/search.atom?q=PaperBanana\""),
        "a feed of the search is offered"
    );
    assert!(
        page.contains("keywords only"),
        "without the model the page says search is keyword-only"
    );
    // Excluding a word that analysis splits in two (a phrase), sorted by a fast field: the fuzzer
    // found tantivy's debug assertion here (see Cargo.toml); a person gets results.
    for sort in ["votes", "new", "relevance"] {
        let response = server
            .get(&format!("/search?q=attention+-vi%7Bion&mode=keyword&sort={sort}"))
            .await;
        assert_eq!(response.status(), 200, "sort={sort}");
    }

    // Accents and initials: Felicia Körner wrote 2601.22851.
    for query in ["au:korner", "au:%22F.+K%C3%B6rner%22", "au:%22Felicia+Korner%22"] {
        let page = server.text(&format!("/search?q={query}")).await;
        assert!(page.contains("2601.22851"), "{query}");
    }

    // Filters and sorts travel in the URL, and the form shows them again.
    let filtered = server
        .json("/api/papers/search?q=diffusion&cat=cs.CL&from=2026-02-10&until=2026-02-12&sort=new&limit=100")
        .await;
    let found = filtered.as_array().unwrap();
    assert!(!found.is_empty());
    let mut previous = "9999".to_string();
    for item in found {
        let listed = item["paper"]["submittedOnDailyAt"].as_str().unwrap().to_string();
        assert!(
            listed.as_str() >= "2026-02-10" && listed.as_str() < "2026-02-13",
            "{listed}"
        );
        assert!(listed <= previous, "newest first");
        previous = listed;
    }
    let form = server.text("/search?q=diffusion&cat=cs.CL&sort=votes").await;
    assert!(form.contains("value=\"cs.CL\"") && form.contains("value=\"votes\" selected"));

    // A query that cannot be read gets the search page with the reason, not an error page.
    let response = server.get("/search?q=%22diffusion+models").await;
    assert_eq!(response.status(), 400);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("a quoted phrase is not closed (at character 1)"),
        "{body}"
    );
    assert!(body.contains("name=\"q\""), "the form is there to fix it");
    let response = server.get("/api/papers/search?q=a+OR").await;
    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("ends where a word was expected"),
        "{error}"
    );
    assert_eq!(server.get("/api/papers/search?q=x&mode=magic").await.status(), 400);
    assert_eq!(server.get("/search?q=x&from=yesterday").await.status(), 400);

    // Output is escaped.
    let hostile = server.text("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert!(!hostile.contains("<script>alert(1)"));
    server.terminate();
}

#[tokio::test]
async fn the_api_says_how_it_ranked_and_asking_for_meaning_without_a_model_falls_back() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, DEMO_PAPERS).await;
    let response = server
        .get("/api/papers/search?q=PaperBanana&mode=semantic&limit=3")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-search-mode"], "keyword");
    assert!(
        response.headers()["x-search-notice"]
            .to_str()
            .unwrap()
            .contains("keyword results")
    );
    let items: serde_json::Value = response.json().await.unwrap();
    assert_eq!(ids(&items)[0], "2601.23265");
    assert!(ids(&items).len() <= 3);

    let page = server.text("/papers/2601.23265").await;
    let similar = page.split("id=\"similar\"").nth(1).expect("a similar-papers section");
    assert!(
        similar.matches("href=\"/papers/").count() >= 3,
        "papers sharing its words are offered"
    );
    assert!(
        !similar.contains("href=\"/papers/2601.23265\""),
        "never the paper itself"
    );
    server.terminate();
}

#[tokio::test]
async fn a_search_feed_is_a_saved_search_that_grows_with_new_papers() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, DEMO_PAPERS).await;
    // Gaussian splatting in the title and street anywhere: none of the demo's 35 splatting papers.
    let url = "/feeds/search.atom?q=ti%3A%22gaussian+splatting%22+street";
    let response = server.get(url).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = feed_rs::parser::parse(response.bytes().await.unwrap().as_ref()).expect("valid Atom");
    assert!(feed.entries.is_empty());
    assert!(feed.title.unwrap().content.contains("ti:\"gaussian splatting\" street"));

    // 2503.12001 ("3D Gaussian Splatting against Moving Objects…") arrives with an import.
    assert_eq!(
        instance
            .import(&[fixture("fixtures/recorded/listings-sample.jsonl")])
            .code,
        0
    );
    wait_until_indexed(&server, DEMO_PAPERS + 40).await;
    let feed = feed_rs::parser::parse(server.get(url).await.bytes().await.unwrap().as_ref()).unwrap();
    let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(ids[0].ends_with("/papers/2503.12001"), "{ids:?}");
    server.terminate();
}

#[tokio::test]
async fn a_paper_imported_while_the_server_runs_is_found_within_seconds() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, DEMO_PAPERS).await;
    let query = "/api/papers/search?q=ti:CORDIC";
    assert!(ids(&server.json(query).await).is_empty());

    let imported = Instant::now();
    assert_eq!(
        instance
            .import(&[fixture("fixtures/recorded/listings-sample.jsonl")])
            .code,
        0
    );
    loop {
        if ids(&server.json(query).await) == ["2503.11685"] {
            break;
        }
        assert!(
            imported.elapsed() < Duration::from_secs(5),
            "not findable 5 s after its import"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "findable {} ms after the import finished",
        imported.elapsed().as_millis()
    );
    server.terminate();
}

#[tokio::test]
async fn deleting_the_index_loses_nothing_reindex_and_restarts_rebuild_the_same_results() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, DEMO_PAPERS).await;
    let before = answers(&server).await;
    assert!(before.iter().all(|found| !found.is_empty()), "{before:?}");
    assert_eq!(server.terminate(), 0);

    let index_dir = instance.data_dir.path().join("search-index");
    std::fs::remove_dir_all(&index_dir).expect("the server made an index");
    let run = instance.run(&["reindex"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("indexed {DEMO_PAPERS} papers")),
        "{}",
        run.stdout
    );
    let server = instance.spawn_server("serve");
    assert_eq!(
        answers(&server).await,
        before,
        "paperboy reindex restores the same results"
    );
    assert_eq!(server.terminate(), 0);

    // Without reindex, a server finds no index and builds one before it answers.
    std::fs::remove_dir_all(&index_dir).unwrap();
    let server = instance.spawn_server("serve");
    assert_eq!(
        answers(&server).await,
        before,
        "a server rebuilds a missing index by itself"
    );

    // And reindex refuses, clearly, to fight a running server for the index.
    let run = instance.run(&["reindex"]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("in use by another paperboy process"),
        "{}",
        run.stderr
    );
    server.terminate();
}

#[tokio::test]
async fn kill_9_while_indexing_loses_nothing() {
    let instance = Instance::with_demo_data();
    // Kill the server at different moments of its first full build and of following a big
    // import; each restart must end with every paper indexed, once.
    for delay_ms in [150, 400, 900] {
        let mut child = instance
            .command()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("server starts");
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
    }
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, DEMO_PAPERS).await;
    let importer = {
        let mut command = instance.command();
        command
            .arg("import")
            .arg(fixture("fixtures/recorded/listings-sample.jsonl"))
            .arg(fixture("fixtures/recorded/kaggle-snapshot-first200.jsonl.gz"));
        command.output().expect("import runs")
    };
    assert!(importer.status.success());
    // Killed while the new papers are being followed (or just after: either must hold).
    let pid = server.child.id();
    // SAFETY: kill(2) on our own child's pid has no memory effects.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    drop(server);

    let papers = instance.stats()["papers"].as_u64().unwrap();
    assert!(papers > DEMO_PAPERS + 200, "the import added papers: {papers}");
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, papers).await;
    // Nothing twice: a query for one new paper finds one document.
    assert_eq!(
        ids(&server.json("/api/papers/search?q=ti:CORDIC").await),
        ["2503.11685"]
    );
    server.terminate();
}

/// A small instance (the 40 papers of the listings sample) with a tiny model written where the
/// real one would be: the server's whole semantic path, in seconds.
pub(crate) fn instance_with_tiny_model() -> Instance {
    let instance = Instance::new();
    assert_eq!(
        instance
            .import(&[fixture("fixtures/recorded/listings-sample.jsonl")])
            .code,
        0
    );
    let words = [
        "gaussian",
        "splatting",
        "diffusion",
        "vision",
        "language",
        "robot",
        "video",
        "3d",
        "image",
    ];
    let model_dir = instance.data_dir.path().join("models").join("all-MiniLM-L6-v2");
    paperboy_embed::Embedder::write_tiny(&model_dir, &words, 5).expect("tiny model");
    instance
}

pub(crate) async fn wait_until_embedded(server: &Server, papers: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let health = server.json("/healthz").await;
        assert_eq!(health["search"]["semantic"], true, "{health}");
        if health["search"]["embedded"] == papers {
            return;
        }
        assert!(Instant::now() < deadline, "embeddings did not catch up: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn with_a_model_the_server_embeds_new_papers_and_ranks_by_keywords_and_meaning() {
    let instance = instance_with_tiny_model();
    let server = instance.spawn_server("serve");
    wait_until_embedded(&server, 40).await;

    let response = server.get("/api/papers/search?q=gaussian+splatting&limit=5").await;
    assert_eq!(
        response.headers()["x-search-mode"],
        "hybrid",
        "hybrid is the default with a model"
    );
    let items: serde_json::Value = response.json().await.unwrap();
    assert_eq!(ids(&items).len(), 5);
    assert!(
        ids(&items)[..3].contains(&"2503.12001".to_string()),
        "keywords still count: {items}"
    );

    // Ranking by meaning ranks among what a prefix allows.
    let robots = server
        .json("/api/papers/search?q=robot+cat:cs.RO&mode=semantic&limit=50")
        .await;
    assert!(!ids(&robots).is_empty());
    for item in robots.as_array().unwrap() {
        let categories = item["paper"]["categories"].to_string();
        assert!(categories.contains("cs.RO"), "{categories}");
    }
    let page = server.text("/search?q=gaussian+splatting").await;
    assert!(
        !page.contains("keywords only"),
        "with a model the page offers ranking by meaning"
    );
    assert!(page.contains("ranked by keywords and meaning"));

    // kill -9 in the middle of embedding new papers, then `paperboy embed` and a restart.
    assert_eq!(
        instance
            .import(&[fixture("fixtures/recorded/kaggle-snapshot-first200.jsonl.gz")])
            .code,
        0
    );
    // At a random moment of following the import: before, during or after its embedding.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let delay = Duration::from_millis(u64::from(nanos % 1_000));
    eprintln!("killing the server {delay:?} after the import");
    tokio::time::sleep(delay).await;
    // SAFETY: kill(2) on our own child's pid has no memory effects.
    unsafe { libc::kill(server.child.id() as libc::pid_t, libc::SIGKILL) };
    drop(server);
    let papers = instance.stats()["papers"].as_u64().unwrap();
    let run = instance.run(&["embed"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&format!("{papers} of {papers} papers have an embedding")),
        "{}",
        run.stdout
    );
    let again = instance.run(&["embed"]);
    assert!(
        again.stdout.contains("embedded 0 papers"),
        "nothing is embedded twice: {}",
        again.stdout
    );
    let server = instance.spawn_server("serve");
    wait_until_embedded(&server, papers).await;
    server.terminate();
}

/// Among millions of papers a common word matches most of them, and counting them all costs more
/// than finding the best: counting stops at 10,000, and the page and the API say "more than".
#[tokio::test]
async fn counting_stops_at_ten_thousand_and_says_there_are_more() {
    let instance = Instance::new();
    let corpus = instance.generated_corpus(10_500);
    assert_eq!(instance.import(&[&corpus]).code, 0);
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, 10_500).await;

    // Nearly every abstract of the sample says one of these.
    let common = "we propose model method results";
    let response = server.get(&format!("/api/papers/search?q={common}&limit=5")).await;
    assert_eq!(response.headers()["x-total-count"], "10000");
    assert_eq!(response.headers()["x-total-count-exact"], "false");
    let page = server.text(&format!("/search?q={common}")).await;
    assert!(page.contains("More than 10,000 papers, ranked by keyword relevance"));
    assert!(page.contains("Next →"));
    // In date order every match is visited anyway, and counted.
    let response = server
        .get(&format!("/api/papers/search?q={common}&limit=5&sort=new"))
        .await;
    assert_eq!(response.headers()["x-total-count-exact"], "true");
    let all: usize = response.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
    assert!((10_001..=10_500).contains(&all), "{all}");
    let page = server.text(&format!("/search?q={common}&sort=new")).await;
    assert!(
        page.contains(&format!("{},{:03} papers, newest first", all / 1000, all % 1000)),
        "{all}"
    );
    // One title of forty: a count well under the limit is exact.
    let response = server.get("/api/papers/search?q=ti:CORDIC&limit=5").await;
    assert_eq!(response.headers()["x-total-count-exact"], "true");
    let count: usize = response.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
    assert!(
        (200..=300).contains(&count),
        "{count} of 10,500 papers take the title of one of 40"
    );
    let page = server.text("/search?q=ti:CORDIC").await;
    assert!(page.contains(&format!("{count} papers, ranked")), "{count}");
    server.terminate();
}

/// With a model and the day embedded, For you (which then blends embeddings into its content
/// scores) still answers the day without the saved paper and says which saved paper each is
/// like. That the blend moves the order is the unit test's to show (for_you::rank).
#[tokio::test]
async fn for_you_answers_with_a_model_and_the_day_embedded() {
    let member = crate::helpers::SignedIn::start(instance_with_tiny_model(), "ada@example.org", &[]).await;
    wait_until_embedded(&member.server, 40).await;
    let saved = member
        .server
        .client()
        .put(format!("{}/api/me/library/2503.12001", member.server.base_url))
        .header("cookie", &member.cookie)
        .header("origin", &member.server.base_url)
        .send()
        .await
        .expect("saved");
    assert_eq!(saved.status(), 200);
    let items: serde_json::Value = member
        .server
        .client()
        .get(format!("{}/api/me/for-you?date=2025-03-18", member.server.base_url))
        .header("cookie", &member.cookie)
        .header("origin", &member.server.base_url)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(ids(&items).len(), 39, "the day but the saved paper: {items}");
    assert!(!ids(&items).contains(&"2503.12001".to_string()));
    assert_eq!(items[0]["reasonKind"], "saved", "{}", items[0]);
}

/// The SHA-256 `paperboy model distill` prints for the vectors it wrote.
pub(crate) fn distilled_hash(instance: &Instance) -> String {
    let run = instance.run(&["model", "distill", "--dimensions", "8"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.stdout
        .split("sha256 ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no hash in {}", run.stdout))
        .to_owned()
}

#[test]
fn a_static_model_learns_from_a_file_of_papers_and_a_bad_line_is_named() {
    let instance = instance_with_tiny_model();
    let papers = instance.data_dir.path().join("papers.jsonl");
    let distill_from_papers = || {
        instance.run(&[
            "model",
            "distill",
            "--dimensions",
            "8",
            "--learn-from",
            papers.to_str().unwrap(),
        ])
    };
    let line = |i: usize| format!(r#"{{"title": "Gaussian splatting {i}", "abstract": "A robot sees video {i}."}}"#);
    let good: Vec<String> = (0..40).map(line).collect();
    std::fs::write(&papers, good.join("\n")).unwrap();
    let run = distill_from_papers();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("learned from 40 abstracts"), "{}", run.stdout);
    let learned = distilled_hash(&instance); // from the demo sample, the default
    let plain = instance.run(&["model", "distill", "--dimensions", "8", "--no-learn"]);
    assert!(!plain.stdout.contains("learned"), "{}", plain.stdout);
    assert!(!plain.stdout.contains(&learned), "learning changed the vectors");

    let vectors = instance
        .data_dir
        .path()
        .join("models/all-MiniLM-L6-v2")
        .join(paperboy_embed::STATIC_VECTORS);
    let before = std::fs::read(&vectors).unwrap();
    let mut bad = good.clone();
    bad[2] = r#"{"title": "no abstract"}"#.to_owned();
    std::fs::write(&papers, bad.join("\n")).unwrap();
    let run = distill_from_papers();
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("papers.jsonl, line 3: not a paper with a title and an abstract"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(&vectors).unwrap(),
        before,
        "the model already there is kept"
    );
}

#[tokio::test]
async fn a_static_model_distilled_twice_is_the_same_and_serves_hybrid_search() {
    let instance = instance_with_tiny_model();
    let first = distilled_hash(&instance);
    assert_eq!(first.len(), 64);
    // Without the transformer's vectors of the abstracts kept from the first run.
    let model_dir = instance.data_dir.path().join("models").join("all-MiniLM-L6-v2");
    let mut kept = 0;
    for entry in std::fs::read_dir(&model_dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("static-teacher-")
        {
            std::fs::remove_file(path).unwrap();
            kept += 1;
        }
    }
    assert_eq!(kept, 1, "the first run kept the transformer's vectors of the abstracts");
    assert_eq!(distilled_hash(&instance), first, "the same files give the same model");

    let server = instance.spawn_server_with("serve", &[("PAPERBOY_EMBEDDING_MODEL", "static")]);
    wait_until_embedded(&server, 40).await;
    let model = server.json("/healthz").await["search"]["model"].clone();
    assert!(
        model
            .as_str()
            .is_some_and(|name| name.starts_with("all-MiniLM-L6-v2-static8-") && name.len() == 33),
        "the distilled model, not the transformer beside it, named with a fingerprint: {model}"
    );
    let response = server.get("/api/papers/search?q=gaussian+splatting&limit=5").await;
    assert_eq!(response.headers()["x-search-mode"], "hybrid");
    let items: serde_json::Value = response.json().await.unwrap();
    // A random tiny model's vectors are noise; keywords carry the answer (weight 0.75 here).
    assert!(
        ids(&items).contains(&"2503.12001".to_string()),
        "keywords still count: {items}"
    );
    let semantic = server
        .json("/api/papers/search?q=gaussian+splatting&mode=semantic&limit=5")
        .await;
    assert_eq!(
        ids(&semantic).len(),
        5,
        "ranked by the static model's vectors: {semantic}"
    );
}

#[tokio::test]
async fn until_papers_are_embedded_the_search_page_says_so_instead_of_claiming_meaning() {
    let instance = instance_with_tiny_model();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_EMBED_IN_BACKGROUND", "false")]);
    let page = server.text("/search?q=gaussian+splatting").await;
    assert!(
        page.contains("Search by meaning is still being prepared: 0 of 40 papers"),
        "{page}"
    );
    assert!(page.contains("ranked by keyword relevance") && !page.contains("ranked by keywords and meaning"));

    let embedded = instance.run(&["embed"]);
    assert_eq!(embedded.code, 0, "{}", embedded.stderr);
    wait_until_embedded(&server, 40).await;
    let page = server.text("/search?q=gaussian+splatting").await;
    assert!(!page.contains("still being prepared"), "{page}");
    assert!(page.contains("ranked by keywords and meaning"));
}
