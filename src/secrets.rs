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
