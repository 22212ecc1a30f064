//! The host's capabilities a plugin can be given, one unit each, and their composition.
//!
//! Each unit ([`unit::Capability`], after spin's factors) owns one capability: its host
//! functions and its linker function, its grant, its per-store state, its limits.
//!
//! | unit | what a plugin gets | its limits, and the hostile plugin that passes them |
//! |---|---|---|
//! | [`limits`] | linear memory and a time budget per export, as its manifest asks | `memory_mb` (`hog`), `time_ms` (`spin`), what one call may return (`flood`) |
//! | [`wasi`] | WASI with nothing granted: no folders, environment or network; frozen clocks | every file and socket refused (`fs`, `net`) |
//! | [`digest`] | SHA-256 and CRC-32 computed by the host (`tessera:plugin/digest`) | hashers held at once (`hasher`), bytes per call |
//! | [`compress`] | DEFLATE streams compressed by the host (`tessera:plugin/compress`) | streams held at once (`deflater`), bytes per call |
//! | [`scratch`] | a private temporary folder, when asked for and approved | its quota, measured while the plugin runs (`scratch`) |
//! | [`outbound`] | `wasi:http` requests to the hosts asked for and approved, notifiers only, each checked against the address guard | requests per call, a deadline per request, bytes per answer; a host not granted or not public fails the call (`rogue`) |
//! | [`mail`] | mail through the operator's relay (`tessera:plugin/mail`), when asked for and approved, notifiers only | messages per call, bytes per message; mail not granted fails the call (`rogue`) |
//!
//! The hostile plugins are in `plugins/hostile/`; the integration suite runs them
//! (`host/tests/it/plugins.rs`, `plugin_admin.rs`), and this module's tests the refusals of
//! [`Grants::validate`].
//!
//! The composition is three steps, each done in one place: [`Units::link`] links every unit
//! into the engine's linker (once per plugin load); [`Grants::validate`] checks, once when a
//! plugin is loaded or installed, what its manifest asks of each unit against what an
//! administrator approved, and keeps the outcome with the plugin; [`Units::instantiate`] builds
//! from those grants the [`InstanceState`] of every store, one field per unit, that the runtime
//! (`super::runtime`) puts into each call's store.
//!
//! A new capability (secrets, for the integration kind) is a new unit: a module here
//! implementing [`unit::Capability`], a field in [`Grants`] and in [`InstanceState`], and a
//! line in each of the three steps, as [`outbound`] and [`mail`] were added.

use std::path::Path;

use wasmtime::component::Linker;
use wasmtime_wasi::{WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtxView, WasiHttpView};

pub mod compress;
pub mod digest;
pub mod limits;
pub mod mail;
pub mod outbound;
pub mod scratch;
pub mod unit;
pub mod wasi;

use compress::{Compress, CompressState};
use digest::{Digest, DigestState};
use limits::{Limits, LimitsGrant, LimitsState};
use mail::{Mail, MailGrant, MailState};
use outbound::{Outbound, OutboundGrant, OutboundState};
use scratch::{Scratch, ScratchGrant, ScratchState};
use unit::Capability;
use wasi::{Wasi, WasiState};

use super::error::PluginError;
use super::manifest::{Capabilities, Manifest};

/// What one plugin's instances get, decided once when it is loaded: one grant per unit that
/// decides anything per plugin (WASI, digest and compress are the same for every plugin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    pub limits: LimitsGrant,
    pub scratch: Option<ScratchGrant>,
    pub outbound: OutboundGrant,
    pub mail: MailGrant,
}

impl Grants {
    /// Checks what `manifest` asks of each unit against `approved` (an administrator's approval
    /// recorded with an installed plugin; `None` for nothing approved; for a plugin of the
    /// plugins folder, its own request, since placing it there approved it). Each unit grants
    /// at most what was both asked for and approved, and refuses what it can never grant.
    pub fn validate(manifest: &Manifest, approved: Option<&Capabilities>) -> Result<Self, String> {
        let approved = manifest.capabilities.granted(approved);
        let limits = Limits::validate(manifest, &approved)?;
        Wasi::validate(manifest, &approved)?;
        Digest::validate(manifest, &approved)?;
        Compress::validate(manifest, &approved)?;
        let scratch = Scratch::validate(manifest, &approved)?;
        let outbound = Outbound::validate(manifest, &approved)?;
        let mail = Mail::validate(manifest, &approved)?;
        Ok(Self {
            limits,
            scratch,
            outbound,
            mail,
        })
    }

    /// These grants without the scratch folder: describing a plugin needs none.
    pub fn without_scratch(&self) -> Self {
        Self {
            scratch: None,
            ..self.clone()
        }
    }

    /// These grants with memory and time only: describing a notifier or checking settings
    /// reaches nothing.
    pub fn without_access(&self) -> Self {
        Self {
            scratch: None,
            outbound: OutboundGrant {
                hosts: Vec::new(),
                ..self.outbound.clone()
            },
            mail: MailGrant {
                granted: false,
                ..self.mail
            },
            ..self.clone()
        }
    }
}

/// The data of one plugin store: each unit's state, built from the plugin's grants.
pub struct InstanceState {
    pub limits: LimitsState,
    pub wasi: WasiState,
    pub digest: DigestState,
    pub compress: CompressState,
    pub scratch: ScratchState,
    pub outbound: OutboundState,
    pub mail: MailState,
}

impl InstanceState {
    /// Fails the export when the scratch folder has outgrown its quota.
    pub fn check_scratch(&self) -> Result<(), PluginError> {
        self.scratch.check()
    }

    /// Fails the call when the plugin reached for a host or for mail it was not granted (or
    /// past what one call may send), whatever it made of the refusal.
    pub fn check_refusals(&self) -> Result<(), PluginError> {
        match self.outbound.refusal().or_else(|| self.mail.refusal()) {
            Some(reason) => Err(PluginError::NotGranted(reason)),
            None => Ok(()),
        }
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.view()
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        self.outbound.view(self.wasi.table())
    }
}

/// The units as this process configured them.
#[derive(Debug, Clone)]
pub struct Units {
    scratch: Scratch,
    outbound: Outbound,
    mail: Mail,
}

impl Units {
    /// Scratch folders are made under `scratch_root`; no private address may be reached and
    /// no mail sent until [`Units::with_outbound_allow`] and [`Units::with_mail_relay`] say
    /// otherwise.
    pub fn new(scratch_root: &Path) -> Self {
        Self {
            scratch: Scratch::new(scratch_root),
            outbound: Outbound::default(),
            mail: Mail::default(),
        }
    }

    /// The operator's exceptions to the outbound address guard (`outbound_allow`).
    pub fn with_outbound_allow(mut self, allow: crate::outbound::OutboundAllow) -> Self {
        self.outbound = Outbound::new(allow);
        self
    }

    /// The operator's mail relay (`smtp_url`, `mail_from`).
    pub fn with_mail_relay(mut self, relay: Option<crate::mail::MailRelay>) -> Self {
        self.mail = Mail::new(relay);
        self
    }

    /// Links every unit's host functions into `linker`.
    pub fn link(linker: &mut Linker<InstanceState>) -> wasmtime::Result<()> {
        Limits::link(linker, |state| &mut state.limits)?;
        Wasi::link(linker, |state| &mut state.wasi)?;
        Digest::link(linker, |state| &mut state.digest)?;
        Compress::link(linker, |state| &mut state.compress)?;
        Scratch::link(linker, |state| &mut state.scratch)?;
        Outbound::link(linker, |state| &mut state.outbound)?;
        Mail::link(linker, |state| &mut state.mail)?;
        Ok(())
    }

    /// One store's state, from a plugin's grants. The WASI unit comes last: it builds the
    /// context that the scratch unit adds its folder to.
    pub fn instantiate(&self, grants: &Grants) -> Result<InstanceState, PluginError> {
        let mut context = WasiCtxBuilder::new();
        let limits = Limits.instantiate(&grants.limits, &mut context)?;
        let digest = Digest.instantiate(&(), &mut context)?;
        let compress = Compress.instantiate(&(), &mut context)?;
        let scratch = self.scratch.instantiate(&grants.scratch, &mut context)?;
        let outbound = self.outbound.instantiate(&grants.outbound, &mut context)?;
        let mail = self.mail.instantiate(&grants.mail, &mut context)?;
        let wasi = Wasi.instantiate(&(), &mut context)?;
        Ok(InstanceState {
            limits,
            wasi,
            digest,
            compress,
            scratch,
            outbound,
            mail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(capabilities: &str) -> Manifest {
        toml::from_str(&format!(
            "id = \"f\"\nname = \"F\"\nversion = \"1.0.0\"\nkind = \"exporter\"\n\
             api_version = \"0.1.0\"\ncomponent = \"f.wasm\"\n[capabilities]\n{capabilities}"
        ))
        .unwrap()
    }

    #[test]
    fn memory_and_time_are_granted_as_asked_within_the_most_any_plugin_may_ask() {
        let asked = manifest("memory_mb = 128\ntime_ms = 5000");
        let grants = Grants::validate(&asked, None).unwrap();
        assert_eq!(
            grants.limits,
            LimitsGrant {
                memory_mb: 128,
                time_ms: 5000
            }
        );
        for (capabilities, refusal) in [
            ("memory_mb = 0", "memory_mb must be between 1 and 1024"),
            ("memory_mb = 1025", "memory_mb must be between 1 and 1024"),
            ("time_ms = 0", "time_ms must be between 1 and 600000"),
            ("time_ms = 600001", "time_ms must be between 1 and 600000"),
        ] {
            let asked = manifest(capabilities);
            // Approval changes nothing: these are limits, not access.
            for approved in [None, Some(&asked.capabilities)] {
                let refused = Grants::validate(&asked, approved).unwrap_err();
                assert!(refused.contains(refusal), "{capabilities}: {refused}");
            }
        }
    }

    #[test]
    fn a_scratch_folder_is_granted_only_as_far_as_approved() {
        let asked = manifest("scratch_mb = 100");
        assert_eq!(Grants::validate(&asked, None).unwrap().scratch, None);
        let approved = |scratch_mb| Capabilities {
            scratch_mb,
            ..Capabilities::default()
        };
        let grant = |approval: &Capabilities| {
            Grants::validate(&asked, Some(approval))
                .unwrap()
                .scratch
                .map(|s| s.quota_mb)
        };
        assert_eq!(grant(&approved(100)), Some(100));
        assert_eq!(grant(&approved(500)), Some(100), "never more than asked");
        assert_eq!(grant(&approved(10)), Some(10), "never more than approved");
        assert_eq!(grant(&approved(0)), None);
        let too_big = manifest("scratch_mb = 65537");
        let refused = Grants::validate(&too_big, Some(&too_big.capabilities)).unwrap_err();
        assert!(
            refused.contains("scratch_mb must be at most 65536"),
            "{refused}"
        );
        // Describing a plugin never gets the folder.
        let grants = Grants::validate(&asked, Some(&approved(100))).unwrap();
        assert_eq!(grants.without_scratch().scratch, None);
        assert_eq!(grants.without_scratch().limits, grants.limits);
    }

    #[test]
    fn an_exporter_is_refused_outbound_hosts_and_mail_even_when_approved() {
        for asked in ["outbound_hosts = [\"example.org\"]", "mail = true"] {
            let asked = manifest(asked);
            for approved in [None, Some(&asked.capabilities)] {
                let refused = Grants::validate(&asked, approved).unwrap_err();
                assert!(
                    refused.contains("outbound_hosts") || refused.contains("mail"),
                    "{refused}"
                );
            }
        }
    }

    fn notifier(capabilities: &str) -> Manifest {
        toml::from_str(&format!(
            "id = \"n\"\nname = \"N\"\nversion = \"1.0.0\"\nkind = \"notifier\"\n\
             api_version = \"0.3.0\"\ncomponent = \"n.wasm\"\n[capabilities]\n{capabilities}"
        ))
        .unwrap()
    }

    #[test]
    fn a_notifier_gets_hosts_and_mail_only_as_far_as_approved() {
        let asked = notifier("outbound_hosts = [\"*\", \"*.example.org\"]\nmail = true");
        let none = Grants::validate(&asked, None).unwrap();
        assert!(none.outbound.hosts.is_empty());
        assert!(!none.mail.granted);
        let all = Grants::validate(&asked, Some(&asked.capabilities)).unwrap();
        assert_eq!(all.outbound.hosts.len(), 2);
        assert!(all.mail.granted);
        let bad = notifier("outbound_hosts = [\"https://example.org/hook\"]");
        let refused = Grants::validate(&bad, Some(&bad.capabilities)).unwrap_err();
        assert!(refused.contains("not a host name"), "{refused}");
    }

    #[test]
    fn a_store_gets_a_scratch_folder_only_when_granted_and_loses_it_with_the_store() {
        let root = tempfile::tempdir().unwrap();
        let units = Units::new(root.path());
        let plain = Grants::validate(&manifest(""), None).unwrap();
        let state = units.instantiate(&plain).unwrap();
        assert!(!state.scratch.granted());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);

        let asked = manifest("scratch_mb = 1");
        let granted = Grants::validate(&asked, Some(&asked.capabilities)).unwrap();
        let state = units.instantiate(&granted).unwrap();
        assert_eq!(state.scratch.quota_mb(), Some(1));
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
        drop(state);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }
}
