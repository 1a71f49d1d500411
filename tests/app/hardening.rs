//! The second hardening round: one request must never stop the service, and a fault must never
//! outlive its cause. Each test here failed on the code before its fix.

use std::time::{Duration, Instant};

use crate::helpers::{Instance, Server};
use crate::search::{DEMO_PAPERS, wait_until_indexed};

/// `text` as a query-string value.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn assert_still_serving(server: &Server) {
    let health = server.get("/healthz").await;
    assert_eq!(
        health.status(),
        200,
        "the server still answers; its log:\n{}",
        server.log()
    );
}

/// 240 `-` before a word overflowed a search thread's stack and aborted the process. Every
/// search surface now answers such queries, and deep or long operator chains of every kind, with
/// a 400 that names the problem or with results.
#[tokio::test]
async fn operator_chains_get_an_answer_and_never_stop_the_server() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, DEMO_PAPERS).await;
    let killer = format!("{}word", "-".repeat(240));
    for path in ["/search?q=", "/api/papers/search?q=", "/feeds/search.atom?q="] {
        let response = server.get(&format!("{path}{}", urlencode(&killer))).await;
        assert_eq!(response.status(), 400, "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains("nest deeper than 8"), "{path}: {body}");
        assert_still_serving(&server).await;
    }
    let chains = [
        "(".repeat(499),
        format!("{}x", "-(".repeat(249)),
        format!("{}language", "ti:".repeat(160)),
        "language AND ".repeat(38),
        format!("{}language", "language OR ".repeat(40)),
        "\"".repeat(500),
        "-language ".repeat(50),
    ];
    for chain in &chains {
        assert!(chain.chars().count() <= 500);
        let response = server.get(&format!("/api/papers/search?q={}", urlencode(chain))).await;
        assert!(
            matches!(response.status().as_u16(), 200 | 400),
            "{chain:?}: {}",
            response.status()
        );
        assert_still_serving(&server).await;
    }
    server.terminate();
}

/// How long the server takes to close `stream`, which sends nothing more: `None` if it is still
/// open after `patience`.
fn closed_after(stream: &mut std::net::TcpStream, patience: Duration) -> Option<Duration> {
    use std::io::Read;
    let started = Instant::now();
    stream.set_read_timeout(Some(patience)).unwrap();
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Some(started.elapsed()),
            // The rest of an answer to an earlier request.
            Ok(_) => continue,
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return Some(started.elapsed()),
            Err(_) => return None,
        }
    }
}

/// A connection that sent nothing stayed open forever, and about 1,100 of them took every file
/// the process could open. Now a connection that sends nothing, or stalls between requests, is
/// closed after `connection_idle_seconds`, and 1,500 idle connections leave room for a visitor.
#[tokio::test]
async fn idle_connections_are_closed_and_do_not_crowd_out_visitors() {
    use std::io::Write;
    use std::net::TcpStream;
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_CONNECTION_IDLE_SECONDS", "2")]);
    let address = server.base_url.trim_start_matches("http://").to_owned();

    let mut silent = TcpStream::connect(&address).unwrap();
    let waited = closed_after(&mut silent, Duration::from_secs(10)).expect("a silent connection is closed");
    assert!(waited < Duration::from_secs(4), "after about 2 s, not {waited:?}");

    let mut stalled = TcpStream::connect(&address).unwrap();
    write!(stalled, "GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n").unwrap();
    let waited =
        closed_after(&mut stalled, Duration::from_secs(10)).expect("a stalled keep-alive connection is closed");
    assert!(waited < Duration::from_secs(4), "after about 2 s, not {waited:?}");

    let mut half_a_head = TcpStream::connect(&address).unwrap();
    write!(half_a_head, "GET / HTTP/1.1\r\nHost: ").unwrap();
    assert!(
        closed_after(&mut half_a_head, Duration::from_secs(10)).is_some(),
        "a slow head is cut off"
    );

    // 1,500 connections that send nothing, held open together: a visitor is still answered, at
    // once, not after they time out.
    let idle: Vec<TcpStream> = (0..1_500)
        .map(|n| TcpStream::connect(&address).unwrap_or_else(|error| panic!("connection {n}: {error}")))
        .collect();
    let started = Instant::now();
    let home = server.get("/").await;
    assert_eq!(home.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "answered in {:?}",
        started.elapsed()
    );
    drop(idle);
    server.terminate();

    // Past max_connections, new connections wait for room, and the log says why.
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_CONNECTION_IDLE_SECONDS", "2"),
            ("PAPERBOY_MAX_CONNECTIONS", "20"),
        ],
    );
    let address = server.base_url.trim_start_matches("http://").to_owned();
    let idle: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(&address).unwrap()).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    assert_eq!(
        server.get("/healthz").await.status(),
        200,
        "answered once the idle ones are closed"
    );
    assert!(
        started.elapsed() > Duration::from_secs(1),
        "it had to wait: {:?}",
        started.elapsed()
    );
    assert!(
        server.log().contains("the connection limit is reached"),
        "{}",
        server.log()
    );
    drop(idle);
    server.terminate();
}

/// Every character XML 1.0's `Char` production leaves out.
fn forbidden_in_xml() -> Vec<char> {
    (0_u32..0x20)
        .filter(|c| !matches!(c, 0x9 | 0xA | 0xD))
        .chain([0xFFFE, 0xFFFF])
        .filter_map(char::from_u32)
        .collect()
}

/// One U+0001 in one imported title made the Atom and RSS feeds invalid XML. Now a paper whose
/// title, abstract and authors hold every character XML forbids, and a search query holding them
/// too, leave every XML document well-formed, with the rest of the text intact.
#[tokio::test]
async fn characters_xml_forbids_never_reach_a_feed() {
    let instance = Instance::with_demo_data();
    let forbidden: String = forbidden_in_xml().into_iter().collect();
    let line = serde_json::json!({
        "id": "2602.99999",
        "title": format!("Controlled{forbidden} characters"),
        "authors": [format!("Ada{forbidden} Lovelace")],
        "categories": ["cs.CL"],
        "comment": null,
        "abstract": format!("An abstract with{forbidden} every forbidden character."),
        "first_listed": "2026-02-13",
        "listed_on": ["2026-02-13"],
    });
    let file = instance.data_dir.path().join("control.jsonl");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let run = instance.import(&[&file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, DEMO_PAPERS + 1).await;
    let query = format!("controlled{forbidden}");
    // The query, forbidden characters and all, is in the search feed's title; it matches nothing.
    let query_feed = format!("/feeds/search.atom?q={}", urlencode(&query));
    let feeds = [
        "/papers/date/2026-02-13/feed.atom?sort=new&cat=cs.CL",
        "/papers/date/2026-02-13/feed.rss?sort=new&cat=cs.CL",
        "/papers/week/2026-W07/feed.atom?sort=new&cat=cs.CL",
        "/papers/week/2026-W07/feed.rss?sort=new&cat=cs.CL",
        "/feeds/search.atom?q=au%3Alovelace",
        &query_feed,
    ];
    for path in feeds {
        let response = server.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.unwrap();
        for c in forbidden_in_xml() {
            assert!(!body.contains(c), "{path} holds U+{:04X}", c as u32);
        }
        feed_rs::parser::parse(body.as_bytes()).unwrap_or_else(|error| panic!("{path}: {error}"));
        let words = body.split_whitespace().collect::<Vec<_>>().join(" ");
        if path == query_feed {
            assert!(
                words.contains("“controlled”"),
                "the query is kept, less what XML forbids: {words}"
            );
        } else {
            assert!(body.contains("2602.99999"), "{path} lists the paper");
            assert!(
                words.contains("Controlled characters"),
                "{path} keeps the rest of the title"
            );
        }
    }
    server.terminate();
}

/// The value of the metric line that starts with `name{labels}` (0 when it is absent).
fn metric(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// 4,090 junk URLs took the server from 51 MB to 470 MB, and at 4,096 entries the cache emptied,
/// hot pages with it. Now parameters no page reads make no new page, the cache is held to its
/// budget in bytes, and what goes first is what was used least recently.
#[tokio::test]
async fn junk_parameters_make_no_new_pages_and_the_cache_keeps_its_hot_pages_within_its_budget() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with(
        "serve",
        &[("PAPERBOY_PAGE_CACHE_MIB", "1"), ("PAPERBOY_READS_PER_CLIENT", "0")],
    );
    let client = server.client();
    let get = async |path: &str| {
        let response = client.get(format!("{}{path}", server.base_url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.bytes().await.unwrap().len()
    };
    let renders = async |route: &str| {
        metric(
            &server.text("/metrics").await,
            &format!("page_renders_total{{route=\"{route}\"}}"),
        )
    };
    let hot = "/papers/date/2026-02-13?sort=new";
    get(hot).await;
    for n in 0..4_200 {
        get(&format!("/papers/2602.11096?junk={n}&utm_source=x{n}")).await;
        if n % 500 == 0 {
            get(&format!("/papers/date/2026-02-13?utm_campaign={n}&sort=new")).await;
        }
    }
    assert_eq!(
        renders("/papers/{*id}").await,
        1.0,
        "one paper page, whatever else the URL said"
    );
    assert_eq!(
        renders("/papers/date/{day}").await,
        1.0,
        "the hot page was never dropped"
    );

    // Distinct real pages, far more than a MiB of them: the cache holds to its budget, and the
    // page used all along stays.
    let papers = instance.all_papers().await;
    let mut served = 0;
    for (n, paper) in papers.iter().take(600).enumerate() {
        served += get(&format!("/papers/{}", paper.id)).await;
        if n % 20 == 0 {
            get(hot).await;
        }
    }
    assert!(
        served > 3 * 1024 * 1024,
        "the pages are larger than the cache: {served}"
    );
    let metrics = server.text("/metrics").await;
    let held = metric(&metrics, "paperboy_page_cache_bytes");
    assert!(held > 0.0 && held <= 1024.0 * 1024.0, "held {held} bytes");
    assert_eq!(
        renders("/papers/date/{day}").await,
        1.0,
        "the hot page is still the first render"
    );
    server.terminate();
}

/// One client ran 297 searches a second, unrefused. Searches and pages rendered afresh now count
/// against a per-client limit, answered 429 with Retry-After; cached pages and other clients are
/// not affected.
#[tokio::test]
async fn one_client_cannot_search_without_end() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_READS_PER_CLIENT", "5")]);
    // The limit counts per clock minute: start early in one, so that all of it falls in one.
    let second = jiff::Timestamp::now().as_second().rem_euclid(60);
    if second > 45 {
        tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
    }
    assert_eq!(server.get("/").await.status(), 200);
    let search = async |n: usize, from: &str| {
        server
            .client()
            .get(format!("{}/api/papers/search?q=language{n}", server.base_url))
            .header("x-forwarded-for", from)
            .send()
            .await
            .unwrap()
    };
    for n in 0..4 {
        assert_eq!(search(n, "127.0.0.1").await.status(), 200);
    }
    let refused = search(5, "127.0.0.1").await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["status"], 429);
    assert_eq!(server.get("/search?q=more").await.status(), 429, "the page too");
    assert_eq!(server.get("/").await.status(), 200, "a cached page is free");
    assert_eq!(server.get("/healthz").await.status(), 200, "health checks are free");
    assert_eq!(
        search(6, "198.51.100.7").await.status(),
        200,
        "another client has its own share"
    );
    server.terminate();
}

/// The account page showed a new API token once, with no `Cache-Control`: a shared cache or the
/// browser's could keep it. Every answer that depends on who asks now says `no-store`.
#[tokio::test]
async fn personal_pages_are_never_stored_by_a_cache() {
    use crate::digest::{confirm, subscribe};
    use crate::helpers::SignedIn;
    let member = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let server = &member.server;
    let subscribed = subscribe(server, &[("email", "bo@example.org"), ("frequency", "daily")]).await;
    assert_eq!(subscribed.status(), 200);
    let manage = confirm(server, &member.smtp, "bo@example.org").await;
    let unsubscribe = manage.replacen("/subscription/", "/unsubscribe/", 1);
    assert_eq!(server.ask_for_sign_in_link("cy@example.org").await.status(), 200);
    let mail = member.smtp.wait_for_message_to("cy@example.org");
    let sign_in_link = crate::helpers::link_in(&mail, &server.base_url, "/login/");
    let personal_gets = [
        "/account".to_owned(),
        "/account/subscription".to_owned(),
        "/admin".to_owned(),
        "/submit".to_owned(),
        "/api/me/votes?ids=2602.11096".to_owned(),
        manage,
        unsubscribe,
        sign_in_link,
    ];
    for path in &personal_gets {
        let response = server
            .client()
            .get(format!("{}{path}", server.base_url))
            .header("cookie", &member.cookie)
            .send()
            .await
            .unwrap();
        let cache_control = response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            cache_control.as_deref(),
            Some("no-store"),
            "{path} ({})",
            response.status()
        );
    }
    let token_page = server
        .client()
        .post(format!("{}/account/tokens", server.base_url))
        .header("cookie", &member.cookie)
        .header("origin", &server.base_url)
        .form(&[("name", "laptop"), ("csrf", member.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        token_page.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    assert!(
        token_page.text().await.unwrap().contains("pb_"),
        "the page shows the new token"
    );
    // Pages that are the same for everyone keep their shared, revalidated caching.
    let day = server.get("/papers/date/2026-02-13").await;
    assert_eq!(day.headers()["cache-control"], "no-cache");
}

/// `/search?page=4611686018427387905` wrapped round to page 1, and `/api/daily_papers?p=10000`
/// answered 400 although 0–10,000 is documented. Every page number is checked against its range
/// before any arithmetic, and the range is the documented one.
#[tokio::test]
async fn page_numbers_are_range_checked_as_documented() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_READS_PER_CLIENT", "0")]);
    let refused = [
        (
            "/search?q=language&page=4611686018427387905",
            "page must be a number from 1 to 51",
        ),
        ("/search?q=language&page=52", "page must be a number from 1 to 51"),
        ("/search?q=language&page=0", "page must be a number from 1 to 51"),
        (
            "/api/papers/search?q=language&limit=100&page=12",
            "page must be a number from 1 to 11",
        ),
        (
            "/api/papers/search?q=language&page=18446744073709551617",
            "page must be a number",
        ),
        ("/api/daily_papers?p=10001", "p must be a whole number from 0 to 10000"),
        ("/api/daily_papers?p=-1", "p must be a whole number from 0 to 10000"),
        (
            "/papers/date/2026-02-13?page=10002",
            "page must be a number from 1 to 10001",
        ),
        (
            "/papers/month/2026-02/feed.atom?page=99999999999999999999",
            "page must be a number",
        ),
    ];
    for (path, said) in refused {
        let response = server.get(path).await;
        assert_eq!(response.status(), 400, "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains(said), "{path}: {body}");
    }
    let last = server.get("/api/daily_papers?p=10000").await;
    assert_eq!(last.status(), 200, "the last documented page");
    assert_eq!(last.json::<serde_json::Value>().await.unwrap(), serde_json::json!([]));
    assert_eq!(server.get("/search?q=language&page=51").await.status(), 200);
    let openapi = server.json("/api/openapi.json").await;
    let p = &openapi["paths"]["/api/daily_papers"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "p")
        .unwrap()["schema"];
    assert_eq!((p["minimum"].as_u64(), p["maximum"].as_u64()), (Some(0), Some(10_000)));
    server.terminate();
}

/// Asks for a sign-in link for `email` as the client at `from` (through the trusted local
/// proxy), with `cookies` if any; the status and the cookies the answer sets.
async fn ask_for_link(server: &Server, email: &str, from: &str, cookies: &str) -> (u16, Vec<String>) {
    let mut request = server
        .client()
        .post(format!("{}/login", server.base_url))
        .header("origin", &server.base_url)
        .header("x-forwarded-for", from)
        .form(&[("email", email)]);
    if !cookies.is_empty() {
        request = request.header("cookie", cookies);
    }
    let response = request.send().await.unwrap();
    let set: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    (response.status().as_u16(), set)
}

/// Three link requests for one address from three addresses locked its owner out for 15
/// minutes. Now requests past the limits get the same answer and no mail, each client address
/// has a share of its own, and a browser that signed in before always gets its link.
#[tokio::test]
async fn nobody_can_lock_a_member_out_of_signing_in() {
    use crate::helpers::SmtpServer;
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_SMTP_URL", &smtp.url())]);
    // The owner signs in once from their browser, which keeps a mark of it.
    let link = {
        let (status, _) = ask_for_link(&server, "ada@example.org", "192.0.2.10", "").await;
        assert_eq!(status, 200);
        let mail = smtp.wait_for_message_to("ada@example.org");
        crate::helpers::link_in(&mail, &server.base_url, "/login/")
    };
    let signed_in = server.press_sign_in(&link).await;
    assert_eq!(signed_in.status(), 303);
    let known = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|cookie| cookie.starts_with("paperboy_known="))
        .expect("the browser is marked as known");

    // Someone asks for ada's links from many addresses, far past every limit: the same answer.
    for attacker in 1..=5 {
        for _ in 0..3 {
            let (status, _) = ask_for_link(&server, "ada@example.org", &format!("203.0.113.{attacker}"), "").await;
            assert_eq!(status, 200);
        }
    }
    let (status, _) = ask_for_link(&server, "ada@example.org", "203.0.113.1", "").await;
    assert_eq!(status, 200, "held back silently, not refused");
    let mailed = smtp.settled_count_to("ada@example.org");
    assert_eq!(
        mailed, 10,
        "ten links a quarter hour for one address, the owner's first among them"
    );

    // The owner, from the browser that signed in before and from a new address: mailed.
    let (status, _) = ask_for_link(&server, "ada@example.org", "198.51.100.4", &known).await;
    assert_eq!(status, 200);
    assert_eq!(
        smtp.settled_count_to("ada@example.org"),
        mailed + 1,
        "the owner gets a link"
    );
    // A made-up mark does not pass.
    let (status, _) = ask_for_link(&server, "ada@example.org", "198.51.100.5", "paperboy_known=00ff").await;
    assert_eq!(status, 200);
    assert_eq!(smtp.settled_count_to("ada@example.org"), mailed + 1);
    // Another address's owner is not affected at all.
    ask_for_link(&server, "bo@example.org", "203.0.113.1", "").await;
    smtp.wait_for_message_to("bo@example.org");
    server.terminate();
}

/// A sign-in link did not say which account it signs in to and worked in any browser: an
/// attacker could mail a victim their own link and have the victim work in the attacker's
/// account (login CSRF). The page now names the address, and says so plainly when the link was
/// asked for in another browser, which may still go on.
#[tokio::test]
async fn a_sign_in_link_says_whom_it_signs_in_and_where_it_was_asked_for() {
    use crate::helpers::SmtpServer;
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_SMTP_URL", &smtp.url())]);
    let (status, cookies) = ask_for_link(&server, "mallory@example.org", "192.0.2.66", "").await;
    assert_eq!(status, 200);
    let binding = cookies
        .iter()
        .find(|cookie| cookie.starts_with("paperboy_login_request="))
        .expect("the asking browser is marked")
        .clone();
    let mail = smtp.wait_for_message_to("mallory@example.org");
    let link = crate::helpers::link_in(&mail, &server.base_url, "/login/");
    let open = async |cookie: Option<&str>| {
        let mut request = server.client().get(format!("{}{link}", server.base_url));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap().text().await.unwrap()
    };
    let here = open(Some(&binding)).await;
    assert!(here.contains("as mallory@example.org"), "{here}");
    assert!(here.contains("Press the button to sign in."));
    assert!(!here.contains("not asked for in this browser"));
    let elsewhere = open(None).await;
    assert!(elsewhere.contains("as mallory@example.org"));
    assert!(
        elsewhere.contains("This link was not asked for in this browser"),
        "{elsewhere}"
    );
    let forged = open(Some("paperboy_login_request=0123")).await;
    assert!(forged.contains("not asked for in this browser"));
    // Opened elsewhere, it still signs in once the person presses the button.
    let signed_in = server.press_sign_in(&link).await;
    assert_eq!(signed_in.status(), 303);
    let used = server.get(&link).await;
    assert_eq!(used.status(), 400);
    assert!(used.text().await.unwrap().contains("used already or has expired"));
    server.terminate();
}

/// Profiles were `/users/1…N`, so every member could be listed, and the default name was the
/// part of the address before the `@`. Now a profile's address is random and the default name
/// is made from it.
#[tokio::test]
async fn members_cannot_be_listed_and_their_addresses_are_never_shown() {
    use crate::helpers::SignedIn;
    let member = SignedIn::start(Instance::with_demo_data(), "zyxwvut@example.org", &[]).await;
    let profile = &member.profile;
    assert!(
        profile.len() == 24 && profile.bytes().all(|b| b.is_ascii_hexdigit()),
        "an unguessable id, not a number: {profile}"
    );
    for n in 1..=3 {
        assert_eq!(member.server.get(&format!("/users/{n}")).await.status(), 404);
    }
    let page = member.server.text(&format!("/users/{profile}")).await;
    assert!(page.contains(&format!("Reader {}", &profile[..6])), "the default name");
    assert!(
        !page.contains("zyxwvut"),
        "nothing of the address on the public profile"
    );
    let account = member.page("/account").await;
    assert!(
        account.contains(&format!("value=\"Reader {}\"", &profile[..6])),
        "the name to change"
    );
    member.server.terminate();
}

/// A banned member's votes still counted. Now a ban takes them out of every ranking at the next
/// content version (the running server follows it within a second), and lifting it puts them
/// back.
#[tokio::test]
async fn a_banned_members_votes_leave_the_rankings_and_come_back_when_the_ban_is_lifted() {
    use crate::helpers::SignedIn;
    let member = SignedIn::start(Instance::with_demo_data(), "mallory@example.org", &[]).await;
    let token = member.make_api_token("votes").await;
    let server = &member.server;
    let paper = "2602.11096";
    let voted = server
        .client()
        .post(format!("{}/api/papers/{paper}/upvote", server.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(voted.status(), 200);
    // The day's list (a cached answer) as the rankings see it: the paper's upvotes there.
    let day = server.json(&format!("/api/papers/{paper}")).await["submittedOnDailyAt"]
        .as_str()
        .unwrap()[..10]
        .to_owned();
    let listed_votes = async || {
        let items = server
            .json(&format!("/api/daily_papers?date={day}&limit=100&sort=new"))
            .await;
        let item = items
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["paper"]["id"] == paper)
            .cloned();
        item.expect("the paper is on its day's list")["paper"]["upvotes"]
            .as_i64()
            .unwrap()
    };
    let with_the_vote = listed_votes().await;
    let run = member.instance.run(&["users", "ban", "mallory@example.org"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let settle = async |wanted: i64| {
        let started = Instant::now();
        while listed_votes().await != wanted {
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the ranking follows within a refresh"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    settle(with_the_vote - 1).await;
    let run = member.instance.run(&["users", "unban", "mallory@example.org"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    settle(with_the_vote).await;
}

/// The same-origin check compared only what follows `://`, so `Origin: https://host` passed on
/// an http instance. Scheme, host and port are compared now.
#[tokio::test]
async fn an_origin_of_another_scheme_or_port_is_cross_site() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    let host = server.base_url.trim_start_matches("http://").to_owned();
    let (name, port) = host.rsplit_once(':').unwrap();
    let post = async |origin: &str| {
        server
            .client()
            .post(format!("{}/login", server.base_url))
            .header("origin", origin)
            .form(&[("email", "ada@example.org")])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let other_port = format!("http://{name}:{}", port.parse::<u16>().unwrap() + 1);
    for origin in [
        format!("https://{host}"),
        other_port,
        format!("http://{name}"),
        "null".to_owned(),
    ] {
        assert_eq!(post(&origin).await, 403, "{origin}");
    }
    assert_eq!(post(&server.base_url).await, 200, "the site's own origin");
    server.terminate();
}
