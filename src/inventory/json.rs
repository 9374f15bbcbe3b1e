//! Reads a (schema-checked) JSON inventory, native or converted from XML, into the model,
//! applying GLPI's mapping of agent fields to asset fields.

use super::doc::{Doc, Obj};
use super::model::*;

/// Serials and UUIDs that identify nothing (GLPI's blacklist, abridged): they are dropped
/// before matching, otherwise every unbranded PC would be the same computer.
const DUMMY_SERIALS: &[&str] = &[
    "to be filled by o.e.m.",
    "to be filled by oem",
    "default string",
    "system serial number",
    "not specified",
    "not applicable",
    "none",
    "n/a",
    "na",
    "0",
    "00000000",
    "0000000000",
    "123456789",
    "1234567890",
    "serial",
    "invalid",
    "empty",
    "chassis serial number",
    "base board serial number",
];

fn is_dummy_uuid(u: &str) -> bool {
    let hex: String = u.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    hex.is_empty()
        || hex.chars().all(|c| c == '0')
        || hex.chars().all(|c| c.eq_ignore_ascii_case(&'f'))
        || hex.eq_ignore_ascii_case("03000200040005000006000700080009")
}

/// A trimmed, non-empty string value (numbers are accepted, as agents are not consistent).
fn text(o: &Obj, key: &str) -> Option<String> {
    let s = match o.get(key)? {
        Doc::Str(s) => s.trim().to_string(),
        n @ (Doc::Int(_) | Doc::UInt(_) | Doc::Float(_)) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

fn int(o: &Obj, key: &str) -> Option<i64> {
    match o.get(key)? {
        Doc::Int(i) => Some(*i),
        Doc::UInt(u) => i64::try_from(*u).ok(),
        Doc::Float(f) => Some(*f as i64),
        Doc::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn flag(o: &Obj, key: &str) -> bool {
    match o.get(key) {
        Some(Doc::Bool(b)) => *b,
        Some(Doc::Int(n)) => *n == 1,
        Some(Doc::Str(s)) => matches!(s.as_ref(), "1" | "true" | "Yes" | "yes"),
        _ => false,
    }
}

fn first(o: &Obj, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| text(o, k))
}

/// `YYYY-MM-DD` from a date or datetime; anything else is dropped, as GLPI's converter does.
fn date(o: &Obj, key: &str) -> Option<String> {
    let s = text(o, key)?;
    let d = s.get(..10)?;
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok().map(|_| d.to_string())
}

fn datetime(o: &Obj, key: &str) -> Option<String> {
    crate::itemtypes::store::parse_datetime(&text(o, key)?)
}

fn objects<'a, 'd>(content: &'a Obj<'d>, key: &str) -> Option<Vec<&'a Obj<'d>>> {
    match content.get(key)? {
        Doc::Array(items) => Some(items.iter().filter_map(Doc::as_object).collect()),
        Doc::Object(o) => Some(vec![o]),
        _ => None,
    }
}

static EMPTY: Obj<'static> = Obj(Vec::new());

fn section<'a, 'd>(content: &'a Obj<'d>, key: &str) -> &'a Obj<'d> {
    content.get(key).and_then(Doc::as_object).unwrap_or(&EMPTY)
}

/// Build the model from a document that passed [`super::schema::violations`].
pub fn to_model(doc: &Doc) -> Inventory {
    let top = doc.as_object().unwrap_or(&EMPTY);
    let content = section(top, "content");
    let hw = section(content, "hardware");
    let bios = section(content, "bios");
    let os = content.get("operatingsystem").and_then(Doc::as_object);
    let provider = section(content, "versionprovider");
    let versionclient = text(content, "versionclient").unwrap_or_default();
    let agent_version = text(provider, "version").unwrap_or_else(|| {
        versionclient.rsplit_once("_v").map(|(_, v)| v.to_string()).unwrap_or_else(|| versionclient.clone())
    });
    let networks = objects(content, "networks");
    Inventory {
        deviceid: text(top, "deviceid").unwrap_or_default(),
        itemtype: text(top, "itemtype").unwrap_or_else(|| "Computer".into()),
        partial: flag(top, "partial"),
        tag: text(top, "tag").unwrap_or_default(),
        agent_version,
        versionclient,
        computer: computer(hw, bios, os, networks.as_deref()),
        os: content.contains_key("operatingsystem").then(|| os.and_then(|o| operating_system(o, hw))),
        bios: content.contains_key("bios").then(|| firmware(bios)),
        cpus: objects(content, "cpus").map(|l| l.into_iter().map(cpu).collect()),
        memories: objects(content, "memories").map(|l| l.into_iter().filter_map(memory).collect()),
        drives: objects(content, "drives").map(|l| l.into_iter().filter_map(drive).collect()),
        ports: networks.map(|l| ports(&l)),
        softwares: objects(content, "softwares").map(|l| l.into_iter().filter_map(software).collect()),
        monitors: objects(content, "monitors").map(|l| {
            l.into_iter().filter_map(|m| attached(m, &["name", "caption"], &["serial", "altserial"])).collect()
        }),
        printers: objects(content, "printers")
            .map(|l| l.into_iter().filter_map(|m| attached(m, &["name"], &["serial"])).collect()),
        // GLPI imports USB devices as peripherals when they carry a serial of their own.
        peripherals: objects(content, "usbdevices").map(|l| {
            l.into_iter()
                .filter(|m| text(m, "serial").is_some())
                .filter_map(|m| attached(m, &["name", "caption"], &["serial"]))
                .collect()
        }),
    }
}

fn computer(hw: &Obj, bios: &Obj, os: Option<&Obj>, networks: Option<&[&Obj]>) -> Computer {
    let serial = text(bios, "ssn").filter(|s| !DUMMY_SERIALS.contains(&s.to_lowercase().as_str()));
    let vm = text(hw, "vmsystem").filter(|v| !v.eq_ignore_ascii_case("physical"));
    let macs = networks
        .unwrap_or_default()
        .iter()
        .filter(|n| !flag(n, "virtualdev"))
        .filter_map(|n| text(n, "mac"))
        .map(|m| m.to_lowercase())
        .filter(|m| m != "00:00:00:00:00:00")
        .collect();
    Computer {
        name: text(hw, "name"),
        serial,
        uuid: text(hw, "uuid").filter(|u| !is_dummy_uuid(u)),
        otherserial: text(bios, "assettag").filter(|s| !DUMMY_SERIALS.contains(&s.to_lowercase().as_str())),
        manufacturer: first(bios, &["smanufacturer", "mmanufacturer", "bmanufacturer"]),
        model: first(bios, &["smodel", "mmodel"]),
        computer_type: vm.or_else(|| text(hw, "chassis_type")),
        contact: text(hw, "lastloggeduser"),
        last_boot: os.and_then(|o| datetime(o, "boot_time")),
        macs,
    }
}

fn operating_system(o: &Obj, hw: &Obj) -> Option<Os> {
    Some(Os {
        name: first(o, &["full_name", "name"])?,
        version: text(o, "version"),
        arch: text(o, "arch"),
        kernel_name: text(o, "kernel_name"),
        kernel_version: text(o, "kernel_version"),
        service_pack: text(o, "service_pack"),
        edition: None,
        hostid: text(o, "hostid"),
        install_date: date(o, "install_date"),
        license_number: text(hw, "winprodkey"),
        licenseid: text(hw, "winprodid"),
        company: text(hw, "wincompany"),
        owner: text(hw, "winowner"),
    })
}

/// GLPI keeps the BIOS when it has a version, a date or a maker.
fn firmware(b: &Obj) -> Option<Bios> {
    let bios = Bios {
        version: text(b, "bversion"),
        date: date(b, "bdate").or_else(|| us_date(b, "bdate")),
        manufacturer: text(b, "bmanufacturer"),
        serial: text(b, "biosserial").filter(|s| !DUMMY_SERIALS.contains(&s.to_lowercase().as_str())),
    };
    (bios.version.is_some() || bios.date.is_some() || bios.manufacturer.is_some()).then_some(bios)
}

/// `MM/DD/YYYY`, the form DMI gives BIOS dates in.
fn us_date(o: &Obj, key: &str) -> Option<String> {
    let s = text(o, key)?;
    chrono::NaiveDate::parse_from_str(&s, "%m/%d/%Y").ok().map(|d| d.format("%Y-%m-%d").to_string())
}

fn cpu(o: &Obj) -> Cpu {
    Cpu {
        name: first(o, &["name", "model"]).unwrap_or_else(|| "Processor".into()),
        manufacturer: text(o, "manufacturer"),
        speed: int(o, "speed").unwrap_or(0),
        cores: int(o, "core"),
        threads: int(o, "thread"),
        serial: text(o, "serial").filter(|s| !DUMMY_SERIALS.contains(&s.to_lowercase().as_str())),
    }
}

fn memory(o: &Obj) -> Option<Memory> {
    // Empty slots carry no capacity; GLPI skips them.
    let size = int(o, "capacity").filter(|c| *c > 0)?;
    Some(Memory {
        designation: first(o, &["caption", "description", "type"]).unwrap_or_else(|| "Memory".into()),
        manufacturer: text(o, "manufacturer"),
        frequence: text(o, "speed"),
        size,
        serial: text(o, "serialnumber").filter(|s| !DUMMY_SERIALS.contains(&s.to_lowercase().as_str())),
        slot: text(o, "numslots"),
    })
}

fn drive(o: &Obj) -> Option<Drive> {
    let mountpoint = first(o, &["type", "letter"]);
    let name = first(o, &["label", "type", "letter", "volumn"])?;
    let encrypted = text(o, "encrypt_status").is_some_and(|s| !matches!(s.to_lowercase().as_str(), "no" | "0"));
    Some(Drive {
        name,
        device: text(o, "volumn"),
        mountpoint,
        filesystem: text(o, "filesystem"),
        total: int(o, "total").unwrap_or(0),
        free: int(o, "free").unwrap_or(0),
        encrypted,
        encryption_tool: text(o, "encrypt_name"),
        encryption_algorithm: text(o, "encrypt_algo"),
        encryption_type: text(o, "encrypt_type"),
    })
}

/// One port per interface: agents send one `networks` entry per address.
fn ports(networks: &[&Obj]) -> Vec<Port> {
    let mut out: Vec<Port> = Vec::new();
    for n in networks {
        let Some(name) = text(n, "description") else { continue };
        let mac = text(n, "mac").map(|m| m.to_lowercase());
        let idx = match out.iter().position(|p| p.name == name && p.mac == mac) {
            Some(i) => i,
            None => {
                let ty = text(n, "type").unwrap_or_default().to_lowercase();
                out.push(Port {
                    name,
                    mac,
                    instantiation_type: match ty.as_str() {
                        "loopback" => "NetworkPortLocal",
                        "wifi" => "NetworkPortWifi",
                        "aggregate" => "NetworkPortAggregate",
                        "alias" => "NetworkPortAlias",
                        "dialup" => "NetworkPortDialup",
                        "fibrechannel" => "NetworkPortFiberchannel",
                        _ => "NetworkPortEthernet",
                    },
                    up: text(n, "status").is_some_and(|s| s.eq_ignore_ascii_case("up")),
                    mtu: int(n, "mtu").unwrap_or(0),
                    ips: Vec::new(),
                });
                out.len() - 1
            }
        };
        for key in ["ipaddress", "ipaddress6"] {
            if let Some(ip) = text(n, key).filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()) {
                if !out[idx].ips.contains(&ip) {
                    out[idx].ips.push(ip);
                }
            }
        }
    }
    out
}

fn software(o: &Obj) -> Option<Software> {
    Some(Software {
        name: text(o, "name")?,
        version: text(o, "version").unwrap_or_default(),
        arch: text(o, "arch").unwrap_or_default(),
        publisher: text(o, "publisher"),
        install_date: date(o, "install_date"),
    })
}

fn attached(o: &Obj, names: &[&str], serials: &[&str]) -> Option<Attached> {
    Some(Attached {
        // Unnamed USB devices still have a maker: name them after it rather than drop them.
        name: first(o, names).or_else(|| text(o, "manufacturer"))?,
        serial: first(o, serials).filter(|s| !DUMMY_SERIALS.contains(&s.to_lowercase().as_str())),
        manufacturer: text(o, "manufacturer"),
        comment: text(o, "description"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str) -> Inventory {
        let path = format!("{}/tests/fixtures/inventory/{name}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read(path).expect("fixture");
        to_model(&crate::inventory::doc::parse(&body).expect("json"))
    }

    #[test]
    fn maps_the_glpi_agent_inventory() {
        let inv = model("glpi-agent-inventory.json");
        assert_eq!(inv.deviceid, "vm-2026-11-28-16-45-04");
        assert_eq!(inv.tag, "research-tag");
        assert_eq!(inv.agent_version, "1.12-dev");
        assert!(!inv.partial);
        assert_eq!(inv.computer.name.as_deref(), Some("vm"));
        assert_eq!(inv.computer.serial, None);
        assert_eq!(inv.computer.computer_type.as_deref(), Some("Docker"));
        assert_eq!(inv.os.clone().flatten().unwrap().name, "Debian GNU/Linux 12 (bookworm)");
        let ports = inv.ports.unwrap();
        assert_eq!(ports.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["lo", "ifb0", "ifb1", "eth0"]);
        assert_eq!(ports[3].ips.len(), 3);
        assert_eq!(ports[0].instantiation_type, "NetworkPortLocal");
        assert_eq!(inv.softwares.unwrap().len(), 826);
        assert_eq!(inv.drives.unwrap()[0].mountpoint.as_deref(), Some("/"));
        assert!(inv.monitors.is_none());
    }

    #[test]
    fn maps_bios_and_attached_devices() {
        let inv = model("inventory_format-example-computer_1.json");
        assert_eq!(inv.computer.serial.as_deref(), Some("640HP72"));
        assert_eq!(inv.computer.manufacturer.as_deref(), Some("Dell Inc."));
        assert_eq!(inv.computer.model.as_deref(), Some("XPS 13 9350"));
        assert_eq!(inv.computer.computer_type.as_deref(), Some("Laptop"));
        assert_eq!(inv.computer.uuid.as_deref(), Some("4c4c4544-0034-3010-8048-b6c04f503732"));
        assert_eq!(inv.monitors.unwrap()[0].serial.as_deref(), Some("ABH55D"));
        assert_eq!(inv.printers.unwrap()[0].serial.as_deref(), Some("MY47L1W1JHEB6"));
        assert!(!inv.peripherals.unwrap().is_empty());
        assert_eq!(inv.cpus.unwrap()[0].serial, None, "dummy serials are dropped");
        assert_eq!(inv.memories.unwrap().len(), 2);
        let bios = inv.bios.flatten().unwrap();
        assert_eq!((bios.version.as_deref(), bios.date.as_deref()), (Some("1.4.3"), Some("2016-02-06")));
        assert_eq!(bios.manufacturer.as_deref(), Some("Dell Inc."));
    }

    #[test]
    fn reads_dmi_bios_dates_and_skips_empty_bios() {
        let v =
            serde_json::json!({"content": {"bios": {"bdate": "06/02/2016", "bversion": "A01", "biosserial": "None"}}});
        let bios = to_model(&Doc::from_value(&v)).bios.flatten().unwrap();
        assert_eq!(bios.date.as_deref(), Some("2016-06-02"));
        assert_eq!(bios.serial, None, "dummy serials are dropped");
        let empty = serde_json::json!({"content": {"bios": {"ssn": ""}}});
        assert_eq!(to_model(&Doc::from_value(&empty)).bios, Some(None));
        assert_eq!(to_model(&Doc::from_value(&serde_json::json!({"content": {}}))).bios, None);
    }
}
