//! The comments area: see [`crate::comments`].

use super::*;
use crate::{EditOutcome, NewComment, PostOutcome};

pub(super) async fn post(
    store: &dyn Store,
    paper: &str,
    user_id: i64,
    parent: Option<i64>,
    body: &str,
    now: i64,
) -> crate::Comment {
    match store
        .post_comment(&NewComment {
            paper: id(paper),
            user_id,
            parent,
            body: body.to_owned(),
            now,
        })
        .await
        .expect("post")
    {
        PostOutcome::Posted(comment) => comment,
        other => panic!("not posted: {other:?}"),
    }
}

pub async fn comments_thread_flatten_and_keep_their_place_when_deleted(store: &dyn Store) {
    store
        .merge_papers(vec![full_paper("2602.00001"), full_paper("2602.00002")])
        .await
        .expect("merge");
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    let before = store.content_version().await.expect("version").version;
    let top = post(store, "2602.00001", ada.id, None, "First, $E=mc^2$", 10).await;
    assert_eq!((top.depth, top.parent, top.votes), (0, None, 0));
    assert_eq!(top.author.as_ref().map(|a| a.user_id), Some(ada.id));
    assert!(store.content_version().await.expect("version").version > before);
    // A chain of replies: depth grows to MAX_DEPTH, then replies flatten beside their parent.
    let mut parent = top.clone();
    for depth in 1..=crate::comments::MAX_DEPTH {
        let reply = post(
            store,
            "2602.00001",
            bob.id,
            Some(parent.id),
            "reply",
            10 + i64::from(depth),
        )
        .await;
        assert_eq!((reply.depth, reply.parent), (depth, Some(parent.id)));
        parent = reply;
    }
    let flat = post(store, "2602.00001", ada.id, Some(parent.id), "deeper", 20).await;
    assert_eq!(
        (flat.depth, flat.parent),
        (crate::comments::MAX_DEPTH, parent.parent),
        "a reply past the deepest level joins its parent's thread"
    );
    for (parent, why) in [
        (Some(999_999), "no such comment"),
        (Some(top.id), "a comment on another paper"),
    ] {
        let outcome = store
            .post_comment(&NewComment {
                paper: id("2602.00002"),
                user_id: ada.id,
                parent,
                body: "x".into(),
                now: 21,
            })
            .await
            .expect("post");
        assert_eq!(outcome, PostOutcome::UnknownParent, "{why}");
    }
    let mut times = store
        .comment_times(&[id("2602.00001"), id("2602.00002")])
        .await
        .expect("times");
    times.sort_by_key(|(_, t)| *t);
    let expected: Vec<(ArxivId, i64)> = [10, 11, 12, 13, 14, 20].map(|t| (id("2602.00001"), t)).to_vec();
    assert_eq!(times, expected, "when each comment others can read was written");
    let unknown = store
        .post_comment(&NewComment {
            paper: id("2602.99999"),
            user_id: ada.id,
            parent: None,
            body: "x".into(),
            now: 21,
        })
        .await
        .expect("post");
    assert_eq!(unknown, PostOutcome::UnknownPaper);

    let all = store.paper_comments(&id("2602.00001"), false).await.expect("list");
    assert_eq!(all.len(), 2 + crate::comments::MAX_DEPTH as usize);
    assert_eq!(all[0], top, "oldest first");
    assert_eq!(
        store
            .comment_counts(&[id("2602.00002"), id("2602.00001")])
            .await
            .expect("counts"),
        vec![(id("2602.00002"), 0), (id("2602.00001"), all.len() as i64)]
    );

    // Edits: one's own, within the window.
    assert_eq!(
        store
            .edit_comment(top.id, bob.id, "mine now", 11, 600)
            .await
            .expect("edit"),
        EditOutcome::NotYours
    );
    assert_eq!(
        store
            .edit_comment(top.id, ada.id, "late", 10 + 601, 600)
            .await
            .expect("edit"),
        EditOutcome::TooLate
    );
    assert_eq!(
        store
            .edit_comment(top.id, ada.id, "First, edited", 300, 600)
            .await
            .expect("edit"),
        EditOutcome::Edited
    );
    let edited = store.comment(top.id).await.expect("get").expect("there");
    assert_eq!((edited.body.as_str(), edited.edited_at), ("First, edited", Some(300)));

    // Deleting keeps the place (the replies hang from it) without the text.
    assert!(!store.delete_comment(top.id, bob.id).await.expect("not bob's"));
    assert!(store.delete_comment(top.id, ada.id).await.expect("delete"));
    assert!(!store.delete_comment(top.id, ada.id).await.expect("twice"));
    let deleted = store.comment(top.id).await.expect("get").expect("kept");
    assert!(deleted.deleted && deleted.body.is_empty());
    assert_eq!(
        store
            .edit_comment(top.id, ada.id, "back", 301, 600)
            .await
            .expect("edit"),
        EditOutcome::NotFound
    );
    assert_eq!(
        store.comment_counts(&[id("2602.00001")]).await.expect("counts")[0].1,
        all.len() as i64 - 1,
        "a deleted comment is not counted"
    );

    // An account deleted: its comments stay, without an author.
    store.delete_user(bob.id, 400).await.expect("delete bob");
    let orphan = store.comment(all[1].id).await.expect("get").expect("kept");
    assert_eq!((orphan.author, orphan.body.as_str()), (None, "reply"));
}

pub async fn comment_votes_reports_and_moderation(store: &dyn Store) {
    store.merge_papers(vec![full_paper("2602.00001")]).await.expect("merge");
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    let moderator = signed_in(store, "mod@example.org").await;
    let comment = post(store, "2602.00001", ada.id, None, "hello", 10).await;
    let reply = post(store, "2602.00001", bob.id, Some(comment.id), "spam", 11).await;

    assert_eq!(
        store
            .set_comment_vote(comment.id, bob.id, true, 12)
            .await
            .expect("vote"),
        Some(1)
    );
    assert_eq!(
        store
            .set_comment_vote(comment.id, bob.id, true, 12)
            .await
            .expect("again"),
        Some(1)
    );
    assert_eq!(
        store
            .set_comment_vote(comment.id, ada.id, true, 12)
            .await
            .expect("vote"),
        Some(2)
    );
    assert_eq!(
        store
            .set_comment_vote(comment.id, ada.id, false, 13)
            .await
            .expect("withdraw"),
        Some(1)
    );
    assert_eq!(
        store.set_comment_vote(999_999, ada.id, true, 13).await.expect("none"),
        None
    );
    let asked = [reply.id, comment.id, 999_999];
    assert_eq!(
        store.comment_votes_among(bob.id, &asked).await.expect("votes"),
        [comment.id]
    );
    assert!(
        store
            .comment_votes_among(ada.id, &asked)
            .await
            .expect("votes")
            .is_empty(),
        "withdrawn"
    );

    assert!(
        store
            .report_comment(reply.id, ada.id, "spam", 20)
            .await
            .expect("report")
    );
    assert!(
        !store
            .report_comment(reply.id, ada.id, "spam again", 21)
            .await
            .expect("once")
    );
    assert!(
        !store
            .report_comment(999_999, ada.id, "?", 21)
            .await
            .expect("no such comment")
    );
    let reports = store.open_reports(10).await.expect("reports");
    assert_eq!(reports.len(), 1);
    assert_eq!((reports[0].comment_id, reports[0].reason.as_str()), (reply.id, "spam"));

    assert!(
        store
            .set_comment_hidden(reply.id, true, moderator.id, "spam", 30)
            .await
            .expect("hide")
    );
    assert!(
        store.open_reports(10).await.expect("reports").is_empty(),
        "acting closes the reports"
    );
    let paper = id("2602.00001");
    let seen = store.paper_comments(&paper, false).await.expect("list");
    assert_eq!(seen.iter().map(|c| c.id).collect::<Vec<_>>(), [comment.id]);
    let moderated = store.paper_comments(&paper, true).await.expect("list");
    assert!(
        moderated.iter().any(|c| c.id == reply.id && c.hidden),
        "moderators see it, marked"
    );
    assert_eq!(
        store.comment_counts(std::slice::from_ref(&paper)).await.expect("count")[0].1,
        1
    );
    assert!(
        store
            .set_comment_hidden(reply.id, false, moderator.id, "not spam after all", 31)
            .await
            .expect("restore")
    );
    assert_eq!(
        store.comment_counts(std::slice::from_ref(&paper)).await.expect("count")[0].1,
        2
    );
    let log = store.moderation_log(10).await.expect("log");
    assert_eq!(
        log.iter()
            .map(|e| (e.action.as_str(), e.comment_id))
            .collect::<Vec<_>>(),
        [("restore", reply.id), ("hide", reply.id)],
        "newest first"
    );
    assert!(
        !store
            .set_comment_hidden(999_999, true, moderator.id, "?", 32)
            .await
            .expect("none")
    );

    // A banned member's comments are hidden everywhere at once, and back when the ban lifts.
    assert!(store.set_role("bob@example.org", Role::Banned).await.expect("ban"));
    assert_eq!(store.paper_comments(&paper, false).await.expect("list").len(), 1);
    assert_eq!(
        store.comment_counts(std::slice::from_ref(&paper)).await.expect("count")[0].1,
        1
    );
    assert!(store.set_role("bob@example.org", Role::Member).await.expect("unban"));
    assert_eq!(store.paper_comments(&paper, false).await.expect("list").len(), 2);
}
