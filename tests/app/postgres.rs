//! An instance on PostgreSQL instead of its SQLite file: the same binary, pointed at a real
//! server with `--database-url` / `PAPERBOY_DATABASE_URL` (`PAPERBOY_TEST_POSTGRES_URL` names the
//! test server; `.ci/run` starts one).

use paperboy_store::conformance::postgres_test_database;

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
