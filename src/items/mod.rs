//! Items of any itemtype: the one scoped read (`read`) and the one write pipeline
//! (`write`: rights through `access::write`, domain rules, store and change log, per
//! transaction).

pub mod read;
mod write;

pub use write::*;
