//! Submitting papers, against a local stand-in for the arXiv API that replays the responses
//! recorded from the real one (fixtures/recorded/arxiv-api), error response included.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use reqwest::header::{COOKIE, LOCATION, ORIGIN};
use serde::Deserialize;

use crate::helpers::{Instance, Server, SmtpServer, fixture};

/// What arXiv answers for an id it has no paper for: a feed without entries.
const NO_RESULTS: &str = r#"<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/empty</id><title>arXiv Query</title><updated>2026-06-14T02:30:47Z</updated>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage><opensearch:totalResults>0</opensearch:totalResults><opensearch:startIndex>0</opensearch:startIndex>
</feed>"#;

/// An id that is well formed but that the stand-in answers with arXiv's recorded error response.
const REFUSED_ID: &str = "2606.00404";

#[derive(Clone, Default)]
struct FakeArxiv {
    requests: Arc<Mutex<Vec<(Instant, String)>>>,
    /// Answer only after this long, as an overloaded arXiv does.
    delay: Arc<Mutex<Duration>>,
}

#[derive(Deserialize)]
struct QueryParams {
    id_list: Option<String>,
}

async fn answer(State(fake): State<FakeArxiv>, Query(params): Query<QueryParams>) -> String {
    let id = params.id_list.unwrap_or_default();
    fake.requests.lock().unwrap().push((Instant::now(), id.clone()));
    let delay = *fake.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let recorded =
        |name: &str| std::fs::read_to_string(fixture(&format!("fixtures/recorded/arxiv-api/{name}"))).unwrap();
    if id == REFUSED_ID {
        return recorded("error-bad-id.atom.xml");
    }
    for name in [
        "query-transformer-cs.LG.atom.xml",
        "query-testing-page0.atom.xml",
        "query-testing-page1.atom.xml",
    ] {
        let body = recorded(name);
        if body.contains(&format!("arxiv.org/abs/{id}v")) {
            return body;
        }
    }
    NO_RESULTS.to_owned()
}

async fn start_fake_arxiv() -> (String, FakeArxiv) {
    let fake = FakeArxiv::default();
    let app = axum::Router::new()
        .route("/api/query", axum::routing::get(answer))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/api/query"), fake)
}

struct Site {
    _instance: Instance,
    smtp: SmtpServer,
    server: Server,
}

impl Site {
    async fn sign_in(&self, email: &str) -> String {
        self.server.sign_in(&self.smtp, email).await
    }

    /// Chooses `name` as the member's display name on the account page (the default is made
    /// from their profile id, never from their address).
    async fn choose_name(&self, cookie: &str, name: &str) {
        let base = &self.server.base_url;
        let client = self.server.client();
        let account = client
            .get(format!("{base}/account"))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = crate::helpers::between_all(&account, "name=\"csrf\" value=\"", "\"")[0].to_owned();
        let saved = client
            .post(format!("{base}/account"))
            .header(COOKIE, cookie)
            .header(ORIGIN, base)
            .form(&[("display_name", name), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert!(
            saved.status().is_success() || saved.status().is_redirection(),
            "{}",
            saved.status()
        );
    }

    /// A personal API token made on the account page (shown once).
    async fn make_token(&self, cookie: &str, name: &str) -> String {
        let base = &self.server.base_url;
        let client = self.server.client();
        let account = client
            .get(format!("{base}/account"))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = crate::helpers::between_all(&account, "name=\"csrf\" value=\"", "\"")[0].to_owned();
        let page = client
            .post(format!("{base}/account/tokens"))
            .header(COOKIE, cookie)
            .header(ORIGIN, base)
            .form(&[("name", name), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        format!("pb_{}", crate::helpers::between_all(&page, "pb_", " ")[0])
    }

    /// Waits up to 30 s for a paper titled `title` on today's page (a fetch that ends later).
    async fn wait_for_on_today(&self, title: &str) {
        let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.server.text(&format!("/papers/date/{today}")).await.contains(title) {
            assert!(
                Instant::now() < deadline,
                "{title} is on today's page once arXiv answers"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn submit(&self, cookie: &str, paper: &str) -> (u16, String, String) {
        let base = &self.server.base_url;
        let response = self
            .server
            .client()
            .post(format!("{base}/submit"))
            .header(COOKIE, cookie)
            .header(ORIGIN, base)
            .form(&[("paper", paper)])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, response.text().await.unwrap())
    }
}

#[tokio::test]
async fn members_submit_new_papers_by_any_id_form_within_the_rules() {
    let (arxiv_url, fake) = start_fake_arxiv().await;
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            ("PAPERBOY_ARXIV_API_URL", &arxiv_url),
            ("PAPERBOY_ARXIV_MIN_INTERVAL", "0.5"),
            // The recorded papers are from June 2026; a 2022 one stays too old.
            ("PAPERBOY_SUBMISSION_MAX_AGE_DAYS", "400"),
            ("PAPERBOY_SUBMISSIONS_PER_DAY", "2"),
        ],
    );
    let site = Site {
        _instance: instance,
        smtp,
        server,
    };
    let ada = site.sign_in("ada@example.org").await;
    site.choose_name(&ada, "ada").await;
    let bob = site.sign_in("bob@example.org").await;
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();

    let (status, location, _) = site.submit(&ada, "https://arxiv.org/abs/2606.13677v1").await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("/papers/date/{today}#paper-2606.13677"));
    let page = site.server.text(&format!("/papers/date/{today}")).await;
    assert!(
        page.contains("Mana: Dexterous Manipulation of Articulated Tools"),
        "fetched from arXiv and on today's page"
    );
    assert!(page.contains("submitted by ada"));
    // The home page stays on arXiv's latest list (the sample's last day), not a page of one
    // submitted paper, and that list leads on to today's.
    let home = site.server.text("/").await;
    assert!(home.contains("Fri, 27 Feb 2026"), "home opens on the latest list");
    assert!(!home.contains("Mana: Dexterous Manipulation"));
    assert!(
        home.contains(&format!(r#"rel="next" href="/papers/date/{today}""#)),
        "the latest list links on to the day of the submission"
    );
    let by_ada = site
        .server
        .json(&format!("/api/daily_papers?date={today}&submitter=ada"))
        .await;
    assert_eq!(by_ada.as_array().unwrap().len(), 1);
    assert_eq!(by_ada[0]["paper"]["id"], "2606.13677");
    assert_eq!(by_ada[0]["submittedBy"]["name"], "ada");
    assert_eq!(
        site.server
            .json(&format!("/api/daily_papers?date={today}&submitter=bob"))
            .await,
        serde_json::json!([])
    );

    let (status, _, body) = site.submit(&bob, "arXiv:2606.13677").await;
    assert_eq!(status, 409);
    assert!(body.contains("has already been submitted today"));
    let (status, _, body) = site.submit(&bob, "abc").await;
    assert_eq!(status, 400);
    assert!(body.contains("is not an arXiv id"));
    let (status, _, body) = site.submit(&bob, "2606.99999").await;
    assert_eq!(status, 422);
    assert!(body.contains("arXiv has no paper 2606.99999"), "{body}");
    let (status, _, body) = site.submit(&bob, REFUSED_ID).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("incorrect id format"),
        "the recorded error answer is shown: {body}"
    );
    let (status, _, body) = site.submit(&bob, "2202.12139").await;
    assert_eq!(status, 422);
    assert!(body.contains("more than 400 days ago"), "{body}");

    assert_eq!(site.submit(&ada, "2606.13591").await.0, 303);
    let (status, _, body) = site.submit(&ada, "2606.13568").await;
    assert_eq!(status, 429);
    assert!(body.contains("daily limit"));

    // Every request to the stand-in kept the configured distance from the one before.
    let requests = fake.requests.lock().unwrap().clone();
    assert!(requests.len() >= 5, "{requests:?}");
    for pair in requests.windows(2) {
        let gap = pair[1].0.duration_since(pair[0].0);
        assert!(
            gap >= Duration::from_millis(480),
            "requests {:?} and {:?} were {gap:?} apart",
            pair[0].1,
            pair[1].1
        );
    }

    let signed_out = site
        .server
        .client()
        .post(format!("{}/submit", site.server.base_url))
        .header(ORIGIN, &site.server.base_url)
        .form(&[("paper", "2606.13515")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 303, "signed-out visitors are sent to sign in");
    let cross_site = site
        .server
        .client()
        .post(format!("{}/submit", site.server.base_url))
        .header(COOKIE, &bob)
        .header(ORIGIN, "https://evil.example")
        .form(&[("paper", "2606.13515")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
}

/// arXiv answering slower than a request may wait: the member hears so at once, and the paper
/// still lands on the day they asked for it, for the page and for the API.
#[tokio::test]
async fn a_slow_arxiv_gets_an_answer_at_once_and_the_paper_later() {
    let (arxiv_url, fake) = start_fake_arxiv().await;
    *fake.delay.lock().unwrap() = Duration::from_secs(11);
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            ("PAPERBOY_ARXIV_API_URL", &arxiv_url),
            ("PAPERBOY_ARXIV_MIN_INTERVAL", "0.5"),
            ("PAPERBOY_ARXIV_TIMEOUT_SECONDS", "30"),
            ("PAPERBOY_SUBMISSION_MAX_AGE_DAYS", "400"),
        ],
    );
    let site = Site {
        _instance: instance,
        smtp,
        server,
    };
    let ada = site.sign_in("ada@example.org").await;
    let asked = Instant::now();
    let (status, _, body) = site.submit(&ada, "2606.13677").await;
    assert!(asked.elapsed() < Duration::from_secs(10), "answered at once");
    assert_eq!(status, 202, "{body}");
    assert!(body.contains("in the background"), "{body}");
    site.wait_for_on_today("Mana: Dexterous Manipulation of Articulated Tools")
        .await;

    // The API says the same: 202, and where to look.
    let token = site.make_token(&ada, "slow").await;
    let response = site
        .server
        .client()
        .post(format!("{}/api/papers/index", site.server.base_url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"arxivId": "2606.13591"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()[LOCATION], "/api/papers/2606.13591");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending");
}

/// arXiv unreachable: the answer comes at once and says so, with the cause, and the submission
/// is retried in the background until arXiv answers.
#[tokio::test]
async fn an_unreachable_arxiv_is_said_at_once_and_retried_in_the_background() {
    let closed = crate::helpers::free_port();
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            (
                "PAPERBOY_ARXIV_API_URL",
                &format!("http://127.0.0.1:{closed}/api/query"),
            ),
            ("PAPERBOY_ARXIV_MAX_ATTEMPTS", "1"),
            ("PAPERBOY_ARXIV_MIN_INTERVAL", "0"),
            ("PAPERBOY_SUBMISSION_MAX_AGE_DAYS", "400"),
            ("PAPERBOY_SUBMISSION_RETRY_SECONDS", "1"),
        ],
    );
    let site = Site {
        _instance: instance,
        smtp,
        server,
    };
    let ada = site.sign_in("ada@example.org").await;
    let asked = Instant::now();
    let (status, _, body) = site.submit(&ada, "2606.13677").await;
    assert!(asked.elapsed() < Duration::from_secs(10));
    assert_eq!(status, 202);
    assert!(body.contains("arXiv could not be reached"), "{body}");
    assert!(body.contains("in the background"), "{body}");

    // arXiv comes back on the address the instance asks: the retry puts the paper on today's page.
    let fake = FakeArxiv::default();
    let app = axum::Router::new()
        .route("/api/query", axum::routing::get(answer))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", closed)).await.unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    site.wait_for_on_today("Mana: Dexterous Manipulation of Articulated Tools")
        .await;
    assert!(!fake.requests.lock().unwrap().is_empty());
}
