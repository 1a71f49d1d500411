//! The deliveries area: see [`crate::deliveries`].

use super::*;

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
