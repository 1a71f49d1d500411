//! Random secrets for links, cookies and tokens, and the hashes they are stored as.

use sha2::{Digest, Sha256};

/// A fresh 256-bit secret, as 64 hex digits.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a secret is stored as: its SHA-256, so a copy of the database cannot be used to sign in.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether two secrets are equal, in time that depends only on their lengths: a comparison
/// that stopped at the first difference would tell an attacker how much of a guess was right.
pub fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_secret_is_plain_equality() {
        assert!(same_secret("abc", "abc"));
        assert!(same_secret("", ""));
        for (given, expected) in [
            ("abd", "abc"),
            ("ab", "abc"),
            ("abcd", "abc"),
            ("", "a"),
            ("Abc", "abc"),
        ] {
            assert!(!same_secret(given, expected), "{given:?} vs {expected:?}");
        }
    }
}
