//! The one clock every "now" of the program reads: the system's, unless `PAPERBOY_CLOCK` sets it
//! for a test or a benchmark.
//!
//! - `PAPERBOY_CLOCK=2026-03-01T12:00:00Z` stops the clock at that moment: two runs answer
//!   alike, byte for byte, however long apart (the API snapshot, benchmarks).
//! - `PAPERBOY_CLOCK=+90` runs it that many seconds ahead: a test sees leases and windows
//!   lapse without sleeping through them.
//!
//! Timers (how long to wait, timeouts) keep to the monotonic clock; only dates and timestamps
//! read this one.

use std::sync::OnceLock;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use paperboy_core::Date;

/// How this process's clock differs from the system's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    System,
    Stopped(Timestamp),
    Ahead(SignedDuration),
}

/// The environment variable that sets the clock.
pub const CLOCK_VARIABLE: &str = "PAPERBOY_CLOCK";

impl Clock {
    /// A clock as `PAPERBOY_CLOCK` writes it (see the module's documentation).
    pub fn parse(text: &str) -> anyhow::Result<Clock> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Clock::System);
        }
        if let Some(seconds) = text.strip_prefix('+') {
            let seconds: i64 = seconds
                .parse()
                .with_context(|| format!("{CLOCK_VARIABLE}={text:?}: after + comes a number of seconds"))?;
            return Ok(Clock::Ahead(SignedDuration::from_secs(seconds)));
        }
        let at = text.parse::<Timestamp>().with_context(|| {
            format!("{CLOCK_VARIABLE}={text:?} is neither +SECONDS nor a time like 2026-03-01T12:00:00Z")
        })?;
        Ok(Clock::Stopped(at))
    }

    pub fn now(self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Stopped(at) => at,
            Clock::Ahead(by) => Timestamp::now().saturating_add(by).unwrap_or_else(|_| Timestamp::now()),
        }
    }
}

static CLOCK: OnceLock<Clock> = OnceLock::new();

/// Reads `PAPERBOY_CLOCK` once, at start; a process that does not call this runs on the
/// system's clock. Refuses a value it cannot read, saying why.
pub fn set_from_environment() -> anyhow::Result<()> {
    let clock = match std::env::var(CLOCK_VARIABLE) {
        Ok(text) => Clock::parse(&text)?,
        Err(_) => Clock::System,
    };
    if clock != Clock::System {
        // Said on stderr: logging is not set up yet, and nobody should run on it unawares.
        eprintln!("warning: the clock is set by {CLOCK_VARIABLE} ({clock:?}): for tests and benchmarks only");
    }
    let _ = CLOCK.set(clock);
    Ok(())
}

/// Now, by this process's clock.
pub fn now() -> Timestamp {
    CLOCK.get().copied().unwrap_or(Clock::System).now()
}

/// Now in unix seconds.
pub fn now_seconds() -> i64 {
    now().as_second()
}

/// Today in UTC: the calendar listing days, OAI-PMH datestamps and daily quotas are kept in.
pub fn today_utc() -> Date {
    now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_is_read_from_its_variable_or_refused_with_the_reason() {
        assert_eq!(Clock::parse("").unwrap(), Clock::System);
        let stopped = Clock::parse("2026-03-01T12:00:00Z").unwrap();
        assert_eq!(stopped.now().to_string(), "2026-03-01T12:00:00Z");
        assert_eq!(stopped.now(), stopped.now(), "a stopped clock stays put");
        let ahead = Clock::parse("+3600").unwrap();
        let gap = ahead.now().duration_since(Timestamp::now()).as_secs();
        assert!((3599..=3601).contains(&gap), "{gap}");
        let refused = Clock::parse("tomorrow").unwrap_err().to_string();
        assert!(
            refused.contains("PAPERBOY_CLOCK") && refused.contains("tomorrow"),
            "{refused}"
        );
    }
}
