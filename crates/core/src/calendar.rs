//! arXiv's announcement calendar (https://info.arxiv.org/help/availability.html).
//!
//! arXiv announces Sunday to Thursday at 20:00 US Eastern, except on the holidays it names; a
//! day's papers are listed under the next day's date (Sunday's announcement is Monday's list).
//! Submissions close at 14:00 Eastern on weekdays: Monday 14:00 – Tuesday 14:00 goes out on
//! Tuesday evening, Thursday 14:00 – Friday 14:00 on Sunday evening, Friday 14:00 – Monday 14:00
//! on Monday evening. So Friday and Saturday evenings have no announcement, and a harvest then
//! finding nothing new is normal.

use std::collections::BTreeSet;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// US Eastern, where arXiv's clock runs (daylight saving included).
fn eastern() -> TimeZone {
    // Bundled with the binary (jiff's `tzdb-bundle-always`), so this cannot fail at run time.
    TimeZone::get("America/New_York").expect("the bundled time zone database has America/New_York")
}

const ANNOUNCEMENT_TIME: Time = Time::constant(20, 0, 0, 0);
const SUBMISSION_DEADLINE: Time = Time::constant(14, 0, 0, 0);

/// Days (US Eastern) on which arXiv skipped or will skip its evening announcement, as far as
/// they are known: from arXiv's holiday notices and the listings themselves (no list on the
/// day after). Operators add new ones with `harvest_holidays`.
pub const KNOWN_HOLIDAYS: &[&str] = &[
    "2025-06-19", // Juneteenth (no Friday 2025-06-20 list)
    "2025-09-01", // Labor Day (no Tuesday 2025-09-02 list)
    "2025-12-25", // Christmas (no Friday 2025-12-26 list)
    "2026-09-07", // Labor Day
    "2026-11-26", // Thanksgiving
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnouncementCalendar {
    holidays: BTreeSet<Date>,
}

impl Default for AnnouncementCalendar {
    fn default() -> Self {
        AnnouncementCalendar::with_holidays(AnnouncementCalendar::known_holidays())
    }
}

impl AnnouncementCalendar {
    /// [`KNOWN_HOLIDAYS`] as dates.
    pub fn known_holidays() -> Vec<Date> {
        KNOWN_HOLIDAYS
            .iter()
            .map(|day| day.parse().expect("known holidays are dates"))
            .collect()
    }

    /// The calendar with these announcement days skipped (US Eastern dates).
    pub fn with_holidays(holidays: impl IntoIterator<Item = Date>) -> AnnouncementCalendar {
        AnnouncementCalendar {
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn is_holiday(&self, day: Date) -> bool {
        self.holidays.contains(&day)
    }

    /// Whether arXiv announces on the evening of this US Eastern day.
    pub fn announces_on(&self, day: Date) -> bool {
        !matches!(day.weekday(), Weekday::Friday | Weekday::Saturday) && !self.is_holiday(day)
    }

    /// The list an announcement on `day` (US Eastern) is filed under: the next day's.
    pub fn listing_day_of(announcement_day: Date) -> Date {
        announcement_day.tomorrow().unwrap_or(announcement_day)
    }

    /// The announcement on the evening of `day`, whether or not it happens.
    pub fn announcement_at(day: Date) -> Timestamp {
        day.to_datetime(ANNOUNCEMENT_TIME)
            .to_zoned_datetime(eastern())
            .map(|zoned| zoned.timestamp())
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// The day (US Eastern) of the latest announcement at or before `now`.
    pub fn latest_announcement(&self, now: Timestamp) -> Date {
        let mut day = now.to_zoned_datetime(eastern()).date();
        // A holiday streak longer than a few weeks would be a broken configuration; stop looking.
        for _ in 0..60 {
            if self.announces_on(day) && Self::announcement_at(day) <= now {
                return day;
            }
            day = day.yesterday().unwrap_or(day);
        }
        day
    }

    /// The first announcement after `now`: its day (US Eastern) and moment.
    pub fn next_announcement(&self, now: Timestamp) -> (Date, Timestamp) {
        let mut day = now.to_zoned_datetime(eastern()).date();
        for _ in 0..60 {
            let at = Self::announcement_at(day);
            if self.announces_on(day) && at > now {
                return (day, at);
            }
            day = day.tomorrow().unwrap_or(day);
        }
        (day, Self::announcement_at(day))
    }

    /// The latest list that should exist at `now`: the one of the latest announcement.
    pub fn latest_expected_listing(&self, now: Timestamp) -> Date {
        Self::listing_day_of(self.latest_announcement(now))
    }

    /// The list a paper submitted at `submitted` is expected on, if moderation does not hold it.
    pub fn expected_listing_day(&self, submitted: Timestamp) -> Date {
        let local = submitted.to_zoned_datetime(eastern());
        let mut deadline = local.date();
        if local.time() >= SUBMISSION_DEADLINE {
            deadline = deadline.tomorrow().unwrap_or(deadline);
        }
        while matches!(deadline.weekday(), Weekday::Saturday | Weekday::Sunday) {
            deadline = deadline.tomorrow().unwrap_or(deadline);
        }
        // Friday's deadline goes out on Sunday evening; the others on their own evening.
        let mut announcement = if deadline.weekday() == Weekday::Friday {
            deadline.checked_add(2.days()).unwrap_or(deadline)
        } else {
            deadline
        };
        for _ in 0..60 {
            if self.announces_on(announcement) {
                break;
            }
            announcement = announcement.tomorrow().unwrap_or(announcement);
        }
        Self::listing_day_of(announcement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn announcements_are_sunday_to_thursday_at_eight_eastern() {
        let calendar = AnnouncementCalendar::with_holidays([]);
        // Wednesday 2026-09-23 20:00 EDT is 2026-09-24 00:00 UTC, filed under Thursday the 24th.
        assert_eq!(
            AnnouncementCalendar::announcement_at(date(2026, 9, 23)),
            at("2026-09-24T00:00:00Z")
        );
        // In winter (EST) it is 01:00 UTC.
        assert_eq!(
            AnnouncementCalendar::announcement_at(date(2026, 12, 1)),
            at("2026-12-02T01:00:00Z")
        );
        assert_eq!(
            calendar.latest_announcement(at("2026-09-23T23:59:59Z")),
            date(2026, 9, 22)
        );
        assert_eq!(
            calendar.latest_announcement(at("2026-09-24T00:00:00Z")),
            date(2026, 9, 23)
        );
        // Friday and Saturday evenings have none: all weekend, Thursday's is the latest.
        assert_eq!(
            calendar.latest_announcement(at("2026-09-27T12:00:00Z")),
            date(2026, 9, 24)
        );
        assert_eq!(
            calendar.latest_expected_listing(at("2026-09-27T12:00:00Z")),
            date(2026, 9, 25)
        );
        assert_eq!(
            calendar.next_announcement(at("2026-09-25T12:00:00Z")).0,
            date(2026, 9, 27)
        );
    }

    #[test]
    fn holidays_skip_the_announcement_and_its_list() {
        let calendar = AnnouncementCalendar::default();
        // Thanksgiving 2026 (Thursday): no Friday list; Wednesday's stays the latest until Sunday.
        assert!(!calendar.announces_on(date(2026, 11, 26)));
        assert_eq!(
            calendar.latest_expected_listing(at("2026-11-28T12:00:00Z")),
            date(2026, 11, 26)
        );
        assert_eq!(
            calendar.next_announcement(at("2026-11-26T12:00:00Z")).0,
            date(2026, 11, 29)
        );
    }

    #[test]
    fn submissions_are_listed_after_the_next_deadline() {
        let calendar = AnnouncementCalendar::with_holidays([date(2026, 9, 7)]);
        // Tuesday 13:59 EDT: Tuesday evening, Wednesday's list. 14:01: Wednesday evening.
        assert_eq!(
            calendar.expected_listing_day(at("2026-09-22T17:59:00Z")),
            date(2026, 9, 23)
        );
        assert_eq!(
            calendar.expected_listing_day(at("2026-09-22T18:01:00Z")),
            date(2026, 9, 24)
        );
        // Friday morning: Sunday evening, Monday's list. Friday afternoon to Monday 14:00:
        // Monday evening, Tuesday's list.
        assert_eq!(
            calendar.expected_listing_day(at("2026-09-25T13:00:00Z")),
            date(2026, 9, 28)
        );
        assert_eq!(
            calendar.expected_listing_day(at("2026-09-26T13:00:00Z")),
            date(2026, 9, 29)
        );
        // Labor Day Monday has no announcement: Monday's deadline rolls to Tuesday evening.
        assert_eq!(
            calendar.expected_listing_day(at("2026-09-07T12:00:00Z")),
            date(2026, 9, 9)
        );
    }
}
