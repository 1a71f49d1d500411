//! The harvest area: see [`crate::harvest`].

use super::*;

pub async fn harvest_checkpoints_move_with_their_papers(store: &dyn Store) {
    assert_eq!(store.harvest_checkpoint("feed").await.expect("reads"), None);
    let checkpoint = |value: &str| HarvestCheckpoint {
        name: "feed".into(),
        value: value.into(),
        updated_at: 1_000,
    };
    let summary = store
        .merge_harvested(
            vec![full_paper("2602.00001"), full_paper("2602.00002")],
            &checkpoint("{\"page\":1}"),
        )
        .await
        .expect("merges");
    assert_eq!(summary.new, 2);
    assert_eq!(
        store.harvest_checkpoint("feed").await.expect("reads"),
        Some(checkpoint("{\"page\":1}"))
    );
    // The same page again (a resumed run) changes no paper, and the position still moves.
    let again = store
        .merge_harvested(vec![full_paper("2602.00002")], &checkpoint("{\"page\":2}"))
        .await
        .expect("merges");
    assert_eq!((again.new, again.updated, again.unchanged), (0, 0, 1));
    // A page with no papers moves the position too.
    store
        .merge_harvested(Vec::new(), &checkpoint("{\"page\":3}"))
        .await
        .expect("merges");
    assert_eq!(
        store.harvest_checkpoint("feed").await.expect("reads").map(|c| c.value),
        Some("{\"page\":3}".to_owned())
    );
    assert_eq!(store.stats().await.expect("stats").papers, 2);
    store.delete_harvest_checkpoint("feed").await.expect("deletes");
    assert_eq!(store.harvest_checkpoint("feed").await.expect("reads"), None);
}

pub async fn harvest_runs_are_logged_newest_first(store: &dyn Store) {
    assert_eq!(store.last_successful_harvest().await.expect("reads"), None);
    let run = |finished_at: i64, succeeded: bool| HarvestRun {
        kind: "scheduled".into(),
        started_at: finished_at - 10,
        finished_at,
        succeeded,
        requests: 4,
        papers_new: 3,
        papers_updated: 1,
        message: format!("run at {finished_at}"),
    };
    store.record_harvest_run(&run(100, true)).await.expect("records");
    store.record_harvest_run(&run(200, false)).await.expect("records");
    assert_eq!(store.last_successful_harvest().await.expect("reads"), Some(100));
    let runs = store.harvest_runs(10).await.expect("reads");
    assert_eq!(runs, vec![run(200, false), run(100, true)]);
}

pub async fn star_counts_grow_over_a_week_and_reach_ranking(store: &dyn Store) {
    let mut plain = full_paper("2602.00002");
    plain.code_links.clear();
    store
        .merge_papers(vec![full_paper("2602.00001"), plain])
        .await
        .expect("merges");
    let url = "https://github.com/a/b";
    let to_check = |checked_before: i64| async move {
        store
            .repos_to_check(date(2026, 1, 1), checked_before, 10)
            .await
            .expect("reads")
    };
    assert_eq!(
        to_check(1_000).await,
        vec![RepoToCheck {
            url: url.into(),
            etag: None
        }]
    );
    // Papers listed before `since` are not followed.
    assert!(
        store
            .repos_to_check(date(2026, 3, 1), 1_000, 10)
            .await
            .expect("reads")
            .is_empty()
    );

    let counted = |stars: i64| RepoReading::Counted {
        stars,
        etag: Some(format!("\"{stars}\"")),
    };
    let record = |reading: RepoReading, now: i64, day| async move {
        store
            .record_repo_reading(url, &reading, now, day)
            .await
            .expect("records")
    };
    record(counted(100), 500, date(2026, 2, 1)).await;
    assert_eq!(
        to_check(1_000).await[0].etag.as_deref(),
        Some("\"100\""),
        "asked again with its ETag"
    );
    assert!(to_check(400).await.is_empty(), "read recently");
    record(RepoReading::Unchanged, 600, date(2026, 2, 3)).await;
    record(counted(160), 700, date(2026, 2, 5)).await;
    let id_one = id("2602.00001");
    let counts = store
        .star_counts(&[id_one.clone(), id("2602.00002")])
        .await
        .expect("reads");
    assert_eq!(counts, vec![(id_one.clone(), StarCount { stars: 160, growth: 60 })]);
    // A week later, growth is measured from the oldest count within the week.
    record(counted(200), 800, date(2026, 2, 12)).await;
    let counts = store.star_counts(std::slice::from_ref(&id_one)).await.expect("reads");
    assert_eq!(counts, vec![(id_one.clone(), StarCount { stars: 200, growth: 40 })]);
    let candidates = store
        .listing_candidates(date(2026, 2, 3), date(2026, 2, 3), None)
        .await
        .expect("candidates");
    let growth: Vec<(&str, i64)> = candidates.iter().map(|c| (c.id.as_str(), c.star_growth)).collect();
    assert!(
        growth.contains(&("2602.00001", 40)) && growth.contains(&("2602.00002", 0)),
        "{growth:?}"
    );
    // A repository that is gone counts for nothing and is not asked about again.
    record(RepoReading::Gone, 900, date(2026, 2, 13)).await;
    assert!(store.star_counts(&[id_one]).await.expect("reads").is_empty());
    assert!(to_check(10_000).await.is_empty());
}
