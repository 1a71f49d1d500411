//! The library area: see [`crate::library`].

use super::*;
use crate::{CollectionChange, Filing, Shelf};

async fn two_papers(store: &dyn Store) -> (ArxivId, ArxivId) {
    store
        .merge_papers(vec![full_paper("2602.00001"), full_paper("2602.00002")])
        .await
        .expect("merge");
    (id("2602.00001"), id("2602.00002"))
}

fn done(change: CollectionChange) -> crate::Collection {
    match change {
        CollectionChange::Done(collection) => collection,
        other => panic!("expected a collection, got {other:?}"),
    }
}

pub async fn papers_are_filed_once_and_the_default_collection_is_made_on_first_use(store: &dyn Store) {
    let (a, b) = two_papers(store).await;
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    assert!(
        store.collections(ada.id).await.expect("list").is_empty(),
        "nothing until first use"
    );
    assert_eq!(
        store.file_paper(ada.id, Shelf::Default, &a, 10).await.expect("file"),
        Filing::Added
    );
    assert_eq!(
        store.file_paper(ada.id, Shelf::Default, &a, 11).await.expect("file"),
        Filing::AlreadyThere
    );
    assert_eq!(
        store
            .file_paper(ada.id, Shelf::Default, &id("2602.09999"), 12)
            .await
            .expect("file"),
        Filing::UnknownPaper
    );
    let collections = store.collections(ada.id).await.expect("list");
    assert_eq!(collections.len(), 1, "one default, however often it is used");
    assert!(collections[0].is_default && collections[0].name == "Saved" && collections[0].papers == 1);
    assert_eq!(collections[0].public_id, None, "private by default");

    let reading = done(
        store
            .create_collection(ada.id, "Reading group", 20)
            .await
            .expect("create"),
    );
    assert_eq!(
        store
            .create_collection(ada.id, "Reading group", 21)
            .await
            .expect("again"),
        CollectionChange::NameTaken
    );
    assert_eq!(
        store.create_collection(ada.id, "Saved", 22).await.expect("reserved"),
        CollectionChange::NameTaken
    );
    assert!(matches!(
        store
            .create_collection(bob.id, "Reading group", 23)
            .await
            .expect("bob's own"),
        CollectionChange::Done(_)
    ));
    let shelf = Shelf::Collection(reading.id);
    assert_eq!(
        store.file_paper(ada.id, shelf, &b, 30).await.expect("file"),
        Filing::Added
    );
    assert_eq!(
        store.file_paper(ada.id, shelf, &a, 31).await.expect("file"),
        Filing::Added
    );
    assert_eq!(
        store.file_paper(bob.id, shelf, &a, 32).await.expect("not bob's"),
        Filing::UnknownCollection,
        "one member cannot file in another's collection"
    );
    let papers = store.collection_papers(reading.id, 0, 10).await.expect("papers");
    assert_eq!(
        papers,
        vec![(a.clone(), 31), (b.clone(), 30)],
        "most recently filed first"
    );
    assert_eq!(store.collection_papers(reading.id, 1, 10).await.expect("page").len(), 1);

    let third = id("2602.00003");
    assert_eq!(
        store
            .saved_among(ada.id, &[third.clone(), b.clone(), a.clone()])
            .await
            .expect("saved"),
        vec![b.clone(), a.clone()],
        "in the order asked"
    );
    assert!(
        store
            .saved_among(bob.id, &[a.clone(), b.clone()])
            .await
            .expect("saved")
            .is_empty()
    );
    let default = store
        .collection(ada.id, Shelf::Default)
        .await
        .expect("default")
        .expect("made");
    assert_eq!(
        store.collections_holding(ada.id, &a).await.expect("holding"),
        vec![default.id, reading.id]
    );
    assert_eq!(
        store.recently_saved(ada.id, 10).await.expect("recent"),
        vec![a.clone(), b.clone()],
        "each paper once, by its latest filing"
    );
    assert_eq!(store.recently_saved(ada.id, 1).await.expect("recent"), vec![a.clone()]);
    assert!(store.recently_saved(bob.id, 10).await.expect("recent").is_empty());

    assert!(store.unfile_paper(ada.id, Shelf::Default, &a).await.expect("unfile"));
    assert!(!store.unfile_paper(ada.id, Shelf::Default, &a).await.expect("again"));
    assert!(!store.unfile_paper(bob.id, shelf, &b).await.expect("not bob's"));
    assert_eq!(
        store
            .saved_among(ada.id, std::slice::from_ref(&a))
            .await
            .expect("saved"),
        vec![a.clone()],
        "still in Reading"
    );

    store.set_paper_hidden(&b, true).await.expect("hide");
    let papers = store.collection_papers(reading.id, 0, 10).await.expect("papers");
    assert_eq!(papers, vec![(a, 31)], "a hidden paper is in no list");
    let reading = store.collection(ada.id, shelf).await.expect("read").expect("there");
    assert_eq!(reading.papers, 1, "nor in a collection's count");
}

pub async fn collections_are_renamed_reordered_published_and_deleted(store: &dyn Store) {
    let (a, _) = two_papers(store).await;
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    store.file_paper(ada.id, Shelf::Default, &a, 1).await.expect("file");
    let first = done(store.create_collection(ada.id, "First", 2).await.expect("create"));
    let second = done(store.create_collection(ada.id, "Second", 3).await.expect("create"));
    let third = done(store.create_collection(ada.id, "Third", 4).await.expect("create"));
    let names = |collections: Vec<crate::Collection>| collections.into_iter().map(|c| c.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.collections(ada.id).await.unwrap()),
        ["Saved", "First", "Second", "Third"]
    );

    assert!(store.move_collection(ada.id, third.id, 0).await.expect("move"));
    assert_eq!(
        names(store.collections(ada.id).await.unwrap()),
        ["Saved", "Third", "First", "Second"]
    );
    assert!(
        store
            .move_collection(ada.id, third.id, 99)
            .await
            .expect("move to the end")
    );
    assert_eq!(
        names(store.collections(ada.id).await.unwrap()),
        ["Saved", "First", "Second", "Third"]
    );
    assert!(!store.move_collection(bob.id, third.id, 0).await.expect("not bob's"));

    let renamed = done(
        store
            .rename_collection(ada.id, first.id, "Primero")
            .await
            .expect("rename"),
    );
    assert_eq!(renamed.name, "Primero");
    assert_eq!(
        store.rename_collection(ada.id, second.id, "Primero").await.unwrap(),
        CollectionChange::NameTaken
    );
    assert_eq!(
        store.rename_collection(ada.id, second.id, "Saved").await.unwrap(),
        CollectionChange::NameTaken
    );
    let default = store
        .collection(ada.id, Shelf::Default)
        .await
        .unwrap()
        .expect("default");
    assert_eq!(
        store.rename_collection(ada.id, default.id, "Mine").await.unwrap(),
        CollectionChange::NotFound
    );
    assert_eq!(
        store.rename_collection(bob.id, second.id, "Bob's").await.unwrap(),
        CollectionChange::NotFound
    );

    assert_eq!(
        store
            .publish_collection(bob.id, first.id, Some("bobs-guess"))
            .await
            .unwrap(),
        None
    );
    let published = store
        .publish_collection(ada.id, first.id, Some("f3a9c1"))
        .await
        .unwrap()
        .expect("mine");
    assert_eq!(published.public_id.as_deref(), Some("f3a9c1"));
    let (shown, maker) = store.public_collection("f3a9c1").await.unwrap().expect("public");
    assert_eq!((shown.id, maker.id), (first.id, ada.id));
    assert_eq!(store.public_collection("bobs-guess").await.unwrap(), None);
    assert!(store.set_role("ada@example.org", Role::Banned).await.unwrap());
    assert_eq!(
        store.public_collection("f3a9c1").await.unwrap(),
        None,
        "a banned maker's collection goes"
    );
    assert!(store.set_role("ada@example.org", Role::Member).await.unwrap());
    store.publish_collection(ada.id, first.id, None).await.unwrap();
    assert_eq!(store.public_collection("f3a9c1").await.unwrap(), None, "private again");

    store
        .file_paper(ada.id, Shelf::Collection(second.id), &a, 5)
        .await
        .unwrap();
    assert!(!store.delete_collection(bob.id, second.id).await.unwrap(), "not bob's");
    assert!(
        !store.delete_collection(ada.id, default.id).await.unwrap(),
        "the default stays"
    );
    assert!(store.delete_collection(ada.id, second.id).await.unwrap());
    assert_eq!(
        store.collection(ada.id, Shelf::Collection(second.id)).await.unwrap(),
        None
    );
    assert_eq!(
        store.saved_among(ada.id, std::slice::from_ref(&a)).await.unwrap(),
        vec![a],
        "still in Saved"
    );
}

pub async fn notes_are_private_and_an_empty_one_is_deleted(store: &dyn Store) {
    let (a, _) = two_papers(store).await;
    let ada = signed_in(store, "ada@example.org").await;
    let bob = signed_in(store, "bob@example.org").await;
    assert!(store.set_note(ada.id, &a, "Read §3 <first>", 1).await.unwrap());
    assert_eq!(
        store.note(ada.id, &a).await.unwrap().as_deref(),
        Some("Read §3 <first>")
    );
    assert_eq!(
        store.note(bob.id, &a).await.unwrap(),
        None,
        "a note is its writer's alone"
    );
    assert!(store.set_note(ada.id, &a, "Replaced", 2).await.unwrap());
    assert_eq!(store.note(ada.id, &a).await.unwrap().as_deref(), Some("Replaced"));
    assert_eq!(
        store.notes(ada.id).await.unwrap(),
        vec![(a.clone(), "Replaced".to_owned(), 2)]
    );
    assert!(store.notes(bob.id).await.unwrap().is_empty());
    assert!(store.set_note(ada.id, &a, "", 3).await.unwrap());
    assert_eq!(store.note(ada.id, &a).await.unwrap(), None);
    assert!(
        !store
            .set_note(ada.id, &id("2602.09999"), "no such paper", 4)
            .await
            .unwrap()
    );
}
