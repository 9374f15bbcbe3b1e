//! Parc's own REST API (`/api/v1`), documented with OpenAPI (utoipa).

mod auth;
mod directory;
mod interventions;
mod items;
mod me;
mod reports;

pub use auth::Caller;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parc API",
        version = "1",
        description = "Parc's native REST API: assets, tickets and establishments of the Région's lycées. \
                       The GLPI-compatible API lives under /apirest.php.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        crate::web::health::health,
        crate::web::health::ready,
        crate::web::cas::login,
        crate::web::cas::callback,
        crate::web::cas::logout
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::web::error::ErrorBody))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        crate::web::error::add_error_responses(components);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A user API token (`parc user token LOGIN`) or a GLPI session token."))
                    .build(),
            ),
        );
    }
}

impl ApiDoc {
    pub fn openapi_base() -> utoipa::openapi::OpenApi {
        <ApiDoc as OpenApi>::openapi()
    }
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/v1")
            .service(me::me)
            .service(items::list_computers)
            .service(items::get_computer)
            .service(items::list_tickets)
            .service(items::get_ticket)
            .service(items::create_ticket)
            .service(interventions::create)
            .service(interventions::history)
            .service(interventions::read)
            .service(interventions::update)
            .service(interventions::cancel)
            .service(interventions::schedule)
            .service(interventions::assign)
            .service(reports::report)
            .service(reports::export_computers)
            .service(directory::list_establishments)
            .service(directory::get_establishment)
            .service(directory::sync_upload),
    );
}

/// The complete OpenAPI document, built without starting a server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, api) =
        actix_web::App::new().into_utoipa_app().openapi(ApiDoc::openapi_base()).configure(configure).split_for_parts();
    api
}

/// `/api/openapi.json` and an offline Swagger UI at `/api/docs/`.
pub fn docs(api: utoipa::openapi::OpenApi) -> utoipa_swagger_ui::SwaggerUi {
    utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", api)
}
