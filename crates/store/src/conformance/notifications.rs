//! The notifications area: see [`crate::notifications`].

use super::comments::post;
use super::*;
use crate::{ClaimedCommentMail, NotificationSettings, NotifyReason, Shelf};

/// Claims what is due at `now` and records each as sent; answers `(member email, comments)`.
async fn send_due(store: &dyn Store, now: i64) -> Vec<(String, Vec<(i64, NotifyReason)>)> {
    let claimed: Vec<ClaimedCommentMail> = store.claim_comment_mails(now, 60, 100, "worker").await.expect("claim");
    let mut sent = Vec::new();
    for mail in &claimed {
        assert!(
            store
                .hand_over_comment_mail(mail.id, "worker")
                .await
                .expect("hand over")
        );
        sent.push((mail.member.email.clone(), mail.comments.clone()));
    }
    let outcomes: Vec<(i64, DeliveryOutcome)> = claimed.iter().map(|m| (m.id, DeliveryOutcome::Sent)).collect();
    store.finish_comment_mails(&outcomes, now).await.expect("finish");
    sent.sort_by(|a, b| a.0.cmp(&b.0));
    sent
}

pub async fn comments_queue_one_mail_per_member_and_paper_an_hour(store: &dyn Store) {
    store.merge_papers(vec![full_paper("2602.00001")]).await.expect("merge");
    let paper = id("2602.00001");
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    let cyd = signed_in(store, "cyd@example.org").await;
    let dan = signed_in(store, "dan@example.org").await;
    store.file_paper(cyd.id, Shelf::Default, &paper, 1).await.expect("save");
    let submitted = store
        .submit_paper(
            &NewSubmission {
                paper: paper.clone(),
                listing_date: Date::new(2026, 2, 2).expect("date"),
                user_id: dan.id,
            },
            10,
        )
        .await
        .expect("submit");
    assert_eq!(submitted, SubmitOutcome::Accepted);

    let first = post(store, "2602.00001", ada.id, None, "first", 10).await;
    let reply = post(store, "2602.00001", bob.id, Some(first.id), "a reply", 20).await;
    assert!(
        store
            .claim_comment_mails(5, 60, 100, "early")
            .await
            .expect("claim")
            .is_empty(),
        "nothing is due before it was written"
    );
    assert_eq!(
        send_due(store, 25).await,
        [
            ("ada@example.org".to_owned(), vec![(reply.id, NotifyReason::Reply)]),
            (
                "cyd@example.org".to_owned(),
                vec![(first.id, NotifyReason::Saved), (reply.id, NotifyReason::Saved)]
            ),
            (
                "dan@example.org".to_owned(),
                vec![(first.id, NotifyReason::Submitted), (reply.id, NotifyReason::Submitted)]
            ),
        ],
        "the writer hears nothing of their own comment; the others' comments gather in one mail each"
    );
    assert!(send_due(store, 25).await.is_empty(), "each mail once");

    // Within the hour after a mail, the next one about that paper waits.
    let later = post(store, "2602.00001", bob.id, None, "later", 30).await;
    assert!(send_due(store, 100).await.is_empty(), "an hour has not passed");
    // A member who turns the kind off loses the mail still waiting.
    store
        .set_notification_settings(
            dan.id,
            NotificationSettings {
                replies: true,
                papers: false,
            },
        )
        .await
        .expect("opt out");
    assert_eq!(
        store.notification_settings(dan.id).await.expect("settings"),
        NotificationSettings {
            replies: true,
            papers: false
        }
    );
    assert_eq!(
        send_due(store, 10 + crate::MAIL_SPACING_SECONDS).await,
        [("cyd@example.org".to_owned(), vec![(later.id, NotifyReason::Saved)])]
    );
    let counts = store.comment_mail_counts().await.expect("counts");
    assert_eq!((counts.sent, counts.cancelled, counts.outstanding()), (4, 1, 0));

    // A banned member's comments tell nobody anything.
    store.set_role("bob@example.org", Role::Banned).await.expect("ban");
    post(
        store,
        "2602.00001",
        bob.id,
        Some(first.id),
        "from a banned member",
        9_000,
    )
    .await;
    assert!(send_due(store, 20_000).await.is_empty());
}

pub async fn comment_mails_are_claimed_once_and_settled_after_a_crash(store: &dyn Store) {
    store.merge_papers(vec![full_paper("2602.00001")]).await.expect("merge");
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    let first = post(store, "2602.00001", ada.id, None, "first", 10).await;
    post(store, "2602.00001", bob.id, Some(first.id), "a reply", 20).await;
    let claimed = store.claim_comment_mails(30, 60, 10, "one").await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert!(
        store
            .claim_comment_mails(40, 60, 10, "two")
            .await
            .expect("claim")
            .is_empty(),
        "leased"
    );
    // The lease runs out: another worker takes it over, and the first can no longer hand it over.
    let again = store.claim_comment_mails(100, 60, 10, "two").await.expect("claim");
    assert_eq!((again.len(), again[0].attempts), (1, 2));
    assert!(!store.hand_over_comment_mail(claimed[0].id, "one").await.expect("stale"));
    assert!(
        store
            .hand_over_comment_mail(again[0].id, "two")
            .await
            .expect("hand over")
    );
    // The worker dies before recording an answer; its journal says the message never got out.
    assert_eq!(
        store.unconfirmed_comment_mails(200).await.expect("unconfirmed"),
        [(again[0].id, "two".to_owned())]
    );
    assert!(
        store
            .resolve_comment_mail(again[0].id, "two", false, 200)
            .await
            .expect("resolve")
    );
    let third = store.claim_comment_mails(200, 60, 10, "three").await.expect("claim");
    assert_eq!(third.len(), 1, "back in the queue");
    store
        .finish_comment_mails(
            &[(
                third[0].id,
                DeliveryOutcome::Cancelled {
                    reason: "nothing left to tell".into(),
                },
            )],
            200,
        )
        .await
        .expect("finish");
    assert_eq!(store.comment_mail_counts().await.expect("counts").cancelled, 1);
    assert!(
        store
            .claim_comment_mails(10_000, 60, 10, "four")
            .await
            .expect("claim")
            .is_empty()
    );
}
