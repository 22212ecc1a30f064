//! Random secrets and how they are kept: 256 random bits from the OS, shown once, stored as
//! SHA-256, compared in constant time. SHA-256 (not a slow hash) is right here because the
//! secrets are random and long: there is no dictionary to search.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new secret: 32 random bytes, base64url, with a readable prefix (`tsr_`, `tss_`, ...).
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    // The OS generator failing means the machine cannot make secrets at all: nothing safe
    // can continue, so this is a fatal condition rather than an error to handle.
    #[expect(clippy::expect_used, reason = "no safe fallback when the OS RNG fails")]
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random generator failed");
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a secret: hex SHA-256.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two stored hashes without leaking where they differ.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_distinct() {
        let a = generate("tsr_");
        let b = generate("tsr_");
        assert_ne!(a, b);
        assert!(a.starts_with("tsr_"));
        // 32 bytes of base64url without padding are 43 characters: 256 bits.
        assert_eq!(a.len(), 4 + 43);
        assert!(hashes_equal(&hash(&a), &hash(&a)));
        assert!(!hashes_equal(&hash(&a), &hash(&b)));
    }
}
