//! The trending score: how a list view ranks papers under `sort=trending`.
//!
//! ```text
//! score = (votes + star_weight × star_growth + 1) / (age_hours + age_offset_hours) ^ gravity
//! ```
//!
//! `votes` counts every vote the paper has: imported ones (Hugging Face upvotes) and this
//! instance's own. `age_hours` runs from the paper's announcement (arXiv announces at 20:00 US
//! Eastern, which is 00:00–01:00 UTC of the listing date, so 00:00 UTC of that date) to the
//! reference time: now, or the end of the period a page shows if that is earlier, so that an old
//! week ranks as it did at its end. The `+ 1` lets unvoted papers still rank by freshness; the
//! offset keeps a paper announced a minute ago from dividing by zero; `gravity` sets how fast
//! attention fades (1.5: a day-old paper needs about 4× the votes of a 7-hour-old one).
//! `star_growth` is the stars the paper's GitHub repository gained over the last week of counts
//! (when star counts are harvested; never negative here); `star_weight` (default 0) says how many
//! votes one new star is worth.

use jiff::civil::Date;
use jiff::{Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::ArxivId;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrendingParameters {
    pub gravity: f64,
    pub age_offset_hours: f64,
    /// How many days back `/papers/trending` looks from the latest listing day.
    pub window_days: u32,
    /// Votes one GitHub star gained in the last week counts as.
    pub star_weight: f64,
}

impl Default for TrendingParameters {
    fn default() -> Self {
        TrendingParameters {
            gravity: 1.5,
            age_offset_hours: 2.0,
            window_days: 7,
            star_weight: 0.0,
        }
    }
}

/// What a score is computed from, kept with it so the API can show its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrendingScore {
    pub score: f64,
    pub imported_votes: i64,
    pub local_votes: i64,
    /// Stars the paper's repository gained in the last week.
    pub star_growth: i64,
    pub age_hours: f64,
}

impl TrendingScore {
    pub fn votes(&self) -> i64 {
        self.imported_votes + self.local_votes
    }
}

/// The start of a listing day: when arXiv made that day's papers public.
pub fn announcement_time(listing_date: Date) -> Timestamp {
    listing_date
        .to_zoned_datetime(TimeZone::UTC)
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

impl TrendingParameters {
    /// The votes a score counts: papers of the same age rank by this alone.
    pub fn weight(&self, attention: Attention) -> f64 {
        (attention.imported_votes + attention.local_votes).max(0) as f64
            + self.star_weight * attention.star_growth.max(0) as f64
    }

    pub fn score(&self, attention: Attention, announced: Date, reference: Timestamp) -> TrendingScore {
        let Attention {
            imported_votes,
            local_votes,
            star_growth,
        } = attention;
        let seconds = reference.as_second() - announcement_time(announced).as_second();
        let age_hours = (seconds as f64 / 3600.0).max(0.0);
        let votes = self.weight(attention);
        let score = (votes + 1.0) / (age_hours + self.age_offset_hours).powf(self.gravity);
        TrendingScore {
            score,
            imported_votes,
            local_votes,
            star_growth,
            age_hours,
        }
    }
}

/// What people did about a paper: the score's inputs besides its age.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attention {
    pub imported_votes: i64,
    pub local_votes: i64,
    pub star_growth: i64,
}

/// A paper to rank: what the score needs, without the paper's text.
#[derive(Clone, Debug, PartialEq)]
pub struct RankCandidate {
    pub id: ArxivId,
    /// The first day the paper was listed within the period shown.
    pub listed: Date,
    pub imported_votes: i64,
    pub local_votes: i64,
    pub star_growth: i64,
    /// How lively the paper's discussion is ([`discussion_weight`]); 0 unless the list is
    /// sorted by it.
    pub discussion: f64,
}

/// A comment counts half as much for every this many seconds it is older than the newest
/// comment considered: three days.
pub const DISCUSSION_HALF_LIFE_SECONDS: f64 = 3.0 * 86_400.0;

/// The "most discussed" weight of a paper whose comments were written at `times` (unix
/// seconds): each comment counts `2^(-(reference - t) / half-life)`, so a comment written at
/// `reference` counts 1, one three days older ½, one a month older a thousandth. Recent
/// discussion outweighs a large old one. Every paper of a list is weighed against the same
/// `reference`, and the order does not depend on which one is chosen (the factor is common), so
/// lists take their newest comment's time, which keeps the weights from underflowing.
pub fn discussion_weight(times: &[i64], reference: i64) -> f64 {
    times
        .iter()
        .map(|&t| (-((reference - t) as f64) / DISCUSSION_HALF_LIFE_SECONDS).exp2())
        .sum()
}

impl RankCandidate {
    pub fn attention(&self) -> Attention {
        Attention {
            imported_votes: self.imported_votes,
            local_votes: self.local_votes,
            star_growth: self.star_growth,
        }
    }
}

/// The orders a list view offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Trending,
    New,
    Top,
    /// Most discussed first: comments weighted by recency ([`discussion_weight`]).
    Discussed,
}

impl Sort {
    pub fn parse(text: &str) -> Option<Sort> {
        match text {
            "trending" => Some(Sort::Trending),
            "new" | "publishedAt" => Some(Sort::New),
            "top" | "votes" => Some(Sort::Top),
            "discussed" => Some(Sort::Discussed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Trending => "trending",
            Sort::New => "new",
            Sort::Top => "top",
            Sort::Discussed => "discussed",
        }
    }
}

/// Orders candidates. Ties fall to the newer paper (higher id), so orders are total and stable.
pub fn rank(
    candidates: Vec<RankCandidate>,
    sort: Sort,
    parameters: &TrendingParameters,
    reference: Timestamp,
) -> Vec<(RankCandidate, TrendingScore)> {
    let mut scored: Vec<(RankCandidate, TrendingScore)> = candidates
        .into_iter()
        .map(|candidate| {
            let score = parameters.score(candidate.attention(), candidate.listed, reference);
            (candidate, score)
        })
        .collect();
    scored.sort_by(|(a, a_score), (b, b_score)| compare(sort, (a, a_score), (b, b_score)));
    scored
}

/// Which of two scored candidates a list sorted by `sort` shows first ([`rank`]'s order).
pub fn compare(
    sort: Sort,
    (a, a_score): (&RankCandidate, &TrendingScore),
    (b, b_score): (&RankCandidate, &TrendingScore),
) -> std::cmp::Ordering {
    let newer_first = b.listed.cmp(&a.listed).then_with(|| b.id.cmp(&a.id));
    match sort {
        Sort::Trending => b_score.score.total_cmp(&a_score.score).then_with(|| newer_first),
        Sort::Top => b_score.votes().cmp(&a_score.votes()).then_with(|| newer_first),
        Sort::New => newer_first,
        Sort::Discussed => b
            .discussion
            .total_cmp(&a.discussion)
            .then_with(|| b_score.score.total_cmp(&a_score.score))
            .then_with(|| newer_first),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn noon(day: Date) -> Timestamp {
        announcement_time(day) + jiff::SignedDuration::from_hours(12)
    }

    fn candidate(id: &str, listed: Date, imported: i64, local: i64) -> RankCandidate {
        RankCandidate {
            id: ArxivId::parse(id).unwrap(),
            listed,
            imported_votes: imported,
            local_votes: local,
            star_growth: 0,
            discussion: 0.0,
        }
    }

    fn attention_of(imported: i64, local: i64) -> Attention {
        Attention {
            imported_votes: imported,
            local_votes: local,
            star_growth: 0,
        }
    }

    #[test]
    fn more_votes_rank_higher_at_equal_age_and_both_kinds_count() {
        let day = date(2026, 2, 13);
        let ranked = rank(
            vec![
                candidate("2602.00001", day, 3, 0),
                candidate("2602.00002", day, 10, 0),
                candidate("2602.00003", day, 2, 9),
            ],
            Sort::Trending,
            &TrendingParameters::default(),
            noon(day),
        );
        let order: Vec<&str> = ranked.iter().map(|(c, _)| c.id.as_str()).collect();
        assert_eq!(
            order,
            ["2602.00003", "2602.00002", "2602.00001"],
            "2 imported + 9 local beats 10 imported"
        );
    }

    #[test]
    fn star_growth_counts_only_with_a_weight() {
        let day = date(2026, 2, 13);
        let starred = RankCandidate {
            star_growth: 500,
            ..candidate("2602.00001", day, 1, 0)
        };
        let voted = candidate("2602.00002", day, 5, 0);
        let order = |weight: f64| {
            let parameters = TrendingParameters {
                star_weight: weight,
                ..TrendingParameters::default()
            };
            rank(
                vec![starred.clone(), voted.clone()],
                Sort::Trending,
                &parameters,
                noon(day),
            )
            .iter()
            .map(|(c, _)| c.id.as_str().to_owned())
            .collect::<Vec<_>>()
        };
        assert_eq!(order(0.0), ["2602.00002", "2602.00001"], "stars are off by default");
        assert_eq!(
            order(0.02),
            ["2602.00001", "2602.00002"],
            "500 new stars at 0.02 are 10 votes"
        );
        let lost = RankCandidate {
            star_growth: -50,
            ..candidate("2602.00003", day, 1, 0)
        };
        let parameters = TrendingParameters {
            star_weight: 1.0,
            ..TrendingParameters::default()
        };
        let ranked = rank(vec![lost], Sort::Trending, &parameters, noon(day));
        assert_eq!(
            ranked[0].1.score,
            parameters.score(attention_of(1, 0), day, noon(day)).score,
            "lost stars do not count against a paper"
        );
    }

    #[test]
    fn older_papers_decay() {
        let parameters = TrendingParameters::default();
        let reference = noon(date(2026, 2, 13));
        let fresh = parameters.score(attention_of(10, 0), date(2026, 2, 13), reference);
        let week_old = parameters.score(attention_of(10, 0), date(2026, 2, 6), reference);
        assert!(fresh.score > 10.0 * week_old.score);
        assert_eq!(fresh.age_hours, 12.0);
        let week_old_but_loved = parameters.score(attention_of(1000, 0), date(2026, 2, 6), reference);
        assert!(week_old_but_loved.score > fresh.score);
    }

    #[test]
    fn new_orders_by_day_then_id_and_top_by_votes() {
        let ranked = rank(
            vec![
                candidate("2602.00005", date(2026, 2, 12), 50, 0),
                candidate("2602.00009", date(2026, 2, 13), 1, 0),
                candidate("2602.00007", date(2026, 2, 13), 7, 0),
            ],
            Sort::New,
            &TrendingParameters::default(),
            noon(date(2026, 2, 13)),
        );
        let order: Vec<&str> = ranked.iter().map(|(c, _)| c.id.as_str()).collect();
        assert_eq!(order, ["2602.00009", "2602.00007", "2602.00005"]);
        let top = rank(
            ranked.into_iter().map(|(c, _)| c).collect(),
            Sort::Top,
            &TrendingParameters::default(),
            noon(date(2026, 2, 13)),
        );
        assert_eq!(top[0].0.id.as_str(), "2602.00005");
    }

    proptest! {
        #[test]
        fn a_vote_never_lowers_a_score(votes in 0i64..10_000, age_days in 0i64..60) {
            let parameters = TrendingParameters::default();
            let announced = date(2026, 1, 1);
            let reference = noon(announced.checked_add(jiff::Span::new().days(age_days)).unwrap());
            let before = parameters.score(attention_of(votes, 0), announced, reference).score;
            let after = parameters.score(attention_of(votes, 1), announced, reference).score;
            prop_assert!(after > before);
            let later = parameters.score(attention_of(votes, 0), announced, reference + jiff::SignedDuration::from_hours(1)).score;
            prop_assert!(later < before);
        }
    }

    #[test]
    fn recent_discussion_outweighs_a_larger_old_one() {
        let day = 86_400;
        // Five comments a fortnight ago against two today.
        let old = discussion_weight(&[0, 60, 120, 180, 240], 14 * day);
        let lively = discussion_weight(&[14 * day - 60, 14 * day], 14 * day);
        assert!(lively > old, "{lively} > {old}");
        assert!(
            (discussion_weight(&[0], 3 * day) - 0.5).abs() < 1e-12,
            "three days halve a comment"
        );
        let listed = date(2026, 2, 13);
        let mut quiet = candidate("2602.00001", listed, 50, 0);
        let mut talked = candidate("2602.00002", listed, 1, 0);
        quiet.discussion = old;
        talked.discussion = lively;
        let order: Vec<String> = rank(
            vec![quiet, talked],
            Sort::Discussed,
            &TrendingParameters::default(),
            noon(listed),
        )
        .into_iter()
        .map(|(c, _)| c.id.to_string())
        .collect();
        assert_eq!(order, ["2602.00002", "2602.00001"], "votes do not decide it");
        assert_eq!(Sort::parse("discussed"), Some(Sort::Discussed));
    }
}
