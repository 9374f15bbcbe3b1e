//! GLPI's search engine (`/search/:itemtype`) and `listSearchOptions`.

use super::error::GlpiError;
use super::{ok, Ctx, GlpiResult};
use crate::auth::session::Session;
use crate::itemtypes::ItemTypeDef;

pub async fn list_search_options(_ctx: Ctx, _s: Session, _def: &'static ItemTypeDef) -> GlpiResult {
    ok(&serde_json::json!({}))
}

pub async fn search(_ctx: Ctx, _s: Session, _def: &'static ItemTypeDef) -> GlpiResult {
    Err(GlpiError::generic("search is not available yet"))
}
