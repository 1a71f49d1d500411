//! The search feed area: see [`crate::search_feed`].

use super::*;

pub async fn search_log_follows_every_change_that_the_index_holds(store: &dyn Store) {
    let changes_after = |position: i64| async move {
        let changes = store.search_changes_after(position, 100).await.expect("changes");
        changes.into_iter().map(|c| c.paper_id).collect::<Vec<_>>()
    };
    assert_eq!(
        store.search_log_bounds().await.expect("bounds"),
        SearchLogBounds::default()
    );
    store
        .merge_papers(vec![full_paper("2602.00001"), full_paper("2602.00002")])
        .await
        .expect("merge");
    assert_eq!(changes_after(0).await, ["2602.00001", "2602.00002"]);
    let start = store.search_log_bounds().await.expect("bounds").newest;

    store
        .merge_papers(vec![full_paper("2602.00001")])
        .await
        .expect("merge again");
    assert!(
        changes_after(start).await.is_empty(),
        "an unchanged paper is not re-indexed"
    );

    let mut retitled = full_paper("2602.00002");
    retitled.latest_version = Some(3);
    retitled.title = "A new title".into();
    store.merge_papers(vec![retitled]).await.expect("update");
    let ada = signed_in(store, "ada@example.org").await;
    store.set_vote(ada.id, &id("2602.00001"), true).await.expect("vote");
    store.set_paper_hidden(&id("2602.00001"), true).await.expect("hide");
    assert_eq!(changes_after(start).await, ["2602.00002", "2602.00001", "2602.00001"]);

    let documents = store
        .search_documents(&["2602.00001".into(), "2602.00002".into(), "2602.09999".into()])
        .await
        .expect("documents");
    assert_eq!(documents.len(), 2, "an unknown paper has no document");
    let first = documents.iter().find(|d| d.id == "2602.00001").expect("first");
    assert!(first.hidden);
    assert_eq!(first.votes, 1 + 42, "local plus imported votes");
    assert_eq!(first.authors, ["Ada Lovelace", "Émile Borel"]);
    assert_eq!(first.categories, ["cs.CL", "cs.AI"]);
    assert_eq!(first.first_listed, Some(date(2026, 2, 3)));
    let second = documents.iter().find(|d| d.id == "2602.00002").expect("second");
    assert_eq!(second.title, "A new title");

    let walked = store
        .search_documents_after(Some("2602.00001"), 10)
        .await
        .expect("walk");
    assert_eq!(walked.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["2602.00002"]);

    let bounds = store.search_log_bounds().await.expect("bounds");
    assert_eq!(store.prune_search_log(i64::MAX).await.expect("prune"), 4);
    let after = store.search_log_bounds().await.expect("bounds");
    assert_eq!(
        (after.oldest, after.newest),
        (bounds.newest, bounds.newest),
        "the newest entry stays"
    );
}

pub async fn embeddings_round_trip_and_go_stale_with_their_text(store: &dyn Store) {
    store
        .merge_papers(vec![full_paper("2602.00001"), full_paper("2602.00002")])
        .await
        .expect("merge");
    let to_embed = store.texts_to_embed("m", None, 10).await.expect("to embed");
    assert_eq!(to_embed.len(), 2);
    assert_eq!(to_embed[0].paper_id, "2602.00002", "highest id first");
    let below = store
        .texts_to_embed("m", Some("2602.00002"), 10)
        .await
        .expect("to embed");
    assert_eq!(
        below.iter().map(|t| t.paper_id.as_str()).collect::<Vec<_>>(),
        ["2602.00001"],
        "a sweep goes on below the last id it saw"
    );
    assert!(to_embed[0].title.contains("escaping"));
    store
        .save_embeddings(
            "m",
            &[
                ("2602.00001".into(), vec![0.25, -1.5]),
                ("2602.00002".into(), vec![1.0, 0.0]),
                ("2602.09999".into(), vec![1.0, 0.0]),
            ],
            100,
        )
        .await
        .expect("save");
    assert!(store.texts_to_embed("m", None, 10).await.expect("to embed").is_empty());
    assert_eq!(
        store.texts_to_embed("other", None, 10).await.expect("to embed").len(),
        2,
        "per model"
    );
    assert_eq!(store.embedding_coverage("m").await.expect("coverage"), (2, 2));
    let stored = store.embeddings_after("m", 0, 10).await.expect("load");
    assert_eq!(stored.len(), 2, "an unknown paper's embedding is not kept");
    assert_eq!(stored[0].vector, [0.25, -1.5]);
    let last = stored[1].seq;

    let mut changed = full_paper("2602.00002");
    changed.latest_version = Some(3);
    changed.abstract_text = "Different words.".into();
    store.merge_papers(vec![changed]).await.expect("update");
    let stale = store.texts_to_embed("m", None, 10).await.expect("to embed");
    assert_eq!(
        stale.iter().map(|t| t.paper_id.as_str()).collect::<Vec<_>>(),
        ["2602.00002"]
    );
    assert_eq!(stale[0].abstract_text, "Different words.");
    store
        .save_embeddings("m", &[("2602.00002".into(), vec![0.0, 1.0])], 200)
        .await
        .expect("save");
    let followed = store.embeddings_after("m", last, 10).await.expect("follow");
    assert_eq!(followed.len(), 1);
    assert_eq!(
        (followed[0].paper_id.as_str(), followed[0].vector.clone()),
        ("2602.00002", vec![0.0, 1.0])
    );
}
