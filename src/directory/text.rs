//! Small text helpers for feed values: accent folding, column-name normalisation, dates.

/// Lower-case ASCII folding of French text: `Créteil` -> `creteil`, `Œuvre` -> `oeuvre`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'ÿ' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            c => out.push(c),
        }
    }
    out
}

/// Column names are matched after folding, with spaces as underscores, because the
/// annuaire's headers drift between exports (`Code postal` then `Code_postal`).
pub fn column_key(s: &str) -> String {
    fold(s.trim().trim_start_matches('\u{feff}')).replace([' ', '-'], "_")
}

/// An ISO date `YYYY-MM-DD`; `dd/mm/yyyy` (a spreadsheet re-save) and anything else is refused.
pub fn iso_date(s: &str) -> Result<String, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| format!("date {:?} is not YYYY-MM-DD", s.chars().take(20).collect::<String>()))
}

/// AAF dates are `dd/mm/yyyy`.
pub fn french_date(s: &str) -> Result<String, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%d/%m/%Y")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| format!("date {:?} is not dd/mm/yyyy", s.chars().take(20).collect::<String>()))
}

/// Today (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn folds_and_normalises() {
        assert_eq!(super::fold("Créteil"), "creteil");
        assert_eq!(super::column_key("\u{feff}Code postal"), "code_postal");
        assert_eq!(super::iso_date("2024-07-25").unwrap(), "2024-07-25");
        assert!(super::iso_date("25/07/2024").is_err());
        assert_eq!(super::french_date("14/03/1978").unwrap(), "1978-03-14");
    }
}
