//! The accounts area: see [`crate::accounts`].

use super::*;

pub async fn sign_in_links_work_once_and_expire(store: &dyn Store) {
    store
        .save_login_token("Ada@Example.org", "hash-1", 2_000)
        .await
        .expect("save");
    assert_eq!(
        store.login_token_email("hash-1", 1_000).await.expect("peek").as_deref(),
        Some("ada@example.org"),
        "a link says whom it signs in, without being used up"
    );
    assert_eq!(store.login_token_email("hash-1", 2_001).await.expect("late"), None);
    assert_eq!(
        store.login_token_email("no-such-hash", 1_000).await.expect("unknown"),
        None
    );
    let user = store
        .redeem_login_token("hash-1", 1_000)
        .await
        .expect("redeem")
        .expect("signed in");
    assert_eq!((user.email.as_str(), user.role), ("ada@example.org", Role::Member));
    // Nothing of the address is shown until its owner chooses a name, and the public profile's
    // id is random: 24 hex digits, not the row's number.
    assert_eq!(user.display_name, format!("Reader {}", &user.profile_id[..6]));
    assert!(
        user.profile_id.len() == 24 && user.profile_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{}",
        user.profile_id
    );
    assert_eq!(
        store.user_by_profile(&user.profile_id).await.expect("by profile"),
        Some(user.clone())
    );
    assert_eq!(
        store.user_by_profile(&user.id.to_string()).await.expect("by number"),
        None
    );
    assert_eq!(
        store.user_by_email("Ada@Example.org").await.expect("by address"),
        Some(user.clone()),
        "addresses are compared without case"
    );
    assert_eq!(store.user_by_email("bob@example.org").await.expect("by address"), None);
    assert_eq!(
        store.redeem_login_token("hash-1", 1_001).await.expect("again"),
        None,
        "a link works once"
    );
    store
        .save_login_token("ada@example.org", "hash-2", 2_000)
        .await
        .expect("save");
    assert_eq!(
        store.redeem_login_token("hash-2", 2_001).await.expect("late"),
        None,
        "an expired link fails"
    );
    store
        .save_login_token("ada@example.org", "hash-3", 5_000)
        .await
        .expect("save");
    let again = store
        .redeem_login_token("hash-3", 3_000)
        .await
        .expect("redeem")
        .expect("signed in");
    assert_eq!(again.id, user.id, "the same address is the same account");
    assert_eq!(
        store.redeem_login_token("never-issued", 1_000).await.expect("unknown"),
        None
    );
}

pub async fn sessions_carry_their_user_until_they_end(store: &dyn Store) {
    let user = signed_in(store, "grace@example.org").await;
    let session = NewSession {
        token_hash: "cookie-hash".into(),
        user_id: user.id,
        csrf_token: "csrf".into(),
        expires_at: 10_000,
    };
    store.create_session(&session).await.expect("create");
    let found = store
        .session("cookie-hash", 9_000)
        .await
        .expect("load")
        .expect("live session");
    assert_eq!((found.user.id, found.csrf_token.as_str()), (user.id, "csrf"));
    assert_eq!(
        store.session("cookie-hash", 10_001).await.expect("load"),
        None,
        "expired"
    );
    store.set_display_name(user.id, "Grace H.").await.expect("rename");
    assert_eq!(
        store
            .session("cookie-hash", 9_000)
            .await
            .expect("load")
            .expect("live")
            .user
            .display_name,
        "Grace H."
    );
    store.delete_session("cookie-hash").await.expect("sign out");
    assert_eq!(
        store.session("cookie-hash", 9_000).await.expect("load"),
        None,
        "signed out"
    );
}

pub async fn api_tokens_sign_in_until_revoked(store: &dyn Store) {
    let ada = signed_in(store, "ada@example.org").await;
    let token_id = store
        .create_api_token(ada.id, "laptop", "token-hash")
        .await
        .expect("create");
    let found = store
        .user_by_api_token("token-hash", 7)
        .await
        .expect("lookup")
        .expect("token works");
    assert_eq!(found.id, ada.id);
    let tokens = store.api_tokens(ada.id).await.expect("list");
    assert_eq!((tokens[0].name.as_str(), tokens[0].last_used_at), ("laptop", Some(7)));
    let bob = signed_in(store, "bob@example.org").await;
    assert!(
        !store.revoke_api_token(bob.id, token_id).await.expect("revoke"),
        "only the owner revokes"
    );
    assert!(store.revoke_api_token(ada.id, token_id).await.expect("revoke"));
    assert_eq!(store.user_by_api_token("token-hash", 8).await.expect("lookup"), None);
}

pub async fn deleting_a_member_deletes_everything_theirs(store: &dyn Store) {
    store
        .merge_papers(vec![full_paper("2602.00001"), full_paper("2602.00002")])
        .await
        .expect("merge");
    let (a, b) = (id("2602.00001"), id("2602.00002"));
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    store.set_vote(ada.id, &a, true).await.expect("vote");
    assert_eq!(store.set_vote(bob.id, &a, true).await.expect("vote"), Some(2));
    store
        .file_paper(ada.id, crate::Shelf::Default, &b, 1)
        .await
        .expect("save");
    store.set_note(ada.id, &b, "read again", 1).await.expect("note");
    store
        .follow(ada.id, crate::FollowKind::Author, "Ada Lovelace", 1)
        .await
        .expect("follow");
    let token = store
        .create_api_token(ada.id, "script", "token-hash")
        .await
        .expect("token");
    assert!(token > 0);
    store
        .subscribe_confirmed("ada@example.org", &DigestPreferences::default(), 1)
        .await
        .expect("subscribe");
    let before = store.content_version().await.expect("version").version;

    assert!(store.delete_user(ada.id, 5).await.expect("delete"));
    assert!(!store.delete_user(ada.id, 6).await.expect("again"), "already gone");
    assert_eq!(store.user(ada.id).await.expect("user"), None);
    assert_eq!(store.user_by_api_token("token-hash", 7).await.expect("token"), None);
    assert_eq!(
        store.local_votes(std::slice::from_ref(&a)).await.expect("count"),
        vec![(a.clone(), 1)],
        "ada's vote no longer counts; bob's does"
    );
    assert!(store.recently_saved(ada.id, 10).await.expect("saved").is_empty());
    assert!(store.notes(ada.id).await.expect("notes").is_empty());
    assert!(store.follows(ada.id).await.expect("follows").is_empty());
    assert!(store.collections(ada.id).await.expect("collections").is_empty());
    let subscription = store
        .subscription_by_email("ada@example.org")
        .await
        .expect("subscription")
        .expect("kept for the delivery record");
    assert_eq!(subscription.status, SubscriptionStatus::Unsubscribed);
    assert!(store.content_version().await.expect("version").version > before);
    assert_eq!(store.user(bob.id).await.expect("bob").map(|u| u.id), Some(bob.id));
    assert_eq!(
        store.paper(&b).await.expect("paper").map(|p| p.id),
        Some(b),
        "papers stay"
    );
}
