//! Password hashing with argon2id (PHC strings), and the password policy.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;

/// Shortest password accepted, on the API as on the CLI.
pub const MIN_LEN: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the password must have at least {MIN_LEN} characters")]
    TooShort,
    #[error("the password must not be the login")]
    SameAsLogin,
}

/// The password policy: at least [`MIN_LEN`] characters, and not the login.
pub fn check_policy(login: &str, password: &str) -> Result<(), PolicyError> {
    if password.chars().count() < MIN_LEN {
        return Err(PolicyError::TooShort);
    }
    if !login.is_empty() && password.eq_ignore_ascii_case(login) {
        return Err(PolicyError::SameAsLogin);
    }
    Ok(())
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    let h = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    Ok(h.to_string())
}

/// Constant-time verification; a malformed stored hash verifies as false.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of a random password, with the current parameters: verifying against it
/// costs what a real check costs, for logins that cannot succeed.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash(&super::token::generate()).expect("argon2 hashes a random password"))
}

/// Verifications running at once: argon2 takes ~19 MB and a core each, so parallel
/// guessers queue here instead of multiplying memory and starving other requests.
fn slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    SLOTS
        .get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)))
}

/// [`verify`] on a blocking thread, at most one per core at a time.
pub async fn verify_bounded(password: String, stored: String) -> bool {
    let Ok(_permit) = slots().acquire().await else { return false };
    match actix_web::rt::task::spawn_blocking(move || verify(&password, &stored)).await {
        Ok(ok) => ok,
        Err(e) => {
            tracing::error!(error = %e, "password verification failed to run");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_real_argon2_hash() {
        let parsed = PasswordHash::new(dummy_hash()).expect("valid PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(!verify("anything", dummy_hash()));
    }

    #[test]
    fn policy_refuses_short_passwords_and_the_login() {
        assert_eq!(check_policy("bob", "a"), Err(PolicyError::TooShort));
        assert_eq!(check_policy("bob", ""), Err(PolicyError::TooShort));
        assert_eq!(check_policy("bob", "1234567"), Err(PolicyError::TooShort));
        assert_eq!(check_policy("jean.dupont", "Jean.Dupont"), Err(PolicyError::SameAsLogin));
        assert_eq!(check_policy("bob", "éééééééé"), Ok(()));
        assert_eq!(check_policy("bob", "password-123"), Ok(()));
    }

    #[test]
    fn roundtrip() {
        let h = super::hash("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("s3cret", &h));
        assert!(!super::verify("wrong", &h));
        assert!(!super::verify("s3cret", "not-a-hash"));
    }
}
