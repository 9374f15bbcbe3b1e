//! The normalized inventory both wire formats are read into: only what Parc imports, with
//! GLPI's field mapping already applied (bios.ssn → serial, full_name → OS name, …).
//!
//! A section is `None` when the payload does not carry it: a partial inventory leaves
//! such sections alone, a full one treats them as empty.

/// One inventory, as the importer sees it.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub deviceid: String,
    pub itemtype: String,
    pub partial: bool,
    /// The agent's TAG, trimmed; empty when absent.
    pub tag: String,
    /// Agent version (`versionprovider.version`, else parsed from `versionclient`).
    pub agent_version: String,
    pub versionclient: String,
    pub computer: Computer,
    pub os: Option<Option<Os>>,
    /// The BIOS (`bios.bversion`, `bdate`, …), stored as GLPI does: a DeviceFirmware of
    /// type "BIOS" linked to the computer. `Some(None)`: a `bios` without firmware data.
    pub bios: Option<Option<Bios>>,
    pub cpus: Option<Vec<Cpu>>,
    pub memories: Option<Vec<Memory>>,
    pub drives: Option<Vec<Drive>>,
    pub ports: Option<Vec<Port>>,
    pub softwares: Option<Vec<Software>>,
    pub monitors: Option<Vec<Attached>>,
    pub printers: Option<Vec<Attached>>,
    pub peripherals: Option<Vec<Attached>>,
}

/// Fields of the main asset, from `hardware`, `bios` and `operatingsystem`.
#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Computer {
    pub name: Option<String>,
    pub serial: Option<String>,
    pub uuid: Option<String>,
    pub otherserial: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub computer_type: Option<String>,
    pub contact: Option<String>,
    pub last_boot: Option<String>,
    /// MAC addresses of the physical interfaces, for the optional `mac` rule.
    pub macs: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Os {
    pub name: String,
    pub version: Option<String>,
    pub arch: Option<String>,
    pub kernel_name: Option<String>,
    pub kernel_version: Option<String>,
    pub service_pack: Option<String>,
    pub edition: Option<String>,
    pub hostid: Option<String>,
    pub install_date: Option<String>,
    pub license_number: Option<String>,
    pub licenseid: Option<String>,
    pub company: Option<String>,
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Bios {
    pub version: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub manufacturer: Option<String>,
    pub serial: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Cpu {
    pub name: String,
    pub manufacturer: Option<String>,
    pub speed: i64,
    pub cores: Option<i64>,
    pub threads: Option<i64>,
    pub serial: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Memory {
    pub designation: String,
    pub manufacturer: Option<String>,
    pub frequence: Option<String>,
    pub size: i64,
    pub serial: Option<String>,
    pub slot: Option<String>,
}

/// A volume / file system (`drives`), stored as an Item_Disk.
#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Drive {
    pub name: String,
    pub device: Option<String>,
    pub mountpoint: Option<String>,
    pub filesystem: Option<String>,
    pub total: i64,
    pub free: i64,
    pub encrypted: bool,
    pub encryption_tool: Option<String>,
    pub encryption_algorithm: Option<String>,
    pub encryption_type: Option<String>,
}

/// A network interface: the `networks` entries of one (name, mac), with all their addresses.
#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Port {
    pub name: String,
    pub mac: Option<String>,
    /// GLPI's NetworkPort class: NetworkPortEthernet, NetworkPortLocal, …
    pub instantiation_type: &'static str,
    pub up: bool,
    pub mtu: i64,
    pub ips: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Software {
    pub name: String,
    pub version: String,
    pub arch: String,
    pub publisher: Option<String>,
    pub install_date: Option<String>,
}

/// A monitor, printer or peripheral attached to the computer, with its own serial.
#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Attached {
    pub name: String,
    pub serial: Option<String>,
    pub manufacturer: Option<String>,
    pub comment: Option<String>,
}
