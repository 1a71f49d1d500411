//! The per-client limit on reads that cost something: every GET the page cache could not answer
//! (a search, a page rendered afresh, an API answer). Cached pages are free and never count.
//! Kept in this process's memory rather than the database: reads outnumber writes by far, and
//! what the limit protects is this process's CPU.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Fixed one-minute windows per client address.
pub struct ReadLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

struct Window {
    minute: i64,
    reads: u32,
}

/// Clients remembered before the ones whose window has passed are swept.
const SWEEP_AT: usize = 10_000;

impl ReadLimiter {
    /// `per_minute` reads per client and minute; 0 means no limit.
    pub fn new(per_minute: u32) -> ReadLimiter {
        ReadLimiter {
            per_minute,
            windows: Mutex::default(),
        }
    }

    /// Counts one read by `client` at `now` (Unix seconds): `Err(seconds)` to wait when the
    /// client has had its share of this minute.
    pub fn take(&self, client: IpAddr, now: i64) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let minute = now.div_euclid(60);
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, window| window.minute == minute);
        }
        let window = windows.entry(client).or_insert(Window { minute, reads: 0 });
        if window.minute != minute {
            *window = Window { minute, reads: 0 };
        }
        if window.reads >= self.per_minute {
            return Err((60 - now.rem_euclid(60)) as u64);
        }
        window.reads += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_share_per_minute_and_is_told_how_long_to_wait() {
        let limiter = ReadLimiter::new(3);
        let (one, two): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let now = 1_800_000_010;
        for _ in 0..3 {
            assert_eq!(limiter.take(one, now), Ok(()));
        }
        assert_eq!(limiter.take(one, now + 5), Err(45), "until the minute ends");
        assert_eq!(limiter.take(two, now), Ok(()), "another client has its own share");
        assert_eq!(limiter.take(one, now + 50), Ok(()), "a new minute, a new share");
        let unlimited = ReadLimiter::new(0);
        assert!((0..10_000).all(|_| unlimited.take(one, now).is_ok()));
    }
}
