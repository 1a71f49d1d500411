//! Crash safety beyond the kill -9 tests of each part (import, harvest, indexing, embedding,
//! digest sending and replicas live with their parts): a rebuild of the index killed at random
//! moments, and a data directory that fills up or turns read-only under a running import.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use paperboy_store::Store;

use crate::helpers::{Instance, Run};
use crate::search::{DEMO_PAPERS, wait_until_indexed};

#[tokio::test]
async fn kill_9_at_random_moments_of_a_reindex_then_a_restart_indexes_every_paper_once() {
    let instance = Instance::with_demo_data();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    for round in 0..4u32 {
        // Somewhere in the first two seconds: the clearing, the adding, the commit or the merge.
        let delay = Duration::from_millis(u64::from(
            seed.wrapping_mul(2_654_435_761).wrapping_add(round * 7_919) % 2_000,
        ));
        let mut reindex = instance
            .command()
            .arg("reindex")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = reindex.kill();
        let status = reindex.wait().unwrap();
        eprintln!("reindex round {round}: killed after {delay:?} ({status}; seed {seed})");
    }
    let server = instance.spawn_server("serve");
    wait_until_indexed(&server, DEMO_PAPERS).await;
    let hits = server.json("/api/papers/search?q=ti:diffusion&limit=100").await;
    let mut ids: Vec<&str> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["paper"]["id"].as_str().unwrap())
        .collect();
    let found = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), found, "no paper is found twice");
    assert!(found > 10, "the rebuilt index finds papers: {found}");
}

/// A size-limited tmpfs mounted over a directory for the length of a test: a real disk that
/// fills up, and can be made read-only. Needs root (the CI machine runs as root).
struct SmallDisk<'a> {
    dir: &'a Path,
}

impl<'a> SmallDisk<'a> {
    fn mount(dir: &'a Path, size: &str) -> SmallDisk<'a> {
        mount(&["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"], dir);
        SmallDisk { dir }
    }

    fn remount(&self, options: &str) {
        mount(&["-o", &format!("remount,{options}")], self.dir);
    }
}

impl Drop for SmallDisk<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir).status();
    }
}

fn mount(arguments: &[&str], dir: &Path) {
    let status = Command::new("mount")
        .args(arguments)
        .arg(dir)
        .status()
        .expect("mount runs");
    assert!(
        status.success(),
        "mount {arguments:?} {} failed: these tests need root, as the CI machine has",
        dir.display()
    );
}

/// A generated corpus of `papers` in a directory of its own, off the disk the test mounts.
fn corpus_beside(instance: &Instance, papers: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    std::fs::rename(instance.generated_corpus(papers), &corpus).unwrap();
    (dir, corpus)
}

#[tokio::test]
async fn a_full_disk_stops_an_import_clearly_and_a_rerun_with_room_completes_it() {
    let instance = Instance::new();
    let (_elsewhere, corpus) = corpus_beside(&instance, 6_000);
    let disk = SmallDisk::mount(instance.data_dir.path(), "8m");
    // Batches small enough that some commit before the disk fills.
    let full = Run::from(
        instance
            .command()
            .env("PAPERBOY_IMPORT_BATCH_SIZE", "500")
            .arg("import")
            .arg(&corpus)
            .output()
            .unwrap(),
    );
    assert_ne!(full.code, 0, "an import into a full disk fails");
    assert!(
        full.stderr.contains("the disk holding the database is full"),
        "the error says the disk is full: {}",
        full.stderr
    );
    // What was committed is whole.
    let store = instance.store().await;
    assert_eq!(store.integrity_problems().await.unwrap(), Vec::<String>::new());
    let kept = instance.all_papers().await;
    assert!(
        (1..6_000).contains(&kept.len()),
        "batches were committed before the disk filled, not all: {}",
        kept.len()
    );
    assert!(
        full.stderr
            .contains(&format!("({} papers written before this are kept)", kept.len())),
        "the error says what was kept: {}",
        full.stderr
    );
    assert!(
        kept.iter().all(|paper| !paper.title.is_empty()),
        "no paper is half stored"
    );
    store.close().await;

    disk.remount("size=256m");
    let rerun = instance.import(&[&corpus]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    let papers = instance.all_papers().await;
    assert_eq!(papers.len(), 6_000, "every paper once");
    assert_eq!(
        instance.store().await.integrity_problems().await.unwrap(),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_read_only_data_dir_is_refused_clearly_and_nothing_changes() {
    let instance = Instance::with_demo_data();
    let (_elsewhere, corpus) = corpus_beside(&instance, 500);
    // The demo's database moves onto a disk of its own, which then turns read-only.
    let saved = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(instance.data_dir.path()).unwrap().flatten() {
        std::fs::rename(entry.path(), saved.path().join(entry.file_name())).unwrap();
    }
    let disk = SmallDisk::mount(instance.data_dir.path(), "256m");
    for entry in std::fs::read_dir(saved.path()).unwrap().flatten() {
        std::fs::copy(entry.path(), instance.data_dir.path().join(entry.file_name())).unwrap();
    }
    let before = instance.stats();
    disk.remount("ro");
    let import = instance.import(&[&corpus]);
    assert_ne!(import.code, 0);
    assert!(
        import.stderr.contains("the database is read-only"),
        "the error says the database cannot be written: {}",
        import.stderr
    );
    let serve = instance
        .command()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(
        !serve.status.success(),
        "a server cannot run on a read-only data directory"
    );
    let said = String::from_utf8_lossy(&serve.stderr);
    assert!(said.contains("the database is read-only"), "{said}");
    disk.remount("rw");
    assert_eq!(instance.stats(), before, "nothing changed");
}
