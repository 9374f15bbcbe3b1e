//! Building and running the HTTP application. Tests call [`Application::build`] on port 0.

use crate::config::ServeSettings;
use crate::db::Db;
use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;

use super::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Bind the listener and build the server (not yet running).
    pub fn build(settings: ServeSettings, db: Db) -> anyhow::Result<Application> {
        crate::directory::cas::install_tls_provider();
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let workers = settings.workers;
        let imports = settings.inventory.effective_concurrency();
        let backend = db.backend;
        let inv = &settings.inventory;
        let agents = crate::inventory::throttle::Throttle::new(inv.anonymous_rate, &inv.rate_exempt)
            .map_err(|e| anyhow::anyhow!("PARC_INVENTORY_RATE_EXEMPT: {e}"))?;
        if let Some(warning) = inv.open_endpoint_warning() {
            tracing::warn!(rate_per_minute = inv.anonymous_rate, "{warning}");
        }
        let pool_size = db.pool.max_size() as usize;
        let logins = crate::auth::throttle::LoginThrottle::new(&settings.login);
        let state = Arc::new(AppState {
            db,
            logins,
            session_purge: Default::default(),
            settings,
            sessions: Default::default(),
            clients: Default::default(),
            counts: Default::default(),
            inventory: crate::inventory::batch::Imports::new(imports, backend, pool_size),
            agents,
        });
        let server = run(listener, state, workers)?;
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve until SIGTERM/SIGINT; actix drains in-flight requests (graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Headers on every answer: no MIME sniffing, no referrer, no framing, and a CSP that
/// still lets the Swagger UI (`/api/docs/`) run its inline script and styles.
fn security_headers() -> middleware::DefaultHeaders {
    middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; frame-ancestors 'none'",
        ))
}

pub fn run(listener: TcpListener, state: Arc<AppState>, workers: Option<usize>) -> anyhow::Result<Server> {
    let data = web::Data::new(state.clone());
    let limit = state.settings.body_limit;
    let mut server = HttpServer::new(move || {
        let (app, api) = App::new()
            .into_utoipa_app()
            .openapi(crate::web::native::ApiDoc::openapi_base())
            .configure(crate::web::native::configure)
            .split_for_parts();
        app.app_data(data.clone())
            .app_data(crate::web::error::json_config(limit))
            .app_data(crate::web::error::query_config())
            .app_data(crate::web::error::path_config())
            .app_data(web::PayloadConfig::new(limit))
            .service(crate::web::native::docs(api))
            .configure(crate::web::health::configure)
            .configure(crate::web::cas::configure)
            .configure(crate::web::glpi::configure)
            .configure(crate::web::agent::configure)
            .default_service(web::to(crate::web::health::not_found))
            .wrap(middleware::ErrorHandlers::new().default_handler(crate::web::health::json_errors))
            .wrap(security_headers())
            .wrap(middleware::NormalizePath::new(middleware::TrailingSlash::MergeOnly))
            .wrap(TracingLogger::<crate::web::health::RequestSpan>::new())
    })
    .listen(listener)?
    .shutdown_timeout(30);
    if let Some(w) = workers {
        server = server.workers(w.max(1));
    }
    Ok(server.run())
}
