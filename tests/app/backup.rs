//! `paperboy backup` while a server serves and an import writes, and `paperboy restore`.

use std::path::Path;
use std::process::Stdio;

use paperboy_store::{InstanceStore, PaperStore, SqliteStore};

use crate::helpers::Instance;

/// A backup as a database of its own: its papers counted one by one, and its kept total.
async fn papers_in(backup: &Path) -> (u64, u64) {
    let store = SqliteStore::open(backup).await.expect("the backup opens");
    assert!(store.integrity_problems().await.unwrap().is_empty());
    let mut counted = 0;
    let mut after = None;
    loop {
        let page = store.papers_after(after.as_ref(), 1_000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        counted += page.len() as u64;
    }
    let kept = store.paper_totals().await.unwrap().papers;
    store.close().await;
    (counted, kept)
}

#[tokio::test]
async fn backups_taken_while_an_import_writes_are_whole_and_restore_in_place_of_the_database() {
    let instance = Instance::with_demo_data();
    let demo_papers = instance.stats()["papers"].as_u64().unwrap();
    let corpus = instance.generated_corpus(6_000);

    let server = instance.spawn_server("serve");
    let mut import = instance
        .command()
        .arg("import")
        .arg(&corpus)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Backups one after another for as long as the import writes, each of one moment.
    let backups = tempfile::tempdir().unwrap();
    let mut taken = Vec::new();
    loop {
        let importing = import.try_wait().unwrap().is_none();
        let file = backups.path().join(format!("backup-{}.db", taken.len()));
        let run = instance.run(&["backup", file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("backed up"), "{}", run.stdout);
        taken.push(file);
        if !importing {
            break;
        }
    }
    assert!(import.wait().unwrap().success());
    assert!(taken.len() >= 2, "a backup was taken while the import wrote");
    let final_papers = instance.stats()["papers"].as_u64().unwrap();
    let mut previous = demo_papers;
    for file in &taken {
        let (counted, kept) = papers_in(file).await;
        assert_eq!(
            counted,
            kept,
            "{}: its papers and its totals are of one moment",
            file.display()
        );
        assert!(
            (previous..=final_papers).contains(&counted),
            "{}: {counted} papers, between {previous} and {final_papers}",
            file.display()
        );
        previous = counted;
    }
    let partials_left: Vec<_> = std::fs::read_dir(backups.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(partials_left.is_empty(), "{partials_left:?}");

    // A backup never overwrites a file.
    let first = &taken[0];
    let before = std::fs::read(first).unwrap();
    let run = instance.run(&["backup", first.to_str().unwrap()]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(std::fs::read(first).unwrap(), before);

    // Restoring refuses while the server runs, and refuses a file that is no database.
    let run = instance.run(&["restore", first.to_str().unwrap()]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("in use by another paperboy process"),
        "{}",
        run.stderr
    );
    assert_eq!(server.terminate(), 0);
    let garbage = backups.path().join("garbage.db");
    std::fs::write(&garbage, "not a database, just text ".repeat(400)).unwrap();
    let run = instance.run(&["restore", garbage.to_str().unwrap()]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("was not restored"), "{}", run.stderr);
    assert_eq!(
        instance.stats()["papers"].as_u64().unwrap(),
        final_papers,
        "nothing changed"
    );

    // The first backup (the demo, and what the import had written by then) in place of everything since.
    let (first_papers, _) = papers_in(first).await;
    let run = instance.run(&["restore", first.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(instance.stats()["papers"].as_u64().unwrap(), first_papers);
    let replaced: Vec<_> = std::fs::read_dir(instance.data_dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("paperboy.db.replaced-") && !name.ends_with("-wal") && !name.ends_with("-shm")
        })
        .collect();
    assert_eq!(replaced.len(), 1, "the replaced database is kept");
    assert_eq!(papers_in(&replaced[0]).await.0, final_papers);

    // The server rebuilds the search index from the restored database before it answers.
    let server = instance.spawn_server("serve");
    let health = server.json("/healthz").await;
    assert_eq!(health["search"]["indexed"], first_papers, "{health}");
    assert_eq!(server.terminate(), 0);
}
