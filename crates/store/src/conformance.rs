//! The one test suite every [`Store`] implementation must pass. A backend's test file calls
//! [`store_conformance_suite!`](crate::store_conformance_suite) with an expression that makes a
//! fresh, empty store; each check below then runs against it.

use jiff::civil::date;
use paperboy_core::{ArxivId, Category, CodeHost, CodeLink, CommunityVotes, DigestPreferences, Frequency, Paper};

use crate::{
    DeliveryOutcome, HarvestCheckpoint, HarvestRun, MergeSummary, NewDelivery, PaperTotals, RepoReading, RepoToCheck,
    SearchLogBounds, StarCount, Store, SubscribeRequest, SubscriptionStatus,
};

/// Generates one `#[tokio::test]` per check for the backend that `$make` opens.
#[macro_export]
macro_rules! store_conformance_suite {
    ($make:expr) => {
        $crate::store_conformance_suite!(@tests $make;
            papers_round_trip_field_for_field,
            merging_the_same_records_again_changes_nothing,
            newer_versions_update_and_older_ones_do_not_roll_back,
            imported_votes_replace_earlier_counts,
            duplicates_in_one_batch_become_one_paper,
            stats_count_what_is_held,
            paper_totals_follow_every_change,
            unknown_papers_are_none,
            listing_dates_follow_updates,
            papers_after_walks_everything_once,
            listing_candidates_cover_a_period_and_a_category,
            daily_papers_are_dated_by_hugging_faces_day,
            papers_by_ids_keep_the_order_asked,
            listing_days_around_skip_empty_days,
            search_log_follows_every_change_that_the_index_holds,
            embeddings_round_trip_and_go_stale_with_their_text,
            content_version_grows_only_with_changes,
            sign_in_links_work_once_and_expire,
            sessions_carry_their_user_until_they_end,
            votes_count_once_per_person_and_withdraw,
            rate_limits_count_hits_per_window,
            submissions_put_papers_on_a_day_once_within_a_quota,
            api_tokens_sign_in_until_revoked,
            roles_bans_and_hidden_papers,
            a_ban_stops_a_members_votes_and_submissions_counting_until_it_is_lifted,
            subscriptions_need_confirmation_once,
            subscriptions_change_and_end,
            deliveries_are_queued_once_per_period,
            claims_hand_over_once_and_expire,
            workers_claiming_at_once_never_share_a_delivery,
            delivery_outcomes_retry_fail_and_bounce,
            instance_secrets_are_made_once,
            unconfirmed_hand_overs_are_settled_once,
            harvest_checkpoints_move_with_their_papers,
            harvest_runs_are_logged_newest_first,
            star_counts_grow_over_a_week_and_reach_ranking,
            leases_are_held_by_one_holder_until_they_run_out,
            writes_can_be_probed_again_and_again,
            a_closed_store_does_no_more_work,
        );
    };
    (@tests $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let store = $make.await;
                $crate::conformance::$check(&store).await;
            }
        )*
    };
}

/// A new, empty database on the PostgreSQL server `PAPERBOY_TEST_POSTGRES_URL` names, and its
/// URL. The first call of a process drops the databases earlier test processes left behind.
/// Without the variable this panics: tests that need PostgreSQL fail, they do not skip.
pub async fn postgres_test_database() -> String {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    static CLEANED: AtomicBool = AtomicBool::new(false);
    let url = std::env::var("PAPERBOY_TEST_POSTGRES_URL").expect(
        "PAPERBOY_TEST_POSTGRES_URL must name a PostgreSQL server the tests may create databases on, \
         e.g. postgres://postgres:paperboy@127.0.0.1:5432/postgres (.ci/run sets one up)",
    );
    let prefix = format!("paperboy_test_{}_", std::process::id());
    let name = format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let mut admin = sqlx::PgConnection::connect(&url)
        .await
        .expect("the test server answers");
    let mut statements = Vec::new();
    if !CLEANED.swap(true, Ordering::SeqCst) {
        // A store keeps its connections until its process ends, so databases are dropped here,
        // by the next run, rather than by the test that made them.
        let stale: Vec<String> =
            sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'paperboy\\_test\\_%'")
                .fetch_all(&mut admin)
                .await
                .expect("lists databases");
        for database in stale.into_iter().filter(|database| !database.starts_with(&prefix)) {
            statements.push(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
        }
    }
    statements.push(format!("CREATE DATABASE {name}"));
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .expect("sets up the test database");
    }
    let (server, _) = url.rsplit_once('/').expect("the URL names a database");
    format!("{server}/{name}")
}

fn id(text: &str) -> ArxivId {
    ArxivId::parse(text).expect("test ids are valid")
}

fn category(code: &str) -> Category {
    Category::parse(code).expect("test categories are valid")
}

/// A paper with every field set, as a listing plus API record would give it.
pub fn full_paper(arxiv_id: &str) -> Paper {
    let mut paper = Paper::new(id(arxiv_id));
    paper.latest_version = Some(2);
    paper.title = format!("On <b>escaping</b> & TeX $\\alpha$ ({arxiv_id})");
    paper.abstract_text = "We show that ünïcode and \"quotes\" survive.".to_owned();
    paper.authors = vec!["Ada Lovelace".into(), "Émile Borel".into()];
    paper.primary_category = Some(category("cs.CL"));
    paper.categories = vec![category("cs.CL"), category("cs.AI")];
    paper.comment = Some("12 pages".into());
    paper.journal_ref = Some("J. Test 1 (2026)".into());
    paper.doi = Some("10.1000/test".into());
    paper.license = Some("http://creativecommons.org/licenses/by/4.0/".into());
    paper.first_version_date = Some(date(2026, 1, 30));
    paper.latest_version_date = Some(date(2026, 2, 2));
    paper.listing_dates.insert(date(2026, 2, 3));
    paper.code_links = vec![CodeLink {
        host: CodeHost::Github,
        url: "https://github.com/a/b".into(),
    }];
    paper.community_votes = vec![CommunityVotes {
        source: "huggingface".into(),
        votes: 42,
        read_at: Some("2026-02-19T05:35:33Z".parse().expect("valid timestamp")),
        featured_on: Some(date(2026, 2, 3)),
    }];
    paper.with_hugging_face(paperboy_core::HuggingFacePaper {
        title: "HF's title".into(),
        authors: vec!["Ada Lovelace".into()],
        daily_date: Some(date(2026, 2, 4)),
        ai_summary: Some("A summary <by> a model.".into()),
        ai_keywords: vec!["escaping".into()],
        submitted_by: Some(paperboy_core::HuggingFaceUser {
            name: "ada".into(),
            fullname: Some("Ada L.".into()),
            avatar_url: None,
        }),
        ..Default::default()
    })
}

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

/// Three papers over a Friday-to-Tuesday gap: listed Thu 12, Fri 13 (cs.CL + cross-list cs.LG)
/// and Tue 17 (cs.CV); the Fri one is listed again on the Tue as a cross-list.
async fn listed_papers(store: &dyn Store) {
    let listed = |arxiv_id: &str, days: &[Date], codes: &[&str], votes: i64| {
        let mut paper = full_paper(arxiv_id);
        paper.listing_dates = days.iter().copied().collect();
        paper.categories = codes.iter().map(|code| category(code)).collect();
        paper.primary_category = paper.categories.first().cloned();
        paper.community_votes[0].votes = votes;
        paper.hugging_face = None;
        paper
    };
    store
        .merge_papers(vec![
            listed("2602.00001", &[date(2026, 2, 12)], &["cs.CL"], 5),
            listed(
                "2602.00002",
                &[date(2026, 2, 13), date(2026, 2, 17)],
                &["cs.CL", "cs.LG"],
                9,
            ),
            listed("2602.00003", &[date(2026, 2, 17)], &["cs.CV"], 1),
        ])
        .await
        .expect("merge");
}

use paperboy_core::Date;

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
    let to_embed = store.texts_to_embed("m", 10).await.expect("to embed");
    assert_eq!(to_embed.len(), 2);
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
    assert!(store.texts_to_embed("m", 10).await.expect("to embed").is_empty());
    assert_eq!(
        store.texts_to_embed("other", 10).await.expect("to embed").len(),
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
    let stale = store.texts_to_embed("m", 10).await.expect("to embed");
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

use crate::{NewSession, Role};

async fn signed_in(store: &dyn Store, email: &str) -> crate::User {
    let hash = format!("hash-of-{email}");
    store.save_login_token(email, &hash, 2_000).await.expect("save link");
    store
        .redeem_login_token(&hash, 1_000)
        .await
        .expect("redeem")
        .expect("a fresh link signs in")
}

pub async fn sign_in_links_work_once_and_expire(store: &dyn Store) {
    store
        .save_login_token("Ada@Example.org", "hash-1", 2_000)
        .await
        .expect("save");
    assert_eq!(
        store.login_token_email("hash-1", 1_000).await.expect("peek").as_deref(),
        Some("ada@example.org"),
        "a link says whom it signs in, without being used up"
    );
    assert_eq!(store.login_token_email("hash-1", 2_001).await.expect("late"), None);
    assert_eq!(
        store.login_token_email("no-such-hash", 1_000).await.expect("unknown"),
        None
    );
    let user = store
        .redeem_login_token("hash-1", 1_000)
        .await
        .expect("redeem")
        .expect("signed in");
    assert_eq!((user.email.as_str(), user.role), ("ada@example.org", Role::Member));
    // Nothing of the address is shown until its owner chooses a name, and the public profile's
    // id is random: 24 hex digits, not the row's number.
    assert_eq!(user.display_name, format!("Reader {}", &user.profile_id[..6]));
    assert!(
        user.profile_id.len() == 24 && user.profile_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{}",
        user.profile_id
    );
    assert_eq!(
        store.user_by_profile(&user.profile_id).await.expect("by profile"),
        Some(user.clone())
    );
    assert_eq!(
        store.user_by_profile(&user.id.to_string()).await.expect("by number"),
        None
    );
    assert_eq!(
        store.redeem_login_token("hash-1", 1_001).await.expect("again"),
        None,
        "a link works once"
    );
    store
        .save_login_token("ada@example.org", "hash-2", 2_000)
        .await
        .expect("save");
    assert_eq!(
        store.redeem_login_token("hash-2", 2_001).await.expect("late"),
        None,
        "an expired link fails"
    );
    store
        .save_login_token("ada@example.org", "hash-3", 5_000)
        .await
        .expect("save");
    let again = store
        .redeem_login_token("hash-3", 3_000)
        .await
        .expect("redeem")
        .expect("signed in");
    assert_eq!(again.id, user.id, "the same address is the same account");
    assert_eq!(
        store.redeem_login_token("never-issued", 1_000).await.expect("unknown"),
        None
    );
}

pub async fn sessions_carry_their_user_until_they_end(store: &dyn Store) {
    let user = signed_in(store, "grace@example.org").await;
    let session = NewSession {
        token_hash: "cookie-hash".into(),
        user_id: user.id,
        csrf_token: "csrf".into(),
        expires_at: 10_000,
    };
    store.create_session(&session).await.expect("create");
    let found = store
        .session("cookie-hash", 9_000)
        .await
        .expect("load")
        .expect("live session");
    assert_eq!((found.user.id, found.csrf_token.as_str()), (user.id, "csrf"));
    assert_eq!(
        store.session("cookie-hash", 10_001).await.expect("load"),
        None,
        "expired"
    );
    store.set_display_name(user.id, "Grace H.").await.expect("rename");
    assert_eq!(
        store
            .session("cookie-hash", 9_000)
            .await
            .expect("load")
            .expect("live")
            .user
            .display_name,
        "Grace H."
    );
    store.delete_session("cookie-hash").await.expect("sign out");
    assert_eq!(
        store.session("cookie-hash", 9_000).await.expect("load"),
        None,
        "signed out"
    );
}

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

use crate::{NewSubmission, SubmitOutcome};

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

pub async fn api_tokens_sign_in_until_revoked(store: &dyn Store) {
    let ada = signed_in(store, "ada@example.org").await;
    let token_id = store
        .create_api_token(ada.id, "laptop", "token-hash")
        .await
        .expect("create");
    let found = store
        .user_by_api_token("token-hash", 7)
        .await
        .expect("lookup")
        .expect("token works");
    assert_eq!(found.id, ada.id);
    let tokens = store.api_tokens(ada.id).await.expect("list");
    assert_eq!((tokens[0].name.as_str(), tokens[0].last_used_at), ("laptop", Some(7)));
    let bob = signed_in(store, "bob@example.org").await;
    assert!(
        !store.revoke_api_token(bob.id, token_id).await.expect("revoke"),
        "only the owner revokes"
    );
    assert!(store.revoke_api_token(ada.id, token_id).await.expect("revoke"));
    assert_eq!(store.user_by_api_token("token-hash", 8).await.expect("lookup"), None);
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

fn weekly_cl() -> DigestPreferences {
    DigestPreferences::parse("weekly", "cs.CL", "speech, translation", "5").expect("valid preferences")
}

pub async fn subscriptions_need_confirmation_once(store: &dyn Store) {
    let first = store
        .request_subscription("Ada@Example.org", &weekly_cl(), "link-1", 100, 1)
        .await
        .expect("request");
    let SubscribeRequest::ConfirmationNeeded(pending) = first else {
        panic!("a new address needs confirming, got {first:?}");
    };
    assert_eq!(pending.status, SubscriptionStatus::Pending);
    assert_eq!(pending.email, "Ada@Example.org");
    assert_eq!(pending.preferences, weekly_cl());
    assert!(
        store
            .active_subscriptions(Frequency::Weekly, 0, 10)
            .await
            .expect("list")
            .is_empty(),
        "pending gets nothing"
    );
    // Asking again replaces the link: the first no longer works.
    store
        .request_subscription("ada@example.org", &DigestPreferences::default(), "link-2", 100, 2)
        .await
        .expect("request again");
    assert_eq!(store.confirm_subscription("link-1", 3).await.expect("confirm"), None);
    let active = store
        .confirm_subscription("link-2", 3)
        .await
        .expect("confirm")
        .expect("link-2 works");
    assert_eq!(active.id, pending.id, "one subscription per mailbox, whatever the case");
    assert_eq!(active.status, SubscriptionStatus::Active);
    assert_eq!(active.preferences, DigestPreferences::default());
    assert_eq!(
        store.confirm_subscription("link-2", 4).await.expect("again"),
        None,
        "once"
    );
    let again = store
        .request_subscription("ADA@example.org", &weekly_cl(), "link-3", 100, 5)
        .await
        .expect("request while active");
    assert!(matches!(again, SubscribeRequest::AlreadyActive(ref s) if s.preferences == DigestPreferences::default()));
    assert_eq!(
        store.confirm_subscription("link-3", 6).await.expect("confirm"),
        None,
        "not stored"
    );

    store
        .request_subscription("late@example.org", &weekly_cl(), "late-link", 100, 1)
        .await
        .expect("request");
    assert_eq!(
        store.confirm_subscription("late-link", 101).await.expect("late"),
        None,
        "expired"
    );
    let late = store
        .subscription_by_email("late@example.org")
        .await
        .expect("lookup")
        .expect("kept");
    assert_eq!(late.status, SubscriptionStatus::Pending);
}

pub async fn subscriptions_change_and_end(store: &dyn Store) {
    let member = store
        .subscribe_confirmed("member@example.org", &DigestPreferences::default(), 1)
        .await
        .expect("subscribe");
    assert_eq!(member.status, SubscriptionStatus::Active);
    assert!(
        store
            .update_subscription(member.id, &weekly_cl(), 2)
            .await
            .expect("update")
    );
    let changed = store.subscription(member.id).await.expect("get").expect("there");
    assert_eq!(changed.preferences, weekly_cl());
    let weekly = store
        .active_subscriptions(Frequency::Weekly, 0, 10)
        .await
        .expect("list");
    assert_eq!(weekly.iter().map(|s| s.id).collect::<Vec<_>>(), [member.id]);
    assert!(
        store
            .active_subscriptions(Frequency::Daily, 0, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(store.unsubscribe(member.id, 3).await.expect("unsubscribe"));
    assert!(!store.unsubscribe(member.id, 4).await.expect("twice"), "already gone");
    assert!(
        !store
            .update_subscription(member.id, &weekly_cl(), 5)
            .await
            .expect("update")
    );
    assert!(
        store
            .active_subscriptions(Frequency::Weekly, 0, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store
            .subscription_by_email("MEMBER@example.org")
            .await
            .expect("get")
            .map(|s| s.status),
        Some(SubscriptionStatus::Unsubscribed)
    );
    // Coming back takes a confirmation again.
    let back = store
        .request_subscription("member@example.org", &weekly_cl(), "back", 100, 6)
        .await
        .expect("request");
    assert!(matches!(back, SubscribeRequest::ConfirmationNeeded(_)));
}

async fn active(store: &dyn Store, email: &str) -> i64 {
    store
        .subscribe_confirmed(email, &DigestPreferences::default(), 1)
        .await
        .expect("subscribe")
        .id
}

pub async fn deliveries_are_queued_once_per_period(store: &dyn Store) {
    let ada = active(store, "ada@example.org").await;
    let bob = active(store, "bob@example.org").await;
    let papers = vec![id("2602.00002"), id("2602.00001")];
    let queued = store
        .enqueue_deliveries(
            "daily:2026-02-13",
            &[
                NewDelivery {
                    subscription_id: ada,
                    papers: papers.clone(),
                },
                NewDelivery {
                    subscription_id: bob,
                    papers: vec![id("2602.00003")],
                },
            ],
            10,
        )
        .await
        .expect("enqueue");
    assert_eq!(queued, 2);
    let again = store
        .enqueue_deliveries(
            "daily:2026-02-13",
            &[NewDelivery {
                subscription_id: ada,
                papers: vec![id("2602.00009")],
            }],
            11,
        )
        .await
        .expect("enqueue again");
    assert_eq!(again, 0, "one delivery per subscription and period");
    let sent = store
        .papers_already_sent(&[ada, bob], &[id("2602.00001"), id("2602.00003"), id("2602.00009")])
        .await
        .expect("sent");
    let mut sent: Vec<(i64, String)> = sent.into_iter().map(|(s, p)| (s, p.to_string())).collect();
    sent.sort();
    assert_eq!(sent, [(ada, "2602.00001".to_owned()), (bob, "2602.00003".to_owned())]);
    assert_eq!(
        store
            .delivery_counts(Some("daily:2026-02-13"))
            .await
            .expect("counts")
            .queued,
        2
    );
    assert_eq!(
        store
            .delivery_counts(Some("daily:2026-02-12"))
            .await
            .expect("counts")
            .queued,
        0
    );
    assert_eq!(store.next_delivery_due().await.expect("due"), Some(10));

    assert!(!store.digest_run_exists("daily:2026-02-13").await.expect("run"));
    assert!(
        store
            .record_digest_run("daily:2026-02-13", Frequency::Daily, 2, 12)
            .await
            .expect("record")
    );
    assert!(
        !store
            .record_digest_run("daily:2026-02-13", Frequency::Daily, 2, 13)
            .await
            .expect("record")
    );
    assert!(store.digest_run_exists("daily:2026-02-13").await.expect("run"));

    let claimed = store.claim_deliveries(20, 60, 10, "worker-a").await.expect("claim");
    let ada_delivery = claimed.iter().find(|d| d.subscription.id == ada).expect("ada's");
    assert_eq!(ada_delivery.papers, papers, "the order is kept");
    assert_eq!(ada_delivery.period, "daily:2026-02-13");
    assert_eq!(ada_delivery.subscription.email, "ada@example.org");
}

/// Four workers claim small batches at the same time (on PostgreSQL each on its own
/// connection): every delivery is claimed by exactly one of them.
pub async fn workers_claiming_at_once_never_share_a_delivery(store: &dyn Store) {
    let mut deliveries = Vec::new();
    for n in 0..60 {
        deliveries.push(NewDelivery {
            subscription_id: active(store, &format!("reader{n}@example.org")).await,
            papers: vec![id("2602.00001")],
        });
    }
    store
        .enqueue_deliveries("daily:2026-02-13", &deliveries, 1)
        .await
        .expect("enqueue");
    let worker = |name: &'static str| async move {
        let mut claimed = Vec::new();
        loop {
            let batch = store.claim_deliveries(10, 60, 4, name).await.expect("claim");
            if batch.is_empty() {
                return claimed;
            }
            claimed.extend(batch.into_iter().map(|delivery| delivery.id));
        }
    };
    let (a, b, c, d) = tokio::join!(worker("a"), worker("b"), worker("c"), worker("d"));
    let mut all: Vec<i64> = [a, b, c, d].concat();
    let claims = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!((claims, all.len()), (60, 60), "each delivery claimed once");
}

pub async fn claims_hand_over_once_and_expire(store: &dyn Store) {
    let ada = active(store, "ada@example.org").await;
    let bob = active(store, "bob@example.org").await;
    let deliveries: Vec<NewDelivery> = [ada, bob]
        .iter()
        .map(|&subscription_id| NewDelivery {
            subscription_id,
            papers: vec![id("2602.00001")],
        })
        .collect();
    store
        .enqueue_deliveries("weekly:2026-W07", &deliveries, 100)
        .await
        .expect("enqueue");
    assert!(
        store
            .claim_deliveries(99, 60, 10, "early")
            .await
            .expect("claim")
            .is_empty(),
        "not due yet"
    );
    let first = store.claim_deliveries(100, 60, 1, "worker-a").await.expect("claim");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    let second = store.claim_deliveries(101, 60, 10, "worker-b").await.expect("claim");
    assert_eq!(
        second.len(),
        1,
        "a claimed delivery is not claimed twice while its lease runs"
    );
    assert_ne!(second[0].id, first[0].id);
    // worker-a stalls past its lease; worker-c takes over and worker-a may no longer hand over.
    let taken = store.claim_deliveries(200, 60, 10, "worker-c").await.expect("claim");
    assert_eq!(
        taken.iter().map(|d| d.id).collect::<Vec<_>>(),
        [first[0].id, second[0].id]
    );
    assert_eq!(taken[0].attempts, 2);
    assert!(
        !store
            .hand_over_delivery(first[0].id, "worker-a")
            .await
            .expect("hand over")
    );
    assert!(
        store
            .hand_over_delivery(first[0].id, "worker-c")
            .await
            .expect("hand over")
    );
    assert!(
        !store.hand_over_delivery(first[0].id, "worker-c").await.expect("twice"),
        "handed over once"
    );
    // A handed-over delivery is never claimed again, even if its worker dies before finishing.
    assert!(
        store
            .claim_deliveries(10_000, 60, 10, "later")
            .await
            .expect("claim")
            .iter()
            .all(|d| d.id != first[0].id)
    );
    let counts = store.delivery_counts(None).await.expect("counts");
    assert_eq!((counts.handed_over, counts.sending), (1, 1));
    // Unsubscribing cancels what has not been handed over, even mid-claim.
    let bob_delivery = taken[1].id;
    assert!(store.unsubscribe(bob, 300).await.expect("unsubscribe"));
    assert!(
        !store
            .hand_over_delivery(bob_delivery, "worker-c")
            .await
            .expect("hand over")
    );
    let counts = store.delivery_counts(None).await.expect("counts");
    assert_eq!((counts.cancelled, counts.outstanding()), (1, 0));
}

pub async fn delivery_outcomes_retry_fail_and_bounce(store: &dyn Store) {
    let ada = active(store, "ada@example.org").await;
    for (n, period) in ["daily:2026-02-10", "daily:2026-02-11", "daily:2026-02-12"]
        .iter()
        .enumerate()
    {
        store
            .enqueue_deliveries(
                period,
                &[NewDelivery {
                    subscription_id: ada,
                    papers: vec![id(&format!("2602.0000{n}"))],
                }],
                1,
            )
            .await
            .expect("enqueue");
    }
    let claimed = store.claim_deliveries(1, 60, 1, "w").await.expect("claim");
    let retry = DeliveryOutcome::Retry {
        error: "421 try later".into(),
        next_attempt_at: 50,
    };
    store
        .finish_deliveries(&[(claimed[0].id, retry)], 2)
        .await
        .expect("retry");
    assert_eq!(
        store.next_delivery_due().await.expect("due"),
        Some(1),
        "the others are due"
    );
    let bounce = |error: &str| DeliveryOutcome::Failed {
        error: error.into(),
        permanent: true,
        bounce_limit: 2,
    };
    let next = store.claim_deliveries(3, 60, 2, "w").await.expect("claim");
    assert_eq!(next.len(), 2, "the retried one waits until 50");
    store
        .finish_deliveries(&[(next[0].id, bounce("550 no such user"))], 4)
        .await
        .expect("fail");
    assert_eq!(
        store.subscription(ada).await.expect("get").expect("there").status,
        SubscriptionStatus::Active,
        "one bounce is not enough"
    );
    store
        .finish_deliveries(&[(next[1].id, bounce("550 no such user"))], 5)
        .await
        .expect("fail");
    assert_eq!(
        store.subscription(ada).await.expect("get").expect("there").status,
        SubscriptionStatus::Bounced
    );
    assert!(
        store
            .claim_deliveries(100, 60, 10, "w")
            .await
            .expect("claim")
            .is_empty(),
        "a bounced address is skipped"
    );
    let counts = store.delivery_counts(None).await.expect("counts");
    assert_eq!((counts.failed, counts.queued), (2, 1));

    // A success resets the count of failures in a row.
    let bob = active(store, "bob@example.org").await;
    for period in ["daily:2026-02-10", "daily:2026-02-11", "daily:2026-02-12"] {
        store
            .enqueue_deliveries(
                period,
                &[NewDelivery {
                    subscription_id: bob,
                    papers: vec![],
                }],
                200,
            )
            .await
            .expect("enqueue");
    }
    let bobs = store.claim_deliveries(200, 60, 3, "w").await.expect("claim");
    assert!(store.hand_over_delivery(bobs[1].id, "w").await.expect("hand over"));
    // One batch, applied in order: fail, succeed, fail is not two failures in a row.
    store
        .finish_deliveries(
            &[
                (bobs[0].id, bounce("550")),
                (bobs[1].id, DeliveryOutcome::Sent),
                (bobs[2].id, bounce("550")),
            ],
            201,
        )
        .await
        .expect("finish");
    assert_eq!(
        store.subscription(bob).await.expect("get").expect("there").status,
        SubscriptionStatus::Active
    );
    assert_eq!(store.delivery_counts(None).await.expect("counts").sent, 1);
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

pub async fn unconfirmed_hand_overs_are_settled_once(store: &dyn Store) {
    let ada = active(store, "ada@example.org").await;
    let bob = active(store, "bob@example.org").await;
    let deliveries: Vec<NewDelivery> = [ada, bob]
        .iter()
        .map(|&subscription_id| NewDelivery {
            subscription_id,
            papers: vec![id("2602.00001")],
        })
        .collect();
    store
        .enqueue_deliveries("daily:2026-02-13", &deliveries, 1)
        .await
        .expect("enqueue");
    let claimed = store.claim_deliveries(1, 60, 10, "host/a").await.expect("claim");
    for delivery in &claimed {
        assert!(
            store
                .hand_over_delivery(delivery.id, "host/a")
                .await
                .expect("hand over")
        );
    }
    // The worker answers for the first; then dies.
    store
        .finish_deliveries(&[(claimed[0].id, DeliveryOutcome::Sent)], 2)
        .await
        .expect("sent");
    assert!(
        store.unconfirmed_hand_overs(60).await.expect("list").is_empty(),
        "lease still runs"
    );
    let stale = store.unconfirmed_hand_overs(62).await.expect("list");
    assert_eq!(stale, vec![(claimed[1].id, "host/a".to_owned())]);
    assert!(
        !store
            .resolve_hand_over(claimed[1].id, "host/b", false, 62)
            .await
            .expect("resolve"),
        "claim must match"
    );
    assert!(
        store
            .resolve_hand_over(claimed[1].id, "host/a", false, 62)
            .await
            .expect("resolve")
    );
    let again = store.claim_deliveries(63, 60, 10, "host/c").await.expect("claim");
    assert_eq!(
        again.iter().map(|d| d.id).collect::<Vec<_>>(),
        [claimed[1].id],
        "back in the queue"
    );
    assert!(
        store
            .hand_over_delivery(claimed[1].id, "host/c")
            .await
            .expect("hand over")
    );
    assert!(
        store
            .resolve_hand_over(claimed[1].id, "host/c", true, 200)
            .await
            .expect("resolve")
    );
    assert!(
        store.unconfirmed_hand_overs(1000).await.expect("list").is_empty(),
        "settled for good"
    );
    assert!(
        store
            .claim_deliveries(1000, 60, 10, "host/d")
            .await
            .expect("claim")
            .is_empty()
    );
}

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
