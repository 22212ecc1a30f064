//! Whole packages, opened with the `zip` crate and checked against the spec's promises.

use super::*;
use ::zip::ZipArchive;
use serde_json::{Value, json};
use std::io::{Cursor, Read};
use tessera_plugin_sdk::testing::{export_request, run_export};
use tessera_plugin_sdk::{ColumnData, ColumnType};

/// The entries of a package, in order: (name, contents).
fn unzip(package: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let mut archive = ZipArchive::new(Cursor::new(package)).unwrap();
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (entry.name().to_owned(), data)
        })
        .collect()
}

/// The CSV text and the parsed `datapackage.json` of a package.
fn open(package: Vec<u8>) -> (String, Value) {
    let entries = unzip(package);
    assert_eq!(entries.len(), 2, "one CSV, one descriptor");
    assert_eq!(entries[1].0, "datapackage.json");
    let descriptor: Value = serde_json::from_slice(&entries[1].1).unwrap();
    assert_eq!(
        descriptor["resources"][0]["path"], entries[0].0,
        "the resource points at the CSV"
    );
    (String::from_utf8(entries[0].1.clone()).unwrap(), descriptor)
}

/// Computed apart from the plugin's own hasher, as a reader checking the package would.
fn sha256_hex(data: &[u8]) -> String {
    <sha2::Sha256 as sha2::Digest>::digest(data)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn every_type() -> (Vec<(&'static str, ColumnType)>, Vec<ColumnData>) {
    (
        vec![
            ("id", ColumnType::Int64),
            ("score", ColumnType::Float64),
            ("ok", ColumnType::Boolean),
            ("name", ColumnType::Utf8),
            ("day", ColumnType::Date),
            ("at", ColumnType::Datetime),
            ("nothing", ColumnType::Null),
        ],
        vec![
            ColumnData::int64([Some(1), None]),
            ColumnData::float64([Some(0.5), Some(f64::NEG_INFINITY)]),
            ColumnData::boolean([Some(true), Some(false)]),
            ColumnData::utf8([Some("a, \"b\""), None]),
            ColumnData::date([Some(19_723), None]),
            ColumnData::datetime([Some(1_500_000), Some(0)]),
            ColumnData::null(2),
        ],
    )
}

fn invalid_options(options: &str) -> String {
    let request = export_request(&[("a", ColumnType::Int64)], options);
    match run_export::<DatapackageExporter>(request, []) {
        Err(PluginError::InvalidOptions(message)) => message,
        other => panic!("expected invalid options, got {other:?}"),
    }
}

#[test]
fn the_package_describes_its_csv() {
    let (schema, columns) = every_type();
    let mut request = export_request(&schema, "{}");
    request.dataset.id = "ds-7".into();
    request.dataset.name = "Rainfall in Zürich".into();
    request.dataset.description = "Daily totals".into();
    request.dataset.version = 3;
    request.dataset.version_sha256 = "ab".repeat(32);
    request.dataset.licence = Some("CC-BY-4.0".into());
    request.dataset.tags = vec!["weather".into(), "switzerland".into()];
    request.exported_at = "2024-05-06T07:08:09Z".into();
    let package =
        run_export::<DatapackageExporter>(request, [Batch::from_columns(columns)]).unwrap();
    let (csv, descriptor) = open(package);

    assert_eq!(
        csv,
        "id,score,ok,name,day,at,nothing\n\
         1,0.5,true,\"a, \"\"b\"\"\",2024-01-01,1970-01-01T00:00:01.500000Z,\n\
         ,-INF,false,,,1970-01-01T00:00:00Z,\n"
    );
    let resource = &descriptor["resources"][0];
    assert_eq!(resource["bytes"], csv.len());
    assert_eq!(
        resource["hash"],
        format!("sha256:{}", sha256_hex(csv.as_bytes()))
    );
    assert_eq!(resource["rows"], 2);
    assert_eq!(
        descriptor,
        json!({
            "profile": "tabular-data-package",
            "name": "rainfall-in-zurich",
            "title": "Rainfall in Zürich",
            "description": "Daily totals",
            "version": "3",
            "created": "2024-05-06T07:08:09Z",
            "keywords": ["weather", "switzerland"],
            "licenses": [{
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0 International"
            }],
            "tessera": {
                "dataset_id": "ds-7",
                "dataset_version": 3,
                "version_sha256": "ab".repeat(32),
                "exported_at": "2024-05-06T07:08:09Z",
                "licence": "CC-BY-4.0"
            },
            "resources": [{
                "name": "rainfall-in-zurich",
                "path": "data/rainfall-in-zurich.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": csv.len(),
                "hash": format!("sha256:{}", sha256_hex(csv.as_bytes())),
                "rows": 2,
                "dialect": {
                    "delimiter": ",",
                    "lineTerminator": "\n",
                    "quoteChar": "\"",
                    "doubleQuote": true,
                    "header": true
                },
                "schema": {
                    "fields": [
                        {"name": "id", "type": "integer"},
                        {"name": "score", "type": "number"},
                        {"name": "ok", "type": "boolean"},
                        {"name": "name", "type": "string"},
                        {"name": "day", "type": "date"},
                        {"name": "at", "type": "datetime"},
                        {"name": "nothing", "type": "any"}
                    ],
                    "missingValues": [""]
                }
            }]
        })
    );
}

#[test]
fn optional_metadata_is_left_out_when_absent() {
    let request = export_request(&[("n", ColumnType::Int64)], "{}");
    let (_, descriptor) = open(run_export::<DatapackageExporter>(request, []).unwrap());
    let object = descriptor.as_object().unwrap();
    for absent in ["description", "keywords", "licenses"] {
        assert!(!object.contains_key(absent), "{absent}");
    }
    assert!(
        !descriptor["tessera"]
            .as_object()
            .unwrap()
            .contains_key("licence")
    );
    assert_eq!(descriptor["name"], "test-dataset");
}

#[test]
fn options_shape_the_csv_and_are_described() {
    let request = export_request(
        &[
            ("day", ColumnType::Date),
            ("at", ColumnType::Datetime),
            ("text", ColumnType::Utf8),
        ],
        r#"{"delimiter": ";", "line_ending": "crlf", "null_text": "NA",
            "date_format": "%d.%m.%Y", "datetime_format": "%Y-%m-%d %H:%M:%S"}"#,
    );
    let batch = Batch::from_columns(vec![
        ColumnData::date([Some(0), None]),
        ColumnData::datetime([Some(1_700_000_000_000_000), None]),
        ColumnData::utf8([Some("x;y"), None]),
    ]);
    let (csv, descriptor) = open(run_export::<DatapackageExporter>(request, [batch]).unwrap());
    assert_eq!(
        csv,
        "day;at;text\r\n01.01.1970;2023-11-14 22:13:20;\"x;y\"\r\nNA;NA;NA\r\n"
    );
    let resource = &descriptor["resources"][0];
    assert_eq!(resource["dialect"]["delimiter"], ";");
    assert_eq!(resource["dialect"]["lineTerminator"], "\r\n");
    assert_eq!(resource["schema"]["missingValues"], json!(["NA"]));
    assert_eq!(
        resource["schema"]["fields"],
        json!([
            {"name": "day", "type": "date", "format": "%d.%m.%Y"},
            {"name": "at", "type": "datetime", "format": "%Y-%m-%d %H:%M:%S"},
            {"name": "text", "type": "string"}
        ])
    );
}

#[test]
fn the_csv_round_trips_through_the_zip_across_batches() {
    let batches = (0..5).map(|batch| {
        let ids: Vec<Option<i64>> = (batch * 1000..(batch + 1) * 1000).map(Some).collect();
        let texts: Vec<String> = ids
            .iter()
            .map(|id| format!("row {}", id.unwrap_or(0)))
            .collect();
        Batch::from_columns(vec![
            ColumnData::int64(ids),
            ColumnData::utf8(texts.iter().map(|text| Some(text.as_str()))),
        ])
    });
    let request = export_request(
        &[("id", ColumnType::Int64), ("label", ColumnType::Utf8)],
        "",
    );
    let (csv, descriptor) = open(run_export::<DatapackageExporter>(request, batches).unwrap());
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,label"));
    for (expected, line) in (0..5000).zip(lines.by_ref()) {
        assert_eq!(line, format!("{expected},row {expected}"));
    }
    assert_eq!(lines.next(), None);
    assert_eq!(descriptor["resources"][0]["rows"], 5000);
    assert_eq!(descriptor["resources"][0]["bytes"], csv.len());
}

#[test]
fn output_streams_as_batches_arrive() {
    let request = export_request(&[("n", ColumnType::Int64)], "{}");
    let mut exporter = DatapackageExporter::new(&request).unwrap();
    let start = exporter.begin(&request).unwrap();
    assert_eq!(
        &start[..4],
        b"PK\x03\x04",
        "the CSV entry's local header comes first"
    );
    // Incompressible enough that the deflater must hand out blocks before the end.
    let mut state = 1u64;
    let mut produced = 0;
    for _ in 0..8 {
        let values: Vec<Option<i64>> = (0..20_000)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                Some((state >> 1) as i64)
            })
            .collect();
        produced += exporter
            .write_batch(&Batch::from_columns(vec![ColumnData::int64(values)]))
            .unwrap()
            .len();
    }
    assert!(
        produced > 1 << 20,
        "only {produced} bytes left before the end"
    );
    let end = exporter.finish().unwrap();
    assert!(
        end.len() < 64 << 10,
        "the end is the descriptor and directory only"
    );
}

#[test]
fn the_same_export_gives_the_same_bytes() {
    let export = || {
        let (schema, columns) = every_type();
        run_export::<DatapackageExporter>(
            export_request(&schema, "{}"),
            [Batch::from_columns(columns)],
        )
        .unwrap()
    };
    let first = export();
    assert!(first == export());
    let mut archive = ZipArchive::new(Cursor::new(first)).unwrap();
    let modified = archive.by_index(0).unwrap().last_modified().unwrap();
    assert_eq!(
        (modified.year(), modified.month(), modified.day()),
        (2024, 1, 1),
        "dated with the export's time"
    );
}

#[test]
fn an_empty_export_is_a_valid_package() {
    let request = export_request(&[("n", ColumnType::Int64)], "{}");
    let (csv, descriptor) = open(run_export::<DatapackageExporter>(request, []).unwrap());
    assert_eq!(csv, "n\n");
    assert_eq!(descriptor["resources"][0]["rows"], 0);
    assert_eq!(descriptor["resources"][0]["bytes"], 2);
}

#[test]
fn zip_times_come_from_the_export_time() {
    assert_eq!(
        zip_time("2024-05-06T07:08:09.123+02:00"),
        DosTime::new(2024, 5, 6, 7, 8, 9)
    );
    assert_eq!(
        zip_time("2024-05-06 07:08:09Z"),
        DosTime::new(2024, 5, 6, 7, 8, 9)
    );
    for not_a_time in [
        "",
        "yesterday",
        "2024-05-06",
        "2024-05-06T07:08:xxZ",
        "+2024-05-06T07:08:09Z",
    ] {
        assert_eq!(zip_time(not_a_time), DosTime::EARLIEST, "{not_a_time:?}");
    }
}

#[test]
fn bad_options_are_refused_with_the_option_named() {
    assert!(invalid_options(r#"{"delimiter": "ab"}"#).starts_with("option `delimiter`"));
    assert!(invalid_options(r#"{"delimiter": "\n"}"#).starts_with("option `delimiter`"));
    assert!(invalid_options(r#"{"null_text": "a,b"}"#).starts_with("option `null_text`"));
    assert!(invalid_options(r#"{"date_format": "%j"}"#).starts_with("option `date_format`"));
    assert!(invalid_options(r#"{"header": false}"#).starts_with("options: unknown field `header`"));
    assert!(invalid_options(r#"{"bom": true}"#).starts_with("options: unknown field `bom`"));
}

#[test]
fn schema_lists_every_option() {
    let schema: serde_json::Value =
        serde_json::from_str(&DatapackageExporter::info().options_schema).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    let defaults: serde_json::Map<String, serde_json::Value> = properties
        .iter()
        .filter_map(|(name, property)| Some((name.clone(), property.get("default")?.clone())))
        .collect();
    let from_schema: PackageOptions =
        parse_options(&serde_json::Value::Object(defaults).to_string()).unwrap();
    assert_eq!(from_schema, PackageOptions::default());
    let every_option: PackageOptions = parse_options(
        r#"{"delimiter": "\t", "null_text": "NA", "line_ending": "crlf",
            "date_format": "%d.%m.%Y", "datetime_format": "%H:%M"}"#,
    )
    .unwrap();
    assert_eq!(every_option.datetime_format.as_deref(), Some("%H:%M"));
    assert_eq!(properties.len(), 5, "every option above is in the schema");
}

#[test]
fn describes_itself() {
    let info = DatapackageExporter::info();
    assert_eq!(
        (
            info.id.as_str(),
            info.media_type.as_str(),
            info.extension.as_str()
        ),
        ("datapackage", "application/zip", "zip")
    );
    assert!(!info.wants_stats);
}
