//! The shape every capability unit has ([`Capability`]), and the pieces units share.
//!
//! Modelled on spin's factors (`crates/factors/src/factor.rs`): a unit links its own host
//! functions into the engine's linker once; checks once, when a plugin is loaded, what the
//! manifest asks of it against what was approved, and keeps the outcome as its grant; and
//! builds from that grant its part of every store. A unit knows nothing of the other units nor
//! of the store it lives in: linking, it is handed the way to its own state.

use std::fmt::Debug;
use std::marker::PhantomData;

use wasmtime::component::{HasData, Linker};
use wasmtime_wasi::{WasiCtxBuilder, WasiView};
use wasmtime_wasi_http::WasiHttpView;

use crate::plugins::error::PluginError;
use crate::plugins::manifest::{Capabilities, Manifest};

/// One capability of the host a plugin can be given.
pub trait Capability {
    /// What the unit gives one plugin, decided by [`Self::validate`] when the plugin is loaded
    /// and kept with it: a quota, later a list of hosts; `()` for a unit every plugin gets.
    type Grant: Clone + PartialEq + Debug + Send + Sync + 'static;
    /// What one store holds for this unit: its host-side objects and its limits' counters.
    type State: Send + 'static;

    /// Checks what `manifest` asks of this capability and turns what `approved` leaves of the
    /// request (the request as far as an administrator approved it, see
    /// [`Capabilities::granted`]) into the grant. Refuses, naming the plugin and why, a request
    /// that no approval could grant.
    fn validate(manifest: &Manifest, approved: &Capabilities) -> Result<Self::Grant, String>;

    /// Adds the unit's host functions, for every supported version of the contract, to
    /// `linker`; `state` finds the unit's state in a store's data. (Every plugin store is a
    /// WASI store, since every component imports WASI, and a `wasi:http` store, since a
    /// notifier imports it; the WASI and outbound units' own linker functions need that of the
    /// store's data itself.)
    fn link<T: WasiView + WasiHttpView + 'static>(
        linker: &mut Linker<T>,
        state: fn(&mut T) -> &mut Self::State,
    ) -> wasmtime::Result<()>;

    /// Builds one store's state from the grant. `wasi` is the WASI context being built for the
    /// same store, for a unit that reaches the guest through WASI (the scratch folder is a
    /// preopened directory); the WASI unit builds it last.
    fn instantiate(
        &self,
        grant: &Self::Grant,
        wasi: &mut WasiCtxBuilder,
    ) -> Result<Self::State, PluginError>;
}

/// The [`HasData`] of wasmtime's generated `add_to_linker` functions for a unit whose state
/// implements the interface's host traits (spin's `FactorData`).
pub struct StateOf<S>(PhantomData<S>);

impl<S: 'static> HasData for StateOf<S> {
    type Data<'a> = &'a mut S;
}

/// The host-side objects behind one kind of resource that a plugin holds (hashers, DEFLATE
/// streams), numbered by the `rep` the component model hands back with each call, with a cap on
/// how many one instance may hold at once.
pub struct Held<T> {
    slots: Vec<Option<T>>,
    held: usize,
    limit: usize,
    /// What they are, in a trap's message ("SHA-256 hashers").
    what: &'static str,
}

impl<T> Held<T> {
    pub const fn new(limit: usize, what: &'static str) -> Self {
        Self {
            slots: Vec::new(),
            held: 0,
            limit,
            what,
        }
    }

    /// Keeps `value` and returns its rep; traps when the plugin already holds the most.
    pub fn insert(&mut self, value: T) -> wasmtime::Result<u32> {
        if self.held >= self.limit {
            wasmtime::bail!("the plugin holds more than {} {}", self.limit, self.what);
        }
        let rep = match self.slots.iter().position(Option::is_none) {
            Some(free) => {
                self.slots[free] = Some(value);
                free
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        };
        self.held += 1;
        Ok(u32::try_from(rep)?)
    }

    pub fn get_mut(&mut self, rep: u32) -> wasmtime::Result<&mut T> {
        let what = self.what;
        self.slots
            .get_mut(rep as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| wasmtime::format_err!("no such {what} ({rep})"))
    }

    pub fn remove(&mut self, rep: u32) -> wasmtime::Result<T> {
        let what = self.what;
        let value = self
            .slots
            .get_mut(rep as usize)
            .and_then(Option::take)
            .ok_or_else(|| wasmtime::format_err!("no such {what} ({rep})"))?;
        self.held -= 1;
        Ok(value)
    }

    /// How many the plugin holds now.
    pub fn len(&self) -> usize {
        self.held
    }

    pub fn is_empty(&self) -> bool {
        self.held == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_most_its_limit_and_reuses_what_was_given_back() {
        let mut held = Held::new(2, "things");
        let a = held.insert("a").unwrap();
        let b = held.insert("b").unwrap();
        let refused = held.insert("c").unwrap_err().to_string();
        assert_eq!(refused, "the plugin holds more than 2 things");
        assert_eq!(held.remove(a).unwrap(), "a");
        assert!(held.remove(a).is_err(), "a rep given back is gone");
        assert!(held.get_mut(a).is_err());
        let c = held.insert("c").unwrap();
        assert_eq!(c, a, "the free slot is used again");
        assert_eq!(*held.get_mut(b).unwrap(), "b");
        assert_eq!(held.len(), 2);
        assert!(held.get_mut(99).is_err());
    }
}
