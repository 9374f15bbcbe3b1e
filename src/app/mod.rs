//! The application: its state and how it is started (tests start it on port 0).

pub mod startup;
pub mod state;

pub use startup::Application;
pub use state::{AppState, State};
