//! "For you" through the API and the page, against a real server on the demo month: the
//! community's list until a member shows interest, then their own order with a reason per
//! paper, and nobody else's.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::digest::{digest_run, digests_to, linked_papers, received, top_of_day};
use crate::helpers::{Instance, SignedIn, between_all, fixture};
use crate::library::Caller;

/// "Safety Recovery in Reasoning Models Is Only a Few Early Steering Steps Away".
const SAVED: &str = "2602.11096";
const SAVED_TITLE: &str = "Safety Recovery in Reasoning Models Is Only a Few Early Steering Steps Away";
/// The demo month's most prolific author but one.
const AUTHOR: &str = "Tat-Seng Chua";

fn kinds(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["reasonKind"].as_str().expect("a reason kind"))
        .collect()
}

fn ids(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["paper"]["id"].as_str().expect("an id"))
        .collect()
}

#[tokio::test]
async fn for_you_ranks_the_month_by_what_the_member_saved_and_follows() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let token = ada.make_api_token("for-you").await;
    let api = Caller {
        member: &ada,
        token: Some(token),
        cookie: None,
    };
    let month = "/api/me/for-you?month=2026-02&limit=20";

    // Nothing to go on yet: the community's trending list.
    let (status, items) = api.call(Method::GET, month, None).await;
    assert_eq!(status, StatusCode::OK, "{items}");
    assert_eq!(items.as_array().map(Vec::len), Some(20));
    assert!(kinds(&items).iter().all(|kind| *kind == "community"), "{items}");
    assert!(
        items[0]["paper"]["upvotes"].as_i64() > Some(0),
        "trending first: {}",
        items[0]
    );
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap()
            .ends_with("votes from the community")
    );

    // One saved paper: the month's papers most like it come first, saying so, and the saved
    // paper itself is not offered again.
    let (status, _) = api.call(Method::PUT, &format!("/api/me/library/{SAVED}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, items) = api.call(Method::GET, month, None).await;
    assert!(!ids(&items).contains(&SAVED), "a saved paper is not recommended again");
    assert_eq!(
        items[0]["reason"],
        json!(format!("Because you saved “{SAVED_TITLE}”")),
        "{}",
        items[0]
    );
    let titles: Vec<String> = items.as_array().unwrap()[..5]
        .iter()
        .map(|item| item["title"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(
        titles
            .iter()
            .filter(|t| t.contains("reasoning") || t.contains("safety") || t.contains("steer"))
            .count()
            >= 3,
        "the top five are about what was saved: {titles:?}"
    );
    // The same shape as /api/daily_papers, plus the reason.
    for key in [
        "publishedAt",
        "title",
        "summary",
        "numComments",
        "paper",
        "reason",
        "reasonKind",
    ] {
        assert!(items[0].get(key).is_some(), "{key} missing from {}", items[0]);
    }

    // Following an author puts their papers of the month first.
    let (status, _) = api
        .call(Method::PUT, "/api/me/follows/author/Tat-Seng%20Chua", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, items) = api.call(Method::GET, month, None).await;
    let by_author = kinds(&items).iter().take_while(|kind| **kind == "author").count();
    assert!(by_author >= 10, "{by_author} of the author's papers lead: {items}");
    for item in &items.as_array().unwrap()[..by_author] {
        // The name as that paper writes it ("Tat-seng Chua" on some).
        let reason = item["reason"].as_str().unwrap().to_lowercase();
        assert_eq!(reason, format!("by {}, whom you follow", AUTHOR.to_lowercase()));
        let authors = item["paper"]["authors"].as_array().unwrap();
        assert!(
            authors
                .iter()
                .any(|a| a["name"].as_str().unwrap().eq_ignore_ascii_case(AUTHOR)),
            "{item}"
        );
    }
    let (_, second_page) = api
        .call(Method::GET, "/api/me/for-you?month=2026-02&limit=20&p=1", None)
        .await;
    assert!(
        ids(&second_page).iter().all(|id| !ids(&items).contains(id)),
        "pages do not overlap"
    );

    // Turned off, the follow no longer counts.
    api.call(
        Method::PATCH,
        "/api/me/follows/author/Tat-Seng%20Chua",
        Some(json!({"active": false})),
    )
    .await;
    let (_, items) = api.call(Method::GET, month, None).await;
    assert_eq!(items[0]["reasonKind"], "saved");

    // A day works too; bad periods are named.
    let (status, day) = api.call(Method::GET, "/api/me/for-you?date=2026-02-24", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(day.as_array().map(Vec::len), Some(50), "the default page size");
    let (status, error) = api.call(Method::GET, "/api/me/for-you?month=2026-13", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let (status, _) = api
        .call(Method::GET, "/api/me/for-you?month=2026-02&date=2026-02-02", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = api.call(Method::GET, "/api/me/for-you?limit=0", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Ada's list is hers: Bob's is the community's, strangers get 401, other sites 403.
    let bob_cookie = ada.server.sign_in(&ada.smtp, "bob@example.org").await;
    let bob = Caller {
        member: &ada,
        token: None,
        cookie: Some((bob_cookie, ada.server.base_url.clone())),
    };
    let (status, items) = bob.call(Method::GET, month, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kinds(&items).iter().all(|kind| *kind == "community"));
    let stranger = Caller {
        member: &ada,
        token: None,
        cookie: None,
    };
    assert_eq!(
        stranger.call(Method::GET, month, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let elsewhere = Caller {
        member: &ada,
        token: None,
        cookie: Some((ada.cookie.clone(), "https://elsewhere.example".to_owned())),
    };
    assert_eq!(elsewhere.call(Method::GET, month, None).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_for_you_page_invites_then_explains() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let page = ada.page("/for-you?month=2026-02").await;
    assert!(page.contains("Make this list yours"), "an invitation first");
    let saved = ada
        .server
        .client()
        .put(format!("{}/api/me/library/{SAVED}", ada.server.base_url))
        .header("cookie", &ada.cookie)
        .header("origin", &ada.server.base_url)
        .send()
        .await
        .expect("saved");
    assert_eq!(saved.status(), StatusCode::OK);
    let page = ada.page("/for-you?month=2026-02").await;
    assert!(!page.contains("Make this list yours"));
    assert!(
        page.contains("<p class=\"reason\">Because you saved “Safety Recovery in Reasoning Models"),
        "each card says why"
    );
    let signed_out = ada.server.get("/for-you").await;
    assert!(signed_out.status().is_redirection());
    assert_eq!(signed_out.headers()["location"], "/login?next=/for-you");
}

/// A member who chooses "For you" for their digest gets their own list's best papers by mail,
/// through the same queue as everyone's digest: run twice, it sends once.
#[tokio::test]
async fn a_members_digest_can_follow_their_for_you_list() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let api = Caller {
        member: &ada,
        token: None,
        cookie: Some((ada.cookie.clone(), ada.server.base_url.clone())),
    };
    let (status, _) = api.call(Method::PUT, &format!("/api/me/library/{SAVED}"), None).await;
    assert_eq!(status, StatusCode::OK);
    // A followed search counts in the digest too, though `digest run` has no search index of
    // its own (it indexes the day's papers in memory).
    let (status, _) = api
        .call(Method::PUT, "/api/me/follows/search/q%3Dsegmentation", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = ada.page("/account/subscription").await;
    assert!(page.contains("value=\"for_you\""), "members are offered For you");
    let csrf = between_all(&page, "name=\"csrf\" value=\"", "\"")[0].to_owned();
    let saved = ada
        .server
        .client()
        .post(format!("{}/account/subscription", ada.server.base_url))
        .header("cookie", &ada.cookie)
        .header("origin", &ada.server.base_url)
        .form(&[
            ("action", "save"),
            ("csrf", &csrf),
            ("frequency", "daily"),
            ("max_papers", "5"),
            ("order", "for_you"),
        ])
        .send()
        .await
        .expect("saved");
    assert_eq!(saved.status(), StatusCode::OK);
    assert!(
        ada.page("/account/subscription")
            .await
            .contains("value=\"for_you\" checked")
    );

    let settings = [
        ("PAPERBOY_SMTP_URL", ada.smtp.url()),
        ("PAPERBOY_PUBLIC_URL", ada.server.base_url.clone()),
    ];
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let day = ["--frequency", "daily", "--date", "2026-02-12"];
    let run = digest_run(&ada.instance, &settings, &day);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let messages = received(&ada.smtp);
    let digests = digests_to(&messages, "ada@example.org");
    assert_eq!(digests.len(), 1, "exactly one digest");
    let mailed = linked_papers(digests[0], &ada.server.base_url);

    let (_, mine) = api
        .call(Method::GET, "/api/me/for-you?date=2026-02-12&limit=5", None)
        .await;
    assert!(
        kinds(&mine).contains(&"search"),
        "the followed search lifts papers: {mine}"
    );
    let mine: Vec<String> = ids(&mine).into_iter().map(str::to_owned).collect();
    assert_eq!(mailed, mine, "the digest is the member's For you list");
    let trending: Vec<String> = top_of_day(&ada.server, "2026-02-12")
        .await
        .into_iter()
        .take(5)
        .collect();
    assert_ne!(mailed, trending, "not the community's list");

    let again = digest_run(&ada.instance, &settings, &day);
    assert_eq!(again.code, 0);
    assert_eq!(
        digests_to(&received(&ada.smtp), "ada@example.org").len(),
        1,
        "sent exactly once"
    );
}

/// Deleting an account takes the member's library, follows and votes with it and signs out;
/// a form without the typed confirmation deletes nothing.
#[tokio::test]
async fn deleting_an_account_deletes_what_was_theirs() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let api = Caller {
        member: &ada,
        token: None,
        cookie: Some((ada.cookie.clone(), ada.server.base_url.clone())),
    };
    api.call(Method::PUT, &format!("/api/me/library/{SAVED}"), None).await;
    api.call(Method::PUT, "/api/me/follows/author/Tat-Seng%20Chua", None)
        .await;
    let before = ada.server.json(&format!("/api/papers/{SAVED}")).await["upvotes"]
        .as_i64()
        .unwrap();
    let (status, _) = api
        .call(Method::POST, &format!("/api/papers/{SAVED}/upvote"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let account = ada.page("/account").await;
    assert!(account.contains("action=\"/account/delete\""));
    let csrf = between_all(&account, "name=\"csrf\" value=\"", "\"")[0].to_owned();
    let delete = |confirm: &'static str| {
        ada.server
            .client()
            .post(format!("{}/account/delete", ada.server.base_url))
            .header("cookie", &ada.cookie)
            .header("origin", &ada.server.base_url)
            .form(&[("csrf", csrf.as_str()), ("confirm", confirm)])
            .send()
    };
    let unconfirmed = delete("yes").await.expect("answered");
    assert_eq!(unconfirmed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(api.call(Method::GET, "/api/me/library", None).await.0, StatusCode::OK);

    let deleted = delete("delete").await.expect("answered");
    assert_eq!(deleted.status(), StatusCode::OK);
    assert!(
        deleted.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"),
        "signed out"
    );
    assert_eq!(
        api.call(Method::GET, "/api/me/library", None).await.0,
        StatusCode::UNAUTHORIZED,
        "the session went with the account"
    );
    assert_eq!(
        ada.server.json(&format!("/api/papers/{SAVED}")).await["upvotes"].as_i64(),
        Some(before),
        "the vote went too"
    );
    // Nothing of the account is left to sign in to: the library API no longer knows the cookie.
    assert_eq!(
        api.call(Method::GET, "/api/me/follows", None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// `paperboy eval recs` runs on a small slice of the real listings (the demo month and the
/// earlier papers of 15 of its authors) and prints its table; the full run is in docs/for-you.md.
#[test]
fn the_offline_evaluation_runs_on_a_small_slice() {
    let instance = Instance::new();
    let output = instance
        .command()
        .args(["eval", "recs", "--authors", "15", "--json"])
        .arg("--listings")
        .arg(fixture("demo/listings-2026-02.jsonl.gz"))
        .arg("--listings")
        .arg(fixture(
            "fixtures/recorded/listings-2025-authors-before-2026-02.jsonl.gz",
        ))
        .arg("--votes")
        .arg(fixture("demo/hf-daily-papers-2026-02.json.gz"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    assert_eq!(report["candidates"], 3969, "February 2026's papers");
    assert_eq!(report["authors"], 15);
    let recall = |list: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["list"].as_str().unwrap().starts_with(list))
            .unwrap_or_else(|| panic!("no {list} row in {report}"))["recall_at_100"]
            .as_f64()
            .unwrap()
    };
    assert!(recall("For you, following") > 0.9, "{report}");
    assert!(recall("For you (content") > recall("random"), "{report}");
    assert!(
        recall("For you, following") > recall("trending") && recall("top") <= 1.0,
        "every baseline is reported: {report}"
    );
}

/// Categories and searches are followed from the pages that show them, and the For you page
/// lists what is followed with buttons to turn each off, on again, or forget it.
#[tokio::test]
async fn follows_are_made_and_managed_from_the_pages() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let search = ada.page("/search?q=segmentation&sort=new").await;
    let value = between_all(
        &search,
        "name=\"kind\" value=\"search\"><input type=\"hidden\" name=\"value\" value=\"",
        "\"",
    )
    .first()
    .copied()
    .expect("a Follow this search button")
    .to_owned();
    assert_eq!(value, "q=segmentation", "the words and categories, not the order");
    let list = ada.page("/papers/date/2026-02-13?cat=cs.CL").await;
    assert!(list.contains("<button type=\"submit\">Follow cs.CL</button>"), "{list}");
    let post = |fields: Vec<(&'static str, String)>| {
        ada.server
            .client()
            .post(format!("{}/follows", ada.server.base_url))
            .header("cookie", &ada.cookie)
            .header("origin", &ada.server.base_url)
            .form(&fields)
            .send()
    };
    for (kind, value) in [("search", value.clone()), ("category", "cs.CL".to_owned())] {
        let followed = post(vec![
            ("kind", kind.into()),
            ("value", value),
            ("next", "/for-you".into()),
        ])
        .await
        .expect("answered");
        assert!(followed.status().is_redirection());
    }
    let page = ada.page("/for-you?date=2026-02-13").await;
    assert!(page.contains("What you follow (2)"), "{page}");
    assert!(
        page.contains("Matches your search “segmentation”"),
        "the search lifts papers"
    );
    post(vec![
        ("kind", "category".into()),
        ("value", "cs.CL".into()),
        ("action", "off".into()),
        ("next", "/for-you".into()),
    ])
    .await
    .expect("turned off");
    let page = ada.page("/for-you?date=2026-02-13").await;
    assert!(page.contains("(off)") && page.contains("Turn on"), "{page}");
    post(vec![
        ("kind", "search".into()),
        ("value", value),
        ("action", "unfollow".into()),
        ("next", "/for-you".into()),
    ])
    .await
    .expect("forgotten");
    let page = ada.page("/for-you?date=2026-02-13").await;
    assert!(page.contains("What you follow (1)"));
    assert!(!page.contains("Matches your search"));
}
