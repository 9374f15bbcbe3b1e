//! GLPI's right bitmasks (inc/define.php) and the per-session rights check.

use std::collections::HashMap;

pub const READ: i64 = 1;
pub const UPDATE: i64 = 2;
pub const CREATE: i64 = 4;
pub const DELETE: i64 = 8;
pub const PURGE: i64 = 16;

/// Ticket-specific bits.
pub mod ticket {
    pub const READMY: i64 = 1;
    pub const READALL: i64 = 1024;
    pub const READGROUP: i64 = 2048;
    pub const READASSIGN: i64 = 4096;
    pub const ASSIGN: i64 = 8192;
    pub const STEAL: i64 = 16384;
    pub const OWN: i64 = 32768;
}

/// Followup-specific bits.
pub mod followup {
    pub const SEEPUBLIC: i64 = 1;
    pub const UPDATEMY: i64 = 2;
    pub const ADDMYTICKET: i64 = 4;
    pub const UPDATEALL: i64 = 1024;
    pub const ADDGROUPTICKET: i64 = 2048;
    pub const ADDALLTICKET: i64 = 4096;
    pub const SEEPRIVATE: i64 = 8192;
}

/// Task-specific bits.
pub mod task {
    pub const SEEPUBLIC: i64 = 1;
    pub const UPDATEMY: i64 = 2;
    pub const UPDATEALL: i64 = 1024;
    pub const ADDALLITEM: i64 = 4096;
    pub const SEEPRIVATE: i64 = 8192;
}

/// Rights of the active profile, by right name.
#[derive(Debug, Clone, Default)]
pub struct Rights(pub HashMap<String, i64>);

impl Rights {
    pub fn get(&self, name: &str) -> i64 {
        self.0.get(name).copied().unwrap_or(0)
    }

    pub fn has(&self, name: &str, bit: i64) -> bool {
        self.get(name) & bit != 0
    }
}
