//! Storage: one diesel code base over embedded SQLite and PostgreSQL.
//!
//! The backend is chosen at run time from the URL scheme. Repository code takes
//! `&mut DbConn` and is synchronous; handlers reach it through [`Db::run`], which moves
//! the work to actix's blocking pool and keeps the request's tracing span.

pub mod bulk;
pub mod guard;
pub mod schema;
pub mod sql;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Sqlite(_) => Backend::Sqlite,
            DbConn::Postgres(_) => Backend::Postgres,
        }
    }

    /// A transaction that writes; rolled back when `f` fails. On SQLite it takes the write
    /// lock when it begins (`BEGIN IMMEDIATE`), waiting up to `busy_timeout` for another
    /// writer: a deferred transaction that has read, then needs to write while another
    /// writer committed, fails with SQLITE_BUSY at once (the busy handler is not called,
    /// as waiting could deadlock). Writers of this process also take turns in arrival order
    /// (see [`WriterQueue`]). Nested, it is a savepoint of the outer transaction.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let DbConn::Sqlite(c) = self else { return self.transaction(f) };
        if AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()?.is_some() {
            return self.transaction(f);
        }
        let _turn = WRITERS.wait_turn();
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
        type Tm = <DbConn as Connection>::TransactionManager;
        match f(self) {
            Ok(v) => {
                Tm::commit_transaction(self)?;
                Ok(v)
            }
            Err(e) => match Tm::rollback_transaction(self) {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
                Err(rollback) => Err(rollback.into()),
            },
        }
    }
}

/// SQLite writers of this process, served in arrival order. SQLite's busy handler polls (at
/// most every 100 ms) while a writer that commits item after item (a bulk add) takes the
/// lock again at once: without a queue, another user's write waits for the whole bulk add
/// and fails past `busy_timeout`. A process serves one database, so one queue is enough.
struct WriterQueue {
    /// (next ticket, ticket being served)
    tickets: std::sync::Mutex<(u64, u64)>,
    turn: std::sync::Condvar,
}

static WRITERS: WriterQueue = WriterQueue { tickets: std::sync::Mutex::new((0, 0)), turn: std::sync::Condvar::new() };

thread_local! {
    /// Set while this thread's turn lasts: a write on a second connection of the same
    /// thread must not wait for itself (SQLite's busy_timeout then bounds it).
    static HOLDS_TURN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// This thread's turn to write; the next writer's begins when it is dropped.
struct Turn;

impl WriterQueue {
    fn wait_turn(&'static self) -> Option<Turn> {
        if HOLDS_TURN.get() {
            return None;
        }
        let mut t = self.tickets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mine = t.0;
        t.0 += 1;
        while t.1 != mine {
            t = self.turn.wait(t).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        HOLDS_TURN.set(true);
        Some(Turn)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        WRITERS.tickets.lock().unwrap_or_else(std::sync::PoisonError::into_inner).1 += 1;
        WRITERS.turn.notify_all();
        HOLDS_TURN.set(false);
    }
}

/// Is this a failure that may pass on a retry: SQLite busy or locked past `busy_timeout`,
/// a PostgreSQL serialization failure or deadlock, a lost connection? Answered 503 with
/// `Retry-After`, not as a refused write.
pub fn is_transient(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match e {
        E::DatabaseError(K::SerializationFailure | K::ClosedConnection, _) => true,
        E::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("database is locked")
                || m.contains("database table is locked")
                || m.contains("deadlock detected")
        }
        _ => false,
    }
}

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(String),
    Postgres(String),
}

// A PostgreSQL URL may carry a password: `Debug` (and so the pool's) leaves it out.
impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbUrl::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            DbUrl::Postgres(_) => f.write_str("Postgres([REDACTED])"),
        }
    }
}

impl DbUrl {
    /// Accepts `sqlite://FILE`, `sqlite:FILE`, `postgres://…` and `postgresql://…`.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err("database URL `sqlite://` names no file".into());
            }
            return Ok(DbUrl::Sqlite(path.to_string()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_string()));
        }
        Err("database URL must start with sqlite:// or postgres:// (the URL itself is not shown, it may hold a password)".into())
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbUrl::Sqlite(_) => Backend::Sqlite,
            DbUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// Open a connection that changes nothing in the file (no WAL switch), to inspect a
    /// database before deciding whether it is Parc's.
    pub fn connect_readonly_check(&self) -> ConnectionResult<DbConn> {
        match self {
            DbUrl::Sqlite(path) => {
                let mut c = diesel::SqliteConnection::establish(path)?;
                c.batch_execute("PRAGMA busy_timeout = 10000;")
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(c))
            }
            DbUrl::Postgres(_) => self.connect(),
        }
    }

    /// Open one connection, with the per-connection settings each backend needs.
    pub fn connect(&self) -> ConnectionResult<DbConn> {
        match self {
            DbUrl::Sqlite(path) => {
                let mut c = diesel::SqliteConnection::establish(path)?;
                // busy_timeout first: setting WAL on a fresh file while other pool
                // connections open would otherwise fail with "database is locked".
                // Reads go through a shared memory map and each connection keeps up to
                // 16 MiB of pages: large tables (software installations) are read and
                // re-read by every inventory import. Checkpoints (which fsync) run in the
                // background (see `checkpoint_in_background`); a commit only checkpoints
                // itself if the WAL grows past 256 MiB.
                c.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                     PRAGMA cache_size = -16384; PRAGMA mmap_size = 268435456; \
                     PRAGMA wal_autocheckpoint = 65536; PRAGMA journal_size_limit = 67108864;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(c))
            }
            DbUrl::Postgres(url) => {
                let mut c = diesel::PgConnection::establish(url)?;
                // No JIT: Parc runs many short queries, and PostgreSQL compiles one as soon as
                // its estimated cost is high, which a table without statistics yet (a new
                // lycée's software) makes it: 200-300 ms of compiling for a 5 ms query.
                c.batch_execute("SET TIME ZONE 'UTC'; SET jit = off")
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Postgres(c))
            }
        }
    }
}

/// r2d2 manager that dispatches on the URL scheme instead of trying each backend in turn.
#[derive(Debug)]
pub struct Manager(DbUrl);

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.0.connect().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// Handle to the database shared by all workers.
#[derive(Clone)]
pub struct Db {
    pub pool: Pool,
    pub backend: Backend,
    pub tree: std::sync::Arc<crate::entities::TreeCache>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("server is shutting down")]
    Canceled,
}

impl Db {
    /// Check the database is Parc's (or empty), apply pending migrations, and build the pool.
    pub fn open(url: &str, pool_size: u32) -> anyhow::Result<Db> {
        let url = DbUrl::parse(url).map_err(anyhow::Error::msg)?;
        if let DbUrl::Sqlite(path) = &url {
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() && !dir.exists() {
                    anyhow::bail!("the directory of the SQLite database does not exist: {}", dir.display());
                }
            }
        }
        // Inspect first with a connection that writes nothing: a foreign file stays untouched.
        let mut conn = url.connect_readonly_check().map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
        guard::check_ownership(&mut conn)?;
        drop(conn);
        let mut conn = url.connect().map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
        migrate(&mut conn)?;
        drop(conn);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager(url.clone()))
            .map_err(|e| anyhow::anyhow!("cannot open the database pool: {e}"))?;
        if let DbUrl::Sqlite(path) = &url {
            checkpoint_in_background(pool.clone(), format!("{path}-wal"));
        }
        Ok(Db { pool, backend: url.backend(), tree: Default::default() })
    }

    /// Run blocking database work off the async executor, inside the caller's span.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            span.in_scope(|| {
                let mut conn = pool.get().map_err(DbError::from)?;
                f(&mut conn)
            })
        })
        .await
        .map_err(|_| E::from(DbError::Canceled))?
    }
}

/// Copy the SQLite WAL back into the database every half second, off the request path:
/// a checkpoint fsyncs, and with SQLite's default every few commits would pay for it.
/// PASSIVE never blocks writers. Under constant writes the WAL is then never started over
/// and grows (and page lookups with it), so past 64 MiB a RESTART lets the next writer
/// start it over; it blocks writers briefly and waits at most 200 ms for readers.
fn checkpoint_in_background(pool: Pool, wal: String) {
    let spawned = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || loop {
        std::thread::sleep(Duration::from_millis(500));
        let Ok(mut c) = pool.get() else { continue };
        let big = std::fs::metadata(&wal).map(|m| m.len() > 64 * 1024 * 1024).unwrap_or(false);
        let sql = if big {
            "PRAGMA wal_checkpoint(PASSIVE); PRAGMA busy_timeout = 200; PRAGMA wal_checkpoint(RESTART);"
        } else {
            "PRAGMA wal_checkpoint(PASSIVE);"
        };
        let done = c.batch_execute(sql);
        if big {
            let _ = c.batch_execute("PRAGMA busy_timeout = 10000;");
        }
        if let Err(e) = done {
            tracing::warn!(error = %e, "background WAL checkpoint failed");
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no background WAL checkpoints; commits will checkpoint");
    }
}

/// Apply pending embedded migrations for the connection's backend; returns how many ran.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind as K, Error as E};

    fn db(kind: K, message: &str) -> E {
        E::DatabaseError(kind, Box::new(message.to_string()))
    }

    #[test]
    fn busy_serialization_and_lost_connections_are_transient() {
        assert!(super::is_transient(&db(K::Unknown, "database is locked")));
        assert!(super::is_transient(&db(K::SerializationFailure, "could not serialize access")));
        assert!(super::is_transient(&db(K::ClosedConnection, "server closed the connection")));
        assert!(!super::is_transient(&db(K::UniqueViolation, "UNIQUE constraint failed")));
        assert!(!super::is_transient(&E::NotFound));
    }
}
