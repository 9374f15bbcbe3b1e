//! The establishment directory: establishments keyed by their UAI, kept in step with the
//! national Annuaire de l'éducation and the académies' AAF feed; staff as Parc users with
//! profiles derived from their functions; CAS sign-on from the ENT.
//!
//! * [`uai`]: the UAI domain type.
//! * [`annuaire`], [`aaf`]: feed parsers. They only read bytes and produce records or
//!   per-row rejections; a file they cannot read at all is an error and changes nothing.
//! * [`sync`]: applies parsed files to the database, one transaction per file, idempotently.
//! * [`repo`]: the directory tables and the entity tree (Région > académie > establishment).
//! * [`cas`], [`cas_web`]: CAS 2/3 ticket validation, person mapping, single logout.

pub mod aaf;
pub mod academies;
pub mod annuaire;
pub mod cas;
pub mod cli;
pub mod repo;
pub mod sync;
pub mod text;
pub mod tickets;
pub mod uai;

pub use uai::Uai;

/// Life-cycle state of an establishment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EstabState {
    Open,
    ToClose,
    ToOpen,
    Closed,
}

impl EstabState {
    pub fn as_str(self) -> &'static str {
        match self {
            EstabState::Open => "open",
            EstabState::ToClose => "to_close",
            EstabState::ToOpen => "to_open",
            EstabState::Closed => "closed",
        }
    }

    /// From Parc's own spelling, the annuaire's (`OUVERT`, `A FERMER`, `A OUVRIR`, `FERME`)
    /// or the geolocation dataset's codes (1, 2, 3).
    pub fn parse(s: &str) -> Option<EstabState> {
        let k = text::fold(s).replace(['_', '-'], " ");
        Some(match k.trim() {
            "open" | "ouvert" | "1" => EstabState::Open,
            "to close" | "a fermer" | "2" => EstabState::ToClose,
            "to open" | "a ouvrir" | "3" => EstabState::ToOpen,
            "closed" | "ferme" => EstabState::Closed,
            _ => return None,
        })
    }
}

/// What one feed row says about an establishment. `None`: the feed does not carry the
/// field (the stored value stays); `Some("")`: the feed says it is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct EstabRecord {
    pub uai: Uai,
    pub aaf_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub nature: Option<String>,
    pub sector: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub commune_code: Option<String>,
    pub town: Option<String>,
    pub departement: Option<String>,
    pub academie_code: Option<String>,
    pub academie: Option<String>,
    pub region_code: Option<String>,
    pub region: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub siret: Option<String>,
    pub state: Option<EstabState>,
    pub opened_on: Option<String>,
    pub closed_on: Option<String>,
    pub source_updated_on: Option<String>,
}

impl EstabRecord {
    pub fn new(uai: Uai) -> Self {
        EstabRecord {
            uai,
            aaf_id: None,
            name: None,
            kind: None,
            nature: None,
            sector: None,
            address: None,
            postcode: None,
            commune_code: None,
            town: None,
            departement: None,
            academie_code: None,
            academie: None,
            region_code: None,
            region: None,
            latitude: None,
            longitude: None,
            phone: None,
            email: None,
            siret: None,
            state: None,
            opened_on: None,
            closed_on: None,
            source_updated_on: None,
        }
    }
}

/// A row of a feed that was not imported, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Rejection {
    /// Where: `line 12` for CSV, `record 3` for JSON, `id 9900001` for AAF.
    pub at: String,
    pub reason: String,
}
