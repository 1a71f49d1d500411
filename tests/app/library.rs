//! A member's library through the API, against a real server: saving, collections, filing, and
//! that nothing of it reaches another member or another site.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Instance, SignedIn};

const PAPER: &str = "2602.11096";

/// A caller of the API: a bearer token, or a session cookie sent from `origin`.
pub(crate) struct Caller<'a> {
    pub member: &'a SignedIn,
    pub token: Option<String>,
    pub cookie: Option<(String, String)>,
}

impl Caller<'_> {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .member
            .server
            .client()
            .request(method, format!("{}{path}", self.member.server.base_url));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some((cookie, origin)) = &self.cookie {
            request = request.header("cookie", cookie).header("origin", origin);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn the_library_api_saves_files_and_keeps_each_members_collections_their_own() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let token = ada.make_api_token("library").await;
    let api = Caller {
        member: &ada,
        token: Some(token),
        cookie: None,
    };
    let (status, library) = api.call(Method::GET, "/api/me/library", None).await;
    assert_eq!((status, library), (StatusCode::OK, json!({"collections": []})));

    let (status, saved) = api.call(Method::PUT, &format!("/api/me/library/{PAPER}"), None).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["saved"], true);
    let default = saved["collections"][0].as_i64().expect("the default collection");
    let (_, again) = api.call(Method::PUT, &format!("/api/me/library/{PAPER}"), None).await;
    assert_eq!(again, saved, "saving twice changes nothing");
    let (status, error) = api.call(Method::PUT, "/api/me/library/2602.99999", None).await;
    assert_eq!((status, error["status"].as_u64()), (StatusCode::NOT_FOUND, Some(404)));
    let (status, _) = api.call(Method::PUT, "/api/me/library/not-an-id", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, reading) = api
        .call(
            Method::POST,
            "/api/me/collections",
            Some(json!({"name": "  Reading group "})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reading}");
    assert_eq!(
        (reading["name"].as_str(), reading["published"].as_bool()),
        (Some("Reading group"), Some(false))
    );
    let reading_id = reading["id"].as_i64().expect("an id");
    let (status, _) = api
        .call(
            Method::POST,
            "/api/me/collections",
            Some(json!({"name": "Reading group"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = api
        .call(Method::POST, "/api/me/collections", Some(json!({"name": "Saved"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "the default's name is taken");
    let (status, _) = api
        .call(Method::POST, "/api/me/collections", Some(json!({"name": " "})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let filing = format!("/api/me/collections/{reading_id}/papers/{PAPER}");
    let (status, filed) = api.call(Method::PUT, &filing, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(filed["collections"], json!([default, reading_id]));
    let (status, shown) = api
        .call(Method::GET, &format!("/api/me/collections/{reading_id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["collection"]["papers"], 1);
    assert_eq!(shown["papers"][0]["id"], PAPER);
    assert!(!shown["papers"][0]["title"].as_str().unwrap_or("").is_empty());
    let (status, renamed) = api
        .call(
            Method::PATCH,
            &format!("/api/me/collections/{reading_id}"),
            Some(json!({"name": "Journal club"})),
        )
        .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (StatusCode::OK, Some("Journal club"))
    );
    let (status, _) = api
        .call(
            Method::PATCH,
            &format!("/api/me/collections/{default}"),
            Some(json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "Saved keeps its name");

    let (_, unsaved) = api
        .call(Method::DELETE, &format!("/api/me/library/{PAPER}"), None)
        .await;
    assert_eq!(
        unsaved,
        json!({"id": PAPER, "saved": true, "collections": [reading_id]}),
        "still filed"
    );

    // Another member sees none of it, and a session from another site changes nothing.
    let bob_cookie = ada.server.sign_in(&ada.smtp, "bob@example.org").await;
    let bob = Caller {
        member: &ada,
        token: None,
        cookie: Some((bob_cookie, ada.server.base_url.clone())),
    };
    let (status, _) = bob
        .call(Method::GET, &format!("/api/me/collections/{reading_id}"), None)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another member's private collection is not found"
    );
    let (status, _) = bob.call(Method::PUT, &filing, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = bob
        .call(Method::DELETE, &format!("/api/me/collections/{reading_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, bobs) = bob.call(Method::GET, "/api/me/library", None).await;
    assert_eq!(bobs, json!({"collections": []}));

    let elsewhere = Caller {
        member: &ada,
        token: None,
        cookie: Some((ada.cookie.clone(), "https://elsewhere.example".to_owned())),
    };
    let (status, _) = elsewhere
        .call(Method::PUT, &format!("/api/me/library/{PAPER}"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a cross-site request is refused");
    let anonymous = Caller {
        member: &ada,
        token: None,
        cookie: None,
    };
    let (status, _) = anonymous.call(Method::GET, "/api/me/library", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = api
        .call(Method::DELETE, &format!("/api/me/collections/{default}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "Saved cannot be deleted");
    let (status, _) = api
        .call(Method::DELETE, &format!("/api/me/collections/{reading_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api
        .call(Method::GET, &format!("/api/me/collections/{reading_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Without JavaScript the save button is a form: it saves to "Saved", a second press takes the
/// paper out again, and a reader who is not signed in is sent to sign in first. The votes'
/// personal state says what is saved, for the pages' script.
#[tokio::test]
async fn the_save_form_works_without_javascript() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let press = |cookie: Option<&str>| {
        let mut request = client
            .post(format!("{}/papers/{PAPER}/save", ada.server.base_url))
            .header("origin", &ada.server.base_url)
            .form(&[("next", "/papers/date/2026-02-13")]);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let state = || async {
        let response = client
            .get(format!("{}/api/me/votes?ids={PAPER}", ada.server.base_url))
            .header("cookie", &ada.cookie)
            .send()
            .await
            .unwrap();
        response.json::<Value>().await.unwrap()
    };
    let response = press(Some(&ada.cookie)).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let anchor = format!("/papers/date/2026-02-13#paper-{PAPER}");
    assert_eq!(response.headers()["location"], anchor.as_str());
    assert_eq!(state().await["saved"], json!([PAPER]));
    press(Some(&ada.cookie)).await.unwrap();
    assert_eq!(state().await["saved"], json!([]), "a second press takes it out");

    let signed_out = press(None).await.unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    let location = signed_out.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/login?next="), "{location}");
}

/// The library page without JavaScript: a collection made, a paper filed in it, published and
/// read signed out with its feed and BibTeX, made private again (404), and nothing of it for
/// another member or another site.
#[tokio::test]
async fn collections_are_kept_published_and_withdrawn_from_the_library_page() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |action: &str, fields: Vec<(&str, String)>, origin: &str| {
        let mut form = vec![("csrf", ada.csrf.clone())];
        form.extend(fields);
        client
            .post(format!("{}/library/{action}", ada.server.base_url))
            .header("cookie", &ada.cookie)
            .header("origin", origin)
            .form(&form)
            .send()
    };
    let base = ada.server.base_url.clone();
    let made = post("create", vec![("name", "Reading <group>".to_owned())], &base)
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let location = made.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location
        .trim_start_matches("/library?c=")
        .split('&')
        .next()
        .unwrap()
        .parse()
        .expect("the new collection's id");
    post(
        "file",
        vec![("collection", id.to_string()), ("paper", PAPER.to_owned())],
        &base,
    )
    .await
    .unwrap();
    let page = ada.page(&format!("/library?c={id}")).await;
    assert!(
        page.contains("Reading &#60;group&#62;") && page.contains(&format!("/papers/{PAPER}")),
        "{page}"
    );
    post(
        "note",
        vec![
            ("collection", id.to_string()),
            ("paper", PAPER.to_owned()),
            ("note", "Read §3 <first>".to_owned()),
        ],
        &base,
    )
    .await
    .unwrap();
    let page = ada.page(&format!("/library?c={id}")).await;
    assert!(
        page.contains("Read §3 &#60;first&#62;</textarea>"),
        "the note is kept, escaped: {page}"
    );

    post(
        "publish",
        vec![("collection", id.to_string()), ("public", "1".to_owned())],
        &base,
    )
    .await
    .unwrap();
    let page = ada.page(&format!("/library?c={id}")).await;
    let public_url = crate::helpers::between_all(&page, "Published at <a href=\"", "\"")[0].to_owned();
    let public_path = public_url.trim_start_matches(&base).to_owned();
    assert!(
        public_path.starts_with("/collections/") && public_path.len() > 30,
        "{public_path}"
    );
    let anonymous = reqwest::Client::new();
    let profile = format!("{base}/users/{}", ada.profile);
    let listed = anonymous.get(&profile).send().await.unwrap().text().await.unwrap();
    assert!(
        listed.contains(&format!("href=\"{public_path}\"")),
        "the member's profile lists the published collection"
    );
    let shown = anonymous.get(&public_url).send().await.unwrap().text().await.unwrap();
    assert!(
        shown.contains("Reading &#60;group&#62;") && shown.contains("A collection by"),
        "{shown}"
    );
    assert!(
        !shown.contains("Read §3"),
        "a note stays private on a published collection"
    );
    let feed = anonymous
        .get(format!("{public_url}/feed.atom"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(feed.contains("<feed") && feed.contains(PAPER), "{feed}");
    for kind in ["atom", "rss", "json"] {
        let body = anonymous
            .get(format!("{public_url}/feed.{kind}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let parsed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(parsed.entries.len(), 1, "{kind}");
        assert!(
            parsed.entries[0].links.iter().any(|l| l.href.ends_with(PAPER)),
            "{kind}"
        );
    }
    let bibtex = anonymous
        .get(format!("{public_url}/papers.bib"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bibtex.starts_with('@') && bibtex.contains(PAPER), "{bibtex}");

    let bob_cookie = ada.server.sign_in(&ada.smtp, "bob@example.org").await;
    let bobs_view = client
        .get(format!("{base}/library?c={id}"))
        .header("cookie", &bob_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        bobs_view.status(),
        StatusCode::NOT_FOUND,
        "another member's collection is not theirs to see"
    );
    let cross_site = post(
        "create",
        vec![("name", "Injected".to_owned())],
        "https://elsewhere.example",
    )
    .await
    .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);

    post(
        "publish",
        vec![("collection", id.to_string()), ("public", "0".to_owned())],
        &base,
    )
    .await
    .unwrap();
    let gone = anonymous.get(&public_url).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND, "private again");
    let unlisted = anonymous.get(&profile).send().await.unwrap().text().await.unwrap();
    assert!(!unlisted.contains(&public_path), "and off the profile");
    let signed_out = client.get(format!("{base}/library")).send().await.unwrap();
    assert_eq!(signed_out.headers()["location"], "/login?next=/library");
}

/// Follows through the API: an author, a category and a search followed, one turned off and
/// on, one forgotten; bad values refused saying why; another member and another site see or
/// change nothing.
#[tokio::test]
async fn follows_are_made_turned_off_and_forgotten_through_the_api() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let token = ada.make_api_token("follows").await;
    let api = Caller {
        member: &ada,
        token: Some(token),
        cookie: None,
    };
    let (status, follows) = api.call(Method::PUT, "/api/me/follows/author/Yann%20LeCun", None).await;
    assert_eq!(status, StatusCode::OK, "{follows}");
    api.call(Method::PUT, "/api/me/follows/category/cs.CL", None).await;
    let (status, follows) = api
        .call(
            Method::PUT,
            "/api/me/follows/search/q%3Dgraph%20neural%26cat%3Dcs.LG",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        follows,
        json!({"follows": [
            {"kind": "author", "value": "Yann LeCun", "active": true},
            {"kind": "category", "value": "cs.CL", "active": true},
            {"kind": "search", "value": "q=graph neural&cat=cs.LG", "active": true},
        ]})
    );
    let (status, _) = api.call(Method::PUT, "/api/me/follows/category/cs.NOPE", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = api.call(Method::PUT, "/api/me/follows/search/sort%3Dnew", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a search needs q= or cat=");
    let (status, _) = api.call(Method::PUT, "/api/me/follows/journal/Nature", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, follows) = api
        .call(
            Method::PATCH,
            "/api/me/follows/category/cs.CL",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        (status, &follows["follows"][1]["active"]),
        (StatusCode::OK, &json!(false))
    );
    let (status, _) = api
        .call(
            Method::PATCH,
            "/api/me/follows/category/cs.CV",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not followed");
    let (_, follows) = api
        .call(Method::DELETE, "/api/me/follows/author/Yann%20LeCun", None)
        .await;
    assert_eq!(follows["follows"].as_array().unwrap().len(), 2);

    let bob_cookie = ada.server.sign_in(&ada.smtp, "bob@example.org").await;
    let bob = Caller {
        member: &ada,
        token: None,
        cookie: Some((bob_cookie, ada.server.base_url.clone())),
    };
    assert_eq!(
        bob.call(Method::GET, "/api/me/follows", None).await.1,
        json!({"follows": []})
    );
    let elsewhere = Caller {
        member: &ada,
        token: None,
        cookie: Some((ada.cookie.clone(), "https://elsewhere.example".to_owned())),
    };
    let (status, _) = elsewhere
        .call(Method::PUT, "/api/me/follows/author/Mallory", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// An author's page lists their papers newest first with the spellings it matched, is linked
/// from every card and paper page, and its Follow button follows them.
#[tokio::test]
async fn an_author_page_lists_their_papers_and_its_button_follows_them() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let paper = ada.server.json(&format!("/api/papers/{PAPER}")).await;
    let name = paper["authors"][0]["name"].as_str().expect("an author").to_owned();
    let path = format!("/authors/{}", name.replace(' ', "%20"));
    let day = ada.server.text("/papers/date/2026-02-13").await;
    assert!(day.contains("href=\"/authors/"), "cards link their authors");
    let paper_page = ada.server.text(&format!("/papers/{PAPER}")).await;
    assert!(
        paper_page.contains(&format!("href=\"{path}\"")),
        "the paper page links {path}"
    );

    let page = ada.server.text(&path).await;
    assert!(page.contains(&format!("/papers/{PAPER}")), "{page}");
    assert!(page.contains("arXiv does not tell apart people of the same name"));
    assert!(page.contains(&format!("Follow {name}")));
    for kind in ["atom", "rss", "json"] {
        let body = ada
            .server
            .get(&format!("{path}/feed.{kind}"))
            .await
            .bytes()
            .await
            .unwrap();
        let parsed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(
            parsed
                .entries
                .iter()
                .any(|e| e.links.iter().any(|l| l.href.ends_with(PAPER))),
            "the author's {kind} feed has the paper"
        );
        assert_eq!(parsed.title.map(|t| t.content), Some(format!("Papers by {name}")));
    }
    let bibtex = ada.server.text(&format!("{path}/papers.bib")).await;
    assert!(bibtex.contains(PAPER));
    let missing = ada.server.get("/authors/Nobody%20Ofthisname").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let followed = client
        .post(format!("{}/follows", ada.server.base_url))
        .header("cookie", &ada.cookie)
        .header("origin", &ada.server.base_url)
        .form(&[("kind", "author"), ("value", name.as_str()), ("next", path.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), StatusCode::SEE_OTHER);
    assert_eq!(followed.headers()["location"], path.as_str());
    let follows = client
        .get(format!("{}/api/me/follows", ada.server.base_url))
        .header("cookie", &ada.cookie)
        .header("origin", &ada.server.base_url)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        follows["follows"][0],
        json!({"kind": "author", "value": name, "active": true})
    );
}

/// A member downloads everything the instance holds about them from the account page, and an
/// operator prints the same with `paperboy users export`; nobody else's data is in it.
#[tokio::test]
async fn a_member_takes_their_data_away_as_json() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let token = ada.make_api_token("export").await;
    let api = Caller {
        member: &ada,
        token: Some(token),
        cookie: None,
    };
    api.call(Method::PUT, &format!("/api/me/library/{PAPER}"), None).await;
    api.call(Method::PUT, "/api/me/follows/category/cs.CL", None).await;
    let bob_cookie = ada.server.sign_in(&ada.smtp, "bob@example.org").await;
    let bob = Caller {
        member: &ada,
        token: None,
        cookie: Some((bob_cookie, ada.server.base_url.clone())),
    };
    bob.call(Method::PUT, "/api/me/follows/author/Bob%27s%20hero", None)
        .await;

    assert!(ada.page("/account").await.contains("href=\"/account/export.json\""));
    let response = ada
        .server
        .client()
        .get(format!("{}/account/export.json", ada.server.base_url))
        .header("cookie", &ada.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"paperboy-"),
        "{disposition}"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let data: Value = response.json().await.unwrap();
    assert_eq!(data["account"]["email"], "ada@example.org");
    assert_eq!(data["collections"][0]["papers"][0]["id"], PAPER);
    assert_eq!(
        data["follows"],
        json!([{"kind": "category", "value": "cs.CL", "active": true}])
    );
    assert_eq!(data["apiTokens"][0]["name"], "export");
    assert!(!data.to_string().contains("Bob's hero"), "nobody else's data");
    assert!(!data.to_string().contains("pb_"), "no token itself");

    let printed = ada.instance.run(&["users", "export", "ada@example.org"]);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    let printed: Value = serde_json::from_str(&printed.stdout).expect("JSON");
    assert_eq!(printed, data, "the operator's export is the member's");
    let unknown = ada.instance.run(&["users", "export", "nobody@example.org"]);
    assert_eq!(unknown.code, 2);
}
