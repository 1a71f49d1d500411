//! The site as a reader and a script see it: pages, feeds and the API of a server holding the
//! real demo sample (February 2026 listings with Hugging Face upvotes).

use std::io::Write;

use crate::helpers::{Instance, Server, between_all};

fn vote_counts(html: &str) -> Vec<i64> {
    between_all(html, "<span class=\"count\">", "</span>")
        .iter()
        .map(|n| n.parse().expect("vote count"))
        .collect()
}

fn paper_ids(html: &str) -> Vec<String> {
    between_all(html, "<article class=\"card\" id=\"paper-", "\"")
        .iter()
        .map(|s| s.to_string())
        .collect()
}

async fn demo_server() -> (Instance, Server) {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    (instance, server)
}

#[tokio::test]
async fn day_page_ranks_by_votes_under_trending_and_by_time_under_new() {
    let (_instance, server) = demo_server().await;
    let trending = server.text("/papers/date/2026-02-13").await;
    assert!(trending.contains("Papers of Fri, 13 Feb 2026"));
    assert!(
        trending.contains("273 papers, ranked by trending score"),
        "the day has 273 listed papers"
    );
    let votes = vote_counts(&trending);
    assert_eq!(votes.len(), 30, "a page of 30");
    assert!(votes.windows(2).all(|pair| pair[0] >= pair[1]), "vote order: {votes:?}");
    assert_eq!(votes[0], 91, "the day's most upvoted paper comes first");
    assert!(trending.contains("Composition-RL"), "the top paper is shown");

    let new = server.text("/papers/date/2026-02-13?sort=new").await;
    let ids = paper_ids(&new);
    assert_eq!(ids.len(), 30);
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "newest (highest id) first");
    assert!(new.contains("aria-current=\"page\" class=\"active\">New<"));

    let top = server.text("/papers/date/2026-02-13?sort=top&page=2").await;
    assert!(top.contains("Page 2 of 10"));
    let page_two = vote_counts(&top);
    assert!(
        page_two.iter().all(|&v| v <= votes[29]),
        "page 2 continues below page 1"
    );
}

#[tokio::test]
async fn week_and_month_pages_cover_their_days_and_step_over_empty_ones() {
    let (_instance, server) = demo_server().await;
    let week = server.text("/papers/week/2026-W07").await;
    assert!(week.contains("Papers of week 2026-W07: Mon, 9 Feb 2026 – Sun, 15 Feb 2026"));
    let days = between_all(&week, "<span class=\"listed\">", "</span>");
    assert!(days.iter().any(|d| d.contains("9 Feb")) || days.iter().any(|d| d.contains("10 Feb")));
    assert!(week.contains("href=\"/papers/week/2026-W06\""), "previous week");
    assert!(week.contains("href=\"/papers/week/2026-W08\""), "next week");

    let month = server.text("/papers/month/2026-02").await;
    assert!(month.contains("Papers of February 2026"));
    assert!(
        month.contains("href=\"/papers/month/2026-01\""),
        "January has papers (HF featured them)"
    );
    assert!(
        !month.contains("rel=\"next\" href=\"/papers/month/2026-03\""),
        "nothing after February in the sample"
    );

    // Friday's next day with papers is Monday: Saturday and Sunday are skipped.
    let friday = server.text("/papers/date/2026-02-13").await;
    assert!(friday.contains("rel=\"prev\" href=\"/papers/date/2026-02-12\""));
    assert!(friday.contains("rel=\"next\" href=\"/papers/date/2026-02-16\""));
    let saturday = server.text("/papers/date/2026-02-14").await;
    assert!(saturday.contains("arXiv announces nothing on weekends"));
    assert!(saturday.contains("rel=\"prev\" href=\"/papers/date/2026-02-13\""));
    assert!(saturday.contains("rel=\"next\" href=\"/papers/date/2026-02-16\""));

    let home = server.text("/").await;
    assert!(
        home.contains("Papers of Fri, 27 Feb 2026"),
        "home shows the latest day with papers"
    );
    assert!(home.contains("Get trending papers in your email inbox!"));
    assert!(home.contains("href=\"/subscribe\""));
    assert!(home.contains("by Paperboy and the research community"));
    let trending = server.text("/papers/trending").await;
    assert!(trending.contains("Trending: Sat, 21 Feb 2026 – Fri, 27 Feb 2026"));

    let filtered = server.text("/papers/month/2026-02?cat=cs.CL&sort=top").await;
    assert!(filtered.contains("papers in cs.CL, most votes first"));
    for card in between_all(&filtered, "<article class=\"card\"", "</article>") {
        assert!(
            card.contains(">cs.CL</a>"),
            "every card is in cs.CL (primary or cross-list)"
        );
    }
    assert_eq!(server.get("/papers/date/2026-02-13?sort=bogus").await.status(), 400);
    assert_eq!(server.get("/papers/date/2026-02-13?cat=%3Cb%3E").await.status(), 400);
    assert_eq!(server.get("/papers/week/2026-W60").await.status(), 404);
}

#[tokio::test]
async fn paper_page_has_abstract_bibtex_and_citation_tags() {
    let (_instance, server) = demo_server().await;
    let page = server.text("/papers/2601.23265").await;
    assert!(page.contains(
        "<meta name=\"citation_title\" content=\"PaperBanana: Automating Academic Illustration for AI Scientists\">"
    ));
    assert!(page.contains("<meta name=\"citation_author\" content=\"Dawei Zhu\">"));
    assert!(page.contains("<meta name=\"citation_arxiv_id\" content=\"2601.23265\">"));
    assert!(page.contains("<meta property=\"og:title\""));
    assert!(
        page.contains(
            "We further show that our method effectively extends to the generation of high-quality statistical plots."
        ),
        "the whole abstract"
    );
    assert!(page.contains("@misc{zhu2026paperbanana,"));
    assert!(page.contains("archivePrefix={arXiv}"));
    assert!(page.contains("primaryClass={cs.CL}"));
    assert!(page.contains("href=\"https://arxiv.org/pdf/2601.23265\""));

    let client = server.client();
    for form in ["arXiv:2601.23265v2", "2601.23265v1", "https://arxiv.org/abs/2601.23265"] {
        let response = client
            .get(format!("{}/papers/{form}", server.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 308, "{form}");
        assert_eq!(response.headers()["location"], "/papers/2601.23265", "{form}");
    }
    let missing = server.get("/papers/2602.99999").await;
    assert_eq!(missing.status(), 404);
    let body = missing.text().await.unwrap();
    assert!(body.contains("action=\"/search\""), "a 404 offers a search");
    assert!(body.contains("arXiv:2602.99999 is not on this instance"));
}

#[tokio::test]
async fn titles_and_abstracts_are_escaped() {
    let instance = Instance::with_demo_data();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evil.jsonl");
    let mut out = std::fs::File::create(&file).unwrap();
    writeln!(out, "{}", serde_json::json!({
        "id": "2602.99998", "title": "<script>alert('title')</script> & friends", "authors": ["<img src=x onerror=alert(1)>"],
        "categories": ["cs.CL"], "abstract": "We show $x < y$ and </p><script>alert('abstract')</script>",
        "first_listed": "2026-02-13", "listed_on": ["2026-02-13"]
    }))
    .unwrap();
    assert_eq!(instance.import(&[&file]).code, 0);
    let server = instance.spawn_server("serve");
    for path in [
        "/papers/date/2026-02-13?sort=new",
        "/papers/2602.99998",
        "/search?q=friends",
    ] {
        let html = server.text(path).await;
        assert!(!html.contains("<script>alert"), "{path} lets a script through");
        assert!(!html.contains("<img src=x"), "{path} lets markup through");
        // Search results mark the word searched for.
        let friends = if path.starts_with("/search") {
            "<mark>friends</mark>"
        } else {
            "friends"
        };
        let escaped_title = format!("&#60;script&#62;alert(&#39;title&#39;)&#60;/script&#62; &#38; {friends}");
        assert!(html.contains(&escaped_title), "{path} shows the title as text");
    }
    let api = server.json("/api/papers/2602.99998").await;
    assert_eq!(
        api["title"], "<script>alert('title')</script> & friends",
        "JSON carries the text as it is"
    );
    let atom = server.text("/papers/date/2026-02-13/feed.atom?sort=new").await;
    assert!(!atom.contains("<script>"));
}

#[tokio::test]
async fn api_speaks_hugging_face_and_honours_every_parameter() {
    let (_instance, server) = demo_server().await;
    let items = server.json("/api/daily_papers?date=2026-02-13&sort=trending").await;
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 50, "default limit 50");
    let first = &items[0];
    for key in ["paper", "publishedAt", "title", "summary", "numComments"] {
        assert!(first.get(key).is_some(), "item has {key}");
    }
    let paper = &first["paper"];
    for key in [
        "id",
        "authors",
        "publishedAt",
        "title",
        "summary",
        "upvotes",
        "trendingScore",
        "trending",
    ] {
        assert!(paper.get(key).is_some(), "paper has {key}");
    }
    // The API dates papers by Hugging Face's daily date: its 13 February differs from arXiv's.
    assert!(paper["authors"][0]["name"].is_string());
    assert_eq!(paper["upvotes"], 187);
    assert!(
        items
            .iter()
            .filter_map(|item| item["paper"]["githubRepo"].as_str())
            .any(|repo| repo.starts_with("https://github.com/"))
    );
    assert_eq!(paper["trending"]["importedVotes"], 187);
    assert!(paper["trendingScore"].as_f64().unwrap() > 0.0);
    assert!(paper["publishedAt"].as_str().unwrap().ends_with(".000Z"));

    // The same shape as a real Hugging Face response, key for key where both have them.
    let recorded: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::helpers::fixture(
            "fixtures/recorded/hf-api/daily_papers-2026-06-12.json",
        ))
        .unwrap(),
    )
    .unwrap();
    for key in recorded[0]["paper"].as_object().unwrap().keys() {
        if [
            "id",
            "authors",
            "publishedAt",
            "submittedOnDailyAt",
            "title",
            "summary",
            "upvotes",
        ]
        .contains(&key.as_str())
        {
            assert!(paper.get(key).is_some(), "missing {key}");
            assert_eq!(
                std::mem::discriminant(&paper[key]),
                std::mem::discriminant(&recorded[0]["paper"][key]),
                "{key} has HF's type"
            );
        }
    }

    let upvotes = |items: &serde_json::Value| {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["paper"]["upvotes"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let limited = server.json("/api/daily_papers?date=2026-02-13&limit=5&p=1").await;
    assert_eq!(limited.as_array().unwrap().len(), 5);
    assert!(upvotes(&limited)[0] <= 187);
    let by_time = server
        .json("/api/daily_papers?date=2026-02-13&sort=publishedAt&limit=100")
        .await;
    let ids: Vec<&str> = by_time
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["paper"]["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] > pair[1]),
        "publishedAt: newest first"
    );
    let week = server.json("/api/daily_papers?week=2026-W07&limit=100").await;
    assert_eq!(week.as_array().unwrap().len(), 100);
    let month = server.json("/api/daily_papers?month=2026-02&sort=top&limit=3").await;
    let top = upvotes(&month);
    assert!(top[0] >= top[1] && top[1] >= top[2] && top[0] >= 91);
    let cat = server
        .json("/api/daily_papers?date=2026-02-13&cat=cs.CV&limit=100")
        .await;
    assert!(cat.as_array().unwrap().iter().all(|i| {
        i["paper"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "cs.CV")
    }));
    let latest = server.json("/api/daily_papers").await;
    assert!(
        latest[0]["paper"]["submittedOnDailyAt"]
            .as_str()
            .unwrap()
            .starts_with("2026-02-27")
    );
    let by_submitter = server.json("/api/daily_papers?date=2026-02-13&submitter=akhaliq").await;
    assert_eq!(
        by_submitter.as_array().unwrap().len(),
        0,
        "nobody has submitted papers here"
    );
    let empty_day = server.json("/api/daily_papers?date=2026-02-14").await;
    assert_eq!(empty_day, serde_json::json!([]));

    for bad in [
        "limit=0",
        "limit=101",
        "p=-1",
        "date=2026-02-30",
        "week=2026-W99",
        "month=2026-13",
        "sort=random",
        "date=2026-02-13&week=2026-W07",
    ] {
        let response = server.get(&format!("/api/daily_papers?{bad}")).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().len() > 5, "{bad}: {body}");
    }

    let one = server.json("/api/papers/arXiv:2601.23265v1").await;
    assert_eq!(one["id"], "2601.23265");
    assert_eq!(server.get("/api/papers/2602.99999").await.status(), 404);
    assert_eq!(server.get("/api/papers/banana").await.status(), 400);
    let found = server.json("/api/papers/search?q=PaperBanana").await;
    assert_eq!(found[0]["paper"]["id"], "2601.23265");
    assert_eq!(server.get("/api/papers/search").await.status(), 400);
    let preflight = server
        .client()
        .get(format!("{}/api/daily_papers", server.base_url))
        .header("Origin", "https://example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert_eq!(server.get("/api/nothing-here").await.status(), 404);
}

#[tokio::test]
async fn openapi_lists_every_api_route() {
    let (_instance, server) = demo_server().await;
    let document = server.json("/api/openapi.json").await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for route in paperboy::web::routes::api::ALL {
        assert!(paths.contains_key(*route), "{route} is not in the OpenAPI document");
    }
    assert_eq!(
        paths.len(),
        paperboy::web::routes::api::ALL.len(),
        "the document lists no route that does not exist"
    );
}

#[tokio::test]
async fn feeds_parse_and_answer_304_when_unchanged() {
    let (_instance, server) = demo_server().await;
    for path in [
        "/papers/date/2026-02-13/feed.atom",
        "/papers/week/2026-W07/feed.rss?sort=new",
        "/papers/month/2026-02/feed.json?cat=cs.CL",
        "/papers/trending/feed.atom",
        "/feed.rss",
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let last_modified = response.headers()["last-modified"].to_str().unwrap().to_owned();
        let body = response.bytes().await.unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
        assert!(!feed.title.as_ref().unwrap().content.is_empty(), "{path} has a title");
        assert!(!feed.entries.is_empty(), "{path} has entries");
        for entry in &feed.entries {
            assert!(entry.title.is_some(), "{path}: entry without title");
            assert!(
                !entry.links.is_empty() || entry.id.starts_with("http"),
                "{path}: entry without link"
            );
        }
        let client = server.client();
        let again = client
            .get(format!("{}{path}", server.base_url))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path} with If-None-Match");
        let since = client
            .get(format!("{}{path}", server.base_url))
            .header("If-Modified-Since", &last_modified)
            .send()
            .await
            .unwrap();
        assert_eq!(since.status(), 304, "{path} with If-Modified-Since");
        let stale = client
            .get(format!("{}{path}", server.base_url))
            .header("If-None-Match", "\"other\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 200);
    }
    let day = server.text("/papers/date/2026-02-13").await;
    assert!(day.contains("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Atom feed of this list\" href=\"/papers/date/2026-02-13/feed.atom\">"));
    let atom = feed_rs::parser::parse(server.text("/papers/date/2026-02-13/feed.atom").await.as_bytes()).unwrap();
    assert_eq!(atom.entries.len(), 50);
    assert!(
        atom.entries[0]
            .title
            .as_ref()
            .unwrap()
            .content
            .starts_with("Composition-RL"),
        "same order as the page"
    );
}

#[tokio::test]
async fn operations_endpoints_and_headers() {
    let (_instance, server) = demo_server().await;
    server.text("/papers/date/2026-02-13").await;
    let metrics = server.text("/metrics").await;
    assert!(
        metrics.contains("http_requests_total{route=\"/papers/date/{day}\",method=\"GET\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
    assert!(metrics.contains("paperboy_papers 3994"));
    let compressed = server
        .client()
        .get(format!("{}/papers/date/2026-02-13", server.base_url))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let page = server.get("/").await;
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let html = page.text().await.unwrap();
    let asset = between_all(&html, "<link rel=\"stylesheet\" href=\"", "\"")[0].to_owned();
    let css = server.get(&asset).await;
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
    let katex = server.get(&asset.replace("app.css", "katex/katex.min.js")).await;
    assert_eq!(katex.status(), 200);
    let licence = server.text(&asset.replace("app.css", "katex/LICENSE")).await;
    assert!(licence.contains("MIT"));
    assert!(!html.contains("cdn."), "nothing from a CDN");
}

#[tokio::test]
async fn cached_pages_follow_an_import_by_another_process() {
    let (instance, server) = demo_server().await;
    let before = server.text("/papers/date/2026-02-13?sort=new").await;
    assert!(before.contains("273 papers"));
    let gzipped = server
        .client()
        .get(format!("{}/papers/date/2026-02-13?sort=new", server.base_url))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        gzipped.headers()["content-encoding"],
        "gzip",
        "a cached page is served gzipped to those who ask"
    );
    let mut decoded = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&gzipped.bytes().await.unwrap()[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, before, "gzip carries the same page");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("late.jsonl");
    std::fs::write(&file, serde_json::json!({"id": "2602.99997", "title": "A late arrival", "authors": ["B"], "categories": ["cs.CL"], "abstract": "x", "first_listed": "2026-02-13", "listed_on": ["2026-02-13"]}).to_string()).unwrap();
    assert_eq!(instance.import(&[&file]).code, 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let page = server.text("/papers/date/2026-02-13?sort=new").await;
        if page.contains("A late arrival") {
            assert!(page.contains("274 papers"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page never showed the imported paper"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Error pages name the instance they come from, whether a handler answered (404), an
/// extractor refused before it (403, cross-site), or a page failed inside the page cache (400).
#[tokio::test]
async fn error_pages_carry_the_instance_name() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_INSTANCE_NAME", "Lab <Papers>")]);
    let not_found = server.get("/no-such-page").await;
    assert_eq!(not_found.status(), 404);
    let page = not_found.text().await.unwrap();
    assert!(
        page.contains("Lab &#60;Papers&#62;") && page.contains("Not found"),
        "{page}"
    );
    let cross_site = server
        .client()
        .post(format!("{}/logout", server.base_url))
        .header("Origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let page = cross_site.text().await.unwrap();
    assert!(
        page.contains("Lab &#60;Papers&#62;") && page.contains("own pages"),
        "{page}"
    );
    let bad_sort = server.get("/papers/date/2026-02-13?sort=sideways").await;
    assert_eq!(bad_sort.status(), 400);
    let page = bad_sort.text().await.unwrap();
    assert!(
        page.contains("Lab &#60;Papers&#62;") && page.contains("sideways"),
        "{page}"
    );
    server.terminate();
}

/// The HF-shaped API, the feeds and the list pages, with lists ranked from memory, answer
/// exactly as the database's lists did (`rankings_in_memory = false`), for days, weeks and
/// months, every sort, a category, pages past the first, and Hugging Face's own days.
#[tokio::test]
async fn lists_ranked_from_memory_answer_exactly_as_lists_from_the_database() {
    let (_memory_data, from_memory) = demo_server().await;
    let database_data = Instance::with_demo_data();
    let from_database = database_data.spawn_server_with("serve", &[("PAPERBOY_RANKINGS_IN_MEMORY", "false")]);
    let mut asked = 0;
    for period in ["date=2026-02-12", "date=2026-02-16", "week=2026-W07", "month=2026-02"] {
        for sort in ["", "&sort=trending", "&sort=new", "&sort=top", "&sort=discussed"] {
            for rest in ["&limit=100", "&limit=7&p=2"] {
                let path = format!("/api/daily_papers?{period}{sort}{rest}");
                let memory = from_memory.json(&path).await;
                assert!(
                    memory.as_array().is_some_and(|papers| !papers.is_empty()),
                    "{path} lists papers"
                );
                assert_eq!(memory, from_database.json(&path).await, "{path}");
                asked += 1;
            }
        }
    }
    // Feeds and pages hold absolute links: each server's own address. The pages' cards come
    // from the card cache with rankings in memory.
    for (path, shows) in [
        ("/papers/date/2026-02-12/feed.atom", "/papers/26"),
        ("/papers/week/2026-W07/feed.json?cat=cs.LG", "/papers/26"),
        ("/papers/month/2026-02/feed.rss?sort=new", "/papers/26"),
        ("/papers/date/2026-02-12", "class=\"card\""),
        ("/papers/week/2026-W07?sort=new&cat=cs.LG", "class=\"card\""),
        ("/papers/month/2026-02?sort=trending&page=2", "class=\"card\""),
    ] {
        let memory = from_memory.text(path).await.replace(&from_memory.base_url, "BASE");
        let database = from_database.text(path).await.replace(&from_database.base_url, "BASE");
        assert!(memory.contains(shows), "{path} lists papers");
        assert!(memory == database, "{path} differs");
        asked += 1;
    }
    assert_eq!(asked, 46);
}
