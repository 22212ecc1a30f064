//! The WASI context: what the standard interfaces every component imports (`wasi:cli`,
//! `wasi:clocks`, `wasi:filesystem`, `wasi:io`, `wasi:random`, `wasi:sockets`) may reach.
//!
//! It grants nothing: no folders (but what another unit preopens: the scratch folder), no
//! environment (but what another unit sets: `TMPDIR`), no arguments, no network (TCP, UDP and
//! name lookups refused), and both clocks frozen at the epoch, so that a plugin's output cannot
//! depend on when it ran. Every plugin gets this unit as it is; there is nothing to approve.
//!
//! WASI's own resources (streams, descriptors) live in this unit's table; the host's own
//! interfaces keep theirs in their units.

use std::time::Duration;

use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};
use wasmtime_wasi_http::WasiHttpView;

use super::unit::Capability;
use crate::plugins::error::PluginError;
use crate::plugins::manifest::{Capabilities, Manifest};

/// The WASI unit.
pub struct Wasi;

/// One store's WASI context and WASI's resources.
pub struct WasiState {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiState {
    /// What wasmtime-wasi's host functions work on (the store's data hands it over as its
    /// [`WasiView`]).
    pub fn view(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }

    /// The table of WASI's resources, which `wasi:http`'s bodies (WASI streams) live in too.
    pub fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }
}

impl Capability for Wasi {
    type Grant = ();
    type State = WasiState;

    fn validate(_manifest: &Manifest, _approved: &Capabilities) -> Result<(), String> {
        Ok(())
    }

    /// wasmtime-wasi finds its state through the store data's [`WasiView`], which hands over
    /// this unit's [`WasiState::view`]; `_state` is not needed for that.
    fn link<T: WasiView + WasiHttpView + 'static>(
        linker: &mut Linker<T>,
        _state: fn(&mut T) -> &mut WasiState,
    ) -> wasmtime::Result<()> {
        wasmtime_wasi::p2::add_to_linker_sync(linker)
    }

    /// Builds the context that the units before it added to.
    fn instantiate(
        &self,
        _grant: &(),
        wasi: &mut WasiCtxBuilder,
    ) -> Result<WasiState, PluginError> {
        wasi.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            // Plugin calls already hold their thread until they return (exports run them off
            // the async workers), so a scratch-folder read or write may block it too, rather
            // than hop to another thread and back for every call, as WASI does by default.
            .allow_blocking_current_thread(true);
        Ok(WasiState {
            ctx: wasi.build(),
            table: ResourceTable::new(),
        })
    }
}

/// Both WASI clocks, stopped at the epoch.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
