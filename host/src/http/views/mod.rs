//! The shapes the API answers with that the pages render too: an export job, a share link, and
//! the word sets the document names (`vocabulary`). Below both, so that a page and a handler
//! that show the same thing share its shape without importing each other.

pub mod exports;
pub mod links;
pub mod vocabulary;
