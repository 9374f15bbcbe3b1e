//! Which lycée a computer belongs to: the agent's TAG carries the establishment's UAI,
//! matched against the entities' inventory tag. A new computer with an unknown or missing
//! TAG goes to the quarantine entity, never to a guessed lycée; an existing one stays
//! where it is (see `import::target_entity`).

use super::rows::{self, Result, Tx};
use crate::db::sql::{Sql, Val};

pub const QUARANTINE_NAME: &str = "Quarantaine";

/// A UAI as entities store it: trimmed, upper case (`0750654d ` → `0750654D`).
pub fn normalize_uai(tag: &str) -> String {
    tag.trim().to_uppercase()
}

/// The entity whose inventory tag is this UAI, if any.
pub fn tagged_entity(tx: &mut Tx, tag: &str) -> Result<Option<i64>> {
    let uai = normalize_uai(tag);
    if uai.is_empty() {
        return Ok(None);
    }
    let mut sql = Sql::new(tx.backend());
    sql.push("SELECT CAST(\"id\" AS BIGINT) AS n FROM \"entities\" WHERE UPPER(TRIM(\"tag\")) = ")
        .bind(uai)
        .push(" ORDER BY \"id\" LIMIT 1");
    Ok(sql.load_ints(tx.conn)?.into_iter().next())
}

/// The configured quarantine entity, else "Quarantaine" under the root (created once).
pub fn quarantine_entity(tx: &mut Tx, configured: Option<i64>) -> Result<i64> {
    if let Some(id) = configured {
        return Ok(id);
    }
    let find = |tx: &mut Tx| -> Result<Option<i64>> {
        let mut sql = Sql::new(tx.backend());
        sql.push("SELECT CAST(\"id\" AS BIGINT) AS n FROM \"entities\" WHERE \"entities_id\" = 0 AND \"name\" = ")
            .bind(QUARANTINE_NAME)
            .push(" ORDER BY \"id\" LIMIT 1");
        Ok(sql.load_ints(tx.conn)?.into_iter().next())
    };
    if let Some(id) = find(tx)? {
        return Ok(id);
    }
    tx.lock_dictionary()?;
    if let Some(id) = find(tx)? {
        return Ok(id);
    }
    let mut root = Sql::new(tx.backend());
    root.push("SELECT COALESCE(\"completename\", \"name\", '') AS s FROM \"entities\" WHERE \"id\" = 0");
    let root_name = root.load_strings(tx.conn)?.into_iter().next().unwrap_or_default();
    let id = rows::insert_returning(
        tx.conn,
        "entities",
        &[
            ("name", Val::Text(QUARANTINE_NAME.into())),
            ("entities_id", Val::Int(0)),
            ("completename", Val::Text(format!("{root_name} > {QUARANTINE_NAME}"))),
            ("level", Val::Int(2)),
            ("comment", Val::Text("Computers inventoried with an unknown or missing TAG (UAI)".into())),
        ],
    )?;
    tracing::info!(entity = id, "quarantine entity created for inventories");
    Ok(id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn normalizes_uai() {
        assert_eq!(super::normalize_uai("  0750654d\n"), "0750654D");
    }
}
