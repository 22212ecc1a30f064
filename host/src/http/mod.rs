//! The transport layer: everything that speaks HTTP, and the only part of the host that
//! imports actix-web or the composed [`crate::state::AppState`].
//!
//! - [`app`] builds the application (middleware, security headers, the route tables).
//! - [`routing`] groups routes by path (405 with `Allow`) and records the router's table.
//! - [`extract`] verifies who is calling; [`access`] decides, in each handler's type, what
//!   they may do with the resource the path names (and records the decision).
//! - [`client`] reads the client's address (trusting forwarded headers only from configured
//!   proxies); [`cookies`] writes a session's cookies.
//! - [`error`] is the one catalogue of API errors and where each becomes a status and JSON.
//! - [`api`] holds the JSON handlers, one folder per resource; [`openapi`] documents them.
//! - [`views`] holds the answers' shapes that the pages render too.
//! - [`pages`] holds the HTML pages people use in a browser.
//! - [`paging`] checks a window of rows one way for every endpoint that serves rows.
//! - [`export_stream`] streams an export as a response body, for the dataset's export and a
//!   link's download alike.
//! - [`download`] sends a file as a download (ranges, its name), for exports and links alike.
//! - [`link_access`] serves a link's download and rows to its holder, for the link's pages
//!   and its token's API alike.
//!
//! The domain modules beneath (datasets in `db`, `ingest`, `export`, `links`, `access`,
//! `accounts`, `plugins`) know nothing of HTTP.

pub mod access;
pub mod api;
pub mod app;
pub mod client;
pub mod cookies;
pub mod download;
pub mod error;
pub mod export_stream;
pub mod extract;
pub mod link_access;
pub mod openapi;
pub mod pages;
pub mod paging;
pub mod routing;
pub mod table_view;
pub mod views;
