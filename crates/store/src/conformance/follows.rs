//! The follows area: see [`crate::follows`].

use super::*;
use crate::FollowKind;

pub async fn follows_are_made_once_turned_off_and_on_and_forgotten(store: &dyn Store) {
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    assert!(
        store
            .follow(ada.id, FollowKind::Search, "q=graph+neural", 3)
            .await
            .unwrap()
    );
    assert!(store.follow(ada.id, FollowKind::Author, "Yann LeCun", 1).await.unwrap());
    assert!(store.follow(ada.id, FollowKind::Category, "cs.CL", 2).await.unwrap());
    assert!(
        !store.follow(ada.id, FollowKind::Author, "Yann LeCun", 4).await.unwrap(),
        "once"
    );
    let follows = store.follows(ada.id).await.unwrap();
    let listed: Vec<(FollowKind, &str, bool)> = follows.iter().map(|f| (f.kind, f.value.as_str(), f.active)).collect();
    assert_eq!(
        listed,
        [
            (FollowKind::Author, "Yann LeCun", true),
            (FollowKind::Category, "cs.CL", true),
            (FollowKind::Search, "q=graph+neural", true)
        ],
        "by kind"
    );
    assert_eq!(follows[0].created_at, 1, "following again keeps when it began");
    assert!(
        store.follows(bob.id).await.unwrap().is_empty(),
        "a member's follows are theirs"
    );

    assert!(
        store
            .set_follow_active(ada.id, FollowKind::Category, "cs.CL", false)
            .await
            .unwrap()
    );
    assert!(!store.follows(ada.id).await.unwrap()[1].active);
    assert!(!store.follow(ada.id, FollowKind::Category, "cs.CL", 5).await.unwrap());
    assert!(
        store.follows(ada.id).await.unwrap()[1].active,
        "following again turns it on"
    );
    assert!(
        !store
            .set_follow_active(bob.id, FollowKind::Category, "cs.CL", false)
            .await
            .unwrap()
    );

    assert!(store.unfollow(ada.id, FollowKind::Author, "Yann LeCun").await.unwrap());
    assert!(!store.unfollow(ada.id, FollowKind::Author, "Yann LeCun").await.unwrap());
    assert_eq!(store.follows(ada.id).await.unwrap().len(), 2);
}
