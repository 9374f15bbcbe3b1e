//! Software and versions of an inventory, resolved to ids in batches. They live in the
//! computer's entity and are shared by its computers, so after the first computer of a
//! lycée nearly all of them exist: one joined query per 500 names finds them, and only
//! the missing ones are created (under the dictionary lock).

use super::model::Software;
use super::rows::{self, Result, Tx};
use crate::db::sql::{Sql, Val};
use diesel::sql_types::{BigInt, Nullable, Text};
use std::collections::{HashMap, HashSet};

#[derive(diesel::QueryableByName)]
struct CatalogRow {
    #[diesel(sql_type = BigInt)]
    sid: i64,
    #[diesel(sql_type = Text)]
    sname: String,
    #[diesel(sql_type = BigInt)]
    mfr: i64,
    #[diesel(sql_type = BigInt)]
    vid: i64,
    #[diesel(sql_type = Nullable<Text>)]
    vname: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    arch: Option<String>,
    #[diesel(sql_type = BigInt)]
    live: i64,
}

/// What the entity already has: software by (name, manufacturer), versions by
/// (software, version, arch). The lowest id wins when duplicates exist.
#[derive(Default)]
struct Catalog {
    software: HashMap<(String, i64), i64>,
    versions: HashMap<(i64, String, String), i64>,
}

fn keep_lowest<K: std::hash::Hash + Eq>(map: &mut HashMap<K, i64>, k: K, id: i64) {
    map.entry(k).and_modify(|v| *v = (*v).min(id)).or_insert(id);
}

fn dedup<T: Eq + std::hash::Hash + Clone>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|i| seen.insert(i.clone())).collect()
}

fn load(tx: &mut Tx, entity: i64, names: &[String]) -> Result<Catalog> {
    let mut c = Catalog::default();
    // PostgreSQL takes the names as one array parameter; SQLite binds each one.
    let per = if tx.backend() == crate::db::Backend::Postgres { names.len().max(1) } else { 500 };
    for chunk in names.chunks(per) {
        let mut sql = Sql::new(tx.backend());
        sql.push(
            "SELECT CAST(s.\"id\" AS BIGINT) AS sid, COALESCE(s.\"name\", '') AS sname, \
             CAST(s.\"manufacturers_id\" AS BIGINT) AS mfr, CAST(COALESCE(v.\"id\", 0) AS BIGINT) AS vid, \
             v.\"name\" AS vname, v.\"arch\" AS arch, \
             CAST(CASE WHEN s.\"is_deleted\" = 0 AND s.\"is_template\" = 0 THEN 1 ELSE 0 END AS BIGINT) AS live \
             FROM \"softwares\" s ",
        );
        sql.push(match tx.backend() {
            // Versions are always fetched through their softwares_id index, one lookup per
            // software (OFFSET 0 keeps the subquery a nested loop): without statistics
            // PostgreSQL otherwise hashed a scan of every version of the region.
            crate::db::Backend::Postgres => {
                "LEFT JOIN LATERAL (SELECT v.\"id\", v.\"name\", v.\"arch\" FROM \"softwareversions\" v \
                 WHERE v.\"softwares_id\" = s.\"id\" OFFSET 0) v ON TRUE"
            }
            crate::db::Backend::Sqlite => "LEFT JOIN \"softwareversions\" v ON v.\"softwares_id\" = s.\"id\"",
        });
        sql.push(" WHERE s.\"entities_id\" = ")
            .bind(entity)
            // Trashed and template software are filtered here rather than in SQL, so that
            // the planner uses the (entities_id, name) index without statistics.
            .push(" AND s.\"name\"")
            .in_texts(chunk.iter().map(String::as_str));
        for r in sql.load_rows::<CatalogRow>(tx.conn)?.into_iter().filter(|r| r.live == 1) {
            keep_lowest(&mut c.software, (r.sname, r.mfr), r.sid);
            if r.vid > 0 {
                let key = (r.sid, r.vname.unwrap_or_default(), r.arch.unwrap_or_default());
                keep_lowest(&mut c.versions, key, r.vid);
            }
        }
    }
    Ok(c)
}

/// The version id of each software of `list`, in order (None if it could not be resolved).
pub fn versions(tx: &mut Tx, entity: i64, list: &[Software]) -> Result<Vec<Option<i64>>> {
    let publishers: Vec<&str> = dedup(list.iter().filter_map(|s| s.publisher.as_deref()));
    let publishers = tx.dropdowns("manufacturers", &publishers)?;
    let wanted: Vec<(String, i64)> = list
        .iter()
        .map(|s| (s.name.clone(), s.publisher.as_deref().and_then(|p| publishers.get(p).copied()).unwrap_or(0)))
        .collect();
    let names: Vec<String> = dedup(wanted.iter().map(|(n, _)| n.clone()));
    let version_of = |c: &Catalog, s: &Software, w: &(String, i64)| {
        c.software.get(w).map(|sid| (*sid, s.version.clone(), s.arch.clone()))
    };
    let mut catalog = load(tx, entity, &names)?;
    let complete = |c: &Catalog| {
        list.iter().zip(&wanted).all(|(s, w)| version_of(c, s, w).is_some_and(|k| c.versions.contains_key(&k)))
    };
    if !complete(&catalog) {
        // Another import may be creating the same rows: serialize, then look again.
        tx.lock_dictionary()?;
        catalog = load(tx, entity, &names)?;
        let new_software: Vec<Vec<Val>> = dedup(wanted.iter().filter(|w| !catalog.software.contains_key(*w)).cloned())
            .into_iter()
            .map(|(name, mfr)| vec![Val::Int(entity), Val::Text(name), Val::Int(mfr)])
            .collect();
        if !new_software.is_empty() {
            rows::insert_many(tx.conn, "softwares", &["entities_id", "name", "manufacturers_id"], &new_software)?;
            catalog = load(tx, entity, &names)?;
        }
        let new_versions: Vec<Vec<Val>> = dedup(
            list.iter()
                .zip(&wanted)
                .filter_map(|(s, w)| version_of(&catalog, s, w))
                .filter(|k| !catalog.versions.contains_key(k)),
        )
        .into_iter()
        .map(|(sid, name, arch)| vec![Val::Int(entity), Val::Int(sid), Val::Text(name), Val::Text(arch)])
        .collect();
        if !new_versions.is_empty() {
            rows::insert_many(
                tx.conn,
                "softwareversions",
                &["entities_id", "softwares_id", "name", "arch"],
                &new_versions,
            )?;
            catalog = load(tx, entity, &names)?;
        }
    }
    Ok(list
        .iter()
        .zip(&wanted)
        .map(|(s, w)| version_of(&catalog, s, w).and_then(|k| catalog.versions.get(&k).copied()))
        .collect())
}
