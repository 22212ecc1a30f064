//! The audit log for site admins: filter it, page through it, export it as CSV, and verify
//! that its hash chain is whole.

pub mod list;
pub mod verify;
