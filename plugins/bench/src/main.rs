//! The native side of the export benchmark (`host/benches/export.rs`, case `calls:`): a
//! first-party format's own work, compiled natively, on the batches the host would send it.
//!
//! ```sh
//! tessera-plugin-bench <format> <options-json> <parquet-file> [<output-file>]
//! # {"format":"csv","seconds":0.41,"rows":1000000,"bytes":123456789}
//! ```
//!
//! With an output file, every call's output is also written there, outside the clock, so that
//! a change to a format can be checked against the bytes it wrote before.
//!
//! Untimed: the dataset version is read into batches of 65,536 rows as the host converts them
//! ([`table`]), the export request is built as the benchmark's host side builds it, with column
//! statistics when the format wants them ([`stats`]). Timed: `begin`, every `write-batch` and
//! `finish`, through the same SDK glue the `export!` macro puts in the component, the schema
//! check of every batch included. The host times the component's same calls on the same file,
//! so the two times compare the WebAssembly sandbox with native code, nothing else.
//!
//! Not a plugin, and never built for wasm32-wasip2: `bench` is outside the workspace's default
//! members, so `scripts/build-plugins` does not see it; `scripts/bench-export` builds it.

// A benchmark has no one to report an error to: it stops at the first failure, and a panic's
// message says where.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod stats;
mod table;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tessera_plugin_sdk::{Batch, DatasetInfo, ExportRequest, Exporter, PluginError};

use tessera_plugin_csv::CsvExporter;
use tessera_plugin_datapackage::DatapackageExporter;
use tessera_plugin_json::JsonExporter;
use tessera_plugin_parquet::ParquetExporter;
use tessera_plugin_pdf::PdfExporter;
use tessera_plugin_xlsx::XlsxExporter;

const USAGE: &str = "usage: tessera-plugin-bench <csv|json|xlsx|pdf|parquet|datapackage> <options-json> <parquet-file> [<output-file>]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (format, options, parquet, output) = match args.as_slice() {
        [format, options, parquet] => (format, options, parquet, None),
        [format, options, parquet, output] => (format, options, parquet, Some(Path::new(output))),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let run = match format.as_str() {
        "csv" => time_export::<CsvExporter>,
        "json" => time_export::<JsonExporter>,
        "xlsx" => time_export::<XlsxExporter>,
        "pdf" => time_export::<PdfExporter>,
        "parquet" => time_export::<ParquetExporter>,
        "datapackage" => time_export::<DatapackageExporter>,
        other => {
            eprintln!("unknown format `{other}`\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(options)
    {
        eprintln!("options are not a JSON object: {error}");
        return ExitCode::from(2);
    }
    match run(options, Path::new(parquet), output) {
        Ok(timed) => {
            // One line, fields in a fixed order for people; the host parses it as JSON.
            println!(
                "{{\"format\":{},\"seconds\":{},\"rows\":{},\"bytes\":{}}}",
                serde_json::Value::from(format.as_str()),
                timed.elapsed.as_secs_f64(),
                timed.rows,
                timed.bytes
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("tessera-plugin-bench {format}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What one timed export did.
struct Timed {
    elapsed: Duration,
    rows: u64,
    bytes: u64,
}

/// Reads the file, prepares the request and batches, then times the export through `E`.
fn time_export<E: Exporter>(
    options: &str,
    parquet: &Path,
    output: Option<&Path>,
) -> Result<Timed, String> {
    let table = table::read_table(parquet)?;
    let request = ExportRequest {
        schema: table.schema.clone(),
        dataset: DatasetInfo {
            id: "bench".into(),
            name: "Benchmark table".into(),
            description: "Deterministic benchmark data".into(),
            version: 1,
            licence: Some("CC-BY-4.0".into()),
            tags: vec!["bench".into()],
            version_sha256: "0".repeat(64),
        },
        options: options.to_owned(),
        total_rows: table.rows as u64,
        exported_at: "2026-01-01T00:00:00.000Z".into(),
        stats: E::info().wants_stats.then(|| stats::column_stats(&table)),
    };
    let batches = table.batches();
    // Only the batches stay in memory while the clock runs, as in the host's `calls:` case.
    drop(table);
    let rows = request.total_rows;
    let mut sink = output
        .map(|path| {
            File::create(path)
                .map(BufWriter::new)
                .map_err(|error| format!("{}: {error}", path.display()))
        })
        .transpose()?;
    let (elapsed, bytes) = run_calls::<E>(request, batches, &mut sink)?;
    if let Some(sink) = &mut sink {
        sink.flush()
            .map_err(|error| format!("writing the output: {error}"))?;
    }
    Ok(Timed {
        elapsed,
        rows,
        bytes,
    })
}

/// The timed part: the calls the component gets, made the way its glue makes them. The glue
/// is the SDK's hidden `__private` module, which is what `export!` expands to: it keeps the
/// exporter between calls and checks each batch against the schema, as in the component.
/// Each batch is moved in and dropped inside its call, as the component's copy of it is.
/// Only the calls are timed, not what `sink` does with their output.
fn run_calls<E: Exporter>(
    request: ExportRequest,
    batches: Vec<Batch>,
    sink: &mut Option<BufWriter<File>>,
) -> Result<(Duration, u64), String> {
    use tessera_plugin_sdk::__private as glue;
    let mut elapsed = Duration::ZERO;
    let mut bytes = 0;
    let mut took = |started: Instant, output: Result<Vec<u8>, PluginError>| {
        elapsed += started.elapsed();
        let output = output.map_err(|error| match error {
            PluginError::InvalidOptions(message) => format!("invalid options: {message}"),
            PluginError::Failed(message) => format!("failed: {message}"),
        })?;
        bytes += output.len() as u64;
        match sink {
            Some(sink) => sink
                .write_all(&output)
                .map_err(|error| format!("writing the output: {error}")),
            None => Ok(()),
        }
    };
    let started = Instant::now();
    took(started, glue::begin::<E>(request))?;
    for batch in batches {
        let started = Instant::now();
        took(started, glue::write_batch::<E>(batch))?;
    }
    let started = Instant::now();
    took(started, glue::finish::<E>())?;
    Ok((elapsed, bytes))
}
