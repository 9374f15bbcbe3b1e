//! Parser for GLPI's compact column notation `name:type[?][=default][!]`.
//!
//! Strings are `str` (GLPI's `varchar(255)`), `text` or `longtext`, as in GLPI's MySQL
//! schema: all are TEXT in Parc's SQL, the size only bounds what is accepted.

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
    /// Declared size of a string column.
    pub size: StrSize,
}

/// Size of a string column in GLPI's MySQL schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrSize {
    /// `varchar(255)`: 255 characters.
    Varchar,
    /// `text`: 65,535 bytes.
    Text,
    /// `longtext` (4 GB in MySQL), bounded here at 16 MiB.
    LongText,
}

impl StrSize {
    /// Why `s` does not fit, if it does not.
    pub fn overflow(self, s: &str) -> Option<String> {
        match self {
            StrSize::Varchar if s.chars().count() > 255 => Some("is longer than 255 characters".into()),
            StrSize::Text if s.len() > 65_535 => Some("is longer than 65535 bytes".into()),
            StrSize::LongText if s.len() > 16 << 20 => Some("is longer than 16 MiB".into()),
            _ => None,
        }
    }
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
    let size = match ty_name {
        "text" => StrSize::Text,
        "longtext" => StrSize::LongText,
        _ => StrSize::Varchar,
    };
    let ty = match ty_name {
        "int" => FieldType::Int,
        "str" | "text" | "longtext" => FieldType::Str,
        "dt" => FieldType::DateTime,
        "date" => FieldType::Date,
        "dec" => FieldType::Dec,
        "num" => FieldType::Num,
        other => panic!("unknown field type {other:?} in {s:?}"),
    };
    Field { name: name.trim(), ty, nullable, required, default, size }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_notation() {
        let f = parse_fields(
            "id:int · name:str? · ticket_tco:dec?=\"0.0000\" · itemtype:str! · is_active:int=1 · comment:text? · content:longtext?",
        );
        assert_eq!(f.len(), 7);
        let name = Field {
            name: "name",
            ty: FieldType::Str,
            nullable: true,
            required: false,
            default: None,
            size: StrSize::Varchar,
        };
        assert_eq!(f[1], name);
        assert_eq!((f[5].ty, f[5].size), (FieldType::Str, StrSize::Text));
        assert_eq!((f[6].ty, f[6].size), (FieldType::Str, StrSize::LongText));
        assert!(StrSize::Varchar.overflow(&"é".repeat(255)).is_none());
        assert!(StrSize::Varchar.overflow(&"a".repeat(256)).is_some());
        assert!(StrSize::Text.overflow(&"a".repeat(65_536)).is_some());
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
