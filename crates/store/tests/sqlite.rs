//! The store conformance suite against SQLite, in memory and on disk.

use paperboy_store::{AccountStore, CommunityStore, PaperStore, SqliteStore};

async fn in_memory() -> SqliteStore {
    SqliteStore::in_memory().await.expect("in-memory SQLite opens")
}

paperboy_store::store_conformance_suite!(in_memory());

mod on_disk {
    use paperboy_store::{PaperStore, SqliteStore};

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

/// Fifty people voting on one paper at once, through a pool of connections to one file, give
/// exactly fifty votes.
#[tokio::test]
async fn fifty_parallel_votes_count_fifty() {
    let directory = tempfile::tempdir().expect("temp dir");
    let store = std::sync::Arc::new(
        SqliteStore::open(&directory.path().join("paperboy.db"))
            .await
            .expect("open"),
    );
    store
        .merge_papers(vec![paperboy_store::conformance::full_paper("2602.00001")])
        .await
        .expect("merge");
    let paper = paperboy_core::ArxivId::parse("2602.00001").expect("id");
    let mut users = Vec::new();
    for n in 0..50 {
        let hash = format!("link-{n}");
        store
            .save_login_token(&format!("voter{n}@example.org"), &hash, i64::MAX)
            .await
            .expect("link");
        users.push(store.redeem_login_token(&hash, 0).await.expect("redeem").expect("user"));
    }
    let handles: Vec<_> = users
        .into_iter()
        .map(|user| {
            let (store, paper) = (store.clone(), paper.clone());
            tokio::spawn(async move { store.set_vote(user.id, &paper, true).await })
        })
        .collect();
    for handle in handles {
        handle.await.expect("task").expect("vote");
    }
    let candidates = store
        .listing_candidates(jiff::civil::date(2026, 2, 3), jiff::civil::date(2026, 2, 3), None)
        .await
        .expect("candidates");
    assert_eq!(candidates[0].local_votes, 50);
}
