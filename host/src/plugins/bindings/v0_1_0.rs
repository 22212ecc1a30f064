//! Bindings of `tessera:plugin@0.1.0`, generated from `wit/tessera-plugin@0.1.0/`.
//!
//! 0.1.0 is released and frozen (`wit/released.sha256`, and the test
//! `released_contracts_never_change`): this module never changes either, except to follow the
//! host's internal interface when a later version becomes [`super::latest`]. Then the adapter in
//! [`super`] converts between that interface and these types, the way zed's
//! `extension_host/src/wasm_host/wit/since_v0_*.rs` do, so that a component built against 0.1.0
//! keeps loading and behaving the same.
//!
//! The host's own imports (`digest`, `compress`) are implemented by the capability units
//! (`plugins::capabilities`), which link them; their resources are left to the units' own
//! tables, so these bindings know nothing of the host's state.

wasmtime::component::bindgen!({
    path: "../wit/tessera-plugin@0.1.0",
    world: "exporter-plugin",
    // The host's own imports (`digest`, `compress`) may trap: a plugin that asks for too much
    // fails.
    imports: { default: trappable },
});

/// The version these bindings speak.
pub const VERSION: &str = "0.1.0";

/// The host's internal interface, [`super::latest`], in 0.1.0's types. 0.1.0 has everything
/// the host sends but the zone of a `datetime` column (`column.time-zone`), which a plugin
/// built against it never learns: it writes zoned values as it wrote them under 0.1.0.
mod from_latest {
    use crate::plugins::bindings::latest::exports::tessera::plugin::exporter as new_exporter;
    use crate::plugins::bindings::latest::tessera::plugin::types as new;
    use crate::plugins::bindings::v0_1_0::exports::tessera::plugin::exporter as old_exporter;
    use crate::plugins::bindings::v0_1_0::tessera::plugin::types as old;

    impl From<new::ColumnType> for old::ColumnType {
        fn from(kind: new::ColumnType) -> Self {
            match kind {
                new::ColumnType::Boolean => Self::Boolean,
                new::ColumnType::Int64 => Self::Int64,
                new::ColumnType::Float64 => Self::Float64,
                new::ColumnType::Utf8 => Self::Utf8,
                new::ColumnType::Date => Self::Date,
                new::ColumnType::Datetime => Self::Datetime,
                new::ColumnType::Null => Self::Null,
            }
        }
    }

    impl From<&new::ExportRequest> for old::ExportRequest {
        fn from(request: &new::ExportRequest) -> Self {
            let dataset = &request.dataset;
            Self {
                schema: request
                    .schema
                    .iter()
                    .map(|column| old::Column {
                        name: column.name.clone(),
                        kind: column.kind.into(),
                    })
                    .collect(),
                dataset: old::DatasetInfo {
                    id: dataset.id.clone(),
                    name: dataset.name.clone(),
                    description: dataset.description.clone(),
                    version: dataset.version,
                    licence: dataset.licence.clone(),
                    tags: dataset.tags.clone(),
                    version_sha256: dataset.version_sha256.clone(),
                },
                options: request.options.clone(),
                total_rows: request.total_rows,
                exported_at: request.exported_at.clone(),
                stats: request.stats.as_ref().map(|stats| {
                    stats
                        .iter()
                        .map(|s| old::ColumnStats {
                            name: s.name.clone(),
                            count: s.count,
                            nulls: s.nulls,
                            min: s.min.clone(),
                            max: s.max.clone(),
                            mean: s.mean,
                            distinct: s.distinct,
                        })
                        .collect()
                }),
            }
        }
    }

    impl From<old::PluginError> for new::PluginError {
        fn from(error: old::PluginError) -> Self {
            match error {
                old::PluginError::InvalidOptions(text) => Self::InvalidOptions(text),
                old::PluginError::Failed(text) => Self::Failed(text),
            }
        }
    }

    impl From<old_exporter::FormatInfo> for new_exporter::FormatInfo {
        fn from(info: old_exporter::FormatInfo) -> Self {
            Self {
                id: info.id,
                name: info.name,
                media_type: info.media_type,
                extension: info.extension,
                options_schema: info.options_schema,
                wants_stats: info.wants_stats,
            }
        }
    }
}
