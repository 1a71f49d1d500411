//! The periods list pages show: a day, an ISO week (`2026-W07`) or a month (`2026-02`).

use std::fmt;

use jiff::civil::{Date, ISOWeekDate, Weekday};

/// A span of listing days a page covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    Day(Date),
    Week { year: i16, week: i8 },
    Month { year: i16, month: i8 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("{0:?} is not a date (expected YYYY-MM-DD)")]
    Day(String),
    #[error("{0:?} is not an ISO week (expected YYYY-Www, e.g. 2026-W07)")]
    Week(String),
    #[error("{0:?} is not a month (expected YYYY-MM)")]
    Month(String),
}

impl Period {
    pub fn parse_day(text: &str) -> Result<Period, PeriodError> {
        text.parse::<Date>()
            .map(Period::Day)
            .map_err(|_| PeriodError::Day(text.to_owned()))
    }

    pub fn parse_week(text: &str) -> Result<Period, PeriodError> {
        let error = || PeriodError::Week(text.to_owned());
        let (year, week) = text.split_once("-W").ok_or_else(error)?;
        let (year, week): (i16, i8) = (year.parse().map_err(|_| error())?, week.parse().map_err(|_| error())?);
        if year.to_string().len() != 4 {
            return Err(error());
        }
        ISOWeekDate::new(year, week, Weekday::Monday).map_err(|_| error())?;
        Ok(Period::Week { year, week })
    }

    pub fn parse_month(text: &str) -> Result<Period, PeriodError> {
        let error = || PeriodError::Month(text.to_owned());
        let (year, month) = text.split_once('-').ok_or_else(error)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(error());
        }
        let (year, month): (i16, i8) = (year.parse().map_err(|_| error())?, month.parse().map_err(|_| error())?);
        Date::new(year, month, 1).map_err(|_| error())?;
        Ok(Period::Month { year, month })
    }

    pub fn week_of(date: Date) -> Period {
        let week = date.iso_week_date();
        Period::Week {
            year: week.year(),
            week: week.week(),
        }
    }

    pub fn month_of(date: Date) -> Period {
        Period::Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// First and last day, inclusive.
    pub fn bounds(self) -> (Date, Date) {
        match self {
            Period::Day(date) => (date, date),
            Period::Week { year, week } => {
                // Validated at construction; the fallback is never used.
                let monday = ISOWeekDate::new(year, week, Weekday::Monday)
                    .map(|w| w.date())
                    .unwrap_or(Date::MIN);
                (monday, monday.checked_add(jiff::Span::new().days(6)).unwrap_or(monday))
            }
            Period::Month { year, month } => {
                let first = Date::new(year, month, 1).unwrap_or(Date::MIN);
                (first, first.last_of_month())
            }
        }
    }

    /// The period before or after this one (`step` −1 or +1), of the same kind.
    pub fn shifted(self, step: i64) -> Option<Period> {
        let (first, last) = self.bounds();
        match self {
            Period::Day(date) => date.checked_add(jiff::Span::new().days(step)).ok().map(Period::Day),
            Period::Week { .. } => first
                .checked_add(jiff::Span::new().weeks(step))
                .ok()
                .map(Period::week_of),
            Period::Month { .. } => {
                let anchor = if step < 0 {
                    first.yesterday().ok()?
                } else {
                    last.tomorrow().ok()?
                };
                Some(Period::month_of(anchor))
            }
        }
    }

    /// The path of the page for this period.
    pub fn path(self) -> String {
        match self {
            Period::Day(date) => format!("/papers/date/{date}"),
            Period::Week { .. } => format!("/papers/week/{self}"),
            Period::Month { .. } => format!("/papers/month/{self}"),
        }
    }
}

/// `Fri, 13 Feb 2026`: the form arXiv's own listings use.
pub fn human_date(date: Date) -> String {
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let weekday = WEEKDAYS[date.weekday().to_monday_zero_offset() as usize];
    let month = MONTHS[(date.month() - 1) as usize];
    format!("{weekday}, {} {month} {}", date.day(), date.year())
}

/// Month abbreviations as arXiv and mail headers write them.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Day(date) => write!(f, "{date}"),
            Period::Week { year, week } => write!(f, "{year:04}-W{week:02}"),
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn parses_and_bounds_each_kind() {
        assert_eq!(
            Period::parse_day("2026-02-13").unwrap().bounds(),
            (date(2026, 2, 13), date(2026, 2, 13))
        );
        let week = Period::parse_week("2026-W07").unwrap();
        assert_eq!(week.bounds(), (date(2026, 2, 9), date(2026, 2, 15)));
        assert_eq!(week.to_string(), "2026-W07");
        let month = Period::parse_month("2026-02").unwrap();
        assert_eq!(month.bounds(), (date(2026, 2, 1), date(2026, 2, 28)));
        assert_eq!(month.path(), "/papers/month/2026-02");
        for bad in ["2026-W54", "2026-07", "26-W07", "2026-W"] {
            assert!(Period::parse_week(bad).is_err(), "{bad}");
        }
        for bad in ["2026-13", "2026-2", "2026-02-01", "x"] {
            assert!(Period::parse_month(bad).is_err(), "{bad}");
        }
        assert!(Period::parse_day("2026-02-30").is_err());
    }

    #[test]
    fn steps_across_year_ends() {
        assert_eq!(
            Period::parse_month("2026-01").unwrap().shifted(-1).unwrap().to_string(),
            "2025-12"
        );
        assert_eq!(
            Period::parse_week("2026-W01").unwrap().shifted(-1).unwrap().to_string(),
            "2025-W52"
        );
        assert_eq!(
            Period::parse_week("2020-W53").unwrap().shifted(1).unwrap().to_string(),
            "2021-W01"
        );
    }

    proptest! {
        #[test]
        fn every_day_lies_in_its_week_and_month(days in 0i64..20_000) {
            let day = date(2000, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            for period in [Period::week_of(day), Period::month_of(day)] {
                let (first, last) = period.bounds();
                prop_assert!(first <= day && day <= last);
                let reparsed = match period {
                    Period::Week { .. } => Period::parse_week(&period.to_string()),
                    _ => Period::parse_month(&period.to_string()),
                };
                prop_assert_eq!(reparsed.unwrap(), period);
            }
        }
    }
}
