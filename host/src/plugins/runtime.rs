//! The wasmtime engine, and the store every plugin call runs in: a fresh one per call, whose
//! data is the capability units a plugin was granted ([`super::capabilities`]), with its
//! memory limit, its deadline and, when it has a scratch folder, its quota checked while it
//! runs.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    UpdateDeadline,
};

use super::capabilities::limits::{MAX_CHUNK_BYTES, MAX_MEMORY_MB};
use super::capabilities::{Grants, InstanceState, Units};
use super::error::PluginError;

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
    /// The capability units, as configured for this process.
    units: Units,
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
        pooling.max_memory_size((MAX_MEMORY_MB as usize) << 20);
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
            units: Units::new(scratch_root),
            stop_ticker,
        })
    }

    /// The operator's exceptions to the outbound address guard (`outbound_allow`), for the
    /// requests of notifier plugins.
    pub fn with_outbound_allow(mut self, allow: crate::outbound::OutboundAllow) -> Self {
        self.units = self.units.clone().with_outbound_allow(allow);
        self
    }

    /// The operator's mail relay, for notifier plugins granted mail.
    pub fn with_mail_relay(mut self, relay: Option<crate::mail::MailRelay>) -> Self {
        self.units = self.units.clone().with_mail_relay(relay);
        self
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

    /// A linker with every capability unit's host functions linked in; what a plugin may
    /// reach is decided per store, by the units it was granted.
    pub fn linker(&self) -> Result<Linker<InstanceState>, PluginError> {
        let mut linker = Linker::new(&self.engine);
        Units::link(&mut linker).map_err(|e| PluginError::Load(e.to_string()))?;
        Ok(linker)
    }

    /// A fresh store for one export or one notifier call: the units `grants` name, the plugin's memory limit and
    /// time budget and, when granted, a scratch folder of its own.
    pub fn store(&self, grants: &Grants) -> Result<Store<InstanceState>, PluginError> {
        let state = self.units.instantiate(grants)?;
        let has_scratch = state.scratch.granted();
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        let ticks = grants
            .limits
            .time_ms
            .div_ceil(EPOCH_TICK.as_millis() as u64)
            .max(1);
        if has_scratch {
            // A plugin with a scratch folder could fill the disk and empty it again within one
            // call, so its quota is also checked while it runs, every few ticks, along with
            // its time budget.
            let started = std::time::Instant::now();
            let budget = Duration::from_millis(grants.limits.time_ms);
            store.set_epoch_deadline(QUOTA_CHECK_TICKS);
            store.epoch_deadline_callback(move |mut context| {
                if started.elapsed() >= budget {
                    return Ok(UpdateDeadline::Interrupt);
                }
                if context.data_mut().scratch.over_quota_now() {
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
        store.set_hostcall_fuel(MAX_CHUNK_BYTES + (64 << 20));
        Ok(store)
    }
}

fn root_cause(err: &wasmtime::Error) -> String {
    err.chain()
        .last()
        .map(|c| c.to_string())
        .unwrap_or_else(|| err.to_string())
}

/// Classifies a failed call by the limit a unit saw passed: scratch quota, time, memory, or
/// another trap.
pub fn classify(err: wasmtime::Error, state: &InstanceState) -> PluginError {
    if state.scratch.limit_hit() {
        return PluginError::DiskLimit(state.scratch.quota_mb().unwrap_or(0));
    }
    let limits = state.limits.grant();
    if let Some(trap) = err.downcast_ref::<wasmtime::Trap>()
        && *trap == wasmtime::Trap::Interrupt
    {
        return PluginError::Timeout(limits.time_ms);
    }
    if state.limits.memory_limit_hit() {
        return PluginError::MemoryLimit(limits.memory_mb);
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
