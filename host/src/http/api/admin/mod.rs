//! The admin API: only site admins reach it ([`crate::auth::AdminCaller`]).

pub mod audit;
pub mod plugins;
pub mod policies;
pub mod users;
