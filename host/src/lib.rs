//! Tessera: a self-hosted server with which research teams export their datasets and share
//! them safely.
//!
//! The binary in `main.rs` only parses the command line; everything else lives here so that
//! the integration tests drive the very same application ([`http::app::build_app`]) in process.

pub mod access;
pub mod accounts;
pub mod activity;
pub mod auth;
pub mod background;
pub mod cli;
pub mod commands;
pub mod config;
pub mod datasets;
pub mod db;
pub mod dispatch;
pub mod error_code;
pub mod explore;
pub mod export;
pub mod groups;
pub mod http;
pub mod human;
pub mod ingest;
pub mod licences;
pub mod links;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod net;
pub mod notifications;
pub mod outbound;
pub mod plugins;
pub mod sharing;
pub mod state;
pub mod storage;
pub mod teams;
pub mod time;

pub use config::Config;
pub use http::app::build_app;
pub use state::AppState;
