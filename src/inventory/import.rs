//! One inventory, one transaction: route to the lycée named by the TAG, match or create the
//! computer with GLPI's ordered rules, record the agent, reconcile each section, and write
//! one summary row to the change log (none when nothing changed).
//!
//! A section whose content and stored row count are those of the previous import is
//! skipped without reading its rows: an unchanged re-inventory costs a few queries.

use super::model::{Computer, Inventory};
use super::rows::{self, opt, ImportError, Result, Tx};
use super::sections::{self, Asset, AttachedKind};
use super::sync::{self, Counts};
use crate::config::{InventorySettings, LinkManual};
use crate::db::sql::{Sql, Val};
use crate::db::DbConn;
use crate::itemtypes::store::{self, Actor};
use std::sync::Arc;

/// What the HTTP layer knows about the agent.
#[derive(Debug, Clone, Default)]
pub struct AgentInfo {
    pub useragent: Option<String>,
    pub remote_addr: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub computer_id: i64,
    pub entity_id: i64,
    pub created: bool,
    /// Anything but timestamps changed.
    pub changed: bool,
}

/// Matching rules, in order (`PARC_INVENTORY_MATCH_RULES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    SerialUuid,
    Serial,
    Uuid,
    Mac,
    Name,
}

pub fn parse_rules(s: &str) -> std::result::Result<Vec<Rule>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| match r.to_ascii_lowercase().as_str() {
            "serial+uuid" => Ok(Rule::SerialUuid),
            "serial" => Ok(Rule::Serial),
            "uuid" => Ok(Rule::Uuid),
            "mac" => Ok(Rule::Mac),
            "name" => Ok(Rule::Name),
            other => Err(format!("unknown inventory match rule {other:?}")),
        })
        .collect()
}

/// Import one inventory atomically. On PostgreSQL each import is its own transaction;
/// on SQLite, imports arriving together share one transaction (and one commit), each
/// inside its own savepoint, so one failing inventory leaves the others untouched.
pub fn import(
    imports: &super::batch::Imports,
    db: &crate::db::Db,
    inv: Arc<Inventory>,
    cfg: &InventorySettings,
    info: AgentInfo,
) -> Result<Outcome> {
    let rules = parse_rules(&cfg.match_rules).map_err(ImportError::Internal)?;
    if inv.computer.name.is_none() {
        // GLPI's first rule: a computer without a name is refused.
        return Err(ImportError::Refused("Import refused: the inventory has no hardware name".into()));
    }
    match db.backend {
        crate::db::Backend::Postgres => {
            let mut conn = db.pool.get().map_err(|e| ImportError::Internal(format!("database unavailable: {e}")))?;
            rows::write_tx(&mut conn, |conn| import_one(conn, &inv, &rules, cfg, &info))
        }
        crate::db::Backend::Sqlite => super::batch::submit(&imports.batch, &db.pool, inv, info, |conn, inv, info| {
            use diesel::Connection;
            conn.transaction(|conn| import_one(conn, inv, &rules, cfg, info))
        }),
    }
}

fn import_one(
    conn: &mut DbConn,
    inv: &Inventory,
    rules: &[Rule],
    cfg: &InventorySettings,
    info: &AgentInfo,
) -> Result<Outcome> {
    {
        // Two imports of the same machine (same agent, serial, UUID or name) run one
        // after the other, so the second one finds what the first created.
        let c = &inv.computer;
        let mut keys = vec![format!("deviceid:{}", inv.deviceid)];
        keys.extend(c.serial.iter().map(|s| format!("serial:{s}")));
        keys.extend(c.uuid.iter().map(|s| format!("uuid:{s}")));
        keys.extend(c.name.iter().map(|s| format!("name:{s}")));
        rows::lock(conn, &keys)?;
        let mut tx = Tx::new(conn);
        let matched = find_computer(&mut tx, c, rules, cfg.link_manual)?;
        let entity = target_entity(&mut tx, &inv.tag, matched, cfg)?;
        let (asset, mut summary) = upsert_computer(&mut tx, inv, matched, entity)?;
        upsert_agent(tx.conn, inv, Some((asset.id, asset.entity)), info)?;
        let changed = import_sections(&mut tx, inv, &asset, &mut summary)?;
        let changed = changed || asset.fresh || !summary.is_empty();
        if changed {
            let action = if asset.fresh { 20 } else { 12 };
            let what = if asset.fresh { "created" } else { "updated" };
            let msg = format!("Inventory by {} ({}): {what}; {}", inv.versionclient, inv.deviceid, summary.join(", "));
            let actor = Actor { users_id: 0, login: "inventory".into() };
            store::log(tx.conn, "Computer", asset.id, action, 0, "", msg.trim_end_matches("; "), &actor)?;
        }
        Ok(Outcome { computer_id: asset.id, entity_id: entity, created: asset.fresh, changed })
    }
}

/// Where the computer goes. A TAG naming a lycée wins: a computer follows its TAG, hand-made
/// or not once it is linked (a move between lycées is the agent's to make, as in GLPI). Without
/// a known TAG a new computer goes to the quarantine and an existing one stays where it is:
/// a missing TAG says nothing about where a computer belongs.
fn target_entity(tx: &mut Tx, tag: &str, matched: Option<i64>, cfg: &InventorySettings) -> Result<i64> {
    if let Some(entity) = super::routing::tagged_entity(tx, tag)? {
        return Ok(entity);
    }
    if let Some(id) = matched {
        let mut sql = Sql::new(tx.backend());
        sql.push("SELECT CAST(\"entities_id\" AS BIGINT) AS n FROM \"computers\" WHERE \"id\" = ").bind(id);
        if let Some(entity) = first_id(tx, &sql)? {
            return Ok(entity);
        }
    }
    super::routing::quarantine_entity(tx, cfg.quarantine_entity)
}

fn first_id(tx: &mut Tx, sql: &Sql) -> Result<Option<i64>> {
    Ok(sql.load_ints(tx.conn)?.into_iter().next())
}

/// `SELECT id FROM computers WHERE <live> AND …`, newest rules first.
fn computers_where(tx: &Tx) -> Sql {
    let mut sql = Sql::new(tx.backend());
    sql.push("SELECT CAST(\"id\" AS BIGINT) AS n FROM \"computers\" WHERE \"is_template\" = 0 AND \"is_deleted\" = 0");
    sql
}

/// GLPI's default import rules, in the configured order. As in GLPI, an inventory that
/// has both a serial and a UUID and matches nobody by them is a new computer, even if
/// another one has the same name.
///
/// A computer entered by hand (`is_dynamic` 0) is a candidate only when
/// `PARC_INVENTORY_LINK_MANUAL` says so, and then only for the serial and UUID rules.
/// Otherwise the inventory does not see it and creates a dynamic computer of its own: an
/// anonymous agent cannot rename, move or fill a hand-made asset by quoting its serial,
/// and a genuine agent's data is not lost (the duplicate serial shows, and an admin can
/// allow the link).
fn find_computer(tx: &mut Tx, c: &Computer, rules: &[Rule], manual: LinkManual) -> Result<Option<i64>> {
    for rule in rules {
        let mut sql = computers_where(tx);
        let by_serial = matches!(rule, Rule::SerialUuid | Rule::Serial | Rule::Uuid);
        if manual == LinkManual::Never || !by_serial {
            sql.push(" AND \"is_dynamic\" = 1");
        }
        match (rule, &c.serial, &c.uuid) {
            (Rule::SerialUuid, Some(serial), Some(uuid)) => {
                sql.push(" AND \"serial\" = ").bind(serial.clone());
                sql.push(" AND (\"uuid\" = ").bind(uuid.clone()).push(" OR \"uuid\" IS NULL OR \"uuid\" = '')");
                sql.push(" ORDER BY CASE WHEN \"uuid\" = ")
                    .bind(uuid.clone())
                    .push(" THEN 0 ELSE 1 END, \"id\" LIMIT 1");
                match first_id(tx, &sql)? {
                    Some(id) => return Ok(Some(id)),
                    None => return Ok(None),
                }
            }
            (Rule::Serial, Some(serial), _) => {
                sql.push(" AND \"serial\" = ").bind(serial.clone()).push(" ORDER BY \"id\" LIMIT 1");
            }
            (Rule::Uuid, _, Some(uuid)) => {
                sql.push(" AND \"uuid\" = ").bind(uuid.clone()).push(" ORDER BY \"id\" LIMIT 1");
            }
            (Rule::Mac, _, _) if !c.macs.is_empty() => {
                sql.push(" AND \"id\" IN (SELECT p.\"items_id\" FROM \"networkports\" p WHERE p.\"itemtype\" = 'Computer' AND p.\"mac\" IN (");
                for (i, m) in c.macs.iter().enumerate() {
                    sql.push(if i == 0 { "" } else { ", " }).bind(m.clone());
                }
                sql.push(")) ORDER BY \"id\" LIMIT 1");
            }
            (Rule::Name, _, _) if c.name.is_some() => {
                sql.push(" AND \"name\" = ").bind(c.name.clone().unwrap_or_default()).push(" ORDER BY \"id\" LIMIT 1");
            }
            _ => continue,
        }
        if let Some(id) = first_id(tx, &sql)? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Create or update the Computer row; returns it and the names of changed fields.
fn upsert_computer(tx: &mut Tx, inv: &Inventory, matched: Option<i64>, entity: i64) -> Result<(Asset, Vec<String>)> {
    let c = &inv.computer;
    let mut fields: Vec<(&'static str, Val)> = vec![("entities_id", Val::Int(entity)), ("is_dynamic", Val::Int(1))];
    let texts = [("name", &c.name), ("serial", &c.serial), ("uuid", &c.uuid), ("otherserial", &c.otherserial)];
    fields.extend(texts.into_iter().filter_map(|(k, v)| v.as_ref().map(|v| (k, Val::Text(v.clone())))));
    if c.manufacturer.is_some() {
        fields.push(("manufacturers_id", Val::Int(tx.dropdown("manufacturers", c.manufacturer.as_deref())?)));
    }
    if c.model.is_some() {
        fields.push(("computermodels_id", Val::Int(tx.dropdown("computermodels", c.model.as_deref())?)));
    }
    if c.computer_type.is_some() {
        fields.push(("computertypes_id", Val::Int(tx.dropdown("computertypes", c.computer_type.as_deref())?)));
    }
    // The user fields of the asset are left alone by partial inventories, as in GLPI.
    if let (Some(contact), false) = (&c.contact, inv.partial) {
        fields.push(("contact", Val::Text(contact.clone())));
    }
    if let Some(boot) = &c.last_boot {
        fields.push(("last_boot", Val::Text(boot.clone())));
    }
    fields.push(("autoupdatesystems_id", Val::Int(tx.dropdown("autoupdatesystems", Some("GLPI Native Inventory"))?)));
    let now = Val::Text(store::now());
    let def = crate::itemtypes::find("Computer").expect("declared");
    match matched {
        None => {
            fields.push(("last_inventory_update", now));
            let id = rows::insert_returning(tx.conn, "computers", &fields)?;
            Ok((Asset { id, entity, fresh: true }, Vec::new()))
        }
        Some(id) => {
            let before = store::get_raw(tx.conn, def, id)?;
            let before = before.unwrap_or_default();
            // Fields changed by hand since are locked: the inventory leaves them alone.
            let locked = super::locks::locked(tx.conn, "Computer", id)?;
            let changed: Vec<(&'static str, Val)> = fields
                .into_iter()
                .filter(|(k, v)| !rows::same(before.get(*k), v) && !locked.iter().any(|l| l == k))
                .collect();
            let names: Vec<String> = changed.iter().map(|(k, _)| k.to_string()).collect();
            rows::update_row(tx.conn, "computers", id, &changed)?;
            // The inventory date is not a change of the asset: no date_mod, no log.
            let mut sql = Sql::new(tx.backend());
            sql.push("UPDATE \"computers\" SET \"last_inventory_update\" = ");
            store::push_value(&mut sql, crate::itemtypes::FieldType::DateTime, now);
            sql.push(" WHERE \"id\" = ").bind(id);
            sql.execute(tx.conn)?;
            let moved = before.get("entities_id").and_then(|v| v.as_i64()) != Some(entity);
            if moved {
                move_entity(tx.conn, id, entity)?;
            }
            Ok((Asset { id, entity, fresh: false }, names.into_iter().map(|n| format!("{n} changed")).collect()))
        }
    }
}

/// A computer that follows its new TAG takes its sub-items along (sections rewrite their
/// own rows; these are the ones nothing else would touch).
fn move_entity(conn: &mut DbConn, id: i64, entity: i64) -> Result<()> {
    for table in [
        "items_disks",
        "networkports",
        "items_deviceprocessors",
        "items_devicememories",
        "items_devicefirmwares",
        "items_operatingsystems",
    ] {
        let mut sql = Sql::new(conn.backend());
        sql.push("UPDATE ").ident(table).push(" SET \"entities_id\" = ").bind(entity);
        sql.push(" WHERE \"itemtype\" = 'Computer' AND \"items_id\" = ").bind(id);
        sql.execute(conn)?;
    }
    let mut sql = Sql::new(conn.backend());
    sql.push("UPDATE \"agents\" SET \"entities_id\" = ").bind(entity);
    sql.push(" WHERE \"itemtype\" = 'Computer' AND \"items_id\" = ").bind(id);
    sql.execute(conn)?;
    Ok(())
}

/// Create or refresh the agent row (keyed by deviceid). With an asset (id, entity), the
/// agent is linked to it and any other agent row of that asset goes, as in GLPI.
pub fn upsert_agent(conn: &mut DbConn, inv: &Inventory, asset: Option<(i64, i64)>, info: &AgentInfo) -> Result<()> {
    if inv.deviceid.is_empty() {
        return Ok(());
    }
    let existing = rows::select(conn, "agents", &["items_id"], |s| {
        s.push(" WHERE t.\"deviceid\" = ").bind(inv.deviceid.clone());
    })?;
    let mut values: Vec<(&'static str, Val)> = vec![
        ("last_contact", Val::Text(store::now())),
        ("version", opt(Some(&inv.agent_version).filter(|v| !v.is_empty()).map(String::as_str))),
        ("tag", opt(Some(&inv.tag).filter(|t| !t.is_empty()).map(String::as_str))),
        ("useragent", opt(info.useragent.as_deref())),
        ("remote_addr", opt(info.remote_addr.as_deref())),
    ];
    if let Some((id, entity)) = asset {
        values.push(("items_id", Val::Int(id)));
        values.push(("itemtype", Val::Text("Computer".into())));
        values.push(("use_module_computer_inventory", Val::Int(1)));
        values.push(("entities_id", Val::Int(entity)));
        let mut del = Sql::new(conn.backend());
        del.push("DELETE FROM \"agents\" WHERE \"itemtype\" = 'Computer' AND \"items_id\" = ").bind(id);
        del.push(" AND \"deviceid\" <> ").bind(inv.deviceid.clone());
        del.execute(conn)?;
    }
    match existing.first().and_then(|r| r["id"].as_i64()) {
        Some(id) => rows::update_row(conn, "agents", id, &values),
        None => {
            values.extend([
                ("deviceid", Val::Text(inv.deviceid.clone())),
                ("name", Val::Text(inv.deviceid.clone())),
                ("agenttypes_id", Val::Int(1)),
            ]);
            if asset.is_none() {
                values.extend([("itemtype", Val::Text("Computer".into())), ("items_id", Val::Int(0))]);
            }
            rows::insert_returning(conn, "agents", &values).map(|_| ())
        }
    }
}

/// Section name, for the summary and the stored digests.
const SECTIONS: &[&str] =
    &["os", "bios", "cpus", "memories", "drives", "ports", "softwares", "monitors", "printers", "peripherals"];

/// Feeds `Hash` into SHA-256, so a section is digested without being formatted first.
/// (`Hash` output may change with the compiler: a new digest only costs one full
/// reconciliation of the section.)
struct Sha(sha2::Sha256);

impl std::hash::Hasher for Sha {
    fn write(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.0, bytes);
    }
    fn finish(&self) -> u64 {
        0
    }
}

fn digest(section: &str, entity: i64, data: &impl std::hash::Hash) -> String {
    use sha2::Digest;
    use std::hash::Hash;
    let mut h = Sha(sha2::Sha256::new());
    (section, entity).hash(&mut h);
    data.hash(&mut h);
    h.0.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn import_sections(tx: &mut Tx, inv: &Inventory, a: &Asset, summary: &mut Vec<String>) -> Result<bool> {
    // Partial inventories carry only what changed: an absent section is kept as is. In a
    // full inventory an absent section is empty.
    let todo: Vec<(&str, String, bool)> = SECTIONS
        .iter()
        .filter(|s| !inv.partial || present(inv, s))
        .map(|s| {
            let (d, empty) = section_digest(inv, s, a.entity);
            (*s, d, empty)
        })
        .collect();
    let stored = if a.fresh { Vec::new() } else { load_digests(tx.conn, a.id)? };
    // Sections whose content is the one last imported are skipped, unless someone
    // added or removed dynamic rows since (then they are reconciled again).
    let same: Vec<(&str, i64)> = todo
        .iter()
        .filter_map(|(s, d, _)| stored.iter().find(|(ss, sd, _)| ss == s && sd == d).map(|(_, _, n)| (*s, *n)))
        .collect();
    let specs: Vec<_> = same.iter().map(|(s, _)| sections::spec(s, a)).collect();
    let counts = sync::count_many(tx.conn, &specs)?;
    let unchanged: Vec<&str> = same.iter().zip(counts).filter(|((_, n), c)| n == c).map(|((s, _), _)| *s).collect();
    let mut changed = false;
    let mut save = Vec::new();
    for (section, d, empty) in todo {
        if unchanged.contains(&section) {
            continue;
        }
        if a.fresh && empty {
            save.push((section, d, 0));
            continue;
        }
        let counts = apply(tx, inv, a, section)?;
        save.push((section, d, counts.total as i64));
        if counts.changed() {
            changed = true;
            summary.push(format!("{section} +{} ~{} -{}", counts.added, counts.updated, counts.removed));
        }
    }
    save_digests(tx.conn, a.id, &save)?;
    Ok(changed)
}

fn present(inv: &Inventory, section: &str) -> bool {
    match section {
        "os" => inv.os.is_some(),
        "bios" => inv.bios.is_some(),
        "cpus" => inv.cpus.is_some(),
        "memories" => inv.memories.is_some(),
        "drives" => inv.drives.is_some(),
        "ports" => inv.ports.is_some(),
        "softwares" => inv.softwares.is_some(),
        "monitors" => inv.monitors.is_some(),
        "printers" => inv.printers.is_some(),
        _ => inv.peripherals.is_some(),
    }
}

/// Digest of a section as it will be stored, and whether it is empty.
fn section_digest(inv: &Inventory, section: &str, entity: i64) -> (String, bool) {
    fn of<T: std::hash::Hash>(section: &str, entity: i64, v: &Option<Vec<T>>) -> (String, bool) {
        let list = v.as_deref().unwrap_or(&[]);
        (digest(section, entity, &list), list.is_empty())
    }
    match section {
        "os" => {
            let os = inv.os.as_ref().and_then(Option::as_ref);
            (digest(section, entity, &os), os.is_none())
        }
        "bios" => {
            let bios = inv.bios.as_ref().and_then(Option::as_ref);
            (digest(section, entity, &bios), bios.is_none())
        }
        "cpus" => of(section, entity, &inv.cpus),
        "memories" => of(section, entity, &inv.memories),
        "drives" => of(section, entity, &inv.drives),
        "ports" => of(section, entity, &inv.ports),
        "softwares" => of(section, entity, &inv.softwares),
        "monitors" => of(section, entity, &inv.monitors),
        "printers" => of(section, entity, &inv.printers),
        _ => of(section, entity, &inv.peripherals),
    }
}

fn apply(tx: &mut Tx, inv: &Inventory, a: &Asset, section: &str) -> Result<Counts> {
    fn list<T>(v: &Option<Vec<T>>) -> &[T] {
        v.as_deref().unwrap_or(&[])
    }
    match section {
        "os" => sections::os(tx, a, inv.os.as_ref().and_then(Option::as_ref)),
        "bios" => sections::bios(tx, a, inv.bios.as_ref().and_then(Option::as_ref)),
        "cpus" => sections::cpus(tx, a, list(&inv.cpus)),
        "memories" => sections::memories(tx, a, list(&inv.memories)),
        "drives" => sections::drives(tx, a, list(&inv.drives)),
        "ports" => sections::ports(tx, a, list(&inv.ports)),
        "softwares" => sections::softwares(tx, a, list(&inv.softwares)),
        "monitors" => sections::attached(tx, a, AttachedKind::Monitor, list(&inv.monitors)),
        "printers" => sections::attached(tx, a, AttachedKind::Printer, list(&inv.printers)),
        _ => sections::attached(tx, a, AttachedKind::Peripheral, list(&inv.peripherals)),
    }
}

fn load_digests(conn: &mut DbConn, id: i64) -> Result<Vec<(String, String, i64)>> {
    let mut sql = Sql::new(conn.backend());
    let cols = [
        store::Projected { key: "section", alias: "t", column: "section", ty: crate::itemtypes::FieldType::Str },
        store::Projected { key: "digest", alias: "t", column: "digest", ty: crate::itemtypes::FieldType::Str },
        store::Projected { key: "nrows", alias: "t", column: "nrows", ty: crate::itemtypes::FieldType::Int },
    ];
    store::select_json(&mut sql, &cols, |s| {
        s.push("\"inventory_sections\" t WHERE t.\"itemtype\" = 'Computer' AND t.\"items_id\" = ").bind(id);
    });
    Ok(sql
        .load_json(conn)?
        .into_iter()
        .map(|r| {
            (
                r["section"].as_str().unwrap_or_default().to_string(),
                r["digest"].as_str().unwrap_or_default().to_string(),
                r["nrows"].as_i64().unwrap_or(-1),
            )
        })
        .collect())
}

fn save_digests(conn: &mut DbConn, id: i64, rows: &[(&str, String, i64)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(conn.backend());
    sql.push(
        "INSERT INTO \"inventory_sections\" (\"itemtype\", \"items_id\", \"section\", \"digest\", \"nrows\") VALUES ",
    );
    for (i, (section, digest, nrows)) in rows.iter().enumerate() {
        sql.push(if i == 0 { "('Computer', " } else { ", ('Computer', " });
        sql.bind(id).push(", ").bind(*section).push(", ").bind(digest.as_str()).push(", ").bind(*nrows).push(")");
    }
    sql.push(" ON CONFLICT (\"itemtype\", \"items_id\", \"section\") DO UPDATE SET \"digest\" = excluded.\"digest\", \"nrows\" = excluded.\"nrows\"");
    sql.execute(conn)?;
    Ok(())
}
