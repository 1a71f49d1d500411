//! The rankings area: see [`crate::rankings`].

use paperboy_core::{DayBasis, RankCandidate, RankRecord};

use super::*;

/// A list's candidates as the database's own query gives them and as the records give them,
/// each sorted by id, for every category filter the papers below can be told apart by.
async fn both_ways(store: &dyn Store, first: Date, last: Date) {
    let records = store.rank_records_listed(first, last).await.expect("records");
    let key = |c: &RankCandidate| (c.id.clone(), c.listed, c.imported_votes, c.local_votes, c.star_growth);
    let from_records = |basis: DayBasis, wanted: Option<&Category>| {
        let mut candidates: Vec<_> = records
            .iter()
            .filter(|record| wanted.is_none_or(|category| record.in_category(category)))
            .filter_map(|record: &RankRecord| record.candidate(first, last, basis))
            .map(|c| key(&c))
            .collect();
        candidates.sort();
        candidates
    };
    for wanted in [
        None,
        Some(category("cs")),
        Some(category("cs.CL")),
        Some(category("cs.LG")),
        Some(category("math")),
    ] {
        let mut listed: Vec<_> = store
            .listing_candidates(first, last, wanted.as_ref())
            .await
            .expect("candidates")
            .iter()
            .map(key)
            .collect();
        listed.sort();
        assert_eq!(
            from_records(DayBasis::Listing, wanted.as_ref()),
            listed,
            "{first}..{last} {wanted:?}"
        );
        let mut daily: Vec<_> = store
            .daily_papers_candidates(first, last, wanted.as_ref())
            .await
            .expect("candidates")
            .iter()
            .map(key)
            .collect();
        daily.sort();
        assert_eq!(
            from_records(DayBasis::HuggingFaceDaily, wanted.as_ref()),
            daily,
            "HF {first}..{last} {wanted:?}"
        );
    }
}

pub async fn rank_records_place_papers_as_the_lists_query_does(store: &dyn Store) {
    listed_papers(store).await;
    // Featured by Hugging Face on the Monday between, with its own listing on the Thursday.
    let mut featured = full_paper("2602.00004");
    featured.listing_dates = [date(2026, 2, 12)].into_iter().collect();
    featured.hugging_face.as_mut().expect("HF record").daily_date = Some(date(2026, 2, 16));
    store
        .merge_papers(vec![featured, full_paper("2602.00005")])
        .await
        .expect("merge");
    store.set_paper_hidden(&id("2602.00005"), true).await.expect("hide");
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    let submit = |paper: &str, day: Date, user_id: i64| {
        let submission = NewSubmission {
            paper: id(paper),
            listing_date: day,
            user_id,
        };
        async move { store.submit_paper(&submission, 10).await.expect("submits") }
    };
    assert_eq!(
        submit("2602.00003", date(2026, 2, 13), ada.id).await,
        SubmitOutcome::Accepted
    );
    assert_eq!(
        submit("2602.00001", date(2026, 2, 16), bob.id).await,
        SubmitOutcome::Accepted
    );
    assert_eq!(
        submit("2602.00002", date(2026, 2, 18), bob.id).await,
        SubmitOutcome::Accepted
    );
    store
        .set_submission_hidden(&id("2602.00002"), date(2026, 2, 18), true)
        .await
        .expect("hides");
    store.set_role("bob@example.org", Role::Banned).await.expect("bans");
    store.set_vote(ada.id, &id("2602.00002"), true).await.expect("votes");

    let days = [12, 13, 16, 17, 18].map(|day| date(2026, 2, day));
    for (at, &first) in days.iter().enumerate() {
        for &last in &days[at..] {
            both_ways(store, first, last).await;
        }
    }
    let all = store
        .rank_records_listed(date(2026, 2, 1), date(2026, 2, 28))
        .await
        .expect("records");
    let ids: Vec<&str> = all
        .iter()
        .map(|r| r.id.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        ids,
        ["2602.00001", "2602.00002", "2602.00003", "2602.00004"],
        "hidden papers have no record"
    );
    let third = all.iter().find(|r| r.id.as_str() == "2602.00003").expect("third");
    assert_eq!(
        third.days,
        [date(2026, 2, 13), date(2026, 2, 17)],
        "a member's submission is a day of its own"
    );
    let first_paper = all.iter().find(|r| r.id.as_str() == "2602.00001").expect("first");
    assert_eq!(
        first_paper.days,
        [date(2026, 2, 12)],
        "a banned member's submissions do not count"
    );

    // By ids: the same records, all days included, hidden and unknown papers left out.
    let by_ids = store
        .rank_records(&["2602.00003".into(), "2602.00005".into(), "2602.09999".into()])
        .await
        .expect("records");
    assert_eq!(by_ids, vec![third.clone()]);
    // Only the papers of a range, with all their days.
    let monday = store
        .rank_records_listed(date(2026, 2, 16), date(2026, 2, 16))
        .await
        .expect("records");
    let mut monday_ids: Vec<&str> = monday.iter().map(|r| r.id.as_str()).collect();
    monday_ids.sort();
    assert_eq!(monday_ids, ["2602.00004"]);
    assert_eq!(monday[0].days, [date(2026, 2, 12)]);
}

pub async fn whatever_moves_a_paper_on_a_list_is_logged_or_moves_the_epoch(store: &dyn Store) {
    let changes_after = |position: i64| async move {
        let changes = store.search_changes_after(position, 100).await.expect("changes");
        changes.into_iter().map(|c| c.paper_id).collect::<Vec<_>>()
    };
    let newest = || async { store.search_log_bounds().await.expect("bounds").newest };
    store.merge_papers(vec![full_paper("2602.00001")]).await.expect("merge");
    let ada = signed_in(store, "ada@example.org").await;

    let start = newest().await;
    let mut relisted = full_paper("2602.00001");
    relisted.listing_dates.insert(date(2026, 2, 6));
    store.merge_papers(vec![relisted]).await.expect("merge");
    assert_eq!(changes_after(start).await, ["2602.00001"], "a new listing day");

    let start = newest().await;
    let submission = NewSubmission {
        paper: id("2602.00001"),
        listing_date: date(2026, 2, 9),
        user_id: ada.id,
    };
    store.submit_paper(&submission, 10).await.expect("submits");
    store
        .set_submission_hidden(&id("2602.00001"), date(2026, 2, 9), true)
        .await
        .expect("hides");
    store
        .set_submission_hidden(&id("2602.00001"), date(2026, 2, 9), false)
        .await
        .expect("shows");
    store.set_role("ada@example.org", Role::Banned).await.expect("bans");
    store.set_role("ada@example.org", Role::Member).await.expect("lifts");
    assert_eq!(
        changes_after(start).await.len(),
        5,
        "a submission, its hiding and showing, a ban and its lifting"
    );

    let start = newest().await;
    assert!(store.delete_user(ada.id, 3_000).await.expect("deletes"));
    assert!(
        changes_after(start).await.contains(&"2602.00001".to_owned()),
        "a deleted member's submissions leave the lists"
    );

    let epoch = store.ranking_epoch().await.expect("epoch");
    let counted = |stars: i64| RepoReading::Counted { stars, etag: None };
    let url = "https://github.com/a/b";
    store
        .record_repo_reading(url, &counted(100), 500, date(2026, 2, 1))
        .await
        .expect("records");
    assert_eq!(store.ranking_epoch().await.expect("epoch"), epoch, "no growth yet");
    store
        .record_repo_reading(url, &counted(160), 700, date(2026, 2, 5))
        .await
        .expect("records");
    let grown = store.ranking_epoch().await.expect("epoch");
    assert!(grown > epoch, "star growth moves the epoch");
    store
        .record_repo_reading(url, &RepoReading::Unchanged, 800, date(2026, 2, 6))
        .await
        .expect("records");
    assert_eq!(
        store.ranking_epoch().await.expect("epoch"),
        grown,
        "a reading that changes nothing"
    );
}
