//! Password hashing with argon2id (PHC strings), and the password policy.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

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

#[cfg(test)]
mod tests {
    use super::*;

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
