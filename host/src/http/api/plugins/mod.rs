//! The export formats this host offers: every loaded exporter plugin.

pub mod list;
