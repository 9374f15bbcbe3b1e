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
