//! How Paperboy fits the software around it (issue 23): Hugging Face's semantics for its API,
//! driven by Hugging Face's own Python client; citation metadata read by a BibTeX parser; and the
//! demo sample's papers ranked and dated as their sources say.

use std::process::Command;

use crate::helpers::{Instance, Server, between_all};

async fn demo_server() -> (Instance, Server) {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    (instance, server)
}

/// Runs a Python script with `huggingface_hub` (2.4.0, as the issue's client) against the server.
fn hugging_face_client(server: &Server, script: &str) -> serde_json::Value {
    let output = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import json, huggingface_hub\nfrom huggingface_hub import HfApi\napi = HfApi(endpoint={:?})\n{script}",
            server.base_url
        ))
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_OFFLINE", "0")
        .output()
        .expect("python3 runs (pip install huggingface_hub==2.4.0)");
    assert!(
        output.status.success(),
        "huggingface_hub failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

#[tokio::test]
async fn the_api_dates_and_sorts_as_hugging_face_documents() {
    let (_instance, server) = demo_server().await;
    // Kimi K2.5 (2602.02276): HF featured it on 3 February; arXiv listed it on the 4th.
    let ids = |items: &serde_json::Value| -> Vec<String> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["paper"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let featured = server
        .json("/api/daily_papers?date=2026-02-03&limit=100&sort=top")
        .await;
    let item = featured
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["paper"]["id"] == "2602.02276")
        .expect("HF's date selects the paper");
    assert_eq!(item["paper"]["submittedOnDailyAt"], "2026-02-03T00:00:00.000Z");
    assert!(item["publishedAt"].as_str().unwrap().starts_with("2026-02-03"));
    assert!(item["paper"]["ai_summary"].as_str().unwrap().len() > 20);
    assert_eq!(item["paper"]["authors"].as_array().unwrap().len(), 326);
    let listed_day = server
        .json("/api/daily_papers?date=2026-02-04&limit=100&sort=top")
        .await;
    assert!(listed_day.as_array().unwrap().len() > 20);
    assert!(
        !ids(&listed_day).contains(&"2602.02276".to_owned()),
        "a paper HF featured belongs to HF's day only"
    );
    let site_day = server.text("/papers/date/2026-02-04").await;
    assert!(
        site_day.contains("id=\"paper-2602.02276\""),
        "the site keeps arXiv's listing day"
    );
    // HF's documented default sort is publishedAt: newest first.
    let default = server.json("/api/daily_papers?date=2026-02-13&limit=100").await;
    let explicit = server
        .json("/api/daily_papers?date=2026-02-13&limit=100&sort=publishedAt")
        .await;
    assert_eq!(default, explicit);
    // Unknown values are left out, never null: nobody submitted these papers here.
    for item in default.as_array().unwrap() {
        assert!(item.get("submittedBy").is_none_or(|by| by.is_object()), "{item}");
        for key in ["publishedAt", "submittedOnDailyAt", "githubRepo", "ai_summary"] {
            assert!(!item["paper"].get(key).is_some_and(|v| v.is_null()), "{key} is null");
        }
    }
    // The one of two repositories HF named comes first; the abstract's is "also mentioned".
    let paper = server.json("/api/papers/2602.06724").await;
    assert_eq!(paper["githubRepo"], "https://github.com/AIDC-AI/Marco-DeepResearch");
    let page = server.text("/papers/2602.06724").await;
    let buttons = between_all(&page, "<a class=\"button code\" href=\"", "\"");
    assert_eq!(buttons.first(), Some(&"https://github.com/AIDC-AI/Marco-DeepResearch"));
    let also = page
        .split("Also mentioned:")
        .nth(1)
        .expect("the other link is mentioned");
    assert!(also.contains("https://github.com/AIDC-AI/Marco-Search-Agent"));
}

#[tokio::test]
async fn hugging_faces_own_client_reads_papers_dates_and_submitters() {
    let (_instance, server) = demo_server().await;
    let read = hugging_face_client(
        &server,
        r#"
papers = list(api.list_daily_papers(date="2026-02-03", limit=100, sort="trending"))
one = [p for p in papers if p.id == "2602.02276"][0]
info = api.paper_info("2602.02276")
markdown = api.read_paper("2602.02276")
print(json.dumps({
    "count": len(papers),
    "submitted_at": one.submitted_at.isoformat(),
    "ai_summary": one.ai_summary is not None or info.ai_summary is not None,
    "authors": len(info.authors),
    "info_summary": info.ai_summary,
    "markdown": markdown,
}))
"#,
    );
    assert!(read["count"].as_u64().unwrap() >= 9, "{read}");
    assert!(read["submitted_at"].as_str().unwrap().starts_with("2026-02-03"));
    assert_eq!(read["authors"], 326, "arXiv's author list, not HF's 22");
    assert!(
        read["info_summary"].as_str().unwrap().len() > 20,
        "paper_info carries HF's AI summary"
    );
    let markdown = read["markdown"].as_str().unwrap();
    assert!(
        markdown.starts_with("# Kimi K2.5: Visual Agentic Intelligence\n"),
        "{markdown}"
    );
    assert!(markdown.contains("## Abstract"));
    assert!(markdown.contains("@misc{"));
}

/// The BibTeX served at `path`, checked to be served as BibTeX.
async fn bibtex_at(server: &Server, path: &str) -> String {
    let response = server.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/x-bibtex"),
        "{path}: {content_type}"
    );
    response.text().await.unwrap()
}

/// `bib` as bibtexparser reads it: `{failed, entries: [{field: value}]}`; no block may fail.
fn parse_bibtex(bib: &str) -> serde_json::Value {
    let output = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, json, bibtexparser\nlibrary = bibtexparser.parse_string(sys.argv[1])\n\
             print(json.dumps({'failed': len(library.failed_blocks), 'entries': [{k: f.value for k, f in e.fields_dict.items()} for e in library.entries]}))",
        )
        .arg(bib)
        .output()
        .expect("python3 runs (pip install bibtexparser)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed["failed"], 0, "{bib}");
    parsed
}

/// A day's list and a search's results page are one BibTeX file each, in the page's order.
#[tokio::test]
async fn bibtex_of_a_day_and_of_a_search_holds_their_papers() {
    let (_instance, server) = demo_server().await;
    let page = server.text("/papers/date/2026-02-13?sort=new").await;
    assert!(
        page.contains(r#"href="/papers/date/2026-02-13/papers.bib?sort=new""#),
        "the page links its BibTeX"
    );
    let parsed = parse_bibtex(&bibtex_at(&server, "/papers/date/2026-02-13/papers.bib?sort=new").await);
    let entries = parsed["entries"].as_array().unwrap();
    // "<N> papers, newest first": the whole day, not only its first page.
    let summary = between_all(&page, "<p class=\"summary\">", " papers")[0];
    let total: usize = summary.parse().unwrap();
    assert!(total > 50, "the day has more than one page: {total}");
    assert_eq!(entries.len(), total);

    let search = server.text("/search?q=graph+neural&mode=keyword").await;
    assert!(
        search.contains(r#"href="/search.bib?q="#),
        "the results link their BibTeX"
    );
    let bib = server.text("/search.bib?q=graph+neural&mode=keyword").await;
    let parsed = parse_bibtex(&bib);
    let entries = parsed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 20, "a results page holds 20 papers");
    let first_card = between_all(&search, "<article class=\"card\" id=\"paper-", "\"")[0];
    assert_eq!(entries[0]["eprint"], first_card, "in the page's order");
}

#[tokio::test]
async fn bibtex_of_a_paper_parses_with_its_tex_intact() {
    let (_instance, server) = demo_server().await;
    let bib = bibtex_at(&server, "/papers/2602.23361.bib").await;
    let parsed = parse_bibtex(&bib);
    assert_eq!(
        parsed["entries"][0]["title"],
        "VGG-T$^3$: Offline Feed-Forward 3D Reconstruction at Scale"
    );
    assert_eq!(parsed["entries"][0]["eprint"], "2602.23361");

    let page = server.text("/papers/2602.23361").await;
    for tag in [
        "<meta name=\"citation_abstract\" content=\"",
        "<meta name=\"citation_pdf_url\" content=\"https://arxiv.org/pdf/2602.23361\">",
        "<meta name=\"citation_technical_report_number\" content=\"arXiv:2602.23361\">",
        "<script type=\"application/ld+json\">",
    ] {
        assert!(page.contains(tag), "{tag}");
    }
    let json_ld = between_all(&page, "<script type=\"application/ld+json\">", "</script>")[0];
    let article: serde_json::Value = serde_json::from_str(json_ld).unwrap();
    assert_eq!(article["@type"], "ScholarlyArticle");
    assert_eq!(article["identifier"], "arXiv:2602.23361");
}

#[tokio::test]
async fn a_month_leads_with_its_most_voted_paper() {
    let (_instance, server) = demo_server().await;
    let page = server.text("/papers/month/2026-02").await;
    let first = between_all(&page, "<article class=\"card\" id=\"paper-", "\"")[0];
    let month = server.json("/api/daily_papers?month=2026-02&sort=top&limit=1").await;
    assert_eq!(
        first,
        month[0]["paper"]["id"].as_str().unwrap(),
        "the month's most-voted paper leads"
    );
    assert!(page.contains("most votes first"));
    let week = server.text("/papers/week/2026-W07").await;
    assert!(week.contains("most votes first"));
    let day = server.text("/papers/date/2026-02-13").await;
    assert!(day.contains("trending score"), "a day still ranks by trending score");
}

#[tokio::test]
async fn metrics_are_described_bounded_and_there_from_the_start() {
    let (_instance, server) = demo_server().await;
    server.text("/").await;
    let families = |text: String| -> serde_json::Value {
        let output = Command::new("python3")
            .arg("-c")
            .arg(
                "import sys, json\nfrom prometheus_client.parser import text_string_to_metric_families\n\
                 out = {}\nfor f in text_string_to_metric_families(sys.stdin.read()):\n    \
                 out[f.name] = {'help': f.documentation, 'samples': [[s.name, s.labels, s.value] for s in f.samples]}\n\
                 print(json.dumps(out))",
            )
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
                child.wait_with_output().unwrap()
            })
            .expect("python3 runs (pip install prometheus_client)");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let before = families(server.text("/metrics").await);
    for (name, family) in before.as_object().unwrap() {
        assert!(!family["help"].as_str().unwrap().is_empty(), "{name} has no # HELP");
    }
    for name in [
        "process_cpu_seconds",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(before.get(name).is_some(), "{name} is missing");
    }
    let runs = &before["paperboy_harvest_runs"]["samples"];
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .any(|s| s[1]["outcome"] == "failed" && s[2] == 0.0),
        "harvest counters exist at zero: {runs}"
    );
    let series = |families: &serde_json::Value| {
        families["http_requests"]["samples"]
            .as_array()
            .map_or(0, |samples| samples.len())
    };
    let client = server.client();
    for method in ["ANYTHING", "BREW", "PROPFIND", "X1", "X2"] {
        for path in ["/", "/papers/2601.23265", "/nowhere"] {
            client
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    format!("{}{path}", server.base_url),
                )
                .send()
                .await
                .unwrap();
        }
    }
    let once = families(server.text("/metrics").await);
    for method in ["BREW2", "ANYTHING2"] {
        for path in ["/", "/papers/2601.23265", "/nowhere"] {
            client
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    format!("{}{path}", server.base_url),
                )
                .send()
                .await
                .unwrap();
        }
    }
    let again = families(server.text("/metrics").await);
    assert_eq!(series(&once), series(&again), "new method names add no series");
}

#[tokio::test]
async fn feeds_carry_authors_filters_and_pages_as_readers_expect() {
    let (_instance, server) = demo_server().await;
    let rss = server.text("/papers/date/2026-02-13/feed.rss?cat=cs.CV&sort=new").await;
    let output = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, json, feedparser\nf = feedparser.parse(sys.argv[1])\n\
             print(json.dumps({'bozo': bool(f.bozo), 'link': f.feed.link, \
             'authors': [a.get('name') for a in f.entries[0].get('authors', [])]}))",
        )
        .arg(&rss)
        .output()
        .expect("python3 runs (pip install feedparser)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed["bozo"], false, "{rss}");
    assert!(
        parsed["link"]
            .as_str()
            .unwrap()
            .ends_with("/papers/date/2026-02-13?sort=new&cat=cs.CV"),
        "{parsed}"
    );
    assert!(
        !parsed["authors"].as_array().unwrap().is_empty(),
        "every item names its authors: {parsed}"
    );

    let json = server.json("/papers/date/2026-02-13/feed.json?cat=cs.CV").await;
    for key in ["authors", "description", "icon", "favicon", "next_url"] {
        assert!(json.get(key).is_some(), "JSON Feed has {key}");
    }
    assert!(json["home_page_url"].as_str().unwrap().ends_with("?cat=cs.CV"));
    assert!(json["items"][0]["summary"].as_str().unwrap().len() > 20);
    let next = json["next_url"].as_str().unwrap();
    let path = next.split_once("127.0.0.1").unwrap().1.split_once('/').unwrap().1;
    let second = server.json(&format!("/{path}")).await;
    assert_ne!(
        second["items"][0]["id"], json["items"][0]["id"],
        "next_url is the next page"
    );
    let icon = server
        .get(
            json["favicon"]
                .as_str()
                .unwrap()
                .split_once("127.0.0.1")
                .unwrap()
                .1
                .split_once('/')
                .map(|(_, p)| format!("/{p}"))
                .unwrap()
                .as_str(),
        )
        .await;
    assert_eq!(icon.status(), 200);
    let favicon = server.get("/favicon.ico").await;
    assert_eq!(favicon.status(), 308);
    assert!(favicon.headers()["location"].to_str().unwrap().ends_with("/icon.svg"));

    for future in [
        "/papers/date/2099-01-01",
        "/papers/date/2099-01-01/feed.atom",
        "/papers/month/2099-01/feed.json",
    ] {
        assert_eq!(server.get(future).await.status(), 404, "{future}");
    }
}

/// Every `/api/*` error is the documented JSON object, whoever produced it (axum's extractors,
/// the router, the limits), with the status that names the problem.
#[tokio::test]
async fn every_api_error_is_the_json_error_object() {
    let member = crate::helpers::SignedIn::start(
        Instance::with_demo_data(),
        "ada@example.org",
        &[("PAPERBOY_WRITES_PER_CLIENT", "12")],
    )
    .await;
    let token = member.make_api_token("errors").await;
    let server = &member.server;
    let client = server.client();
    let base = &server.base_url;
    let check = |response: reqwest::Response, status: u16| async move {
        assert_eq!(response.status(), status, "{}", response.url());
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        let allow = response.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        assert!(content_type.starts_with("application/json"), "{content_type}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], status);
        assert!(body["error"].as_str().unwrap().len() > 3, "{body}");
        (allow, retry_after)
    };
    check(
        server.get("/api/daily_papers?date=2026-02-13&date=2026-02-12").await,
        400,
    )
    .await;
    let (allow, _) = check(server.get("/api/papers/2601.23265/upvote").await, 405).await;
    assert_eq!(allow.as_deref(), Some("POST, DELETE"));
    check(
        client.put(format!("{base}/api/daily_papers")).send().await.unwrap(),
        405,
    )
    .await;
    let index = format!("{base}/api/papers/index");
    let no_type = client.post(&index).bearer_auth(&token).body("{}").send().await.unwrap();
    check(no_type, 415).await;
    let wrong_type = client
        .post(&index)
        .bearer_auth(&token)
        .json(&serde_json::json!({"arxivId": 5}))
        .send()
        .await
        .unwrap();
    check(wrong_type, 422).await;
    let mut limited = None;
    for _ in 0..20 {
        let response = client
            .post(format!("{base}/api/papers/2601.23265/upvote"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let (_, retry_after) = check(limited.expect("the per-client write limit is reached"), 429).await;
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=600).contains(&seconds));
}

/// schemathesis, bounded and seeded, against the document the server generates, with a token for
/// the operations that need one: every default check passes (the few rules a schema cannot state
/// are listed in tests/schemathesis.toml).
#[tokio::test]
async fn schemathesis_finds_nothing_against_the_generated_document() {
    // An arXiv that knows none of the generated ids: their submissions end in a 422, as they would.
    let arxiv = crate::fake_arxiv::FakeArxiv::start().await;
    let arxiv_url = format!("{}/api/query", arxiv.base_url);
    let member = crate::helpers::SignedIn::start(
        Instance::with_demo_data(),
        "ada@example.org",
        &[
            ("PAPERBOY_ARXIV_API_URL", &arxiv_url),
            ("PAPERBOY_ARXIV_MIN_INTERVAL", "0"),
            // A fuzzer is one client asking fast: the limits would answer most of it with 429.
            ("PAPERBOY_READS_PER_CLIENT", "0"),
            ("PAPERBOY_WRITES_PER_CLIENT", "1000000"),
        ],
    )
    .await;
    let token = member.make_api_token("schemathesis").await;
    let config = crate::helpers::fixture("tests/schemathesis.toml");
    let url = format!("{}/api/openapi.json", member.server.base_url);
    let output = tokio::task::spawn_blocking(move || {
        // Through python3, as pip installed it, whether or not its script directory is on PATH.
        // In a scratch directory: schemathesis leaves its state where it runs.
        let scratch = tempfile::tempdir().unwrap();
        Command::new("python3")
            .current_dir(scratch.path())
            .args(["-m", "schemathesis.cli"])
            .arg("--config-file")
            .arg(config)
            .args([
                "--no-color",
                "run",
                &url,
                "--seed",
                "23",
                "--max-examples",
                "25",
                "--workers",
                "1",
            ])
            .args(["--generation-database", "none", "--suppress-health-check", "all"])
            .args(["--request-timeout", "20"])
            .arg("--header")
            .arg(format!("Authorization: Bearer {token}"))
            .output()
            .expect("schemathesis runs (pip install schemathesis)")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Every operation schemathesis found in the document was run, and the library's are there.
    let number_after = |label: &str| -> Vec<usize> {
        let at = report
            .find(label)
            .unwrap_or_else(|| panic!("no {label:?} in the report:\n{report}"));
        report[at + label.len()..]
            .split(|c: char| !c.is_ascii_digit())
            .filter(|part| !part.is_empty())
            .take(2)
            .map(|number| number.parse().expect("a number"))
            .collect()
    };
    let selected = number_after("Selected: ");
    assert_eq!(selected[0], selected[1], "every operation is selected:\n{report}");
    assert_eq!(
        number_after("Tested: ")[0],
        selected[0],
        "every operation is tested:\n{report}"
    );
    assert!(selected[0] >= 17, "only {} operations:\n{report}", selected[0]);
}
