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
    /// What Hugging Face's daily papers say, kept apart from arXiv's record (see `merge`).
    pub hugging_face: Option<HuggingFacePaper>,
}

/// Hugging Face's view of a paper. HF is the authority for its own fields (daily date, named
/// repository, AI summary and keywords, submitter, thumbnail); its copy of the bibliographic
/// fields (title, abstract, authors, date) only fills what no arXiv source has said.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuggingFacePaper {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<Date>,
    /// The day HF's daily list featured the paper (`submittedOnDailyAt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_date: Option<Date>,
    /// The repository HF (or the authors, on HF) named for the paper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_repo: Option<CodeLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_page: Option<CodeLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_summary: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ai_keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<HuggingFaceUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// When this was read from HF; a reading older than the one held changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<Timestamp>,
    /// The bibliographic fields of the paper that hold HF's copy because arXiv has not said them.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub fills: BTreeSet<BibliographicField>,
}

/// The HF user who put a paper on the daily list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuggingFaceUser {
    /// The user name (`name`, the handle in the profile URL).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fullname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// A field that arXiv owns and that Hugging Face may fill while arXiv has not said it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BibliographicField {
    Title,
    Abstract,
    Authors,
    FirstVersionDate,
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
            hugging_face: None,
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

    /// Merges what a source says about this paper into what we hold, so that the same records
    /// merged in any order give the same paper.
    ///
    /// Precedence, field by field (docs/data.md): arXiv's sources (listings, API, OAI-PMH, RSS,
    /// Kaggle) own the bibliographic fields; a record about an older version than the stored
    /// one only fills gaps (it must not roll back a v2 title to v1); otherwise every field the
    /// record knows replaces ours. Hugging Face owns its own fields (`hugging_face`) and fills a
    /// bibliographic field only while no arXiv source has said it. Listing dates, categories and
    /// code links are unions; the earliest v1 date and the latest version date win; imported
    /// votes replace the earlier count of the same source, never add.
    pub fn merge(&mut self, mut incoming: Paper) -> bool {
        debug_assert_eq!(self.id, incoming.id);
        let before = self.clone();
        // Take HF's fills back out, so that the fields hold arXiv's word alone while merging.
        let mut held_hf = self.hugging_face.take();
        if let Some(hf) = &mut held_hf {
            self.clear_fills(hf);
        }
        let mut incoming_hf = incoming.hugging_face.take();
        if let Some(hf) = &mut incoming_hf {
            incoming.clear_fills(hf);
        }
        self.merge_arxiv(incoming);
        let hugging_face = match (held_hf, incoming_hf) {
            (Some(held), Some(theirs)) => Some(held.merged_with(theirs)),
            (held, theirs) => held.or(theirs),
        };
        if let Some(mut hf) = hugging_face {
            self.fill_from(&mut hf);
            // The repository HF named comes first: it is the one the authors chose.
            let named: Vec<CodeLink> = hf.github_repo.iter().chain(&hf.project_page).cloned().collect();
            for link in named.iter().rev() {
                self.code_links.retain(|held| held != link);
                self.code_links.insert(0, link.clone());
            }
            self.hugging_face = Some(hf);
        }
        *self != before
    }

    /// Empties the fields that hold HF's copy, leaving what arXiv said.
    fn clear_fills(&mut self, hf: &mut HuggingFacePaper) {
        for field in std::mem::take(&mut hf.fills) {
            match field {
                BibliographicField::Title => self.title.clear(),
                BibliographicField::Abstract => self.abstract_text.clear(),
                BibliographicField::Authors => self.authors.clear(),
                BibliographicField::FirstVersionDate => self.first_version_date = None,
            }
        }
    }

    /// Fills the bibliographic fields arXiv has not said with HF's copy, and records which.
    fn fill_from(&mut self, hf: &mut HuggingFacePaper) {
        if self.title.is_empty() && !hf.title.is_empty() {
            self.title = hf.title.clone();
            hf.fills.insert(BibliographicField::Title);
        }
        if self.abstract_text.is_empty() && !hf.summary.is_empty() {
            self.abstract_text = hf.summary.clone();
            hf.fills.insert(BibliographicField::Abstract);
        }
        if self.authors.is_empty() && !hf.authors.is_empty() {
            self.authors = hf.authors.clone();
            hf.fills.insert(BibliographicField::Authors);
        }
        if self.first_version_date.is_none() && hf.published_on.is_some() {
            self.first_version_date = hf.published_on;
            hf.fills.insert(BibliographicField::FirstVersionDate);
        }
    }

    /// Adds what Hugging Face says, filling what arXiv has not said.
    pub fn with_hugging_face(mut self, facts: HuggingFacePaper) -> Paper {
        let mut record = Paper::new(self.id.clone());
        record.hugging_face = Some(facts);
        self.merge(record);
        self
    }

    /// The day Hugging Face featured the paper, if it did.
    pub fn hugging_face_daily_date(&self) -> Option<Date> {
        self.hugging_face.as_ref().and_then(|hf| hf.daily_date)
    }

    /// Merges one arXiv-side record (HF's part already taken out).
    fn merge_arxiv(&mut self, incoming: Paper) {
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
    }

    /// Total imported votes across sources.
    pub fn imported_votes(&self) -> i64 {
        self.community_votes.iter().map(|votes| votes.votes).sum()
    }
}

impl HuggingFacePaper {
    /// Two readings of HF: the later one's fields win; a reading without a time is the latest.
    fn merged_with(self, theirs: HuggingFacePaper) -> HuggingFacePaper {
        let theirs_older = match (theirs.read_at, self.read_at) {
            (Some(theirs), Some(held)) => theirs < held,
            (Some(_), None) => true,
            _ => false,
        };
        let (newer, older) = if theirs_older { (self, theirs) } else { (theirs, self) };
        let text = |newer: String, older: String| if newer.is_empty() { older } else { newer };
        let list = |newer: Vec<String>, older: Vec<String>| if newer.is_empty() { older } else { newer };
        HuggingFacePaper {
            title: text(newer.title, older.title),
            summary: text(newer.summary, older.summary),
            authors: list(newer.authors, older.authors),
            published_on: newer.published_on.or(older.published_on),
            daily_date: min_known(newer.daily_date, older.daily_date),
            github_repo: newer.github_repo.or(older.github_repo),
            project_page: newer.project_page.or(older.project_page),
            ai_summary: newer.ai_summary.or(older.ai_summary),
            ai_keywords: list(newer.ai_keywords, older.ai_keywords),
            submitted_by: newer.submitted_by.or(older.submitted_by),
            thumbnail: newer.thumbnail.or(older.thumbnail),
            read_at: newer.read_at.max(older.read_at),
            fills: BTreeSet::new(),
        }
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

    /// Every order of `records` merged into one paper.
    fn every_order(records: &[Paper]) -> Vec<Paper> {
        fn permutations(items: Vec<Paper>) -> Vec<Vec<Paper>> {
            if items.len() <= 1 {
                return vec![items];
            }
            let mut all = Vec::new();
            for first in 0..items.len() {
                let mut rest = items.clone();
                let head = rest.remove(first);
                for mut tail in permutations(rest) {
                    tail.insert(0, head.clone());
                    all.push(tail);
                }
            }
            all
        }
        permutations(records.to_vec())
            .into_iter()
            .map(|order| {
                let mut held = Paper::new(order[0].id.clone());
                for record in order {
                    held.merge(record);
                }
                held
            })
            .collect()
    }

    fn hugging_face_record(title: &str, authors: &[&str]) -> Paper {
        let facts = HuggingFacePaper {
            title: title.to_owned(),
            summary: "HF's copy of the abstract.".to_owned(),
            authors: authors.iter().map(|name| name.to_string()).collect(),
            published_on: Some(date(2026, 2, 2)),
            daily_date: Some(date(2026, 2, 3)),
            github_repo: CodeLink::from_url("https://github.com/hf/named"),
            ai_summary: Some("An AI summary.".to_owned()),
            ..HuggingFacePaper::default()
        };
        paper(None, "").with_hugging_face(facts)
    }

    #[test]
    fn arxiv_owns_the_bibliographic_fields_in_every_order() {
        let mut v1 = paper(Some(1), "First $T^3$ title");
        v1.authors = vec!["A. One".into(), "B. Two".into(), "C. Three".into()];
        v1.first_version_date = Some(date(2026, 2, 1));
        v1.abstract_text = "Code at https://github.com/authors/abstract-link.".into();
        v1 = v1.with_extracted_code_links();
        let mut v2 = paper(Some(2), "Second $T^3$ title");
        v2.listing_dates.insert(date(2026, 2, 3));
        let hf = hugging_face_record("Second T^3 title", &["A. One"]);
        let results = every_order(&[v1, v2, hf.clone()]);
        for result in &results {
            assert_eq!(result, &results[0], "the order of the sources changed the paper");
        }
        let paper = &results[0];
        assert_eq!(paper.title, "Second $T^3$ title", "HF's title never replaces arXiv's");
        assert_eq!(paper.authors.len(), 3, "HF's short author list never replaces arXiv's");
        assert_eq!(paper.abstract_text, "Code at https://github.com/authors/abstract-link.");
        assert_eq!(paper.first_version_date, Some(date(2026, 2, 1)));
        let facts = paper.hugging_face.as_ref().unwrap();
        assert_eq!(facts.ai_summary.as_deref(), Some("An AI summary."));
        assert!(facts.fills.is_empty());
        assert_eq!(paper.hugging_face_daily_date(), Some(date(2026, 2, 3)));
        let urls: Vec<&str> = paper.code_links.iter().map(|link| link.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://github.com/hf/named",
                "https://github.com/authors/abstract-link"
            ],
            "the repository HF named comes first"
        );
    }

    #[test]
    fn hugging_face_fills_only_what_arxiv_has_not_said() {
        let mut listing = paper(None, "The arXiv title");
        listing.listing_dates.insert(date(2026, 2, 3));
        let hf = hugging_face_record("HF title", &["A. One", "B. Two"]);
        let results = every_order(&[listing, hf.clone()]);
        assert_eq!(results[0], results[1]);
        let paper = &results[0];
        assert_eq!(paper.title, "The arXiv title");
        assert_eq!(paper.authors, ["A. One", "B. Two"], "HF's authors fill the gap");
        assert_eq!(paper.abstract_text, "HF's copy of the abstract.");
        // When arXiv later says the authors, its list replaces HF's, whatever its version.
        let mut old_version = paper.clone();
        let mut arxiv = super::tests::paper(Some(1), "");
        arxiv.authors = vec!["A. One".into(), "B. Two".into(), "C. Three".into()];
        old_version.latest_version = Some(3);
        old_version.merge(arxiv);
        assert_eq!(old_version.authors.len(), 3);
        assert!(
            !old_version
                .hugging_face
                .unwrap()
                .fills
                .contains(&BibliographicField::Authors),
            "the authors are arXiv's now"
        );
        // HF alone: everything bibliographic is its copy, until arXiv speaks.
        assert_eq!(hf.title, "HF title");
        assert_eq!(hf.hugging_face.as_ref().unwrap().fills.len(), 4);
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
