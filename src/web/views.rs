//! The view kit of server-rendered HTML pages: the layout, cards, error pages. Templates live in
//! `templates/`; the view structs here hold only display-ready strings, and askama escapes every
//! one of them. Page handlers are in `pages/`.

use askama::Template;
use axum::http::StatusCode;
use paperboy_core::{CodeLink, Paper};

use crate::lists::Entry;

pub struct Meta {
    /// `name` for `citation_*`, `property` for Open Graph.
    pub attribute: &'static str,
    pub name: String,
    pub content: String,
}

pub struct FeedLink {
    pub label: &'static str,
    pub title: String,
    pub href: String,
    pub mime: &'static str,
}

impl FeedLink {
    /// The Atom, RSS and JSON feeds at `{base}/feed.{kind}{query}`, titled for `what`.
    pub fn all(base: &str, query: &str, what: &str) -> Vec<FeedLink> {
        [
            ("Atom", "atom", "application/atom+xml"),
            ("RSS", "rss", "application/rss+xml"),
            ("JSON Feed", "json", "application/feed+json"),
        ]
        .into_iter()
        .map(|(label, extension, mime)| FeedLink {
            label,
            title: format!("{label} feed of {what}"),
            href: format!("{base}/feed.{extension}{query}"),
            mime,
        })
        .collect()
    }
}

/// What every page's frame needs.
pub struct Layout {
    pub title: String,
    pub instance_name: String,
    pub assets: &'static str,
    pub meta: Vec<Meta>,
    pub canonical: Option<String>,
    pub feeds: Vec<FeedLink>,
    /// The search box's text.
    pub query: String,
    /// Structured data (schema.org JSON-LD), already escaped for a `<script>` element.
    pub json_ld: Option<String>,
}

impl Layout {
    pub fn new(title: String, instance_name: &str) -> Layout {
        Layout {
            title,
            instance_name: instance_name.to_owned(),
            assets: ASSET_PREFIX,
            meta: Vec::new(),
            canonical: None,
            feeds: Vec::new(),
            query: String::new(),
            json_ld: None,
        }
    }
}

pub struct CodeView {
    pub label: String,
    pub url: String,
}

impl CodeView {
    pub fn from_link(link: &CodeLink) -> CodeView {
        CodeView {
            label: link.host.label().to_owned(),
            url: link.url.clone(),
        }
    }
}

/// A paper as a card in a list.
pub struct CardView {
    pub id: String,
    /// Where the vote form comes back to.
    pub back: String,
    pub anchor: String,
    pub href: String,
    pub title: String,
    pub authors: Vec<AuthorLink>,
    pub more_authors: usize,
    pub abstract_text: String,
    pub votes: i64,
    pub categories: Vec<String>,
    pub abs_url: String,
    pub pdf_url: String,
    pub code: Option<CodeView>,
    pub listed: String,
    pub show_listed: bool,
    pub submitted_by: Option<String>,
    /// Set on search results: the title and an excerpt with the matches marked.
    pub highlight: Option<HighlightView>,
    /// Set on "For you": why the paper is there.
    pub reason: Option<String>,
    /// Comments others can read on the paper.
    pub comments: i64,
}

pub struct HighlightView {
    pub title: Vec<(String, bool)>,
    pub excerpt: Vec<(String, bool)>,
    /// Whether the excerpt is cut from a longer abstract.
    pub cut: bool,
}

impl HighlightView {
    pub fn new(title: &paperboy_search::Highlight, excerpt: &paperboy_search::Highlight) -> HighlightView {
        HighlightView {
            title: pieces(title),
            excerpt: pieces(excerpt),
            cut: excerpt.excerpt,
        }
    }
}

/// An author's name, linked to their page.
pub struct AuthorLink {
    pub name: String,
    pub href: String,
}

/// The link to an author's page.
pub fn author_href(name: &str) -> String {
    format!("/authors/{}", percent_encode(name))
}

/// Authors as links to their pages.
pub fn author_links(names: &[String]) -> Vec<AuthorLink> {
    names
        .iter()
        .map(|name| AuthorLink {
            href: author_href(name),
            name: name.clone(),
        })
        .collect()
}

/// Long author lists are cut here on cards; the paper page shows them all.
const AUTHORS_ON_CARD: usize = 5;

impl CardView {
    pub fn from_entry(entry: &Entry, show_listed: bool, back: &str) -> CardView {
        let paper = &entry.paper;
        let shown = paper.authors.len().min(AUTHORS_ON_CARD);
        CardView {
            id: paper.id.to_string(),
            back: back.to_owned(),
            anchor: paper.id.as_str().replace('/', "-"),
            href: paper_path(paper),
            title: paper.title.clone(),
            authors: author_links(&paper.authors[..shown]),
            more_authors: paper.authors.len() - shown,
            abstract_text: paper.abstract_text.clone(),
            votes: entry.score.votes(),
            categories: paper.categories.iter().map(|c| c.to_string()).collect(),
            abs_url: paper.id.abs_url(),
            pdf_url: paper.id.pdf_url(),
            code: paper.code_links.first().map(CodeView::from_link),
            listed: human_date(entry.listed),
            show_listed,
            submitted_by: entry.submitted_by.clone(),
            highlight: None,
            reason: None,
            comments: entry.comments,
        }
    }
}

pub fn paper_path(paper: &Paper) -> String {
    format!("/papers/{}", paper.id)
}

pub use paperboy_core::human_date;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
}

/// The HTML for an error; never fails (falls back to plain text).
pub fn error_page(instance_name: &str, status: StatusCode, message: &str) -> String {
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found".to_owned(),
        StatusCode::BAD_REQUEST => "That request did not work".to_owned(),
        _ => "Something went wrong".to_owned(),
    };
    let page = ErrorPage {
        layout: Layout::new(heading.clone(), instance_name),
        heading,
        message: message.to_owned(),
    };
    page.render().unwrap_or_else(|_| escape_html(message))
}

/// Escapes text for HTML where no template is involved.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Highlight pieces for templates: text and whether it is a match.
pub fn pieces(highlight: &paperboy_search::Highlight) -> Vec<(String, bool)> {
    highlight
        .pieces()
        .into_iter()
        .map(|(text, marked)| (text.to_string(), marked))
        .collect()
}

/// Where assets are served; changes with every release (and KaTeX update, see
/// `static/katex/README.md`) so cached copies never go stale.
pub const ASSET_PREFIX: &str = concat!("/static/", env!("CARGO_PKG_VERSION"), "-katex-0.16.22");

/// Percent-encodes a query value (RFC 3986 unreserved characters and `/` stay as they are).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
