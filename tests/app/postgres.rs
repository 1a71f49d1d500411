//! An instance on PostgreSQL instead of its SQLite file: the same binary, pointed at a real
//! server with `--database-url` / `PAPERBOY_DATABASE_URL` (`PAPERBOY_TEST_POSTGRES_URL` names the
//! test server; `.ci/run` starts one).

use paperboy_store::conformance::postgres_test_database;
use paperboy_store::{AccountStore, CommunityStore, PaperStore};

use crate::helpers::{Instance, fixture};

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_on_postgresql_imports_serves_and_searches() {
    let url = postgres_test_database().await;
    let instance = Instance::new();
    let sample = fixture("fixtures/recorded/listings-sample.jsonl");
    let output = instance
        .command()
        .args(["--database-url", &url, "import"])
        .arg(&sample)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let migrate = instance.run(&["--database-url", &url, "migrate"]);
    assert_eq!(migrate.code, 0, "{}", migrate.stderr);
    assert!(migrate.stdout.contains("up to date"));
    assert!(
        !instance.data_dir.path().join("paperboy.db").exists(),
        "nothing went to the data directory's SQLite file"
    );

    let server = instance.spawn_server_with("serve", &[("PAPERBOY_DATABASE_URL", &url)]);
    let day = server.text("/papers/date/2025-03-18").await;
    assert!(
        day.contains("id=\"paper-2503.12015\""),
        "the day's list comes from PostgreSQL"
    );
    assert_eq!(
        day.matches("<article class=\"card\"").count(),
        30,
        "a full first page of the 40"
    );
    let paper: serde_json::Value = server.json("/api/papers/2503.11677").await;
    assert!(
        paper["title"]
            .as_str()
            .unwrap()
            .starts_with("Simulation of prosthetic vision")
    );
    let found: serde_json::Value = server.json("/api/papers/search?q=prosthetic%20vision").await;
    assert_eq!(found[0]["paper"]["id"], "2503.11677", "{found}");

    let wrong = instance.run(&["--database-url", "mysql://localhost/x", "stats"]);
    assert_eq!(wrong.code, 2);
    assert!(wrong.stderr.contains("must be a postgres:// URL"), "{}", wrong.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_db_moves_an_instance_to_postgresql_with_the_same_answers() {
    let instance = Instance::with_demo_data();
    // A member who voted, and a subscriber, besides the demo's papers and upvotes.
    let store = instance.store().await;
    store
        .save_login_token("ada@example.org", "hash", i64::MAX)
        .await
        .unwrap();
    let ada = store.redeem_login_token("hash", 0).await.unwrap().expect("account");
    let day: serde_json::Value = {
        let papers = store
            .listing_candidates(jiff::civil::date(2026, 2, 13), jiff::civil::date(2026, 2, 13), None)
            .await
            .unwrap();
        serde_json::json!(papers[0].id.as_str())
    };
    let paper = paperboy_core::ArxivId::parse(day.as_str().unwrap()).unwrap();
    store.set_vote(ada.id, &paper, true).await.unwrap();
    let subscribers = instance.data_dir.path().join("subscribers.txt");
    std::fs::write(&subscribers, "reader@example.org\n").unwrap();
    let imported = instance.run(&["subscribers", "import", subscribers.to_str().unwrap()]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);

    let url = postgres_test_database().await;
    let copy = instance.run(&["copy-db", "--to", &url]);
    assert_eq!(copy.code, 0, "{}\n{}", copy.stdout, copy.stderr);
    assert!(
        copy.stdout.contains("every table holds the same number of rows"),
        "{}",
        copy.stdout
    );
    assert!(copy.stdout.contains("papers"), "{}", copy.stdout);
    // Again: nothing more to copy, the counts still agree.
    let again = instance.run(&["copy-db", "--to", &url]);
    assert_eq!(again.code, 0, "{}", again.stdout);

    // The same answers from both backends (past periods rank as of their end: no clock in them).
    let on_sqlite = instance.spawn_server("serve");
    let elsewhere = Instance::new();
    let on_postgres = elsewhere.spawn_server_with("serve", &[("PAPERBOY_DATABASE_URL", &url)]);
    for path in [
        "/api/daily_papers?date=2026-02-13",
        "/api/daily_papers?date=2026-02-13&sort=new",
        "/api/daily_papers?week=2026-W07&p=1",
        "/api/daily_papers?month=2026-02&sort=top&cat=cs.CL",
    ] {
        let sqlite: serde_json::Value = on_sqlite.json(path).await;
        let postgres: serde_json::Value = on_postgres.json(path).await;
        assert!(sqlite.as_array().is_some_and(|list| !list.is_empty()), "{path}");
        assert_eq!(sqlite, postgres, "{path}");
    }
    let with_vote: serde_json::Value = on_postgres
        .json("/api/daily_papers?date=2026-02-13&sort=trending")
        .await;
    let local_votes = with_vote
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["paper"]["id"] == day)
        .map(|item| item["paper"]["trending"]["localVotes"].clone());
    assert_eq!(local_votes, Some(serde_json::json!(1)), "the vote came along");
}
