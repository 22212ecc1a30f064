//! The admin API: only site admins reach it ([`crate::auth::AdminCaller`]).

pub mod plugins;
pub mod users;
