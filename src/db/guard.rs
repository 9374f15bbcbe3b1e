//! Refuse to touch a database that is not Parc's, or whose schema is newer than this binary.

use super::sql::Sql;
use super::{Backend, DbConn, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use diesel::migration::MigrationSource;

/// Marker table written by the first migration. Its presence says the database is Parc's.
pub const MARKER_TABLE: &str = "parc_meta";
const DIESEL_TABLE: &str = "__diesel_schema_migrations";

pub fn check_ownership(conn: &mut DbConn) -> anyhow::Result<()> {
    let backend = conn.backend();
    let mut q = Sql::new(backend);
    match backend {
        Backend::Sqlite => {
            q.push("SELECT name AS s FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        }
        Backend::Postgres => q.push(
            "SELECT CAST(table_name AS TEXT) AS s FROM information_schema.tables \
             WHERE table_schema = current_schema()",
        ),
    };
    let tables =
        q.load_strings(conn).map_err(|e| anyhow::anyhow!("cannot read the database (is it an SQLite file?): {e}"))?;
    if tables.is_empty() {
        return Ok(());
    }
    if !tables.iter().any(|t| t == MARKER_TABLE) {
        anyhow::bail!(
            "this database already holds {} table(s) but is not a Parc database (no `{MARKER_TABLE}` table); \
             refusing to touch it. Point PARC_DATABASE_URL at an empty or Parc database.",
            tables.len()
        );
    }
    if !tables.iter().any(|t| t == DIESEL_TABLE) {
        return Ok(());
    }
    let unreadable = |e| anyhow::anyhow!("embedded migrations unreadable: {e}");
    let known: Vec<String> = match backend {
        Backend::Sqlite => MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .map_err(unreadable)?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect(),
        Backend::Postgres => MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
            .map_err(unreadable)?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect(),
    };
    let mut q = Sql::new(backend);
    q.push("SELECT CAST(version AS TEXT) AS s FROM ").ident(DIESEL_TABLE);
    let applied = q.load_strings(conn)?;
    if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
        anyhow::bail!(
            "the database schema is newer than this Parc binary (migration {unknown} is unknown to it); \
             upgrade Parc before using this database"
        );
    }
    Ok(())
}
