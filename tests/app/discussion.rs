//! Discussion on a paper's page, against a real server: comments and replies posted with the
//! page's forms (no JavaScript), rendered from Markdown into a safe subset with math kept for
//! KaTeX, and refused from other sites and from strangers.

use reqwest::StatusCode;

use crate::helpers::{Instance, SignedIn, between_all};

const PAPER: &str = "2602.11096";

/// Servers whose digest clock runs every second, so comment mails go out within a test.
const MAIL_CLOCK: [(&str, &str); 2] = [
    ("PAPERBOY_DIGEST_SCHEDULE", "true"),
    ("PAPERBOY_DIGEST_CHECK_SECONDS", "1"),
];

#[tokio::test]
async fn members_comment_and_reply_and_nothing_they_write_runs() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let page = ada.page(&format!("/papers/{PAPER}")).await;
    assert!(page.contains("Discussion (0)") && page.contains("No comments yet."));
    let post = |fields: Vec<(&'static str, String)>, origin: String| {
        ada.server
            .client()
            .post(format!("{}/papers/{PAPER}/comments", ada.server.base_url))
            .header("cookie", &ada.cookie)
            .header("origin", origin)
            .form(&fields)
            .send()
    };
    let body = "Energy is $E=mc^2$ <script>alert(1)</script> [x](javascript:alert(1)) and [the paper](https://arxiv.org/abs/2602.11096)";
    let posted = post(
        vec![("body", body.into()), ("next", format!("/papers/{PAPER}"))],
        ada.server.base_url.clone(),
    )
    .await
    .expect("posted");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let location = posted.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("/papers/{PAPER}#comment-")), "{location}");
    let id = location.rsplit('-').next().unwrap().to_owned();

    let page = ada.page(&format!("/papers/{PAPER}")).await;
    assert!(page.contains("Discussion (1)"), "{page}");
    assert!(page.contains(&format!("id=\"comment-{id}\"")));
    assert!(
        page.contains("<span class=\"math\">$E=mc^2$</span>"),
        "math kept for KaTeX"
    );
    assert!(!page.contains("<script>alert(1)"), "the script is text");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !page.contains("href=\"javascript:") && !page.contains("<a href=\"javascript"),
        "the link is inert"
    );
    assert!(
        !between_all(&page, "<div class=\"comment-body\">", "</div>")
            .iter()
            .any(|body| body.contains("javascript:")),
        "the rendered comment holds no javascript: at all"
    );
    assert!(page.contains("href=\"https://arxiv.org/abs/2602.11096\" rel=\"nofollow ugc noopener\""));

    let reply = post(
        vec![
            ("body", "A reply".into()),
            ("parent", id.clone()),
            ("next", format!("/papers/{PAPER}")),
        ],
        ada.server.base_url.clone(),
    )
    .await
    .expect("replied");
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    let page = ada.page(&format!("/papers/{PAPER}")).await;
    assert!(page.contains("Discussion (2)"));
    assert!(page.contains("class=\"comment depth-1\""), "the reply nests");

    for (fields, why) in [
        (vec![("body", "   ".to_owned())], "an empty comment"),
        (vec![("body", "x".repeat(10_001))], "a comment too long"),
        (
            vec![("body", "x".to_owned()), ("parent", "999999".to_owned())],
            "a reply to nothing",
        ),
    ] {
        let refused = post(fields, ada.server.base_url.clone()).await.expect("answered");
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{why}");
    }
    let cross_site = post(
        vec![("body", "from elsewhere".into())],
        "https://elsewhere.example".into(),
    )
    .await
    .expect("answered");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let stranger = ada
        .server
        .client()
        .post(format!("{}/papers/{PAPER}/comments", ada.server.base_url))
        .header("origin", &ada.server.base_url)
        .form(&[("body", "anonymous")])
        .send()
        .await
        .expect("answered");
    assert!(stranger.status().is_redirection());
    assert!(stranger.headers()["location"].to_str().unwrap().starts_with("/login"));
    assert!(ada.page(&format!("/papers/{PAPER}")).await.contains("Discussion (2)"));

    // Everywhere the paper appears: its card says so, and the HF-shaped API counts them.
    let day = ada.server.text("/papers/date/2026-02-12").await;
    assert!(
        day.contains(&format!("href=\"/papers/{PAPER}#discussion\">2 comments</a>")),
        "the card counts the comments"
    );
    let items = ada.server.json("/api/daily_papers?date=2026-02-12&limit=100").await;
    let item = items
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["paper"]["id"] == PAPER)
        .expect("the paper is on its day");
    assert_eq!(item["numComments"], 2);
}

/// Posts `body` (a reply to `parent`) through the API as the holder of `auth` (a bearer token,
/// or a session cookie sent from our own pages).
async fn api_post(
    server: &crate::helpers::Server,
    auth: &Auth<'_>,
    body: &str,
    parent: Option<i64>,
) -> reqwest::Response {
    auth.apply(
        server
            .client()
            .post(format!("{}/api/papers/{PAPER}/comments", server.base_url)),
        server,
    )
    .json(&serde_json::json!({ "body": body, "parent": parent }))
    .send()
    .await
    .expect("answered")
}

enum Auth<'a> {
    Token(&'a str),
    Session(&'a str),
}

impl Auth<'_> {
    fn apply(&self, request: reqwest::RequestBuilder, server: &crate::helpers::Server) -> reqwest::RequestBuilder {
        match self {
            Auth::Token(token) => request.bearer_auth(token),
            Auth::Session(cookie) => request.header("cookie", *cookie).header("origin", &server.base_url),
        }
    }
}

#[tokio::test]
async fn the_api_threads_moderators_hide_for_everyone_and_bursts_are_refused() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &MAIL_CLOCK).await;
    let server = &ada.server;
    let token = ada.make_api_token("script").await;
    let bob = server.sign_in(&ada.smtp, "bob@example.org").await;
    let moderator = server.sign_in(&ada.smtp, "mod@example.org").await;
    let promoted = ada.instance.run(&["users", "moderator", "mod@example.org"]);
    assert_eq!(promoted.code, 0, "{}", promoted.stderr);

    let created = api_post(server, &Auth::Token(&token), "A question about $\\alpha$", None).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let first: serde_json::Value = created.json().await.unwrap();
    let first_id = first["id"].as_i64().expect("an id");
    assert_eq!(first["parent"], serde_json::Value::Null);
    let replied = api_post(
        server,
        &Auth::Session(&bob),
        "Bob's answer, sekrit-reply",
        Some(first_id),
    )
    .await;
    assert_eq!(replied.status(), StatusCode::CREATED);
    let reply: serde_json::Value = replied.json().await.unwrap();
    let reply_id = reply["id"].as_i64().unwrap();
    assert_eq!(
        (reply["parent"].as_i64(), reply["depth"].as_i64()),
        (Some(first_id), Some(1))
    );

    let listed = server.json(&format!("/api/papers/{PAPER}/comments")).await;
    assert_eq!(
        (listed["total"].as_i64(), listed["threads"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(listed["comments"][0]["replies"][0]["id"].as_i64(), Some(reply_id));

    // Her profile lists it with its permalink, and her data export holds it.
    let profile = server.text(&format!("/users/{}", ada.profile)).await;
    assert!(
        profile.contains(&format!(
            "href=\"/papers/{PAPER}#comment-{first_id}\">A question about $\\alpha$</a>"
        )),
        "{profile}"
    );
    let export: serde_json::Value = serde_json::from_str(&ada.page("/account/export.json").await).unwrap();
    assert_eq!(export["comments"][0]["id"].as_i64(), Some(first_id));
    assert_eq!(export["commentMails"]["replies"], true);

    // Ada hears of Bob's reply by mail, once, with a link to it.
    let mail = ada
        .smtp
        .wait_for_message_to_containing("ada@example.org", "replied to your comment");
    assert!(mail.contains(&format!("/papers/{PAPER}#comment-{reply_id}")), "{mail}");
    assert!(mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));

    // Only a moderator hides; then the reply is gone for everyone else, everywhere.
    let refused = Auth::Session(&bob)
        .apply(
            server
                .client()
                .post(format!("{}/api/comments/{reply_id}/hide", server.base_url)),
            server,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let hidden = Auth::Session(&moderator)
        .apply(
            server
                .client()
                .post(format!("{}/api/comments/{reply_id}/hide", server.base_url)),
            server,
        )
        .json(&serde_json::json!({"reason": "off topic"}))
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), StatusCode::OK);
    let listed = server.json(&format!("/api/papers/{PAPER}/comments")).await;
    assert_eq!(listed["total"].as_i64(), Some(1));
    assert_eq!(listed["comments"][0]["replies"], serde_json::json!([]));
    assert!(!server.text(&format!("/papers/{PAPER}")).await.contains("sekrit-reply"));
    assert!(
        !server
            .text(&format!("/papers/{PAPER}/comments.atom"))
            .await
            .contains("sekrit-reply")
    );
    assert!(
        server
            .text(&format!("/papers/{PAPER}/comments.atom"))
            .await
            .contains("A question about")
    );
    assert_eq!(server.json(&format!("/api/papers/{PAPER}")).await["numComments"], 1);
    let day = server.json("/api/daily_papers?date=2026-02-12&limit=100").await;
    let item = day
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["paper"]["id"] == PAPER)
        .unwrap();
    assert_eq!(item["numComments"], 1);
    let log = Auth::Session(&moderator)
        .apply(server.client().get(format!("{}/moderation", server.base_url)), server)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("off topic") && log.contains("hide"), "{log}");

    // A cross-site request with the session cookie is refused.
    let cross_site = server
        .client()
        .post(format!("{}/api/papers/{PAPER}/comments", server.base_url))
        .header("cookie", &bob)
        .header("origin", "https://elsewhere.example")
        .json(&serde_json::json!({"body": "from elsewhere"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);

    // A burst: a new account gets 5 an hour; Ada has posted 1.
    for n in 0..4 {
        let posted = api_post(server, &Auth::Token(&token), &format!("burst {n}"), None).await;
        assert_eq!(posted.status(), StatusCode::CREATED, "post {n}");
    }
    let limited = api_post(server, &Auth::Token(&token), "one too many", None).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    let error: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(error["status"], 429);
    let page = server
        .client()
        .post(format!("{}/papers/{PAPER}/comments", server.base_url))
        .header("cookie", &ada.cookie)
        .header("origin", &server.base_url)
        .form(&[("body", "one too many, from the page")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key("retry-after"));
    let page = page.text().await.unwrap();
    assert!(
        page.contains("<html") && page.contains("Too many requests"),
        "a readable page: {page}"
    );
    assert_eq!(
        ada.smtp.settled_count_to("ada@example.org"),
        2,
        "the sign-in link and one mail about the reply, nothing about her own comments"
    );
}

#[tokio::test]
async fn most_discussed_puts_the_liveliest_discussions_first_on_days_and_months() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let server = &ada.server;
    let token = ada.make_api_token("script").await;
    let day = server.json("/api/daily_papers?date=2026-02-12&limit=100").await;
    let ids: Vec<String> = day
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["paper"]["id"].as_str().unwrap().to_owned())
        .collect();
    // The day's last two by trending get the discussion: two comments, then one.
    let (lively, quieter) = (ids[ids.len() - 1].clone(), ids[ids.len() - 2].clone());
    for (paper, n) in [(&lively, 2), (&quieter, 1)] {
        for i in 0..n {
            let posted = server
                .client()
                .post(format!("{}/api/papers/{paper}/comments", server.base_url))
                .bearer_auth(&token)
                .json(&serde_json::json!({"body": format!("comment {i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(posted.status(), StatusCode::CREATED);
        }
    }
    let discussed = server
        .json("/api/daily_papers?date=2026-02-12&limit=3&sort=discussed")
        .await;
    let first: Vec<&str> = discussed
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["paper"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(&first[..2], [lively.as_str(), quieter.as_str()]);
    let page = server.text("/papers/date/2026-02-12?sort=discussed").await;
    assert!(page.contains("Most discussed"));
    let first_card = between_all(&page, "id=\"paper-", "\"")[0].replace('-', "/");
    assert_eq!(first_card, lively, "the page's first card");
    let month = server.text("/papers/month/2026-02?sort=discussed").await;
    assert_eq!(between_all(&month, "id=\"paper-", "\"")[0].replace('-', "/"), lively);
}

/// The paper a comment mail is about, read off its permalinks.
fn paper_of_mail(text: &str) -> Option<String> {
    let line = text.lines().find(|line| line.starts_with("Read and reply: "))?;
    let path = &line[line.find("/papers/")? + "/papers/".len()..];
    Some(path.split('#').next()?.to_owned())
}

#[tokio::test]
async fn kill_9_during_a_burst_of_comments_and_mails_loses_no_comment_and_sends_no_mail_twice() {
    const PAPERS: usize = 12;
    const READERS: usize = 6;
    const COMMENTS_EACH: usize = 6;
    let generous = [
        ("PAPERBOY_NEW_MEMBER_COMMENTS", "100000"),
        ("PAPERBOY_COMMENTS_PER_MEMBER", "100000"),
        ("PAPERBOY_COMMENTS_PER_CLIENT", "100000"),
        ("PAPERBOY_WRITES_PER_CLIENT", "100000"),
        ("PAPERBOY_DIGEST_SCHEDULE", "true"),
        ("PAPERBOY_DIGEST_CHECK_SECONDS", "1"),
        ("PAPERBOY_DIGEST_LEASE_SECONDS", "1"),
    ];
    let mut ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &generous).await;
    let token = ada.make_api_token("burst").await;
    let day = ada
        .server
        .json(&format!("/api/daily_papers?date=2026-02-12&limit={PAPERS}"))
        .await;
    let papers: Vec<String> = day
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["paper"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(papers.len(), PAPERS);
    // Readers who saved every paper: each comment is news to each of them.
    let readers: Vec<String> = (0..READERS).map(|n| format!("reader{n}@example.org")).collect();
    for reader in &readers {
        let cookie = ada.server.sign_in(&ada.smtp, reader).await;
        for paper in &papers {
            let saved = ada
                .server
                .client()
                .put(format!("{}/api/me/library/{paper}", ada.server.base_url))
                .header("cookie", &cookie)
                .header("origin", &ada.server.base_url)
                .send()
                .await
                .unwrap();
            assert!(saved.status().is_success());
        }
    }

    // The burst: four writers at once; the server is killed after a random number of answers.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as usize;
    let kill_after = 5 + nanos % (PAPERS * COMMENTS_EACH - 10);
    eprintln!("killing the server after {kill_after} acknowledged comments");
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let client = ada.server.client();
    let base = ada.server.base_url.clone();
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..4 {
        let (client, base, token, papers, acknowledged) = (
            client.clone(),
            base.clone(),
            token.clone(),
            papers.clone(),
            std::sync::Arc::clone(&acknowledged),
        );
        writers.spawn(async move {
            for n in (writer..PAPERS * COMMENTS_EACH).step_by(4) {
                let paper = &papers[n % PAPERS];
                let answer = client
                    .post(format!("{base}/api/papers/{paper}/comments"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"body": format!("burst comment {n}")}))
                    .send()
                    .await;
                let Ok(answer) = answer else { return };
                if answer.status() != StatusCode::CREATED {
                    return;
                }
                let Ok(json) = answer.json::<serde_json::Value>().await else {
                    return;
                };
                acknowledged.lock().unwrap().push(json["id"].as_i64().unwrap());
            }
        });
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < kill_after {
        assert!(std::time::Instant::now() < deadline, "the burst stalled");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    ada.server.child.kill().expect("SIGKILL");
    ada.server.child.wait().expect("reaped");
    while writers.join_next().await.is_some() {}
    let acknowledged = acknowledged.lock().unwrap().clone();
    let mails_before = ada.smtp.count();
    eprintln!(
        "{} comments acknowledged, {mails_before} mails received before the kill",
        acknowledged.len()
    );

    // Restarted a little later (the killed worker's one-second leases have lapsed).
    let smtp_url = ada.smtp.url();
    let mut restarted = generous.to_vec();
    restarted.extend([("PAPERBOY_CLOCK", "+5"), ("PAPERBOY_SMTP_URL", smtp_url.as_str())]);
    ada.server = ada.instance.spawn_server_with("serve", &restarted);
    let mut present = std::collections::HashSet::new();
    let mut discussed = std::collections::HashSet::new();
    for paper in &papers {
        let listed = ada
            .server
            .json(&format!("/api/papers/{paper}/comments?limit=100"))
            .await;
        for comment in listed["comments"].as_array().unwrap() {
            present.insert(comment["id"].as_i64().unwrap());
            discussed.insert(paper.clone());
        }
    }
    let lost: Vec<_> = acknowledged.iter().filter(|id| !present.contains(id)).collect();
    assert!(lost.is_empty(), "acknowledged comments lost: {lost:?}");

    // Every reader hears of every discussed paper once: the mails queued with the comments go
    // out after the restart, none twice.
    let expected = discussed.len() * READERS;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let mails: Vec<_> = crate::digest::received(&ada.smtp)
            .into_iter()
            .filter(|m| m.to.starts_with("reader") && m.text.contains("Read and reply"))
            .collect();
        let mut per_pair: std::collections::HashMap<(String, String), usize> = std::collections::HashMap::new();
        for mail in &mails {
            let paper = paper_of_mail(&mail.text).expect("a permalink");
            *per_pair.entry((mail.to.clone(), paper)).or_default() += 1;
        }
        let doubles: Vec<_> = per_pair.iter().filter(|(_, n)| **n > 1).collect();
        assert!(doubles.is_empty(), "sent twice: {doubles:?}");
        let mut ids: Vec<&String> = mails.iter().filter_map(|m| m.headers.get("message-id")).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), mails.len(), "one message per mail id");
        if per_pair.len() == expected {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {expected} reader-paper mails arrived",
            per_pair.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // And no more come: nothing was left to send twice.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let settled = crate::digest::received(&ada.smtp)
        .into_iter()
        .filter(|m| m.to.starts_with("reader") && m.text.contains("Read and reply"))
        .count();
    assert_eq!(settled, expected);
}

/// A JSON request from a member: with a bearer token, or with a session cookie from our pages.
async fn call(
    server: &crate::helpers::Server,
    auth: &Auth<'_>,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut request = auth.apply(
        server.client().request(method, format!("{}{path}", server.base_url)),
        server,
    );
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.expect("answered");
    let status = answer.status();
    (status, answer.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn members_edit_delete_upvote_and_report_and_a_moderator_bans_from_the_queue() {
    use reqwest::Method;
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &[]).await;
    let server = &ada.server;
    let token = ada.make_api_token("script").await;
    let ada_auth = Auth::Token(&token);
    let bob = server.sign_in(&ada.smtp, "bob@example.org").await;
    let bob_auth = Auth::Session(&bob);
    let moderator = server.sign_in(&ada.smtp, "mod@example.org").await;
    assert_eq!(ada.instance.run(&["users", "moderator", "mod@example.org"]).code, 0);
    let moderator_auth = Auth::Session(&moderator);
    let comments = format!("/api/papers/{PAPER}/comments");

    let (status, first) = call(
        server,
        &ada_auth,
        Method::POST,
        &comments,
        Some(serde_json::json!({"body": "First thoughts"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let first = first["id"].as_i64().unwrap();
    let (_, reply) = call(
        server,
        &bob_auth,
        Method::POST,
        &comments,
        Some(serde_json::json!({"body": "Bob's reply", "parent": first})),
    )
    .await;
    let reply = reply["id"].as_i64().unwrap();

    // Edit: the writer, within the window; the page marks it.
    let (status, edited) = call(
        server,
        &ada_auth,
        Method::PATCH,
        &format!("/api/comments/{first}"),
        Some(serde_json::json!({"body": "Second thoughts"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(edited["editedAt"].is_string());
    let page = server.text(&format!("/papers/{PAPER}")).await;
    assert!(page.contains("Second thoughts") && !page.contains("First thoughts"));
    assert!(page.contains("<span class=\"edited\">edited</span>"));
    let (status, _) = call(
        server,
        &bob_auth,
        Method::PATCH,
        &format!("/api/comments/{first}"),
        Some(serde_json::json!({"body": "Bob's words"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not Bob's to edit");

    // Upvotes: once per member, withdrawn, cast again.
    let upvote = format!("/api/comments/{first}/upvote");
    for (method, expected) in [
        (Method::PUT, 1),
        (Method::PUT, 1),
        (Method::DELETE, 0),
        (Method::PUT, 1),
    ] {
        let (status, answer) = call(server, &bob_auth, method, &upvote, None).await;
        assert_eq!((status, answer["upvotes"].as_i64()), (StatusCode::OK, Some(expected)));
    }

    // Without JavaScript the page's button toggles: withdraw, then vote again.
    for expected in ["0", "1"] {
        let toggled = bob_auth
            .apply(
                server
                    .client()
                    .post(format!("{}/comments/{first}/upvote", server.base_url)),
                server,
            )
            .form(&[("next", format!("/papers/{PAPER}"))])
            .send()
            .await
            .unwrap();
        assert_eq!(toggled.status(), StatusCode::SEE_OTHER);
        let votes = server.json(&comments).await["comments"][0]["upvotes"].to_string();
        assert_eq!(votes, expected);
    }

    // Delete: the text goes, a placeholder keeps the reply's place.
    let (status, deleted) = call(
        server,
        &ada_auth,
        Method::DELETE,
        &format!("/api/comments/{first}"),
        None,
    )
    .await;
    assert_eq!((status, deleted["deleted"].as_bool()), (StatusCode::OK, Some(true)));
    let listed = server.json(&comments).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["comments"][0]["deleted"], true);
    assert_eq!(listed["comments"][0]["body"], "");
    assert_eq!(listed["comments"][0]["replies"][0]["id"].as_i64(), Some(reply));
    let page = server.text(&format!("/papers/{PAPER}")).await;
    assert!(page.contains("This comment was deleted.") && !page.contains("Second thoughts"));

    // A new account may put only two links in a comment.
    let (status, refused) = call(
        server,
        &ada_auth,
        Method::POST,
        &comments,
        Some(serde_json::json!({"body": "https://a.example https://b.example https://c.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["error"].as_str().unwrap().contains("links"), "{refused}");

    // A report reaches the moderators' queue; a ban from there hides the writer's comments
    // everywhere at once and ends their sessions.
    let (status, _) = call(
        server,
        &ada_auth,
        Method::POST,
        &format!("/api/comments/{reply}/report"),
        Some(serde_json::json!({"reason": "spam, I think"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = call(server, &bob_auth, Method::GET, "/moderation", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "members do not see the queue");
    let account = |cookie: &str| {
        server
            .client()
            .get(format!("{}/account", server.base_url))
            .header("cookie", cookie.to_owned())
            .send()
    };
    let link = "href=\"/moderation\"";
    assert!(account(&moderator).await.unwrap().text().await.unwrap().contains(link));
    assert!(!account(&bob).await.unwrap().text().await.unwrap().contains(link));
    let queue = moderator_auth
        .apply(server.client().get(format!("{}/moderation", server.base_url)), server)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains("spam, I think") && queue.contains(&format!("/comments/{reply}/ban")),
        "{queue}"
    );
    let banned = moderator_auth
        .apply(
            server
                .client()
                .post(format!("{}/comments/{reply}/ban", server.base_url)),
            server,
        )
        .form(&[("reason", "spam"), ("next", "/moderation")])
        .send()
        .await
        .unwrap();
    assert_eq!(banned.status(), StatusCode::SEE_OTHER);
    let listed = server.json(&comments).await;
    assert_eq!(listed["total"], 0, "{listed}");
    assert!(!server.text(&format!("/papers/{PAPER}")).await.contains("Bob's reply"));
    let (status, _) = call(
        server,
        &bob_auth,
        Method::POST,
        &comments,
        Some(serde_json::json!({"body": "still here?"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the ban ended Bob's session");
    let queue = moderator_auth
        .apply(server.client().get(format!("{}/moderation", server.base_url)), server)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains("No open reports.") && queue.contains("<td>ban</td>"),
        "{queue}"
    );

    // Hide and restore, by a moderator, through the API.
    let (_, second) = call(
        server,
        &ada_auth,
        Method::POST,
        &comments,
        Some(serde_json::json!({"body": "Another thought"})),
    )
    .await;
    let second = second["id"].as_i64().unwrap();
    let (status, hidden) = call(
        server,
        &moderator_auth,
        Method::POST,
        &format!("/api/comments/{second}/hide"),
        None,
    )
    .await;
    assert_eq!((status, hidden["hidden"].as_bool()), (StatusCode::OK, Some(true)));
    assert_eq!(server.json(&comments).await["total"], 0);
    let (status, _) = call(
        server,
        &ada_auth,
        Method::PUT,
        &format!("/api/comments/{second}/upvote"),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a hidden comment is not there for members"
    );
    let (status, restored) = call(
        server,
        &moderator_auth,
        Method::POST,
        &format!("/api/comments/{second}/restore"),
        Some(serde_json::json!({"reason": "on reflection, fine"})),
    )
    .await;
    assert_eq!((status, restored["hidden"].as_bool()), (StatusCode::OK, Some(false)));
    assert_eq!(server.json(&comments).await["total"], 1);
}

#[tokio::test]
async fn comment_mails_follow_each_members_choices_and_stop_in_one_click() {
    let ada = SignedIn::start(Instance::with_demo_data(), "ada@example.org", &MAIL_CLOCK).await;
    let server = &ada.server;
    let day = server.json("/api/daily_papers?date=2026-02-12&limit=10").await;
    let other = day
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["paper"]["id"].as_str().unwrap().to_owned())
        .find(|id| id != PAPER)
        .expect("another paper that day");
    let other = other.as_str();
    let bob = server.sign_in(&ada.smtp, "bob@example.org").await;
    let (cyd, dan) = (
        server.sign_in(&ada.smtp, "cyd@example.org").await,
        server.sign_in(&ada.smtp, "dan@example.org").await,
    );
    for cookie in [&cyd, &dan] {
        for paper in [PAPER, other] {
            let saved = Auth::Session(cookie)
                .apply(
                    server
                        .client()
                        .put(format!("{}/api/me/library/{paper}", server.base_url)),
                    server,
                )
                .send()
                .await
                .unwrap();
            assert!(saved.status().is_success());
        }
    }
    let post = |cookie: &str, paper: &str, body: &str, parent: Option<i64>| {
        let auth = Auth::Session(cookie);
        let request = auth.apply(
            server
                .client()
                .post(format!("{}/api/papers/{paper}/comments", server.base_url)),
            server,
        );
        let body = serde_json::json!({"body": body, "parent": parent});
        async move {
            let answer: serde_json::Value = request.json(&body).send().await.unwrap().json().await.unwrap();
            answer["id"].as_i64().unwrap()
        }
    };
    let first = post(&ada.cookie, PAPER, "Ada asks", None).await;
    post(&bob, PAPER, "Bob answers", Some(first)).await;
    let mail = ada
        .smtp
        .wait_for_message_to_containing("ada@example.org", "replied to your comment");
    ada.smtp
        .wait_for_message_to_containing("cyd@example.org", "You get this because you saved this paper");

    // Ada stops them all with the mail's one-click link (RFC 8058): a POST, no sign-in.
    let unsubscribe = mail
        .lines()
        .find_map(|line| line.strip_prefix("List-Unsubscribe: <"))
        .expect("a List-Unsubscribe header")
        .trim_end_matches('>')
        .to_owned();
    let path = &unsubscribe[unsubscribe.find("/notifications/").expect("our link")..];
    let clicked = server
        .client()
        .post(format!("{}{path}", server.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(clicked.status(), StatusCode::OK);
    let forged = server
        .client()
        .post(format!(
            "{}{}0",
            server.base_url,
            path.trim_end_matches(|c: char| c.is_ascii_hexdigit())
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::NOT_FOUND,
        "a link with a wrong signature does nothing"
    );
    let account = ada.page("/account").await;
    assert!(
        !account.contains("name=\"replies\" value=\"on\" checked"),
        "both boxes now unticked"
    );
    // Cyd turns off new comments on saved papers on the account page; Dan changes nothing.
    let cyd_account = Auth::Session(&cyd)
        .apply(server.client().get(format!("{}/account", server.base_url)), server)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = between_all(&cyd_account, "name=\"csrf\" value=\"", "\"")[0].to_owned();
    let saved = Auth::Session(&cyd)
        .apply(
            server
                .client()
                .post(format!("{}/account/notifications", server.base_url)),
            server,
        )
        .form(&[("csrf", csrf.as_str()), ("replies", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::OK);

    // On another paper: a reply to Ada and a comment on what Cyd and Dan saved.
    let again = post(&ada.cookie, other, "Ada again", None).await;
    post(&bob, other, "Bob again", Some(again)).await;
    ada.smtp.wait_for_message_to_containing("dan@example.org", "Bob again");
    assert_eq!(
        ada.smtp.settled_count_to("ada@example.org"),
        2,
        "sign-in and the first reply only"
    );
    assert_eq!(
        ada.smtp.settled_count_to("cyd@example.org"),
        2,
        "sign-in and the first paper only"
    );
}

#[tokio::test]
async fn a_reply_written_while_the_mail_server_is_down_is_mailed_once_when_it_is_back() {
    let mut ada = SignedIn::start(
        Instance::with_demo_data(),
        "ada@example.org",
        &[
            ("PAPERBOY_DIGEST_SCHEDULE", "true"),
            ("PAPERBOY_DIGEST_CHECK_SECONDS", "1"),
            ("PAPERBOY_DIGEST_RETRY_SECONDS", "1"),
        ],
    )
    .await;
    let bob = ada.server.sign_in(&ada.smtp, "bob@example.org").await;
    let port = ada.smtp.port;
    let server = &ada.server;
    let (_, first) = call(
        server,
        &Auth::Session(&ada.cookie),
        reqwest::Method::POST,
        &format!("/api/papers/{PAPER}/comments"),
        Some(serde_json::json!({"body": "Ada asks"})),
    )
    .await;
    // The mail server goes away; Bob replies; attempts fail for a few seconds.
    let before = ada.smtp.messages();
    drop(std::mem::replace(&mut ada.smtp, crate::helpers::SmtpServer::start()));
    let (status, _) = call(
        &ada.server,
        &Auth::Session(&bob),
        reqwest::Method::POST,
        &format!("/api/papers/{PAPER}/comments"),
        Some(serde_json::json!({"body": "Bob answers during the outage", "parent": first["id"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "posting does not wait for mail");
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert!(
        ada.server.log().contains("will be retried"),
        "the mail was tried and put back: {}",
        ada.server.log()
    );
    // Back on the same port: the mail goes out, once.
    ada.smtp = crate::helpers::SmtpServer::start_on(port);
    ada.smtp
        .wait_for_message_to_containing("ada@example.org", "Bob answers during the outage");
    assert_eq!(ada.smtp.settled_count_to("ada@example.org"), 1);
    assert_eq!(before.len(), 2, "the two sign-in links went before the outage");
}
