//! Signing in and out with a session cookie.

pub mod login;
pub mod logout;
