//! Runtime configuration: command-line flags, each backed by a `PARC_*` environment variable.
//! The defaults need nothing: an SQLite file next to where Parc runs, loopback bind, human logs.

use clap::{Args, ValueEnum};
use secrecy::SecretString;

/// clap value parser for credentials: the value goes straight into a `SecretString`, so
/// the settings' `Debug` shows `[REDACTED]` instead of it.
pub fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct DbSettings {
    /// Database URL: `sqlite://FILE` (created on first start) or `postgres://USER@HOST/DB`.
    /// A secret: a PostgreSQL URL may carry a password.
    #[arg(long, env = "PARC_DATABASE_URL", default_value = "sqlite://parc.db", global = true,
          hide_env_values = true, value_parser = secret)]
    pub database_url: SecretString,
    /// Maximum pooled database connections.
    #[arg(long, env = "PARC_DB_POOL_SIZE", default_value_t = 16, global = true)]
    pub db_pool_size: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "PARC_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Login of the super-admin created on first start.
    #[arg(long, env = "PARC_ADMIN_LOGIN", default_value = "admin")]
    pub admin_login: String,
    /// Password of the super-admin created on first start; generated and printed once if unset.
    #[arg(long, env = "PARC_ADMIN_PASSWORD", hide_env_values = true, value_parser = secret)]
    pub admin_password: Option<SecretString>,
    /// Idle time after which an API session expires, in seconds.
    #[arg(long, env = "PARC_SESSION_IDLE_SECS", default_value_t = 3600)]
    pub session_idle_secs: i64,
    /// Maximum accepted request body, in bytes (after decompression for inventories).
    #[arg(long, env = "PARC_BODY_LIMIT", default_value_t = 8 * 1024 * 1024)]
    pub body_limit: usize,
    /// Number of HTTP worker threads (default: one per core).
    #[arg(long, env = "PARC_WORKERS")]
    pub workers: Option<usize>,
    /// Public base URL of the GLPI API, used in HATEOAS links and error messages.
    #[arg(long, env = "PARC_API_URL", default_value = "http://localhost/apirest.php")]
    pub api_url: String,
    /// Base URL of the ENT's CAS server (e.g. `https://ent.iledefrance.fr/cas`); CAS sign-on
    /// is off when unset.
    #[arg(long, env = "PARC_CAS_URL")]
    pub cas_url: Option<String>,
    /// CAS protocol version for ticket validation: 2 (`serviceValidate`) or 3 (`p3/serviceValidate`).
    #[arg(long, env = "PARC_CAS_VERSION", default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=3))]
    pub cas_version: u8,
    /// Public base URL of Parc, as the CAS server redirects back to it (`…/auth/cas/callback`).
    #[arg(long, env = "PARC_PUBLIC_URL", default_value = "http://localhost:8080")]
    pub public_url: String,
    #[command(flatten)]
    pub inventory: InventorySettings,
    #[command(flatten)]
    pub login: LoginSettings,
}

/// Throttling of failed sign-ins (password guessing); 0 turns a limit off.
#[derive(Debug, Clone, Args)]
pub struct LoginSettings {
    /// Failed sign-ins allowed per login within the window; then 429 until it ends.
    #[arg(long = "login-max-failures", env = "PARC_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub max_failures: u32,
    /// Failed sign-ins allowed per client address within the window.
    #[arg(long = "login-max-failures-per-ip", env = "PARC_LOGIN_MAX_FAILURES_PER_IP", default_value_t = 20)]
    pub max_failures_per_ip: u32,
    /// Length of the throttling window, in seconds.
    #[arg(long = "login-window-secs", env = "PARC_LOGIN_WINDOW_SECS", default_value_t = 60)]
    pub window_secs: u64,
}

impl Default for LoginSettings {
    fn default() -> Self {
        LoginSettings { max_failures: 5, max_failures_per_ip: 20, window_secs: 60 }
    }
}

/// The agent inventory endpoints (`/front/inventory.php` and friends).
#[derive(Debug, Clone, Args)]
pub struct InventorySettings {
    /// Largest inventory accepted, in bytes, after decompression (bigger ones get 413).
    #[arg(long = "inventory-max-bytes", env = "PARC_INVENTORY_MAX_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_bytes: usize,
    /// Entity id receiving computers whose TAG names no known establishment; by default an
    /// entity "Quarantaine" under the root, created on first need.
    #[arg(long = "inventory-quarantine-entity", env = "PARC_INVENTORY_QUARANTINE_ENTITY")]
    pub quarantine_entity: Option<i64>,
    /// HTTP Basic user required from agents (no authentication when unset).
    #[arg(long = "inventory-user", env = "PARC_INVENTORY_USER")]
    pub user: Option<String>,
    /// HTTP Basic password required from agents, with `PARC_INVENTORY_USER`.
    #[arg(long = "inventory-password", env = "PARC_INVENTORY_PASSWORD", hide_env_values = true, value_parser = secret)]
    pub password: Option<SecretString>,
    /// Ordered rules matching an incoming computer to an existing one, comma-separated,
    /// among `serial+uuid`, `serial`, `uuid`, `mac`, `name` (GLPI's defaults).
    #[arg(
        long = "inventory-match-rules",
        env = "PARC_INVENTORY_MATCH_RULES",
        default_value = "serial+uuid,serial,name"
    )]
    pub match_rules: String,
    /// Whether an inventory may take over a computer created by hand (`is_dynamic` 0) that
    /// it matches: `never`, or `serial` (by the serial and UUID rules only).
    #[arg(long = "inventory-link-manual", env = "PARC_INVENTORY_LINK_MANUAL", value_enum, default_value_t = LinkManual::Never)]
    pub link_manual: LinkManual,
    /// Largest number of JSON values in one inventory (more: 413), and four times the
    /// number of XML elements. The GLPI Agent fixture of 826 software holds 13,000 values.
    #[arg(long = "inventory-max-values", env = "PARC_INVENTORY_MAX_VALUES", default_value_t = 500_000)]
    pub max_values: usize,
    /// Anonymous agent requests accepted per minute from one address (0: no limit). Applies
    /// to every request when agent authentication is off, else to the refused ones.
    #[arg(long = "inventory-anonymous-rate", env = "PARC_INVENTORY_ANONYMOUS_RATE", default_value_t = 120)]
    pub anonymous_rate: u32,
    /// Addresses the anonymous rate limit never applies to, comma-separated.
    #[arg(long = "inventory-rate-exempt", env = "PARC_INVENTORY_RATE_EXEMPT", default_value = "127.0.0.1,::1")]
    pub rate_exempt: String,
    /// Inventories imported at once; more wait their turn (0: twice the CPU count).
    /// Beyond that, concurrent imports only contend for the same index pages.
    #[arg(long = "inventory-concurrency", env = "PARC_INVENTORY_CONCURRENCY", default_value_t = 0)]
    pub concurrency: usize,
}

/// `PARC_INVENTORY_LINK_MANUAL`: what GLPI's "Computer import/link" rules decide for a
/// computer entered by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LinkManual {
    /// Only inventoried computers are matched; a hand-made one is left alone.
    #[default]
    Never,
    /// A hand-made computer with the same serial (or UUID) becomes the inventoried one.
    Serial,
}

impl InventorySettings {
    /// Both credentials set: agents must authenticate.
    pub fn auth_required(&self) -> bool {
        self.user.is_some() && self.password.is_some()
    }

    /// The start-up warning when anyone reaching the endpoint may submit inventories.
    pub fn open_endpoint_warning(&self) -> Option<&'static str> {
        (!self.auth_required()).then_some(
            "agent authentication is off: anyone who reaches the inventory endpoint can submit inventories \
             (and create computers); set both PARC_INVENTORY_USER and PARC_INVENTORY_PASSWORD and give them to the agents",
        )
    }

    /// An XML element costs about four JSON values once read: its node, then the JSON it is
    /// converted to, then the document view (≈ 360 bytes against 90, measured).
    pub fn max_xml_elements(&self) -> usize {
        self.max_values / 4
    }

    pub fn effective_concurrency(&self) -> usize {
        match self.concurrency {
            0 => 2 * std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            n => n,
        }
    }
}

impl Default for InventorySettings {
    fn default() -> Self {
        InventorySettings {
            max_bytes: 32 * 1024 * 1024,
            quarantine_entity: None,
            user: None,
            password: None,
            match_rules: "serial+uuid,serial,name".into(),
            link_manual: LinkManual::Never,
            max_values: 500_000,
            anonymous_rate: 120,
            rate_exempt: "127.0.0.1,::1".into(),
            concurrency: 0,
        }
    }
}

impl ServeSettings {
    /// Settings for tests: loopback on a random port, a known admin password.
    pub fn for_tests(admin_password: &str) -> Self {
        ServeSettings {
            bind: "127.0.0.1:0".into(),
            admin_login: "admin".into(),
            admin_password: Some(SecretString::from(admin_password)),
            session_idle_secs: 3600,
            body_limit: 1024 * 1024,
            workers: Some(2),
            api_url: "http://localhost/apirest.php".into(),
            cas_url: None,
            cas_version: 2,
            public_url: "http://localhost:8080".into(),
            inventory: InventorySettings { max_bytes: 4 * 1024 * 1024, ..InventorySettings::default() },
            login: LoginSettings::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_unless_agents_must_authenticate() {
        let mut s = InventorySettings::default();
        assert!(s.open_endpoint_warning().unwrap().contains("PARC_INVENTORY_USER"));
        s.user = Some("agent".into());
        assert!(s.open_endpoint_warning().is_some(), "a user without a password is no authentication");
        s.password = Some("pw".into());
        assert_eq!(s.open_endpoint_warning(), None);
    }

    #[test]
    fn debug_never_prints_credentials() {
        let mut s = ServeSettings::for_tests("admin-pw-7f3e");
        s.inventory.password = Some(secret("agent-pw-91c2").unwrap());
        let shown = format!("{s:?}");
        assert!(!shown.contains("admin-pw-7f3e") && !shown.contains("agent-pw-91c2"), "{shown}");
        let url = "postgres://parc:db-pw-5d0a@db/parc";
        let db = DbSettings { database_url: secret(url).unwrap(), db_pool_size: 4 };
        assert!(!format!("{db:?}").contains("db-pw-5d0a"));
        assert!(!format!("{:?}", crate::db::DbUrl::parse(url).unwrap()).contains("db-pw-5d0a"));
    }
}
