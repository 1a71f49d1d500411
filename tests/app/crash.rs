//! Crash safety beyond the kill -9 tests of each part (import, harvest, indexing, embedding,
//! digest sending and replicas live with their parts): a rebuild of the index killed at random
//! moments, and a data directory that fills up or turns read-only under a running import or a
//! running server.

use paperboy_store::InstanceStore;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{Instance, Run, Server, SignedIn};
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
struct SmallDisk {
    dir: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> SmallDisk {
        mount(&["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"], dir);
        SmallDisk { dir: dir.to_owned() }
    }

    fn remount(&self, options: &str) {
        mount(&["-o", &format!("remount,{options}")], &self.dir);
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
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

/// Moves what `instance`'s data directory holds onto a disk of its own of `size`.
fn move_onto_small_disk(instance: &Instance, size: &str) -> SmallDisk {
    let saved = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(instance.data_dir.path()).unwrap().flatten() {
        std::fs::rename(entry.path(), saved.path().join(entry.file_name())).unwrap();
    }
    let disk = SmallDisk::mount(instance.data_dir.path(), size);
    for entry in std::fs::read_dir(saved.path()).unwrap().flatten() {
        std::fs::copy(entry.path(), instance.data_dir.path().join(entry.file_name())).unwrap();
    }
    disk
}

/// Votes for `paper` with an API token; the status answered.
async fn vote_with_token(server: &Server, token: &str, paper: &str) -> u16 {
    server
        .client()
        .post(format!("{}/api/papers/{paper}/upvote", server.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `/readyz` says the database takes no writes, and why.
async fn assert_unready_for_a_full_disk(server: &Server) {
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let said: serde_json::Value = ready.json().await.unwrap();
    let reason = said["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("disk holding the database is full"), "{said}");
}

/// Which of `papers` the member has voted for, sorted.
async fn votes_of(member: &SignedIn, papers: &[String]) -> Vec<String> {
    let mut voted = Vec::new();
    // The endpoint answers for 200 ids at a time.
    for some in papers.chunks(100) {
        let answer = member.page(&format!("/api/me/votes?ids={}", some.join(","))).await;
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        voted.extend(
            answer["voted"]
                .as_array()
                .unwrap()
                .iter()
                .map(|paper| paper.as_str().unwrap().to_owned()),
        );
    }
    voted.sort();
    voted
}

/// Fills the disk holding `dir` with a file `filler`, or tops it up when it exists (space that
/// the server freed since, say a failed index commit it cleaned up, is taken again).
fn fill_the_disk(dir: &Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    let block = vec![0x5a_u8; 64 * 1024];
    loop {
        match file.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) => {
                assert_eq!(error.raw_os_error(), Some(libc::ENOSPC), "{error}");
                break;
            }
        }
    }
    // Whatever is smaller than a block goes too.
    while let Ok(written) = file.write(&block[..512]) {
        if written == 0 {
            break;
        }
    }
    path
}

/// A disk that fills up under a running server: votes and sign-ins are refused with a 503 that
/// says why, `/readyz` says the database takes no writes, `/metrics` counts the failures under
/// their routes, and within seconds of the space coming back, writes work again without a
/// restart. Before, a connection went back to the pool inside SQLite's own rollback and every
/// later write failed until a restart.
#[tokio::test]
async fn a_disk_that_fills_under_votes_and_sign_ins_then_has_room_again_works_again_without_a_restart() {
    let instance = Instance::with_demo_data();
    let disk = move_onto_small_disk(&instance, "256m");
    let settings = [("PAPERBOY_WRITES_PER_CLIENT", "100000")];
    let member = SignedIn::start(instance, "ada@example.org", &settings).await;
    let token = member.make_api_token("chaos").await;
    let server = &member.server;
    let papers: Vec<String> = member
        .instance
        .all_papers()
        .await
        .iter()
        .take(413)
        .map(|paper| paper.id.as_str().to_owned())
        .collect();
    let vote = async |paper: &str| vote_with_token(server, &token, paper).await;
    let mut acknowledged = Vec::new();
    for paper in &papers[..5] {
        assert_eq!(vote(paper).await, 200);
        acknowledged.push(paper.clone());
    }

    let filler = fill_the_disk(member.instance.data_dir.path());
    // The write-ahead log may still have room of its own: vote until a write needs the disk.
    let mut refused = None;
    for paper in &papers[5..400] {
        match vote(paper).await {
            200 => acknowledged.push(paper.clone()),
            status => {
                refused = Some(status);
                break;
            }
        }
    }
    assert_eq!(
        refused,
        Some(503),
        "a vote on a full disk is refused as unavailable, not as a bug"
    );
    // The search index shares the disk; what its failed commit wrote and removed is room again.
    fill_the_disk(member.instance.data_dir.path());
    let sign_in = server.ask_for_sign_in_link("bo@example.org").await;
    assert_eq!(sign_in.status(), 503);
    assert!(sign_in.text().await.unwrap().contains("disk is full or read-only"));
    assert_unready_for_a_full_disk(server).await;
    let metrics = server.text("/metrics").await;
    assert!(
        metrics.contains(r#"http_requests_total{route="/api/papers/{*id}",method="POST",status="503"}"#)
            && metrics.contains(r#"http_requests_total{route="/login",method="POST",status="503"}"#),
        "failures count under the routes that failed: {metrics}"
    );

    std::fs::remove_file(filler).unwrap();
    let room_again = std::time::Instant::now();
    // Refused votes changed nothing, so their papers may be tried again.
    let mut next = papers[400..410].iter().cycle();
    loop {
        let paper = next.next().expect("papers to vote on");
        if vote(paper).await == 200 {
            acknowledged.push(paper.clone());
            break;
        }
        assert!(
            room_again.elapsed() < Duration::from_secs(10),
            "writes work again within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for paper in &papers[410..413] {
        assert_eq!(vote(paper).await, 200, "and keep working");
        acknowledged.push(paper.clone());
    }
    assert_eq!(server.get("/readyz").await.status(), 200);
    server.sign_in(&member.smtp, "bo@example.org").await;
    // The search index, on the same disk, catches up with every vote too.
    let caught_up = std::time::Instant::now();
    loop {
        let health = server.json("/healthz").await;
        if health["search"]["behind"] == 0 && health["status"] == "ok" {
            break;
        }
        // A failed indexing pass waits 5 s before it tries again.
        assert!(
            caught_up.elapsed() < Duration::from_secs(20),
            "the index is stuck: {health}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let voted = votes_of(&member, &papers).await;
    acknowledged.sort();
    assert_eq!(
        voted, acknowledged,
        "every acknowledged vote is kept, and no refused one"
    );
    let SignedIn { server, instance, .. } = member;
    assert_eq!(server.terminate(), 0);
    assert_eq!(
        instance.store().await.integrity_problems().await.unwrap(),
        Vec::<String>::new()
    );
    drop(disk);
}

#[tokio::test]
async fn a_read_only_data_dir_is_refused_clearly_and_nothing_changes() {
    let instance = Instance::with_demo_data();
    let (_elsewhere, corpus) = corpus_beside(&instance, 500);
    // The demo's database moves onto a disk of its own, which then turns read-only.
    let disk = move_onto_small_disk(&instance, "256m");
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

/// A database and tablespace of a test's own on a small disk of its own, dropped at the end (before
/// the disk is unmounted): PostgreSQL under a full disk without filling the server's own.
struct PostgresOnSmallDisk {
    admin_url: String,
    name: String,
    url: String,
}

impl PostgresOnSmallDisk {
    /// Needs the test server to run on this machine, and root, as CI has both.
    fn create(disk: &SmallDisk) -> PostgresOnSmallDisk {
        let admin_url =
            std::env::var("PAPERBOY_TEST_POSTGRES_URL").expect("PAPERBOY_TEST_POSTGRES_URL (.ci/run sets it)");
        let location = disk.dir.join("tablespace");
        std::fs::create_dir(&location).unwrap();
        let chown = Command::new("chown")
            .arg("postgres:postgres")
            .arg(&location)
            .status()
            .unwrap();
        assert!(
            chown.success(),
            "the tablespace's directory belongs to the server's user"
        );
        let name = format!("paperboy_full_disk_{}", std::process::id());
        let database = PostgresOnSmallDisk {
            url: format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0),
            admin_url,
            name,
        };
        database.drop_both();
        database.psql(&format!(
            "CREATE TABLESPACE {} LOCATION '{}'",
            database.name,
            location.display()
        ));
        database.psql(&format!("CREATE DATABASE {0} TABLESPACE {0}", database.name));
        database
    }

    fn psql(&self, statement: &str) {
        let run = Command::new("psql")
            .args([self.admin_url.as_str(), "-qc", statement])
            .output()
            .expect("psql runs");
        assert!(
            run.status.success(),
            "{statement}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }

    fn drop_both(&self) {
        for statement in [
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            format!("DROP TABLESPACE IF EXISTS {}", self.name),
        ] {
            let _ = Command::new("psql")
                .args([self.admin_url.as_str(), "-qc", &statement])
                .output();
        }
    }
}

impl Drop for PostgresOnSmallDisk {
    fn drop(&mut self) {
        self.drop_both();
    }
}

/// The same on PostgreSQL: its tables on a disk that fills under a running server (PostgreSQL
/// answers "could not extend file"), then has room again.
#[tokio::test(flavor = "multi_thread")]
async fn on_postgresql_a_disk_that_fills_then_has_room_again_takes_writes_again_without_a_restart() {
    let holder = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(holder.path(), "256m");
    let database = PostgresOnSmallDisk::create(&disk);
    let instance = Instance::on_postgres(&database.url);
    let import = instance.import(&[crate::helpers::fixture("fixtures/recorded/listings-sample.jsonl")]);
    assert_eq!(import.code, 0, "{}", import.stderr);
    // Signing in and making a token are written before the disk fills; no vote is, so the first
    // vote needs a page of the disk's.
    let member = SignedIn::start(instance, "ada@example.org", &[]).await;
    let token = member.make_api_token("chaos").await;
    let server = &member.server;
    let papers: Vec<String> = server
        .json("/api/daily_papers?date=2025-03-18&limit=20")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["paper"]["id"].as_str().unwrap().to_owned())
        .collect();
    let vote = async |paper: &str| vote_with_token(server, &token, paper).await;

    let filler = fill_the_disk(&disk.dir);
    assert_eq!(
        vote(&papers[0]).await,
        503,
        "a vote on a full disk is refused as unavailable"
    );
    assert_unready_for_a_full_disk(server).await;

    std::fs::remove_file(filler).unwrap();
    let room_again = std::time::Instant::now();
    while vote(&papers[1]).await != 200 {
        assert!(
            room_again.elapsed() < Duration::from_secs(10),
            "writes work again within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(vote(&papers[2]).await, 200);
    assert_eq!(server.get("/readyz").await.status(), 200);
    let voted = votes_of(&member, &papers).await;
    let mut acknowledged = vec![papers[1].clone(), papers[2].clone()];
    acknowledged.sort();
    assert_eq!(
        voted, acknowledged,
        "the refused vote is not there, the acknowledged ones are"
    );
    let SignedIn { server, .. } = member;
    assert_eq!(server.terminate(), 0);
    drop(database);
    drop(disk);
}
