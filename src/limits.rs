//! Every rate limit, declared once: what it counts, the bucket it counts in, its window, its
//! default, and the configuration key that changes it where an operator may. Handlers name a
//! [`Limit`]; `docs/operations.md` lists them for operators.
//!
//! The counts of all but [`Limit::Reads`] are kept in the database (shared by every replica);
//! reads are counted in each process's memory (`web/read_limit.rs`), since what that limit
//! protects is the process's CPU.

/// A rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    Writes,
    Reads,
    LoginLinks,
    LoginLinksPerAddressAndClient,
    LoginLinksPerAddress,
    SubscribeRequests,
    ConfirmationsPerAddress,
    Votes,
    Submissions,
    LibraryChanges,
    Comments,
    CommentsPerClient,
    NewMemberComments,
}

/// What a limit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// The prefix of its counters' names (`<bucket>:<who>`), unchanged across versions so that
    /// counts survive an upgrade.
    pub bucket: &'static str,
    pub window_seconds: i64,
    pub default: u32,
    /// The configuration key (and `PAPERBOY_<KEY>` variable) that sets it, if one does.
    pub config_key: Option<&'static str>,
}

impl Limit {
    pub const ALL: [Limit; 13] = [
        Limit::Writes,
        Limit::Reads,
        Limit::LoginLinks,
        Limit::LoginLinksPerAddressAndClient,
        Limit::LoginLinksPerAddress,
        Limit::SubscribeRequests,
        Limit::ConfirmationsPerAddress,
        Limit::Votes,
        Limit::Submissions,
        Limit::LibraryChanges,
        Limit::Comments,
        Limit::CommentsPerClient,
        Limit::NewMemberComments,
    ];

    pub const fn declaration(self) -> Declaration {
        const fn declared(
            bucket: &'static str,
            window_seconds: i64,
            default: u32,
            key: Option<&'static str>,
        ) -> Declaration {
            Declaration {
                bucket,
                window_seconds,
                default,
                config_key: key,
            }
        }
        match self {
            // State-changing requests per client address, on top of the per-account limits.
            Limit::Writes => declared("writes-ip", 600, 600, Some("writes_per_client")),
            // Reads the page cache could not answer, per client address; 0 turns it off.
            Limit::Reads => declared("reads-ip", 60, 600, Some("reads_per_client")),
            // Sign-in links asked for per client address.
            Limit::LoginLinks => declared("login-ip", 15 * 60, 10, Some("login_links_per_client")),
            // Past these two no mail goes out, silently (the answer is the same page), so they
            // cannot be used to learn of an account or to lock its owner out.
            Limit::LoginLinksPerAddressAndClient => declared("login-email-ip", 15 * 60, 3, None),
            Limit::LoginLinksPerAddress => declared("login-email", 15 * 60, 10, None),
            // Subscribe requests per client address.
            Limit::SubscribeRequests => declared("subscribe-ip", 3600, 10, Some("subscribe_requests_per_client")),
            // Confirmation mails per address and day, silently like the sign-in ones.
            Limit::ConfirmationsPerAddress => declared("subscribe-email", 86_400, 3, None),
            // Votes cast or withdrawn per member.
            Limit::Votes => declared("vote", 600, 120, None),
            // Submission attempts per member (the daily quota of accepted ones is apart).
            Limit::Submissions => declared("submit", 3600, 30, None),
            // Papers saved or filed and collections changed, per member.
            Limit::LibraryChanges => declared("library", 600, 600, None),
            // Comments posted per member, per client address, and per member whose account is
            // younger than a day (who also may put only a few links in a comment).
            Limit::Comments => declared("comments", 3600, 30, Some("comments_per_member")),
            Limit::CommentsPerClient => declared("comments-ip", 3600, 60, Some("comments_per_client")),
            Limit::NewMemberComments => declared("comments-new", 3600, 5, Some("new_member_comments")),
        }
    }

    /// The default, for the configuration's defaults.
    pub const fn default_value(self) -> u32 {
        self.declaration().default
    }

    /// The counter for `who` (a client address, an account, a member id).
    pub fn bucket(self, who: &str) -> String {
        format!("{}:{who}", self.declaration().bucket)
    }

    /// The start of the window `now` (unix seconds) falls in.
    pub fn window_start(self, now: i64) -> i64 {
        let window = self.declaration().window_seconds;
        now / window * window
    }
}

/// The limits of one instance: each one's default, or the configured value where one is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    values: [u32; Limit::ALL.len()],
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            values: Limit::ALL.map(Limit::default_value),
        }
    }
}

impl Limits {
    /// These limits with `limit` set to `value`.
    pub fn with(mut self, limit: Limit, value: u32) -> Limits {
        self.values[limit as usize] = value;
        self
    }

    pub fn of(&self, limit: Limit) -> u32 {
        self.values[limit as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_is_in_its_place_and_a_configured_value_wins() {
        for (index, limit) in Limit::ALL.into_iter().enumerate() {
            assert_eq!(limit as usize, index, "{limit:?} is out of order in Limit::ALL");
        }
        let limits = Limits::default().with(Limit::Votes, 7);
        assert_eq!(limits.of(Limit::Votes), 7);
        assert_eq!(limits.of(Limit::Submissions), 30);
        assert_eq!(Limit::Votes.bucket("12"), "vote:12");
        assert_eq!(Limit::LoginLinks.window_start(15 * 60 * 4 + 59), 15 * 60 * 4);
    }

    /// The configuration's default of each configurable limit is the declared one, and its key
    /// is a key of the configuration.
    #[test]
    fn configurable_limits_match_the_configuration() {
        let defaults = serde_json::to_value(crate::config::Config::default()).expect("the defaults serialise");
        for limit in Limit::ALL {
            let Some(key) = limit.declaration().config_key else {
                continue;
            };
            assert_eq!(
                defaults.get(key).and_then(serde_json::Value::as_u64),
                Some(u64::from(limit.default_value())),
                "{key}"
            );
        }
    }
}
