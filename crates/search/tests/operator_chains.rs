//! Any query the search box accepts by length, however its operators are stacked, gets an answer
//! (results or an error that says where) and never exhausts a thread's stack. A run of 240 `-`
//! once killed the whole server: the parser, the query builder and tantivy each recursed once per
//! `-`. Everything here runs on a thread with a deliberately small stack, so a level of recursion
//! per character comes back as a crash of this test.

use paperboy_core::SearchDocument;
use paperboy_search::query::MAX_QUERY_CHARS;
use paperboy_search::{Filters, SearchIndex, Sort, parse};
use proptest::prelude::*;

/// Far below the 2 MiB of a Rust thread: room for the bounded nesting, none for a level per
/// character of a 500-character query.
const SMALL_STACK: usize = 256 * 1024;

fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let paper = |id: &str, title: &str| SearchDocument {
        id: id.into(),
        title: title.into(),
        abstract_text: format!("{title}: graph neural networks and word embeddings"),
        authors: vec!["Ada Lovelace".into()],
        categories: vec!["cs.LG".into()],
        first_listed: Some(jiff::civil::date(2026, 2, 2)),
        votes: 3,
        hidden: false,
    };
    index
        .apply(&[paper("1", "word graphs"), paper("2", "attention")], &[], Some(1))
        .unwrap();
    index
}

/// Parses and, when it parses, searches in every order and highlights: what `/search` does.
fn answer(index: &SearchIndex, text: &str) -> Result<usize, String> {
    let query = parse(text).map_err(|error| {
        assert!(
            error.position <= text.chars().count(),
            "{text:?}: {error} points past the end"
        );
        error.to_string()
    })?;
    let mut found = 0;
    for sort in [Sort::Relevance, Sort::New, Sort::Votes] {
        found = index
            .search(&query, &Filters::default(), sort, 0, 10)
            .unwrap_or_else(|error| panic!("{text:?} parsed but could not be searched: {error}"))
            .total;
    }
    index.allowed(&query, &Filters::default()).unwrap();
    let _ = query.free_text();
    let _ = query.restricts();
    index.highlighter(&query).unwrap().title("word graphs");
    Ok(found)
}

/// Runs `check` on a thread with [`SMALL_STACK`].
fn on_a_small_stack(check: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(check)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn long_runs_of_one_operator_are_answered() {
    on_a_small_stack(|| {
        let index = index();
        let longest = |unit: &str, tail: &str| {
            let count = (MAX_QUERY_CHARS - tail.len()) / unit.chars().count();
            format!("{}{tail}", unit.repeat(count))
        };
        for text in [
            longest("-", "word"),
            longest("(", "word"),
            longest("-(", "word"),
            longest("(-", "word"),
            longest("ti:", "word"),
            longest("word AND ", "word"),
            longest("word OR ", "word"),
            longest("-word ", ""),
            longest("\"word\" ", ""),
            longest("au:\"ada\" OR ", "word"),
            longest(")", ""),
            longest("\"", ""),
            longest("AND ", ""),
            longest("- ", "word"),
        ] {
            assert!(text.chars().count() <= MAX_QUERY_CHARS);
            let _ = answer(&index, &text);
        }
        // The case that killed the server is refused by name, not searched.
        let error = answer(&index, &format!("{}word", "-".repeat(240))).unwrap_err();
        assert!(error.contains("nest deeper than 8"), "{error}");
        // Long flat chains are no problem and are searched.
        for chain in ["word OR ".repeat(60), "graphs AND ".repeat(45)] {
            let chain = chain.trim_end_matches(" OR ").trim_end_matches(" AND ");
            assert!(matches!(answer(&index, chain), Ok(found) if found > 0), "{chain}");
        }
    });
}

/// Pieces of the query language, stacked at random up to the longest query.
fn operator_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("-"),
        Just("("),
        Just(")"),
        Just("\""),
        Just(" "),
        Just("AND "),
        Just("OR "),
        Just("ti:"),
        Just("au:"),
        Just("abs:"),
        Just("cat:"),
        Just("word"),
        Just("graphs"),
        Just("x-y"),
        Just(":"),
        Just("*"),
    ];
    prop::collection::vec(piece, 0..250).prop_map(|pieces| {
        let text: String = pieces.concat();
        text.chars().take(MAX_QUERY_CHARS).collect()
    })
}

#[test]
fn any_stack_of_operators_gets_an_answer() {
    on_a_small_stack(|| {
        let index = index();
        let config = ProptestConfig {
            cases: 2_000,
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        proptest!(config, |(text in operator_soup())| {
            let _ = answer(&index, &text);
        });
    });
}
