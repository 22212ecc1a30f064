//! Outbound connections: where the unit goes that will let notifier and integration plugins
//! reach the hosts their manifests name (`outbound_hosts`), and beside it the mail and secrets
//! units those kinds will ask for (later issues).
//!
//! No such unit exists yet, so nothing of the kind can be granted: a request for outbound hosts
//! is refused when the plugin is loaded or installed, whatever an administrator approved, and
//! the WASI unit keeps TCP, UDP and name lookups off for every plugin.
//!
//! To add the unit: implement [`Capability`](super::unit::Capability) here, with the approved
//! hosts as its grant (approval already covers `outbound_hosts`:
//! [`Capabilities::granted`](crate::plugins::manifest::Capabilities::granted) keeps only approved
//! hosts), its connections as its state, its limits (connections at once, bytes per call, a
//! deadline per request), and as its linker function either `wasi:http`'s outgoing handler or
//! WASI sockets behind a `socket_addr_check` that admits only the granted hosts; give
//! [`super::Grants`] and [`super::InstanceState`] a field for it; and let [`refuse_requests`]
//! become its `validate`, refusing only what its kind may not ask for.

use crate::plugins::manifest::{Manifest, PluginKind};

/// Refuses any outbound hosts a manifest asks for: no plugin can be granted them yet.
pub fn refuse_requests(manifest: &Manifest) -> Result<(), String> {
    if manifest.capabilities.outbound_hosts.is_empty() {
        return Ok(());
    }
    Err(match manifest.kind {
        PluginKind::Exporter => format!(
            "plugin '{}': an exporter gets no network, but the manifest asks for outbound_hosts",
            manifest.id
        ),
        PluginKind::Notifier | PluginKind::Integration => format!(
            "plugin '{}': this host grants no outbound connections yet, but the manifest asks \
             for outbound_hosts",
            manifest.id
        ),
    })
}
