//! The web security sweep: hostile text wherever it is shown (pages, feeds, mail), cross-site
//! state changes, redirects, mail headers, static paths, bounded requests and slow clients,
//! security headers and cookies, and secrets kept out of the log.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::json;

use crate::digest::{NO_CLOCK, confirm, digest_run, received, subscribe};
use crate::helpers::{Instance, SignedIn, SmtpServer, between_all, link_in};

const SCRIPT: &str = "<script>alert('xss')</script>";
const ATTRIBUTE: &str = "\"><img src=x onerror=alert('xss')>";
const LINK: &str = "javascript:alert('xss')";

/// The demo data plus one paper carrying hostile markup in every field a source can fill,
/// listed on 13 February 2026 with Hugging Face votes and code links that are scripts.
pub(crate) fn hostile_instance() -> Instance {
    let instance = Instance::with_demo_data();
    let dir = tempfile::tempdir().unwrap();
    let listing = dir.path().join("hostile.jsonl");
    let line = json!({
        "id": "2602.99997",
        "title": format!("Hostile {SCRIPT} title {ATTRIBUTE}"),
        "authors": [ATTRIBUTE, format!("Eve {SCRIPT}")],
        "categories": ["cs.CL", "cs.<script>"],
        "comment": format!("{SCRIPT} comment {ATTRIBUTE}"),
        "abstract": format!("Abstract {SCRIPT} {ATTRIBUTE} and math $\\href{{{LINK}}}{{click}}$ $x<y$"),
        "first_listed": "2026-02-13",
        "listed_on": ["2026-02-13"],
    });
    std::fs::write(&listing, format!("{line}\n")).unwrap();
    let hugging_face = dir.path().join("daily_papers.json");
    let daily = json!([{"paper": {
        "id": "2602.99997", "title": format!("Hostile {SCRIPT} title {ATTRIBUTE}"), "upvotes": 500,
        "publishedAt": "2026-02-12T00:00:00.000Z", "submittedOnDailyAt": "2026-02-13T00:00:00.000Z",
        "githubRepo": LINK, "projectPage": LINK,
    }}]);
    std::fs::write(&hugging_face, daily.to_string()).unwrap();
    let run = instance.import(&[&listing, &hugging_face]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    instance
}

/// No markup from the hostile fields survives as markup: it may only appear escaped, as text.
pub fn assert_inert(what: &str, html: &str) {
    let lower = html.to_ascii_lowercase();
    for raw in [
        "<script>alert",
        "<img src=x",
        "href=\"javascript:",
        "src=\"javascript:",
        "href='javascript:",
    ] {
        assert!(!lower.contains(raw), "{what} carries {raw:?} as markup");
    }
}

#[tokio::test]
async fn hostile_text_is_shown_as_text_in_pages_feeds_and_mail() {
    let eve = SignedIn::start(hostile_instance(), "eve@example.org", &[]).await;
    let (server, smtp, cookie, csrf) = (&eve.server, &eve.smtp, &eve.cookie, &eve.csrf);
    // A display name is hostile text too.
    let renamed = server
        .client()
        .post(format!("{}/account", server.base_url))
        .header("cookie", cookie)
        .header(ORIGIN, &server.base_url)
        .form(&[
            ("display_name", "<script>alert(1)</script>\"><img src=x>"),
            ("csrf", csrf),
        ])
        .send()
        .await
        .unwrap();
    assert!(renamed.status().is_success(), "{}", renamed.status());
    let encoded_script = "%3Cscript%3Ealert('xss')%3C%2Fscript%3E";
    for path in [
        "/papers/date/2026-02-13?sort=new".to_owned(),
        "/papers/date/2026-02-13".to_owned(),
        "/papers/week/2026-W07".to_owned(),
        "/papers/month/2026-02".to_owned(),
        "/papers/2602.99997".to_owned(),
        "/search?q=hostile".to_owned(),
        format!("/search?q={encoded_script}"),
        format!("/search?q=hostile&cat={encoded_script}&from={encoded_script}"),
        format!("/papers/date/2026-02-13?cat={encoded_script}&sort={encoded_script}"),
        format!("/papers/{encoded_script}"),
        format!("/users/{}", eve.profile),
        "/account".to_owned(),
    ] {
        let html = eve.page(&path).await;
        assert_inert(&path, &html);
    }
    let shown = eve.page(&format!("/users/{}", eve.profile)).await;
    assert!(
        shown.contains("&#60;script&#62;alert(1)"),
        "the display name is shown, as text"
    );
    let paper = server.text("/papers/2602.99997").await;
    assert!(
        paper.contains("Hostile &#60;script&#62;"),
        "the title is shown, as text"
    );
    assert!(
        paper.contains("href=\"https://arxiv.org/abs/2602.99997\""),
        "the paper's own links stay"
    );

    // Feeds: readers take Atom text constructs by their type and RSS descriptions as HTML, so
    // whatever a reader would read as HTML must hold no markup of ours.
    for path in [
        "/papers/date/2026-02-13/feed.atom?sort=new",
        "/papers/date/2026-02-13/feed.rss?sort=new",
        "/papers/week/2026-W07/feed.atom",
        "/feeds/search.atom?q=hostile",
    ] {
        let body = server.get(path).await.bytes().await.unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path}: {e}"));
        let hostile: Vec<_> = feed
            .entries
            .iter()
            .filter(|entry| {
                entry.id.contains("2602.99997") || entry.links.iter().any(|l| l.href.contains("2602.99997"))
            })
            .collect();
        assert_eq!(hostile.len(), 1, "{path} lists the hostile paper once");
        for text in hostile[0].title.iter().chain(&hostile[0].summary) {
            if text.content_type.subty() == "html" {
                assert_inert(path, &text.content);
            } else {
                assert!(
                    text.content.contains("<script>"),
                    "{path}: plain text keeps the characters as they were"
                );
            }
        }
    }
    let json = server.get("/papers/date/2026-02-13/feed.json?sort=new").await;
    assert!(json.headers()[CONTENT_TYPE].to_str().unwrap().contains("json"));
    let api = server.get("/api/papers/2602.99997").await;
    assert!(
        api.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");

    // Mail: the day's digest lists the paper; its HTML part shows the markup as text.
    subscribe(server, &[("email", "ada@example.org"), ("categories", "cs.CL")]).await;
    confirm(server, smtp, "ada@example.org").await;
    let run = digest_run(
        &eve.instance,
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            ("PAPERBOY_PUBLIC_URL", &server.base_url),
        ],
        &["--frequency", "daily", "--date", "2026-02-13"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let messages = received(smtp);
    let digest = messages
        .iter()
        .find(|m| m.to == "ada@example.org" && m.subject.starts_with("Trending papers"))
        .expect("a digest");
    assert!(digest.html.contains("Hostile &"), "the digest lists the hostile paper");
    assert_inert("the digest's HTML", &digest.html);
    assert!(
        digest.text.contains(&format!("Hostile {SCRIPT}")),
        "plain text stays as it was"
    );
    for message in &messages {
        assert!(!message.headers.contains_key("bcc"), "no message grew a Bcc header");
    }
}

/// A redirect target that stays on this site in every browser: a path, not `//host`, and
/// nothing browsers drop or rewrite (tabs, line breaks, backslashes) to make it one.
fn on_this_site(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

#[tokio::test]
async fn cross_site_requests_redirects_mail_headers_and_static_paths_are_refused() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let (instance, server, smtp, cookie, csrf) = (&ada.instance, &ada.server, &ada.smtp, &ada.cookie, &ada.csrf);
    let base = &server.base_url;
    let manage = {
        subscribe(server, &[("email", "bo@example.org")]).await;
        confirm(server, smtp, "bo@example.org").await
    };
    assert!(instance.run(&["users", "promote", "ada@example.org"]).code == 0);
    let stats_before = instance.stats();

    // Every state-changing form, with the member's cookie and CSRF value, from another site:
    // refused, whether the browser says so with Origin or only with Sec-Fetch-Site.
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/papers/2602.11096/upvote".into(), vec![("next", "/")]),
        ("/account".into(), vec![("display_name", "Mallory"), ("csrf", csrf)]),
        ("/account/tokens".into(), vec![("name", "stolen"), ("csrf", csrf)]),
        ("/account/tokens/1/revoke".into(), vec![("csrf", csrf)]),
        (
            "/account/subscription".into(),
            vec![("action", "unsubscribe"), ("csrf", csrf)],
        ),
        ("/submit".into(), vec![("paper", "2602.11096"), ("csrf", csrf)]),
        (
            "/admin/papers".into(),
            vec![("paper", "2602.11096"), ("hidden", "true"), ("csrf", csrf)],
        ),
        ("/logout".into(), vec![("csrf", csrf)]),
        ("/login".into(), vec![("email", "mallory@example.org")]),
        ("/subscribe".into(), vec![("email", "mallory@example.org")]),
        (manage.clone(), vec![("action", "unsubscribe")]),
    ];
    for (path, fields) in &forms {
        for (header, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
            let response = server
                .client()
                .post(format!("{base}{path}"))
                .header("cookie", cookie)
                .header(header, value)
                .form(fields)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{path} from another site ({header}: {value})");
        }
    }
    assert_eq!(instance.stats(), stats_before, "nothing changed");
    assert!(
        ada.page("/account").await.contains("ada@example.org"),
        "still signed in"
    );
    assert!(
        server.text(&manage).await.contains("bo@example.org"),
        "still subscribed"
    );

    // Redirects after signing in or voting stay on this site.
    let client = server.client();
    for next in [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
    ] {
        let form = client
            .get(format!("{base}/login"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        let form = form.text().await.unwrap();
        let kept = between_all(&form, "name=\"next\" value=\"", "\"");
        assert!(kept.iter().all(|value| on_this_site(value)), "{next:?} → {kept:?}");
        let voted = client
            .post(format!("{base}/papers/2602.11096/upvote"))
            .header("cookie", cookie)
            .header(ORIGIN, base)
            .form(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(voted.status(), 303);
        let location = voted.headers()[LOCATION].to_str().unwrap();
        assert!(on_this_site(location), "{next:?} → {location}");
    }

    // An address with a line break cannot add a header to the mail sent to it.
    for path in ["/login", "/subscribe"] {
        let response = client
            .post(format!("{base}{path}"))
            .header(ORIGIN, base)
            .form(&[("email", "mallory@example.org\r\nBcc: victim@example.org")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for message in received(smtp) {
        assert!(!message.to.contains("victim") && !message.headers.contains_key("bcc"));
    }

    // Static files come from inside the binary by name: no path leads out.
    for path in [
        "/static/1/../../Cargo.toml",
        "/static/1/%2e%2e/%2e%2e/Cargo.toml",
        "/static/1/..%2f..%2fCargo.toml",
        "/static/1/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static/1/app.js/../../../../etc/passwd",
        "/static/1/%2fetc%2fpasswd",
    ] {
        let mut stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = &answer[9..12];
        assert!(status == "404" || status == "400", "{path}: {status}");
        assert!(
            !answer.contains("[package]") && !answer.contains("root:"),
            "{path} leaked a file"
        );
    }
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    let client = server.client();
    let base = &server.base_url;
    let too_big = client
        .post(format!("{base}/subscribe"))
        .header(ORIGIN, base)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("email={}", "a".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413, "a body over 64 KiB");
    let mut responses = vec![("413".to_owned(), too_big)];
    for path in [
        "/",
        "/papers/2602.11096",
        "/papers/2602.99999",
        "/api/daily_papers?date=2026-02-13",
        "/papers/date/2026-02-13/feed.atom",
        "/static/1/app.js",
        "/healthz",
    ] {
        responses.push((
            path.to_owned(),
            client.get(format!("{base}{path}")).send().await.unwrap(),
        ));
    }
    for (what, response) in &responses {
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert!(!header("referrer-policy").is_empty(), "{what}");
        let policy = header("content-security-policy");
        assert!(policy.contains("frame-ancestors 'none'"), "{what}: {policy}");
        // Scripts fall under script-src, or default-src when there is none: neither may allow
        // inline scripts or eval.
        let scripts = policy
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src "))
            .or_else(|| policy.split(';').map(str::trim).find(|d| d.starts_with("default-src ")))
            .unwrap_or_else(|| panic!("{what}: no policy for scripts in {policy}"));
        assert!(
            !scripts.contains("unsafe-inline") && !scripts.contains("unsafe-eval") && !scripts.contains('*'),
            "{what}: {scripts}"
        );
    }
}

#[tokio::test]
async fn session_cookies_are_http_only_same_site_and_secure_behind_https() {
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let public = "https://paperboy.example";
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            ("PAPERBOY_PUBLIC_URL", public),
            NO_CLOCK,
        ],
    );
    let base = &server.base_url;
    let asked = server
        .client()
        .post(format!("{base}/login"))
        // The browser is on the public https address; its origin is that, not the backend's.
        .header(ORIGIN, public)
        .form(&[("email", "ada@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    let link = link_in(&smtp.wait_for_message_to("ada@example.org"), public, "/login/");
    let signed_in = server
        .client()
        .post(format!("{base}{}", link.split('?').next().unwrap()))
        .header(ORIGIN, public)
        .form(&[("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(
            cookie.split("; ").any(|part| part == flag),
            "{flag} missing from {cookie}"
        );
    }
}

#[tokio::test]
async fn secrets_stay_out_of_the_log() {
    let settings = [("PAPERBOY_ACCESS_LOG", "true"), ("RUST_LOG", "debug")];
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &settings).await;
    let (server, smtp, cookie, csrf) = (&ada.server, &ada.smtp, &ada.cookie, &ada.csrf);
    let base = &server.base_url;
    let login_link = link_in(&smtp.wait_for_message_to("ada@example.org"), base, "/login/");
    let manage = {
        subscribe(server, &[("email", "bo@example.org")]).await;
        confirm(server, smtp, "bo@example.org").await
    };
    let api_token = ada.make_api_token("laptop").await;
    let voted = server
        .client()
        .post(format!("{base}/api/papers/2602.11096/upvote"))
        .bearer_auth(&api_token)
        .send()
        .await
        .unwrap();
    assert!(voted.status().is_success(), "{}", voted.status());
    server.get(&manage).await;
    let log = server.log();
    assert!(
        log.contains("/subscription/…"),
        "the access log names the path, without its secret"
    );
    let login_token = login_link.trim_start_matches("/login/").split('?').next().unwrap();
    // The settings page the confirmation leads to carries `?confirmed=1`: not part of the secret.
    let manage_token = manage.trim_start_matches("/subscription/").split('?').next().unwrap();
    assert!(manage_token.len() > 20, "a whole secret: {manage_token}");
    let session = cookie.split_once('=').unwrap().1;
    for (what, secret) in [
        ("sign-in link", login_token),
        ("manage link", manage_token),
        ("session", session),
        ("CSRF value", csrf.as_str()),
        ("API token", api_token.as_str()),
    ] {
        assert!(!log.contains(secret), "the log holds the {what}");
    }
}

/// Raw requests: a head sent too slowly is cut off, a body sent too slowly is answered 408, an
/// oversized head is answered 431, and other clients are served all the while.
#[tokio::test]
async fn oversized_heads_and_slow_clients_are_cut_off_while_others_are_served() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    let address = server.base_url.trim_start_matches("http://").to_owned();
    let too_long = server
        .client()
        .get(format!("{}/", server.base_url))
        .header("x-filler", "a".repeat(40_000))
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), 431, "a 40 KB header");
    let slow = |opening: &'static str| {
        let address = address.clone();
        tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(&address).unwrap();
            stream.write_all(opening.as_bytes()).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
            let started = Instant::now();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            (started.elapsed(), String::from_utf8_lossy(&answer).into_owned())
        })
    };
    let slow_head = slow("GET / HTTP/1.1\r\nHost: x\r\n");
    let slow_body = slow(
        "POST /subscribe HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a",
    );
    for _ in 0..20 {
        assert_eq!(server.get("/").await.status(), 200, "others are served meanwhile");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (waited, answer) = slow_head.await.unwrap();
    assert!(waited < Duration::from_secs(20), "a slow head held on for {waited:?}");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    let (waited, answer) = slow_body.await.unwrap();
    assert!(waited < Duration::from_secs(25), "a slow body held on for {waited:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}
