//! The rankings in memory against a fresh ranking from the database, after random sequences of
//! votes, imports, hides, submissions, bans and deleted members, on both backends.

use std::sync::Arc;

use jiff::civil::date;
use paperboy_core::{ArxivId, Category, Date, DayBasis, RankCandidate, Sort, TrendingParameters, rank};
use paperboy_store::conformance::{full_paper, postgres_test_database};
use paperboy_store::{NewSubmission, PgStore, Role, SqliteStore, Store, User};
use proptest::prelude::*;

use super::{LiveRankings, Range};

const PAPERS: usize = 10;
const DAYS: u8 = 10;
const MEMBERS: usize = 3;
const CATEGORIES: [&str; 4] = ["cs.CL", "cs.LG", "math.AG", "hep-th"];

#[derive(Clone, Debug)]
enum Change {
    Import {
        paper: usize,
        days: Vec<u8>,
        categories: Vec<usize>,
        featured: Option<u8>,
        votes: i64,
    },
    Vote {
        member: usize,
        paper: usize,
        up: bool,
    },
    Hide {
        paper: usize,
        hidden: bool,
    },
    Submit {
        member: usize,
        paper: usize,
        day: u8,
    },
    HideSubmission {
        paper: usize,
        day: u8,
        hidden: bool,
    },
    Ban {
        member: usize,
        banned: bool,
    },
    DeleteMember {
        member: usize,
    },
    /// A list read in between, so that later changes land on days already held.
    Read {
        first: u8,
        length: u8,
    },
}

fn change() -> impl Strategy<Value = Change> {
    let paper = 0..PAPERS;
    let day = 0..DAYS;
    let member = 0..MEMBERS;
    prop_oneof![
        3 => (
            paper.clone(),
            prop::collection::vec(day.clone(), 1..3),
            prop::collection::vec(0..CATEGORIES.len(), 1..3),
            prop::option::of(day.clone()),
            0..50i64
        )
            .prop_map(|(paper, days, categories, featured, votes)| Change::Import {
                paper,
                days,
                categories,
                featured,
                votes
            }),
        4 => (member.clone(), paper.clone(), any::<bool>()).prop_map(|(member, paper, up)| Change::Vote { member, paper, up }),
        1 => (paper.clone(), any::<bool>()).prop_map(|(paper, hidden)| Change::Hide { paper, hidden }),
        2 => (member.clone(), paper.clone(), day.clone()).prop_map(|(member, paper, day)| Change::Submit { member, paper, day }),
        1 => (paper.clone(), day.clone(), any::<bool>()).prop_map(|(paper, day, hidden)| Change::HideSubmission {
            paper,
            day,
            hidden
        }),
        1 => (member.clone(), any::<bool>()).prop_map(|(member, banned)| Change::Ban { member, banned }),
        1 => member.prop_map(|member| Change::DeleteMember { member }),
        3 => (day, 1..5u8).prop_map(|(first, length)| Change::Read { first, length }),
    ]
}

fn day(number: u8) -> Date {
    date(2026, 2, 2)
        .checked_add(jiff::Span::new().days(i64::from(number)))
        .expect("a February day")
}

fn paper_id(paper: usize) -> ArxivId {
    ArxivId::parse(&format!("2602.{:05}", paper + 1)).expect("a valid id")
}

fn email(member: usize) -> String {
    format!("member{member}@example.org")
}

/// The world the changes act on, and the rankings under test.
struct Run {
    store: Arc<dyn Store>,
    /// Holds every day the lists below ask for.
    roomy: LiveRankings,
    /// Holds four days: lists push each other's days out.
    tight: LiveRankings,
    imported: [bool; PAPERS],
    members: [Option<User>; MEMBERS],
}

impl Run {
    async fn new(store: Arc<dyn Store>) -> Run {
        Run {
            roomy: LiveRankings::open_keeping(Arc::clone(&store), TrendingParameters::default(), 64)
                .await
                .expect("opens"),
            tight: LiveRankings::open_keeping(Arc::clone(&store), TrendingParameters::default(), 4)
                .await
                .expect("opens"),
            store,
            imported: [false; PAPERS],
            members: Default::default(),
        }
    }

    async fn member(&mut self, member: usize) -> User {
        if let Some(user) = &self.members[member] {
            return user.clone();
        }
        let address = email(member);
        let hash = format!("hash-{address}-{}", jiff::Timestamp::now().as_nanosecond());
        self.store
            .save_login_token(&address, &hash, i64::MAX)
            .await
            .expect("saves a link");
        let user = self
            .store
            .redeem_login_token(&hash, 1)
            .await
            .expect("redeems")
            .expect("a fresh link signs in");
        self.members[member] = Some(user.clone());
        user
    }

    async fn apply(&mut self, change: &Change) {
        let store = Arc::clone(&self.store);
        match change.clone() {
            Change::Import {
                paper,
                days,
                categories,
                featured,
                votes,
            } => {
                let mut record = full_paper(paper_id(paper).as_str());
                record.code_links.clear();
                record.listing_dates = days.into_iter().map(day).collect();
                record.categories = categories
                    .into_iter()
                    .map(|at| Category::parse(CATEGORIES[at]).expect("a category"))
                    .collect();
                record.primary_category = record.categories.first().cloned();
                record.community_votes[0].votes = votes;
                record.hugging_face.as_mut().expect("an HF record").daily_date = featured.map(day);
                store.merge_papers(vec![record]).await.expect("imports");
                self.imported[paper] = true;
            }
            Change::Vote { member, paper, up } if self.imported[paper] => {
                let user = self.member(member).await;
                store.set_vote(user.id, &paper_id(paper), up).await.expect("votes");
            }
            Change::Hide { paper, hidden } if self.imported[paper] => {
                store.set_paper_hidden(&paper_id(paper), hidden).await.expect("hides");
            }
            Change::Submit {
                member,
                paper,
                day: number,
            } if self.imported[paper] => {
                let user = self.member(member).await;
                let submission = NewSubmission {
                    paper: paper_id(paper),
                    listing_date: day(number),
                    user_id: user.id,
                };
                store.submit_paper(&submission, 100).await.expect("submits");
            }
            Change::HideSubmission {
                paper,
                day: number,
                hidden,
            } => {
                store
                    .set_submission_hidden(&paper_id(paper), day(number), hidden)
                    .await
                    .expect("hides a submission");
            }
            Change::Ban { member, banned } if self.members[member].is_some() => {
                let role = if banned { Role::Banned } else { Role::Member };
                store.set_role(&email(member), role).await.expect("sets a role");
            }
            Change::DeleteMember { member } => {
                if let Some(user) = self.members[member].take() {
                    store.delete_user(user.id, 1).await.expect("deletes");
                }
            }
            Change::Read { first, length } => {
                let last = (first + length - 1).min(DAYS - 1);
                self.compare(day(first), day(last)).await;
            }
            _ => {}
        }
    }

    /// Both rankings, caught up, against the database: every category filter, both day bases,
    /// every sort.
    async fn compare(&self, first: Date, last: Date) {
        let categories: Vec<Option<Category>> = [None, Some("cs"), Some("cs.CL"), Some("math"), Some("hep-th")]
            .into_iter()
            .map(|code| code.map(|code| Category::parse(code).expect("a category")))
            .collect();
        let reference = jiff::Timestamp::from_second(1_771_000_000).expect("a time");
        let trending = TrendingParameters::default();
        for live in [&self.roomy, &self.tight] {
            live.catch_up().await.expect("catches up");
            for category in &categories {
                for basis in [DayBasis::Listing, DayBasis::HuggingFaceDaily] {
                    let range = Range {
                        first,
                        last,
                        category: category.as_ref(),
                        basis,
                    };
                    let from_memory = live.candidates(range).await.expect("reads memory");
                    let from_database = live.read_database(range).await.expect("reads the database");
                    let what = format!("{first}..{last}, {category:?}, {basis:?}");
                    assert_eq!(sorted(&from_memory), sorted(&from_database), "{what}");
                    for sort in [Sort::Trending, Sort::New, Sort::Top] {
                        let order = |candidates: Vec<RankCandidate>| -> Vec<String> {
                            rank(candidates, sort, &trending, reference)
                                .into_iter()
                                .map(|(candidate, _)| candidate.id.to_string())
                                .collect()
                        };
                        assert_eq!(
                            order(from_memory.clone()),
                            order(from_database.clone()),
                            "{what}, {sort:?}"
                        );
                        // Pages walked from the days' kept orders, scored at times that reorder
                        // papers of different days, against the database's list ranked whole.
                        for reference in references(first) {
                            let ranked = rank(from_database.clone(), sort, &trending, reference);
                            for (skip, take) in [(0, 3), (2, 4), (0, 100), (7, 2)] {
                                let page = live
                                    .page(range, sort, reference, skip, take)
                                    .await
                                    .expect("walks")
                                    .expect("a kept order");
                                let expected: Vec<_> = ranked.iter().skip(skip).take(take).cloned().collect();
                                assert_eq!(page.total, ranked.len(), "{what}, {sort:?}");
                                assert_eq!(page.entries, expected, "{what}, {sort:?} at {reference}, {skip}+{take}");
                            }
                        }
                    }
                    let discussed = live
                        .page(range, Sort::Discussed, reference, 0, 10)
                        .await
                        .expect("answers");
                    assert!(discussed.is_none(), "comments are not held");
                }
            }
        }
    }
}

/// Times to score lists at: as a list's first day opens, a day and a half into it, and long after.
fn references(first: Date) -> [jiff::Timestamp; 3] {
    let opens = paperboy_core::announcement_time(first);
    [
        opens,
        opens + jiff::SignedDuration::from_hours(36),
        jiff::Timestamp::from_second(1_790_000_000).expect("a time"),
    ]
}

fn sorted(candidates: &[RankCandidate]) -> Vec<(String, Date, i64, i64, i64)> {
    let mut keys: Vec<_> = candidates
        .iter()
        .map(|c| {
            (
                c.id.to_string(),
                c.listed,
                c.imported_votes,
                c.local_votes,
                c.star_growth,
            )
        })
        .collect();
    keys.sort();
    keys
}

async fn run(store: Arc<dyn Store>, changes: Vec<Change>) {
    let mut run = Run::new(store).await;
    for change in &changes {
        run.apply(change).await;
    }
    for (first, last) in [(0, DAYS - 1), (0, 0), (2, 4), (5, 9), (9, 9)] {
        run.compare(day(first), day(last)).await;
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn rankings_in_memory_match_the_database_on_sqlite(changes in prop::collection::vec(change(), 1..40)) {
        runtime().block_on(async {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.expect("opens"));
            run(store, changes).await;
        });
    }
}

proptest! {
    // A database a case: fewer cases.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn rankings_in_memory_match_the_database_on_postgres(changes in prop::collection::vec(change(), 1..40)) {
        runtime().block_on(async {
            let url = postgres_test_database().await;
            let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.expect("connects"));
            run(store, changes).await;
        });
    }
}

#[test]
fn a_vote_moves_a_paper_in_place_without_reading_its_day_again() {
    runtime().block_on(async {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.expect("opens"));
        let mut run = Run::new(Arc::clone(&store)).await;
        for paper in 0..3 {
            let import = Change::Import {
                paper,
                days: vec![1],
                categories: vec![0],
                featured: None,
                votes: 10 * paper as i64,
            };
            run.apply(&import).await;
        }
        let range = Range {
            first: day(1),
            last: day(1),
            category: None,
            basis: DayBasis::Listing,
        };
        let votes = |candidates: Vec<RankCandidate>| -> Vec<(String, i64)> {
            let mut votes: Vec<_> = candidates
                .into_iter()
                .map(|c| (c.id.to_string(), c.local_votes))
                .collect();
            votes.sort();
            votes
        };
        assert_eq!(votes(run.roomy.candidates(range).await.expect("reads")).len(), 3);
        assert_eq!(run.roomy.held(), (1, 3));
        run.apply(&Change::Vote {
            member: 0,
            paper: 0,
            up: true,
        })
        .await;
        let before = votes(run.roomy.candidates(range).await.expect("reads"));
        assert_eq!(before[0].1, 0, "not caught up yet: the day is held as it was read");
        run.roomy.catch_up().await.expect("catches up");
        let after = votes(run.roomy.candidates(range).await.expect("reads"));
        assert_eq!(
            after[0],
            ("2602.00001".to_owned(), 1),
            "the vote is in memory after a catch-up"
        );
        run.roomy.forget();
        assert_eq!(run.roomy.held(), (0, 0));
        assert_eq!(
            votes(run.roomy.candidates(range).await.expect("reads")),
            after,
            "read again"
        );
    });
}

#[test]
fn a_catch_up_asked_for_while_another_runs_still_shows_the_write_before_it() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.expect("opens"));
            let mut run = Run::new(Arc::clone(&store)).await;
            for paper in 0..PAPERS {
                let import = Change::Import {
                    paper,
                    days: vec![1],
                    categories: vec![0],
                    featured: None,
                    votes: 0,
                };
                run.apply(&import).await;
            }
            let mut members = Vec::new();
            for member in 0..MEMBERS {
                members.push(run.member(member).await);
            }
            let range = Range {
                first: day(1),
                last: day(1),
                category: None,
                basis: DayBasis::Listing,
            };
            let live = Arc::new(run.roomy);
            live.candidates(range).await.expect("reads");
            // Each writer votes, catches up and must see its own vote, while the others do the same.
            let mut writers = tokio::task::JoinSet::new();
            for paper in 0..PAPERS {
                let (store, live, member) = (Arc::clone(&store), Arc::clone(&live), members[paper % MEMBERS].clone());
                writers.spawn(async move {
                    store.set_vote(member.id, &paper_id(paper), true).await.expect("votes");
                    live.catch_up().await.expect("catches up");
                    let candidates = live.candidates(range).await.expect("reads");
                    let mine = candidates.iter().find(|c| c.id == paper_id(paper)).expect("listed");
                    assert_eq!(mine.local_votes, 1, "{} sees its own vote", paper_id(paper));
                });
            }
            while let Some(done) = writers.join_next().await {
                done.expect("a writer");
            }
            // And a write after all of them is not taken as covered by their catch-ups.
            store.set_vote(members[1].id, &paper_id(0), true).await.expect("votes");
            live.catch_up().await.expect("catches up");
            let candidates = live.candidates(range).await.expect("reads");
            let first = candidates.iter().find(|c| c.id == paper_id(0)).expect("listed");
            assert_eq!(first.local_votes, 2, "the later vote is shown too");
        });
}

#[test]
fn after_an_import_of_many_papers_the_held_days_are_read_again_not_every_paper() {
    runtime().block_on(async {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.expect("opens"));
        let live = LiveRankings::open_keeping(Arc::clone(&store), TrendingParameters::default(), 8)
            .await
            .expect("opens");
        let range = Range {
            first: day(1),
            last: day(1),
            category: None,
            basis: DayBasis::Listing,
        };
        assert!(live.candidates(range).await.expect("reads").is_empty());
        assert_eq!(live.held().0, 1);
        let many: Vec<_> = (0..super::READ_AGAIN_PAST as usize + 1)
            .map(|n| {
                let mut paper =
                    paperboy_core::Paper::new(ArxivId::parse(&format!("2602.{:05}", n + 1)).expect("an id"));
                paper.title = format!("Paper {n}");
                paper.listing_dates.insert(day(1));
                paper
            })
            .collect();
        store.merge_papers(many).await.expect("imports");
        live.catch_up().await.expect("catches up");
        assert_eq!(live.held(), (0, 0), "forgotten, not read paper by paper");
        let listed = live.candidates(range).await.expect("reads");
        assert_eq!(
            listed.len(),
            super::READ_AGAIN_PAST as usize + 1,
            "read again on the next list"
        );
    });
}
