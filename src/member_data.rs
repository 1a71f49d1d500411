//! Everything this instance holds about one member, as JSON: what the account page offers for
//! download and `paperboy users export` prints. Sessions, sign-in links and token hashes are
//! secrets, not data about the member, and are left out; the tokens are listed by name.

use paperboy_store::{Store, StoreError, User};
use serde_json::{Value, json};

/// Filed papers, notes, votes and submissions read per member, at most.
const AT_MOST: u32 = 1_000_000;

fn time(seconds: i64) -> Value {
    jiff::Timestamp::from_second(seconds).map_or(Value::Null, |at| Value::String(at.to_string()))
}

/// The member's data, whole.
pub async fn export(store: &dyn Store, user: &User) -> Result<Value, StoreError> {
    let activity = store.activity(user.id, AT_MOST).await?;
    let mut collections = Vec::new();
    for collection in store.collections(user.id).await? {
        let papers = store.collection_papers(collection.id, 0, AT_MOST).await?;
        collections.push(json!({
            "name": collection.name,
            "default": collection.is_default,
            "published": collection.public_id.is_some(),
            "createdAt": time(collection.created_at),
            "papers": papers
                .into_iter()
                .map(|(paper, at)| json!({"id": paper.to_string(), "filedAt": time(at)}))
                .collect::<Vec<_>>(),
        }));
    }
    let notes: Vec<Value> = store
        .notes(user.id)
        .await?
        .into_iter()
        .map(|(paper, note, at)| json!({"paper": paper.to_string(), "note": note, "updatedAt": time(at)}))
        .collect();
    let follows: Vec<Value> = store
        .follows(user.id)
        .await?
        .into_iter()
        .map(|follow| json!({"kind": follow.kind.as_str(), "value": follow.value, "active": follow.active}))
        .collect();
    let tokens: Vec<Value> = store
        .api_tokens(user.id)
        .await?
        .into_iter()
        .map(|token| {
            json!({"name": token.name, "createdAt": time(token.created_at), "lastUsedAt": token.last_used_at.map_or(Value::Null, time)})
        })
        .collect();
    let comments: Vec<Value> = store
        .member_comments(user.id)
        .await?
        .into_iter()
        .map(|comment| {
            json!({
                "id": comment.id,
                "paper": comment.paper,
                "parent": comment.parent,
                "body": comment.body,
                "createdAt": time(comment.created_at),
                "editedAt": comment.edited_at.map_or(Value::Null, time),
                "deleted": comment.deleted,
                "hiddenByModerator": comment.hidden,
                "upvotes": comment.votes,
            })
        })
        .collect();
    let notifications = store.notification_settings(user.id).await?;
    let subscription = store.subscription_by_email(&user.email).await?.map(|subscription| {
        json!({
            "status": subscription.status.as_str(),
            "frequency": subscription.preferences.frequency.as_str(),
            "categories": subscription.preferences.categories.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "keywords": subscription.preferences.keywords,
            "maxPapers": subscription.preferences.max_papers,
        })
    });
    Ok(json!({
        "account": {
            "email": user.email,
            "displayName": user.display_name,
            "role": user.role.as_str(),
            "memberSince": time(user.created_at),
            "profile": format!("/users/{}", user.profile_id),
        },
        "votes": activity.votes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "submissions": activity
            .submissions
            .iter()
            .map(|(paper, day)| json!({"paper": paper.to_string(), "day": day.to_string()}))
            .collect::<Vec<_>>(),
        "collections": collections,
        "notes": notes,
        "follows": follows,
        "comments": comments,
        "commentMails": {"replies": notifications.replies, "newCommentsOnMyPapers": notifications.papers},
        "apiTokens": tokens,
        "digestSubscription": subscription,
    }))
}
