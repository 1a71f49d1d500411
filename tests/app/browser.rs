//! What a person sees, checked in a real browser: headless Chromium driven by chromedriver over
//! the W3C WebDriver protocol (plain JSON over HTTP, so no client crate is needed). Screenshots
//! land in `target/screenshots/` for people to look at.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{Instance, Server, link_in};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        assert!(
            std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists(),
            "browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver); .ci/run installs them"
        );
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = http.get(format!("{base}/status")).send().await
                && let Ok(status) = response.json::<Value>().await
                && status["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        // The flags keep Chromium off the network it cannot reach here (see the machine notes).
        let arguments = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": arguments}
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Browser {
            driver,
            base,
            session,
            http,
            _profile: profile,
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if answer["value"].get("error").is_some() {
            panic!("webdriver {path}: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    async fn open(&self, url: &str) {
        self.command(reqwest::Method::POST, "url", Some(json!({"url": url})))
            .await;
    }

    async fn run(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    async fn resize(&self, width: u32, height: u32) {
        self.command(
            reqwest::Method::POST,
            "window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Waits until `script` returns true (math renders after the deferred scripts run).
    async fn wait_for(&self, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.run(script).await != Value::Bool(true) {
            assert!(Instant::now() < deadline, "timed out waiting for: {script}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let encoded = self.command(reqwest::Method::GET, "screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap())
            .unwrap();
        let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Text of the abstracts on the page with rendered math taken out: what is left must hold no `$`.
const RAW_DOLLARS_LEFT: &str = r#"
    return Array.from(document.querySelectorAll('.abstract.math, h1.math, .title.math')).map(function (element) {
        var copy = element.cloneNode(true);
        copy.querySelectorAll('.katex, .katex-display').forEach(function (k) { k.remove(); });
        return copy.textContent;
    }).filter(function (text) { return text.indexOf('$') >= 0; });
"#;

const NO_HORIZONTAL_SCROLL: &str = "return { scroll: document.documentElement.scrollWidth, viewport: window.innerWidth, body: document.body.scrollWidth };";

async fn server_with_math() -> (Instance, Server) {
    let instance = Instance::with_demo_data();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("math.jsonl");
    let mut out = std::fs::File::create(&file).unwrap();
    writeln!(out, "{}", json!({
        "id": "2603.00001", "title": "Bounds for $\\mathcal{O}(n \\log n)$ sorting <b>networks</b>",
        "authors": ["Ada Lovelace"], "categories": ["cs.DS"],
        "abstract": "Inline $E = mc^2$ and $a<b$, display $$\\sum_{i=1}^{n} x_i$$, \\(\\alpha+\\beta\\) and \\[\\int_0^1 f\\]. An unknown macro $\\notamacro{x}$ and broken $\\frac{1}{$ stay readable.",
        "first_listed": "2026-03-02", "listed_on": ["2026-03-02"]
    }))
    .unwrap();
    assert_eq!(instance.import(&[&file]).code, 0);
    let server = instance.spawn_server("serve");
    (instance, server)
}

#[tokio::test]
async fn math_renders_and_pages_fit_a_phone() {
    let (_instance, server) = server_with_math().await;
    let browser = Browser::start().await;
    browser.resize(1280, 1000).await;

    // A real day page whose abstracts carry $…$ math (February's game-theory papers).
    browser
        .open(&format!("{}/papers/date/2026-02-13?cat=cs.GT", server.base_url))
        .await;
    browser
        .wait_for("return document.querySelectorAll('.abstract .katex').length > 3;")
        .await;
    browser
        .wait_for("return document.querySelectorAll('#categories option').length > 100;")
        .await;
    let left = browser.run(RAW_DOLLARS_LEFT).await;
    assert_eq!(left, json!([]), "raw $ left after rendering");
    browser.screenshot("day-page-math-desktop").await;

    // Every delimiter renders; a bad macro and broken TeX leave readable text, not a blank.
    browser
        .open(&format!("{}/papers/date/2026-03-02", server.base_url))
        .await;
    browser
        .wait_for("return document.querySelectorAll('.katex').length >= 5;")
        .await;
    let abstract_text = browser
        .run("return document.querySelector('.abstract').textContent;")
        .await;
    let abstract_text = abstract_text.as_str().unwrap();
    assert!(
        abstract_text.contains("notamacro"),
        "unknown macro stays visible: {abstract_text}"
    );
    assert!(
        abstract_text.contains("stay readable"),
        "text after broken TeX survives: {abstract_text}"
    );
    let display = browser
        .run("return document.querySelectorAll('.katex-display').length;")
        .await;
    assert_eq!(display, json!(2), "$$…$$ and \\[…\\] are display math");
    let title_markup = browser
        .run("return document.querySelector('.card h2').textContent;")
        .await;
    assert!(
        title_markup.as_str().unwrap().contains("<b>networks</b>"),
        "markup in titles is text"
    );

    // A paper page, and both pages at 390 px: nothing wider than the screen.
    browser.open(&format!("{}/papers/2602.11330", server.base_url)).await;
    browser
        .wait_for("return document.querySelectorAll('.abstract .katex').length > 0;")
        .await;
    assert!(
        browser
            .run("return document.querySelector('meta[name=citation_title]') !== null;")
            .await
            == json!(true)
    );
    browser.screenshot("paper-page-desktop").await;
    browser.resize(390, 844).await;
    for (path, name) in [
        ("/papers/2602.11330", "paper-page-390"),
        ("/papers/date/2026-02-13", "day-page-390"),
        ("/papers/date/2026-03-02", "math-page-390"),
    ] {
        browser.open(&format!("{}{path}", server.base_url)).await;
        browser.wait_for("return document.readyState === 'complete';").await;
        let widths = browser.run(NO_HORIZONTAL_SCROLL).await;
        let viewport = widths["viewport"].as_i64().unwrap();
        assert!(viewport <= 400, "the window is phone-sized: {widths}");
        assert!(
            widths["scroll"].as_i64().unwrap() <= viewport,
            "{path} scrolls sideways at {viewport}px: {widths}"
        );
        browser.screenshot(name).await;
    }

    // The abstract expands without a reload.
    browser
        .open(&format!("{}/papers/date/2026-02-13", server.base_url))
        .await;
    let clamped = browser
        .run("return document.querySelector('.card .abstract').clientHeight;")
        .await
        .as_i64()
        .unwrap();
    browser
        .run("document.querySelector('.card .expand-label').click(); return true;")
        .await;
    let expanded = browser
        .run("return document.querySelector('.card .abstract').clientHeight;")
        .await
        .as_i64()
        .unwrap();
    assert!(
        expanded > clamped,
        "Show more expands the abstract ({clamped} → {expanded})"
    );
    let url = browser.command(reqwest::Method::GET, "url", None).await;
    assert_eq!(
        url,
        json!(format!("{}/papers/date/2026-02-13", server.base_url)),
        "no navigation happened"
    );
}

/// Signs `email` in as a reader does: the form, the mailed link, the button it opens; back on
/// `next`, with the header saying Account.
async fn sign_in(browser: &Browser, server: &Server, smtp: &crate::helpers::SmtpServer, email: &str, next: &str) {
    browser.open(&format!("{}/login?next={next}", server.base_url)).await;
    browser
        .run(&format!(
            "document.getElementById('email').value = '{email}'; document.querySelector('form.stacked').submit(); return true;"
        ))
        .await;
    browser
        .wait_for("return document.body.textContent.indexOf('a sign-in link is on its way') >= 0;")
        .await;
    let mail = smtp.wait_for_message_to(email);
    let link = link_in(&mail, &server.base_url, "/login/");
    browser.open(&format!("{}{link}", server.base_url)).await;
    browser
        .run("document.querySelector('.message form button').click(); return true;")
        .await;
    browser
        .wait_for(&format!(
            "return location.pathname === '{next}' && document.getElementById('account-link').textContent === 'Account';"
        ))
        .await;
}

#[tokio::test]
async fn sign_in_through_the_mailed_link_and_vote_without_a_reload() {
    let smtp = crate::helpers::SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_SMTP_URL", &smtp.url())]);
    let browser = Browser::start().await;
    browser.resize(1280, 1000).await;

    sign_in(
        &browser,
        &server,
        &smtp,
        "reader@example.org",
        "/papers/date/2026-02-13",
    )
    .await;

    let before = browser
        .run("return document.querySelector('.card .count').textContent;")
        .await;
    let before: i64 = before.as_str().unwrap().parse().unwrap();
    browser
        .run("window.notReloaded = true; document.querySelector('.card .vote-button').click(); return true;")
        .await;
    browser
        .wait_for(&format!(
            "return document.querySelector('.card .count').textContent === '{}';",
            before + 1
        ))
        .await;
    assert_eq!(
        browser.run("return window.notReloaded === true;").await,
        json!(true),
        "the count changed in place"
    );
    assert_eq!(
        browser
            .run("return document.querySelector('.card .vote-button').getAttribute('aria-pressed');")
            .await,
        json!("true")
    );
    browser.screenshot("voted-in-place").await;
    browser
        .run("document.querySelector('.card .vote-button').click(); return true;")
        .await;
    browser
        .wait_for(&format!(
            "return document.querySelector('.card .count').textContent === '{before}';"
        ))
        .await;

    // Saving in place too: two papers into the library, still there after a reload, one out.
    browser
        .run("window.notReloaded = true; document.querySelectorAll('.card .save-button')[0].click(); return true;")
        .await;
    browser
        .wait_for("return document.querySelectorAll('.card .save-button')[0].textContent === 'Saved';")
        .await;
    browser
        .run("document.querySelectorAll('.card .save-button')[1].click(); return true;")
        .await;
    browser
        .wait_for("return document.querySelectorAll('.card .save-button')[1].getAttribute('aria-pressed') === 'true';")
        .await;
    assert_eq!(
        browser.run("return window.notReloaded === true;").await,
        json!(true),
        "saved in place"
    );
    browser
        .open(&format!("{}/papers/date/2026-02-13", server.base_url))
        .await;
    browser
        .wait_for("return document.querySelectorAll('.card .save-button[aria-pressed=true]').length === 2;")
        .await;
    browser
        .run("document.querySelectorAll('.card .save-button')[0].click(); return true;")
        .await;
    browser
        .wait_for("return document.querySelectorAll('.card .save-button[aria-pressed=true]').length === 1;")
        .await;
    assert_eq!(
        browser
            .run("return document.querySelectorAll('.card .save-button')[0].textContent;")
            .await,
        json!("Save")
    );
}

#[tokio::test]
async fn subscribe_from_the_banner_confirm_and_see_the_settings() {
    let smtp = crate::helpers::SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_SMTP_URL", &smtp.url())]);
    let browser = Browser::start().await;
    browser.resize(390, 844).await;

    browser
        .open(&format!("{}/papers/date/2026-02-13", server.base_url))
        .await;
    browser
        .run("document.querySelector('.banner a.button').click(); return true;")
        .await;
    browser.wait_for("return location.pathname === '/subscribe';").await;
    assert_eq!(
        browser
            .run("return document.documentElement.scrollWidth <= window.innerWidth;")
            .await,
        json!(true),
        "the form fits a phone"
    );
    browser
        .run(
            "document.getElementById('email').value = 'reader@example.org';
             document.querySelector('input[name=frequency][value=weekly]').checked = true;
             document.getElementById('categories').value = 'cs.CL';
             document.querySelector('form.stacked button').click(); return true;",
        )
        .await;
    browser
        .wait_for("return document.body.textContent.indexOf('a message is on its way') >= 0;")
        .await;
    let mail = smtp.wait_for_message_to("reader@example.org");
    let link = link_in(&mail, &server.base_url, "/subscribe/confirm/");
    browser.open(&format!("{}{link}", server.base_url)).await;
    browser
        .run("document.querySelector('.message form button').click(); return true;")
        .await;
    browser
        .wait_for("return location.pathname.indexOf('/subscription/') === 0;")
        .await;
    assert_eq!(
        browser
            .run("return [document.querySelector('.subscription-status').textContent, document.getElementById('categories').value, document.querySelector('input[name=frequency]:checked').value];")
            .await,
        json!(["subscribed", "cs.CL", "weekly"])
    );
    browser.screenshot("digest-settings").await;
}

#[tokio::test]
async fn search_from_the_header_shows_marked_matches_and_keeps_the_filters() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    let browser = Browser::start().await;
    browser.resize(390, 844).await;
    browser.open(&format!("{}/", server.base_url)).await;
    browser
        .run(
            "const box = document.querySelector('header input[name=q]');
             box.value = 'academic illustration';
             box.form.submit(); return true;",
        )
        .await;
    browser.wait_for("return location.pathname === '/search';").await;
    assert_eq!(
        browser
            .run("return [...document.querySelectorAll('.card')].length > 0 && document.querySelector('.card h2 a').textContent;")
            .await,
        json!("PaperBanana: Automating Academic Illustration for AI Scientists"),
        "the paper whose title holds both words comes first"
    );
    let marks = browser
        .run(
            "return [...document.querySelector('.card').querySelectorAll('mark')]
                 .filter(m => getComputedStyle(m).backgroundColor !== 'rgba(0, 0, 0, 0)')
                 .map(m => m.textContent.toLowerCase());",
        )
        .await;
    let marks: Vec<String> = serde_json::from_value(marks).unwrap();
    assert!(
        marks.contains(&"academic".into()) && marks.contains(&"illustration".into()),
        "{marks:?}"
    );

    browser
        .run(
            "document.querySelector('select[name=sort]').value = 'new';
             document.querySelector('input[name=cat]').value = 'cs.CL';
             document.querySelector('form.search-form').submit(); return true;",
        )
        .await;
    browser
        .wait_for("return location.search.indexOf('sort=new') >= 0;")
        .await;
    assert_eq!(
        browser
            .run("return [document.querySelector('select[name=sort]').value, document.querySelector('input[name=cat]').value, document.documentElement.scrollWidth <= window.innerWidth];")
            .await,
        json!(["new", "cs.CL", true]),
        "the form keeps what was asked, and fits a phone"
    );
    browser.screenshot("search").await;
}

/// Hostile markup in a paper, a search and the math: a real browser renders it (KaTeX included)
/// and runs none of it. An alert would leave the next WebDriver command failing with
/// "unexpected alert open".
#[tokio::test]
async fn hostile_text_runs_nothing_in_a_real_browser() {
    let instance = crate::security::hostile_instance();
    let server = instance.spawn_server("serve");
    let browser = Browser::start().await;
    browser.resize(1280, 1000).await;
    for path in [
        "/papers/2602.99997",
        "/papers/date/2026-02-13?sort=new&cat=cs.CL",
        "/search?q=hostile",
        "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        browser.open(&format!("{}{path}", server.base_url)).await;
        browser.wait_for("return document.readyState === 'complete';").await;
        if path.starts_with("/papers/2602") {
            // The page's math has rendered, the hostile \href with it.
            browser
                .wait_for("return document.querySelectorAll('.katex').length > 0;")
                .await;
        }
        let found = browser
            .run(
                "return {
                    scriptLinks: [...document.querySelectorAll('a[href]')].filter(a => /^\\s*javascript:/i.test(a.getAttribute('href'))).length,
                    injectedImages: document.querySelectorAll('img[src=\"x\"]').length,
                    inlineScripts: [...document.querySelectorAll('script')].filter(s => !s.src && s.type !== 'application/ld+json').length,
                    dataBlocks: [...document.querySelectorAll('script[type=\"application/ld+json\"]')].every(s => { try { JSON.parse(s.textContent); return true; } catch (e) { return false; } }),
                    handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
                    title: document.title.includes('Hostile') || document.querySelector('h1, .card') !== null,
                };",
            )
            .await;
        assert_eq!(
            found,
            json!({"scriptLinks": 0, "injectedImages": 0, "inlineScripts": 0, "dataBlocks": true, "handlers": 0, "title": true}),
            "{path}"
        );
    }
    browser.screenshot("hostile-search").await;
}

/// Real abstracts whose TeX auto-render broke: a `$` inside braces
/// (`$\textbf{$ρ$-$\texttt{EOS}$}$`, 2601.22527) and a macro KaTeX lacks (`$\unicode{x2014}$`,
/// 2601.22912). Each expression renders on its own, no red error text is shown, and one that
/// cannot render stays as its TeX source; search titles and excerpts render too, and the
/// browser tab reads the title as plain text.
#[tokio::test]
async fn math_from_real_abstracts_renders_in_pages_search_and_the_tab_title() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    let browser = Browser::start().await;
    let errors_shown = "return document.querySelectorAll('.katex-error').length;";

    browser.open(&format!("{}/papers/2601.22527", server.base_url)).await;
    browser
        .wait_for("return document.querySelectorAll('.abstract .katex').length >= 5;")
        .await;
    assert_eq!(browser.run(errors_shown).await, json!(0));
    let title = browser.run("return document.title;").await;
    assert!(
        title.as_str().unwrap().starts_with("ρ-EOS: Training-free"),
        "the tab reads the title without TeX: {title}"
    );
    // KaTeX has no bold typewriter font: that one expression (three times) stays as its source,
    // and every other `$` of the abstract and title is rendered.
    let left = browser.run(RAW_DOLLARS_LEFT).await;
    let unrenderable = r"$\textbf{$ρ$-$\texttt{EOS}$}$";
    for text in left.as_array().unwrap() {
        let rest = text.as_str().unwrap().replace(unrenderable, "");
        assert!(
            !rest.contains('$'),
            "raw $ left beside the one unrenderable expression: {text}"
        );
    }
    assert_eq!(
        browser
            .run("return document.querySelector('h1 .katex') !== null;")
            .await,
        json!(true)
    );

    browser.open(&format!("{}/papers/2601.22912", server.base_url)).await;
    // Math renders on DOMContentLoaded, before the document is complete.
    browser.wait_for("return document.readyState === 'complete';").await;
    assert_eq!(browser.run(errors_shown).await, json!(0));
    let abstract_text = browser
        .run("return document.querySelector('.abstract').textContent;")
        .await;
    assert!(
        abstract_text.as_str().unwrap().contains(r"$\unicode{x2014}$"),
        "an expression KaTeX cannot parse stays as its source: {abstract_text}"
    );

    // A search whose match is inside math: the marked title and the excerpt render.
    browser
        .open(&format!("{}/search?q=EOS+density&mode=keyword", server.base_url))
        .await;
    browser
        .wait_for("return document.querySelectorAll('#paper-2601\\\\.22527 h2 .katex').length >= 2;")
        .await;
    let card = "document.getElementById('paper-2601.22527')";
    assert_eq!(
        browser
            .run(&format!(
                "return {card}.querySelectorAll('.excerpt .katex').length > 0;"
            ))
            .await,
        json!(true),
        "the excerpt renders its math"
    );
    assert_eq!(
        browser
            .run(&format!("return {card}.querySelectorAll('h2 mark .katex').length > 0;"))
            .await,
        json!(true),
        "a match inside math marks the whole rendered expression"
    );
    let title_left = browser
        .run(&format!(
            "var copy = {card}.querySelector('h2').cloneNode(true); \
             copy.querySelectorAll('.katex').forEach(function (k) {{ k.remove(); }}); return copy.textContent;"
        ))
        .await;
    assert!(!title_left.as_str().unwrap().contains('$'), "{title_left}");
    assert_eq!(browser.run(errors_shown).await, json!(0));
    browser.screenshot("search-math").await;
}

/// axe-core (4.10.3, fetched by scripts/fetch-axe.sh) in Chromium finds no serious or critical
/// violation on the pages a newcomer meets, in light and in dark mode.
#[tokio::test]
async fn axe_finds_no_serious_violation_in_light_or_dark_mode() {
    let axe_path = std::env::var_os("PAPERBOY_TEST_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/paperboy/axe-core-4.10.3/axe.min.js")
        });
    let axe = std::fs::read_to_string(&axe_path).unwrap_or_else(|error| {
        panic!(
            "axe-core at {} ({error}): run scripts/fetch-axe.sh, or set PAPERBOY_TEST_AXE",
            axe_path.display()
        )
    });
    let member = crate::helpers::SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let base = &member.server.base_url;
    let browser = Browser::start().await;
    browser.open(&format!("{base}/healthz")).await;
    let (name, value) = member.cookie.split_once('=').unwrap();
    // A collection with a paper in it, so that the library page shows all its forms.
    let form = |fields: &[(&str, &str)]| {
        let mut all = vec![("csrf", member.csrf.as_str())];
        all.extend_from_slice(fields);
        all.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect::<Vec<_>>()
    };
    let client = member.server.client();
    for (action, fields) in [
        ("create", form(&[("name", "Reading group")])),
        ("file", form(&[("collection", "1"), ("paper", "2602.11330")])),
    ] {
        client
            .post(format!("{base}/library/{action}"))
            .header("cookie", &member.cookie)
            .header("origin", base)
            .form(&fields)
            .send()
            .await
            .unwrap();
    }
    let pages = [
        ("home", "/"),
        ("day", "/papers/date/2026-02-13"),
        ("paper", "/papers/2602.11330"),
        ("search", "/search?q=graph+neural"),
        ("subscribe", "/subscribe"),
        ("account", "/account"),
        ("library", "/library"),
        ("for you", "/for-you?date=2026-02-13"),
    ];
    let mut found = Vec::new();
    for scheme in ["light", "dark"] {
        browser
            .command(
                reqwest::Method::POST,
                "goog/cdp/execute",
                Some(json!({"cmd": "Emulation.setEmulatedMedia",
                    "params": {"features": [{"name": "prefers-color-scheme", "value": scheme}]}})),
            )
            .await;
        // The sign-in page is what a stranger sees: checked before the cookie is set.
        let mut visits = vec![("sign-in", "/login")];
        visits.extend(pages);
        for (page, path) in visits {
            if page == "home" {
                browser
                    .command(
                        reqwest::Method::POST,
                        "cookie",
                        Some(json!({"cookie": {"name": name, "value": value, "path": "/"}})),
                    )
                    .await;
            }
            browser.open(&format!("{base}{path}")).await;
            browser.wait_for("return document.readyState === 'complete';").await;
            let dark = browser
                .run("return window.matchMedia('(prefers-color-scheme: dark)').matches;")
                .await;
            assert_eq!(dark, json!(scheme == "dark"), "the {scheme} scheme is emulated");
            browser.run(&format!("{axe}\nreturn true;")).await;
            let violations = browser
                .command(
                    reqwest::Method::POST,
                    "execute/async",
                    Some(json!({"script": AXE_SERIOUS, "args": []})),
                )
                .await;
            for violation in violations.as_array().unwrap() {
                found.push(format!("{page} ({scheme}): {violation}"));
            }
            if page == "account" {
                let heading = browser.run("return document.querySelector('h1').textContent;").await;
                assert_eq!(heading, json!("Your account"), "the account page is checked signed in");
            }
            if scheme == "dark" {
                browser.screenshot(&format!("axe-{page}-dark")).await;
            }
        }
        browser.command(reqwest::Method::DELETE, "cookie", None).await;
    }
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

/// Runs axe on the page and answers its serious and critical violations, a few nodes each.
const AXE_SERIOUS: &str = r#"
    var done = arguments[arguments.length - 1];
    axe.run(document, { resultTypes: ["violations"] }).then(function (results) {
        done(results.violations.filter(function (v) {
            return v.impact === "serious" || v.impact === "critical";
        }).map(function (v) {
            return { id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(function (n) {
                return n.target.join(" ") + " — " + n.failureSummary;
            }) };
        }));
    }, function (error) { done([{ id: "axe failed", help: String(error) }]); });
"#;

/// The personal layer as a reader meets it: save three papers from the day page, file one in a
/// new collection, follow an author from a paper page, see "For you" explain itself, publish
/// the collection for anyone, then make it private again.
#[tokio::test]
async fn a_reader_saves_files_follows_and_publishes() {
    let smtp = crate::helpers::SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_SMTP_URL", &smtp.url())]);
    let browser = Browser::start().await;
    browser.resize(1280, 1000).await;
    sign_in(
        &browser,
        &server,
        &smtp,
        "reader@example.org",
        "/papers/date/2026-02-13",
    )
    .await;

    for card in 0..3 {
        browser
            .run(&format!(
                "document.querySelectorAll('.card .save-button')[{card}].click(); return true;"
            ))
            .await;
    }
    browser
        .wait_for("return document.querySelectorAll('.card .save-button[aria-pressed=true]').length === 3;")
        .await;

    browser.open(&format!("{}/library", server.base_url)).await;
    browser
        .run("document.getElementById('new-collection').value = 'Reading group'; document.getElementById('new-collection').form.submit(); return true;")
        .await;
    browser
        .wait_for("return document.body.textContent.indexOf('Reading group') >= 0;")
        .await;
    browser.open(&format!("{}/library", server.base_url)).await;
    browser
        .wait_for("return document.querySelectorAll('form[action=\"/library/file\"]').length === 3;")
        .await;
    let filed_title = browser
        .run("const form = document.querySelector('form[action=\"/library/file\"]'); const title = form.closest('li').querySelector('a').textContent; form.submit(); return title;")
        .await;
    // Filing may land on either collection's page: open Reading group if it is not the one shown.
    browser
        .wait_for("return document.readyState === 'complete' && document.querySelector('ul.collections') !== null;")
        .await;
    browser
        .run("const a = [...document.querySelectorAll('ul.collections a')].find(a => a.textContent === 'Reading group'); if (a) a.click(); return true;")
        .await;
    browser
        .wait_for(&format!(
            "return document.querySelector('strong[aria-current=page]')?.textContent === 'Reading group' && document.body.textContent.indexOf({filed_title}) >= 0;"
        ))
        .await;

    // Follow an author: from a paper page, through the author's name, to their page's button.
    browser
        .open(&format!("{}/papers/date/2026-02-13", server.base_url))
        .await;
    browser
        .run("document.querySelectorAll('.card h2 a')[5].click(); return true;")
        .await;
    browser
        .wait_for("return location.pathname.startsWith('/papers/2602.') && document.querySelector('a[href^=\"/authors/\"]') !== null;")
        .await;
    let author = browser
        .run("const a = document.querySelector('main a[href^=\"/authors/\"]'); const name = a.textContent; a.click(); return name;")
        .await;
    let author = author.as_str().expect("an author's name").to_owned();
    browser
        .wait_for("return location.pathname.startsWith('/authors/');")
        .await;
    browser
        .run("document.querySelector('form[action=\"/follows\"] button').click(); return true;")
        .await;
    browser
        .wait_for("return document.body.textContent.indexOf('Unfollow') >= 0 || document.body.textContent.indexOf('Following') >= 0;")
        .await;

    browser
        .open(&format!("{}/for-you?date=2026-02-13", server.base_url))
        .await;
    browser
        .wait_for("return document.querySelectorAll('.card .reason').length > 0;")
        .await;
    let reasons = browser
        .run("return [...document.querySelectorAll('.card .reason')].map(r => r.textContent);")
        .await;
    let reasons: Vec<String> = serde_json::from_value(reasons).expect("texts");
    assert!(
        reasons.iter().any(|r| r.starts_with("Because you saved “")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("whom you follow") && r.to_lowercase().contains(&author.to_lowercase())),
        "{author}: {reasons:?}"
    );
    browser.screenshot("for-you").await;

    // Publish: the public address works for anyone signed out; made private, it is gone.
    browser.open(&format!("{}/library", server.base_url)).await;
    browser
        .run("[...document.querySelectorAll('ul.collections a')].find(a => a.textContent === 'Reading group').click(); return true;")
        .await;
    browser
        .wait_for(
            "return document.querySelector('form[action=\"/library/publish\"] button')?.textContent === 'Publish';",
        )
        .await;
    browser
        .run("document.querySelector('form[action=\"/library/publish\"] button').click(); return true;")
        .await;
    browser
        .wait_for("return document.body.textContent.indexOf('Published at') >= 0;")
        .await;
    let public_url = browser
        .run("return [...document.querySelectorAll('a')].find(a => a.href.indexOf('/collections/') >= 0).href;")
        .await;
    let public_url = public_url.as_str().expect("a URL").to_owned();
    let signed_out = reqwest::get(&public_url).await.expect("answered");
    assert_eq!(signed_out.status(), 200);
    let page = signed_out.text().await.unwrap();
    assert!(page.contains("Reading group"), "{page}");
    browser
        .run("document.querySelector('form[action=\"/library/publish\"] button').click(); return true;")
        .await;
    browser
        .wait_for(
            "return document.querySelector('form[action=\"/library/publish\"] button')?.textContent === 'Publish';",
        )
        .await;
    assert_eq!(reqwest::get(&public_url).await.expect("answered").status(), 404);
}

/// Issue 26's walk-through: two members discuss a paper in real browsers (posting without a
/// reload), nothing hostile runs, and the first member is mailed once about the reply, with a
/// link to its permalink.
#[tokio::test]
async fn two_members_discuss_a_paper_and_the_reply_is_mailed_to_its_permalink() {
    const PAPER: &str = "2602.11096";
    let smtp = crate::helpers::SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            ("PAPERBOY_DIGEST_CHECK_SECONDS", "1"),
        ],
    );
    let page = format!("/papers/{PAPER}");
    let ada = Browser::start().await;
    ada.resize(1280, 1000).await;
    sign_in(&ada, &server, &smtp, "ada@example.org", &page).await;
    ada.run(
        "window.alerted = false; window.alert = function () { window.alerted = true; }; \
         document.getElementById('new-comment').value = 'Energy is $E=mc^2$ <script>window.alerted = true</script> [x](javascript:alert(1))'; \
         document.querySelector('form.new-comment button').click(); return true;",
    )
    .await;
    ada.wait_for("return document.querySelector('#discussion article.comment .comment-body .katex') !== null;")
        .await;
    let seen = ada
        .run(
            "const body = document.querySelector('#discussion article.comment .comment-body'); \
             return [window.alerted, document.querySelectorAll('a[href^=\"javascript\"]').length, \
                     body.textContent.indexOf('<script>') >= 0, document.getElementById('new-comment').value];",
        )
        .await;
    assert_eq!(
        seen,
        json!([false, 0, true, ""]),
        "posted in place: math rendered, the script shown as text, the link inert"
    );
    // The page as served (after a reload) renders it alike.
    ada.open(&format!("{}{page}", server.base_url)).await;
    ada.wait_for("return document.querySelector('#discussion .comment-body .katex') !== null;")
        .await;
    assert_eq!(
        ada.run("return [window.alerted === undefined, document.querySelectorAll('a[href^=\"javascript\"]').length];")
            .await,
        json!([true, 0])
    );

    let bob = Browser::start().await;
    bob.resize(1280, 1000).await;
    sign_in(&bob, &server, &smtp, "bob@example.org", &page).await;
    bob.run(
        "const article = document.querySelector('#discussion article.comment'); \
         article.querySelector('details.reply').open = true; \
         article.querySelector('details.reply textarea').value = 'Bob agrees: $a^2+b^2=c^2$'; \
         article.querySelector('details.reply button').click(); return true;",
    )
    .await;
    bob.wait_for("return document.querySelector('#discussion article.comment.depth-1 .katex') !== null;")
        .await;
    // Bob upvotes Ada's comment in place; after a reload the button still says so.
    let vote_button = "document.querySelector('#discussion article.comment form.comment-vote button')";
    bob.run(&format!("{vote_button}.click(); return true;")).await;
    let pressed = format!(
        "const b = {vote_button}; return b.getAttribute('aria-pressed') === 'true' && b.querySelector('.count').textContent === '1';"
    );
    bob.wait_for(&pressed).await;
    bob.open(&format!("{}{page}", server.base_url)).await;
    bob.wait_for(&pressed).await;

    let mail = smtp.wait_for_message_to_containing("ada@example.org", "replied to your comment");
    let link = mail
        .lines()
        .find_map(|line| line.strip_prefix(&format!("Read and reply: {}", server.base_url)))
        .unwrap_or_else(|| panic!("no permalink in {mail}"))
        .trim()
        .to_owned();
    let reply_id = link.rsplit("#comment-").next().expect("a permalink").to_owned();
    assert!(link.starts_with(&format!("{page}#comment-")), "{link}");
    // As from a mail client: a fresh navigation, not a jump within the open page.
    ada.open("about:blank").await;
    ada.open(&format!("{}{link}", server.base_url)).await;
    ada.wait_for(&format!(
        "const target = document.querySelector(':target'); \
         return target !== null && target.id === 'comment-{reply_id}' && target.textContent.indexOf('Bob agrees') >= 0;"
    ))
    .await;
    assert_eq!(
        smtp.settled_count_to("ada@example.org"),
        2,
        "the sign-in link, then exactly one mail about the reply"
    );
    ada.screenshot("discussion").await;
}
