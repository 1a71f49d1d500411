//! The one test suite every [`Store`] implementation must pass. A backend's test file calls
//! [`store_conformance_suite!`](crate::store_conformance_suite) with an expression that makes a
//! fresh, empty store; each check below then runs against it.

pub mod accounts;
pub mod comments;
pub mod community;
pub mod deliveries;
pub mod follows;
pub mod harvest;
pub mod instance;
pub mod library;
pub mod notifications;
pub mod papers;
pub mod rankings;
pub mod search_feed;
pub mod subscriptions;

use jiff::civil::date;
use paperboy_core::{ArxivId, Category, CodeHost, CodeLink, CommunityVotes, DigestPreferences, Frequency, Paper};

use crate::prelude::*;
use crate::{
    DeliveryOutcome, HarvestCheckpoint, HarvestRun, MergeSummary, NewDelivery, PaperTotals, RepoReading, RepoToCheck,
    SearchLogBounds, StarCount, SubscribeRequest, SubscriptionStatus,
};

/// Generates one `#[tokio::test]` per check for the backend that `$make` opens.
#[macro_export]
macro_rules! store_conformance_suite {
    ($make:expr) => {
        $crate::store_conformance_suite!(@areas $make;
            papers: [papers_round_trip_field_for_field, merging_the_same_records_again_changes_nothing, newer_versions_update_and_older_ones_do_not_roll_back, imported_votes_replace_earlier_counts, duplicates_in_one_batch_become_one_paper, stats_count_what_is_held, paper_totals_follow_every_change, unknown_papers_are_none, listing_dates_follow_updates, papers_after_walks_everything_once, listing_candidates_cover_a_period_and_a_category, daily_papers_are_dated_by_hugging_faces_day, papers_by_ids_keep_the_order_asked, listing_days_around_skip_empty_days, content_version_grows_only_with_changes],
            search_feed: [search_log_follows_every_change_that_the_index_holds, embeddings_round_trip_and_go_stale_with_their_text],
            accounts: [sign_in_links_work_once_and_expire, sessions_carry_their_user_until_they_end, api_tokens_sign_in_until_revoked, deleting_a_member_deletes_everything_theirs],
            community: [votes_count_once_per_person_and_withdraw, submissions_put_papers_on_a_day_once_within_a_quota, roles_bans_and_hidden_papers, a_ban_stops_a_members_votes_and_submissions_counting_until_it_is_lifted],
            subscriptions: [subscriptions_need_confirmation_once, subscriptions_change_and_end],
            deliveries: [deliveries_are_queued_once_per_period, claims_hand_over_once_and_expire, workers_claiming_at_once_never_share_a_delivery, delivery_outcomes_retry_fail_and_bounce, unconfirmed_hand_overs_are_settled_once],
            harvest: [harvest_checkpoints_move_with_their_papers, harvest_runs_are_logged_newest_first, star_counts_grow_over_a_week_and_reach_ranking],
            instance: [rate_limits_count_hits_per_window, instance_secrets_are_made_once, leases_are_held_by_one_holder_until_they_run_out, writes_can_be_probed_again_and_again, a_closed_store_does_no_more_work],
            follows: [follows_are_made_once_turned_off_and_on_and_forgotten],
            library: [papers_are_filed_once_and_the_default_collection_is_made_on_first_use, collections_are_renamed_reordered_published_and_deleted, notes_are_private_and_an_empty_one_is_deleted],
            comments: [comments_thread_flatten_and_keep_their_place_when_deleted, comment_votes_reports_and_moderation],
            notifications: [comments_queue_one_mail_per_member_and_paper_an_hour, comment_mails_are_claimed_once_and_settled_after_a_crash],
            rankings: [rank_records_place_papers_as_the_lists_query_does, whatever_moves_a_paper_on_a_list_is_logged_or_moves_the_epoch],
        );
    };
    (@areas $make:expr; $($area:ident: [$($check:ident),* $(,)?]),* $(,)?) => {
        $(
            mod $area {
                #[allow(unused_imports)]
                use super::*;
                $(
                    #[tokio::test]
                    async fn $check() {
                        let store = $make.await;
                        $crate::conformance::$area::$check(&store).await;
                    }
                )*
            }
        )*
    };
}
use crate::{NewSession, Role};
use crate::{NewSubmission, SubmitOutcome};
use paperboy_core::Date;

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

pub(crate) fn id(text: &str) -> ArxivId {
    ArxivId::parse(text).expect("test ids are valid")
}

pub(crate) fn category(code: &str) -> Category {
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

/// Three papers over a Friday-to-Tuesday gap: listed Thu 12, Fri 13 (cs.CL + cross-list cs.LG)
/// and Tue 17 (cs.CV); the Fri one is listed again on the Tue as a cross-list.
pub(crate) async fn listed_papers(store: &dyn Store) {
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

pub(crate) async fn signed_in(store: &dyn Store, email: &str) -> crate::User {
    let hash = format!("hash-of-{email}");
    store.save_login_token(email, &hash, 2_000).await.expect("save link");
    store
        .redeem_login_token(&hash, 1_000)
        .await
        .expect("redeem")
        .expect("a fresh link signs in")
}

pub(crate) fn weekly_cl() -> DigestPreferences {
    DigestPreferences::parse("weekly", "cs.CL", "speech, translation", "5").expect("valid preferences")
}

pub(crate) async fn active(store: &dyn Store, email: &str) -> i64 {
    store
        .subscribe_confirmed(email, &DigestPreferences::default(), 1)
        .await
        .expect("subscribe")
        .id
}
