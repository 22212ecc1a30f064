//! Memory and time: the limits every plugin runs under, as its manifest asks (`memory_mb`,
//! `time_ms`), within the most any manifest may ask for.
//!
//! They are limits rather than access, so no administrator approves them: the manifest's
//! request is the grant. Memory is enforced by this unit's state, the store's
//! [`ResourceLimiter`], which refuses a `memory.grow` past the limit and remembers it did, so
//! that the trap that follows reads as `plugin_memory_limit`. Time is enforced by the store's
//! epoch deadline, which the runtime sets from this grant (`runtime::PluginRuntime::store`).
//! Neither has host functions to link.

use wasmtime::ResourceLimiter;
use wasmtime::component::Linker;
use wasmtime_wasi::{WasiCtxBuilder, WasiView};
use wasmtime_wasi_http::WasiHttpView;

use super::unit::Capability;
use crate::plugins::error::PluginError;
use crate::plugins::manifest::{Capabilities, Manifest};

/// The most linear memory any manifest may ask for.
pub const MAX_MEMORY_MB: u64 = 1024;
/// The longest time budget any manifest may ask for.
pub const MAX_TIME_MS: u64 = 10 * 60 * 1000;
/// The most bytes one call may return; more is treated as garbage, not as output.
pub const MAX_CHUNK_BYTES: usize = 256 << 20;
/// Table elements an instance may grow to.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// The memory-and-time unit.
pub struct Limits;

/// Memory and time as the manifest asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsGrant {
    pub memory_mb: u64,
    pub time_ms: u64,
}

/// One store's limits, and whether the memory limit was reached.
pub struct LimitsState {
    grant: LimitsGrant,
    memory_limit_bytes: usize,
    memory_limit_hit: bool,
}

impl LimitsState {
    pub fn grant(&self) -> LimitsGrant {
        self.grant
    }

    /// Whether the plugin tried to grow its memory past the limit.
    pub fn memory_limit_hit(&self) -> bool {
        self.memory_limit_hit
    }
}

impl Capability for Limits {
    type Grant = LimitsGrant;
    type State = LimitsState;

    fn validate(manifest: &Manifest, _approved: &Capabilities) -> Result<LimitsGrant, String> {
        let request = &manifest.capabilities;
        if request.memory_mb == 0 || request.memory_mb > MAX_MEMORY_MB {
            return Err(format!(
                "plugin '{}': memory_mb must be between 1 and {MAX_MEMORY_MB}",
                manifest.id
            ));
        }
        if request.time_ms == 0 || request.time_ms > MAX_TIME_MS {
            return Err(format!(
                "plugin '{}': time_ms must be between 1 and {MAX_TIME_MS}",
                manifest.id
            ));
        }
        Ok(LimitsGrant {
            memory_mb: request.memory_mb,
            time_ms: request.time_ms,
        })
    }

    fn link<T: WasiView + WasiHttpView + 'static>(
        _linker: &mut Linker<T>,
        _state: fn(&mut T) -> &mut LimitsState,
    ) -> wasmtime::Result<()> {
        Ok(())
    }

    fn instantiate(
        &self,
        grant: &LimitsGrant,
        _wasi: &mut WasiCtxBuilder,
    ) -> Result<LimitsState, PluginError> {
        Ok(LimitsState {
            grant: *grant,
            memory_limit_bytes: (grant.memory_mb as usize) << 20,
            memory_limit_hit: false,
        })
    }
}

impl ResourceLimiter for LimitsState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit_bytes {
            self.memory_limit_hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
