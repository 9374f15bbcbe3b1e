//! Building and running the HTTP application. Tests call [`Application::build`] on port 0.

use crate::config::ServeSettings;
use crate::db::Db;
use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;

/// Shared state of all workers.
pub struct AppState {
    pub db: Db,
    pub settings: ServeSettings,
    pub sessions: crate::auth::cache::SessionCache,
    pub clients: crate::auth::cache::ClientCache,
    pub counts: crate::auth::cache::CountCache,
    /// Inventory imports under way.
    pub inventory: crate::inventory::batch::Imports,
    /// Rate limit of anonymous agent requests, per address.
    pub agents: crate::inventory::throttle::Throttle,
}

pub type State = web::Data<Arc<AppState>>;

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
        let state = Arc::new(AppState {
            db,
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

pub fn run(listener: TcpListener, state: Arc<AppState>, workers: Option<usize>) -> anyhow::Result<Server> {
    let data = web::Data::new(state.clone());
    let limit = state.settings.body_limit;
    let mut server = HttpServer::new(move || {
        let (app, api) = App::new()
            .into_utoipa_app()
            .openapi(crate::api::ApiDoc::openapi_base())
            .configure(crate::api::configure)
            .split_for_parts();
        app.app_data(data.clone())
            .app_data(crate::error::json_config(limit))
            .app_data(crate::error::query_config())
            .app_data(crate::error::path_config())
            .app_data(web::PayloadConfig::new(limit))
            .service(crate::api::docs(api))
            .configure(crate::routes::configure)
            .configure(crate::directory::cas_web::configure)
            .configure(crate::glpi::configure)
            .configure(crate::inventory::configure)
            .default_service(web::to(crate::routes::not_found))
            .wrap(middleware::ErrorHandlers::new().default_handler(crate::routes::json_errors))
            .wrap(middleware::NormalizePath::new(middleware::TrailingSlash::MergeOnly))
            .wrap(TracingLogger::<crate::routes::RequestSpan>::new())
    })
    .listen(listener)?
    .shutdown_timeout(30);
    if let Some(w) = workers {
        server = server.workers(w.max(1));
    }
    Ok(server.run())
}
