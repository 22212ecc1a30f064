//! The admin API: only site admins reach it ([`crate::access::AdminCaller`]).

pub mod activity;
pub mod audit;
pub mod plugins;
pub mod policies;
pub mod users;
