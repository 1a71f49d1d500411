//! Several replicas of one instance: the same binary started twice, on its own port and data
//! directory, sharing one PostgreSQL database and nothing else. What a person does through one
//! replica holds on the other; the digest goes out once per subscriber even when both replicas'
//! clocks fire together and one of them is killed halfway.

use std::time::{Duration, Instant};

use paperboy_store::conformance::postgres_test_database;
use paperboy_store::{DeliveryStore, PgStore};
use reqwest::header::{COOKIE, ORIGIN};
use serde_json::Value;

use crate::digest::{digests_per_address, import_subscribers};
use crate::fake_arxiv::{Endpoint, FakeArxiv};
use crate::helpers::{Instance, Server, SmtpServer, fixture};

/// A demo paper with 188 Hugging Face upvotes.
const VOTED_PAPER: &str = "2601.23265";
/// A recorded arXiv paper (June 2026) the fake arXiv answers for; submitted, it is listed today.
const SUBMITTED_PAPER: &str = "2606.13677";
const SUBSCRIBERS: usize = 1500;

/// Lines in a replica's hand-over journal: the digests it handed to the SMTP server.
fn journaled(instance: &Instance) -> usize {
    let directory = instance.data_dir.path().join("digest-journal");
    std::fs::read_dir(directory)
        .map(|files| {
            files
                .flatten()
                .map(|file| std::fs::read_to_string(file.path()).unwrap_or_default().lines().count())
                .sum()
        })
        .unwrap_or(0)
}

/// The fake arXiv at `interval` seconds, the SMTP server, submissions of June 2026's recorded
/// papers accepted, and a digest clock that looks every second with the daily digest due from
/// midnight: today's digest is composed and sent as soon as today has a paper.
fn digest_now_settings(arxiv: &FakeArxiv, interval: &str, smtp: &SmtpServer) -> Vec<(String, String)> {
    let mut settings = arxiv.settings(interval);
    settings.extend(
        [
            ("PAPERBOY_SMTP_URL", smtp.url()),
            ("PAPERBOY_SUBMISSION_MAX_AGE_DAYS", "1000".to_owned()),
            ("PAPERBOY_DIGEST_SCHEDULE", "true".to_owned()),
            ("PAPERBOY_DIGEST_CHECK_SECONDS", "1".to_owned()),
            ("PAPERBOY_DIGEST_DAILY_TIME", "00:00".to_owned()),
        ]
        .map(|(key, value)| (key.to_owned(), value)),
    );
    settings
}

fn start_replica(instance: &Instance, settings: &[(String, String)]) -> Server {
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    instance.spawn_server_with("serve", &settings)
}

async fn wait_until<F, Fut>(what: &str, within: Duration, mut done: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_share_sessions_votes_search_and_send_each_digest_once_even_when_one_is_killed() {
    let url = postgres_test_database().await;
    let smtp = SmtpServer::start();
    let arxiv = FakeArxiv::start().await;
    let a = Instance::on_postgres(&url);
    let b = Instance::on_postgres(&url);
    let imported = a.import(&[
        fixture("demo/listings-2026-02.jsonl.gz"),
        fixture("demo/hf-daily-papers-2026-02.json.gz"),
    ]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let addresses = import_subscribers(&a, SUBSCRIBERS);

    // A second between two requests to arXiv, across the fleet.
    let mut settings = digest_now_settings(&arxiv, "1", &smtp);
    settings.push(("PAPERBOY_DIGEST_LEASE_SECONDS".to_owned(), "3".to_owned()));
    let replica_a = start_replica(&a, &settings);
    let mut replica_b = start_replica(&b, &settings);

    // Signed in on A, voting on B: the session is in the database, and so is the vote. A's page
    // of the paper, rendered and cached before the vote, shows it too.
    let cookie = replica_a.sign_in(&smtp, "ada@example.org").await;
    let page = replica_a.text(&format!("/papers/{VOTED_PAPER}")).await;
    assert!(
        page.contains("<span class=\"count\">188</span>"),
        "Hugging Face's 188 before"
    );
    // A's lists: its rankings in memory hold the paper's day once this page is read.
    let day_list = "/papers/date/2026-02-02?sort=top";
    let votes_on_list = |page: &str| -> Option<String> {
        let card = page.split(&format!("id=\"paper-{VOTED_PAPER}\"")).nth(1)?;
        let count = card.split("<span class=\"count\">").nth(1)?;
        Some(count.split('<').next()?.to_owned())
    };
    let listed = replica_a.text(day_list).await;
    assert_eq!(votes_on_list(&listed).as_deref(), Some("188"), "A's day list before");
    let vote = replica_b
        .client()
        .post(format!("{}/api/papers/{VOTED_PAPER}/upvote", replica_b.base_url))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &replica_b.base_url)
        .send()
        .await
        .unwrap();
    assert_eq!(vote.status(), 200, "B knows A's session");
    let counted: Value = vote.json().await.unwrap();
    assert_eq!(counted["localVotes"], 1);
    let shown = wait_until(
        "A's day list shows the vote made on B",
        Duration::from_secs(2),
        || async { votes_on_list(&replica_a.text(day_list).await).as_deref() == Some("189") },
    )
    .await;
    eprintln!("A's day list showed B's vote after {shown:?}");
    let shown = wait_until("A shows the vote made on B", Duration::from_secs(5), || async {
        let paper: Value = replica_a.json(&format!("/api/papers/{VOTED_PAPER}")).await;
        paper["upvotes"] == 189 && paper["trending"]["localVotes"] == 1
    })
    .await;
    eprintln!("A's API showed B's vote after {shown:?}");
    let shown = wait_until(
        "A's cached page shows the vote made on B",
        Duration::from_secs(5),
        || async {
            let page = replica_a.text(&format!("/papers/{VOTED_PAPER}")).await;
            page.contains("<span class=\"count\">189</span>")
        },
    )
    .await;
    eprintln!("A's page showed B's vote after {shown:?}");
    let mine: Value = replica_a
        .client()
        .get(format!("{}/api/me/votes?ids={VOTED_PAPER}", replica_a.base_url))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["voted"], serde_json::json!([VOTED_PAPER]));

    // Rate limits are counted in the database: three sign-in links an address per quarter hour,
    // however the requests are spread over the replicas.
    let ask_link = |replica: &Server| {
        let request = replica
            .client()
            .post(format!("{}/login", replica.base_url))
            .header(ORIGIN, &replica.base_url)
            .form(&[("email", "bob@example.org")]);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let asked = [
        ask_link(&replica_a).await,
        ask_link(&replica_b).await,
        ask_link(&replica_a).await,
        ask_link(&replica_b).await,
    ];
    assert_eq!(
        asked,
        [200, 200, 200, 200],
        "the answer never says a link was held back"
    );
    assert_eq!(
        smtp.settled_count_to("bob@example.org"),
        3,
        "the fourth link is not sent, from whichever replica"
    );

    // A paper brought in through A is found by B's own search index within 5 s.
    let submitted = replica_a
        .client()
        .post(format!("{}/submit", replica_a.base_url))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &replica_a.base_url)
        .form(&[("paper", SUBMITTED_PAPER)])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 303, "{}", submitted.text().await.unwrap());
    let found = wait_until(
        "B's search finds the paper submitted on A",
        Duration::from_secs(5),
        || async {
            let results: Value = replica_b
                .json("/api/papers/search?q=dexterous%20manipulation%20articulated%20tools")
                .await;
            results
                .as_array()
                .is_some_and(|hits| hits.iter().any(|hit| hit["paper"]["id"] == SUBMITTED_PAPER))
        },
    )
    .await;
    eprintln!("B found the paper submitted on A after {found:?}");

    // Two submissions at the same moment, one per replica: the replicas take turns to ask
    // arXiv, keeping the interval between their requests as one process would.
    let submit = |replica: &Server, paper: &'static str| {
        let request = replica
            .client()
            .post(format!("{}/submit", replica.base_url))
            .header(COOKIE, &cookie)
            .header(ORIGIN, &replica.base_url)
            .form(&[("paper", paper)]);
        async move { request.send().await.unwrap().status() }
    };
    let (on_a, on_b) = tokio::join!(submit(&replica_a, "2606.13591"), submit(&replica_b, "2606.13568"));
    assert_eq!((on_a, on_b), (303.try_into().unwrap(), 303.try_into().unwrap()));
    let mut asked: Vec<Instant> = arxiv.requests().into_iter().map(|(at, _, _)| at).collect();
    asked.sort();
    assert_eq!(asked.len(), 3, "one request per submission");
    for pair in asked.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(gap >= Duration::from_millis(990), "two requests to arXiv {gap:?} apart");
    }

    // Today now has a paper: both clocks compose today's digest and both replicas send it.
    // B is killed while both send.
    let deadline = Instant::now() + Duration::from_secs(60);
    while journaled(&b) < 20 || journaled(&a) == 0 {
        assert!(
            Instant::now() < deadline,
            "the two replicas did not both start sending: {}",
            replica_b.log()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    replica_b.child.kill().expect("SIGKILL");
    replica_b.child.wait().expect("reaped");
    let at_kill = digests_per_address(&smtp).values().sum::<usize>();
    let (by_a, by_b) = (journaled(&a), journaled(&b));
    eprintln!("B killed after handing over {by_b} digests (A: {by_a}; {at_kill} received)");
    assert!(at_kill < SUBSCRIBERS, "B was killed in the middle of the digest");

    let store = PgStore::connect(&url).await.unwrap();
    wait_until("A finishes the digest", Duration::from_secs(90), || async {
        store.delivery_counts(None).await.unwrap().outstanding() == 0
            && store.unconfirmed_hand_overs(i64::MAX).await.unwrap().is_empty()
            && digests_per_address(&smtp).len() == SUBSCRIBERS
    })
    .await;
    // A moment more, so that a second copy would have time to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let counts = digests_per_address(&smtp);
    let doubles: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubles.is_empty(), "sent twice: {doubles:?}");
    let missing: Vec<_> = addresses.iter().filter(|a| !counts.contains_key(*a)).collect();
    assert!(missing.is_empty(), "never sent: {missing:?}");
    eprintln!(
        "A settled {} of B's hand-overs from B's journal",
        replica_a
            .log()
            .matches("settled a hand-over interrupted by a crash")
            .count()
    );
    assert!(journaled(&a) > by_a, "A took over what B left");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_web_only_replica_leaves_the_digests_to_a_worker_only_one() {
    let smtp = SmtpServer::start();
    let arxiv = FakeArxiv::start().await;
    let instance = Instance::with_demo_data();
    let addresses = import_subscribers(&instance, 5);
    let settings = digest_now_settings(&arxiv, "0.2", &smtp);
    let mut command = instance.command();
    command.envs(settings.iter().map(|(k, v)| (k, v)));
    // The fleet harvests; a web-only replica leaves that to the workers too.
    command.env("PAPERBOY_HARVEST_SCHEDULE", "true");
    command.arg("serve").arg("--web-only");
    let web = Server::start_command(command);
    let cookie = web.sign_in(&smtp, "ada@example.org").await;
    let submitted = web
        .client()
        .post(format!("{}/submit", web.base_url))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &web.base_url)
        .form(&[("paper", SUBMITTED_PAPER)])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 303, "the web replica takes the submission");
    // Today has a paper and the digest is due, but a web-only replica does not send it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(digests_per_address(&smtp).is_empty(), "{}", web.log());
    assert!(
        arxiv
            .requests()
            .iter()
            .all(|(_, endpoint, _)| *endpoint == Endpoint::Api),
        "only the submission asked arXiv: no harvest"
    );
    // It still reports on the fleet's harvests (their log is in the database) for monitoring.
    let health: Value = web.get("/healthz").await.json().await.unwrap();
    assert_eq!(health["harvest"]["scheduled"], true, "{health}");

    let mut worker = instance.command();
    worker.envs(settings.iter().map(|(k, v)| (k, v)));
    let mut worker = worker
        .args(["serve", "--worker-only"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::from(
            std::fs::File::create(instance.data_dir.path().join("worker.log")).unwrap(),
        ))
        .spawn()
        .expect("the worker starts");
    let mut said = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(worker.stdout.take().expect("stdout")),
        &mut said,
    )
    .expect("the worker says what it does");
    let _worker = crate::helpers::KillOnDrop(worker);
    assert!(
        said.starts_with("paperboy worker running (digests: true, harvests: false"),
        "nothing listens: {said}"
    );
    let log = instance.data_dir.path().join("worker.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    while digests_per_address(&smtp).len() < addresses.len() {
        assert!(
            Instant::now() < deadline,
            "the worker did not send the digest: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(digests_per_address(&smtp).values().all(|count| *count == 1));
}
