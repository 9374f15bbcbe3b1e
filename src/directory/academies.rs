//! Académies: the annuaire's `Code_academie` and labels, so that an AAF file that names its
//! académie (`CRETEIL`) and an annuaire row that gives its code (`24`) land under one entity.

use super::text::fold;

/// (code, label) as in the annuaire's `Code_academie` / `Libelle_academie`.
const ACADEMIES: &[(&str, &str)] = &[
    ("01", "Paris"),
    ("02", "Aix-Marseille"),
    ("03", "Besançon"),
    ("04", "Bordeaux"),
    ("05", "Caen"),
    ("06", "Clermont-Ferrand"),
    ("07", "Dijon"),
    ("08", "Grenoble"),
    ("09", "Lille"),
    ("10", "Lyon"),
    ("11", "Montpellier"),
    ("12", "Nancy-Metz"),
    ("13", "Poitiers"),
    ("14", "Rennes"),
    ("15", "Strasbourg"),
    ("16", "Toulouse"),
    ("17", "Nantes"),
    ("18", "Orléans-Tours"),
    ("19", "Reims"),
    ("20", "Amiens"),
    ("21", "Rouen"),
    ("22", "Limoges"),
    ("23", "Nice"),
    ("24", "Créteil"),
    ("25", "Versailles"),
    ("27", "Corse"),
    ("28", "La Réunion"),
    ("31", "Martinique"),
    ("32", "Guadeloupe"),
    ("33", "Guyane"),
    ("40", "Nouvelle-Calédonie"),
    ("41", "Polynésie française"),
    ("42", "Wallis et Futuna"),
    ("43", "Mayotte"),
    ("44", "Saint-Pierre-et-Miquelon"),
    ("70", "Normandie"),
];

/// Île-de-France départements and their académie (Paris 75; Créteil 77, 93, 94;
/// Versailles 78, 91, 92, 95), used when a feed gives a département but no académie.
const IDF: &[(&str, &str)] = &[
    ("075", "01"),
    ("077", "24"),
    ("093", "24"),
    ("094", "24"),
    ("078", "25"),
    ("091", "25"),
    ("092", "25"),
    ("095", "25"),
];

/// An académie resolved from whatever a feed gave: its code and display label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Academie {
    pub code: String,
    pub label: String,
}

impl Academie {
    /// The entity tag that identifies the académie's entity.
    pub fn tag(&self) -> String {
        format!("academie:{}", self.code)
    }

    /// Where establishments whose feed names no académie go.
    pub fn unknown() -> Academie {
        Academie { code: "inconnue".into(), label: String::new() }
    }

    /// `Académie de Créteil`, `Académie d'Amiens`.
    pub fn entity_name(&self) -> String {
        if self.label.is_empty() {
            return "Académie inconnue".into();
        }
        let vowel = self.label.chars().next().is_some_and(|c| "AEIOUYÉ".contains(c));
        if vowel {
            format!("Académie d'{}", self.label)
        } else {
            format!("Académie de {}", self.label)
        }
    }
}

fn known(code: &str) -> Option<Academie> {
    ACADEMIES.iter().find(|(c, _)| *c == code).map(|(c, l)| Academie { code: c.to_string(), label: l.to_string() })
}

/// Resolve from a code (`24`, `1`), a label or name (`Créteil`, `CRETEIL`), or the département.
/// An académie Parc does not know by code keeps the feed's label, keyed by its folded name.
pub fn resolve(code: Option<&str>, name: Option<&str>, departement: Option<&str>) -> Option<Academie> {
    if let Some(c) = code.map(str::trim).filter(|c| !c.is_empty()) {
        let padded = if c.len() == 1 { format!("0{c}") } else { c.to_string() };
        if let Some(a) = known(&padded) {
            return Some(a);
        }
    }
    if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) {
        let key = fold(n).replace(['-', ' ', '\''], "");
        if let Some((c, _)) = ACADEMIES.iter().find(|(_, l)| fold(l).replace(['-', ' ', '\''], "") == key) {
            return known(c);
        }
        return Some(Academie { code: key, label: n.to_string() });
    }
    let dep = departement.map(str::trim).filter(|d| !d.is_empty())?;
    let dep = format!("{dep:0>3}");
    IDF.iter().find(|(d, _)| *d == dep).and_then(|(_, c)| known(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_codes_names_and_departements() {
        assert_eq!(resolve(Some("24"), None, None).unwrap().label, "Créteil");
        assert_eq!(resolve(None, Some("CRETEIL"), None).unwrap().code, "24");
        assert_eq!(resolve(Some("1"), None, None).unwrap().code, "01");
        assert_eq!(resolve(None, None, Some("92")).unwrap().code, "25");
        assert_eq!(resolve(None, Some("Atlantis"), None).unwrap().tag(), "academie:atlantis");
        assert_eq!(resolve(None, None, None), None);
        assert_eq!(known("20").unwrap().entity_name(), "Académie d'Amiens");
        assert_eq!(known("24").unwrap().entity_name(), "Académie de Créteil");
    }
}
