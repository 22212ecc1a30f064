//! The wasmtime engine and the sandbox every plugin call runs in.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
    ResourceLimiter, Store, UpdateDeadline,
};
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use super::PluginError;
use super::manifest::Capabilities;
use super::scratch::ScratchDir;

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// How often, in epoch ticks, a running plugin's scratch folder is measured.
const QUOTA_CHECK_TICKS: u64 = 5;
/// Plugin instances that may exist at once in this process.
const POOL_INSTANCES: u32 = 64;

/// One engine per process, shared by every plugin.
#[derive(Clone)]
pub struct PluginRuntime {
    pub engine: Engine,
    /// Where per-export scratch folders are made.
    scratch_root: PathBuf,
    stop_ticker: Arc<AtomicBool>,
}

impl Drop for PluginRuntime {
    fn drop(&mut self) {
        // Only the last clone stops the ticker.
        if Arc::strong_count(&self.stop_ticker) == 1 {
            self.stop_ticker.store(true, Ordering::Relaxed);
        }
    }
}

impl PluginRuntime {
    /// Builds the engine: component model, pooling allocator (instantiation without mmap
    /// calls on the hot path), epoch interruption, and compiled code cached in `cache_dir`.
    /// Scratch folders granted to plugins are made under `scratch_root`.
    pub fn new(cache_dir: &Path, scratch_root: &Path) -> Result<Self, PluginError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(1 << 20);
        let mut pooling = PoolingAllocationConfig::default();
        pooling.total_component_instances(POOL_INSTANCES);
        pooling.total_core_instances(POOL_INSTANCES * 4);
        pooling.total_memories(POOL_INSTANCES * 2);
        pooling.total_tables(POOL_INSTANCES * 4);
        pooling.total_stacks(POOL_INSTANCES);
        pooling.max_memory_size((super::manifest::MAX_MEMORY_MB as usize) << 20);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        // Reserve the whole 32-bit address space for every linear memory (address space only,
        // not memory): compiled plugin code then needs no explicit bounds check on its loads
        // and stores, and the guard pages catch what is out of range. The memory limit is
        // still `memory_mb`, enforced by the limiter.
        config.memory_reservation(4 << 30);
        // For profiling the plugins' compiled code with `perf`: names their functions in
        // `/tmp/perf-<pid>.map` (docs/performance.md, "Profiling plugins").
        if std::env::var_os("TESSERA_PLUGIN_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }

        std::fs::create_dir_all(cache_dir).map_err(|e| PluginError::Load(e.to_string()))?;
        // The cache wants an absolute path; the data folder may be given relative.
        let cache_dir =
            std::fs::canonicalize(cache_dir).map_err(|e| PluginError::Load(e.to_string()))?;
        let mut cache = CacheConfig::new();
        cache.with_directory(cache_dir);
        config.cache(Some(
            Cache::new(cache).map_err(|e| PluginError::Load(e.to_string()))?,
        ));

        let engine = Engine::new(&config).map_err(|e| PluginError::Load(format!("{e:#}")))?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.weak();
        let stop = stop_ticker.clone();
        std::thread::Builder::new()
            .name("tessera-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match ticker_engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| PluginError::Load(e.to_string()))?;
        Ok(Self {
            engine,
            scratch_root: scratch_root.to_owned(),
            stop_ticker,
        })
    }

    /// Compiles (or loads from the cache) a component.
    pub fn compile(&self, bytes: &[u8]) -> Result<Component, PluginError> {
        Component::from_binary(&self.engine, bytes).map_err(|e| {
            PluginError::Load(format!(
                "not a valid WebAssembly component: {}",
                root_cause(&e)
            ))
        })
    }

    /// A linker with WASI and the host's own `digest` and `compress` interfaces linked in; what WASI may reach
    /// is decided per store by [`Sandbox`].
    pub fn linker(&self) -> Result<Linker<Sandbox>, PluginError> {
        let mut linker = Linker::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| PluginError::Load(e.to_string()))?;
        super::digest::add_to_linker(&mut linker).map_err(|e| PluginError::Load(e.to_string()))?;
        super::compress::add_to_linker(&mut linker)
            .map_err(|e| PluginError::Load(e.to_string()))?;
        Ok(linker)
    }

    /// A fresh store for one export, with the plugin's memory limit, time budget and, when
    /// granted, a scratch folder of its own.
    pub fn store(&self, capabilities: &Capabilities) -> Result<Store<Sandbox>, PluginError> {
        let scratch = if capabilities.scratch_mb > 0 {
            Some(
                ScratchDir::create(&self.scratch_root, capabilities.scratch_mb).map_err(|e| {
                    PluginError::Failed(format!("cannot make the plugin's scratch folder: {e}"))
                })?,
            )
        } else {
            None
        };
        let sandbox = Sandbox::new(capabilities, scratch)
            .map_err(|e| PluginError::Failed(format!("cannot grant the scratch folder: {e}")))?;
        let has_scratch = sandbox.scratch.is_some();
        let mut store = Store::new(&self.engine, sandbox);
        store.limiter(|sandbox| sandbox);
        let ticks = capabilities
            .time_ms
            .div_ceil(EPOCH_TICK.as_millis() as u64)
            .max(1);
        if has_scratch {
            // A plugin with a scratch folder could fill the disk and empty it again within one
            // call, so its quota is also checked while it runs, every few ticks, along with
            // its time budget.
            let started = std::time::Instant::now();
            let budget = Duration::from_millis(capabilities.time_ms);
            store.set_epoch_deadline(QUOTA_CHECK_TICKS);
            store.epoch_deadline_callback(move |mut context| {
                let sandbox = context.data_mut();
                if started.elapsed() >= budget {
                    return Ok(UpdateDeadline::Interrupt);
                }
                if sandbox.scratch.as_ref().is_some_and(ScratchDir::over_quota) {
                    sandbox.disk_limit_hit = true;
                    return Ok(UpdateDeadline::Interrupt);
                }
                Ok(UpdateDeadline::Continue(QUOTA_CHECK_TICKS))
            });
        } else {
            store.set_epoch_deadline(ticks);
            store.epoch_deadline_trap();
        }
        // What one call may copy out of the guest. A workbook comes out of `finish` in one
        // piece, so allow a little more than the largest chunk the host accepts; more than
        // that is refused by wasmtime before it is copied (see `classify`).
        store.set_hostcall_fuel(super::exporter::MAX_CHUNK_BYTES + (64 << 20));
        Ok(store)
    }
}

/// Per-store state: a WASI context granting only what was approved, and the limits of this
/// call.
pub struct Sandbox {
    wasi: WasiCtx,
    /// WASI's resources, the `digest` hashers and the `compress` streams.
    pub(super) table: ResourceTable,
    /// `digest` hashers the plugin holds now (see [`super::digest::MAX_OPEN_HASHERS`]).
    pub(super) open_hashers: usize,
    /// `compress` streams the plugin holds now (see [`super::compress::MAX_OPEN_DEFLATERS`]).
    pub(super) open_deflaters: usize,
    memory_limit: usize,
    pub memory_limit_hit: bool,
    /// Set when the scratch folder outgrew its quota while the plugin ran.
    pub disk_limit_hit: bool,
    pub time_ms: u64,
    pub memory_mb: u64,
    /// Dropped with the store, which removes the folder.
    pub scratch: Option<ScratchDir>,
}

impl Sandbox {
    fn new(capabilities: &Capabilities, scratch: Option<ScratchDir>) -> std::io::Result<Self> {
        // Nothing else is granted: no other folders, no environment, no arguments, no network,
        // no name lookups, and clocks frozen at the epoch so output cannot depend on time.
        let mut wasi = WasiCtxBuilder::new();
        wasi.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            // Plugin calls already hold their thread until they return (exports run them off
            // the async workers), so a scratch-folder read or write may block it too, rather
            // than hop to another thread and back for every call, as WASI does by default.
            .allow_blocking_current_thread(true);
        if let Some(scratch) = &scratch {
            scratch.grant(&mut wasi)?;
        }
        Ok(Self {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            open_hashers: 0,
            open_deflaters: 0,
            memory_limit: (capabilities.memory_mb as usize) << 20,
            memory_limit_hit: false,
            disk_limit_hit: false,
            time_ms: capabilities.time_ms,
            memory_mb: capabilities.memory_mb,
            scratch,
        })
    }

    /// A sandbox granting nothing, for unit tests of the host's own interfaces.
    #[cfg(test)]
    pub(super) fn for_tests() -> Self {
        Self::new(&Capabilities::default(), None).expect("a sandbox without a scratch folder")
    }

    /// Fails the export when the scratch folder has outgrown its quota.
    pub fn check_scratch(&self) -> Result<(), PluginError> {
        match &self.scratch {
            Some(scratch) if scratch.over_quota() => {
                Err(PluginError::DiskLimit(scratch.quota_mb()))
            }
            _ => Ok(()),
        }
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl ResourceLimiter for Sandbox {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
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
        Ok(desired <= 1 << 20)
    }
}

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

fn root_cause(err: &wasmtime::Error) -> String {
    err.chain()
        .last()
        .map(|c| c.to_string())
        .unwrap_or_else(|| err.to_string())
}

/// Classifies a failed call: timeout, memory limit, or another trap.
pub fn classify(err: wasmtime::Error, sandbox: &Sandbox) -> PluginError {
    if sandbox.disk_limit_hit {
        return PluginError::DiskLimit(sandbox.scratch.as_ref().map_or(0, ScratchDir::quota_mb));
    }
    if let Some(trap) = err.downcast_ref::<wasmtime::Trap>()
        && *trap == wasmtime::Trap::Interrupt
    {
        return PluginError::Timeout(sandbox.time_ms);
    }
    if sandbox.memory_limit_hit {
        return PluginError::MemoryLimit(sandbox.memory_mb);
    }
    let cause = root_cause(&err);
    // wasmtime caps what one call may copy between guest and host ("hostcall fuel"); a plugin
    // that hits the cap returned more than any honest call would.
    if cause.contains("hostcall") {
        return PluginError::BadOutput(
            "it returned more data in one call than the host accepts".into(),
        );
    }
    PluginError::Trapped(cause)
}
