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
    match Analyzer::new(analyzer) {
        Some(mut analyzer) => analyzer.terms(text),
        None => Vec::new(),
    }
}

/// One of this module's analyzers, built once and reused: building one (stemmer, stop words)
/// costs more than analysing an abstract, so loops over many texts hold one of these.
#[derive(Clone)]
pub struct Analyzer(TextAnalyzer);

impl Analyzer {
    pub fn new(name: &str) -> Option<Analyzer> {
        let manager = TokenizerManager::default();
        register(&manager);
        manager.get(name).map(Analyzer)
    }

    /// The terms `text` becomes, in order.
    pub fn terms(&mut self, text: &str) -> Vec<String> {
        let mut stream = self.0.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }
}

/// An author's name reduced to what `au:` compares: its folded words, and the first initial
/// with the surname. Computing it once per name lets a list be matched against many names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AuthorKey {
    words: Vec<String>,
    initialled: Vec<String>,
}

impl AuthorKey {
    pub fn new(analyzer: &mut Analyzer, name: &str) -> AuthorKey {
        let words = analyzer.terms(name);
        let initialled = match words.as_slice() {
            [first, .., last] => vec![first.chars().next().map(String::from).unwrap_or_default(), last.clone()],
            _ => words.clone(),
        };
        AuthorKey { words, initialled }
    }

    /// Whether the two names are the same author as `au:` matches them.
    pub fn matches(&self, other: &AuthorKey) -> bool {
        !self.words.is_empty() && (self.words == other.words || self.initialled == other.initialled)
    }
}

/// Whether an author written so on a paper is the name asked for, as `au:` matches names: the
/// same words once folded (case, accents), or the same surname with the first name's initial
/// ("Y. LeCun" is "Yann LeCun"; so, alas, is "Yves LeCun").
pub fn same_author_name(written: &str, asked: &str) -> bool {
    let mut names = Analyzer::new(NAMES).expect("registered above");
    AuthorKey::new(&mut names, written).matches(&AuthorKey::new(&mut names, asked))
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
