//! GLPI itemtypes described as data.
//!
//! One [`ItemTypeDef`] per itemtype names its SQL table, its columns (in GLPI's own
//! `name:type?=default` notation, see `glpi-apirest.md` §7), its rights module and how
//! its rows hang off a parent. Generic code (CRUD, sub-items, search, listSearchOptions)
//! is driven from these declarations; no itemtype has handlers of its own.

mod defs;
mod field;

pub use defs::ALL;
pub use field::{Field, FieldType, StrSize};

pub mod store;
pub mod value;

/// How rows of an itemtype relate to a parent item (for sub-item routes and scoping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// Not a child of anything.
    None,
    /// Linked by a foreign-key column to a fixed parent itemtype, e.g. `tickets_id` -> Ticket.
    Fk { column: &'static str, itemtype: &'static str },
    /// Polymorphic link through `itemtype` + `items_id` columns (ITILFollowup, Infocom, ...).
    Poly,
}

/// Broad behaviour class of an itemtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Physical asset with entity, trash, location, model, type, manufacturer.
    Asset,
    /// Flat dropdown (Manufacturer, ComputerType, ...).
    Dropdown,
    /// Tree dropdown with `<table>_id`, `completename`, `level` (Location, ITILCategory, State, Group, Entity).
    TreeDropdown,
    /// Relation / child row (Computer_Item, Ticket_User, TicketTask, ...).
    Relation,
    /// Anything else with its own rules (Ticket, User, Profile, Log, ...).
    Other,
}

/// Domain rules that writes of an itemtype go through, named by its declaration, so that
/// the write pipeline (`items::write`) calls them without testing itemtype names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// `tickets`: priority, actors, status dates, action time, followup authorship, solutions.
    Tickets,
    /// `users`: password hashing and policy, API tokens, the default profile, e-mails.
    Users,
    /// `interventions`: the OPTIC action vocabulary, the agent, the visit's times.
    Interventions,
    /// `inventory::locks`: fields of an inventoried item changed by hand are locked.
    FieldLocks,
    /// `entities`: the cached entity tree is refreshed.
    EntityTree,
}

#[derive(Debug)]
pub struct ItemTypeDef {
    /// Canonical GLPI class name, e.g. `Computer`, `Item_SoftwareVersion`.
    pub name: &'static str,
    /// SQL table name in Parc: GLPI's table name without the `glpi_` prefix.
    pub table: &'static str,
    /// Columns in GLPI 10 table order, GLPI notation: `id:int · entities_id:int=0 · name:str? ...`.
    pub fields: &'static str,
    /// GLPI right module checked for this itemtype (`computer`, `ticket`, `dropdown`, ...).
    pub right: &'static str,
    pub kind: Kind,
    pub parent: Parent,
    /// Columns never returned through the API (password, tokens, ...).
    pub hidden: &'static [&'static str],
    /// Child itemtypes advertised in HATEOAS links, in GLPI's order.
    pub children: &'static [&'static str],
    /// Domain rules its writes go through.
    pub hooks: &'static [Hook],
}

impl ItemTypeDef {
    /// GLPI's table name, as shown in listSearchOptions and error messages.
    pub fn glpi_table(&self) -> String {
        format!("glpi_{}", self.table)
    }
}

/// Find an itemtype by name, whatever the case (GLPI resolves class names case-insensitively).
pub fn find(name: &str) -> Option<&'static ItemTypeDef> {
    ALL.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// Find the itemtype stored in a table (used to resolve foreign keys such as `locations_id`).
pub fn by_table(table: &str) -> Option<&'static ItemTypeDef> {
    ALL.iter().find(|d| d.table == table)
}

impl ItemTypeDef {
    /// Parsed columns, cached for the process lifetime.
    pub fn columns(&self) -> &'static [Field] {
        static CACHE: std::sync::OnceLock<Vec<Vec<Field>>> = std::sync::OnceLock::new();
        let all = CACHE.get_or_init(|| ALL.iter().map(|d| field::parse_fields(d.fields)).collect());
        let idx = ALL.iter().position(|d| d.name == self.name).expect("itemtype from ALL");
        &all[idx]
    }

    pub fn column(&self, name: &str) -> Option<&'static Field> {
        self.columns().iter().find(|f| f.name == name)
    }

    /// The column naming a tree dropdown's parent: `<table>_id`, or `entities_id` for the
    /// entity tree.
    pub fn tree_parent(&self) -> String {
        if self.hooked(Hook::EntityTree) {
            "entities_id".into()
        } else {
            format!("{}_id", self.table)
        }
    }

    pub fn hooked(&self, hook: Hook) -> bool {
        self.hooks.contains(&hook)
    }

    pub fn has(&self, name: &str) -> bool {
        self.column(name).is_some()
    }

    /// Columns visible through the API.
    pub fn visible_columns(&self) -> impl Iterator<Item = &'static Field> + '_ {
        self.columns().iter().filter(|f| !self.hidden.contains(&f.name))
    }
}

/// The itemtype a foreign-key column points to: `locations_id` -> Location,
/// `users_id_tech` -> User, `entities_id` -> Entity. `items_id` is polymorphic and
/// resolves through the row's `itemtype` instead.
pub fn fk_target(column: &str) -> Option<&'static ItemTypeDef> {
    let base = match column.find("_id") {
        Some(pos) if column[pos..] == *"_id" || column[pos..].starts_with("_id_") => &column[..pos],
        _ => return None,
    };
    if base == "items" {
        return None;
    }
    by_table(base)
}
