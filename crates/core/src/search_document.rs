/// What the search index knows of a paper: the text it matches and the values it filters and
/// sorts by. The store produces these; the index is rebuilt from them at any time.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchDocument {
    /// An arXiv id for papers; any unique string for other collections (a BEIR corpus).
    pub id: String,
    pub title: String,
    pub abstract_text: String,
    pub authors: Vec<String>,
    /// Primary first, cross-lists after.
    pub categories: Vec<String>,
    pub first_listed: Option<jiff::civil::Date>,
    /// Imported plus local votes.
    pub votes: i64,
    /// Hidden by a moderator: kept out of the index.
    pub hidden: bool,
}
