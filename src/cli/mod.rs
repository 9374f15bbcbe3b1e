//! Command line: `parc [serve]`, `parc migrate`, `parc user create|token`,
//! `parc api-client create`, `parc openapi`.

use crate::config::{DbSettings, LogFormat, ServeSettings};
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use std::io::Read;

#[derive(Debug, Parser)]
#[command(name = "parc", version, about = "GLPI-compatible asset management and helpdesk for the Région's lycées")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub db: DbSettings,
    /// Log format: human or json.
    #[arg(long, env = "PARC_LOG_FORMAT", default_value = "human", global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP APIs (the default).
    Serve(Box<ServeSettings>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage GLPI API clients (IP ranges and app tokens).
    #[command(subcommand, name = "api-client")]
    ApiClient(ApiClientCommand),
    /// Print the native API's OpenAPI document.
    Openapi,
    /// Fill the database (or a live server, with --url) with a realistic, seeded region.
    DemoData {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 470)]
        lycees: usize,
        #[arg(long, default_value_t = 200_000)]
        computers: usize,
        #[arg(long, default_value_t = 100_000)]
        tickets: usize,
        /// Send everything through this server's GLPI API instead of the database.
        #[arg(long)]
        url: Option<String>,
        /// User API token for --url.
        #[arg(long, env = "PARC_DEMO_TOKEN", hide_env_values = true, value_parser = crate::config::secret)]
        token: Option<SecretString>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// The establishment directory (Annuaire de l'éducation, AAF).
    #[command(subcommand)]
    Directory(DirectoryCommand),
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Apply annuaire exports (CSV, JSON) and AAF files (EtabEducNat, PersEducNat; complete or
    /// delta). Idempotent; one transaction per file; prints what was added, updated, closed
    /// and rejected.
    Sync {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<std::path::PathBuf>,
        /// Show the changes without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// List every change, not only the counts.
        #[arg(long, short)]
        verbose: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user with a password and a profile in an entity.
    Create {
        login: String,
        /// Profile name or id (Self-Service, Observer, Admin, Super-Admin, Technician, ...).
        #[arg(long, default_value = "Self-Service")]
        profile: String,
        /// Entity id the profile applies to.
        #[arg(long, default_value_t = 0)]
        entity: i64,
        /// Apply the profile to sub-entities too.
        #[arg(long)]
        recursive: bool,
        /// Read the password from this environment variable instead of stdin.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Issue a new API token for a user and print it once.
    Token { login: String },
}

#[derive(Debug, Subcommand)]
pub enum ApiClientCommand {
    /// Create an API client with an app token (printed once).
    Create {
        name: String,
        /// Allowed IPv4 range, `A.B.C.D-E.F.G.H` or a single address.
        #[arg(long)]
        ip_range: Option<String>,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::telemetry::init(cli.log_format);
    match cli.command {
        None => serve(cli.db, ServeSettings::parse_from_env()).await,
        Some(Command::Serve(s)) => serve(cli.db, *s).await,
        Some(Command::Migrate) => {
            let url = crate::db::DbUrl::parse(cli.db.database_url.expose_secret()).map_err(anyhow::Error::msg)?;
            let mut c = url.connect_readonly_check().map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
            crate::db::guard::check_ownership(&mut c)?;
            drop(c);
            let mut c = url.connect().map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
            let n = crate::db::migrate(&mut c)?;
            println!("{n} migration(s) applied");
            Ok(())
        }
        Some(Command::Openapi) => {
            println!("{}", crate::web::native::openapi().to_pretty_json()?);
            Ok(())
        }
        Some(Command::User(cmd)) => user(cli.db, cmd),
        Some(Command::ApiClient(cmd)) => api_client(cli.db, cmd),
        Some(Command::DemoData { seed, lycees, computers, tickets, url, token, quiet }) => {
            if lycees == 0 {
                anyhow::bail!("--lycees must be at least 1");
            }
            let plan = crate::demo::Plan { seed, lycees, computers, tickets };
            let started = std::time::Instant::now();
            let summary = match url {
                Some(url) => {
                    let token = token.ok_or_else(|| anyhow::anyhow!("--url needs --token (a user API token)"))?;
                    // Off the async runtime's thread: the sink's blocking HTTP client needs that.
                    std::thread::scope(|s| {
                        s.spawn(|| {
                            let mut sink = crate::demo::sink::ApiSink::connect(&url, token.expose_secret())?;
                            crate::demo::generate(&mut sink, &plan, !quiet)
                        })
                        .join()
                        .map_err(|_| anyhow::anyhow!("the demo generator panicked"))
                    })??
                }
                None => {
                    let db = open(&cli.db)?;
                    let mut conn = db.pool.get()?;
                    let mut sink = crate::demo::sink::DbSink::new(&mut conn);
                    crate::demo::generate(&mut sink, &plan, !quiet)?
                }
            };
            println!("{summary} in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Some(Command::Directory(DirectoryCommand::Sync { files, dry_run, verbose })) => {
            let db = open(&cli.db)?;
            let mut conn = db.pool.get()?;
            crate::directory::cli::sync(&mut conn, &files, dry_run, verbose)
        }
    }
}

impl ServeSettings {
    /// Settings from the environment alone (when no subcommand is given).
    fn parse_from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            s: ServeSettings,
        }
        Only::parse_from(["parc"]).s
    }
}

async fn serve(db: DbSettings, settings: ServeSettings) -> anyhow::Result<()> {
    let pool_size = db.db_pool_size;
    let db = crate::db::Db::open(db.database_url.expose_secret(), pool_size)?;
    let mut conn = db.pool.get()?;
    match crate::bootstrap::ensure_admin(
        &mut conn,
        &settings.admin_login,
        settings.admin_password.as_ref().map(|p| p.expose_secret()),
    )? {
        crate::bootstrap::AdminCreated::Generated(pw) => {
            // Printed once on the console, never logged.
            println!("Created super-admin '{}' with password: {pw}", settings.admin_login);
        }
        crate::bootstrap::AdminCreated::WithGivenPassword => {
            println!("Created super-admin '{}' with the password from PARC_ADMIN_PASSWORD", settings.admin_login);
        }
        crate::bootstrap::AdminCreated::Existing => {}
    }
    drop(conn);
    let app = crate::app::Application::build(settings.clone(), db)?;
    tracing::info!(bind = %settings.bind, port = app.port(), "Parc listening");
    app.run_until_stopped().await?;
    Ok(())
}

fn open(db: &DbSettings) -> anyhow::Result<crate::db::Db> {
    crate::db::Db::open(db.database_url.expose_secret(), 2)
}

fn profile_id(conn: &mut crate::db::DbConn, p: &str) -> anyhow::Result<i64> {
    if let Ok(id) = p.parse::<i64>() {
        return Ok(id);
    }
    let mut sql = crate::db::sql::Sql::new(conn.backend());
    sql.push("SELECT CAST(\"id\" AS BIGINT) AS n FROM \"profiles\" WHERE LOWER(\"name\") = LOWER(").bind(p).push(")");
    sql.load_ints(conn)?.first().copied().ok_or_else(|| anyhow::anyhow!("unknown profile '{p}'"))
}

fn user(db: DbSettings, cmd: UserCommand) -> anyhow::Result<()> {
    let db = open(&db)?;
    let mut conn = db.pool.get()?;
    match cmd {
        UserCommand::Create { login, profile, entity, recursive, password_env } => {
            let pw = match password_env {
                Some(var) => {
                    std::env::var(&var).map_err(|_| anyhow::anyhow!("environment variable {var} is not set"))?
                }
                None => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let pid = profile_id(&mut conn, &profile)?;
            let id = crate::bootstrap::create_user(&mut conn, &login, &pw, pid, entity, recursive)?;
            println!("user '{login}' created with id {id}");
        }
        UserCommand::Token { login } => {
            let u = crate::auth::session::user_by_login(&mut conn, &login)?
                .ok_or_else(|| anyhow::anyhow!("no user '{login}'"))?;
            let tok = crate::auth::session::reset_api_token(&mut conn, u.id as i64)?;
            println!("{tok}");
        }
    }
    Ok(())
}

fn parse_ipv4(s: &str) -> anyhow::Result<i64> {
    let ip: std::net::Ipv4Addr = s.trim().parse().map_err(|_| anyhow::anyhow!("'{s}' is not an IPv4 address"))?;
    Ok(u32::from(ip) as i64)
}

fn api_client(db: DbSettings, cmd: ApiClientCommand) -> anyhow::Result<()> {
    let db = open(&db)?;
    let mut conn = db.pool.get()?;
    match cmd {
        ApiClientCommand::Create { name, ip_range } => {
            let (start, end) = match ip_range.as_deref() {
                None => (None, None),
                Some(r) => match r.split_once('-') {
                    Some((a, b)) => (Some(parse_ipv4(a)?), Some(parse_ipv4(b)?)),
                    None => {
                        let ip = parse_ipv4(r)?;
                        (Some(ip), Some(ip))
                    }
                },
            };
            let tok = crate::auth::token::generate();
            let mut sql = crate::db::sql::Sql::new(conn.backend());
            sql.push("INSERT INTO \"apiclients\" (\"guid\", \"name\", \"is_active\", \"ipv4_range_start\", \"ipv4_range_end\", \"app_token\", \"date_creation\") VALUES (")
                .bind(crate::itemtypes::store::new_guid())
                .push(", ")
                .bind(name.as_str())
                .push(", 1, ")
                .bind(start.map(crate::db::sql::Val::Int).unwrap_or(crate::db::sql::Val::Null))
                .push(", ")
                .bind(end.map(crate::db::sql::Val::Int).unwrap_or(crate::db::sql::Val::Null))
                .push(", ")
                .bind(crate::auth::token::digest(&tok))
                .push(", ")
                .bind(crate::itemtypes::store::now())
                .push(")");
            sql.execute(&mut conn)?;
            println!("{tok}");
        }
    }
    Ok(())
}
