//! Items of any itemtype: the one write pipeline (rights through `access::write`, domain
//! rules, store and change log, per transaction).

mod write;

pub use write::*;
