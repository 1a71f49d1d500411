//! How text becomes terms. Titles and abstracts: words, lower-cased, accents folded, English stop
//! words dropped, Porter-stemmed (as Lucene's English analyzer does). Author names: words,
//! lower-cased, accents folded, never stemmed. Categories: the whole value, lower-cased.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer, TokenizerManager,
};

pub const PROSE: &str = "paperboy_prose";
pub const NAMES: &str = "paperboy_names";
pub const CATEGORY: &str = "paperboy_category";

pub fn register(manager: &TokenizerManager) {
    let stop_words = StopWordFilter::new(Language::English).expect("tantivy ships English stop words");
    manager.register(
        PROSE,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(stop_words)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    manager.register(
        NAMES,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    manager.register(
        CATEGORY,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

/// The forms an author's name is indexed under: as written, and first initial plus the rest
/// ("Yann LeCun" is also "Y LeCun"), so that a search with or without initials finds it.
pub fn name_forms(name: &str) -> Vec<String> {
    let parts: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || c == '.')
        .filter(|p| !p.is_empty())
        .collect();
    let mut forms = vec![name.to_string()];
    if parts.len() >= 2
        && let Some(initial) = parts[0].chars().next()
        && parts[0].chars().count() > 1
    {
        forms.push(format!("{initial} {}", parts[parts.len() - 1]));
    }
    forms
}

/// The terms `text` becomes under `analyzer` (one of this module's), in order.
pub fn terms(analyzer: &str, text: &str) -> Vec<String> {
    let manager = TokenizerManager::default();
    register(&manager);
    let Some(mut analyzer) = manager.get(analyzer) else {
        return Vec::new();
    };
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Whether an author written so on a paper is the name asked for, as `au:` matches names: the
/// same words once folded (case, accents), or the same surname with the first name's initial
/// ("Y. LeCun" is "Yann LeCun"; so, alas, is "Yves LeCun").
pub fn same_author_name(written: &str, asked: &str) -> bool {
    let initialled = |words: Vec<String>| -> Vec<String> {
        match words.as_slice() {
            [first, .., last] => vec![first.chars().next().map(String::from).unwrap_or_default(), last.clone()],
            _ => words,
        }
    };
    let (written, asked) = (terms(NAMES, written), terms(NAMES, asked));
    written == asked || initialled(written) == initialled(asked)
}

/// The archive of a category ("cs" of "cs.CV"), indexed too so that `cat:cs` finds all of cs.
pub fn archive(category: &str) -> Option<&str> {
    category.split_once('.').map(|(archive, _)| archive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_is_stemmed_folded_and_stop_words_go() {
        assert_eq!(
            terms(PROSE, "The Networks of Naïve Transformers"),
            ["network", "naiv", "transform"]
        );
        assert_eq!(terms(NAMES, "Jürgen Schmidhuber"), ["jurgen", "schmidhuber"]);
        assert_eq!(terms(CATEGORY, "cs.CV"), ["cs.cv"]);
    }

    #[test]
    fn author_names_match_folded_or_by_initial() {
        assert!(same_author_name("Jürgen Schmidhuber", "jurgen schmidhuber"));
        assert!(same_author_name("Y. LeCun", "Yann LeCun"));
        assert!(same_author_name("Yann André LeCun", "Yann LeCun"));
        assert!(!same_author_name("Yann LeCun", "Yann Dauphin"));
        assert!(!same_author_name("Plato", "Aristotle"));
    }

    #[test]
    fn names_are_also_indexed_with_an_initial() {
        assert_eq!(name_forms("Yann LeCun"), ["Yann LeCun", "Y LeCun"]);
        assert_eq!(name_forms("Y. LeCun"), ["Y. LeCun"]);
        assert_eq!(name_forms("Plato"), ["Plato"]);
    }
}
