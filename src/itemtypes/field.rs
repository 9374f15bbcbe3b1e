//! Parser for GLPI's compact column notation `name:type[?][=default][!]`.

/// Column type, as GLPI 10 returns it through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// JSON integer (ids, foreign keys, booleans 0/1, enums).
    Int,
    /// String.
    Str,
    /// `YYYY-MM-DD HH:MM:SS`.
    DateTime,
    /// `YYYY-MM-DD`.
    Date,
    /// Decimal, returned as a string such as `"0.0000"`.
    Dec,
    /// Float, returned as a JSON number.
    Num,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub nullable: bool,
    /// Required on insert (NOT NULL without default).
    pub required: bool,
    /// DB default as written in the notation (unquoted), if any.
    pub default: Option<&'static str>,
}

/// Parse a `·`-separated field list. Panics on malformed declarations: they are static
/// data, checked by a unit test, never user input.
pub fn parse_fields(spec: &'static str) -> Vec<Field> {
    spec.split('·').map(str::trim).filter(|s| !s.is_empty()).map(parse_one).collect()
}

fn parse_one(s: &'static str) -> Field {
    let (name, rest) = s.split_once(':').unwrap_or_else(|| panic!("bad field spec {s:?}"));
    let (ty_part, default) = match rest.split_once('=') {
        Some((t, d)) => (t, Some(d.trim_matches('"'))),
        None => (rest, None),
    };
    let required = ty_part.ends_with('!');
    let ty_part = ty_part.trim_end_matches('!');
    let nullable = ty_part.ends_with('?');
    let ty_name = ty_part.trim_end_matches('?');
    let ty = match ty_name {
        "int" => FieldType::Int,
        "str" => FieldType::Str,
        "dt" => FieldType::DateTime,
        "date" => FieldType::Date,
        "dec" => FieldType::Dec,
        "num" => FieldType::Num,
        other => panic!("unknown field type {other:?} in {s:?}"),
    };
    Field { name: name.trim(), ty, nullable, required, default }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_notation() {
        let f = parse_fields("id:int · name:str? · ticket_tco:dec?=\"0.0000\" · itemtype:str! · is_active:int=1");
        assert_eq!(f.len(), 5);
        assert_eq!(f[1], Field { name: "name", ty: FieldType::Str, nullable: true, required: false, default: None });
        assert_eq!(f[2].default, Some("0.0000"));
        assert!(f[2].nullable);
        assert!(f[3].required);
        assert_eq!(f[4].default, Some("1"));
    }

    #[test]
    fn every_declaration_parses_and_has_id() {
        for def in super::super::ALL {
            let fields = parse_fields(def.fields);
            assert!(fields.iter().any(|f| f.name == "id"), "{} has no id", def.name);
            let mut names: Vec<_> = fields.iter().map(|f| f.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), fields.len(), "{} has duplicate columns", def.name);
        }
    }
}
