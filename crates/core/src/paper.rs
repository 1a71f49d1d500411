//! A paper as Paperboy knows it, and how what one source says is merged into what we hold.

use std::collections::BTreeSet;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::{ArxivId, Category, CodeLink, extract_code_links};

/// Everything we know about one arXiv paper. A record from a single source fills only what that
/// source knows: empty strings, empty lists and `None` mean "not said", never "erase".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paper {
    pub id: ArxivId,
    pub latest_version: Option<u32>,
    pub title: String,
    pub abstract_text: String,
    pub authors: Vec<String>,
    pub primary_category: Option<Category>,
    /// All categories, the primary one first.
    pub categories: Vec<Category>,
    pub comment: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    pub license: Option<String>,
    /// When v1 was submitted.
    pub first_version_date: Option<Date>,
    /// When the latest known version was submitted.
    pub latest_version_date: Option<Date>,
    /// The days arXiv announced (listed) the paper as new or cross-listed.
    pub listing_dates: BTreeSet<Date>,
    pub code_links: Vec<CodeLink>,
    /// Vote counts imported from other communities, one per source.
    pub community_votes: Vec<CommunityVotes>,
}

/// A vote count read from another community (e.g. Hugging Face upvotes), as of `read_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityVotes {
    pub source: String,
    pub votes: i64,
    pub read_at: Option<Timestamp>,
    /// The day that community featured the paper (Hugging Face's daily-papers date).
    pub featured_on: Option<Date>,
}

/// What merging one record into the stored paper did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeOutcome {
    New,
    Updated,
    Unchanged,
}

impl Paper {
    /// A record that knows nothing but the id.
    pub fn new(id: ArxivId) -> Paper {
        Paper {
            id,
            latest_version: None,
            title: String::new(),
            abstract_text: String::new(),
            authors: Vec::new(),
            primary_category: None,
            categories: Vec::new(),
            comment: None,
            journal_ref: None,
            doi: None,
            license: None,
            first_version_date: None,
            latest_version_date: None,
            listing_dates: BTreeSet::new(),
            code_links: Vec::new(),
            community_votes: Vec::new(),
        }
    }

    /// The first day arXiv listed the paper: the day it belongs to on daily pages.
    pub fn first_listed(&self) -> Option<Date> {
        self.listing_dates.first().copied()
    }

    /// Adds the code links found in the abstract and comment to the explicit ones.
    pub fn with_extracted_code_links(mut self) -> Paper {
        let mut found = extract_code_links(&self.abstract_text);
        if let Some(comment) = &self.comment {
            found.extend(extract_code_links(comment));
        }
        for link in found {
            if !self.code_links.contains(&link) {
                self.code_links.push(link);
            }
        }
        self
    }

    /// Merges what a source says about this paper into what we hold.
    ///
    /// Rules: a record about an older version than the stored one only fills gaps (it must not
    /// roll back a v2 title to v1); otherwise every field the record knows replaces ours.
    /// Listing dates, categories and code links are unions; the earliest v1 date and the latest
    /// version date win; imported votes replace the earlier count of the same source, never add.
    pub fn merge(&mut self, incoming: Paper) -> bool {
        debug_assert_eq!(self.id, incoming.id);
        let before = self.clone();
        let older = match (incoming.latest_version, self.latest_version) {
            (Some(theirs), Some(ours)) => theirs < ours,
            _ => false,
        };
        let take_text = |ours: &mut String, theirs: String| {
            if !theirs.is_empty() && (!older || ours.is_empty()) {
                *ours = theirs;
            }
        };
        take_text(&mut self.title, incoming.title);
        take_text(&mut self.abstract_text, incoming.abstract_text);
        if !incoming.authors.is_empty() && (!older || self.authors.is_empty()) {
            self.authors = incoming.authors;
        }
        let take_option = |ours: &mut Option<String>, theirs: Option<String>| {
            if theirs.is_some() && (!older || ours.is_none()) {
                *ours = theirs;
            }
        };
        take_option(&mut self.comment, incoming.comment);
        take_option(&mut self.journal_ref, incoming.journal_ref);
        take_option(&mut self.doi, incoming.doi);
        take_option(&mut self.license, incoming.license);

        self.latest_version = self.latest_version.max(incoming.latest_version);
        self.first_version_date = min_known(self.first_version_date, incoming.first_version_date);
        self.latest_version_date = self.latest_version_date.max(incoming.latest_version_date);

        if let Some(primary) = incoming.primary_category
            && (!older || self.primary_category.is_none())
        {
            self.primary_category = Some(primary);
        }
        let mut categories: Vec<Category> = self.primary_category.iter().cloned().collect();
        for category in self.categories.drain(..).chain(incoming.categories) {
            if !categories.contains(&category) {
                categories.push(category);
            }
        }
        self.categories = categories;

        self.listing_dates.extend(incoming.listing_dates);
        for link in incoming.code_links {
            if !self.code_links.contains(&link) {
                self.code_links.push(link);
            }
        }
        for votes in incoming.community_votes {
            match self.community_votes.iter_mut().find(|held| held.source == votes.source) {
                // A count read earlier than the one we hold is stale.
                Some(held) if held.read_at.is_some() && votes.read_at < held.read_at => {}
                Some(held) => *held = votes,
                None => self.community_votes.push(votes),
            }
        }
        self.community_votes.sort_by(|a, b| a.source.cmp(&b.source));
        *self != before
    }

    /// Total imported votes across sources.
    pub fn imported_votes(&self) -> i64 {
        self.community_votes.iter().map(|votes| votes.votes).sum()
    }
}

fn min_known(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn paper(version: Option<u32>, title: &str) -> Paper {
        let mut paper = Paper::new(ArxivId::parse("2503.11677").unwrap());
        paper.latest_version = version;
        paper.title = title.to_owned();
        paper
    }

    #[test]
    fn newer_version_updates_and_older_one_does_not_roll_back() {
        let mut held = paper(Some(1), "First title");
        assert!(held.merge(paper(Some(2), "Second title")));
        assert_eq!((held.title.as_str(), held.latest_version), ("Second title", Some(2)));
        assert!(!held.merge(paper(Some(1), "First title")));
        assert_eq!(held.title, "Second title");
    }

    #[test]
    fn a_poorer_source_fills_gaps_without_erasing() {
        let mut held = paper(Some(2), "Title");
        held.doi = Some("10.1/x".into());
        held.categories = vec![Category::parse("cs.CL").unwrap(), Category::parse("cs.AI").unwrap()];
        held.primary_category = Some(Category::parse("cs.CL").unwrap());
        let mut poorer = paper(None, "");
        poorer.categories = vec![Category::parse("cs.CL").unwrap()];
        poorer.listing_dates.insert(date(2026, 2, 3));
        assert!(held.merge(poorer));
        assert_eq!(held.title, "Title");
        assert_eq!(held.doi.as_deref(), Some("10.1/x"));
        assert_eq!(held.categories.len(), 2);
        assert_eq!(held.first_listed(), Some(date(2026, 2, 3)));
    }

    #[test]
    fn imported_votes_replace_never_add() {
        let mut held = paper(None, "T");
        let votes = |count, day| CommunityVotes {
            source: "huggingface".into(),
            votes: count,
            read_at: Some(
                date(2026, 2, day)
                    .at(0, 0, 0, 0)
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .unwrap()
                    .timestamp(),
            ),
            featured_on: None,
        };
        let mut first = paper(None, "");
        first.community_votes.push(votes(10, 10));
        held.merge(first.clone());
        assert!(!held.merge(first), "same count again changes nothing");
        let mut later = paper(None, "");
        later.community_votes.push(votes(25, 19));
        held.merge(later);
        assert_eq!(held.imported_votes(), 25);
        let mut stale = paper(None, "");
        stale.community_votes.push(votes(3, 1));
        held.merge(stale);
        assert_eq!(held.imported_votes(), 25, "an older reading does not win");
    }

    proptest! {
        #[test]
        fn merging_is_idempotent(version in proptest::option::of(1u32..5), title in "[a-z ]{0,12}", day in 1i8..28) {
            let mut record = paper(version, &title);
            record.listing_dates.insert(date(2026, 2, day));
            let mut held = paper(Some(2), "held");
            held.merge(record.clone());
            let once = held.clone();
            prop_assert!(!held.merge(record));
            prop_assert_eq!(held, once);
        }
    }
}
