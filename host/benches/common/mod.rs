//! What the benchmarks share: the deterministic dataset and peak-memory readings.
//!
//! The dataset has 12 columns of every kind a research table has: integers, floats with
//! nulls, text with quotes, commas, newlines and non-ASCII, dates, datetimes, booleans and
//! categories. The same seed gives the same bytes on every machine.

#![allow(dead_code)]

use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `rows` rows of the benchmark table as CSV; returns the file's size.
pub fn generate_csv(path: &Path, rows: usize) -> u64 {
    let mut out =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("create csv"));
    writeln!(
        out,
        "id,amount,ratio,name,comment,city,born,seen_at,active,category,count,code"
    )
    .unwrap();
    let cities = [
        "Zürich",
        "København",
        "東京",
        "São Paulo",
        "Reykjavík",
        "Nairobi",
    ];
    let categories = ["alpha", "beta", "gamma", "delta"];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..rows {
        let r = next();
        let amount = (r % 1_000_000) as f64 / 100.0;
        let ratio = if r % 10 == 0 {
            String::new()
        } else {
            format!("{:.4}", (r % 10_000) as f64 / 10_000.0)
        };
        let comment = match r % 5 {
            0 => "\"said \"\"hello\"\", then left\"".to_owned(),
            1 => "\"line one\nline two\"".to_owned(),
            2 => "plain".to_owned(),
            3 => "naïve café".to_owned(),
            _ => String::new(),
        };
        let day = 1 + (r % 28);
        let month = 1 + (r / 28 % 12);
        let year = 1950 + (r / 336 % 70);
        writeln!(
            out,
            "{i},{amount},{ratio},name-{},{comment},{},{year}-{month:02}-{day:02},2024-{month:02}-{day:02} {:02}:{:02}:{:02},{},{},{},{:08x}",
            r % 100_000,
            cities[(r % cities.len() as u64) as usize],
            r % 24,
            r % 60,
            (r >> 8) % 60,
            r % 2 == 0,
            categories[((r >> 4) % 4) as usize],
            (r >> 16) % 1000,
            r as u32,
        )
        .unwrap();
    }
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// Peak resident memory (VmHWM) of a process, in KiB.
/// Starts this process's peak memory (`VmHWM`) over from what it holds now, so that a case
/// measures its own work and not what came before it (Linux: `clear_refs`, value 5).
pub fn reset_peak_rss() {
    if let Err(err) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak memory counter: {err}");
    }
}

pub fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
