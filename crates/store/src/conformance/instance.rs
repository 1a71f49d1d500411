//! The instance area: see [`crate::instance`].

use super::*;

pub async fn rate_limits_count_hits_per_window(store: &dyn Store) {
    for _ in 0..3 {
        assert!(store.take_rate_limit("login:1.2.3.4", 600, 3).await.expect("hit"));
    }
    assert!(
        !store.take_rate_limit("login:1.2.3.4", 600, 3).await.expect("hit"),
        "the fourth is over the limit"
    );
    assert!(
        store.take_rate_limit("login:5.6.7.8", 600, 3).await.expect("hit"),
        "buckets are separate"
    );
    assert!(
        store.take_rate_limit("login:1.2.3.4", 1200, 3).await.expect("hit"),
        "a new window starts afresh"
    );
    // A client that never comes back: its window is swept when any bucket starts a window three
    // days later (taking it again then counts from 1, not 4).
    assert!(
        store
            .take_rate_limit("login:5.6.7.8", 600, 1)
            .await
            .is_ok_and(|taken| !taken)
    );
    assert!(
        store
            .take_rate_limit("login:9.9.9.9", 600 + 3 * 86_400, 3)
            .await
            .expect("hit")
    );
    assert!(
        store.take_rate_limit("login:5.6.7.8", 600, 1).await.expect("hit"),
        "the old window was swept"
    );
}

pub async fn instance_secrets_are_made_once(store: &dyn Store) {
    assert_eq!(
        store.instance_secret("manage-links", "first").await.expect("secret"),
        "first"
    );
    assert_eq!(
        store.instance_secret("manage-links", "second").await.expect("secret"),
        "first"
    );
    assert_eq!(store.instance_secret("other", "third").await.expect("secret"), "third");
}

pub async fn leases_are_held_by_one_holder_until_they_run_out(store: &dyn Store) {
    assert_eq!(store.lease_holder("arxiv", 100).await.expect("reads"), None);
    assert!(store.take_lease("arxiv", "a", 100, 60).await.expect("takes"));
    assert_eq!(
        store.lease_holder("arxiv", 120).await.expect("reads").as_deref(),
        Some("a")
    );
    assert_eq!(store.lease_holder("arxiv", 160).await.expect("reads"), None, "ran out");
    assert!(
        !store.take_lease("arxiv", "b", 120, 60).await.expect("asks"),
        "a holds it"
    );
    assert!(
        store.take_lease("other", "b", 120, 60).await.expect("takes"),
        "leases are by name"
    );
    assert!(
        store.take_lease("arxiv", "a", 150, 60).await.expect("renews"),
        "the holder renews"
    );
    assert!(
        !store.take_lease("arxiv", "b", 200, 60).await.expect("asks"),
        "renewed until 210"
    );
    assert!(
        store.take_lease("arxiv", "b", 210, 60).await.expect("takes"),
        "ran out: b takes it"
    );
    assert!(!store.take_lease("arxiv", "a", 220, 60).await.expect("asks"));
    store
        .release_lease("arxiv", "a")
        .await
        .expect("not a's: nothing happens");
    assert!(!store.take_lease("arxiv", "a", 230, 60).await.expect("asks"));
    store.release_lease("arxiv", "b").await.expect("releases");
    assert!(
        store.take_lease("arxiv", "a", 240, 60).await.expect("takes"),
        "released: free at once"
    );
}

pub async fn writes_can_be_probed_again_and_again(store: &dyn Store) {
    for now in [1_700_000_000, 1_700_000_001, 1_700_000_001] {
        store.probe_write(now).await.unwrap();
    }
    store.close().await;
    assert!(
        store.probe_write(1_700_000_002).await.is_err(),
        "a closed store takes no writes"
    );
}

pub async fn a_closed_store_does_no_more_work(store: &dyn Store) {
    store.merge_papers(vec![full_paper("2602.00001")]).await.expect("merge");
    store.close().await;
    assert!(store.ping().await.is_err(), "closed: no connection is left");
    assert!(store.paper(&id("2602.00001")).await.is_err());
}
