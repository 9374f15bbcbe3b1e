//! The entity tree: Région at the root, then académies, then establishments (each an
//! entity carrying its UAI). Visibility of every item is decided against it.

use crate::db::sql::Sql;
use crate::db::DbConn;
use std::collections::{BTreeSet, HashMap};

pub const ROOT: i64 = 0;

#[derive(Debug, Clone, Default)]
pub struct Tree {
    parent: HashMap<i64, i64>,
    children: HashMap<i64, Vec<i64>>,
}

impl Tree {
    pub fn load(conn: &mut DbConn) -> diesel::QueryResult<Tree> {
        let mut sql = Sql::new(conn.backend());
        sql.push("SELECT CAST(\"id\" AS BIGINT) * 2147483648 + CAST(COALESCE(\"entities_id\", -1) + 1 AS BIGINT) AS n FROM \"entities\"");
        let mut t = Tree::default();
        for packed in sql.load_ints(conn)? {
            let id = packed.div_euclid(2147483648);
            let parent = packed.rem_euclid(2147483648) - 1;
            if parent >= 0 && parent != id {
                t.parent.insert(id, parent);
                t.children.entry(parent).or_default().push(id);
            } else {
                t.children.entry(id).or_default();
            }
        }
        Ok(t)
    }

    pub fn exists(&self, id: i64) -> bool {
        self.parent.contains_key(&id) || self.children.contains_key(&id)
    }

    /// The entity and, if `recursive`, all its descendants.
    pub fn expand(&self, id: i64, recursive: bool) -> BTreeSet<i64> {
        let mut out = BTreeSet::new();
        if !self.exists(id) {
            return out;
        }
        out.insert(id);
        if recursive {
            let mut stack = vec![id];
            while let Some(e) = stack.pop() {
                for c in self.children.get(&e).into_iter().flatten() {
                    if out.insert(*c) {
                        stack.push(*c);
                    }
                }
            }
        }
        out
    }

    /// Strict ancestors of an entity, nearest first.
    pub fn ancestors(&self, id: i64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut cur = id;
        while let Some(p) = self.parent.get(&cur) {
            if out.contains(p) {
                break; // defensive: a cycle must not hang a request
            }
            out.push(*p);
            cur = *p;
        }
        out
    }

    pub fn len(&self) -> usize {
        self.children.len().max(self.parent.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Tree {
        let mut t = Tree::default();
        for (id, p) in [(1, 0), (2, 1), (3, 1), (4, 0)] {
            t.parent.insert(id, p);
            t.children.entry(p).or_default().push(id);
        }
        t.children.entry(0).or_default();
        t
    }

    #[test]
    fn expands_and_walks_up() {
        let t = tree();
        assert_eq!(t.expand(1, true).into_iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(t.expand(1, false).len(), 1);
        assert_eq!(t.expand(0, true).len(), 5);
        assert_eq!(t.ancestors(2), vec![1, 0]);
        assert!(t.expand(99, true).is_empty());
    }
}

/// Bumped on every entity write in this process, so cached trees are reloaded at once here;
/// other instances see the change within [`TreeCache::MAX_AGE`].
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn generation() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn changed() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// The entity tree is read on every request (rights); it changes a few times a day, so it
/// is cached per database pool for a few seconds.
#[derive(Default)]
pub struct TreeCache {
    slot: std::sync::Mutex<Option<(std::time::Instant, u64, std::sync::Arc<Tree>)>>,
}

impl TreeCache {
    pub const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(5);

    pub fn get(&self, conn: &mut DbConn) -> diesel::QueryResult<std::sync::Arc<Tree>> {
        let generation = GENERATION.load(std::sync::atomic::Ordering::Relaxed);
        if let Ok(slot) = self.slot.lock() {
            if let Some((at, g, tree)) = slot.as_ref() {
                if *g == generation && at.elapsed() < Self::MAX_AGE {
                    return Ok(tree.clone());
                }
            }
        }
        let tree = std::sync::Arc::new(Tree::load(conn)?);
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((std::time::Instant::now(), generation, tree.clone()));
        }
        Ok(tree)
    }
}
