//! The API of a link's holder: whoever presents a link's token (`Authorization: Bearer <link
//! token>`, no account) reads what it grants (`GET /api/v1/link`), its rows and its download;
//! and anyone reads the public keys that sign those tokens. The same download and rows reached
//! by the link's address are served by [`crate::http::link_access`] for both.

pub mod download;
pub mod get;
pub mod keys;
pub mod rows;
