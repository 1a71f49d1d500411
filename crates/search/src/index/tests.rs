//! The index against real tantivy directories.

use super::*;
use crate::query::parse;

/// The same papers indexed in opposite orders, a few at a time (so in several segments).
#[test]
fn papers_that_tie_come_out_newest_first_whatever_order_they_were_indexed_in() {
    let papers: Vec<SearchDocument> = (0..120)
        .map(|n| SearchDocument {
            id: format!("2501.{:05}", n * 37 % 120),
            // Three titles, two dates and three vote counts: nearly everything ties.
            title: ["graph neural networks", "graph networks", "neural graph"][n % 3].into(),
            abstract_text: "A study.".into(),
            authors: vec!["Li Wang".into()],
            categories: vec!["cs.LG".into()],
            first_listed: Some(Date::new(2025, 1, 1 + (n % 2) as i8).unwrap()),
            votes: (n % 3) as i64,
            hidden: false,
        })
        .collect();
    let index_in = |order: &[SearchDocument]| {
        let index = SearchIndex::in_memory().unwrap();
        for (batch, papers) in order.chunks(25).enumerate() {
            index.apply(papers, &[], Some(batch as i64)).unwrap();
        }
        index
    };
    let forwards = index_in(&papers);
    let backwards = index_in(&papers.iter().rev().cloned().collect::<Vec<_>>());
    for (text, sort) in [
        ("graph", Sort::Relevance),
        ("neural networks", Sort::Relevance),
        ("\"graph neural\"", Sort::Relevance),
        ("graph", Sort::New),
        ("graph", Sort::Votes),
    ] {
        let query = parse(text).unwrap();
        let ranked = |index: &SearchIndex| {
            let page = index.search(&query, &Filters::default(), sort, 0, 30).unwrap();
            page.hits
        };
        let hits = ranked(&forwards);
        assert_eq!(hits.len(), 30, "{text} {sort:?}");
        assert_eq!(hits, ranked(&backwards), "{text} {sort:?}");
        for pair in hits.windows(2) {
            if pair[0].score == pair[1].score {
                assert!(pair[0].id > pair[1].id, "{text} {sort:?}: ties newest first: {pair:?}");
            }
        }
    }
}

/// Papers whose words recur across titles, abstracts and author names, so that a word often
/// matches in several fields — where the ranking's best-field score and the pruning's sum
/// part — with updates and hidden papers deleting some along the way.
fn index_of_mixed_papers() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let words = [
        "graph",
        "neural",
        "networks",
        "learning",
        "robust",
        "sparse",
        "attention",
        "diffusion",
        "wang",
        "chen",
        "self-supervised",
        "the",
        "of",
    ];
    let mut state = 7u64;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n
    };
    for batch in 0..4 {
        let documents: Vec<SearchDocument> = (0..600)
            .map(|n| {
                let mut text = |length: usize| {
                    (0..1 + next(length))
                        .map(|_| words[next(words.len())])
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let id = format!("2501.{:05}", (batch * 600 + n) % 2_000);
                SearchDocument {
                    id,
                    title: text(6),
                    abstract_text: text(40),
                    authors: vec![format!("Li {}", words[n % 10]), text(2)],
                    categories: vec!["cs.LG".into()],
                    first_listed: Some(Date::new(2025, 1, 1 + (n % 28) as i8).unwrap()),
                    votes: (n % 5) as i64,
                    hidden: n % 97 == 0,
                }
            })
            .collect();
        index.apply(&documents, &[], Some(batch as i64)).unwrap();
    }
    index
}

#[test]
fn plain_word_searches_rank_exactly_as_scoring_every_match_would() {
    let index = index_of_mixed_papers();
    let searcher = index.reader.searcher();
    for text in [
        "graph",
        "wang",
        "neural networks",
        "sparse attention diffusion wang chen",
        "robust of learning",
    ] {
        let query = parse(text).unwrap();
        assert!(
            index.best_fields(&query, &Filters::default()).is_some(),
            "{text} is pruned"
        );
        for (offset, limit) in [(0, 1), (0, 20), (20, 20), (0, 300)] {
            let page = index
                .search(&query, &Filters::default(), Sort::Relevance, offset, limit)
                .unwrap();
            let every_match = TopDocs::with_limit(limit)
                .and_offset(offset)
                .order_by((SortBySimilarityScore, newest_first()));
            let expected = searcher
                .search(&*index.compile(&query, &Filters::default(), true), &every_match)
                .unwrap();
            let expected = expected
                .into_iter()
                .map(|((score, _), address)| (score, address))
                .collect();
            assert_eq!(
                page.hits,
                index.ids(&searcher, expected).unwrap(),
                "{text}, offset {offset}"
            );
        }
    }
    // Phrases, hyphenated words and filters take the unpruned path.
    assert!(
        index
            .best_fields(&parse("self-supervised graph").unwrap(), &Filters::default())
            .is_none()
    );
    assert!(
        index
            .best_fields(&parse("\"graph neural\"").unwrap(), &Filters::default())
            .is_none()
    );
    let in_cs = Filters {
        categories: vec!["cs".into()],
        ..Filters::default()
    };
    assert!(index.best_fields(&parse("graph").unwrap(), &in_cs).is_none());
}

#[test]
fn a_finished_build_is_merged_complete_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let papers: Vec<SearchDocument> = (0..40)
        .map(|n| SearchDocument {
            id: format!("2601.{n:05}"),
            title: format!("Paper number {n}"),
            abstract_text: if n % 2 == 0 {
                "graph networks"
            } else {
                "sparse attention"
            }
            .into(),
            authors: vec!["A. Author".into()],
            categories: vec!["cs.LG".into()],
            first_listed: Date::new(2026, 1, 5).ok(),
            votes: 0,
            hidden: n == 7,
        })
        .collect();
    let index = SearchIndex::open(dir.path()).unwrap();
    index.apply(&papers[..5], &[], Some(3)).unwrap();
    index.clear().unwrap();
    for batch in papers.chunks(10) {
        index.add_to_build(batch).unwrap();
        // Commits by others (none happen during a real build) make several segments to merge.
        index.apply(&[], &[], None).unwrap();
    }
    assert!(index.reader.searcher().segment_readers().len() > 1);
    assert!(!index.checkpoint().complete, "unfinished until finish_build");
    index.finish_build(99).unwrap();
    assert_eq!(
        index.reader.searcher().segment_readers().len(),
        1,
        "a small index is one segment"
    );
    assert_eq!(index.len(), 39, "every paper once, the hidden one left out");
    let segment_files = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.') && name != "meta.json")
            .map(|name| name.split('.').next().unwrap().to_string())
            .collect::<HashSet<String>>()
    };
    assert_eq!(
        segment_files(dir.path()).len(),
        1,
        "the merged segments' files are gone"
    );
    drop(index);

    let reopened = SearchIndex::open(dir.path()).unwrap();
    let complete = Checkpoint {
        schema: SCHEMA_VERSION,
        position: 99,
        complete: true,
    };
    assert_eq!(reopened.checkpoint(), complete, "the merge keeps the checkpoint");
    assert_eq!(reopened.len(), 39);
    let found = reopened
        .search(&parse("graph").unwrap(), &Filters::default(), Sort::Relevance, 0, 100)
        .unwrap();
    assert_eq!(found.hits.len(), 20);
}

#[test]
fn papers_like_one_share_its_telling_words_and_never_are_it() {
    let index = index_of_mixed_papers();
    let paper = |id: &str, title: &str, abstract_text: &str| SearchDocument {
        id: id.into(),
        title: title.into(),
        abstract_text: abstract_text.into(),
        authors: vec!["A. Author".into()],
        categories: vec!["cs.CV".into()],
        first_listed: Date::new(2026, 2, 2).ok(),
        votes: 0,
        hidden: false,
    };
    let splatting = paper(
        "2602.90001",
        "Gaussian splatting of street scenes",
        "We reconstruct street scenes with Gaussian splatting from lidar sweeps. Graph neural networks.",
    );
    index
        .apply(
            &[
                splatting.clone(),
                paper(
                    "2602.90002",
                    "Street scenes, splatted",
                    "Gaussian splatting meets lidar.",
                ),
                paper(
                    "2602.90003",
                    "Protein folding",
                    "Diffusion for protein folding. Graph neural networks.",
                ),
            ],
            &[],
            Some(10),
        )
        .unwrap();
    let ids: Vec<String> = index
        .more_like_this(&splatting, 5)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(ids[0], "2602.90002", "{ids:?}");
    assert!(!ids.contains(&splatting.id));
}
