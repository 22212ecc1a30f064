//! The integration suite: one binary that starts the real application in process, serving
//! real HTTP on loopback, against a real database. Every database test runs twice, on SQLite
//! and on PostgreSQL, each run in its own database, so tests run in parallel.

// Helpers outside `#[test]` functions stop a test at the first failure, like the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod access;
mod accounts;
mod activity;
mod audit_page;
mod dataset_delete;
mod datasets;
mod explore;
mod exports;
mod formats;
mod group_policies;
mod invitations;
mod layers;
mod link_addresses;
mod link_holders;
mod link_passwords;
mod link_rights;
mod links;
mod migrations;
mod notifications;
mod notifiers;
mod openapi;
mod ops;
mod outputs;
mod password_resets;
mod picker;
mod plugin_admin;
mod plugins;
mod reproducible;
mod routes;
mod schema_parity;
mod sharing;
mod signin;
mod team_pages;
mod teams;
mod tokens;
mod trash;
mod uploads;
mod versions;
mod web_style;
mod zones;
