//! `paperboy serve` and `paperboy demo` as real processes on real ports.

use crate::helpers::Instance;

#[tokio::test]
async fn serve_answers_healthz_and_stops_cleanly_on_sigterm() {
    let instance = Instance::new();
    let server = instance.spawn_server("serve");
    let response = server.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(server.get("/no-such-page").await.status(), 404);
    assert_eq!(server.terminate(), 0, "graceful shutdown exits 0");
}

#[tokio::test]
async fn demo_imports_the_sample_once_then_serves_it() {
    let instance = Instance::new();
    let server = instance.spawn_server("demo");
    assert_eq!(server.get("/healthz").await.status(), 200);
    assert_eq!(server.terminate(), 0);
    let stats = instance.stats();
    assert_eq!(stats["papers"], 3994);
    assert_eq!(stats["papers_with_votes"], 384);
    assert_eq!(stats["first_listing_date"], "2026-01-22");

    // A second start finds papers and does not import again. The sample ends months before
    // today, yet its new papers can be submitted: their age counts from the sample's last day.
    let smtp = crate::helpers::SmtpServer::start();
    let server = instance.spawn_server_with("demo", &[("PAPERBOY_SMTP_URL", &smtp.url())]);
    assert_eq!(server.get("/healthz").await.status(), 200);
    let cookie = server.sign_in(&smtp, "ada@example.org").await;
    let submitted = server
        .client()
        .post(format!("{}/submit", server.base_url))
        .header(reqwest::header::COOKIE, &cookie)
        .header(reqwest::header::ORIGIN, &server.base_url)
        .form(&[("paper", "2602.22215")])
        .send()
        .await
        .unwrap();
    let status = submitted.status();
    assert_eq!(status, 303, "{}", submitted.text().await.unwrap());
    server.terminate();
    let after = instance.stats();
    assert_eq!(after["papers"], stats["papers"], "the sample was not imported again");
    assert_eq!(after["papers_with_votes"], stats["papers_with_votes"]);
}

#[tokio::test]
async fn configuration_comes_from_file_then_environment() {
    let instance = Instance::new();
    std::fs::write(
        instance.data_dir.path().join("paperboy.toml"),
        "import_batch_size = 0\n",
    )
    .unwrap();
    let run = instance.run(&["stats"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("import_batch_size must be at least 1"),
        "{}",
        run.stderr
    );

    std::fs::write(
        instance.data_dir.path().join("paperboy.toml"),
        "addr = \"not an address\"\n",
    )
    .unwrap();
    let run = instance.run(&["stats"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("addr") && run.stderr.contains("paperboy.toml"),
        "{}",
        run.stderr
    );

    // The environment wins over the file.
    let output = instance
        .command()
        .env("PAPERBOY_ADDR", "127.0.0.1:0")
        .arg("stats")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    std::fs::write(instance.data_dir.path().join("paperboy.toml"), "unknown_key = 1\n").unwrap();
    let run = instance.run(&["stats"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown_key"), "{}", run.stderr);
}

/// `PAPERBOY_CLOCK` stops the clock: a paper's age and score, computed at the moment of asking,
/// come out alike a second apart, and a day later by exactly a day. A value the clock cannot
/// read is refused before anything starts, saying why.
#[tokio::test]
async fn a_stopped_clock_answers_alike_whenever_asked_and_a_bad_one_is_refused() {
    let instance = Instance::with_demo_data();
    let age_at = |server_answer: &str| -> f64 {
        let paper: serde_json::Value = serde_json::from_str(server_answer).expect("JSON");
        paper["trending"]["ageHours"].as_f64().expect("ageHours")
    };
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_CLOCK", "2026-02-20T12:00:00Z")]);
    let first = server.text("/api/papers/2602.11096").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        server.text("/api/papers/2602.11096").await,
        first,
        "a stopped clock does not move"
    );
    server.terminate();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_CLOCK", "2026-02-21T12:00:00Z")]);
    let a_day_later = server.text("/api/papers/2602.11096").await;
    server.terminate();
    assert_eq!(age_at(&a_day_later) - age_at(&first), 24.0);

    let refused = instance
        .command()
        .env("PAPERBOY_CLOCK", "tomorrow")
        .arg("stats")
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("PAPERBOY_CLOCK") && said.contains("tomorrow"), "{said}");
}
