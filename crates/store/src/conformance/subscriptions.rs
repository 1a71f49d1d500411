//! The subscriptions area: see [`crate::subscriptions`].

use super::*;

pub async fn subscriptions_need_confirmation_once(store: &dyn Store) {
    let first = store
        .request_subscription("Ada@Example.org", &weekly_cl(), "link-1", 100, 1)
        .await
        .expect("request");
    let SubscribeRequest::ConfirmationNeeded(pending) = first else {
        panic!("a new address needs confirming, got {first:?}");
    };
    assert_eq!(pending.status, SubscriptionStatus::Pending);
    assert_eq!(pending.email, "Ada@Example.org");
    assert_eq!(pending.preferences, weekly_cl());
    assert!(
        store
            .active_subscriptions(Frequency::Weekly, 0, 10)
            .await
            .expect("list")
            .is_empty(),
        "pending gets nothing"
    );
    // Asking again replaces the link: the first no longer works.
    store
        .request_subscription("ada@example.org", &DigestPreferences::default(), "link-2", 100, 2)
        .await
        .expect("request again");
    assert_eq!(store.confirm_subscription("link-1", 3).await.expect("confirm"), None);
    let active = store
        .confirm_subscription("link-2", 3)
        .await
        .expect("confirm")
        .expect("link-2 works");
    assert_eq!(active.id, pending.id, "one subscription per mailbox, whatever the case");
    assert_eq!(active.status, SubscriptionStatus::Active);
    assert_eq!(active.preferences, DigestPreferences::default());
    assert_eq!(
        store.confirm_subscription("link-2", 4).await.expect("again"),
        None,
        "once"
    );
    let again = store
        .request_subscription("ADA@example.org", &weekly_cl(), "link-3", 100, 5)
        .await
        .expect("request while active");
    assert!(matches!(again, SubscribeRequest::AlreadyActive(ref s) if s.preferences == DigestPreferences::default()));
    assert_eq!(
        store.confirm_subscription("link-3", 6).await.expect("confirm"),
        None,
        "not stored"
    );

    store
        .request_subscription("late@example.org", &weekly_cl(), "late-link", 100, 1)
        .await
        .expect("request");
    assert_eq!(
        store.confirm_subscription("late-link", 101).await.expect("late"),
        None,
        "expired"
    );
    let late = store
        .subscription_by_email("late@example.org")
        .await
        .expect("lookup")
        .expect("kept");
    assert_eq!(late.status, SubscriptionStatus::Pending);
}

pub async fn subscriptions_change_and_end(store: &dyn Store) {
    let member = store
        .subscribe_confirmed("member@example.org", &DigestPreferences::default(), 1)
        .await
        .expect("subscribe");
    assert_eq!(member.status, SubscriptionStatus::Active);
    assert!(
        store
            .update_subscription(member.id, &weekly_cl(), 2)
            .await
            .expect("update")
    );
    let changed = store.subscription(member.id).await.expect("get").expect("there");
    assert_eq!(changed.preferences, weekly_cl());
    let personal = DigestPreferences {
        for_you: true,
        ..weekly_cl()
    };
    assert!(
        store
            .update_subscription(member.id, &personal, 2)
            .await
            .expect("update")
    );
    let changed = store.subscription(member.id).await.expect("get").expect("there");
    assert!(changed.preferences.for_you, "a member's digest can follow For you");
    store
        .update_subscription(member.id, &weekly_cl(), 2)
        .await
        .expect("back");
    let weekly = store
        .active_subscriptions(Frequency::Weekly, 0, 10)
        .await
        .expect("list");
    assert_eq!(weekly.iter().map(|s| s.id).collect::<Vec<_>>(), [member.id]);
    assert!(
        store
            .active_subscriptions(Frequency::Daily, 0, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(store.unsubscribe(member.id, 3).await.expect("unsubscribe"));
    assert!(!store.unsubscribe(member.id, 4).await.expect("twice"), "already gone");
    assert!(
        !store
            .update_subscription(member.id, &weekly_cl(), 5)
            .await
            .expect("update")
    );
    assert!(
        store
            .active_subscriptions(Frequency::Weekly, 0, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store
            .subscription_by_email("MEMBER@example.org")
            .await
            .expect("get")
            .map(|s| s.status),
        Some(SubscriptionStatus::Unsubscribed)
    );
    // Coming back takes a confirmation again.
    let back = store
        .request_subscription("member@example.org", &weekly_cl(), "back", 100, 6)
        .await
        .expect("request");
    assert!(matches!(back, SubscribeRequest::ConfirmationNeeded(_)));
}
