//! Grouped commits on SQLite. SQLite has one writer at a time, and the commit of a first
//! import writes ~900 index pages, mostly the same pages for every computer of a lycée.
//! Imports that arrive while another one is writing are queued; whoever gets the writer
//! lock next runs every queued import in one transaction, each in its own savepoint, and
//! hands each caller its own result. A waiting import wakes as soon as the lock is free,
//! where SQLite's busy handler would sleep and poll.
//!
//! The writer keeps one connection of its own: SQLite drops a connection's page cache
//! when another connection has committed since, so batches that ran on whichever pooled
//! connection was free each started by reading their index pages again.

use super::import::{AgentInfo, Outcome};
use super::model::Inventory;
use super::rows::{self, ImportError, Result};
use crate::db::{DbConn, Pool};
use std::sync::{Arc, Mutex, MutexGuard};

type Writer = diesel::r2d2::PooledConnection<crate::db::Manager>;

type Slot = Arc<Mutex<Option<Result<Outcome>>>>;

struct Job {
    inv: Arc<Inventory>,
    info: AgentInfo,
    slot: Slot,
}

/// Imports under way for one application: at most `slots` at once, and on SQLite the
/// queue of imports waiting for the writer.
pub struct Imports {
    pub slots: Arc<tokio::sync::Semaphore>,
    pub batch: Batch,
}

impl Imports {
    /// On SQLite the writer queue already serializes imports, and a longer queue makes
    /// bigger (cheaper) grouped commits: the bound applies to PostgreSQL, where it also
    /// leaves a quarter of the pool (at least two connections) to the API.
    pub fn new(concurrency: usize, backend: crate::db::Backend, pool_size: usize) -> Self {
        let slots = match backend {
            crate::db::Backend::Postgres => concurrency.min(pool_size.saturating_sub((pool_size / 4).max(2))).max(1),
            crate::db::Backend::Sqlite => tokio::sync::Semaphore::MAX_PERMITS,
        };
        Imports { slots: Arc::new(tokio::sync::Semaphore::new(slots)), batch: Batch::default() }
    }
}

/// The queue of one database (one per application state, so that two databases served
/// by one process never share a batch).
#[derive(Default)]
pub struct Batch {
    queue: Mutex<Vec<Job>>,
    /// The writer lock, with the writer's connection (taken from the pool on first use).
    writer: Mutex<Option<Writer>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Queue one import and wait until it has run, in this call or in another caller's
/// batch. `run` imports one inventory inside the shared transaction (as a savepoint).
pub fn submit(
    batch: &Batch,
    pool: &Pool,
    inv: Arc<Inventory>,
    info: AgentInfo,
    run: impl Fn(&mut DbConn, &Inventory, &AgentInfo) -> Result<Outcome>,
) -> Result<Outcome> {
    let slot: Slot = Arc::new(Mutex::new(None));
    lock(&batch.queue).push(Job { inv, info, slot: slot.clone() });
    let mut writer = lock(&batch.writer);
    let done = lock(&slot).take();
    if let Some(done) = done {
        return done;
    }
    let jobs = std::mem::take(&mut *lock(&batch.queue));
    let conn: &mut DbConn = match writer.as_mut() {
        Some(c) => c,
        None => match pool.get() {
            Ok(c) => writer.insert(c),
            Err(e) => {
                let e = format!("database unavailable: {e}");
                for job in &jobs {
                    *lock(&job.slot) = Some(Err(ImportError::Internal(e.clone())));
                }
                return lock(&slot).take().unwrap_or_else(|| Err(ImportError::Internal(e)));
            }
        },
    };
    let outcome = rows::write_tx(conn, |c| Ok(jobs.iter().map(|j| run(c, &j.inv, &j.info)).collect::<Vec<_>>()));
    match outcome {
        Ok(results) => {
            for (job, result) in jobs.iter().zip(results) {
                *lock(&job.slot) = Some(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, imports = jobs.len(), "grouped inventory commit failed");
            // Start the next batch on a fresh connection.
            *writer = None;
            for job in &jobs {
                *lock(&job.slot) = Some(Err(ImportError::Internal(format!("commit failed: {e}"))));
            }
        }
    }
    // A small pool cannot spare a connection for the writer between batches.
    if pool.max_size() <= 2 {
        *writer = None;
    }
    let mine = lock(&slot).take();
    mine.unwrap_or_else(|| Err(ImportError::Internal("import not run".into())))
}
