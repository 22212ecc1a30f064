//! Bindings of `tessera:plugin@0.1.0`, generated from `wit/tessera-plugin@0.1.0/`.
//!
//! 0.1.0 is released and frozen (`wit/released.sha256`, and the test
//! `released_contracts_never_change`): this module never changes either, except to follow the
//! host's internal interface when a later version becomes [`super::latest`]. Then the adapter in
//! [`super`] converts between that interface and these types, the way zed's
//! `extension_host/src/wasm_host/wit/since_v0_*.rs` do, so that a component built against 0.1.0
//! keeps loading and behaving the same.
//!
//! The host's own imports (`digest`, `compress`) are implemented by the capability units
//! (`plugins::capabilities`), which link them; their resources are left to the units' own
//! tables, so these bindings know nothing of the host's state.

wasmtime::component::bindgen!({
    path: "../wit/tessera-plugin@0.1.0",
    world: "exporter-plugin",
    // The host's own imports (`digest`, `compress`) may trap: a plugin that asks for too much
    // fails.
    imports: { default: trappable },
});

/// The version these bindings speak.
pub const VERSION: &str = "0.1.0";
