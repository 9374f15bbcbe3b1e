//! The national "Annuaire de l'éducation" (`fr-en-annuaire-education`): CSV exports
//! (`;`, UTF-8 with BOM, CRLF; the 2023 and 2026 column layouts, and the companion
//! geolocation dataset) and JSON exports (Explore API v2.1 `results`, v2 `records`, or a
//! bare array). Columns are matched by normalised name, so drift between exports is fine.

use super::text::{column_key, iso_date};
use super::{EstabRecord, EstabState, Rejection, Uai};
use serde_json::Value;
use std::collections::HashMap;

/// Rows read from one file, each turned into a record or rejected with its reason.
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<(String, EstabRecord)>,
    pub rejected: Vec<Rejection>,
}

impl Parsed {
    fn push(&mut self, at: String, row: &Row) {
        match record_from_row(row) {
            Ok(r) => self.records.push((at, r)),
            Err(reason) => self.rejected.push(Rejection { at, reason }),
        }
    }
}

type Row = HashMap<String, String>;

/// A CSV export. Errors only when the file as a whole cannot be read.
pub fn parse_csv(bytes: &[u8]) -> Result<Parsed, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("the CSV file is not UTF-8 ({e})"))?;
    let text = text.trim_start_matches('\u{feff}');
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = if header_line.contains(';') { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).from_reader(text.as_bytes());
    let headers: Vec<String> =
        reader.headers().map_err(|e| format!("unreadable CSV header: {e}"))?.iter().map(column_key).collect();
    if !headers.iter().any(|h| UAI.contains(&h.as_str())) {
        return Err("no UAI column in the CSV header (Identifiant_de_l_etablissement, numero_uai or uai)".into());
    }
    let mut out = Parsed::default();
    for rec in reader.records() {
        let (line, rec) = match rec {
            // csv counts the line before the record; report file lines (header = line 1).
            Ok(r) => (r.position().map(|p| p.line() + 1).unwrap_or(0), r),
            Err(e) => {
                let line = e.position().map(|p| p.line() + 1).unwrap_or(0);
                out.rejected.push(Rejection { at: format!("line {line}"), reason: format!("unreadable row: {e}") });
                continue;
            }
        };
        let at = format!("line {line}");
        if rec.len() != headers.len() {
            let reason = format!("{} fields where the header has {}", rec.len(), headers.len());
            out.rejected.push(Rejection { at, reason });
            continue;
        }
        let row: Row = headers.iter().cloned().zip(rec.iter().map(str::to_string)).collect();
        out.push(at, &row);
    }
    Ok(out)
}

/// A JSON export: `{"results": [...]}`, `{"records": [{"record": {"fields": {...}}}]}` or `[...]`.
pub fn parse_json(bytes: &[u8]) -> Result<Parsed, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    let rows = match &v {
        Value::Array(a) => a,
        Value::Object(o) => match (o.get("results"), o.get("records")) {
            (Some(Value::Array(a)), _) | (_, Some(Value::Array(a))) => a,
            _ => return Err("the JSON has no `results` or `records` array".into()),
        },
        _ => return Err("the JSON is neither an array nor an object".into()),
    };
    let mut out = Parsed::default();
    for (i, item) in rows.iter().enumerate() {
        let at = format!("record {}", i + 1);
        // API v2 nests the fields: {"record": {"fields": {...}}} or {"fields": {...}}.
        let fields = item.pointer("/record/fields").or_else(|| item.get("fields")).unwrap_or(item);
        let Value::Object(o) = fields else {
            out.rejected.push(Rejection { at, reason: "not a JSON object".into() });
            continue;
        };
        let row: Row = o.iter().map(|(k, v)| (column_key(k), json_text(v))).collect();
        out.push(at, &row);
    }
    Ok(out)
}

fn json_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => (if *b { "1" } else { "0" }).into(),
        Value::Number(n) => n.to_string(),
        // `position` is {"lon": …, "lat": …} in JSON and "lat, lon" in CSV.
        Value::Object(o) => match (o.get("lat"), o.get("lon")) {
            (Some(lat), Some(lon)) => format!("{}, {}", json_text(lat), json_text(lon)),
            _ => v.to_string(),
        },
        Value::Array(_) => v.to_string(),
    }
}

// Column names, normalised, in order of preference across the known layouts.
const UAI: &[&str] = &["identifiant_de_l_etablissement", "numero_uai", "uai", "code_uai", "code_rne"];

fn get<'a>(row: &'a Row, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| row.get(*n)).map(|s| s.trim())
}

fn text(row: &Row, names: &[&str]) -> Option<String> {
    get(row, names).map(str::to_string)
}

fn number(row: &Row, name: &str) -> Result<Option<f64>, String> {
    match get(row, &[name]) {
        None | Some("") => Ok(None),
        Some(s) => s.parse::<f64>().map(Some).map_err(|_| format!("{name} {s:?} is not a number")),
    }
}

fn date(row: &Row, names: &[&str]) -> Result<Option<String>, String> {
    match get(row, names) {
        None => Ok(None),
        Some("") => Ok(Some(String::new())),
        Some(s) => iso_date(s).map(Some),
    }
}

/// Lines of the postal address; a last line that is just "postcode TOWN" is left out.
fn address(row: &Row, postcode: Option<&str>) -> Option<String> {
    let cols = ["adresse_1", "adresse_2", "adresse_3", "adresse_uai", "lieu_dit_uai", "boite_postale_uai"];
    if !cols.iter().any(|c| row.contains_key(*c)) {
        return None;
    }
    let lines: Vec<&str> = cols
        .iter()
        .filter_map(|c| row.get(*c).map(|s| s.trim()))
        .filter(|s| !s.is_empty())
        .filter(|s| !postcode.is_some_and(|p| !p.is_empty() && s.starts_with(p)))
        .collect();
    Some(lines.join(", "))
}

/// The département on 3 characters, as in the annuaire (`94` -> `094`, `2A` -> `02A`).
pub fn departement(code: &str) -> String {
    let c = code.trim().to_ascii_uppercase();
    if c.is_empty() {
        c
    } else {
        format!("{c:0>3}")
    }
}

fn record_from_row(row: &Row) -> Result<EstabRecord, String> {
    let raw = get(row, UAI).unwrap_or("");
    let uai = Uai::parse(raw).map_err(|e| e.to_string())?;
    let mut r = EstabRecord::new(uai);
    r.name = text(row, &["nom_etablissement", "appellation_officielle", "nom"]);
    if r.name.as_deref().is_none_or(str::is_empty) {
        return Err("no establishment name".into());
    }
    r.kind = text(row, &["type_etablissement"]);
    r.nature = text(row, &["libelle_nature", "nature_uai_libe"]);
    r.sector = text(row, &["statut_public_prive", "secteur_public_prive_libe", "secteur"]);
    r.postcode = text(row, &["code_postal", "code_postal_uai"]);
    r.address = address(row, r.postcode.as_deref());
    r.commune_code = text(row, &["code_commune"]);
    r.town = text(row, &["nom_commune", "libelle_commune"]);
    r.departement = get(row, &["code_departement"]).map(departement);
    r.academie_code = text(row, &["code_academie"]);
    r.academie = text(row, &["libelle_academie"]);
    r.region_code = text(row, &["code_region"]);
    r.region = text(row, &["libelle_region"]);
    r.latitude = number(row, "latitude")?;
    r.longitude = number(row, "longitude")?;
    if r.latitude.is_none() {
        if let Some((lat, lon)) = get(row, &["position"]).and_then(|p| p.split_once(',')) {
            r.latitude = lat.trim().parse().ok();
            r.longitude = lon.trim().parse().ok();
        }
    }
    r.phone = text(row, &["telephone"]);
    r.email = text(row, &["mail"]);
    r.siret = text(row, &["siren_siret"]);
    // A spreadsheet re-save turns SIRETs into `2,17003E+13`: refuse rather than trust.
    if let Some(s) = r.siret.as_deref().filter(|s| !s.is_empty()) {
        if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("SIRET {s:?} is not 14 digits"));
        }
    }
    r.state = match get(row, &["etat", "etat_etablissement"]) {
        None | Some("") => None,
        Some(s) => Some(EstabState::parse(s).ok_or_else(|| format!("unknown state {s:?}"))?),
    };
    r.opened_on = date(row, &["date_ouverture"])?;
    r.closed_on = date(row, &["date_fermeture"])?;
    if r.closed_on.as_deref().is_some_and(|d| !d.is_empty()) {
        r.state = Some(EstabState::Closed);
    }
    r.source_updated_on = date(row, &["date_maj_ligne"])?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/directory/annuaire/");

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(format!("{DIR}{name}")).unwrap()
    }

    #[test]
    fn both_csv_layouts() {
        let p = parse_csv(&read("annuaire_export_2026_ecoles_94_sample.csv")).unwrap();
        assert_eq!((p.records.len(), p.rejected.len()), (15, 0), "{:?}", p.rejected);
        let (_, r) = &p.records[0];
        assert_eq!(r.uai.as_str(), "0940176F");
        assert_eq!(r.departement.as_deref(), Some("094"));
        assert_eq!(r.academie_code.as_deref(), Some("24"));
        assert_eq!(r.postcode.as_deref(), Some("94260"));
        assert_eq!(r.address.as_deref(), Some("Allée du Puits"));
        assert_eq!(r.state, Some(EstabState::Open));
        assert!(r.latitude.is_some_and(|l| (l - 48.7511).abs() < 0.001));
        let p = parse_csv(&read("annuaire_export_2023_lycees_35_sample.csv")).unwrap();
        assert_eq!((p.records.len(), p.rejected.len()), (25, 0), "{:?}", p.rejected);
        assert_eq!(p.records[0].1.postcode.as_deref(), Some("35190"), "`Code postal` with a space");
        let p = parse_csv(&read("geoloc_etablissements_colleges_idf_sample.csv")).unwrap();
        assert_eq!((p.records.len(), p.rejected.len()), (32, 0), "{:?}", p.rejected);
    }

    #[test]
    fn json_export() {
        let p = parse_json(&read("annuaire_api_records_lycees_idf.json")).unwrap();
        assert_eq!(p.records.len(), 2);
        let r = &p.records[1].1;
        assert_eq!((r.uai.as_str(), r.name.as_deref()), ("0750663N", Some("Lycée Chaptal")));
        assert_eq!(r.address.as_deref(), Some("45 boulevard des Batignolles"));
        assert_eq!(r.latitude, Some(48.881738320109136));
    }

    #[test]
    fn bad_rows_are_rejected_alone_and_bad_files_refused() {
        let csv = "\u{feff}Identifiant_de_l_etablissement;Nom_etablissement;date_ouverture;SIREN_SIRET\r\n\
                   0750654D;Henri-IV;1965-05-01;19750654000010\r\n\
                   0750654E;Faux;1965-05-01;\r\n\
                   0750655E;Louis-le-Grand;01/05/1965;\r\n\
                   0750663N;Chaptal;;2,17003E+13\r\n\
                   0770934X;trop;de;champs;ici\r\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        let at: Vec<_> = p.rejected.iter().map(|r| r.at.as_str()).collect();
        assert_eq!(at, ["line 3", "line 4", "line 5", "line 6"], "{:?}", p.rejected);
        assert!(parse_csv(b"nom;ville\r\nx;y\r\n").is_err());
        assert!(parse_csv(b"\xff\xfe").is_err());
        assert!(parse_json(b"{\"results\": [").is_err());
    }
}
