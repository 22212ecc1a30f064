//! Ingest benchmark: a deterministic 1-million-row, 12-column CSV uploaded to a real
//! `tessera serve` over loopback HTTP, against polars reading the same CSV and writing Parquet,
//! in the same run. Each side runs in its own process so that its peak memory (VmHWM) is its
//! own. Run with `scripts/bench-ingest` (or `cargo bench --bench ingest -- --rows N`).

// A benchmark has no one to report an error to: it stops at the first failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::*;

mod common;
use common::{generate_csv, peak_rss_kb};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(path) = arg("--polars-child") {
        polars_child(Path::new(&path));
        return;
    }
    let rows: usize = arg("--rows")
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let work = tempfile::tempdir().expect("temp dir");
    let csv = work.path().join("bench.csv");
    let started = Instant::now();
    let bytes = generate_csv(&csv, rows);
    println!(
        "generated {rows} rows, 12 columns, {:.1} MB in {:.2?}",
        bytes as f64 / 1e6,
        started.elapsed()
    );

    let backend = match std::env::var("TESSERA_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => "PostgreSQL",
        _ => "SQLite",
    };
    println!("Tessera database: {backend}");
    let polars = run_polars(&csv);
    let tessera = run_tessera(&csv, work.path());
    let mb = bytes as f64 / 1e6;
    let mut report = String::new();
    let _ = writeln!(
        report,
        "| pipeline | time (s) | rows/s | MB/s | peak memory (MB) |"
    );
    let _ = writeln!(report, "|---|---|---|---|---|");
    for (name, (seconds, peak_kb)) in [
        ("polars read_csv + write Parquet", polars),
        (
            "Tessera upload over HTTP, to the stored version (201 received)",
            tessera,
        ),
    ] {
        let _ = writeln!(
            report,
            "| {name} | {seconds:.2} | {:.0} | {:.1} | {:.0} |",
            rows as f64 / seconds,
            mb / seconds,
            peak_kb as f64 / 1024.0
        );
    }
    let _ = writeln!(
        report,
        "\nTessera / polars time ratio: {:.2}",
        tessera.0 / polars.0
    );
    print!("{report}");
}

/// Writes the benchmark CSV: ints, floats with nulls, strings with quotes, commas, newlines
/// and non-ASCII, dates, datetimes, booleans and categories; the same bytes every run.
/// The baseline, in a child process: polars' own CSV reader and Parquet writer.
fn polars_child(csv: &Path) {
    let started = Instant::now();
    let mut frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(10_000))
        .map_parse_options(|o| o.with_try_parse_dates(true))
        .try_into_reader_with_file_path(Some(csv.to_path_buf()))
        .expect("reader")
        .finish()
        .expect("read csv");
    let target = csv.with_extension("polars.parquet");
    ParquetWriter::new(std::fs::File::create(&target).expect("create parquet"))
        .finish(&mut frame)
        .expect("write parquet");
    println!(
        "{} {}",
        started.elapsed().as_secs_f64(),
        peak_rss_kb(std::process::id())
    );
}

fn run_polars(csv: &Path) -> (f64, u64) {
    let exe = std::env::current_exe().expect("current exe");
    let output = Command::new(exe)
        .arg("--polars-child")
        .arg(csv)
        .output()
        .expect("run polars child");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace();
    let seconds = parts
        .next()
        .and_then(|s| s.parse().ok())
        .expect("polars timing");
    let peak = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (seconds, peak)
}

/// The real server, started from the built binary, and an upload with curl (which streams
/// the file from disk, so the client's memory stays out of the figure).
fn run_tessera(csv: &Path, work: &Path) -> (f64, u64) {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_tessera"));
    let data = work.join("data");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let bind = format!("127.0.0.1:{port}");

    let mut create = Command::new(&binary)
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "user",
            "create",
            "--email",
            "bench@example.org",
            "--name",
            "Bench",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn user create");
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"benchmark-password\n")
        .unwrap();
    assert!(create.wait().unwrap().success(), "user create failed");

    let mut server = Command::new(&binary)
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "--log-format",
            "json",
            "serve",
            "--bind",
            &bind,
        ])
        .env("TESSERA_LOG_LEVEL", "warn")
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let base = format!("http://{bind}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while curl(&["-sf", &format!("{base}/readyz")]).is_none() {
        assert!(Instant::now() < deadline, "server did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let jar = work.join("jar");
    let login = curl(&[
        "-sf",
        "-c",
        jar.to_str().unwrap(),
        "-H",
        "content-type: application/json",
        "-d",
        "{\"email\":\"bench@example.org\",\"password\":\"benchmark-password\"}",
        &format!("{base}/api/v1/auth/login"),
    ])
    .expect("login");
    let csrf = serde_json::from_str::<serde_json::Value>(&login).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = curl(&[
        "-sf",
        "-b",
        jar.to_str().unwrap(),
        "-H",
        "content-type: application/json",
        "-H",
        &format!("x-csrf-token: {csrf}"),
        "-d",
        "{\"name\":\"bench\",\"scopes\":[\"read\",\"write\"]}",
        &format!("{base}/api/v1/tokens"),
    ])
    .expect("token");
    let token = serde_json::from_str::<serde_json::Value>(&token).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let started = Instant::now();
    let response = curl(&[
        "-sf",
        "-H",
        &format!("authorization: Bearer {token}"),
        "-F",
        &format!("file=@{}", csv.display()),
        &format!("{base}/api/v1/datasets"),
    ])
    .expect("upload");
    let seconds = started.elapsed().as_secs_f64();
    let created: serde_json::Value = serde_json::from_str(&response).unwrap();
    let peak = peak_rss_kb(server.id());
    println!(
        "tessera: {} rows, {} columns stored",
        created["rows"],
        created["columns"].as_array().map_or(0, Vec::len)
    );
    // Read the end of it back through the API, as a user would.
    let id = created["id"].as_str().expect("dataset id");
    let started_read = Instant::now();
    let tail = curl(&[
        "-sf",
        "-H",
        &format!("authorization: Bearer {token}"),
        &format!("{base}/api/v1/datasets/{id}/rows?offset=999990&limit=10"),
    ])
    .expect("read rows");
    let tail: serde_json::Value = serde_json::from_str(&tail).expect("rows JSON");
    assert_eq!(
        tail["rows"].as_array().map(Vec::len),
        Some(10),
        "the last 10 rows read back"
    );
    assert_eq!(tail["rows"][9][0], 999_999);
    println!(
        "tessera: read rows 999,990..1,000,000 back in {:.0?}",
        started_read.elapsed()
    );
    let _ = server.kill();
    let _ = server.wait();
    (seconds, peak)
}

fn curl(args: &[&str]) -> Option<String> {
    let output = Command::new("curl").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}
