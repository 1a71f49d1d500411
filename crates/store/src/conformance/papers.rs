//! The papers area: see [`crate::papers`].

use super::*;

pub async fn papers_round_trip_field_for_field(store: &dyn Store) {
    let paper = full_paper("2602.00001");
    let summary = store.merge_papers(vec![paper.clone()]).await.expect("merge");
    assert_eq!(
        summary,
        MergeSummary {
            new: 1,
            updated: 0,
            unchanged: 0
        }
    );
    let loaded = store.paper(&paper.id).await.expect("load").expect("paper is there");
    assert_eq!(loaded, paper);
    let old_style = Paper {
        id: id("hep-th/9901001"),
        ..full_paper("2602.00002")
    };
    store.merge_papers(vec![old_style.clone()]).await.expect("merge");
    assert_eq!(store.paper(&old_style.id).await.expect("load"), Some(old_style));
}

pub async fn merging_the_same_records_again_changes_nothing(store: &dyn Store) {
    let papers: Vec<Paper> = (1..=5).map(|n| full_paper(&format!("2602.0000{n}"))).collect();
    store.merge_papers(papers.clone()).await.expect("first merge");
    let stats_before = store.stats().await.expect("stats");
    let summary = store.merge_papers(papers.clone()).await.expect("second merge");
    assert_eq!(
        summary,
        MergeSummary {
            new: 0,
            updated: 0,
            unchanged: 5
        }
    );
    assert_eq!(store.stats().await.expect("stats"), stats_before);
    for paper in papers {
        assert_eq!(store.paper(&paper.id).await.expect("load"), Some(paper));
    }
}

pub async fn newer_versions_update_and_older_ones_do_not_roll_back(store: &dyn Store) {
    let mut v1 = full_paper("2602.00001");
    v1.latest_version = Some(1);
    v1.title = "First title".into();
    store.merge_papers(vec![v1.clone()]).await.expect("v1");
    let mut v2 = v1.clone();
    v2.latest_version = Some(2);
    v2.title = "Second title".into();
    let summary = store.merge_papers(vec![v2]).await.expect("v2");
    assert_eq!(summary.updated, 1);
    let summary = store.merge_papers(vec![v1.clone()]).await.expect("v1 again");
    assert_eq!(summary.unchanged, 1);
    let held = store.paper(&v1.id).await.expect("load").expect("held");
    assert_eq!((held.title.as_str(), held.latest_version), ("Second title", Some(2)));
}

pub async fn imported_votes_replace_earlier_counts(store: &dyn Store) {
    let mut paper = full_paper("2602.00001");
    store.merge_papers(vec![paper.clone()]).await.expect("first");
    paper.community_votes[0].votes = 50;
    paper.community_votes[0].read_at = Some("2026-02-20T00:00:00Z".parse().expect("valid"));
    store.merge_papers(vec![paper.clone()]).await.expect("second");
    store.merge_papers(vec![paper.clone()]).await.expect("third");
    let held = store.paper(&paper.id).await.expect("load").expect("held");
    assert_eq!(held.imported_votes(), 50);
}

pub async fn duplicates_in_one_batch_become_one_paper(store: &dyn Store) {
    let mut first = full_paper("2602.00001");
    first.listing_dates.clear();
    first.listing_dates.insert(date(2026, 2, 3));
    let mut second = first.clone();
    second.listing_dates.clear();
    second.listing_dates.insert(date(2026, 2, 4));
    let summary = store.merge_papers(vec![first.clone(), second]).await.expect("merge");
    assert_eq!(
        summary,
        MergeSummary {
            new: 1,
            updated: 0,
            unchanged: 0
        }
    );
    let held = store.paper(&first.id).await.expect("load").expect("held");
    assert_eq!(held.listing_dates.len(), 2);
    assert_eq!(store.stats().await.expect("stats").papers, 1);
}

pub async fn stats_count_what_is_held(store: &dyn Store) {
    let empty = store.stats().await.expect("stats");
    assert_eq!((empty.papers, empty.first_listing_date), (0, None));
    let mut bare = Paper::new(id("2602.00003"));
    bare.title = "Bare".into();
    bare.primary_category = Some(category("cs.CV"));
    bare.categories = vec![category("cs.CV")];
    bare.listing_dates.insert(date(2026, 2, 27));
    let mut early = full_paper("2602.00002");
    early.listing_dates.clear();
    early.listing_dates.insert(date(2026, 2, 2));
    store
        .merge_papers(vec![full_paper("2602.00001"), early, bare])
        .await
        .expect("merge");
    let stats = store.stats().await.expect("stats");
    assert_eq!(stats.papers, 3);
    assert_eq!(
        stats.by_primary_category,
        vec![("cs.CL".to_owned(), 2), ("cs.CV".to_owned(), 1)]
    );
    assert_eq!(stats.first_listing_date, Some(date(2026, 2, 2)));
    assert_eq!(stats.last_listing_date, Some(date(2026, 2, 27)));
    assert_eq!(stats.papers_with_votes, 2);
    assert_eq!(stats.papers_with_code, 2);
}

pub async fn paper_totals_follow_every_change(store: &dyn Store) {
    let totals = |papers, with_votes| PaperTotals { papers, with_votes };
    assert_eq!(store.paper_totals().await.expect("totals"), totals(0, 0));
    let mut bare = Paper::new(id("2602.00003"));
    bare.title = "Bare".into();
    bare.listing_dates.insert(date(2026, 2, 27));
    store
        .merge_papers(vec![full_paper("2602.00001"), full_paper("2602.00002"), bare.clone()])
        .await
        .expect("merge");
    assert_eq!(store.paper_totals().await.expect("totals"), totals(3, 2));
    // Merged again, and then with votes from Hugging Face.
    store.merge_papers(vec![bare.clone()]).await.expect("again");
    assert_eq!(store.paper_totals().await.expect("totals"), totals(3, 2));
    bare.community_votes = full_paper("2602.00003").community_votes;
    store.merge_papers(vec![bare]).await.expect("votes");
    let held = store.stats().await.expect("stats");
    assert_eq!(store.paper_totals().await.expect("totals"), totals(3, 3));
    assert_eq!(
        (held.papers, held.papers_with_votes),
        (3, 3),
        "the counts agree with counting"
    );
}

pub async fn unknown_papers_are_none(store: &dyn Store) {
    assert_eq!(store.paper(&id("2602.99999")).await.expect("load"), None);
    store.ping().await.expect("ping");
}

pub async fn listing_dates_follow_updates(store: &dyn Store) {
    let mut paper = full_paper("2602.00001");
    store.merge_papers(vec![paper.clone()]).await.expect("first");
    paper.listing_dates.clear();
    paper.listing_dates.insert(date(2026, 3, 2));
    store.merge_papers(vec![paper.clone()]).await.expect("second");
    let stats = store.stats().await.expect("stats");
    assert_eq!(stats.first_listing_date, Some(date(2026, 2, 3)));
    assert_eq!(stats.last_listing_date, Some(date(2026, 3, 2)));
}

pub async fn papers_after_walks_everything_once(store: &dyn Store) {
    let mut papers: Vec<Paper> = (1..=7).map(|n| full_paper(&format!("2602.{n:05}"))).collect();
    papers.push(Paper {
        id: id("hep-th/9901001"),
        ..full_paper("2602.00099")
    });
    store.merge_papers(papers.clone()).await.expect("merge");
    let mut walked = Vec::new();
    let mut after: Option<ArxivId> = None;
    loop {
        let page = store.papers_after(after.as_ref(), 3).await.expect("page");
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        walked.extend(page);
    }
    papers.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(walked, papers);
}

pub async fn listing_candidates_cover_a_period_and_a_category(store: &dyn Store) {
    listed_papers(store).await;
    let ids = |candidates: Vec<paperboy_core::RankCandidate>| {
        let mut ids: Vec<String> = candidates
            .iter()
            .map(|c| format!("{} {} {}", c.id, c.listed, c.imported_votes))
            .collect();
        ids.sort();
        ids
    };
    let friday = store
        .listing_candidates(date(2026, 2, 13), date(2026, 2, 13), None)
        .await
        .expect("day");
    assert_eq!(ids(friday), ["2602.00002 2026-02-13 9"]);
    let week = store
        .listing_candidates(date(2026, 2, 9), date(2026, 2, 17), None)
        .await
        .expect("range");
    assert_eq!(
        ids(week),
        [
            "2602.00001 2026-02-12 5",
            "2602.00002 2026-02-13 9",
            "2602.00003 2026-02-17 1"
        ]
    );
    let cross_listed = store
        .listing_candidates(date(2026, 2, 1), date(2026, 2, 28), Some(&category("cs.LG")))
        .await
        .expect("cat");
    assert_eq!(ids(cross_listed), ["2602.00002 2026-02-13 9"]);
    let archive = store
        .listing_candidates(date(2026, 2, 1), date(2026, 2, 28), Some(&category("cs")))
        .await
        .expect("archive");
    assert_eq!(archive.len(), 3);
    let empty_saturday = store
        .listing_candidates(date(2026, 2, 14), date(2026, 2, 14), None)
        .await
        .expect("empty");
    assert!(empty_saturday.is_empty());
}

pub async fn daily_papers_are_dated_by_hugging_faces_day(store: &dyn Store) {
    listed_papers(store).await;
    // 2602.00001 is listed on the 12th; Hugging Face featured it on the 13th.
    let featured = Paper::new(id("2602.00001")).with_hugging_face(paperboy_core::HuggingFacePaper {
        title: "HF".into(),
        daily_date: Some(date(2026, 2, 13)),
        ..Default::default()
    });
    store.merge_papers(vec![featured]).await.expect("merge");
    let day = |first, last| async move {
        let mut found: Vec<String> = store
            .daily_papers_candidates(first, last, None)
            .await
            .expect("candidates")
            .iter()
            .map(|c| format!("{} {}", c.id, c.listed))
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        day(date(2026, 2, 13), date(2026, 2, 13)).await,
        ["2602.00001 2026-02-13", "2602.00002 2026-02-13"]
    );
    assert!(
        day(date(2026, 2, 12), date(2026, 2, 12)).await.is_empty(),
        "HF's day only"
    );
    assert_eq!(day(date(2026, 2, 9), date(2026, 2, 17)).await.len(), 3);
    let site = store
        .listing_candidates(date(2026, 2, 12), date(2026, 2, 12), None)
        .await
        .expect("site");
    assert_eq!(site.len(), 1, "the site's pages keep arXiv's listing day");
}

pub async fn papers_by_ids_keep_the_order_asked(store: &dyn Store) {
    listed_papers(store).await;
    let asked = [id("2602.00003"), id("2602.99999"), id("2602.00001")];
    let papers = store.papers_by_ids(&asked).await.expect("load");
    let got: Vec<&str> = papers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(got, ["2602.00003", "2602.00001"]);
}

pub async fn listing_days_around_skip_empty_days(store: &dyn Store) {
    assert_eq!(store.latest_listing_day().await.expect("latest"), None);
    listed_papers(store).await;
    let around_friday = store
        .listing_days_around(date(2026, 2, 13), date(2026, 2, 13))
        .await
        .expect("around");
    assert_eq!(around_friday, (Some(date(2026, 2, 12)), Some(date(2026, 2, 17))));
    let around_all = store
        .listing_days_around(date(2026, 2, 12), date(2026, 2, 17))
        .await
        .expect("around");
    assert_eq!(around_all, (None, None));
    assert_eq!(
        store.latest_listing_day().await.expect("latest"),
        Some(date(2026, 2, 17))
    );
}

pub async fn content_version_grows_only_with_changes(store: &dyn Store) {
    let start = store.content_version().await.expect("version");
    store.merge_papers(vec![full_paper("2602.00001")]).await.expect("merge");
    let after_change = store.content_version().await.expect("version");
    assert!(after_change.version > start.version);
    assert!(after_change.changed_at > 0);
    store
        .merge_papers(vec![full_paper("2602.00001")])
        .await
        .expect("merge again");
    assert_eq!(
        store.content_version().await.expect("version").version,
        after_change.version
    );
}
