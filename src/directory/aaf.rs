//! AAF feed files (`ficAlimMENESR`): establishments (`EtabEducNat`) and staff
//! (`PersEducNat`), complete or delta, as `addRequest` / `modifyRequest` / `deleteRequest`.
//!
//! The encoding comes from the XML declaration (UTF-8 or ISO-8859-15 occur). The DTD named
//! by `<!DOCTYPE>` is never read and no entity other than XML's five predefined ones and
//! character references is expanded, so a file cannot pull in external content or blow up.

use super::{EstabRecord, Rejection, Uai};
use quick_xml::events::Event;
use quick_xml::Reader;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Modify,
    Delete,
}

/// One request of the file, as read: attribute name -> values.
#[derive(Debug, Clone)]
pub struct Request {
    pub op: Op,
    pub category: String,
    pub id: String,
    pub attrs: Vec<(String, Vec<String>)>,
    /// Something in this request alone could not be read (an unknown entity...).
    pub error: Option<String>,
    /// Position of the request in the file, 1-based.
    pub index: usize,
}

impl Request {
    /// Where the request is, for rejections.
    pub fn at(&self) -> String {
        if self.id.is_empty() {
            format!("request {}", self.index)
        } else {
            format!("id {}", self.id)
        }
    }

    pub fn values(&self, name: &str) -> Option<&[String]> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }

    /// First non-empty value; `Some("")` when the attribute is present but empty.
    pub fn first(&self, name: &str) -> Option<String> {
        self.values(name).map(|v| v.iter().find(|s| !s.is_empty()).cloned().unwrap_or_default())
    }
}

/// Decode the file to UTF-8 following its XML declaration (UTF-8 when there is none).
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let label = declared_encoding(bytes);
    match label.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("utf-8") | Some("utf8") => {
            String::from_utf8(bytes.to_vec()).map_err(|_| "the file is not valid UTF-8".to_string())
        }
        Some(other) => {
            let enc = encoding_rs::Encoding::for_label(other.as_bytes())
                .ok_or_else(|| format!("unsupported encoding {other:?}"))?;
            enc.decode_without_bom_handling_and_without_replacement(bytes)
                .map(|s| s.into_owned())
                .ok_or_else(|| format!("the file is not valid {other}"))
        }
    }
}

fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(256)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let rest = &decl[decl.find("encoding")? + "encoding".len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// Read every request of a file. Errors when the file is not a well-formed AAF document.
pub fn parse(bytes: &[u8]) -> Result<Vec<Request>, String> {
    let text = decode(bytes)?;
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut cur: Option<Request> = None;
    let mut attr: Option<(String, Vec<String>)> = None;
    let mut buf: Option<String> = None;
    let mut saw_root = false;
    loop {
        let ev =
            reader.read_event().map_err(|e| format!("malformed XML near byte {}: {e}", reader.error_position()))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) if stack.is_empty() => {
                if e.local_name().as_ref() != "ficAlimMENESR" || saw_root {
                    return Err("not an AAF file (the root element is not ficAlimMENESR)".into());
                }
                saw_root = true;
                if matches!(ev, Event::Start(_)) {
                    stack.push("ficAlimMENESR".into());
                }
            }
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                match name.as_str() {
                    "addRequest" | "modifyRequest" | "deleteRequest" => {
                        let op = match name.as_str() {
                            "addRequest" => Op::Add,
                            "modifyRequest" => Op::Modify,
                            _ => Op::Delete,
                        };
                        cur = Some(Request {
                            op,
                            category: String::new(),
                            id: String::new(),
                            attrs: Vec::new(),
                            error: None,
                            index: out.len() + 1,
                        });
                    }
                    "attr" | "modification" => attr = Some((attr_name(&e), Vec::new())),
                    "value" | "id" => buf = Some(String::new()),
                    _ => {}
                }
                stack.push(name);
            }
            Event::Empty(e) => match e.local_name().as_ref() {
                "value" => {
                    if let Some((_, v)) = attr.as_mut() {
                        v.push(String::new());
                    }
                }
                "attr" | "modification" => {
                    if let Some(r) = cur.as_mut() {
                        r.attrs.push((attr_name(&e), Vec::new()));
                    }
                }
                _ => {}
            },
            Event::Text(t) => {
                if let Some(b) = buf.as_mut() {
                    b.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(b) = buf.as_mut() {
                    b.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let name = r.xml10_content().into_owned();
                match (xml_reference(&r), buf.as_mut()) {
                    (Some(c), Some(b)) => b.push(c),
                    (None, _) => {
                        if let Some(r) = cur.as_mut() {
                            r.error = Some(format!("entity &{name}; is not expanded"));
                        }
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let parent = stack.last().map(String::as_str).unwrap_or("");
                match name.as_str() {
                    "value" => {
                        if let (Some((_, v)), Some(b)) = (attr.as_mut(), buf.take()) {
                            v.push(b.trim().to_string());
                        }
                    }
                    "id" => {
                        if let (Some(r), Some(b)) = (cur.as_mut(), buf.take()) {
                            r.id = b.trim().to_string();
                        }
                    }
                    "attr" | "modification" => {
                        if let (Some(r), Some(a)) = (cur.as_mut(), attr.take()) {
                            if parent == "operationalAttributes" {
                                r.category = a.1.into_iter().next().unwrap_or_default();
                            } else {
                                r.attrs.push(a);
                            }
                        }
                    }
                    "addRequest" | "modifyRequest" | "deleteRequest" => out.extend(cur.take()),
                    _ => {}
                }
            }
            Event::Eof => {
                if !stack.is_empty() {
                    return Err(format!("truncated XML: <{}> is not closed", stack.last().unwrap()));
                }
                break;
            }
            // The declaration, the DOCTYPE (never resolved), comments and PIs carry no data.
            _ => {}
        }
    }
    if !saw_root {
        return Err("not an AAF file (no ficAlimMENESR element)".into());
    }
    Ok(out)
}

/// The character of a reference: XML's five predefined entities and character references.
/// Any other entity is left unexpanded (`None`): no DTD is ever read.
pub fn xml_reference(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    match r.xml10_content().as_ref() {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => r.resolve_char_ref().ok().flatten(),
    }
}

fn attr_name(e: &quick_xml::events::BytesStart<'_>) -> String {
    e.try_get_attribute("name")
        .ok()
        .flatten()
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
        .unwrap_or_default()
}

/// Set the fields an `EtabEducNat` request carries on `r`.
pub fn estab_fields(req: &Request, r: &mut EstabRecord) -> Result<(), String> {
    let set = |v: &mut Option<String>, name: &str| {
        if let Some(x) = req.first(name) {
            *v = Some(x);
        }
    };
    if let Some(uai) = req.first("ENTStructureUAI") {
        let uai = Uai::parse(&uai).map_err(|e| e.to_string())?;
        if uai != r.uai {
            return Err(format!("structure {} changes UAI from {} to {uai}: not supported", req.id, r.uai));
        }
    }
    // `$` separates the parts of a compound name (`LYCEE GENERAL$CHAPTAL`).
    if let Some(n) = req.values("ENTStructureNomCourant") {
        let name = n.iter().filter(|s| !s.is_empty()).map(|s| s.replace('$', " - ")).collect::<Vec<_>>().join(" ");
        r.name = Some(name);
    }
    set(&mut r.kind, "ENTStructureTypeStruct");
    if let Some(c) = req.first("ENTEtablissementContrat") {
        r.sector = Some(
            match c.as_str() {
                "PU" => "Public",
                "PR" => "Privé",
                other => other,
            }
            .to_string(),
        );
    }
    if req.values("street").is_some() || req.values("postOfficeBox").is_some() {
        let parts: Vec<String> =
            [req.first("street"), req.first("postOfficeBox")].into_iter().flatten().filter(|s| !s.is_empty()).collect();
        r.address = Some(parts.join(", "));
    }
    set(&mut r.postcode, "postalCode");
    set(&mut r.town, "l");
    set(&mut r.phone, "telephoneNumber");
    set(&mut r.email, "ENTStructureMailSI");
    set(&mut r.siret, "ENTStructureSIREN");
    set(&mut r.academie, "ENTServAcAcademie");
    set(&mut r.academie_code, "ENTServCodeAcAcademie");
    if let Some(s) = r.siret.as_deref().filter(|s| !s.is_empty()) {
        if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("SIRET {s:?} is not 14 digits"));
        }
    }
    Ok(())
}

/// The UAI of an `EtabEducNat` add request.
pub fn estab_uai(req: &Request) -> Result<Uai, String> {
    let raw = req.first("ENTStructureUAI").filter(|s| !s.is_empty()).ok_or("no ENTStructureUAI")?;
    Uai::parse(&raw).map_err(|e| e.to_string())
}

/// What a `PersEducNat` request says about a person. `None`: not carried (modify).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonPatch {
    pub realname: Option<String>,
    pub firstname: Option<String>,
    pub email: Option<String>,
    /// Attached structures (AAF jointure ids).
    pub structures: Option<Vec<String>>,
    /// `(structure jointure, function code)`.
    pub functions: Option<Vec<(String, String)>>,
}

pub fn person_patch(req: &Request) -> Result<PersonPatch, String> {
    let mut p = PersonPatch {
        realname: req.first("sn"),
        firstname: req.first("givenName"),
        email: req.first("mail"),
        structures: req.values("ENTPersonStructRattach").map(|v| v.iter().filter(|s| !s.is_empty()).cloned().collect()),
        functions: None,
    };
    if let Some(values) = req.values("ENTPersonFonctions") {
        let mut f = Vec::new();
        for v in values.iter().filter(|v| !v.is_empty()) {
            let mut parts = v.split('$');
            match (parts.next(), parts.next()) {
                (Some(s), Some(code)) if !s.is_empty() && !code.is_empty() => {
                    f.push((s.to_string(), code.to_ascii_uppercase()))
                }
                _ => return Err(format!("malformed ENTPersonFonctions value {v:?}")),
            }
        }
        p.functions = Some(f);
    }
    if req.op == Op::Add && p.realname.as_deref().is_none_or(str::is_empty) {
        return Err("no sn (last name)".into());
    }
    Ok(p)
}

/// Requests of a category this import does not handle are rejected one by one.
pub fn reject_category(req: &Request) -> Rejection {
    Rejection { at: req.at(), reason: format!("category {:?} is not imported", req.category) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/directory/aaf/");

    fn file(name: &str) -> Vec<u8> {
        std::fs::read(format!("{DIR}{name}")).unwrap()
    }

    #[test]
    fn complete_and_delta_files() {
        let etabs = parse(&file("ENT_IDFTEST_Complet_20250901_EtabEducNat_0000.xml")).unwrap();
        assert_eq!(etabs.len(), 3);
        assert_eq!(etabs[1].category, "EtabEducNat");
        let mut r = EstabRecord::new(estab_uai(&etabs[1]).unwrap());
        estab_fields(&etabs[1], &mut r).unwrap();
        assert_eq!(r.name.as_deref(), Some("LYCEE GENERAL ET TECHNOLOGIQUE - CHAPTAL"));
        assert_eq!(r.sector.as_deref(), Some("Public"));
        assert_eq!(etabs[0].first("ENTEtablissementMinistereTutelle").unwrap(), "MINISTERE DE L'EDUCATION NATIONALE");
        let people = parse(&file("ENT_IDFTEST_Complet_20250901_PersEducNat_0000.xml")).unwrap();
        assert_eq!(people.len(), 6);
        let p = person_patch(&people[1]).unwrap();
        assert_eq!(p.realname.as_deref(), Some("LEFÈVRE"));
        assert_eq!(p.functions.unwrap(), vec![("90001".to_string(), "DIR".to_string())]);
        let p = person_patch(&people[5]).unwrap();
        assert_eq!(p.structures.unwrap(), vec!["90001", "90003"]);
        let delta = parse(&file("ENT_IDFTEST_Delta_20250902_PersEducNat_0000.xml")).unwrap();
        let ops: Vec<_> = delta.iter().map(|r| (r.op, r.id.as_str())).collect();
        assert_eq!(ops, [(Op::Add, "9900007"), (Op::Modify, "9900006"), (Op::Delete, "9900004")]);
        assert_eq!(person_patch(&delta[1]).unwrap().realname, None, "modify carries only what changes");
    }

    #[test]
    fn encodings_entities_and_malformed_files() {
        let latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><ficAlimMENESR><addRequest>\
            <operationalAttributes><attr name=\"categorieStructure\"><value>EtabEducNat</value></attr></operationalAttributes>\
            <identifier><id>1</id></identifier><attributes><attr name=\"l\"><value>CR\xC9TEIL \xA4</value></attr></attributes>\
            </addRequest></ficAlimMENESR>";
        let r = parse(latin).unwrap();
        assert_eq!(r[0].first("l").unwrap(), "CRÉTEIL €");
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE ficAlimMENESR [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\
            <ficAlimMENESR><addRequest><operationalAttributes><attr name=\"categoriePersonne\"><value>PersEducNat</value></attr>\
            </operationalAttributes><identifier><id>7</id></identifier><attributes><attr name=\"sn\"><value>&x;</value></attr>\
            </attributes></addRequest></ficAlimMENESR>";
        let r = parse(xxe.as_bytes()).unwrap();
        assert_eq!(r[0].error.as_deref(), Some("entity &x; is not expanded"));
        assert_eq!(r[0].first("sn").unwrap(), "");
        assert!(parse(b"<ficAlimMENESR><addRequest>").is_err(), "truncated");
        assert!(parse(b"<ficAlimMENESR><a></b></ficAlimMENESR>").is_err(), "mismatched");
        assert!(parse(b"<html></html>").is_err(), "not AAF");
        assert!(parse(b"\xff\xfe<x/>").is_err(), "not UTF-8");
        assert_eq!(parse(b"<ficAlimMENESR/>").unwrap().len(), 0);
    }
}
