//! The community area: see [`crate::community`].

use super::*;

pub async fn votes_count_once_per_person_and_withdraw(store: &dyn Store) {
    store.merge_papers(vec![full_paper("2602.00001")]).await.expect("merge");
    let paper = id("2602.00001");
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    assert_eq!(store.set_vote(ada.id, &paper, true).await.expect("vote"), Some(1));
    assert_eq!(
        store.set_vote(ada.id, &paper, true).await.expect("vote again"),
        Some(1),
        "twice counts once"
    );
    assert_eq!(store.set_vote(bob.id, &paper, true).await.expect("vote"), Some(2));
    assert_eq!(
        store
            .voted_among(ada.id, &[paper.clone(), id("2602.00009")])
            .await
            .expect("voted"),
        vec![paper.clone()]
    );
    assert_eq!(
        store.recent_votes(ada.id, 10).await.expect("recent"),
        vec![paper.clone()]
    );
    assert_eq!(store.recent_votes(ada.id, 0).await.expect("none asked"), vec![]);
    assert_eq!(
        store
            .local_votes(&[id("2602.00009"), paper.clone()])
            .await
            .expect("count"),
        vec![(id("2602.00009"), 0), (paper.clone(), 2)],
        "in the order asked, unknown papers at 0"
    );
    assert_eq!(store.set_vote(ada.id, &paper, false).await.expect("withdraw"), Some(1));
    assert_eq!(
        store.set_vote(ada.id, &paper, false).await.expect("withdraw again"),
        Some(1)
    );
    assert_eq!(
        store.set_vote(ada.id, &id("2602.99999"), true).await.expect("unknown"),
        None
    );
    let candidates = store
        .listing_candidates(date(2026, 2, 3), date(2026, 2, 3), None)
        .await
        .expect("candidates");
    assert_eq!(candidates[0].local_votes, 1, "local votes reach ranking at once");
}

pub async fn submissions_put_papers_on_a_day_once_within_a_quota(store: &dyn Store) {
    let papers: Vec<Paper> = (1..=3).map(|n| full_paper(&format!("2602.0000{n}"))).collect();
    store.merge_papers(papers).await.expect("merge");
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    let today = date(2026, 3, 2);
    let submit = |user_id, paper: &str| NewSubmission {
        paper: id(paper),
        listing_date: today,
        user_id,
    };
    assert_eq!(
        store
            .submit_paper(&submit(ada.id, "2602.00001"), 2)
            .await
            .expect("submit"),
        SubmitOutcome::Accepted
    );
    assert_eq!(
        store
            .submit_paper(&submit(bob.id, "2602.00001"), 2)
            .await
            .expect("again"),
        SubmitOutcome::AlreadySubmitted
    );
    assert_eq!(
        store
            .submit_paper(&submit(ada.id, "2602.00002"), 2)
            .await
            .expect("second"),
        SubmitOutcome::Accepted
    );
    assert_eq!(
        store
            .submit_paper(&submit(ada.id, "2602.00003"), 2)
            .await
            .expect("third"),
        SubmitOutcome::QuotaReached
    );
    let on_the_day = store.listing_candidates(today, today, None).await.expect("candidates");
    assert_eq!(on_the_day.len(), 2, "submitted papers are on that day's list");
    assert_eq!(
        store.latest_listing_day().await.expect("latest"),
        Some(date(2026, 2, 3)),
        "a day of submissions alone is not one of arXiv's lists"
    );
    assert_eq!(
        store
            .listing_days_around(date(2026, 2, 28), date(2026, 2, 28))
            .await
            .expect("around")
            .1,
        Some(today)
    );
    let names = store
        .submitters(&[id("2602.00001"), id("2602.00003")], today, today)
        .await
        .expect("submitters");
    assert_eq!(names, vec![(id("2602.00001"), ada.display_name.clone())]);
    assert!(
        store
            .set_submission_hidden(&id("2602.00002"), today, true)
            .await
            .expect("hide")
    );
    assert_eq!(
        store
            .listing_candidates(today, today, None)
            .await
            .expect("candidates")
            .len(),
        1,
        "a hidden submission leaves its day"
    );
    assert!(
        store
            .submitters(&[id("2602.00002")], today, today)
            .await
            .expect("submitters")
            .is_empty()
    );
    store
        .set_submission_hidden(&id("2602.00002"), today, false)
        .await
        .expect("show");
    // An import rebuilding the paper's arXiv listings leaves the submission in place.
    store
        .merge_papers(vec![Paper {
            title: "Retitled".into(),
            latest_version: Some(3),
            ..full_paper("2602.00001")
        }])
        .await
        .expect("re-import");
    assert_eq!(
        store
            .listing_candidates(today, today, None)
            .await
            .expect("candidates")
            .len(),
        2
    );
}

pub async fn a_ban_stops_a_members_votes_and_submissions_counting_until_it_is_lifted(store: &dyn Store) {
    store
        .merge_papers(vec![full_paper("2602.00001"), full_paper("2602.00002")])
        .await
        .expect("merge");
    let ada = signed_in(store, "ada@example.org").await;
    let mallory = signed_in(store, "mallory@example.org").await;
    store.set_vote(ada.id, &id("2602.00001"), true).await.expect("vote");
    store.set_vote(mallory.id, &id("2602.00001"), true).await.expect("vote");
    let submitted_on = date(2026, 3, 2);
    let submission = NewSubmission {
        paper: id("2602.00002"),
        listing_date: submitted_on,
        user_id: mallory.id,
    };
    assert_eq!(
        store.submit_paper(&submission, 5).await.expect("submit"),
        SubmitOutcome::Accepted
    );
    let votes = async || store.local_votes(&[id("2602.00001")]).await.expect("votes")[0].1;
    let submitted = async || {
        store
            .listing_candidates(submitted_on, submitted_on, None)
            .await
            .expect("list")
            .iter()
            .map(|candidate| candidate.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!((votes().await, submitted().await), (2, vec![id("2602.00002")]));

    let before = store.content_version().await.expect("version").version;
    assert!(store.set_role("mallory@example.org", Role::Banned).await.expect("ban"));
    assert!(
        store.content_version().await.expect("version").version > before,
        "the lists change"
    );
    assert_eq!(votes().await, 1, "a banned member's vote stops counting");
    assert_eq!(
        submitted().await,
        Vec::<ArxivId>::new(),
        "and their submission leaves the lists"
    );
    store
        .set_vote(ada.id, &id("2602.00001"), false)
        .await
        .expect("withdraw");
    store
        .set_vote(ada.id, &id("2602.00001"), true)
        .await
        .expect("vote again");
    assert_eq!(votes().await, 1, "recounting leaves the banned vote out");

    assert!(store.set_role("mallory@example.org", Role::Member).await.expect("lift"));
    assert_eq!(
        (votes().await, submitted().await),
        (2, vec![id("2602.00002")]),
        "both count again"
    );
}

pub async fn roles_bans_and_hidden_papers(store: &dyn Store) {
    store
        .merge_papers(vec![full_paper("2602.00001"), full_paper("2602.00002")])
        .await
        .expect("merge");
    let ada = signed_in(store, "ada@example.org").await;
    assert!(store.set_role("ADA@example.org", Role::Admin).await.expect("promote"));
    assert_eq!(
        store.user(ada.id).await.expect("user").expect("there").role,
        Role::Admin
    );
    assert!(
        !store
            .set_role("nobody@example.org", Role::Admin)
            .await
            .expect("no such account")
    );
    let session = NewSession {
        token_hash: "s".into(),
        user_id: ada.id,
        csrf_token: "c".into(),
        expires_at: 10_000,
    };
    store.create_session(&session).await.expect("session");
    store.set_vote(ada.id, &id("2602.00002"), true).await.expect("vote");
    let activity = store.activity(ada.id, 10).await.expect("activity");
    assert_eq!(activity.votes, vec![id("2602.00002")]);
    assert!(store.set_role("ada@example.org", Role::Banned).await.expect("ban"));
    assert_eq!(
        store.session("s", 1).await.expect("session"),
        None,
        "a ban ends sessions"
    );
    assert_eq!(store.users().await.expect("users").len(), 1);

    let day = date(2026, 2, 3);
    assert!(store.set_paper_hidden(&id("2602.00001"), true).await.expect("hide"));
    let shown: Vec<ArxivId> = store
        .listing_candidates(day, day, None)
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(shown, vec![id("2602.00002")], "a hidden paper leaves the lists");
    store.set_paper_hidden(&id("2602.00001"), false).await.expect("show");
    assert_eq!(store.listing_candidates(day, day, None).await.expect("list").len(), 2);
}
