//! Queued exports: request one, follow its progress (JSON or server-sent events), cancel it,
//! download its artifact (with Range requests, so a browser can resume; [`crate::http::download`]).

pub mod cancel;
pub mod create;
pub mod download;
pub mod events;
pub mod get;
pub mod list;

pub use crate::http::views::exports::{JobErrorView, JobView};
