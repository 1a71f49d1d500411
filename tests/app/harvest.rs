//! Harvesting arXiv, against a local stand-in (fake_arxiv.rs) that replays recorded responses
//! and misbehaves on demand: what lands, how far apart requests are, what each fault does, and
//! that a SIGKILL mid-harvest followed by a restart ends where an uninterrupted run ends.

use paperboy_store::{HarvestStore, PaperStore};
use std::process::Command;
use std::time::{Duration, Instant};

use jiff::civil::{Date, date};
use paperboy_core::{ArxivId, Paper};

use crate::fake_arxiv::{DayPaper, Endpoint, FakeArxiv, Fault, sample_days};
use crate::helpers::{Instance, Run, fixture, free_port};

/// Between requests in these tests; arXiv's own 3 s would make them slow.
const INTERVAL: &str = "0.15";

fn harvest_command(instance: &Instance, fake: &FakeArxiv, arguments: &[&str]) -> Command {
    let mut command = instance.command();
    for (key, value) in fake.settings(INTERVAL) {
        command.env(key, value);
    }
    command.arg("harvest").args(arguments);
    command
}

/// Runs `paperboy harvest ARGS` to its end (off the async workers, which serve the fake).
async fn harvest(instance: &Instance, fake: &FakeArxiv, arguments: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut command = harvest_command(instance, fake, arguments);
    for (key, value) in extra {
        command.env(key, value);
    }
    let output = tokio::task::spawn_blocking(move || command.output().expect("paperboy runs"))
        .await
        .unwrap();
    Run::from(output)
}

fn write_config(instance: &Instance, text: &str) {
    std::fs::write(instance.data_dir.path().join("paperboy.toml"), text).unwrap();
}

fn id(text: &str) -> ArxivId {
    ArxivId::parse(text).unwrap()
}

/// Every gap between two requests is at least the configured interval.
fn assert_spaced(fake: &FakeArxiv, at_least: Duration) {
    let requests = fake.requests();
    for pair in requests.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= at_least,
            "{:?} after {:?}: only {gap:?} apart ({} then {})",
            pair[1].1,
            pair[0].1,
            pair[0].2,
            pair[1].2
        );
    }
}

/// A day of the sample with at least `count` papers, trimmed to `count`.
fn sample_day(count: usize) -> (Date, Vec<DayPaper>) {
    let (day, papers) = sample_days()
        .into_iter()
        .find(|(_, papers)| papers.len() >= count)
        .expect("a big enough day");
    (day, papers.into_iter().take(count).collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_responses_land_replacements_only_update_and_the_api_error_keeps_the_feed() {
    let fake = FakeArxiv::start().await;
    fake.set_feed(std::fs::read_to_string(fixture("fixtures/recorded/rss/rss-cs.LG+cs.AI+cs.CL+stat.ML.xml")).unwrap());
    // The API answers this day's batch with its recorded error response.
    fake.refuse_ids(&["2609.26811"]);
    let recorded_page = std::fs::read_to_string(fixture(
        "fixtures/recorded/oai-pmh/listrecords-oai_dc-cs-resumption.xml",
    ))
    .unwrap();
    let token_start = recorded_page.find("<resumptionToken").unwrap();
    let token_end = recorded_page.find("</resumptionToken>").unwrap() + "</resumptionToken>".len();
    let last_page = format!(
        "{}<resumptionToken cursor=\"1001\" completeListSize=\"1162\"/>{}",
        &recorded_page[..token_start],
        &recorded_page[token_end..]
    );
    // The recorded page's real token (`6960524|1001`) is not the stand-in's; a request with it
    // would read as expired. Serve the recorded page first and its end under the stand-in's token.
    fake.set_oai_pages(vec![recorded_page.replace("6960524|1001", "page-1"), last_page]);

    let instance = Instance::new();
    write_config(
        &instance,
        "harvest_categories = [\"cs.LG\", \"cs.AI\", \"cs.CL\", \"stat.ML\"]\n\
         instance_name = \"Paperboy Test\"\narxiv_contact = \"ops@paperboy.test\"\n",
    );
    // A paper the instance already holds, which the feed announces as replaced.
    let mut held = Paper::new(id("2009.13987"));
    held.latest_version = Some(1);
    held.title = "An earlier title".to_owned();
    held.categories = vec![paperboy_core::Category::parse("cs.LG").unwrap()];
    held.listing_dates.insert(date(2020, 9, 30));
    instance.store().await.merge_papers(vec![held]).await.unwrap();

    let run = harvest(&instance, &fake, &["--once"], &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("arXiv API error"),
        "the refusal is reported: {}",
        run.stderr
    );

    let listed = |paper: &Paper| paper.listing_dates.iter().copied().collect::<Vec<_>>();
    for (new, title_start) in [("2609.26811", "The Drift Contract"), ("2609.26820", "Signal2Symbol")] {
        let paper = instance.paper(new).await.expect("announced paper lands");
        assert!(paper.title.starts_with(title_start), "{}", paper.title);
        assert_eq!(listed(&paper), [date(2026, 9, 24)]);
        assert!(
            !paper.abstract_text.contains("Announce Type"),
            "{}",
            paper.abstract_text
        );
    }
    let cross = instance.paper("2205.06398").await.expect("cross-list lands");
    assert_eq!(listed(&cross), [date(2026, 9, 24)]);
    let replaced = instance.paper("2009.13987").await.unwrap();
    assert_eq!(replaced.latest_version, Some(3));
    assert_ne!(replaced.title, "An earlier title");
    assert_eq!(
        listed(&replaced),
        [date(2020, 9, 30)],
        "a replacement is not listed again"
    );

    // OAI-PMH: the recorded page and its continuation. The January 2024 paper is new enough
    // for the list's window and goes on the list arXiv's calendar gives it (submitted Thursday
    // 2024-01-25, announced that evening: Friday's list); the 2013 paper, updated that day, is
    // not news to an instance that never held it.
    let chatgpt = instance.paper("2401.14040").await.expect("OAI-PMH record lands");
    assert_eq!(listed(&chatgpt), [date(2024, 1, 26)]);
    assert!(instance.paper("1303.2033").await.is_none());
    let oai_requests: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|(_, endpoint, _)| *endpoint == Endpoint::Oai)
        .map(|(_, _, uri)| uri)
        .collect();
    assert!(oai_requests[0].contains("metadataPrefix=arXivRaw") && oai_requests[0].contains("set=cs"));
    assert!(oai_requests[1].contains("resumptionToken=page-1"), "{oai_requests:?}");
    assert_spaced(&fake, Duration::from_secs_f64(0.15));
    // Every request names the instance and whom arXiv may write to.
    let agents = fake.user_agents();
    assert!(
        agents.iter().all(|agent| agent.starts_with("Paperboy/")
            && agent.contains("Paperboy Test")
            && agent.contains("mailto:ops@paperboy.test")),
        "{agents:?}"
    );

    // Again: the feed has nothing new, and nothing changes.
    let before = instance.all_papers().await;
    let again = harvest(&instance, &fake, &["--once"], &[]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("feed: nothing new"), "{}", again.stdout);
    assert_eq!(instance.all_papers().await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_api_entries_complete_what_the_feed_announces() {
    let fake = FakeArxiv::start().await;
    let day = date(2026, 2, 17);
    // The ids of a page recorded from the real API (query-testing-page0.atom.xml): asked for
    // in one batch, the stand-in replays that page byte for byte.
    let announced: Vec<DayPaper> = [
        "1202.4527",
        "1205.1866",
        "1812.11470",
        "2005.14124",
        "2202.12139",
        "2204.08348",
        "2302.03287",
        "2405.13786",
        "2502.07719",
        "2503.05378",
    ]
    .iter()
    .map(|id| DayPaper {
        id: (*id).to_owned(),
        title: format!("As the feed titles {id}"),
        abstract_text: "As the feed gives it.".to_owned(),
        authors: vec!["Someone".to_owned()],
        categories: vec!["cs.SE".to_owned()],
        announce: "new",
    })
    .collect();
    fake.serve_day(day, &announced, 10);
    let instance = Instance::new();
    let run = harvest(&instance, &fake, &["--once"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let paper = instance.paper("2202.12139").await.unwrap();
    assert_eq!(
        paper.title,
        "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    );
    assert_eq!(paper.doi.as_deref(), Some("10.1109/ICSTW55395.2022.00035"));
    assert!(
        paper
            .journal_ref
            .as_deref()
            .unwrap()
            .starts_with("Artificial Intelligence in Software Testing")
    );
    assert_eq!(paper.first_version_date, Some(date(2022, 2, 24)));
    assert_eq!(paper.authors[0], "Mohit Kumar Ahuja");
    assert_eq!(paper.listing_dates.iter().copied().collect::<Vec<_>>(), [day]);
    assert!(instance.paper("2405.13786").await.unwrap().journal_ref.is_some());
    assert_eq!(instance.all_papers().await.len(), 10);
    assert_eq!(fake.replayed_pages(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_reads_oai_pmh_for_its_range_and_lists_papers_on_their_calendar_day() {
    let fake = FakeArxiv::start().await;
    let day = date(2026, 2, 17);
    let papers = sample_days().remove(&day).unwrap();
    let chosen: Vec<DayPaper> = papers.into_iter().take(25).collect();
    fake.serve_day(day, &chosen, 10);
    let instance = Instance::new();
    let run = harvest(
        &instance,
        &fake,
        &["--from", "2026-02-15", "--until", "2026-02-17"],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = fake.requests();
    assert!(
        requests.iter().all(|(_, endpoint, _)| *endpoint == Endpoint::Oai),
        "OAI-PMH only"
    );
    assert!(requests[0].2.contains("from=2026-02-15") && requests[0].2.contains("until=2026-02-17"));
    assert_eq!(requests.len(), 3, "three pages of ten");
    let held = instance.all_papers().await;
    let harvested = ["cs.AI", "cs.CL", "cs.CV"];
    let wanted = chosen
        .iter()
        .filter(|paper| paper.categories.iter().any(|c| harvested.contains(&c.as_str())))
        .count();
    assert_eq!(held.len(), wanted);
    // Submitted Monday morning, announced Monday evening: Tuesday's list.
    assert!(
        held.iter()
            .all(|paper| paper.listing_dates.iter().copied().collect::<Vec<_>>() == [day])
    );
    let checkpoint = instance
        .store()
        .await
        .harvest_checkpoint("backfill:cs:2026-02-15:2026-02-17")
        .await;
    assert_eq!(checkpoint.unwrap(), None, "a finished back-fill forgets its position");
    let runs = instance.store().await.harvest_runs(1).await.unwrap();
    assert_eq!(runs[0].kind, "backfill");
    let refused = instance.run(&["harvest", "--from", "2026-02-17", "--until", "2026-02-15"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("is after --until"), "{}", refused.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_is_survived_and_requests_stay_apart() {
    let fake = FakeArxiv::start().await;
    let (day, papers) = sample_day(40);
    fake.serve_day(day, &papers, 10);
    fake.inject(Endpoint::Feed, Fault::Busy { retry_after_seconds: 1 });
    fake.inject(Endpoint::Feed, Fault::CutShort);
    fake.inject(Endpoint::Api, Fault::TooManyRequests);
    fake.inject(Endpoint::Api, Fault::Slow(Duration::from_secs(3)));
    fake.inject(Endpoint::Oai, Fault::CutShort);
    fake.inject(Endpoint::Oai, Fault::Busy { retry_after_seconds: 0 });
    fake.inject(Endpoint::Oai, Fault::ExpiredToken);

    let instance = Instance::new();
    let started = Instant::now();
    let run = harvest(&instance, &fake, &["--once"], &[("PAPERBOY_HARVEST_API_BATCH", "10")]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    eprintln!("{} in {:?}", run.stdout.trim(), started.elapsed());

    let held = instance.all_papers().await;
    assert_eq!(held.len(), 40, "every announced paper landed once");
    assert!(
        held.iter()
            .all(|paper| paper.listing_dates.iter().copied().collect::<Vec<_>>() == [day])
    );
    assert!(
        held.iter().all(|paper| paper.comment.is_some()),
        "completed from the API"
    );

    let requests = fake.requests();
    assert_spaced(&fake, Duration::from_secs_f64(0.15));
    // The retry after the 503 waited out its Retry-After.
    assert!(requests[1].0 - requests[0].0 >= Duration::from_secs(1));
    // The expired token sent the list back to its start: a second request with `from`.
    let list_starts = requests
        .iter()
        .filter(|(_, endpoint, uri)| *endpoint == Endpoint::Oai && uri.contains("from="))
        .count();
    assert!(
        list_starts >= 3,
        "cut, busy, then restarted after the expired token: {requests:?}"
    );
    assert!(run.stderr.contains("resumption token expired"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_keeps_failing_stops_cleanly_and_the_next_one_resumes() {
    let fake = FakeArxiv::start().await;
    let (day, papers) = sample_day(30);
    fake.serve_day(day, &papers, 10);
    // The second API batch fails on every attempt (4): the run stops there.
    for _ in 0..4 {
        fake.inject(Endpoint::Api, Fault::TooManyRequests);
    }
    let instance = Instance::new();
    let batch = [("PAPERBOY_HARVEST_API_BATCH", "10")];
    let first = harvest(&instance, &fake, &["--once"], &batch).await;
    assert_eq!(first.code, 1, "{}\n{}", first.stdout, first.stderr);
    assert!(first.stderr.contains("gave up after 4 attempts"), "{}", first.stderr);
    // What the feed said is kept: the papers are there, waiting to be completed.
    assert_eq!(instance.all_papers().await.len(), 30);
    let runs = instance.store().await.harvest_runs(5).await.unwrap();
    assert!(!runs[0].succeeded && runs[0].message.contains("stopped"), "{runs:?}");

    fake.clear_requests();
    let second = harvest(&instance, &fake, &["--once"], &batch).await;
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    let requests = fake.requests();
    assert_eq!(
        requests[0].1,
        Endpoint::Api,
        "resumed where it stopped, without reading the feed again"
    );
    let api_requests = requests.iter().filter(|(_, e, _)| *e == Endpoint::Api).count();
    assert_eq!(api_requests, 3, "the three batches, none twice");
    let held = instance.all_papers().await;
    assert!(held.iter().all(|paper| paper.comment.is_some()));
    assert!(instance.store().await.harvest_runs(1).await.unwrap()[0].succeeded);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_harvest_then_a_restart_gives_the_same_database_as_an_uninterrupted_run() {
    let fake = FakeArxiv::start().await;
    let (day, papers) = sample_day(60);
    fake.serve_day(day, &papers, 8);
    let batch = [("PAPERBOY_HARVEST_API_BATCH", "8")];

    let reference = Instance::new();
    let run = harvest(&reference, &fake, &["--once"], &batch).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let total_requests = fake.requests().len();
    let expected = reference.all_papers().await;
    assert_eq!(expected.len(), 60);

    for kill_after in [3, total_requests / 2, total_requests - 2] {
        fake.clear_requests();
        let victim = Instance::new();
        let mut command = harvest_command(&victim, &fake, &["--once"]);
        command.env(batch[0].0, batch[0].1);
        command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = command.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while fake.requests().len() < kill_after && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        let _ = child.wait();
        let resumed = harvest(&victim, &fake, &["--once"], &batch).await;
        assert_eq!(resumed.code, 0, "{}", resumed.stderr);
        assert_eq!(
            victim.all_papers().await,
            expected,
            "killed after {kill_after} of {total_requests} requests"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_process_of_the_fleet_harvests_at_a_time() {
    let fake = FakeArxiv::start().await;
    let (day, papers) = sample_day(40);
    fake.serve_day(day, &papers, 5);
    let instance = Instance::new();
    let batch = [("PAPERBOY_HARVEST_API_BATCH", "5")];
    // The first process takes the arXiv lease and harvests for a few seconds…
    let mut first = harvest_command(&instance, &fake, &["--once"]);
    first.env(batch[0].0, batch[0].1);
    first.env("PAPERBOY_ARXIV_MIN_INTERVAL", "0.3");
    let first = tokio::task::spawn_blocking(move || first.output());
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.requests().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // …and a second one, on the same database, does nothing meanwhile.
    let second = harvest(&instance, &fake, &["--once"], &batch).await;
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(
        second.stderr.contains("another process is harvesting"),
        "{}",
        second.stderr
    );
    let first = Run::from(first.await.unwrap().unwrap());
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_spaced(&fake, Duration::from_secs_f64(0.3));
    assert_eq!(instance.all_papers().await.len(), 40);
    // The lease is released at the end: the next run may go.
    let third = harvest(&instance, &fake, &["--once"], &batch).await;
    assert_eq!(third.code, 0, "{}", third.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_network_a_run_warns_and_stops_and_a_server_keeps_serving() {
    let instance = Instance::with_demo_data();
    let closed = format!("http://127.0.0.1:{}", free_port());
    let settings = [
        ("PAPERBOY_ARXIV_RSS_URL", format!("{closed}/rss")),
        ("PAPERBOY_ARXIV_API_URL", format!("{closed}/api/query")),
        ("PAPERBOY_ARXIV_OAI_URL", format!("{closed}/oai")),
        ("PAPERBOY_ARXIV_MIN_INTERVAL", "0".to_owned()),
        ("PAPERBOY_ARXIV_RETRY_SECONDS", "0.05".to_owned()),
        ("PAPERBOY_ARXIV_MAX_ATTEMPTS", "2".to_owned()),
    ];
    let mut command = instance.command();
    for (key, value) in &settings {
        command.env(key, value);
    }
    let run = Run::from(command.args(["harvest", "--once"]).output().unwrap());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be reached"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);

    let mut server_settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    server_settings.push(("PAPERBOY_HARVEST_SCHEDULE", "true"));
    let server = instance.spawn_server_with("serve", &server_settings);
    // The first scheduled run is due at once (none has succeeded) and fails.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.log().contains("cannot be reached") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(server.log().contains("cannot be reached"), "{}", server.log());
    assert_eq!(server.get("/papers/date/2026-02-02").await.status(), 200);
    assert_eq!(server.get("/readyz").await.status(), 200);
    // The demo's last list is February's: months behind the calendar, so not healthy.
    let health = server.get("/healthz").await;
    assert_eq!(health.status(), 503);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["harvest"]["latest_list"], "2026-02-27");
    assert!(body["harvest"]["problem"].as_str().unwrap().contains("no list for"));
    let metrics = server.text("/metrics").await;
    assert!(metrics.contains("paperboy_harvest_healthy 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_harvests_on_its_schedule() {
    let fake = FakeArxiv::start().await;
    let (day, papers) = sample_day(12);
    fake.serve_day(day, &papers, 10);
    let instance = Instance::new();
    let settings = fake.settings(INTERVAL);
    let mut pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    pairs.push(("PAPERBOY_HARVEST_SCHEDULE", "true"));
    let server = instance.spawn_server_with("serve", &pairs);
    let path = format!("/api/papers/{}", papers[0].id);
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.get(&path).await.status() != 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(server.get(&path).await.status(), 200, "{}", server.log());
    let page = server.text(&format!("/papers/date/{day}")).await;
    assert!(
        page.contains(&papers[0].title.replace('&', "&amp;")),
        "the day's list shows it"
    );
    // The run is logged; /healthz says when it succeeded (its status is 503 all the same: the
    // sample day is months behind arXiv's calendar).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut health = serde_json::Value::Null;
    while Instant::now() < deadline {
        health = server.get("/healthz").await.json().await.unwrap();
        if health["harvest"]["last_success"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(health["harvest"]["last_success"].is_string(), "{health}");
    assert_eq!(health["harvest"]["scheduled"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn hugging_face_votes_are_synced_for_held_papers_only() {
    let fake = FakeArxiv::start().await;
    fake.set_feed(format!("{}  </channel>\n</rss>\n", crate::fake_arxiv::FEED_HEAD));
    fake.set_oai_pages(Vec::new());
    let hf_body = std::fs::read_to_string(fixture("fixtures/recorded/hf-api/daily_papers-2026-06-12.json")).unwrap();
    let daily: serde_json::Value = serde_json::from_str(&hf_body).unwrap();
    let first = daily[0]["paper"]["id"].as_str().unwrap().to_owned();
    let first_votes = daily[0]["paper"]["upvotes"].as_i64().unwrap();
    let second = daily[1]["paper"]["id"].as_str().unwrap().to_owned();

    let hf = axum::Router::new().route("/api/daily_papers", axum::routing::get(move || async move { hf_body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hf_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hf).await });

    let instance = Instance::new();
    let mut paper = Paper::new(id(&first));
    paper.title = "Held before the sync".to_owned();
    paper.listing_dates.insert(date(2026, 6, 12));
    instance.store().await.merge_papers(vec![paper]).await.unwrap();

    let run = harvest(
        &instance,
        &fake,
        &["--once"],
        &[("PAPERBOY_HF_SYNC", "true"), ("PAPERBOY_HF_API_URL", &hf_url)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let held = instance.paper(&first).await.unwrap();
    let votes = held
        .community_votes
        .iter()
        .find(|v| v.source == "huggingface")
        .expect("votes synced");
    assert_eq!(votes.votes, first_votes);
    assert!(votes.read_at.is_some());
    assert!(
        instance.paper(&second).await.is_none(),
        "papers the instance does not hold are not added"
    );
}

/// A week of evening harvests, Sunday to Saturday and a holiday Sunday, against real listing
/// days. Prints what each evening cost (`cargo test --test app harvest::a_simulated_week --
/// --nocapture`); `SIMULATED_WEEK_INTERVAL=3` runs it at arXiv's own pace.
#[tokio::test(flavor = "multi_thread")]
async fn a_simulated_week_of_daily_harvests() {
    let interval = std::env::var("SIMULATED_WEEK_INTERVAL").unwrap_or_else(|_| INTERVAL.to_owned());
    let interval_seconds: f64 = interval.parse().unwrap();
    let fake = FakeArxiv::start().await;
    let days = sample_days();
    let week: Vec<(Date, Vec<DayPaper>)> = (16..=20)
        .map(|d| date(2026, 2, d))
        .map(|day| (day, days.get(&day).cloned().unwrap_or_default()))
        .collect();
    let instance = Instance::new();
    let evenings = [
        ("Sun 02-15", Some(0)),
        ("Mon 02-16", Some(1)),
        ("Tue 02-17", Some(2)),
        ("Wed 02-18", Some(3)),
        ("Thu 02-19", Some(4)),
        ("Fri 02-20", None),
        ("Sat 02-21", None),
        ("Sun 02-22 (holiday)", None),
    ];
    println!("evening | list announced | papers listed | requests | new | updated | seconds | at arXiv's 3 s");
    let mut total_requests = 0;
    for (evening, list) in evenings {
        if let Some(index) = list {
            let (day, papers) = &week[index];
            fake.serve_day(*day, papers, 1000);
        }
        fake.clear_requests();
        let started = Instant::now();
        let run = harvest(
            &instance,
            &fake,
            &["--once"],
            &[("PAPERBOY_ARXIV_MIN_INTERVAL", &interval)],
        )
        .await;
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(run.code, 0, "{evening}: {}", run.stderr);
        let requests = fake.requests().len();
        total_requests += requests;
        let number = |label: &str| -> u64 {
            let text = &run.stdout;
            text.split(label)
                .next()
                .and_then(|before| before.split_whitespace().last())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        let (new, updated) = (number(" new,"), number(" updated"));
        let listed = list.map_or(0, |i| week[i].1.len());
        // At 3 s after each answer, a run costs its answers' time plus 3 s per request after the first.
        let gaps = requests.saturating_sub(1) as f64;
        let at_arxiv_pace = seconds - gaps * interval_seconds + gaps * 3.0;
        println!(
            "{evening} | {} | {listed} | {requests} | {new} | {updated} | {seconds:.1} | {at_arxiv_pace:.0} s",
            list.map_or("none".to_owned(), |i| week[i].0.to_string()),
        );
        match list {
            Some(_) => assert_eq!(new as usize, listed, "{evening}: {}", run.stdout),
            None => {
                assert_eq!(new, 0, "{evening}: nothing new, and that is normal");
                assert!(run.stdout.contains("feed: nothing new"), "{}", run.stdout);
            }
        }
        assert_spaced(&fake, Duration::from_secs_f64(interval_seconds));
    }
    println!("total requests: {total_requests}");
    let held = instance.all_papers().await;
    let expected: usize = week.iter().map(|(_, papers)| papers.len()).sum();
    assert_eq!(held.len(), expected);
    for (day, papers) in &week {
        for paper in papers {
            let stored = held.iter().find(|p| p.id.as_str() == paper.id).unwrap();
            assert!(stored.listing_dates.contains(day), "{} on {day}", paper.id);
        }
    }
}

/// What the stand-in for GitHub saw: path, If-None-Match, Authorization.
type GithubLog = std::sync::Arc<std::sync::Mutex<Vec<(String, Option<String>, Option<String>)>>>;

async fn start_fake_github(log: GithubLog) -> String {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let answer = move |axum::extract::Path((owner, name)): axum::extract::Path<(String, String)>,
                       headers: HeaderMap| {
        let log = log.clone();
        async move {
            let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
            let repo = format!("{owner}/{name}");
            log.lock()
                .unwrap()
                .push((repo.clone(), header("if-none-match"), header("authorization")));
            let counted = |stars: u32, etag: &str| {
                (
                    [("etag", etag.to_owned()), ("x-ratelimit-remaining", "4999".to_owned())],
                    axum::Json(serde_json::json!({"full_name": repo, "stargazers_count": stars})),
                )
                    .into_response()
            };
            match repo.as_str() {
                "a/gone" => StatusCode::NOT_FOUND.into_response(),
                "a/one" => counted(510, "\"one-510\""),
                "a/two" if header("if-none-match").as_deref() == Some("\"two-7\"") => {
                    StatusCode::NOT_MODIFIED.into_response()
                }
                "a/two" => counted(7, "\"two-7\""),
                _ => (
                    StatusCode::FORBIDDEN,
                    [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1767225600")],
                    "API rate limit exceeded",
                )
                    .into_response(),
            }
        }
    };
    let app = axum::Router::new().route("/repos/{owner}/{name}", axum::routing::get(answer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn github_stars_are_read_conditionally_within_the_rate_limit_and_feed_trending() {
    use paperboy_core::{CodeHost, CodeLink};
    use paperboy_store::RepoReading;

    let fake = FakeArxiv::start().await;
    fake.set_feed(format!("{}  </channel>\n</rss>\n", crate::fake_arxiv::FEED_HEAD));
    fake.set_oai_pages(Vec::new());
    let log = GithubLog::default();
    let github_url = start_fake_github(log.clone()).await;

    let instance = Instance::new();
    let store = instance.store().await;
    let yesterday = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .yesterday()
        .unwrap();
    let papers: Vec<Paper> = ["a/gone", "a/one", "a/two", "z/limited"]
        .iter()
        .enumerate()
        .map(|(index, repo)| {
            let mut paper = Paper::new(id(&format!("2611.0000{}", index + 1)));
            paper.title = format!("A paper with code at {repo}");
            paper.listing_dates.insert(yesterday);
            paper.code_links.push(CodeLink {
                host: CodeHost::Github,
                url: format!("https://github.com/{repo}"),
            });
            paper
        })
        .collect();
    store.merge_papers(papers).await.unwrap();
    // Counts read days ago: a/one had 10 stars; a/two 7, with the ETag GitHub still answers.
    let days_ago = |days: i64| yesterday.checked_sub(jiff::Span::new().days(days)).unwrap();
    let old = |stars: i64, etag: &str| RepoReading::Counted {
        stars,
        etag: Some(etag.to_owned()),
    };
    store
        .record_repo_reading("https://github.com/a/one", &old(10, "\"one-10\""), 1_000, days_ago(3))
        .await
        .unwrap();
    store
        .record_repo_reading("https://github.com/a/two", &old(7, "\"two-7\""), 2_000, days_ago(3))
        .await
        .unwrap();
    store
        .record_repo_reading("https://github.com/z/limited", &old(1, "\"l\""), 3_000, days_ago(3))
        .await
        .unwrap();

    let run = harvest(
        &instance,
        &fake,
        &["--once"],
        &[
            ("PAPERBOY_GITHUB_STARS", "true"),
            ("PAPERBOY_GITHUB_API_URL", &github_url),
            ("PAPERBOY_GITHUB_TOKEN", "test-token"),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("3 star counts read, then the rate limit"),
        "{}",
        run.stdout
    );
    let seen = log.lock().unwrap().clone();
    let order: Vec<&str> = seen.iter().map(|(repo, _, _)| repo.as_str()).collect();
    assert_eq!(
        order,
        ["a/gone", "a/one", "a/two", "z/limited"],
        "never read first, then the oldest"
    );
    assert!(
        seen.iter()
            .all(|(_, _, auth)| auth.as_deref() == Some("Bearer test-token"))
    );
    assert_eq!(seen[1].1.as_deref(), Some("\"one-10\""), "conditional on the last ETag");
    assert_eq!(seen[2].1.as_deref(), Some("\"two-7\""));

    let counts: std::collections::HashMap<String, paperboy_store::StarCount> = store
        .star_counts(&[id("2611.00001"), id("2611.00002"), id("2611.00003")])
        .await
        .unwrap()
        .into_iter()
        .map(|(paper, count)| (paper.as_str().to_owned(), count))
        .collect();
    assert!(
        !counts.contains_key("2611.00001"),
        "a gone repository counts for nothing"
    );
    assert_eq!(
        counts["2611.00002"],
        paperboy_store::StarCount {
            stars: 510,
            growth: 500
        }
    );
    assert_eq!(
        counts["2611.00003"],
        paperboy_store::StarCount { stars: 7, growth: 0 },
        "304: unchanged"
    );

    // With a weight, the week's 500 new stars lift the paper in the trending score.
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_TRENDING_STAR_WEIGHT", "0.02")]);
    let one: serde_json::Value = server.json("/api/papers/2611.00002").await;
    let two: serde_json::Value = server.json("/api/papers/2611.00003").await;
    assert_eq!(one["trending"]["starGrowth"], 500);
    assert!(one["trendingScore"].as_f64().unwrap() > 10.0 * two["trendingScore"].as_f64().unwrap());
    let daily: serde_json::Value = server
        .json(&format!("/api/daily_papers?date={yesterday}&sort=trending"))
        .await;
    assert_eq!(daily[0]["paper"]["id"], "2611.00002", "{daily}");
}
