//! Account management for site admins: list, create, deactivate, promote.

pub mod create;
pub mod list;
pub mod update;
