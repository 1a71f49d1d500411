//! E-mail digests end to end: subscribing over HTTP with double opt-in, `paperboy digest run`
//! over the demo's real papers and votes, delivery to a real SMTP server process (aiosmtpd),
//! one-click unsubscribe, and the faults a mail queue must survive (server down, SIGKILL).

use paperboy_store::{DeliveryStore, SubscriptionStore};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use reqwest::header::ORIGIN;

use crate::helpers::{Instance, Run, Server, SmtpServer, between_all, free_port, link_in};

/// Servers in these tests leave digests to the `digest run` the test starts, so that two
/// processes never share a run and the test knows when it is over.
pub(crate) const NO_CLOCK: (&str, &str) = ("PAPERBOY_DIGEST_SCHEDULE", "false");

pub(crate) struct Received {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub content_type: String,
    /// By lower-cased name.
    pub headers: HashMap<String, String>,
}

fn parse(raw: &[u8]) -> Received {
    let message = MessageParser::default().parse(raw).expect("a parseable message");
    let headers = message
        .headers()
        .iter()
        .map(|header| {
            let value = message
                .header_raw(header.name())
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            (header.name().to_ascii_lowercase(), value)
        })
        .collect();
    Received {
        to: message
            .to()
            .and_then(|to| to.first())
            .and_then(|address| address.address())
            .unwrap_or_default()
            .to_owned(),
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message.body_text(0).unwrap_or_default().into_owned(),
        html: message.body_html(0).unwrap_or_default().into_owned(),
        content_type: message
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
            .unwrap_or_default(),
        headers,
    }
}

pub(crate) fn received(smtp: &SmtpServer) -> Vec<Received> {
    smtp.messages().iter().map(|raw| parse(raw)).collect()
}

pub(crate) fn digests_to<'a>(messages: &'a [Received], address: &str) -> Vec<&'a Received> {
    messages
        .iter()
        .filter(|m| m.to == address && m.subject.starts_with("Trending papers"))
        .collect()
}

pub(crate) async fn subscribe(server: &Server, fields: &[(&str, &str)]) -> reqwest::Response {
    server
        .client()
        .post(format!("{}/subscribe", server.base_url))
        .header(ORIGIN, &server.base_url)
        .form(fields)
        .send()
        .await
        .expect("subscribe answers")
}

/// Reads the confirmation link from the captured mail and presses its button; the settings
/// page it leads to (the subscription's manage link).
pub(crate) async fn confirm(server: &Server, smtp: &SmtpServer, address: &str) -> String {
    let mail = smtp.wait_for_message_to(address);
    let link = link_in(&mail, &server.base_url, "/subscribe/confirm/");
    let page = server.text(&link).await;
    assert!(page.contains("Start my digest"), "{page}");
    let response = server
        .client()
        .post(format!("{}{link}", server.base_url))
        .header(ORIGIN, &server.base_url)
        .send()
        .await
        .expect("confirm answers");
    assert_eq!(response.status(), 303, "confirming redirects to the settings");
    let settings = response.headers()["location"].to_str().expect("location").to_owned();
    assert!(server.text(&settings).await.contains("subscribed"));
    settings
}

pub(crate) fn digest_run(instance: &Instance, settings: &[(&str, &str)], arguments: &[&str]) -> Run {
    let mut command = instance.command();
    // Mail is only sent where links go somewhere real; a test that cares sets its own.
    command.env("PAPERBOY_PUBLIC_URL", "https://paperboy.example.org");
    for (key, value) in settings {
        command.env(key, value);
    }
    let output = command.arg("digest").arg("run").args(arguments).output().expect("runs");
    Run::from(output)
}

/// The day's ten best papers as the site's own API ranks them.
/// The day's ten best papers as the site's own day page ranks them (its JSON feed).
pub(crate) async fn top_of_day(server: &Server, day: &str) -> Vec<String> {
    let feed = server.json(&format!("/papers/date/{day}/feed.json")).await;
    feed["items"]
        .as_array()
        .expect("a list")
        .iter()
        .take(10)
        .map(|item| {
            let url = item["id"].as_str().expect("id");
            url.rsplit_once("/papers/").expect("a paper URL").1.to_owned()
        })
        .collect()
}

pub(crate) fn linked_papers(digest: &Received, base_url: &str) -> Vec<String> {
    between_all(&digest.html, &format!("href=\"{base_url}/papers/"), "\"")
        .into_iter()
        .filter(|path| !["date/", "week/"].iter().any(|period| path.starts_with(period)))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn subscribers_get_exactly_the_digest_they_asked_for_until_they_leave() {
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_SMTP_URL", &smtp.url()), NO_CLOCK]);
    let settings = [
        ("PAPERBOY_SMTP_URL", smtp.url()),
        ("PAPERBOY_PUBLIC_URL", server.base_url.clone()),
    ];
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // The banner leads to the form.
    assert!(server.text("/").await.contains("href=\"/subscribe\""));
    assert!(server.text("/subscribe").await.contains("name=\"categories\""));

    // Bad input is named and nothing is sent.
    for (fields, message) in [
        (vec![("email", "not-an-address")], "is not an e-mail address"),
        (
            vec![("email", "a@example.org\r\nBcc: victim@example.org")],
            "is not an e-mail address",
        ),
        (vec![("email", "a@example.org"), ("categories", "cs.NOPE")], "cs.NOPE"),
        (vec![("email", "a@example.org"), ("max_papers", "500")], "max_papers"),
    ] {
        let response = subscribe(&server, &fields).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.expect("body").contains(message), "{message}");
    }

    let answer_for = |body: String| {
        body.replace("ada@example.org", "X")
            .replace("linguist@example.org", "X")
    };
    let first = subscribe(&server, &[("email", "ada@example.org"), ("frequency", "daily")]).await;
    assert_eq!(first.status(), 200);
    let first = answer_for(first.text().await.expect("body"));
    let linguist = subscribe(
        &server,
        &[
            ("email", "linguist@example.org"),
            ("categories", "cs.CL"),
            ("max_papers", "5"),
        ],
    )
    .await;
    assert_eq!(answer_for(linguist.text().await.expect("body")), first);
    let pending = subscribe(&server, &[("email", "pending@example.org")]).await;
    assert_eq!(pending.status(), 200);

    confirm(&server, &smtp, "ada@example.org").await;
    confirm(&server, &smtp, "linguist@example.org").await;
    // Asking again for an active address answers the same and changes nothing.
    let again = subscribe(&server, &[("email", "ada@example.org"), ("frequency", "weekly")]).await;
    assert_eq!(answer_for(again.text().await.expect("body")), first);

    let run = digest_run(&instance, &settings, &["--frequency", "daily", "--date", "2026-02-13"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("2 digests queued"), "{}", run.stdout);

    let messages = received(&smtp);
    let ada = digests_to(&messages, "ada@example.org");
    assert_eq!(ada.len(), 1, "exactly one digest");
    let digest = ada[0];
    assert_eq!(digest.subject, "Trending papers — Fri, 13 Feb 2026");
    assert_eq!(digest.content_type, "multipart/alternative");
    assert!(
        !digest.text.is_empty() && !digest.html.is_empty(),
        "text and HTML parts"
    );
    assert!(!digest.html.contains("<script"), "no scripts in mail");
    let expected = top_of_day(&server, "2026-02-13").await;
    assert_eq!(expected.len(), 10);
    assert_eq!(
        linked_papers(digest, &server.base_url),
        expected,
        "the day's top ten, in order"
    );
    for id in &expected {
        assert!(
            digest.text.contains(&format!("{}/papers/{id}", server.base_url)),
            "{id} in the text part"
        );
    }
    assert!(digest.text.contains(" votes"), "votes are shown");
    let unsubscribe = &digest.headers["list-unsubscribe"];
    let one_click_url = between_all(unsubscribe, "<", ">")[0].to_owned();
    assert!(
        one_click_url.starts_with(&format!("{}/unsubscribe/", server.base_url)),
        "{unsubscribe}"
    );
    assert!(unsubscribe.contains("<mailto:"), "{unsubscribe}");
    assert_eq!(digest.headers["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
    for header in ["message-id", "date", "list-id", "auto-submitted"] {
        assert!(digest.headers.contains_key(header), "{header} is set");
    }

    let linguist = digests_to(&messages, "linguist@example.org");
    assert_eq!(linguist.len(), 1);
    let cl_papers = linked_papers(linguist[0], &server.base_url);
    assert!(!cl_papers.is_empty() && cl_papers.len() <= 5);
    for id in &cl_papers {
        let paper = server.json(&format!("/api/papers/{id}")).await;
        let categories = paper.to_string();
        assert!(categories.contains("\"cs.CL\""), "{id} is a cs.CL paper");
    }
    assert!(
        digests_to(&messages, "pending@example.org").is_empty(),
        "unconfirmed gets nothing"
    );

    // A rerun sends nothing twice.
    let rerun = digest_run(&instance, &settings, &["--frequency", "daily", "--date", "2026-02-13"]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(digests_to(&received(&smtp), "ada@example.org").len(), 1);

    // One click, as a mail provider sends it: a POST from elsewhere, no page in between.
    let response = reqwest::Client::new()
        .post(&one_click_url)
        .header(ORIGIN, "https://mail.example.com")
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("one-click answers");
    assert_eq!(response.status(), 200);
    let next = digest_run(&instance, &settings, &["--frequency", "daily", "--date", "2026-02-12"]);
    assert_eq!(next.code, 0, "{}", next.stderr);
    let messages = received(&smtp);
    assert_eq!(
        digests_to(&messages, "ada@example.org").len(),
        1,
        "nothing after unsubscribing"
    );
    assert_eq!(
        digests_to(&messages, "linguist@example.org").len(),
        2,
        "the others go on"
    );
    let saturday = digest_run(&instance, &settings, &["--frequency", "daily", "--date", "2026-02-14"]);
    assert!(saturday.stdout.contains("no papers were listed"), "{}", saturday.stdout);
    assert_eq!(
        received(&smtp).len(),
        messages.len(),
        "no digest on a day without announcements"
    );
    let thursday = digests_to(&messages, "linguist@example.org")
        .into_iter()
        .find(|digest| digest.subject == "Trending papers — Thu, 12 Feb 2026")
        .expect("the digest of the 12th");
    let earlier: Vec<String> = linked_papers(thursday, &server.base_url);
    assert!(
        earlier.iter().all(|id| !cl_papers.contains(id)),
        "a paper is never sent twice"
    );
}

#[tokio::test]
async fn manage_links_change_topics_and_reject_forgeries() {
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_SMTP_URL", &smtp.url()), NO_CLOCK]);
    subscribe(&server, &[("email", "ada@example.org")]).await;
    confirm(&server, &smtp, "ada@example.org").await;
    let daily = digest_run(
        &instance,
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            ("PAPERBOY_PUBLIC_URL", &server.base_url),
        ],
        &["--frequency", "daily", "--date", "2026-02-13"],
    );
    assert_eq!(daily.code, 0, "{}", daily.stderr);
    // Subscribing again mails the manage link to the mailbox, not to whoever asked.
    subscribe(&server, &[("email", "ada@example.org")]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let reminder = loop {
        let messages = received(&smtp);
        if let Some(reminder) = messages
            .into_iter()
            .find(|m| m.subject.starts_with("Your Paperboy digest"))
        {
            break reminder;
        }
        assert!(Instant::now() < deadline, "no reminder mail");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let manage = link_in(&reminder.text, &server.base_url, "/subscription/");
    assert!(server.text(&manage).await.contains("ada@example.org"));
    // Another last digit (one in sixteen signatures already ends in 0).
    let other = if manage.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{other}", &manage[..manage.len() - 1]);
    assert_eq!(
        server.get(&forged).await.status(),
        404,
        "a changed signature is refused"
    );
    let (id, signature) = manage
        .trim_start_matches("/subscription/")
        .split_once('-')
        .expect("id-signature");
    let other_id = format!("/subscription/{}-{signature}", id.parse::<i64>().expect("id") + 1);
    assert_eq!(
        server.get(&other_id).await.status(),
        404,
        "a signature is for one subscription"
    );

    let save = |fields: Vec<(&'static str, &'static str)>, origin: &'static str| {
        server
            .client()
            .post(format!("{}{manage}", server.base_url))
            .header(
                ORIGIN,
                if origin.is_empty() {
                    server.base_url.clone()
                } else {
                    origin.to_owned()
                },
            )
            .form(&fields)
            .send()
    };
    let cross_site = save(vec![("action", "unsubscribe")], "https://evil.example")
        .await
        .expect("answers");
    assert_eq!(cross_site.status(), 403, "forms from other sites are refused");
    let bad = save(vec![("action", "save"), ("frequency", "hourly")], "")
        .await
        .expect("answers");
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("daily or weekly"));
    let saved = save(
        vec![
            ("action", "save"),
            ("frequency", "weekly"),
            ("categories", "cs.cl"),
            ("max_papers", "3"),
        ],
        "",
    )
    .await
    .expect("answers");
    assert_eq!(saved.status(), 200);
    let page = saved.text().await.unwrap();
    assert!(
        page.contains("value=\"cs.CL\"") && page.contains("value=\"3\""),
        "{page}"
    );
    let saved = save(
        vec![("action", "save"), ("frequency", "weekly"), ("max_papers", "10")],
        "",
    )
    .await
    .expect("answers");
    assert_eq!(saved.status(), 200);

    // The week's digest leaves out what the daily digest already sent.
    let settings = [
        ("PAPERBOY_SMTP_URL", smtp.url()),
        ("PAPERBOY_PUBLIC_URL", server.base_url.clone()),
    ];
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let preview = instance
        .command()
        .env("PAPERBOY_PUBLIC_URL", &server.base_url)
        .args([
            "digest",
            "preview",
            "--email",
            "ada@example.org",
            "--date",
            "2026-02-13",
        ])
        .output()
        .expect("preview runs");
    let unfiltered = linked_papers(&parse(&preview.stdout), &server.base_url);
    assert_eq!(unfiltered.len(), 10, "{}", String::from_utf8_lossy(&preview.stderr));
    let run = digest_run(&instance, &settings, &["--frequency", "weekly", "--date", "2026-02-13"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let messages = received(&smtp);
    let weekly = digests_to(&messages, "ada@example.org");
    assert_eq!(weekly.len(), 2, "the daily digest, then the weekly one");
    let daily = weekly
        .iter()
        .find(|d| d.subject == "Trending papers — Fri, 13 Feb 2026")
        .expect("daily");
    let week = weekly
        .iter()
        .find(|d| d.subject == "Trending papers — week of Mon, 9 Feb 2026")
        .expect("weekly");
    let daily_papers = linked_papers(daily, &server.base_url);
    let week_papers = linked_papers(week, &server.base_url);
    assert_eq!(week_papers.len(), 10);
    assert!(
        unfiltered.iter().any(|id| daily_papers.contains(id)),
        "the week's best include some of the day's, so the rule is tested"
    );
    assert!(
        week_papers.iter().all(|id| !daily_papers.contains(id)),
        "a paper is never sent twice"
    );
}

pub fn import_subscribers(instance: &Instance, count: usize) -> Vec<String> {
    let addresses: Vec<String> = (0..count).map(|n| format!("reader{n:04}@example.org")).collect();
    let file = instance.data_dir.path().join("subscribers.txt");
    std::fs::write(&file, addresses.join("\n")).expect("write list");
    let run = instance.run(&["subscribers", "import", file.to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    addresses
}

/// Digests per address among the captured messages.
pub fn digests_per_address(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for message in received(smtp) {
        if message.subject.starts_with("Trending papers") {
            *counts.entry(message.to).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test]
async fn a_mail_server_that_is_down_gets_every_digest_once_when_it_comes_back() {
    let instance = Instance::with_demo_data();
    let addresses = import_subscribers(&instance, 20);
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let mut command = instance.command();
    command
        .env("PAPERBOY_SMTP_URL", &url)
        .env("PAPERBOY_DIGEST_RETRY_SECONDS", "1")
        .args([
            "digest",
            "run",
            "--frequency",
            "daily",
            "--date",
            "2026-02-13",
            "--wait",
        ])
        .env("PAPERBOY_PUBLIC_URL", "https://paperboy.example.org")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().expect("digest run starts");
    // Long enough for a few refused attempts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let smtp = SmtpServer::start_on(port);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("digest run ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let counts = digests_per_address(&smtp);
    for address in &addresses {
        assert_eq!(counts.get(address), Some(&1), "{address} got exactly one digest");
    }
    assert_eq!(counts.len(), addresses.len());
}

#[tokio::test]
async fn a_sender_killed_halfway_is_finished_by_the_next_run_without_doubles() {
    let instance = Instance::with_demo_data();
    let addresses = import_subscribers(&instance, 1000);
    let smtp = SmtpServer::start();
    let settings = [
        ("PAPERBOY_SMTP_URL", smtp.url()),
        // The killed worker's claims lapse quickly, so the rerun may take them over.
        ("PAPERBOY_DIGEST_LEASE_SECONDS", "1".to_owned()),
        ("PAPERBOY_PUBLIC_URL", "https://paperboy.example.org".to_owned()),
    ];
    let mut command = instance.command();
    for (key, value) in &settings {
        command.env(key, value);
    }
    let mut child = command
        .args(["digest", "run", "--frequency", "daily", "--date", "2026-02-13"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("digest run starts");
    // Killed at a random point of the sending: after somewhere between 50 and 900 messages.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .subsec_nanos() as usize;
    let kill_after = 50 + nanos % 850;
    eprintln!("killing the sender after {kill_after} messages");
    let deadline = Instant::now() + Duration::from_secs(120);
    while smtp.count() < kill_after {
        assert!(Instant::now() < deadline, "digests did not start arriving");
        assert!(
            child.try_wait().expect("status").is_none(),
            "the run ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let before = smtp.count();
    assert!(before < addresses.len(), "killed halfway, with {before} sent");
    // The rerun's clock runs ahead of the killed worker's one-second leases, so it may take
    // them over at once (no sleeping until they lapse).
    let mut settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    settings.push(("PAPERBOY_CLOCK", "+5"));
    let rerun = digest_run(
        &instance,
        &settings,
        &["--frequency", "daily", "--date", "2026-02-13", "--wait"],
    );
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    let counts = digests_per_address(&smtp);
    let doubles: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubles.is_empty(), "sent twice: {doubles:?}");
    let missing: Vec<_> = addresses.iter().filter(|a| !counts.contains_key(*a)).collect();
    let store = instance.store().await;
    let states = store.delivery_counts(None).await.expect("counts");
    eprintln!(
        "killed after {before} messages; {} handed over without a recorded answer, {} missing",
        states.handed_over,
        missing.len()
    );
    assert!(missing.is_empty(), "{} never sent ({states:?})", missing.len());
    assert_eq!(states.outstanding(), 0, "nothing is left queued");
    assert_eq!(store.integrity_problems().await.expect("checked"), Vec::<String>::new());
}

#[tokio::test]
async fn addresses_that_keep_bouncing_are_marked_and_skipped() {
    let instance = Instance::with_demo_data();
    let file = instance.data_dir.path().join("subscribers.txt");
    std::fs::write(&file, "reader@example.org\ngone@example.org\nnot an address\n").expect("write list");
    let import = instance.run(&["subscribers", "import", file.to_str().expect("utf-8 path")]);
    assert_eq!(import.code, 1, "a bad line is an error");
    assert!(import.stderr.contains("line 3"), "{}", import.stderr);
    assert!(import.stdout.contains("2 subscribers imported"), "{}", import.stdout);
    let smtp = SmtpServer::start_with("RefusingMailbox", free_port());
    let settings = [
        ("PAPERBOY_SMTP_URL", smtp.url()),
        ("PAPERBOY_DIGEST_BOUNCE_LIMIT", "2".to_owned()),
    ];
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (day, refused) in [("2026-02-11", true), ("2026-02-12", true), ("2026-02-13", false)] {
        let run = digest_run(&instance, &settings, &["--frequency", "daily", "--date", day]);
        if refused {
            assert_eq!(run.code, 1, "a refused digest is reported: {}", run.stdout);
            assert!(run.stdout.contains("failed 1"), "{}", run.stdout);
        } else {
            assert_eq!(run.code, 0, "the bounced address is no longer tried: {}", run.stdout);
            assert!(run.stdout.contains("1 digests queued"), "{}", run.stdout);
        }
    }
    let store = instance.store().await;
    let gone = store
        .subscription_by_email("gone@example.org")
        .await
        .expect("lookup")
        .expect("kept");
    assert_eq!(gone.status, paperboy_store::SubscriptionStatus::Bounced);
    assert_eq!(digests_per_address(&smtp).get("reader@example.org"), Some(&3));
}

#[tokio::test]
async fn preview_prints_the_message_a_subscriber_would_get() {
    let instance = Instance::with_demo_data();
    import_subscribers(&instance, 1);
    let run = instance.run(&[
        "digest",
        "preview",
        "--email",
        "reader0000@example.org",
        "--date",
        "2026-02-13",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let message = parse(run.stdout.as_bytes());
    assert_eq!(message.subject, "Trending papers — Fri, 13 Feb 2026");
    assert!(message.headers.contains_key("list-unsubscribe"));
    let nothing = instance.run(&[
        "digest",
        "preview",
        "--email",
        "reader0000@example.org",
        "--date",
        "2026-02-14",
    ]);
    assert_eq!(nothing.code, 1, "Saturday has nothing new");
    assert!(nothing.stderr.contains("no digest would be sent"), "{}", nothing.stderr);
    let unknown = instance.run(&["digest", "preview", "--email", "nobody@example.org"]);
    assert_eq!(unknown.code, 2);

    // Without --date: the latest day with papers (the sample ends on 27 February), said so.
    let latest = instance.run(&["digest", "preview", "--email", "reader0000@example.org"]);
    assert_eq!(latest.code, 0, "{}", latest.stderr);
    assert!(
        latest.stderr.contains("previewing daily:2026-02-27"),
        "{}",
        latest.stderr
    );
    assert!(latest.stderr.contains("public_url is not set"), "{}", latest.stderr);
    assert_eq!(
        parse(latest.stdout.as_bytes()).subject,
        "Trending papers — Fri, 27 Feb 2026"
    );
}

#[tokio::test]
async fn mail_with_links_to_this_machine_is_refused_unless_asked_for() {
    let instance = Instance::with_demo_data();
    import_subscribers(&instance, 1);
    let smtp = SmtpServer::start();
    let mut command = instance.command();
    command.env("PAPERBOY_SMTP_URL", smtp.url());
    let run = Run::from(
        command
            .args(["digest", "run", "--frequency", "daily", "--date", "2026-02-13"])
            .output()
            .expect("runs"),
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("public_url is not set"), "{}", run.stderr);
    assert!(
        run.stderr.contains("PAPERBOY_PUBLIC_URL"),
        "it says how to set it: {}",
        run.stderr
    );
    assert_eq!(smtp.count(), 0, "nothing was sent");
    let mut command = instance.command();
    command.env("PAPERBOY_SMTP_URL", smtp.url());
    let allowed = Run::from(
        command
            .args([
                "digest",
                "run",
                "--frequency",
                "daily",
                "--date",
                "2026-02-13",
                "--allow-unset-public-url",
            ])
            .output()
            .expect("runs"),
    );
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert_eq!(smtp.settled_count_to("reader0000@example.org"), 1);
}

#[tokio::test]
async fn confirmation_mails_are_limited_per_address_and_per_client() {
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            ("PAPERBOY_SUBSCRIBE_REQUESTS_PER_CLIENT", "5"),
        ],
    );
    for _ in 0..4 {
        let response = subscribe(&server, &[("email", "target@example.org")]).await;
        assert_eq!(response.status(), 200, "the answer does not change at the limit");
    }
    let wait_until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let confirmations = received(&smtp)
        .into_iter()
        .filter(|m| m.to == "target@example.org")
        .count();
    assert_eq!(
        confirmations, 3,
        "at most three confirmation mails a day to one address"
    );
    let fifth = subscribe(&server, &[("email", "other@example.org")]).await;
    assert_eq!(fifth.status(), 200);
    let sixth = subscribe(&server, &[("email", "third@example.org")]).await;
    assert_eq!(sixth.status(), 429, "one client may ask only so often");
}
