//! What a digest subscriber asked for — how often, which topics, how many papers — and the
//! period one digest covers. The rules for picking a subscriber's papers live here, so the
//! pages, the composer and the tests agree on them.

use std::fmt;

use jiff::civil::{Date, Weekday};

use crate::{Category, Paper, Period, human_date};

/// Papers per digest when the subscriber does not say.
pub const DEFAULT_MAX_PAPERS: u32 = 10;
/// The most a subscriber may ask for: more than this is a list, not a digest.
pub const MAX_PAPERS_LIMIT: u32 = 50;
const MAX_KEYWORDS: usize = 20;
const MAX_CATEGORIES: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Frequency {
    Daily,
    Weekly,
}

impl Frequency {
    pub fn parse(text: &str) -> Result<Frequency, PreferencesError> {
        match text.trim() {
            "daily" | "" => Ok(Frequency::Daily),
            "weekly" => Ok(Frequency::Weekly),
            other => Err(PreferencesError::Frequency(other.chars().take(40).collect())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreferencesError {
    #[error("frequency must be daily or weekly, not {0:?}")]
    Frequency(String),
    #[error("categories: {0}")]
    Category(String),
    #[error("at most {MAX_CATEGORIES} categories")]
    TooManyCategories,
    #[error("at most {MAX_KEYWORDS} keywords, each up to 60 characters")]
    Keywords,
    #[error("max_papers must be a number from 1 to {MAX_PAPERS_LIMIT}, not {0:?}")]
    MaxPapers(String),
}

/// What one subscriber wants in each digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestPreferences {
    pub frequency: Frequency,
    /// Empty: every category. A bare archive (`cs`) takes all of its categories.
    pub categories: Vec<Category>,
    /// Empty: no keyword filter. Otherwise a paper must mention one of them (any case) in its
    /// title or abstract.
    pub keywords: Vec<String>,
    pub max_papers: u32,
    /// A member's digest ranked by their "For you" list instead of the trending one.
    pub for_you: bool,
}

impl Default for DigestPreferences {
    fn default() -> DigestPreferences {
        DigestPreferences {
            frequency: Frequency::Daily,
            categories: Vec::new(),
            keywords: Vec::new(),
            max_papers: DEFAULT_MAX_PAPERS,
            for_you: false,
        }
    }
}

impl DigestPreferences {
    /// Reads the fields of a subscribe or manage form. Categories are separated by commas or
    /// spaces (`cs.CL, cs.LG`), keywords by commas (`diffusion, state space model`).
    pub fn parse(
        frequency: &str,
        categories: &str,
        keywords: &str,
        max_papers: &str,
    ) -> Result<DigestPreferences, PreferencesError> {
        let frequency = Frequency::parse(frequency)?;
        let mut parsed_categories: Vec<Category> = Vec::new();
        for text in categories
            .split([',', ' ', '\n', '\t'])
            .filter(|t| !t.trim().is_empty())
        {
            let category = Category::known(text).map_err(|error| PreferencesError::Category(error.to_string()))?;
            if !parsed_categories.contains(&category) {
                parsed_categories.push(category);
            }
        }
        if parsed_categories.len() > MAX_CATEGORIES {
            return Err(PreferencesError::TooManyCategories);
        }
        let mut parsed_keywords: Vec<String> = Vec::new();
        for keyword in keywords.split(',') {
            let keyword = keyword.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            if keyword.is_empty() {
                continue;
            }
            if keyword.chars().count() > 60 || keyword.contains(char::is_control) {
                return Err(PreferencesError::Keywords);
            }
            if !parsed_keywords.contains(&keyword) {
                parsed_keywords.push(keyword);
            }
        }
        if parsed_keywords.len() > MAX_KEYWORDS {
            return Err(PreferencesError::Keywords);
        }
        let max_papers = match max_papers.trim() {
            "" => DEFAULT_MAX_PAPERS,
            text => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PAPERS_LIMIT).contains(n))
                .ok_or_else(|| PreferencesError::MaxPapers(text.chars().take(20).collect()))?,
        };
        Ok(DigestPreferences {
            frequency,
            categories: parsed_categories,
            keywords: parsed_keywords,
            max_papers,
            // Only a member's own account page offers it.
            for_you: false,
        })
    }

    /// Whether a paper belongs in this subscriber's digest (cross-lists count as the category).
    pub fn matches(&self, paper: &Paper) -> bool {
        let in_category = self.categories.is_empty()
            || self.categories.iter().any(|wanted| {
                paper.categories.iter().any(|category| {
                    category == wanted || (!wanted.as_str().contains('.') && category.archive() == wanted.as_str())
                })
            });
        if !in_category {
            return false;
        }
        if self.keywords.is_empty() {
            return true;
        }
        let text = format!("{} {}", paper.title, paper.abstract_text).to_lowercase();
        self.keywords.iter().any(|keyword| contains_phrase(&text, keyword))
    }

    /// What the subscriber chose, in words: "all categories", or "in cs.CL, mentioning speech".
    pub fn topics(&self) -> String {
        let mut parts = Vec::new();
        if !self.categories.is_empty() {
            parts.push(format!("in {}", self.categories_text()));
        }
        if !self.keywords.is_empty() {
            parts.push(format!("mentioning {}", self.keywords_text()));
        }
        if parts.is_empty() {
            "all categories".to_owned()
        } else {
            parts.join(", ")
        }
    }

    pub fn categories_text(&self) -> String {
        self.categories
            .iter()
            .map(Category::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn keywords_text(&self) -> String {
        self.keywords.join(", ")
    }
}

/// `phrase` occurs in `text` starting and ending at word boundaries ("llm" does not match
/// "fullmoon", but does match "LLMs"-free text "llm-based").
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric();
    text.match_indices(phrase).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + phrase.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(|c| is_word(c) && c != 's')
    })
}

/// The listing days one digest covers: a day for daily digests, an ISO week for weekly ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DigestPeriod {
    pub frequency: Frequency,
    pub period: Period,
}

impl DigestPeriod {
    /// The daily digest of `date`, or the weekly digest of the ISO week holding `date`.
    pub fn containing(frequency: Frequency, date: Date) -> DigestPeriod {
        let period = match frequency {
            Frequency::Daily => Period::Day(date),
            Frequency::Weekly => Period::week_of(date),
        };
        DigestPeriod { frequency, period }
    }

    /// The key the delivery queue is unique on, with the subscription: `daily:2026-02-13`,
    /// `weekly:2026-W07`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.frequency, self.period)
    }

    /// Reads a key made by [`DigestPeriod::key`].
    pub fn parse_key(key: &str) -> Option<DigestPeriod> {
        let (frequency, period) = key.split_once(':')?;
        let frequency = Frequency::parse(frequency).ok()?;
        let period = match frequency {
            Frequency::Daily => Period::parse_day(period).ok()?,
            Frequency::Weekly => Period::parse_week(period).ok()?,
        };
        Some(DigestPeriod { frequency, period })
    }

    pub fn bounds(&self) -> (Date, Date) {
        self.period.bounds()
    }

    /// "Thu, 12 Feb 2026" for a day; "week of Mon, 9 Feb 2026" for a week.
    pub fn label(&self) -> String {
        let day = human_date(self.bounds().0);
        match self.frequency {
            Frequency::Daily => day,
            Frequency::Weekly => format!("week of {day}"),
        }
    }
}

/// A weekday from its English name or its first three letters or more, for configuration.
pub fn parse_weekday(text: &str) -> Option<Weekday> {
    let lower = text.trim().to_lowercase();
    [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ]
    .into_iter()
    .find(|weekday| lower.len() >= 3 && format!("{weekday:?}").to_lowercase().starts_with(&lower))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArxivId;
    use jiff::civil::date;

    fn paper(categories: &[&str], title: &str) -> Paper {
        let mut paper = Paper::new(ArxivId::parse("2602.00001").unwrap());
        paper.categories = categories.iter().map(|c| Category::parse(c).unwrap()).collect();
        paper.title = title.to_owned();
        paper
    }

    #[test]
    fn forms_are_read_with_clear_errors() {
        let preferences = DigestPreferences::parse("weekly", "cs.CL, cs.lg cs.CL", " Diffusion ,  state  space ,", "")
            .expect("valid");
        assert_eq!(preferences.frequency, Frequency::Weekly);
        assert_eq!(preferences.categories_text(), "cs.CL, cs.LG");
        assert_eq!(preferences.keywords, ["diffusion", "state space"]);
        assert_eq!(preferences.max_papers, DEFAULT_MAX_PAPERS);
        assert_eq!(
            preferences.topics(),
            "in cs.CL, cs.LG, mentioning diffusion, state space"
        );
        assert_eq!(DigestPreferences::default().topics(), "all categories");
        assert_eq!(
            DigestPreferences::parse("hourly", "", "", "").unwrap_err().to_string(),
            "frequency must be daily or weekly, not \"hourly\""
        );
        assert!(
            DigestPreferences::parse("daily", "cs.XX", "", "")
                .unwrap_err()
                .to_string()
                .contains("cs.XX")
        );
        assert!(DigestPreferences::parse("daily", "", "", "0").is_err());
        assert!(DigestPreferences::parse("daily", "", "", "51").is_err());
        assert_eq!(DigestPreferences::parse("daily", "", "", "50").unwrap().max_papers, 50);
    }

    #[test]
    fn papers_match_by_category_archive_and_keyword() {
        let only_cl = DigestPreferences::parse("daily", "cs.CL", "", "").unwrap();
        assert!(only_cl.matches(&paper(&["cs.LG", "cs.CL"], "x")), "cross-lists count");
        assert!(!only_cl.matches(&paper(&["cs.LG"], "x")));
        let archive = DigestPreferences::parse("daily", "math", "", "").unwrap();
        assert!(archive.matches(&paper(&["math.CO"], "x")));
        assert!(!archive.matches(&paper(&["cs.CO"], "x")));
        let keywords = DigestPreferences::parse("daily", "", "LLM, diffusion", "").unwrap();
        assert!(keywords.matches(&paper(&["cs.LG"], "Scaling LLMs for reasoning")));
        assert!(keywords.matches(&paper(&["cs.LG"], "Latent Diffusion, revisited")));
        assert!(!keywords.matches(&paper(&["cs.LG"], "A fullmoon of transformers")));
        assert!(DigestPreferences::default().matches(&paper(&["q-bio.NC"], "anything")));
    }

    #[test]
    fn periods_have_keys_and_labels() {
        let day = DigestPeriod::containing(Frequency::Daily, date(2026, 2, 12));
        assert_eq!(day.key(), "daily:2026-02-12");
        assert_eq!(day.label(), "Thu, 12 Feb 2026");
        let week = DigestPeriod::containing(Frequency::Weekly, date(2026, 2, 12));
        assert_eq!(week.key(), "weekly:2026-W07");
        assert_eq!(week.bounds(), (date(2026, 2, 9), date(2026, 2, 15)));
        assert_eq!(week.label(), "week of Mon, 9 Feb 2026");
        assert_eq!(DigestPeriod::parse_key(&week.key()), Some(week));
        assert_eq!(DigestPeriod::parse_key(&day.key()), Some(day));
        assert_eq!(DigestPeriod::parse_key("daily:2026-W07"), None);
        assert_eq!(parse_weekday("Monday"), Some(Weekday::Monday));
        assert_eq!(parse_weekday("sun"), Some(Weekday::Sunday));
        assert_eq!(parse_weekday("x"), None);
    }
}
