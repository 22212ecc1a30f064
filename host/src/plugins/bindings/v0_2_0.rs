//! Bindings of `tessera:plugin@0.2.0`, generated from `wit/tessera-plugin@0.2.0/`: the newest
//! version, whose types are the host's internal interface ([`super::latest`]).
//!
//! 0.2.0 differs from 0.1.0 in one field: a `column` says the `time-zone` of a `datetime`
//! column whose values were given with a zone (always `UTC`, the host stores such values as
//! instants), so that a format writing text can mark them (RFC 3339 `Z`).
//!
//! The host's own imports (`digest`, `compress`) are implemented by the capability units
//! (`plugins::capabilities`), which link them for every version.

wasmtime::component::bindgen!({
    path: "../wit/tessera-plugin@0.2.0",
    world: "exporter-plugin",
    // The host's own imports (`digest`, `compress`) may trap: a plugin that asks for too much
    // fails.
    imports: { default: trappable },
});

/// The version these bindings speak.
pub const VERSION: &str = "0.2.0";
