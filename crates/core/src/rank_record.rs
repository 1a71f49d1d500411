//! What places a paper on every list at once: the rankings kept in memory hold one of these per
//! paper and derive any period's candidates from it, exactly as the database's query would.

use jiff::civil::Date;

use crate::{ArxivId, Attention, Category, RankCandidate};

/// A visible paper's days and what ranking needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankRecord {
    pub id: ArxivId,
    /// Every day arXiv listed it or a member in good standing submitted it (not hidden),
    /// ascending, without repeats.
    pub days: Vec<Date>,
    /// The day Hugging Face featured it, if it did.
    pub hugging_face_day: Option<Date>,
    pub attention: Attention,
    /// Its categories, cross-lists included.
    pub categories: Vec<Category>,
}

/// Which day a paper belongs to in a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DayBasis {
    /// The day arXiv listed it (or a member submitted it): the site's pages.
    Listing,
    /// Hugging Face's daily date where HF featured it, else the listing day: the HF-shaped API.
    HuggingFaceDaily,
}

impl RankRecord {
    /// The days this record must be found under: its listing days and Hugging Face's day.
    pub fn filed_under(&self) -> impl Iterator<Item = Date> + '_ {
        self.days
            .iter()
            .copied()
            .chain(self.hugging_face_day.filter(|day| !self.days.contains(day)))
    }

    /// The day it is dated by in a list from `first` to `last`, if it is on that list: its first
    /// listing in the range or, by Hugging Face's day, HF's day (a paper HF featured belongs to
    /// that day only).
    pub fn listed_in(&self, first: Date, last: Date, basis: DayBasis) -> Option<Date> {
        let in_range = |day: &Date| (first..=last).contains(day);
        let first_listing = self.days.iter().copied().find(in_range);
        match (basis, self.hugging_face_day) {
            (DayBasis::Listing, _) | (DayBasis::HuggingFaceDaily, None) => first_listing,
            (DayBasis::HuggingFaceDaily, Some(featured)) => in_range(&featured).then_some(featured),
        }
    }

    /// Whether a list filtered by `category` shows it: a bare archive such as `cs` matches all
    /// of its categories.
    pub fn in_category(&self, category: &Category) -> bool {
        let wanted = category.as_str();
        self.categories.iter().any(|own| {
            let own = own.as_str();
            own == wanted
                || (!wanted.contains('.') && own.strip_prefix(wanted).is_some_and(|rest| rest.starts_with('.')))
        })
    }

    /// The candidate it makes on a list from `first` to `last`, if it is on it.
    pub fn candidate(&self, first: Date, last: Date, basis: DayBasis) -> Option<RankCandidate> {
        let listed = self.listed_in(first, last, basis)?;
        Some(RankCandidate {
            id: self.id.clone(),
            listed,
            imported_votes: self.attention.imported_votes,
            local_votes: self.attention.local_votes,
            star_growth: self.attention.star_growth,
            discussion: 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn record(days: &[Date], featured: Option<Date>, categories: &[&str]) -> RankRecord {
        RankRecord {
            id: ArxivId::parse("2602.00001").expect("id"),
            days: days.to_vec(),
            hugging_face_day: featured,
            attention: Attention::default(),
            categories: categories
                .iter()
                .map(|c| Category::parse(c).expect("category"))
                .collect(),
        }
    }

    #[test]
    fn a_paper_is_dated_by_its_first_listing_in_the_range() {
        let paper = record(&[date(2026, 2, 2), date(2026, 2, 4)], None, &["cs.CL"]);
        assert_eq!(
            paper.listed_in(date(2026, 2, 1), date(2026, 2, 7), DayBasis::Listing),
            Some(date(2026, 2, 2))
        );
        assert_eq!(
            paper.listed_in(date(2026, 2, 3), date(2026, 2, 7), DayBasis::Listing),
            Some(date(2026, 2, 4))
        );
        assert_eq!(
            paper.listed_in(date(2026, 2, 5), date(2026, 2, 7), DayBasis::Listing),
            None
        );
    }

    #[test]
    fn by_hugging_faces_day_a_featured_paper_belongs_to_that_day_only() {
        let paper = record(&[date(2026, 2, 2)], Some(date(2026, 2, 5)), &["cs.CL"]);
        let day = |d: Date| paper.listed_in(d, d, DayBasis::HuggingFaceDaily);
        assert_eq!(day(date(2026, 2, 2)), None);
        assert_eq!(day(date(2026, 2, 5)), Some(date(2026, 2, 5)));
        assert_eq!(
            paper.listed_in(date(2026, 2, 2), date(2026, 2, 2), DayBasis::Listing),
            Some(date(2026, 2, 2))
        );
        assert_eq!(
            paper.filed_under().collect::<Vec<_>>(),
            [date(2026, 2, 2), date(2026, 2, 5)]
        );
        let unfeatured = record(&[date(2026, 2, 2)], None, &[]);
        let only = unfeatured.listed_in(date(2026, 2, 2), date(2026, 2, 2), DayBasis::HuggingFaceDaily);
        assert_eq!(only, Some(date(2026, 2, 2)));
    }

    #[test]
    fn an_archive_matches_its_categories_and_nothing_that_only_starts_like_it() {
        let paper = record(&[], None, &["cs.CL", "math-ph"]);
        let shows = |code: &str| paper.in_category(&Category::parse(code).expect("category"));
        assert!(shows("cs") && shows("cs.CL") && shows("math-ph"));
        assert!(!shows("cs.AI") && !shows("math") && !shows("cs.C"));
    }
}
