//! Marking what a query matched: a title whole, an abstract by its best excerpt.

use std::ops::Range;

use tantivy::snippet::SnippetGenerator;

/// A text with the parts that matched the query marked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Highlight {
    pub text: String,
    pub marks: Vec<Range<usize>>,
    /// Whether `text` is cut from a longer text.
    pub excerpt: bool,
}

impl Highlight {
    /// The text in pieces, each with whether it is marked.
    pub fn pieces(&self) -> Vec<(&str, bool)> {
        let mut pieces = Vec::new();
        let mut at = 0;
        for mark in &self.marks {
            if mark.start > at {
                pieces.push((&self.text[at..mark.start], false));
            }
            pieces.push((&self.text[mark.clone()], true));
            at = mark.end;
        }
        if at < self.text.len() {
            pieces.push((&self.text[at..], false));
        }
        pieces
    }
}

/// Marks matches in the text of search results.
pub struct Highlighter {
    title: SnippetGenerator,
    abstract_text: SnippetGenerator,
}

impl Highlighter {
    pub(crate) fn new(title: SnippetGenerator, abstract_text: SnippetGenerator) -> Highlighter {
        Highlighter { title, abstract_text }
    }

    pub fn title(&self, title: &str) -> Highlight {
        let snippet = self.title.snippet(title);
        if snippet.is_empty() {
            return Highlight {
                text: title.to_string(),
                marks: Vec::new(),
                excerpt: false,
            };
        }
        Highlight {
            text: title.to_string(),
            marks: shift(snippet.highlighted(), snippet.fragment_range().start),
            excerpt: false,
        }
    }

    /// The best passage of the abstract; the abstract's start when nothing in it matched.
    pub fn abstract_excerpt(&self, abstract_text: &str) -> Highlight {
        let snippet = self.abstract_text.snippet(abstract_text);
        if snippet.is_empty() || snippet.highlighted().is_empty() {
            let end = abstract_text
                .char_indices()
                .nth(300)
                .map_or(abstract_text.len(), |(i, _)| i);
            return Highlight {
                text: abstract_text[..end].to_string(),
                marks: Vec::new(),
                excerpt: end < abstract_text.len(),
            };
        }
        Highlight {
            text: snippet.fragment().to_string(),
            marks: snippet.highlighted().to_vec(),
            excerpt: snippet.fragment().len() < abstract_text.len(),
        }
    }
}

/// Ranges relative to a fragment made relative to the whole text.
fn shift(ranges: &[Range<usize>], by: usize) -> Vec<Range<usize>> {
    ranges.iter().map(|r| r.start + by..r.end + by).collect()
}
