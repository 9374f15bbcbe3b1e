//! The UAI (unité administrative immatriculée, formerly RNE): 7 digits and a check letter,
//! the letter being `N mod 23` over an alphabet without I, O and Q. Every UAI entering Parc
//! (feeds, API paths and filters, CAS attributes) goes through [`Uai::parse`].

use std::fmt;

const ALPHABET: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// A valid, normalised UAI such as `0750654D`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uai(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UaiError {
    #[error("a UAI has 7 digits and a letter, got {0:?}")]
    Format(String),
    #[error("wrong check letter in UAI {given} (expected {expected})")]
    CheckLetter { given: String, expected: char },
}

impl Uai {
    /// Trim, upper-case, then check the format and the check letter.
    pub fn parse(raw: &str) -> Result<Uai, UaiError> {
        let s = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 8 || !b[..7].iter().all(u8::is_ascii_digit) || !b[7].is_ascii_uppercase() {
            return Err(UaiError::Format(raw.chars().take(20).collect()));
        }
        let expected = check_letter(&s[..7]);
        if b[7] as char != expected {
            return Err(UaiError::CheckLetter { given: s, expected });
        }
        Ok(Uai(s))
    }

    /// The UAI of a 7-digit number, with its check letter (used by the demo generator).
    pub fn from_number(n: u32) -> Option<Uai> {
        let digits = format!("{n:07}");
        (digits.len() == 7).then(|| Uai(format!("{digits}{}", check_letter(&digits))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The check letter of a 7-digit number.
fn check_letter(digits: &str) -> char {
    let n: u32 = digits.parse().expect("7 ASCII digits");
    ALPHABET[(n % 23) as usize] as char
}

impl fmt::Display for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Uai {
    type Err = UaiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uai::parse(s)
    }
}

impl AsRef<str> for Uai {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples() {
        assert_eq!(Uai::parse("0750654D").unwrap().as_str(), "0750654D");
        assert_eq!(Uai::parse(" 0770934x ").unwrap().as_str(), "0770934X");
        assert!(matches!(Uai::parse("0750654E"), Err(UaiError::CheckLetter { expected: 'D', .. })));
        assert!(matches!(Uai::parse("075O654D"), Err(UaiError::Format(_))));
        assert!(Uai::parse("").is_err());
        assert!(Uai::parse("0750654DÉ").is_err());
    }

    /// Every vector of the shared fixture: `uai;expected_valid;expected_normalised;note`.
    #[test]
    fn fixture_vectors() {
        let csv = include_str!("../../tests/fixtures/directory/uai/uai_test_vectors.csv");
        let mut n = 0;
        for line in csv.lines().skip(1).filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split(';').collect();
            let got = Uai::parse(f[0]);
            match f[1] {
                "true" => assert_eq!(got.as_ref().map(Uai::as_str), Ok(f[2]), "{line}"),
                _ => assert!(got.is_err(), "{line} should be refused"),
            }
            n += 1;
        }
        assert_eq!(n, 26);
    }
}
