//! Bindings of `tessera:plugin@0.3.0`, generated from `wit/tessera-plugin@0.3.0/`: the newest
//! version, whose types are the host's internal interface ([`super::latest`]).
//!
//! 0.3.0 adds a second world, `notifier-plugin` (a notification channel: `describe`,
//! `validate-settings`, `deliver`, with `wasi:http/outgoing-handler` and the host's `mail`
//! interface as its imports), bound in [`notifier_world`]. Its `exporter-plugin` world is
//! 0.2.0's, unchanged but for the version: a component built against either exports the same
//! shapes, which is why 0.2.0's arm of the adapter calls it in these types.
//!
//! The host's own imports (`digest`, `compress`, `mail`) are implemented by the capability
//! units (`plugins::capabilities`), which link them for every version; `wasi:http` is
//! wasmtime-wasi-http's, linked by the outbound unit.

wasmtime::component::bindgen!({
    path: "../wit/tessera-plugin@0.3.0",
    world: "exporter-plugin",
    // The host's own imports (`digest`, `compress`) may trap: a plugin that asks for too much
    // fails.
    imports: { default: trappable },
});

/// The version these bindings speak.
pub const VERSION: &str = "0.3.0";

/// The `notifier-plugin` world. The WASI interfaces it names are wasmtime's own bindings, so
/// that nothing of `wasi:http` is generated twice.
pub mod notifier_world {
    wasmtime::component::bindgen!({
        path: "../wit/tessera-plugin@0.3.0",
        world: "notifier-plugin",
        // `mail.send` may trap: a plugin that sends more than it may fails.
        imports: { default: trappable },
        // Plugin stores are sent to the blocking pool; wasmtime's WASI bindings ask for it.
        require_store_data_send: true,
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
    });
}
