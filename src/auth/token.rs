//! Random tokens from the OS CSPRNG; only their SHA-256 is stored.

use rand::RngExt;
use sha2::{Digest, Sha256};

const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// A new 40-character token (about 206 bits of entropy).
pub fn generate() -> String {
    let mut rng = rand::rng();
    (0..40).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// A readable random password for generated admin accounts.
pub fn generate_password() -> String {
    generate()[..20].to_string()
}

/// Hex SHA-256 of a token. Tokens are long random strings, so a fast hash is enough
/// (unlike passwords, they cannot be guessed from a dictionary).
pub fn digest(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_random_and_hashed() {
        let a = super::generate();
        let b = super::generate();
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
        assert_eq!(super::digest(&a).len(), 64);
        assert_ne!(super::digest(&a), a);
    }
}
