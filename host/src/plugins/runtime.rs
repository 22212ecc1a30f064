//! The wasmtime engine and the sandbox every plugin call runs in.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
    ResourceLimiter, Store,
};
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use super::PluginError;
use super::manifest::Capabilities;

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Plugin instances that may exist at once in this process.
const POOL_INSTANCES: u32 = 64;

/// One engine per process, shared by every plugin.
#[derive(Clone)]
pub struct PluginRuntime {
    pub engine: Engine,
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
    pub fn new(cache_dir: &Path) -> Result<Self, PluginError> {
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
        // Reserve exactly the largest memory a plugin may have, so every slot is the same.
        config.memory_reservation(super::manifest::MAX_MEMORY_MB << 20);

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

    /// A linker with WASI linked in; what WASI may reach is decided per store by [`Sandbox`].
    pub fn linker(&self) -> Result<Linker<Sandbox>, PluginError> {
        let mut linker = Linker::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| PluginError::Load(e.to_string()))?;
        Ok(linker)
    }

    /// A fresh store for one export, with the plugin's memory limit and time budget.
    pub fn store(&self, capabilities: &Capabilities) -> Store<Sandbox> {
        let mut store = Store::new(&self.engine, Sandbox::new(capabilities));
        store.limiter(|sandbox| sandbox);
        let ticks = capabilities
            .time_ms
            .div_ceil(EPOCH_TICK.as_millis() as u64)
            .max(1);
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        store
    }
}

/// Per-store state: an empty WASI context and the limits of this call.
pub struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    memory_limit: usize,
    pub memory_limit_hit: bool,
    pub time_ms: u64,
    pub memory_mb: u64,
}

impl Sandbox {
    fn new(capabilities: &Capabilities) -> Self {
        // Nothing is granted: no preopened folders, no environment, no arguments, no network,
        // no name lookups, and clocks frozen at the epoch so output cannot depend on time.
        let wasi = WasiCtxBuilder::new()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            memory_limit: (capabilities.memory_mb as usize) << 20,
            memory_limit_hit: false,
            time_ms: capabilities.time_ms,
            memory_mb: capabilities.memory_mb,
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
