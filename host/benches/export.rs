//! Export benchmark: every first-party format, through the real sandboxed components, against
//! polars' own native writers, in the same run.
//!
//! A deterministic 1-million-row, 12-column table (see `common`) is stored as a Parquet
//! dataset version, as an upload would store it. Each case then runs in its own process, so
//! that its peak memory (VmHWM) is its own:
//!
//! - `polars:<csv|ndjson|parquet>`: polars' streaming engine reads the version and its native
//!   writer writes the file (the baseline).
//! - `plugin:<format>`: Tessera's whole export pipeline (`export::export_to_file`): polars reads,
//!   batches cross into the WebAssembly component, its output goes to a file.
//! - `calls:<format>`: only the plugin's own work, on batches read and converted beforehand:
//!   the time inside `begin`, `write-batch` and `finish`. The same plugin code compiled
//!   natively (`plugins/bench`, built by `scripts/bench-export`) runs on the same file and
//!   batches, which gives the WASM-versus-native ratio: the two alternate, best of
//!   `--ratio-runs` (3) each.
//! - `instantiate`: a fresh instance of the CSV plugin in a fresh store, as every export gets,
//!   timed 2,000 times.
//!
//! Then a 10-million-row CSV export, for its peak memory. Run with `scripts/bench-export`
//! (or `cargo bench --bench export -- --rows N --big-rows N --ratio-runs N`).

// A benchmark has no one to report an error to: it stops at the first failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use polars::prelude::*;
use serde_json::{Value, json};

use tessera::export::{self, ExportSource, ExportSpec};
use tessera::plugins::exporter::{DatasetInfo, ExportRequest, ExportSession};
use tessera::plugins::{LoadedPlugin, PluginRegistry, PluginRuntime};

mod common;
use common::{generate_csv, peak_rss_kb};

/// The formats timed, with the options each runs with.
const FORMATS: [(&str, &str, &str); 7] = [
    ("csv", "csv", "{}"),
    ("ndjson", "json", r#"{"structure":"ndjson"}"#),
    ("json", "json", "{}"),
    ("xlsx", "xlsx", "{}"),
    ("pdf", "pdf", "{}"),
    ("parquet", "parquet", "{}"),
    ("datapackage", "datapackage", "{}"),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(case) = arg("--child") {
        let parquet = PathBuf::from(arg("--parquet").expect("--parquet"));
        let out = PathBuf::from(arg("--out").expect("--out"));
        let result = run_case(&case, &parquet, &out);
        println!("{result}");
        return;
    }
    let rows: usize = arg("--rows")
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let big_rows: usize = arg("--big-rows")
        .and_then(|r| r.parse().ok())
        .unwrap_or(10_000_000);
    let ratio_runs: usize = arg("--ratio-runs")
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);

    let work =
        tempfile::tempdir_in(std::env::var("TESSERA_BENCH_DIR").unwrap_or_else(|_| "/tmp".into()))
            .expect("temp dir");
    let parquet = dataset(work.path(), "bench", rows);
    let out = work.path().join("out");
    let mut report = String::new();
    let _ = writeln!(
        report,
        "{rows} rows x 12 columns, Parquet version {:.1} MB\n",
        file_mb(&parquet)
    );
    let _ = writeln!(
        report,
        "| case | time (s) | rows/s | output MB/s | output (MB) | peak memory (MB) |"
    );
    let _ = writeln!(report, "|---|---|---|---|---|---|");
    let mut seconds = std::collections::BTreeMap::new();
    let mut cases: Vec<String> = ["polars:csv", "polars:ndjson", "polars:parquet"]
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    cases.extend(FORMATS.iter().map(|(name, _, _)| format!("plugin:{name}")));
    for case in &cases {
        let result = child(case, &parquet, &out);
        seconds.insert(case.clone(), result["seconds"].as_f64().unwrap_or(f64::NAN));
        row(&mut report, case, &result, rows);
    }
    let ratio = |plugin: &str, polars: &str| seconds[polars] / seconds[plugin];
    let _ = writeln!(
        report,
        "\nThroughput of the sandboxed plugin relative to polars' native writer (goal at least 0.5, aim 1.0):\n\n\
         | format | plugin / polars throughput |\n|---|---|\n\
         | CSV | {:.2} |\n| NDJSON | {:.2} |\n| Parquet | {:.2} |",
        ratio("plugin:csv", "polars:csv"),
        ratio("plugin:ndjson", "polars:ndjson"),
        ratio("plugin:parquet", "polars:parquet"),
    );

    // The plugins' own work, as WebAssembly and native.
    let native = native_bench_path();
    let _ = writeln!(
        report,
        "\nThe plugin's own work on the same batches, best of {ratio_runs} alternating runs \
         (goal: WASM at most 1.5x native):\n\n\
         | format | WASM (s) | native (s) | WASM / native |\n|---|---|---|---|"
    );
    for (name, _, options) in FORMATS {
        // The two sides alternate, and each keeps its best run: on a shared machine a run can
        // take half as long again for reasons of its own, which one run of each would put
        // into the ratio.
        let (mut wasm_s, mut native_s) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..ratio_runs {
            let wasm = child(&format!("calls:{name}"), &parquet, &out);
            wasm_s = wasm_s.min(wasm["seconds"].as_f64().unwrap_or(f64::NAN));
            native_s = native_s.min(
                native
                    .as_deref()
                    .and_then(|bin| native_calls(bin, name, options, &parquet))
                    .unwrap_or(f64::NAN),
            );
        }
        let _ = writeln!(
            report,
            "| {name} | {wasm_s:.3} | {native_s:.3} | {:.2} |",
            wasm_s / native_s
        );
    }
    if native.is_none() {
        let _ = writeln!(
            report,
            "\n(native side not built: `scripts/bench-export` builds plugins/bench)"
        );
    }

    let inst = child("instantiate", &parquet, &out);
    let _ = writeln!(
        report,
        "\nInstantiation of a plugin in a fresh store ({} runs): median {:.1} µs, p99 {:.1} µs (goal: median under 100 µs)",
        inst["runs"],
        inst["median_us"].as_f64().unwrap_or(f64::NAN),
        inst["p99_us"].as_f64().unwrap_or(f64::NAN)
    );
    println!("{report}");

    if big_rows > 0 {
        let _ = std::fs::remove_file(&out);
        let big = dataset(work.path(), "big", big_rows);
        let mut big_report = String::new();
        let _ = writeln!(
            big_report,
            "{big_rows} rows x 12 columns, Parquet version {:.1} MB\n",
            file_mb(&big)
        );
        let _ = writeln!(
            big_report,
            "| case | time (s) | rows/s | output MB/s | output (MB) | peak memory (MB) |"
        );
        let _ = writeln!(big_report, "|---|---|---|---|---|---|");
        for case in ["polars:csv", "plugin:csv"] {
            let result = child(case, &big, &out);
            row(&mut big_report, case, &result, big_rows);
            let _ = std::fs::remove_file(&out);
        }
        println!("{big_report}");
    }
}

fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
}

fn row(report: &mut String, case: &str, result: &Value, rows: usize) {
    let seconds = result["seconds"].as_f64().unwrap_or(f64::NAN);
    let bytes = result["bytes"].as_f64().unwrap_or(f64::NAN);
    let peak = result["peak_kb"].as_f64().unwrap_or(f64::NAN) / 1024.0;
    let _ = writeln!(
        report,
        "| {case} | {seconds:.2} | {:.0} | {:.1} | {:.1} | {peak:.0} |",
        rows as f64 / seconds,
        bytes / 1e6 / seconds,
        bytes / 1e6,
    );
}

/// The benchmark table as a Parquet dataset version: generated as CSV, then converted by
/// polars exactly as an upload is.
fn dataset(dir: &Path, name: &str, rows: usize) -> PathBuf {
    let csv = dir.join(format!("{name}.csv"));
    let parquet = dir.join(format!("{name}.parquet"));
    let started = Instant::now();
    generate_csv(&csv, rows);
    LazyCsvReader::new(PlRefPath::new(csv.to_string_lossy().as_ref()))
        .with_has_header(true)
        .with_infer_schema_length(Some(10_000))
        .with_try_parse_dates(true)
        .finish()
        .and_then(|lf| {
            lf.sink(
                SinkDestination::File {
                    target: SinkTarget::Path(PlRefPath::new(parquet.to_string_lossy().as_ref())),
                },
                FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions::default())),
                UnifiedSinkArgs::default(),
            )
        })
        .and_then(|lf| lf.collect_with_engine(Engine::Streaming))
        .expect("convert the benchmark table");
    let _ = std::fs::remove_file(&csv);
    eprintln!("generated {name}: {rows} rows in {:.1?}", started.elapsed());
    parquet
}

/// Runs one case in a child process and returns what it printed, with its peak memory.
fn child(case: &str, parquet: &Path, out: &Path) -> Value {
    let exe = std::env::current_exe().expect("current exe");
    let child = Command::new(exe)
        .args(["--child", case, "--parquet"])
        .arg(parquet)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let output = child.wait_with_output().expect("child output");
    let text = String::from_utf8_lossy(&output.stdout);
    let value: Value = text
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| json!({"error": format!("{case} failed: {text}")}));
    if value.get("error").is_some() {
        eprintln!("{case}: {value}");
    }
    value
}

fn plugins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/dist")
}

fn registry() -> PluginRegistry {
    let cache = std::env::temp_dir().join("tessera-bench-plugin-cache");
    let runtime = PluginRuntime::new(&cache, &std::env::temp_dir()).expect("runtime");
    PluginRegistry::new(runtime)
}

fn load(registry: &PluginRegistry, format: &str) -> Arc<LoadedPlugin> {
    registry
        .load_folder(&plugins_dir().join(format))
        .unwrap_or_else(|e| panic!("plugin {format}: {e} (build it with scripts/build-plugins)"));
    registry.get(format).expect("loaded")
}

fn source(parquet: &Path) -> ExportSource {
    let rows = LazyFrame::scan_parquet(
        PlRefPath::new(parquet.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .and_then(|lf| lf.select([len()]).collect())
    .ok()
    .and_then(|df| df.column("len").ok()?.get(0).ok()?.extract::<i64>())
    .unwrap_or(0);
    ExportSource {
        parquet: parquet.to_owned(),
        rows,
        exported_at: "2026-01-01T00:00:00.000Z".into(),
        dataset: DatasetInfo {
            id: "bench".into(),
            name: "Benchmark table".into(),
            description: "Deterministic benchmark data".into(),
            version: 1,
            licence: Some("CC-BY-4.0".into()),
            tags: vec!["bench".into()],
            version_sha256: "0".repeat(64),
        },
    }
}

fn format_of(name: &str) -> (&'static str, &'static str) {
    FORMATS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, format, options)| (*format, *options))
        .unwrap_or_else(|| panic!("unknown case format {name}"))
}

fn run_case(case: &str, parquet: &Path, out: &Path) -> Value {
    let (kind, name) = case.split_once(':').unwrap_or((case, ""));
    let started = Instant::now();
    let mut extra = json!({});
    let (rows, bytes) = match kind {
        "polars" => {
            let lf = LazyFrame::scan_parquet(
                PlRefPath::new(parquet.to_string_lossy().as_ref()),
                ScanArgsParquet::default(),
            )
            .expect("scan");
            let format = match name {
                "csv" => FileWriteFormat::Csv(CsvWriterOptions::default()),
                "ndjson" => FileWriteFormat::NDJson(NDJsonWriterOptions::default()),
                "parquet" => FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions::default())),
                other => panic!("no polars writer {other}"),
            };
            lf.sink(
                SinkDestination::File {
                    target: SinkTarget::Path(PlRefPath::new(out.to_string_lossy().as_ref())),
                },
                format,
                UnifiedSinkArgs::default(),
            )
            .and_then(|lf| lf.collect_with_engine(Engine::Streaming))
            .expect("polars sink");
            (0, std::fs::metadata(out).map(|m| m.len()).unwrap_or(0))
        }
        "plugin" => {
            let (format, options) = format_of(name);
            let registry = registry();
            let plugin = load(&registry, format);
            // A server compiles its plugins when it loads them (at start or install), not per
            // export; after a plugin is rebuilt, the first load here compiles it, which would
            // otherwise count in the export's peak.
            common::reset_peak_rss();
            let spec = ExportSpec {
                options: Some(serde_json::from_str(options).expect("options")),
                ..Default::default()
            };
            let started_export = Instant::now();
            let done = export::export_to_file(
                &registry.runtime,
                &plugin,
                &source(parquet),
                &spec,
                out,
                |_, _| true,
            )
            .expect("export");
            extra = json!({"seconds": started_export.elapsed().as_secs_f64()});
            (done.summary.rows, done.summary.bytes)
        }
        "calls" => {
            let (format, options) = format_of(name);
            let registry = registry();
            let plugin = load(&registry, format);
            let (request, batches) = prepared_batches(&plugin, parquet, options);
            let timed = Instant::now();
            let mut session = ExportSession::start(&registry.runtime, &plugin).expect("start");
            let mut bytes = session.begin(&request).expect("begin").len() as u64;
            for batch in &batches {
                bytes += session.write_batch(batch).expect("write-batch").len() as u64;
            }
            bytes += session.finish().expect("finish").len() as u64;
            extra = json!({"seconds": timed.elapsed().as_secs_f64()});
            (request.total_rows, bytes)
        }
        "instantiate" => {
            let registry = registry();
            let plugin = load(&registry, "csv");
            let mut samples: Vec<Duration> = (0..2_000)
                .map(|_| {
                    let started = Instant::now();
                    let session = ExportSession::start(&registry.runtime, &plugin).expect("start");
                    let elapsed = started.elapsed();
                    drop(session);
                    elapsed
                })
                .collect();
            samples.sort();
            let us = |d: Duration| d.as_secs_f64() * 1e6;
            extra = json!({
                "runs": samples.len(),
                "median_us": us(samples[samples.len() / 2]),
                "p99_us": us(samples[samples.len() * 99 / 100]),
            });
            (0, 0)
        }
        other => panic!("unknown case {other}"),
    };
    let mut result = json!({
        "case": case,
        "seconds": started.elapsed().as_secs_f64(),
        "rows": rows,
        "bytes": bytes,
        "peak_kb": peak_rss_kb(std::process::id()),
    });
    if let (Some(result), Some(extra)) = (result.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            result.insert(key.clone(), value.clone());
        }
    }
    result
}

/// The export request and every batch of the table, converted before any timing starts.
fn prepared_batches(
    plugin: &LoadedPlugin,
    parquet: &Path,
    options: &str,
) -> (ExportRequest, Vec<tessera::plugins::exporter::Batch>) {
    let lf = LazyFrame::scan_parquet(
        PlRefPath::new(parquet.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .expect("scan");
    let frame = lf.clone().collect().expect("collect");
    let schema = frame.schema().clone();
    let stats = plugin
        .info
        .wants_stats
        .then(|| export::stats::column_stats(&lf, &schema).expect("stats"));
    let mut batches = Vec::new();
    let mut offset = 0;
    while offset < frame.height() {
        let slice = frame.slice(offset as i64, export::BATCH_ROWS);
        batches.push(export::batch::to_batch(&slice).expect("batch"));
        offset += export::BATCH_ROWS;
    }
    let request = ExportRequest {
        schema: export::batch::schema_of(&schema),
        dataset: source(parquet).dataset,
        options: options.to_owned(),
        total_rows: frame.height() as u64,
        exported_at: "2026-01-01T00:00:00.000Z".into(),
        stats,
    };
    (request, batches)
}

/// The native build of the plugins' benchmark driver, if `scripts/bench-export` built it.
fn native_bench_path() -> Option<PathBuf> {
    let target = std::env::var("TESSERA_PLUGIN_BENCH")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../plugins/target/release/tessera-plugin-bench")
        });
    target.is_file().then_some(target)
}

/// Runs the native driver: it reads the same Parquet file into the same batches and prints
/// the seconds spent in the plugin's own calls.
fn native_calls(bin: &Path, name: &str, options: &str, parquet: &Path) -> Option<f64> {
    let (format, _) = format_of(name);
    let output = Command::new(bin)
        .args([format, options])
        .arg(parquet)
        .stderr(Stdio::inherit())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let value: Value = serde_json::from_str(text.lines().last()?).ok()?;
    value["seconds"].as_f64()
}
