//! Account management for site admins: list, create, deactivate, promote, and give a
//! password-reset link.

pub mod create;
pub mod list;
pub mod password_reset;
pub mod update;
