//! The vector file is a cache of the database: a server builds it when it is missing or made by
//! another model, and a kill -9 in the middle of a build leaves search working.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::helpers::{Instance, KillOnDrop, Server};
use crate::search::{DEMO_PAPERS, distilled_hash, instance_with_tiny_model, wait_until_embedded};

fn vectors_dir(instance: &Instance) -> PathBuf {
    instance.data_dir.path().join("search-vectors")
}

/// The names of the files in `dir` (none when it does not exist), sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits until every one of `papers` is read from the vector file.
async fn wait_until_in_file(server: &Server, papers: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let health = server.json("/healthz").await;
        if health["search"]["in_vector_file"] == papers && health["search"]["embedded"] == papers {
            return health;
        }
        assert!(Instant::now() < deadline, "the vector file was not built: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn semantic_hits(server: &Server) -> usize {
    let hits = server
        .json("/api/papers/search?q=gaussian+splatting&mode=semantic&limit=5")
        .await;
    hits.as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn the_vector_file_is_rebuilt_after_it_is_deleted_and_after_a_switch_of_model() {
    let instance = instance_with_tiny_model();
    distilled_hash(&instance); // the static model beside the transformer
    let dir = vectors_dir(&instance);

    let server = instance.spawn_server("serve");
    wait_until_embedded(&server, 40).await;
    let health = wait_until_in_file(&server, 40).await;
    let model = health["search"]["model"].as_str().unwrap().to_owned();
    let file_name = format!("{model}.vectors");
    assert_eq!(
        files_in(&dir),
        std::slice::from_ref(&file_name),
        "one file, no leftovers"
    );
    assert_eq!(semantic_hits(&server).await, 5);
    assert_eq!(server.terminate(), 0);

    // Deleted: the next server builds it again from the database, embedding nothing anew.
    std::fs::remove_file(dir.join(&file_name)).unwrap();
    let server = instance.spawn_server("serve");
    wait_until_in_file(&server, 40).await;
    assert_eq!(files_in(&dir), std::slice::from_ref(&file_name));
    assert_eq!(semantic_hits(&server).await, 5);
    assert_eq!(server.terminate(), 0);

    // Taken up as it is by the next start: search by meaning answers at once.
    let server = instance.spawn_server("serve");
    assert_eq!(server.json("/healthz").await["search"]["in_vector_file"], 40);
    assert_eq!(server.terminate(), 0);

    // What a killed build of the previous model would have left goes with its file.
    std::fs::write(dir.join(format!("{model}.spill.tmp")), b"left by a killed build").unwrap();

    // Another model, which embeds nothing by itself here: until `paperboy embed` has run with
    // it, the previous model's file answers by meaning, and the page does not say otherwise.
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_EMBEDDING_MODEL", "static"),
            ("PAPERBOY_EMBED_IN_BACKGROUND", "false"),
        ],
    );
    let health = server.json("/healthz").await;
    let static_model = health["search"]["model"].as_str().unwrap().to_owned();
    assert_ne!(static_model, model);
    assert_eq!(health["search"]["previous_model"], model.as_str(), "{health}");
    assert_eq!(semantic_hits(&server).await, 5, "the previous model still answers");
    let page = server.text("/search?q=gaussian+splatting").await;
    assert!(page.contains("ranked by keywords and meaning") && !page.contains("still being prepared"));

    let embedded = instance
        .command()
        .env("PAPERBOY_EMBEDDING_MODEL", "static")
        .arg("embed")
        .output()
        .unwrap();
    assert!(
        embedded.status.success(),
        "{}",
        String::from_utf8_lossy(&embedded.stderr)
    );
    let health = wait_until_in_file(&server, 40).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.json("/healthz").await["search"]["previous_model"].is_null() {
        assert!(Instant::now() < deadline, "the new model never took over: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        files_in(&dir),
        [format!("{static_model}.vectors")],
        "the previous model's file, and what its build left, are gone"
    );
    assert_eq!(semantic_hits(&server).await, 5);
    assert_eq!(server.terminate(), 0);
}

#[tokio::test]
async fn kill_9_while_the_vector_file_is_built_leaves_search_working() {
    let instance = Instance::with_demo_data();
    let model_dir = instance.data_dir.path().join("models").join("all-MiniLM-L6-v2");
    paperboy_embed::Embedder::write_tiny(&model_dir, &["diffusion", "language", "robot", "graph"], 5)
        .expect("tiny model");
    let embedded = instance.run(&["embed"]);
    assert_eq!(embedded.code, 0, "{}", embedded.stderr);
    let dir = vectors_dir(&instance);

    // A server builds the file at start; it is killed as soon as the build's spill file shows,
    // that is, between the first vector read and the rename of the finished file.
    let mut killed_mid_build = 0;
    for _ in 0..10 {
        for name in files_in(&dir) {
            if name.ends_with(".vectors") {
                std::fs::remove_file(dir.join(name)).unwrap();
            }
        }
        let mut server = KillOnDrop(
            instance
                .command()
                .args(["serve", "--addr", "127.0.0.1:0"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("server starts"),
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        let caught = loop {
            let names = files_in(&dir);
            if names.iter().any(|n| n.ends_with(".vectors")) {
                break false; // finished before we looked
            }
            if names.iter().any(|n| n.ends_with(".spill.tmp")) {
                break true;
            }
            assert!(Instant::now() < deadline, "no build started: {names:?}");
            std::thread::sleep(Duration::from_millis(1));
        };
        server.0.kill().expect("SIGKILL");
        server.0.wait().unwrap();
        if caught {
            killed_mid_build += 1;
            assert!(
                !files_in(&dir).iter().any(|n| n.ends_with(".vectors")),
                "no half-built file under the real name: {:?}",
                files_in(&dir)
            );
            if killed_mid_build == 2 {
                break;
            }
        }
    }
    assert!(killed_mid_build > 0, "never caught a build in progress");

    let server = instance.spawn_server("serve");
    let health = wait_until_in_file(&server, DEMO_PAPERS).await;
    let model = health["search"]["model"].as_str().unwrap();
    assert_eq!(files_in(&dir), [format!("{model}.vectors")], "the spill file is gone");
    let hits = server
        .json("/api/papers/search?q=diffusion+models&mode=semantic&limit=10")
        .await;
    assert_eq!(hits.as_array().map_or(0, Vec::len), 10, "{hits}");
    let hybrid = server.get("/api/papers/search?q=diffusion+models&limit=10").await;
    assert_eq!(hybrid.headers()["x-search-mode"], "hybrid");
}
