//! The index and the query language together, on a handful of papers written for each rule.

use paperboy_core::{Date, SearchDocument};
use paperboy_search::{Filters, SearchIndex, Sort, parse};

fn document(
    id: &str,
    title: &str,
    abstract_text: &str,
    authors: &[&str],
    categories: &[&str],
    listed: &str,
    votes: i64,
) -> SearchDocument {
    SearchDocument {
        id: id.into(),
        title: title.into(),
        abstract_text: abstract_text.into(),
        authors: authors.iter().map(|a| a.to_string()).collect(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        first_listed: Some(listed.parse().unwrap()),
        votes,
        hidden: false,
    }
}

fn papers() -> Vec<SearchDocument> {
    vec![
        document(
            "1",
            "Diffusion models for video",
            "We generate clips with a sampler.",
            &["Yann LeCun"],
            &["cs.CV"],
            "2026-02-02",
            5,
        ),
        document(
            "2",
            "Sampling clips quickly",
            "A diffusion sampler for video generation.",
            &["Felicia Körner"],
            &["cs.LG", "cs.CV"],
            "2026-02-05",
            50,
        ),
        document(
            "3",
            "Image editing with language",
            "Instructions drive image editing in diffusion models.",
            &["J. Smith"],
            &["cs.CL"],
            "2026-02-10",
            1,
        ),
        document(
            "4",
            "A survey of diffusion",
            "We survey diffusion models for images and video.",
            &["Ada Lovelace"],
            &["stat.ML"],
            "2026-01-20",
            0,
        ),
    ]
}

fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index.apply(&papers(), &[], Some(4)).unwrap();
    index
}

fn ids(index: &SearchIndex, query: &str) -> Vec<String> {
    ids_with(index, query, &Filters::default(), Sort::Relevance)
}

fn ids_with(index: &SearchIndex, query: &str, filters: &Filters, sort: Sort) -> Vec<String> {
    let parsed = parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    index
        .search(&parsed, filters, sort, 0, 10)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn title_matches_outrank_abstract_matches() {
    let index = index();
    // Papers 1 and 2 both hold "video" once; only paper 1 in its title.
    assert_eq!(ids(&index, "video")[0], "1");
    assert_eq!(ids(&index, "sampling clips")[0], "2");
}

#[test]
fn words_rank_phrases_and_prefixes_must_match_and_exclusions_exclude() {
    let index = index();
    assert_eq!(ids(&index, "video").len(), 3, "1, 2 and 4 mention video");
    assert_eq!(ids(&index, "\"image editing\""), ["3"]);
    assert_eq!(ids(&index, "diffusion -video"), ["3"]);
    let mut titled = ids(&index, "ti:diffusion");
    titled.sort();
    assert_eq!(titled, ["1", "4"]);
    assert_eq!(ids(&index, "abs:instructions"), ["3"]);
    assert_eq!(ids(&index, "video cat:stat.ML"), ["4"]);
    assert_eq!(ids(&index, "cat:cs").len(), 3, "an archive holds its categories");
    assert_eq!(ids(&index, "(survey OR instructions) AND diffusion").len(), 2);
    assert!(ids(&index, "the of").is_empty(), "stop words alone match nothing");
    assert_eq!(ids(&index, "models").len(), 3, "stemming: model, models");
}

#[test]
fn authors_match_with_and_without_initials_and_accents() {
    let index = index();
    for query in [
        "au:lecun",
        "au:\"Yann LeCun\"",
        "au:\"Y. LeCun\"",
        "au:\"Y LeCun\"",
        "lecun",
    ] {
        assert_eq!(ids(&index, query), ["1"], "{query}");
    }
    for query in ["au:korner", "au:Körner", "au:\"F. Korner\"", "au:\"Felicia Korner\""] {
        assert_eq!(ids(&index, query), ["2"], "{query}");
    }
    assert_eq!(
        ids(&index, "au:\"John Smith\""),
        ["3"],
        "a full name finds its initialled form"
    );
    assert!(ids(&index, "au:\"Felicia LeCun\"").is_empty());
}

#[test]
fn filters_and_sorts() {
    let index = index();
    let date = |text: &str| Some(text.parse::<Date>().unwrap());
    let february = Filters {
        categories: vec![],
        from: date("2026-02-01"),
        until: date("2026-02-05"),
    };
    let mut found = ids_with(&index, "video", &february, Sort::Relevance);
    found.sort();
    assert_eq!(found, ["1", "2"]);
    let vision = Filters {
        categories: vec!["cs.CV".into(), "stat.ML".into()],
        from: None,
        until: None,
    };
    assert_eq!(ids_with(&index, "video", &vision, Sort::New), ["2", "1", "4"]);
    assert_eq!(
        ids_with(&index, "video", &Filters::default(), Sort::Votes),
        ["2", "1", "4"]
    );
    assert_eq!(
        ids_with(&index, "", &Filters::default(), Sort::New),
        ["3", "2", "1", "4"],
        "no words: everything"
    );
    let page = index
        .search(&parse("video").unwrap(), &Filters::default(), Sort::New, 1, 1)
        .unwrap();
    assert_eq!((page.total, page.hits.len(), page.hits[0].id.as_str()), (3, 1, "1"));
}

#[test]
fn changes_replace_and_hidden_papers_leave() {
    let index = index();
    let mut changed = papers();
    changed[0].title = "Autoregressive models for video".into();
    changed[1].hidden = true;
    index.apply(&changed[..2], &["4".to_string()], Some(7)).unwrap();
    assert_eq!(index.len(), 2);
    assert_eq!(ids(&index, "autoregressive"), ["1"]);
    assert!(ids(&index, "au:korner").is_empty());
    assert_eq!(index.checkpoint().position, 7);
}

#[test]
fn highlights_mark_what_matched() {
    let index = index();
    let highlighter = index
        .highlighter(&parse("diffusion \"image editing\"").unwrap())
        .unwrap();
    let title = highlighter.title("Image editing with language");
    assert_eq!(
        title.pieces(),
        [
            ("Image", true),
            (" ", false),
            ("editing", true),
            (" with language", false)
        ]
        .map(|(t, m)| (t, m))
    );
    let excerpt = highlighter.abstract_excerpt("Instructions drive image editing in diffusion models.");
    assert!(
        excerpt
            .pieces()
            .iter()
            .any(|(text, marked)| *marked && *text == "diffusion")
    );
}
