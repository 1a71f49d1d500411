//! The store conformance suite against SQLite, in memory and on disk.

use paperboy_store::SqliteStore;

async fn in_memory() -> SqliteStore {
    SqliteStore::in_memory().await.expect("in-memory SQLite opens")
}

paperboy_store::store_conformance_suite!(in_memory());

mod on_disk {
    use paperboy_store::SqliteStore;

    async fn fresh_file() -> SqliteStore {
        // The directory must outlive the store; leaking it is fine in a test process.
        let directory = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
        SqliteStore::open(&directory.path().join("paperboy.db"))
            .await
            .expect("SQLite file opens")
    }

    paperboy_store::store_conformance_suite!(fresh_file());

    #[tokio::test]
    async fn reopening_keeps_what_was_committed() {
        use paperboy_store::Store;
        let directory = tempfile::tempdir().expect("temp dir");
        let path = directory.path().join("paperboy.db");
        let paper = paperboy_store::conformance::full_paper("2602.00001");
        {
            let store = SqliteStore::open(&path).await.expect("open");
            store.merge_papers(vec![paper.clone()]).await.expect("merge");
        }
        let store = SqliteStore::open(&path).await.expect("reopen");
        assert_eq!(store.paper(&paper.id).await.expect("load"), Some(paper));
    }
}
