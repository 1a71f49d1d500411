//! E-mail addresses as people type them into sign-in and subscribe forms, checked once.
//!
//! Deliberately plainer than RFC 5322: one `@`, a dot in the domain, no spaces, quotes,
//! brackets or control characters (so nothing can smuggle a header line into a message), and
//! the SMTP length limits of RFC 5321 (64 for the local part, 254 in all).

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    #[error("enter an e-mail address")]
    Empty,
    #[error("an e-mail address is at most 254 characters")]
    TooLong,
    #[error("{0:?} is not an e-mail address (expected name@example.org)")]
    Malformed(String),
}

impl EmailAddress {
    pub fn parse(text: &str) -> Result<EmailAddress, EmailAddressError> {
        let address = text.trim();
        if address.is_empty() {
            return Err(EmailAddressError::Empty);
        }
        if address.len() > 254 {
            return Err(EmailAddressError::TooLong);
        }
        let malformed = || EmailAddressError::Malformed(address.chars().take(80).collect());
        let (local, domain) = address.split_once('@').ok_or_else(malformed)?;
        let forbidden = |c: char| c.is_control() || c.is_whitespace() || "\"(),:;<>@[\\]".contains(c);
        let local_ok = !local.is_empty() && local.len() <= 64 && !local.contains(forbidden);
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains(forbidden);
        if local_ok && domain_ok {
            // Domains are case-insensitive; local parts are left as typed, as RFC 5321 asks.
            Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
        } else {
            Err(malformed())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form accounts are keyed by: the whole address in lower case.
    pub fn account_key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses() {
        assert_eq!(
            EmailAddress::parse("  Ada.Lovelace+papers@Example.ORG ")
                .unwrap()
                .as_str(),
            "Ada.Lovelace+papers@example.org"
        );
        assert_eq!(EmailAddress::parse("a@b.co").unwrap().account_key(), "a@b.co");
    }

    #[test]
    fn refuses_what_could_break_a_message() {
        for bad in [
            "",
            "plain",
            "a@b",
            "a@.b",
            "a@b.",
            "a b@c.d",
            "a@b.c\r\nBcc: x@y.z",
            "\"a\"@b.c",
            "a@b..c",
            "<a@b.c>",
            "a@b@c.d",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            EmailAddress::parse(&format!("{}@b.co", "a".repeat(65))).unwrap_err(),
            EmailAddressError::Malformed(format!("{}@b.co", "a".repeat(65)))
        );
        assert_eq!(
            EmailAddress::parse(&format!("a@{}.co", "b".repeat(260))).unwrap_err(),
            EmailAddressError::TooLong
        );
    }

    proptest! {
        #[test]
        fn no_accepted_address_holds_a_line_break(text in "\\PC{0,40}[\\r\\n]\\PC{0,40}") {
            prop_assert!(EmailAddress::parse(&text).map(|a| !a.as_str().contains(['\r', '\n'])).unwrap_or(true));
        }
    }
}
