//! Each inventory section as rows of GLPI's tables: OS link, processors, memory, volumes,
//! network ports and their addresses, software installations, attached devices.

use super::model::{Attached, Bios, Cpu, Drive, Memory, Os, Port, Software};
use super::rows::{self, opt, Result, Tx};
use super::sync::{Counts, Row, Spec};
use crate::db::sql::{Sql, Val};

/// The computer being imported.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub id: i64,
    pub entity: i64,
    /// Created by this import: there is nothing stored to compare with.
    pub fresh: bool,
}

impl Asset {
    fn owned(&self) -> Vec<(&'static str, Val)> {
        vec![("itemtype", Val::Text("Computer".into())), ("items_id", Val::Int(self.id))]
    }
}

/// The devices attached to a computer through Computer_Item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachedKind {
    Monitor,
    Printer,
    Peripheral,
}

impl AttachedKind {
    fn itemtype(self) -> &'static str {
        match self {
            AttachedKind::Monitor => "Monitor",
            AttachedKind::Printer => "Printer",
            AttachedKind::Peripheral => "Peripheral",
        }
    }
    fn table(self) -> &'static str {
        match self {
            AttachedKind::Monitor => "monitors",
            AttachedKind::Printer => "printers",
            AttachedKind::Peripheral => "peripherals",
        }
    }
}

/// The stored rows of each section, to count them and reconcile them.
pub fn spec(section: &str, a: &Asset) -> Spec {
    let (table, key): (&'static str, &'static [&'static str]) = match section {
        "os" => ("items_operatingsystems", &[]),
        "bios" => ("items_devicefirmwares", &["devicefirmwares_id"]),
        "cpus" => ("items_deviceprocessors", &["deviceprocessors_id", "serial"]),
        "memories" => ("items_devicememories", &["devicememories_id", "serial", "busID"]),
        "drives" => ("items_disks", &["device", "mountpoint"]),
        "ports" => ("networkports", &["name", "mac"]),
        "softwares" => ("items_softwareversions", &["softwareversions_id"]),
        other => {
            let kind = match other {
                "monitors" => AttachedKind::Monitor,
                "printers" => AttachedKind::Printer,
                _ => AttachedKind::Peripheral,
            };
            return Spec {
                table: "computers_items",
                owner: vec![("computers_id", Val::Int(a.id)), ("itemtype", Val::Text(kind.itemtype().into()))],
                key: &["items_id"],
            };
        }
    };
    Spec { table, owner: a.owned(), key }
}

fn int_or_null(v: Option<i64>) -> Val {
    v.map(Val::Int).unwrap_or(Val::Null)
}

pub fn os(tx: &mut Tx, a: &Asset, os: Option<&Os>) -> Result<Counts> {
    let mut desired = Vec::new();
    if let Some(o) = os {
        let kernel = tx.dropdown("operatingsystemkernels", o.kernel_name.as_deref())?;
        let kernel_version = match o.kernel_version.as_deref() {
            Some(v) => tx.find_or_create(
                "operatingsystemkernelversions",
                &[("name", Val::Text(v.into())), ("operatingsystemkernels_id", Val::Int(kernel))],
                &[],
            )?,
            None => 0,
        };
        let row: Row = vec![
            ("operatingsystems_id", Val::Int(tx.dropdown("operatingsystems", Some(&o.name))?)),
            ("operatingsystemversions_id", Val::Int(tx.dropdown("operatingsystemversions", o.version.as_deref())?)),
            (
                "operatingsystemservicepacks_id",
                Val::Int(tx.dropdown("operatingsystemservicepacks", o.service_pack.as_deref())?),
            ),
            (
                "operatingsystemarchitectures_id",
                Val::Int(tx.dropdown("operatingsystemarchitectures", o.arch.as_deref())?),
            ),
            ("operatingsystemkernelversions_id", Val::Int(kernel_version)),
            ("operatingsystemeditions_id", Val::Int(tx.dropdown("operatingsystemeditions", o.edition.as_deref())?)),
            ("license_number", opt(o.license_number.as_deref())),
            ("licenseid", opt(o.licenseid.as_deref())),
            ("company", opt(o.company.as_deref())),
            ("owner", opt(o.owner.as_deref())),
            ("hostid", opt(o.hostid.as_deref())),
            ("install_date", opt(o.install_date.as_deref())),
            ("entities_id", Val::Int(a.entity)),
        ];
        desired.push(row);
    }
    Ok(spec("os", a).sync(tx.conn, desired, false, a.fresh)?.1)
}

/// The BIOS as GLPI stores it: a firmware device "<maker> BIOS" of type BIOS, with its
/// version and date, linked to the computer (with the BIOS serial on the link).
pub fn bios(tx: &mut Tx, a: &Asset, bios: Option<&Bios>) -> Result<Counts> {
    let mut desired = Vec::new();
    if let Some(b) = bios {
        let mfr = tx.dropdown("manufacturers", b.manufacturer.as_deref())?;
        let kind = tx.dropdown("devicefirmwaretypes", Some("BIOS"))?;
        let designation = format!("{} BIOS", b.manufacturer.as_deref().unwrap_or("")).trim().to_string();
        let device = tx.find_or_create(
            "devicefirmwares",
            &[
                ("designation", Val::Text(designation)),
                ("manufacturers_id", Val::Int(mfr)),
                ("version", opt(b.version.as_deref())),
                ("devicefirmwaretypes_id", Val::Int(kind)),
            ],
            &[("date", opt(b.date.as_deref()))],
        )?;
        desired.push(vec![
            ("devicefirmwares_id", Val::Int(device)),
            ("serial", opt(b.serial.as_deref())),
            ("entities_id", Val::Int(a.entity)),
        ]);
    }
    Ok(spec("bios", a).sync(tx.conn, desired, false, a.fresh)?.1)
}

pub fn cpus(tx: &mut Tx, a: &Asset, cpus: &[Cpu]) -> Result<Counts> {
    let mut desired = Vec::with_capacity(cpus.len());
    for c in cpus {
        let mfr = tx.dropdown("manufacturers", c.manufacturer.as_deref())?;
        let device = tx.find_or_create(
            "deviceprocessors",
            &[("designation", Val::Text(c.name.clone())), ("manufacturers_id", Val::Int(mfr))],
            &[
                ("frequency_default", Val::Int(c.speed)),
                ("nbcores_default", int_or_null(c.cores)),
                ("nbthreads_default", int_or_null(c.threads)),
            ],
        )?;
        desired.push(vec![
            ("deviceprocessors_id", Val::Int(device)),
            ("serial", opt(c.serial.as_deref())),
            ("frequency", Val::Int(c.speed)),
            ("nbcores", int_or_null(c.cores)),
            ("nbthreads", int_or_null(c.threads)),
            ("entities_id", Val::Int(a.entity)),
        ]);
    }
    Ok(spec("cpus", a).sync(tx.conn, desired, false, a.fresh)?.1)
}

pub fn memories(tx: &mut Tx, a: &Asset, memories: &[Memory]) -> Result<Counts> {
    let mut desired = Vec::with_capacity(memories.len());
    for m in memories {
        let mfr = tx.dropdown("manufacturers", m.manufacturer.as_deref())?;
        let device = tx.find_or_create(
            "devicememories",
            &[
                ("designation", Val::Text(m.designation.clone())),
                ("manufacturers_id", Val::Int(mfr)),
                ("frequence", opt(m.frequence.as_deref())),
            ],
            &[("size_default", Val::Int(m.size))],
        )?;
        desired.push(vec![
            ("devicememories_id", Val::Int(device)),
            ("serial", opt(m.serial.as_deref())),
            ("busID", opt(m.slot.as_deref())),
            ("size", Val::Int(m.size)),
            ("entities_id", Val::Int(a.entity)),
        ]);
    }
    Ok(spec("memories", a).sync(tx.conn, desired, false, a.fresh)?.1)
}

pub fn drives(tx: &mut Tx, a: &Asset, drives: &[Drive]) -> Result<Counts> {
    let mut desired = Vec::with_capacity(drives.len());
    for d in drives {
        desired.push(vec![
            ("device", opt(d.device.as_deref())),
            ("mountpoint", opt(d.mountpoint.as_deref())),
            ("name", Val::Text(d.name.clone())),
            ("filesystems_id", Val::Int(tx.dropdown("filesystems", d.filesystem.as_deref())?)),
            ("totalsize", Val::Int(d.total)),
            ("freesize", Val::Int(d.free)),
            ("encryption_status", Val::Int(d.encrypted as i64)),
            ("encryption_tool", opt(d.encryption_tool.as_deref())),
            ("encryption_algorithm", opt(d.encryption_algorithm.as_deref())),
            ("encryption_type", opt(d.encryption_type.as_deref())),
            ("entities_id", Val::Int(a.entity)),
        ]);
    }
    Ok(spec("drives", a).sync(tx.conn, desired, false, a.fresh)?.1)
}

/// Ports, then their addresses (an IPAddress row per address, attached to the port).
pub fn ports(tx: &mut Tx, a: &Asset, ports: &[Port]) -> Result<Counts> {
    let desired: Vec<Row> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let status = Val::Text(if p.up { "1" } else { "2" }.into());
            vec![
                ("name", Val::Text(p.name.clone())),
                ("mac", opt(p.mac.as_deref())),
                ("instantiation_type", Val::Text(p.instantiation_type.into())),
                ("logical_number", Val::Int(i as i64)),
                ("ifmtu", Val::Int(p.mtu)),
                ("ifstatus", status.clone()),
                ("ifinternalstatus", status),
                ("entities_id", Val::Int(a.entity)),
            ]
        })
        .collect();
    let (ids, mut counts) = spec("ports", a).sync(tx.conn, desired, true, a.fresh)?;
    let mut addresses = Vec::new();
    for (p, port_id) in ports.iter().zip(ids) {
        for ip in &p.ips {
            let version = if ip.contains(':') { 6 } else { 4 };
            addresses.push(vec![
                ("itemtype", Val::Text("NetworkPort".into())),
                ("items_id", Val::Int(port_id)),
                ("name", Val::Text(ip.clone())),
                ("version", Val::Int(version)),
                ("entities_id", Val::Int(a.entity)),
            ]);
        }
    }
    let ip_spec = Spec {
        table: "ipaddresses",
        owner: vec![("mainitemtype", Val::Text("Computer".into())), ("mainitems_id", Val::Int(a.id))],
        key: &["items_id", "name"],
    };
    let (_, ip_counts) = ip_spec.sync(tx.conn, addresses, false, a.fresh)?;
    // Address changes count as changes of their port.
    if ip_counts.changed() && !counts.changed() {
        counts.updated += 1;
    }
    Ok(counts)
}

pub fn softwares(tx: &mut Tx, a: &Asset, list: &[Software]) -> Result<Counts> {
    let versions = super::software::versions(tx, a.entity, list)?;
    let mut seen = std::collections::HashSet::new();
    let desired: Vec<Row> = list
        .iter()
        .zip(versions)
        .filter_map(|(s, v)| v.map(|v| (s, v)))
        .filter(|(_, v)| seen.insert(*v))
        .map(|(s, v)| {
            vec![
                ("softwareversions_id", Val::Int(v)),
                ("date_install", opt(s.install_date.as_deref())),
                ("entities_id", Val::Int(a.entity)),
            ]
        })
        .collect();
    Ok(spec("softwares", a).sync(tx.conn, desired, false, a.fresh)?.1)
}

/// Attached devices: found by serial anywhere (a monitor moved between computers keeps
/// its record), else by name among this computer's own links; created otherwise.
pub fn attached(tx: &mut Tx, a: &Asset, kind: AttachedKind, list: &[Attached]) -> Result<Counts> {
    let (table, itemtype) = (kind.table(), kind.itemtype());
    let mut desired = Vec::with_capacity(list.len());
    let mut changed_devices = 0;
    for d in list {
        let found = rows::select(tx.conn, table, &["is_dynamic", "name", "manufacturers_id", "entities_id"], |s| {
            match &d.serial {
                Some(serial) => {
                    s.push(" WHERE t.\"serial\" = ").bind(serial.clone());
                }
                None => {
                    s.push(" WHERE t.\"serial\" IS NULL AND t.\"name\" = ").bind(d.name.clone());
                    s.push(
                        " AND t.\"id\" IN (SELECT ci.\"items_id\" FROM \"computers_items\" ci WHERE ci.\"itemtype\" = ",
                    )
                    .bind(itemtype)
                    .push(" AND ci.\"computers_id\" = ")
                    .bind(a.id)
                    .push(")");
                }
            }
            s.push(" AND t.\"is_deleted\" = 0 AND t.\"is_template\" = 0 ORDER BY t.\"id\" LIMIT 1");
        })?;
        let mfr = tx.dropdown("manufacturers", d.manufacturer.as_deref())?;
        let values: Row = vec![
            ("name", Val::Text(d.name.clone())),
            ("manufacturers_id", Val::Int(mfr)),
            ("entities_id", Val::Int(a.entity)),
        ];
        let id = match found.into_iter().next() {
            Some(row) => {
                let id = row["id"].as_i64().unwrap_or(0);
                // Only records the inventory created are kept in line with it.
                if row["is_dynamic"].as_i64() == Some(1) {
                    let changed: Row = values.into_iter().filter(|(c, v)| !rows::same(row.get(*c), v)).collect();
                    if !changed.is_empty() {
                        rows::update_row(tx.conn, table, id, &changed)?;
                        changed_devices += 1;
                    }
                }
                id
            }
            None => {
                let mut cols = values;
                cols.extend([
                    ("serial", opt(d.serial.as_deref())),
                    ("comment", opt(d.comment.as_deref())),
                    ("is_dynamic", Val::Int(1)),
                ]);
                rows::insert_returning(tx.conn, table, &cols)?
            }
        };
        // A device is connected to one computer: drop the inventory's links elsewhere.
        let mut sql = Sql::new(tx.backend());
        sql.push("DELETE FROM \"computers_items\" WHERE \"itemtype\" = ")
            .bind(itemtype)
            .push(" AND \"items_id\" = ")
            .bind(id)
            .push(" AND \"computers_id\" <> ")
            .bind(a.id)
            .push(" AND \"is_dynamic\" = 1");
        sql.execute(tx.conn)?;
        desired.push(vec![("items_id", Val::Int(id))]);
    }
    let (_, mut counts) = spec(
        match kind {
            AttachedKind::Monitor => "monitors",
            AttachedKind::Printer => "printers",
            AttachedKind::Peripheral => "peripherals",
        },
        a,
    )
    .sync(tx.conn, desired, false, a.fresh)?;
    counts.updated += changed_devices;
    Ok(counts)
}
