//! The export lifecycle behind the generated `Guest` trait.
//!
//! The WIT functions are free functions, so the state of an export (the plugin's [`Exporter`]
//! value and the schema its batches are checked against) lives in a global between calls. That
//! is sound because the host instantiates the component afresh for every export and wasm runs
//! one call at a time; a thread-local is the global that needs neither `unsafe` nor `Sync`.
//! The [`crate::export!`] macro calls these functions; they are plain Rust, so the lifecycle is
//! tested natively.

use crate::{Batch, Column, ExportRequest, Exporter, FormatInfo, PluginError};
use std::any::Any;
use std::cell::RefCell;

struct ActiveExport {
    /// The plugin's `E: Exporter`, erased because a `static` cannot be generic.
    exporter: Box<dyn Any>,
    schema: Vec<Column>,
}

thread_local! {
    static ACTIVE_EXPORT: RefCell<Option<ActiveExport>> = const { RefCell::new(None) };
}

/// `describe`: the format's [`Exporter::info`].
pub fn describe<E: Exporter>() -> FormatInfo {
    E::info()
}

/// `begin`: creates the exporter and returns its first bytes.
pub fn begin<E: Exporter>(request: ExportRequest) -> Result<Vec<u8>, PluginError> {
    ACTIVE_EXPORT.with(|slot| {
        let mut slot = slot
            .try_borrow_mut()
            .map_err(|_| PluginError::failed("begin was called while another call was running"))?;
        if slot.is_some() {
            return Err(PluginError::failed(
                "begin was called twice in one instance",
            ));
        }
        let mut exporter = E::new(&request)?;
        let output = exporter.begin(&request)?;
        *slot = Some(ActiveExport {
            exporter: Box::new(exporter),
            schema: request.schema,
        });
        Ok(output)
    })
}

/// `write-batch`: checks the batch against the schema and hands it to the exporter.
pub fn write_batch<E: Exporter>(batch: Batch) -> Result<Vec<u8>, PluginError> {
    ACTIVE_EXPORT.with(|slot| {
        let mut slot = slot.try_borrow_mut().map_err(|_| {
            PluginError::failed("write-batch was called while another call was running")
        })?;
        let active = slot
            .as_mut()
            .ok_or_else(|| PluginError::failed("write-batch was called before begin"))?;
        batch.check_shape(&active.schema)?;
        downcast::<E>(active)?.write_batch(&batch)
    })
}

/// `finish`: the exporter's last bytes; the export is over afterwards.
pub fn finish<E: Exporter>() -> Result<Vec<u8>, PluginError> {
    ACTIVE_EXPORT.with(|slot| {
        let mut active = slot
            .try_borrow_mut()
            .map_err(|_| PluginError::failed("finish was called while another call was running"))?
            .take()
            .ok_or_else(|| PluginError::failed("finish was called before begin"))?;
        downcast::<E>(&mut active)?.finish()
    })
}

/// Forgets any export in progress, so that a native test can start another one.
pub(crate) fn abandon() {
    ACTIVE_EXPORT.with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = None;
        }
    });
}

fn downcast<E: Exporter>(active: &mut ActiveExport) -> Result<&mut E, PluginError> {
    // Only `begin::<E>` stores a value and the macro instantiates every function with the same
    // `E`, so a mismatch would be a bug in this crate, reported rather than panicked on.
    active
        .exporter
        .downcast_mut::<E>()
        .ok_or_else(|| PluginError::failed("the export's state has an unexpected type"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnData, ColumnType, ColumnValues, DatasetInfo};

    /// Writes one line per call, so the tests see the order of calls in the output.
    struct CallLog {
        batches: usize,
    }

    impl Exporter for CallLog {
        fn info() -> FormatInfo {
            FormatInfo::new("log", "Call log", "text/plain", "txt")
        }

        fn new(request: &ExportRequest) -> Result<Self, PluginError> {
            if request.options.contains("refuse") {
                return Err(PluginError::invalid_options("refused"));
            }
            Ok(CallLog { batches: 0 })
        }

        fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
            Ok(format!("begin {} rows\n", request.total_rows).into_bytes())
        }

        fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
            self.batches += 1;
            Ok(format!("batch of {}\n", batch.rows).into_bytes())
        }

        fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
            Ok(format!("finish after {}\n", self.batches).into_bytes())
        }
    }

    fn request(options: &str) -> ExportRequest {
        ExportRequest {
            schema: vec![Column::new("n", ColumnType::Int64)],
            dataset: DatasetInfo {
                id: "ds".into(),
                name: "Dataset".into(),
                description: String::new(),
                version: 1,
                licence: None,
                tags: vec![],
                version_sha256: "0".repeat(64),
            },
            options: options.into(),
            total_rows: 3,
            exported_at: "2024-01-01T00:00:00Z".into(),
            stats: None,
        }
    }

    fn ints(values: Vec<i64>) -> Batch {
        Batch {
            rows: values.len() as u32,
            columns: vec![ColumnData {
                validity: None,
                values: ColumnValues::Int64(values),
            }],
        }
    }

    fn text(output: Result<Vec<u8>, PluginError>) -> String {
        String::from_utf8(output.unwrap()).unwrap()
    }

    // Each test runs on its own thread, so each gets its own `ACTIVE_EXPORT`.

    #[test]
    fn calls_reach_the_exporter_in_order() {
        assert_eq!(describe::<CallLog>().id, "log");
        assert_eq!(text(begin::<CallLog>(request("{}"))), "begin 3 rows\n");
        assert_eq!(
            text(write_batch::<CallLog>(ints(vec![1, 2]))),
            "batch of 2\n"
        );
        assert_eq!(text(write_batch::<CallLog>(ints(vec![3]))), "batch of 1\n");
        assert_eq!(text(finish::<CallLog>()), "finish after 2\n");
        assert_eq!(
            finish::<CallLog>(),
            Err(PluginError::failed("finish was called before begin")),
            "finish ends the export"
        );
    }

    #[test]
    fn calls_out_of_order_fail() {
        assert_eq!(
            write_batch::<CallLog>(ints(vec![1])),
            Err(PluginError::failed("write-batch was called before begin"))
        );
        assert!(begin::<CallLog>(request("{}")).is_ok());
        assert_eq!(
            begin::<CallLog>(request("{}")),
            Err(PluginError::failed(
                "begin was called twice in one instance"
            ))
        );
    }

    #[test]
    fn a_refused_begin_leaves_no_export() {
        assert_eq!(
            begin::<CallLog>(request("refuse")),
            Err(PluginError::invalid_options("refused"))
        );
        assert!(write_batch::<CallLog>(ints(vec![1])).is_err());
    }

    #[test]
    fn batches_that_do_not_fit_the_schema_never_reach_the_exporter() {
        assert!(begin::<CallLog>(request("{}")).is_ok());
        let wrong_type = Batch {
            rows: 1,
            columns: vec![ColumnData {
                validity: None,
                values: ColumnValues::Float64(vec![1.0]),
            }],
        };
        let error = write_batch::<CallLog>(wrong_type).unwrap_err();
        assert!(error.message().contains("column 0 (`n`)"), "{error:?}");
        assert_eq!(text(finish::<CallLog>()), "finish after 0\n");
    }
}
