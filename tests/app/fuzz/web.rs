//! Fuzz targets for what the web server decodes: request lines, query strings and form bodies
//! on every route, and the secrets that stand for a person (manage links, session cookies, API
//! and sign-in tokens). Both run against a real server process over raw TCP, so even requests
//! no HTTP client would send get through.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::{Target, fuzz};
use crate::digest::{confirm, subscribe};
use crate::fake_arxiv::FakeArxiv;
use crate::helpers::{Instance, SignedIn, link_in};

/// A server on the demo data with a member signed in, its limits raised: fuzzing writes far
/// more than a person, and the limits would answer nearly all of it. Submissions ask a local
/// arXiv that knows no generated id (the real one is out of reach here, and an unreachable arXiv
/// is an honest 502).
async fn site() -> SignedIn {
    let arxiv = FakeArxiv::start().await;
    let arxiv_url = format!("{}/api/query", arxiv.base_url);
    let settings = [
        ("PAPERBOY_ACCESS_LOG", "false"),
        ("PAPERBOY_WRITES_PER_CLIENT", "100000000"),
        ("PAPERBOY_READS_PER_CLIENT", "0"),
        ("PAPERBOY_SUBSCRIBE_REQUESTS_PER_CLIENT", "100000000"),
        ("PAPERBOY_ARXIV_API_URL", &arxiv_url),
        ("PAPERBOY_ARXIV_MIN_INTERVAL", "0"),
    ];
    SignedIn::start(Instance::with_demo_data(), "ada@example.org", &settings).await
}

/// Sends `head` (a request line, a header or two) and `body` as one raw request; the status
/// answered, or `None` when the server closed without answering.
fn send(site: &SignedIn, head: &[u8], extra_headers: &str, body: &[u8]) -> Option<u16> {
    let address = site.server.base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("the server accepts connections");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = head.to_vec();
    request.extend_from_slice(
        format!(
            " HTTP/1.1\r\nHost: {address}\r\nOrigin: {}\r\n{extra_headers}\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            site.server.base_url,
            body.len()
        )
        .as_bytes(),
    );
    request.extend_from_slice(body);
    // A request the server refuses early may be cut off while it is still being written.
    let _ = stream.write_all(&request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let status = answer.strip_prefix(b"HTTP/1.1 ")?.get(..3)?;
    std::str::from_utf8(status).ok()?.parse().ok()
}

/// Dies loudly if the server process is gone, with its log.
fn assert_alive(site: &SignedIn) {
    let address = site.server.base_url.trim_start_matches("http://");
    assert!(
        TcpStream::connect(address).is_ok(),
        "the server stopped answering; its log:\n{}",
        site.server.log()
    );
}

/// The first path segments of the site's routes.
const SEGMENTS: &[&str] = &[
    "",
    "account",
    "admin",
    "api",
    "feeds",
    "healthz",
    "login",
    "logout",
    "metrics",
    "papers",
    "readyz",
    "search",
    "static",
    "submit",
    "subscribe",
    "subscription",
    "unsubscribe",
    "users",
];

#[test]
fn fuzz_query_strings_and_forms() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let site = runtime.block_on(site());
    // `METHOD target` on the first line, the form body after it.
    let seeds = [
        "GET /search?q=graph+neural&mode=keyword&sort=new&cat=cs.LG&from=2026-01-01&until=2026-02-13".to_owned(),
        "GET /search?q=%22attention%22+-vision&sort=votes&page=2".to_owned(),
        "GET /feeds/search.atom?q=ti%3Agraph&cat=cs".to_owned(),
        "GET /api/search?q=graph&limit=5&offset=10".to_owned(),
        "GET /api/daily_papers?date=2026-02-13&limit=10&p=1&sort=trending".to_owned(),
        "GET /api/papers/2602.11096".to_owned(),
        "GET /papers/date/2026-02-13?sort=new&cat=cs.CL&page=2".to_owned(),
        "GET /papers/week/2026-W07?sort=trending".to_owned(),
        "GET /papers/month/2026-02/feed.rss".to_owned(),
        "GET /papers/2602.11096v2".to_owned(),
        "GET /papers/voted?ids=2602.11096,2602.10111".to_owned(),
        "GET /static/1/style.css".to_owned(),
        "GET /login?next=/account".to_owned(),
        "GET /users/1".to_owned(),
        "POST /papers/2602.11096\nnext=%2Fpapers%2F2602.11096&csrf=CSRF".to_owned(),
        "POST /subscribe\nemail=bo%40example.org&frequency=weekly&categories=cs.LG&categories=cs.CL&keywords=graph&max_papers=20".to_owned(),
        "POST /account\ndisplay_name=Ada+L.&csrf=CSRF".to_owned(),
        "POST /account/tokens\nname=laptop&csrf=CSRF".to_owned(),
        "POST /submit\npaper=2602.11096&csrf=CSRF".to_owned(),
        "POST /login\nemail=cy%40example.org&next=%2F".to_owned(),
        "POST /api/papers/index\n".to_owned(),
    ];
    let target = Target {
        name: "query_strings_and_forms",
        seeds: seeds
            .iter()
            .map(|s| s.replace("CSRF", &site.csrf).into_bytes())
            .collect(),
        dictionary: &[
            "%",
            "%00",
            "%25",
            "%C3%A9",
            "%FF",
            "+",
            "&",
            "=",
            "&&",
            "?",
            "#",
            "/",
            "//",
            "/..",
            "%2e%2e%2f",
            "\\",
            "[]",
            "[0]",
            "=2026-02-30",
            "=-1",
            "=99999999999999999999",
            "=0",
            "&page=",
            "&limit=",
            "&sort=",
            "&cat=",
            "&q=",
            "&next=//evil.example",
            "&next=https://evil.example",
            "&csrf=",
            "&email=",
            "&frequency=",
            "&categories=",
            "&max_papers=",
            "<script>",
            // The search language's operators, which the chain mutation stacks hundreds deep.
            "-",
            "%28",
            "%29",
            "%22",
            "ti%3A",
            "+AND+",
            "+OR+",
            "-%28",
            "\r\n",
            " ",
            "\t",
        ],
    };
    let session = format!("Cookie: {}\r\n", site.cookie);
    fuzz(target, |input| {
        let (head, body) = match input.iter().position(|b| *b == b'\n') {
            Some(at) => (&input[..at], &input[at + 1..]),
            None => (input, &b""[..]),
        };
        let status = send(&site, head, &session, body);
        match status {
            Some(status) if status >= 500 => {
                assert_alive(&site);
                panic!(
                    "{status} for {:?}; the server's log ends:\n{}",
                    String::from_utf8_lossy(input),
                    tail(&site.server.log())
                );
            }
            Some(status) => {
                let method = head.split(|b| *b == b' ').next().unwrap_or_default();
                let method = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
                    .into_iter()
                    .find(|known| known.as_bytes() == method)
                    .unwrap_or("other");
                // The method and the first path segment, if they are the site's, without the
                // query: a mutated method, segment or query string would otherwise count as a
                // behaviour of its own, nearly every input would be "new", and the corpus would
                // fill with garbage that guides nothing.
                let segment = head.split(|b| *b == b'/' || *b == b'?').nth(1).unwrap_or_default();
                let route = SEGMENTS
                    .iter()
                    .find(|known| known.as_bytes() == segment)
                    .unwrap_or(&"other");
                format!("{method} /{route} {status}")
            }
            None => {
                assert_alive(&site);
                "closed".to_owned()
            }
        }
    });
    assert!(!site.server.log().contains("panicked"), "{}", site.server.log());
}

#[test]
fn fuzz_signed_tokens() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let site = runtime.block_on(site());
    let base = &site.server.base_url;
    // A confirmed subscription's manage link, an API token and a sign-in link already used.
    let manage = runtime.block_on(async {
        subscribe(&site.server, &[("email", "bo@example.org")]).await;
        confirm(&site.server, &site.smtp, "bo@example.org").await
    });
    // The settings page the confirmation leads to carries `?confirmed=1`: not part of the secret.
    let manage_token = manage
        .trim_start_matches("/subscription/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let api_token = runtime.block_on(site.make_api_token("fuzz"));
    let used_login = runtime.block_on(async {
        site.server.sign_in(&site.smtp, "cy@example.org").await;
        let mail = site.smtp.wait_for_message_to("cy@example.org");
        link_in(&mail, base, "/login/")
            .trim_start_matches("/login/")
            .split('?')
            .next()
            .unwrap()
            .to_owned()
    });
    let session = site.cookie.split_once('=').unwrap().1.to_owned();
    let cookie_name = site.cookie.split_once('=').unwrap().0.to_owned();
    let target = Target {
        name: "signed_tokens",
        seeds: [&manage_token, &api_token, &used_login, &session]
            .iter()
            .map(|token| token.as_bytes().to_vec())
            .collect(),
        dictionary: &[
            "-", "0", "00", "ff", "%00", "%2F", "/", "..", " ", ";", "=", "pb_", "1-", "-1-", "\u{0}",
        ],
    };
    fuzz(target, |input| {
        let token = String::from_utf8_lossy(input);
        // Raw bytes in a request line or header would be a malformed request, not a forgery; a
        // cookie value ends at `;` or `,` (RFC 6265), so `<session>;` is the session itself.
        if token
            .bytes()
            .any(|b| b <= b' ' || b >= 0x7f || matches!(b, b'?' | b'#' | b';' | b',' | b'"' | b'\\'))
        {
            return "not sendable".to_owned();
        }
        let manage = send(&site, format!("GET /subscription/{token}").as_bytes(), "", b"");
        let api = send(
            &site,
            b"POST /api/papers/2602.11096/upvote",
            &format!("Authorization: Bearer {token}\r\n"),
            b"",
        );
        let account = send(
            &site,
            b"GET /account",
            &format!("Cookie: {cookie_name}={token}\r\n"),
            b"",
        );
        let login = send(&site, format!("POST /login/{token}").as_bytes(), "", b"next=%2F");
        let outcome = [manage, api, account, login];
        assert!(
            outcome.iter().all(|status| status.is_some_and(|s| s < 500)),
            "{token:?}: {outcome:?}\n{}",
            tail(&site.server.log())
        );
        assert_eq!(
            manage == Some(200),
            token == manage_token,
            "{token:?} opened a manage page"
        );
        // The member's own votes are limited (per account, not per address, so the raised
        // limits above do not lift it): after enough of them, the real token's vote is a 429,
        // which only a token that signed someone in can get.
        assert_eq!(
            matches!(api, Some(200 | 429)),
            token == api_token,
            "{token:?} as an API token: {api:?}"
        );
        assert_eq!(
            account == Some(200),
            token == session,
            "{token:?} as a session: {account:?}"
        );
        assert_ne!(
            login,
            Some(303),
            "{token:?} signed someone in with a used or made-up link"
        );
        format!("{outcome:?}")
    });
}

fn tail(log: &str) -> &str {
    &log[log.len().saturating_sub(3_000)..]
}
