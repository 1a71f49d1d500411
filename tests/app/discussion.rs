//! Discussion on a paper's page, against a real server: comments and replies posted with the
//! page's forms (no JavaScript), rendered from Markdown into a safe subset with math kept for
//! KaTeX, and refused from other sites and from strangers.

use reqwest::StatusCode;

use crate::helpers::{Instance, SignedIn};

const PAPER: &str = "2602.11096";

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
    assert!(!page.contains("javascript:alert"), "the link is inert");
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
