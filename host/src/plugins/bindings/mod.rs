//! The contract per version: one bindings module per supported version of `tessera:plugin`
//! ([`v0_1_0`], [`v0_2_0`], [`v0_3_0`]), and the adapter through which the rest of the
//! host talks to a plugin whatever version it was built for.
//!
//! The host's internal interface is the newest supported version ([`latest`]): the export
//! pipeline builds that version's `Batch` and `ExportRequest` and reads its `FormatInfo`, which
//! [`super::exporter`] re-exports. [`Exporter`] holds one version's generated bindings; each of
//! its calls hands the internal types to the version the component speaks and its answers back.
//! When a version is added, `latest` moves to it, and the arms of the older versions convert,
//! field by field, in their own module (`v0_1_0::from_latest`): zed's
//! `extension_host/src/wasm_host/wit.rs` and its `since_v0_*.rs` work the same way. A version
//! whose exporter has the newest one's shapes (0.2.0's is 0.3.0's) needs no conversion: its
//! functions are looked up by name and called in the newest types, which the component model
//! checks by shape.
//!
//! Notifiers exist from 0.3.0 on ([`NOTIFIER_API_VERSIONS`]): [`NotifierPre`] and [`Notifier`]
//! are their side of the adapter, with one arm so far.
//!
//! Which bindings a component gets is read from the component itself, from the versions of the
//! `tessera:plugin` interfaces it imports and exports ([`implemented_version`]); its manifest's
//! `api_version` must name the same version.
//!
//! This module imports nothing else of `plugins`: the capability units link the host's imports
//! of every version (`super::capabilities`), and the sessions call through the adapter.

use std::collections::BTreeSet;

use wasmtime::component::{
    Component, ComponentExportIndex, Instance, InstancePre, TypedFunc, WasmList,
};
use wasmtime::{Engine, Store};

pub mod v0_1_0;
pub mod v0_2_0;
pub mod v0_3_0;

/// The newest version this host supports; its types are the host's internal interface.
pub use v0_3_0 as latest;

pub use latest::exports::tessera::plugin::exporter::FormatInfo;
pub use latest::notifier_world::exports::tessera::plugin::notifier::{
    Delivery, DeliveryError, Message as NotifierMessageV, NotifierInfo,
};
pub use latest::tessera::plugin::types::{
    Batch, Column, ColumnData, ColumnStats, ColumnType, ColumnValues, DatasetInfo, ExportRequest,
    PluginError as GuestError, Utf8Values,
};

/// The versions of `tessera:plugin` this host implements, oldest first; a manifest's
/// `api_version` must be one of them. How long a version stays here is the policy in
/// docs/plugins.md ("Versions of the contract").
pub const SUPPORTED_API_VERSIONS: &[&str] = &[v0_1_0::VERSION, v0_2_0::VERSION, v0_3_0::VERSION];

/// The versions with the `notifier-plugin` world, oldest first.
pub const NOTIFIER_API_VERSIONS: &[&str] = &[v0_3_0::VERSION];

/// A version of the contract this host has bindings for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContractVersion {
    V0_1_0,
    V0_2_0,
    V0_3_0,
}

impl ContractVersion {
    /// Every supported version, oldest first, in the order of [`SUPPORTED_API_VERSIONS`].
    pub const ALL: &[ContractVersion] = &[
        ContractVersion::V0_1_0,
        ContractVersion::V0_2_0,
        ContractVersion::V0_3_0,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractVersion::V0_1_0 => v0_1_0::VERSION,
            ContractVersion::V0_2_0 => v0_2_0::VERSION,
            ContractVersion::V0_3_0 => v0_3_0::VERSION,
        }
    }

    pub fn parse(version: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == version)
    }

    /// The name under which a component of this version exports its exporter interface.
    fn exporter_interface(self) -> &'static str {
        match self {
            ContractVersion::V0_1_0 => "tessera:plugin/exporter@0.1.0",
            ContractVersion::V0_2_0 => "tessera:plugin/exporter@0.2.0",
            ContractVersion::V0_3_0 => "tessera:plugin/exporter@0.3.0",
        }
    }
}

/// The package every interface of the contract belongs to, as it prefixes their names.
const PACKAGE_PREFIX: &str = "tessera:plugin/";

/// The version of the contract `component` was built against: the version of every
/// `tessera:plugin` interface it imports or exports (a component built with the SDK of one
/// version names only that version). Refuses a component that names none, several, or one this
/// host has no bindings for, saying which.
pub fn implemented_version(
    engine: &Engine,
    component: &Component,
) -> Result<ContractVersion, String> {
    let ty = component.component_type();
    let imports = ty.imports(engine).map(|(name, _)| name);
    let exports = ty.exports(engine).map(|(name, _)| name);
    version_named_by(imports.chain(exports))
}

fn version_named_by<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<ContractVersion, String> {
    let versions: BTreeSet<&str> = names
        .into_iter()
        .filter_map(|name| name.strip_prefix(PACKAGE_PREFIX))
        .map(|rest| rest.split_once('@').map_or("", |(_, version)| version))
        .collect();
    let mut named = versions.iter();
    match (named.next(), named.next()) {
        (None, _) => Err("it neither imports nor exports any tessera:plugin interface".into()),
        (Some(&""), None) => Err("it names tessera:plugin without a version".into()),
        (Some(version), None) => ContractVersion::parse(version).ok_or_else(|| {
            format!(
                "it was built against tessera:plugin@{version}, which this host does not \
                 support (it supports {})",
                SUPPORTED_API_VERSIONS.join(", ")
            )
        }),
        (Some(_), Some(_)) => Err(format!(
            "it names several versions of tessera:plugin ({})",
            versions.into_iter().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// An exporter component, linked and ready to instantiate, with the bindings of the version it
/// was built against.
pub enum ExporterPre<T: 'static> {
    V0_1_0(v0_1_0::ExporterPluginPre<T>),
    V0_2_0(v0_2_0::ExporterPluginPre<T>),
    V0_3_0(v0_3_0::ExporterPluginPre<T>),
}

impl<T: Send + 'static> ExporterPre<T> {
    /// Checks that the linked component implements `version`'s `exporter-plugin` world.
    pub fn new(version: ContractVersion, pre: InstancePre<T>) -> wasmtime::Result<Self> {
        match version {
            ContractVersion::V0_1_0 => Ok(Self::V0_1_0(v0_1_0::ExporterPluginPre::new(pre)?)),
            ContractVersion::V0_2_0 => Ok(Self::V0_2_0(v0_2_0::ExporterPluginPre::new(pre)?)),
            ContractVersion::V0_3_0 => Ok(Self::V0_3_0(v0_3_0::ExporterPluginPre::new(pre)?)),
        }
    }

    pub fn version(&self) -> ContractVersion {
        match self {
            Self::V0_1_0(_) => ContractVersion::V0_1_0,
            Self::V0_2_0(_) => ContractVersion::V0_2_0,
            Self::V0_3_0(_) => ContractVersion::V0_3_0,
        }
    }

    /// A fresh instance in `store`.
    pub fn instantiate(&self, store: &mut Store<T>) -> wasmtime::Result<Exporter> {
        match self {
            Self::V0_1_0(pre) => {
                let instance = pre.instance_pre().instantiate(&mut *store)?;
                let bindings = v0_1_0::ExporterPlugin::new(&mut *store, &instance)?;
                let write_batch = export_index(
                    &instance,
                    &mut *store,
                    ContractVersion::V0_1_0,
                    "write-batch",
                )?;
                Ok(Exporter {
                    instance,
                    bindings: ExporterBindings::V0_1_0 {
                        bindings,
                        write_batch,
                    },
                })
            }
            Self::V0_2_0(pre) => {
                let instance = pre.instance_pre().instantiate(&mut *store)?;
                let version = ContractVersion::V0_2_0;
                let mut index =
                    |function: &str| export_index(&instance, &mut *store, version, function);
                let functions = SameShapes {
                    describe: index("describe")?,
                    begin: index("begin")?,
                    write_batch: index("write-batch")?,
                    finish: index("finish")?,
                };
                Ok(Exporter {
                    instance,
                    bindings: ExporterBindings::V0_2_0(functions),
                })
            }
            Self::V0_3_0(pre) => {
                let instance = pre.instance_pre().instantiate(&mut *store)?;
                let bindings = v0_3_0::ExporterPlugin::new(&mut *store, &instance)?;
                Ok(Exporter {
                    instance,
                    bindings: ExporterBindings::V0_3_0(bindings),
                })
            }
        }
    }
}

/// One exporter instance, spoken to in the host's internal interface.
pub struct Exporter {
    instance: Instance,
    bindings: ExporterBindings,
}

enum ExporterBindings {
    V0_1_0 {
        bindings: v0_1_0::ExporterPlugin,
        /// 0.1.0's `write-batch`, called with the newest version's `Batch`: a batch is the same
        /// shape in both versions, and the component model checks shapes, not names, so the
        /// rows go to the plugin without a copy into 0.1.0's types.
        write_batch: ComponentExportIndex,
    },
    /// 0.2.0's exporter, whose shapes are the newest version's: its functions, called in the
    /// newest types.
    V0_2_0(SameShapes),
    V0_3_0(v0_3_0::ExporterPlugin),
}

/// The exporter functions of a version whose shapes are the newest version's.
struct SameShapes {
    describe: ComponentExportIndex,
    begin: ComponentExportIndex,
    write_batch: ComponentExportIndex,
    finish: ComponentExportIndex,
}

type Output = Result<Vec<u8>, GuestError>;

impl Exporter {
    /// Calls `function` of this instance with `params`, in the newest version's types.
    fn call_same_shape<T: Send, P, R>(
        &self,
        store: &mut Store<T>,
        function: &ComponentExportIndex,
        params: P,
    ) -> wasmtime::Result<R>
    where
        P: wasmtime::component::ComponentNamedList + wasmtime::component::Lower + Send + Sync,
        R: wasmtime::component::ComponentNamedList + wasmtime::component::Lift + Send + Sync,
    {
        let function = self
            .instance
            .get_typed_func::<P, R>(&mut *store, function)?;
        function.call(&mut *store, params)
    }
}

/// Where `function` of the exporter interface of `version` is in `instance`.
fn export_index<T>(
    instance: &Instance,
    store: &mut Store<T>,
    version: ContractVersion,
    function: &str,
) -> wasmtime::Result<ComponentExportIndex> {
    let interface = instance
        .get_export_index(&mut *store, None, version.exporter_interface())
        .ok_or_else(|| wasmtime::format_err!("the component exports no exporter interface"))?;
    instance
        .get_export_index(&mut *store, Some(&interface), function)
        .ok_or_else(|| wasmtime::format_err!("the component exports no `{function}`"))
}

/// `finish`, looked up so that its output can be read where it lies in the guest's memory.
pub type FinishInPlace = TypedFunc<(), (Result<WasmList<u8>, GuestError>,)>;

impl Exporter {
    pub fn version(&self) -> ContractVersion {
        match self.bindings {
            ExporterBindings::V0_1_0 { .. } => ContractVersion::V0_1_0,
            ExporterBindings::V0_2_0(_) => ContractVersion::V0_2_0,
            ExporterBindings::V0_3_0(_) => ContractVersion::V0_3_0,
        }
    }

    pub fn describe<T: Send>(&self, store: &mut Store<T>) -> wasmtime::Result<FormatInfo> {
        match &self.bindings {
            ExporterBindings::V0_1_0 { bindings, .. } => Ok(bindings
                .tessera_plugin_exporter()
                .call_describe(store)?
                .into()),
            ExporterBindings::V0_2_0(f) => {
                let (info,) =
                    self.call_same_shape::<T, (), (FormatInfo,)>(store, &f.describe, ())?;
                Ok(info)
            }
            ExporterBindings::V0_3_0(b) => b.tessera_plugin_exporter().call_describe(store),
        }
    }

    pub fn begin<T: Send>(
        &self,
        store: &mut Store<T>,
        request: &ExportRequest,
    ) -> wasmtime::Result<Result<Vec<u8>, GuestError>> {
        match &self.bindings {
            ExporterBindings::V0_1_0 { bindings, .. } => Ok(bindings
                .tessera_plugin_exporter()
                .call_begin(store, &request.into())?
                .map_err(Into::into)),
            ExporterBindings::V0_2_0(f) => {
                let (output,) = self.call_same_shape::<T, (&ExportRequest,), (Output,)>(
                    store,
                    &f.begin,
                    (request,),
                )?;
                Ok(output)
            }
            ExporterBindings::V0_3_0(b) => b.tessera_plugin_exporter().call_begin(store, request),
        }
    }

    pub fn write_batch<T: Send>(
        &self,
        store: &mut Store<T>,
        batch: &Batch,
    ) -> wasmtime::Result<Result<Vec<u8>, GuestError>> {
        match &self.bindings {
            ExporterBindings::V0_1_0 { write_batch, .. } => {
                let function = self
                    .instance
                    .get_typed_func::<(&Batch,), (Result<Vec<u8>, GuestError>,)>(
                        &mut *store,
                        write_batch,
                    )?;
                let (result,) = function.call(&mut *store, (batch,))?;
                Ok(result)
            }
            ExporterBindings::V0_2_0(f) => {
                let (output,) = self.call_same_shape::<T, (&Batch,), (Output,)>(
                    store,
                    &f.write_batch,
                    (batch,),
                )?;
                Ok(output)
            }
            ExporterBindings::V0_3_0(b) => {
                b.tessera_plugin_exporter().call_write_batch(store, batch)
            }
        }
    }

    pub fn finish<T: Send>(
        &self,
        store: &mut Store<T>,
    ) -> wasmtime::Result<Result<Vec<u8>, GuestError>> {
        match &self.bindings {
            ExporterBindings::V0_1_0 { bindings, .. } => Ok(bindings
                .tessera_plugin_exporter()
                .call_finish(store)?
                .map_err(Into::into)),
            ExporterBindings::V0_2_0(f) => {
                let (output,) = self.call_same_shape::<T, (), (Output,)>(store, &f.finish, ())?;
                Ok(output)
            }
            ExporterBindings::V0_3_0(b) => b.tessera_plugin_exporter().call_finish(store),
        }
    }

    /// `finish` as a function whose result list is not copied out of the guest: a format that
    /// assembles its file at the end would otherwise be held twice. Looked up by the name the
    /// component's version exports it under; the text says what is missing or mistyped.
    pub fn finish_in_place<T: Send>(&self, store: &mut Store<T>) -> Result<FinishInPlace, String> {
        let missing = || "the component exports no `finish`".to_owned();
        let interface = self
            .instance
            .get_export_index(&mut *store, None, self.version().exporter_interface())
            .ok_or_else(missing)?;
        let index = self
            .instance
            .get_export_index(&mut *store, Some(&interface), "finish")
            .ok_or_else(missing)?;
        self.instance
            .get_typed_func::<(), (Result<WasmList<u8>, GuestError>,)>(&mut *store, &index)
            .map_err(|e| format!("`finish` has another type: {e}"))
    }
}

/// A notifier component, linked and ready to instantiate, with the bindings of the version it
/// was built against.
pub enum NotifierPre<T: 'static> {
    V0_3_0(v0_3_0::notifier_world::NotifierPluginPre<T>),
}

impl<T: Send + 'static> NotifierPre<T> {
    /// Checks that the linked component implements `version`'s `notifier-plugin` world; a
    /// version without that world is refused, saying which versions have it.
    pub fn new(version: ContractVersion, pre: InstancePre<T>) -> wasmtime::Result<Self> {
        match version {
            ContractVersion::V0_3_0 => Ok(Self::V0_3_0(
                v0_3_0::notifier_world::NotifierPluginPre::new(pre)?,
            )),
            older => wasmtime::bail!(
                "tessera:plugin@{} has no notifier world (notifiers need {})",
                older.as_str(),
                NOTIFIER_API_VERSIONS.join(" or ")
            ),
        }
    }

    pub fn version(&self) -> ContractVersion {
        match self {
            Self::V0_3_0(_) => ContractVersion::V0_3_0,
        }
    }

    /// A fresh instance in `store`.
    pub fn instantiate(&self, store: &mut Store<T>) -> wasmtime::Result<Notifier> {
        match self {
            Self::V0_3_0(pre) => Ok(Notifier::V0_3_0(pre.instantiate(store)?)),
        }
    }
}

/// One notifier instance, spoken to in the host's internal interface.
pub enum Notifier {
    V0_3_0(v0_3_0::notifier_world::NotifierPlugin),
}

impl Notifier {
    pub fn describe<T: Send>(&self, store: &mut Store<T>) -> wasmtime::Result<NotifierInfo> {
        match self {
            Self::V0_3_0(b) => b.tessera_plugin_notifier().call_describe(store),
        }
    }

    pub fn validate_settings<T: Send>(
        &self,
        store: &mut Store<T>,
        settings: &str,
    ) -> wasmtime::Result<Result<(), String>> {
        match self {
            Self::V0_3_0(b) => b
                .tessera_plugin_notifier()
                .call_validate_settings(store, settings),
        }
    }

    pub fn deliver<T: Send>(
        &self,
        store: &mut Store<T>,
        settings: &str,
        message: &NotifierMessageV,
    ) -> wasmtime::Result<Result<Delivery, DeliveryError>> {
        match self {
            Self::V0_3_0(b) => b
                .tessera_plugin_notifier()
                .call_deliver(store, settings, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_version_has_bindings_and_the_newest_is_latest() {
        let named: Vec<&str> = ContractVersion::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(named, SUPPORTED_API_VERSIONS);
        assert_eq!(
            ContractVersion::ALL.last().map(|v| v.as_str()),
            Some(latest::VERSION)
        );
    }

    #[test]
    fn a_component_gets_the_bindings_of_the_version_its_interfaces_name() {
        // What the SDK of 0.1.0 builds: WASI, the host's two interfaces and the exporter.
        let built_for_0_1_0 = [
            "wasi:io/streams@0.2.6",
            "tessera:plugin/digest@0.1.0",
            "tessera:plugin/compress@0.1.0",
            "tessera:plugin/exporter@0.1.0",
        ];
        assert_eq!(
            version_named_by(built_for_0_1_0),
            Ok(ContractVersion::V0_1_0)
        );
        assert_eq!(
            version_named_by(["tessera:plugin/exporter@0.1.0"]),
            Ok(ContractVersion::V0_1_0)
        );

        let unsupported = version_named_by(["tessera:plugin/exporter@9.0.0"]).unwrap_err();
        assert!(
            unsupported.contains("tessera:plugin@9.0.0"),
            "{unsupported}"
        );
        assert!(
            unsupported.contains("supports 0.1.0, 0.2.0, 0.3.0"),
            "{unsupported}"
        );
        assert_eq!(
            version_named_by([
                "tessera:plugin/digest@0.2.0",
                "tessera:plugin/exporter@0.2.0"
            ]),
            Ok(ContractVersion::V0_2_0)
        );
        let mixed = version_named_by([
            "tessera:plugin/digest@0.1.0",
            "tessera:plugin/exporter@0.2.0",
        ])
        .unwrap_err();
        assert!(mixed.contains("0.1.0, 0.2.0"), "{mixed}");
        assert_eq!(
            version_named_by([
                "wasi:http/outgoing-handler@0.2.12",
                "tessera:plugin/mail@0.3.0",
                "tessera:plugin/notifier@0.3.0"
            ]),
            Ok(ContractVersion::V0_3_0)
        );
        assert!(version_named_by(["wasi:cli/run@0.2.6"]).is_err());
        assert!(version_named_by(["tessera:plugin/exporter"]).is_err());
        // Another package that merely starts alike is not the contract.
        assert!(version_named_by(["tessera:plugins/exporter@0.1.0"]).is_err());
    }
}
