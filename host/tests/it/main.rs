//! The integration suite: one binary that starts the real application in process, serving
//! real HTTP on loopback, against a real database. Every database test runs twice, on SQLite
//! and on PostgreSQL, each run in its own database, so tests run in parallel.

mod common;

mod accounts;
mod datasets;
mod exports;
mod migrations;
mod openapi;
mod ops;
mod plugins;
mod teams;
