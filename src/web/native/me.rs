use super::Caller;
use actix_web::get;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub login: String,
    pub profile: String,
    /// Active entity ids.
    pub entities: Vec<i64>,
}

/// The authenticated user, their active profile and entities.
#[utoipa::path(tag = "session", security(("bearer" = [])),
    responses((status = 200, body = Me), crate::web::error::ErrorResponses))]
#[get("/me")]
pub async fn me(caller: Caller) -> actix_web::web::Json<Me> {
    let s = caller.0;
    actix_web::web::Json(Me {
        id: s.users_id(),
        login: s.user.login().to_string(),
        profile: s.profile_name.clone(),
        entities: s.active.iter().copied().collect(),
    })
}
