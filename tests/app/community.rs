//! Signing in by e-mail link through a real SMTP server process, voting, and the guards on
//! every state-changing request, all over HTTP against the real server.

use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::Value;

use crate::helpers::{Instance, Server, SmtpServer, between_all, link_in};

struct Community {
    instance: Instance,
    smtp: SmtpServer,
    server: Server,
}

fn start() -> Community {
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            ("PAPERBOY_LOGIN_LINKS_PER_CLIENT", "200"),
        ],
    );
    Community { instance, smtp, server }
}

impl Community {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url)
    }

    /// Asks for a link, reads it from the captured mail, and returns the link's path.
    async fn request_link(&self, email: &str) -> String {
        let response = self
            .server
            .client()
            .post(self.url("/login"))
            .header(ORIGIN, &self.server.base_url)
            .form(&[("email", email), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains("a sign-in link is on its way"));
        let mail = self.smtp.wait_for_message_to(email);
        assert!(mail.contains("Subject: Sign in to Paperboy"), "{mail}");
        link_in(&mail, &self.server.base_url, "/login/")
    }

    /// Presses the sign-in button of a link's page (the POST the page makes).
    async fn redeem(&self, link: &str, next: &str) -> reqwest::Response {
        let token_path = link.split('?').next().unwrap();
        self.server
            .client()
            .post(self.url(token_path))
            .header(ORIGIN, &self.server.base_url)
            .form(&[("next", next)])
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the link and returns the session cookie (`name=value`).
    async fn sign_in(&self, email: &str) -> String {
        let link = self.request_link(email).await;
        let token_path = link.split('?').next().unwrap().to_owned();
        let confirm = self.server.text(&link).await;
        assert!(
            confirm.contains(&format!("action=\"{token_path}\"")),
            "the link opens a page with a sign-in button"
        );
        let response = self.redeem(&link, "/account").await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()[LOCATION], "/account");
        let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        cookie.split(';').next().unwrap().to_owned()
    }

    async fn vote(&self, cookie: &str, paper: &str, method: reqwest::Method) -> reqwest::Response {
        self.server
            .client()
            .request(method, self.url(&format!("/api/papers/{paper}/upvote")))
            .header(COOKIE, cookie)
            .header(ORIGIN, &self.server.base_url)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn sign_in_by_link_vote_unvote_and_refuse_what_is_not_allowed() {
    let community = start();
    let cookie = community.sign_in("ada@example.org").await;
    let account = community
        .server
        .client()
        .get(community.url("/account"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("Signed in as ada@example.org"));

    // A used link does not work again.
    let link = community.request_link("grace@example.org").await;
    assert_eq!(community.redeem(&link, "/").await.status(), 303);
    let reused = community.redeem(&link, "/").await;
    assert_eq!(reused.status(), 400);
    assert!(reused.text().await.unwrap().contains("used already or has expired"));

    // Votes: once per person, withdrawn by DELETE, and the count answers each time.
    let banana = "2601.23265";
    let first: Value = community
        .vote(&cookie, banana, reqwest::Method::POST)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            first["localVotes"].as_i64(),
            first["upvotes"].as_i64(),
            first["voted"].as_bool()
        ),
        (Some(1), Some(189), Some(true))
    );
    let twice: Value = community
        .vote(&cookie, banana, reqwest::Method::POST)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(twice["localVotes"], 1, "a vote twice counts once");
    let page = community.server.text(&format!("/papers/{banana}")).await;
    assert!(
        page.contains("<span class=\"count\">189</span>"),
        "the paper page shows the vote at once"
    );
    let api: Value = community.server.json(&format!("/api/papers/{banana}")).await;
    assert_eq!(
        (api["upvotes"].as_i64(), api["trending"]["localVotes"].as_i64()),
        (Some(189), Some(1))
    );
    let withdrawn: Value = community
        .vote(&cookie, banana, reqwest::Method::DELETE)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (withdrawn["localVotes"].as_i64(), withdrawn["voted"].as_bool()),
        (Some(0), Some(false))
    );

    // Without JavaScript: the form toggles and comes back to the same place.
    let form = community
        .server
        .client()
        .post(community.url(&format!("/papers/{banana}/upvote")))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &community.server.base_url)
        .form(&[("next", "/papers/date/2026-02-02")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303);
    assert_eq!(
        form.headers()[LOCATION],
        format!("/papers/date/2026-02-02#paper-{banana}")
    );
    let mine: Value = community
        .server
        .client()
        .get(community.url(&format!("/api/me/votes?ids={banana},2601.00001")))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["voted"], serde_json::json!([banana]));

    // Cross-site requests and requests that do not say where they come from are refused.
    let evil = community
        .server
        .client()
        .post(community.url(&format!("/api/papers/{banana}/upvote")))
        .header(COOKIE, &cookie)
        .header(ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    let anonymous_origin = community
        .server
        .client()
        .post(community.url(&format!("/api/papers/{banana}/upvote")))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_origin.status(), 403);
    let evil_form = community
        .server
        .client()
        .post(community.url(&format!("/papers/{banana}/upvote")))
        .header(COOKIE, &cookie)
        .header(ORIGIN, "https://evil.example")
        .form(&[("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(evil_form.status(), 403);
    let evil_login = community
        .server
        .client()
        .post(community.url("/login"))
        .header(ORIGIN, "https://evil.example")
        .form(&[("email", "x@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(evil_login.status(), 403);
    let signed_out = community
        .server
        .client()
        .post(community.url(&format!("/api/papers/{banana}/upvote")))
        .header(ORIGIN, &community.server.base_url)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 401);

    // Signing out ends the session.
    let csrf = between_all(&account, "name=\"csrf\" value=\"", "\"")[0].to_owned();
    let logout = community
        .server
        .client()
        .post(community.url("/logout"))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &community.server.base_url)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    let after = community
        .server
        .client()
        .get(community.url("/account"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303, "the old cookie no longer signs in");
}

#[tokio::test]
async fn the_sign_in_answer_does_not_tell_who_has_an_account_and_bad_addresses_are_named() {
    let community = start();
    community.sign_in("known@example.org").await;
    let ask = |email: &'static str| {
        community
            .server
            .client()
            .post(community.url("/login"))
            .header(ORIGIN, &community.server.base_url)
            .form(&[("email", email)])
            .send()
    };
    let known = ask("known@example.org")
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("known@example.org", "ADDRESS");
    let unknown = ask("stranger@example.org")
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("stranger@example.org", "ADDRESS");
    assert_eq!(known, unknown);
    let bad = ask("not an address\r\nBcc: x@y.z").await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("is not an e-mail address"));
    // Three links per address and client per 15 minutes. Past them, the same answer and no
    // mail: whoever floods an address learns nothing and cannot lock its owner out (see
    // hardening.rs for the owner's side).
    for _ in 0..4 {
        assert_eq!(ask("busy@example.org").await.unwrap().status(), 200);
    }
    assert_eq!(community.smtp.settled_count_to("busy@example.org"), 3);
}

#[tokio::test]
async fn fifty_people_voting_at_once_give_fifty_votes() {
    let community = start();
    let mut cookies = Vec::new();
    for n in 0..50 {
        cookies.push(community.sign_in(&format!("voter{n}@example.org")).await);
    }
    let votes = cookies
        .iter()
        .map(|cookie| community.vote(cookie, "2602.11330", reqwest::Method::POST));
    for response in futures_join(votes).await {
        assert_eq!(response.status(), 200);
    }
    let paper: Value = community.server.json("/api/papers/2602.11330").await;
    assert_eq!(paper["trending"]["localVotes"], 50);
}

#[tokio::test]
async fn visitors_arriving_together_after_a_vote_share_one_render_that_shows_it() {
    let community = start();
    let cookie = community.sign_in("voter@example.org").await;
    let page = "/papers/2602.11330";
    let before = community.server.text(page).await;
    let renders_before = paper_renders(&community.server).await;
    let vote = community.vote(&cookie, "2602.11330", reqwest::Method::POST).await;
    assert_eq!(vote.status(), 200);

    let pages = futures_join((0..16).map(|_| community.server.text(page))).await;
    let same = pages.iter().filter(|page| **page == pages[0]).count();
    let unchanged = pages.iter().filter(|page| **page == before).count();
    assert!(
        same == 16 && unchanged == 0,
        "every visitor sees the page with the vote: {same} alike, {unchanged} as before"
    );
    assert_eq!(
        paper_renders(&community.server).await,
        renders_before + 1,
        "sixteen visitors at once, one render"
    );
}

/// How many times the server has rendered a paper's page.
async fn paper_renders(server: &crate::helpers::Server) -> u64 {
    counter(server, "page_renders_total{route=\"/papers/{*id}\"}").await
}

/// A counter of the server's metrics, by its name and labels as /metrics writes them.
async fn counter(server: &crate::helpers::Server, series: &str) -> u64 {
    let metrics = server.text("/metrics").await;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0, |count| count.trim().parse().unwrap())
}

async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(|f| Box::pin(f)).collect();
    let mut outputs = Vec::new();
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    // Poll all at once: they run concurrently on the test's runtime.
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for slot in pending.iter_mut() {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(output) => {
                        outputs.push(output);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs
}

#[tokio::test]
async fn an_expired_link_does_not_sign_in() {
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with(
        "serve",
        &[("PAPERBOY_SMTP_URL", &smtp.url()), ("PAPERBOY_LOGIN_LINK_MINUTES", "0")],
    );
    let community = Community { instance, smtp, server };
    let link = community.request_link("late@example.org").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = community.redeem(&link, "/").await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get(SET_COOKIE).is_none());
}

#[tokio::test]
async fn api_tokens_profiles_moderation_and_bans() {
    let smtp = SmtpServer::start();
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with(
        "serve",
        &[
            ("PAPERBOY_SMTP_URL", &smtp.url()),
            ("PAPERBOY_SUBMISSION_MAX_AGE_DAYS", "100000"),
        ],
    );
    let community = Community {
        instance: Instance::new(),
        smtp,
        server,
    };
    let cookie = community.sign_in("ada@example.org").await;
    let client = community.server.client();
    let base = community.server.base_url.clone();
    let account = client
        .get(format!("{base}/account"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = between_all(&account, "name=\"csrf\" value=\"", "\"")[0].to_owned();

    // A personal token, shown once, works without cookies or Origin, and stops when revoked.
    let made = client
        .post(format!("{base}/account/tokens"))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &base)
        .form(&[("name", "laptop"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = format!("pb_{}", between_all(&made, "pb_", " ")[0]);
    assert_eq!(token.len(), 67, "{token}");
    let bearer = format!("Bearer {token}");
    let index = client
        .post(format!("{base}/api/papers/index"))
        .header("Authorization", &bearer)
        .json(&serde_json::json!({"arxivId": "arXiv:2602.11330v1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(index.status(), 200);
    let submitted: Value = index.json().await.unwrap();
    assert_eq!(submitted["id"], "2602.11330");
    let by = submitted["submittedBy"].as_str().unwrap();
    assert!(
        by.starts_with("Reader ") && !by.contains("ada"),
        "nothing of the address: {by}"
    );
    let again = client
        .post(format!("{base}/api/papers/index"))
        .header("Authorization", &bearer)
        .json(&serde_json::json!({"arxivId": "2602.11330"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let voted = client
        .post(format!("{base}/api/papers/2602.11404/upvote"))
        .header("Authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(voted.status(), 200);
    let wrong = client
        .post(format!("{base}/api/papers/2602.11404/upvote"))
        .header("Authorization", "Bearer pb_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let listed = client
        .get(format!("{base}/account"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains("laptop — made"), "the token is listed");
    assert!(!listed.contains(&token), "and never shown again");
    let token_id = between_all(&listed, "action=\"/account/tokens/", "/revoke")[0].to_owned();
    client
        .post(format!("{base}/account/tokens/{token_id}/revoke"))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &base)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let revoked = client
        .post(format!("{base}/api/papers/2602.11404/upvote"))
        .header("Authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);

    // The profile shows both.
    let user_id = between_all(&listed, "href=\"/users/", "\"")[0].to_owned();
    let profile = community.server.text(&format!("/users/{user_id}")).await;
    assert!(
        profile.contains("When agents choose bundles autonomously"),
        "the submission"
    );
    assert!(
        profile.contains("The Distortion of Prior-Independent b-Matching Mechanisms"),
        "the vote"
    );

    // Admins are made on the command line and can hide a paper from every list.
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    assert!(
        community
            .server
            .text(&format!("/papers/date/{today}"))
            .await
            .contains("When agents choose bundles")
    );
    let forbidden = client
        .post(format!("{base}/admin/papers"))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &base)
        .form(&[("csrf", csrf.as_str()), ("paper", "2602.11330"), ("hidden", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403, "members cannot moderate");
    let promote = instance.run(&["users", "promote", "ada@example.org"]);
    assert_eq!(promote.code, 0, "{}", promote.stderr);
    assert!(instance.run(&["users", "list"]).stdout.contains("admin"));
    let hidden = client
        .post(format!("{base}/admin/papers"))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &base)
        .form(&[("csrf", csrf.as_str()), ("paper", "2602.11330"), ("hidden", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 200);
    assert!(hidden.text().await.unwrap().contains("is hidden from every list"));
    assert!(
        !community
            .server
            .text(&format!("/papers/date/{today}"))
            .await
            .contains("When agents choose bundles")
    );
    assert!(
        !community
            .server
            .text("/papers/date/2026-02-13?cat=cs.GT")
            .await
            .contains("When agents choose bundles")
    );

    // A ban ends the session at once.
    assert_eq!(instance.run(&["users", "ban", "ada@example.org"]).code, 0);
    let banned = client
        .get(format!("{base}/account"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(banned.status(), 303, "back to sign-in");
    assert_ne!(instance.run(&["users", "ban", "nobody@example.org"]).code, 0);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit() {
    let instance = Instance::with_demo_data();
    // Where the proxy says each request came from, and what the instance answered.
    async fn sign_in_from(server: &crate::helpers::Server, client: &str, n: usize) -> u16 {
        let email = format!("proxied{n}@example.org");
        let response = server
            .client()
            .post(format!("{}/login", server.base_url))
            .header(ORIGIN, &server.base_url)
            .header("x-forwarded-for", client)
            .form(&[("email", email.as_str())])
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }
    // The tests connect over loopback, as nginx on the same machine would.
    let proxied = instance.spawn_server_with("serve", &[("PAPERBOY_WRITES_PER_CLIENT", "2")]);
    let mut statuses = Vec::new();
    for (n, client) in ["203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.2"]
        .iter()
        .enumerate()
    {
        statuses.push(sign_in_from(&proxied, client, n).await);
    }
    assert_eq!(
        statuses,
        [200, 200, 429, 200],
        "the second client is not limited by the first"
    );
    // A client cannot choose its address by writing the header itself: the proxy appends.
    assert_eq!(sign_in_from(&proxied, "203.0.113.9, 203.0.113.1", 9).await, 429);
    drop(proxied);

    // Trusting no proxy, the header means nothing: everyone here is 127.0.0.1.
    let direct = instance.spawn_server_with(
        "serve",
        &[("PAPERBOY_WRITES_PER_CLIENT", "2"), ("PAPERBOY_TRUSTED_PROXIES", "[]")],
    );
    let mut statuses = Vec::new();
    for (n, client) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"].iter().enumerate() {
        statuses.push(sign_in_from(&direct, client, 10 + n).await);
    }
    assert_eq!(statuses, [200, 200, 429]);
}

#[tokio::test]
async fn one_client_address_cannot_flood_state_changing_requests() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server_with("serve", &[("PAPERBOY_WRITES_PER_CLIENT", "5")]);
    let mut statuses = Vec::new();
    for n in 0..7 {
        let email = format!("flood{n}@example.org");
        let response = server
            .client()
            .post(format!("{}/login", server.base_url))
            .header(ORIGIN, &server.base_url)
            .form(&[("email", email.as_str())])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    let refused = server
        .client()
        .post(format!("{}/logout", server.base_url))
        .header(ORIGIN, &server.base_url)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.headers()["x-content-type-options"],
        "nosniff",
        "refusals carry the security headers too"
    );
    let metrics = server.text("/metrics").await;
    assert!(
        metrics.contains(r#"http_requests_total{route="/logout",method="POST",status="429"}"#),
        "and are counted under the route they refused: {metrics}"
    );
    assert_eq!(server.get("/").await.status(), 200, "reading is not limited");
}

#[tokio::test]
async fn without_a_mail_server_messages_are_written_to_the_data_dir_and_the_page_says_where() {
    let instance = Instance::with_demo_data();
    let server = instance.spawn_server("serve");
    let response = server
        .client()
        .post(format!("{}/login", server.base_url))
        .header(ORIGIN, &server.base_url)
        .form(&[("email", "demo@example.org")])
        .send()
        .await
        .unwrap();
    let page = response.text().await.unwrap();
    let mail_dir = instance.data_dir.path().join("mail");
    assert!(
        page.contains(&format!("written as .eml files to {}", mail_dir.display())),
        "{page}"
    );
    let files: Vec<_> = std::fs::read_dir(&mail_dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let message = crate::helpers::decode_quoted_printable(&std::fs::read_to_string(files[0].path()).unwrap());
    assert!(message.contains("To: demo@example.org"));
    assert!(
        message.contains(&format!("{}/login/", server.base_url)),
        "the link is in the message"
    );
}

#[tokio::test]
async fn members_manage_their_digest_from_their_account() {
    let community = start();
    let cookie = community.sign_in("ada@example.org").await;
    let get = |path: &'static str| {
        community
            .server
            .client()
            .get(community.url(path))
            .header(COOKIE, &cookie)
            .send()
    };
    let account = get("/account").await.unwrap().text().await.unwrap();
    assert!(account.contains("You do not get a digest."), "{account}");
    let subscribe = get("/subscribe").await.unwrap();
    assert_eq!(
        subscribe.headers()[LOCATION],
        "/account/subscription",
        "members go to their own page"
    );
    let page = get("/account/subscription").await.unwrap().text().await.unwrap();
    assert!(page.contains("not subscribed"), "{page}");
    let csrf = between_all(&page, "name=\"csrf\" value=\"", "\"")[0].to_owned();
    let post = |fields: Vec<(&'static str, String)>| {
        community
            .server
            .client()
            .post(community.url("/account/subscription"))
            .header(COOKIE, &cookie)
            .header(ORIGIN, &community.server.base_url)
            .form(&fields)
            .send()
    };
    let without_token = post(vec![("action", "save".into())]).await.unwrap();
    assert_eq!(without_token.status(), 403, "the form's token is required");
    let wrong_token = post(vec![("action", "save".into()), ("csrf", "nope".into())])
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 403);
    let saved = post(vec![
        ("action", "save".into()),
        ("csrf", csrf.clone()),
        ("frequency", "weekly".into()),
        ("max_papers", "7".into()),
    ])
    .await
    .unwrap();
    assert_eq!(saved.status(), 200);
    // A signed-in member's address is proven: no confirmation mail, active at once.
    let account = get("/account").await.unwrap().text().await.unwrap();
    assert!(
        account.contains("You get a weekly digest of up to 7 papers."),
        "{account}"
    );
    let left = post(vec![("action", "unsubscribe".into()), ("csrf", csrf)])
        .await
        .unwrap();
    assert!(left.text().await.unwrap().contains("Unsubscribed"));
    let account = get("/account").await.unwrap().text().await.unwrap();
    assert!(account.contains("You do not get a digest."));
}

/// A vote renders the voted paper's card again and the page around it; every other card on
/// the page is kept. The page is byte for byte what a server that kept nothing renders, and each
/// page's vote forms lead back to that page, though the cards are shared.
#[tokio::test]
async fn a_vote_renders_one_card_again_and_the_page_is_as_a_fresh_render() {
    let community = start();
    let cookie = community.sign_in("voter@example.org").await;
    let server = &community.server;
    let week = "/papers/week/2026-W07?sort=new";
    let before = server.text(week).await;
    let papers: Vec<&str> = between_all(&before, "data-paper=\"", "\"");
    assert!(papers.len() >= 10, "the week shows a page of papers: {}", papers.len());
    let rendered = card_renders(server).await;
    // The same papers in another order (a week's own: most votes first): the cards are kept,
    // and each form leads back to its page.
    let by_votes = server.text("/papers/week/2026-W07").await;
    assert!(by_votes.contains("name=\"next\" value=\"/papers/week/2026-W07\""));
    assert!(!by_votes.contains("value=\"/papers/week/2026-W07?sort=new\""));
    let voted = papers[3];
    let vote = community.vote(&cookie, voted, reqwest::Method::POST).await;
    assert_eq!(vote.status(), 200);
    let rendered_between = card_renders(server).await;
    let after = server.text(week).await;
    assert_ne!(after, before, "the page shows the vote");
    assert_eq!(
        card_renders(server).await - rendered_between,
        1,
        "one card rendered again, {} kept",
        papers.len() - 1
    );
    assert!(
        rendered_between - rendered < papers.len() as u64,
        "the other order reused the week's cards"
    );

    let pages = [week, "/papers/week/2026-W07", "/papers/date/2026-02-12"];
    let mut kept = Vec::new();
    for page in pages {
        kept.push(server.text(page).await.replace(&server.base_url, "BASE"));
    }
    let Community { instance, server, .. } = community;
    server.terminate();
    let fresh = instance.spawn_server_with("serve", &[]);
    for (page, kept) in pages.into_iter().zip(kept) {
        let afresh = fresh.text(page).await.replace(&fresh.base_url, "BASE");
        assert!(kept == afresh, "{page} differs from a render that kept nothing");
    }
}

/// How many list cards the server has rendered.
async fn card_renders(server: &crate::helpers::Server) -> u64 {
    counter(server, "card_renders_total").await
}
