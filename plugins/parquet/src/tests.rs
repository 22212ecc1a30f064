//! The files this format writes, read back with the `parquet` crate's own reader.

use super::*;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use tessera_plugin_sdk::ColumnData;
use tessera_plugin_sdk::testing::{export_request, run_export};

fn export(
    schema: &[(&str, ColumnType)],
    options: &str,
    batches: Vec<Vec<ColumnData>>,
) -> Result<Vec<u8>, PluginError> {
    run_export::<ParquetExporter>(
        export_request(schema, options),
        batches.into_iter().map(Batch::from_columns),
    )
}

fn read(file: Vec<u8>) -> SerializedFileReader<Bytes> {
    SerializedFileReader::new(Bytes::from(file)).unwrap()
}

/// Every row, each as its fields in column order.
fn rows(reader: &SerializedFileReader<Bytes>) -> Vec<Vec<Field>> {
    reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(_, field)| field.clone())
                .collect()
        })
        .collect()
}

fn ints(range: std::ops::Range<i64>) -> ColumnData {
    ColumnData::int64(range.map(Some))
}

fn invalid_options(options: &str) -> String {
    match export(&[("a", ColumnType::Int64)], options, vec![]) {
        Err(PluginError::InvalidOptions(message)) => message,
        other => panic!("expected invalid options, got {other:?}"),
    }
}

#[test]
fn every_type_reads_back_with_its_nulls() {
    let schema = [
        ("id", ColumnType::Int64),
        ("score", ColumnType::Float64),
        ("ok", ColumnType::Boolean),
        ("name", ColumnType::Utf8),
        ("day", ColumnType::Date),
        ("at", ColumnType::Datetime),
        ("nothing", ColumnType::Null),
    ];
    let file = export(
        &schema,
        "{}",
        vec![vec![
            ColumnData::int64([Some(1), None, Some(i64::MIN)]),
            ColumnData::float64([Some(0.5), Some(f64::INFINITY), None]),
            ColumnData::boolean([Some(true), None, Some(false)]),
            ColumnData::utf8([Some("zürich"), Some(""), None]),
            ColumnData::date([None, Some(19_723), Some(-1)]),
            ColumnData::datetime([Some(1_700_000_000_123_456), None, Some(-1)]),
            ColumnData::null(3),
        ]],
    )
    .unwrap();
    assert_eq!(&file[..4], b"PAR1");
    assert_eq!(&file[file.len() - 4..], b"PAR1");
    let reader = read(file);
    assert_eq!(
        rows(&reader),
        vec![
            vec![
                Field::Long(1),
                Field::Double(0.5),
                Field::Bool(true),
                Field::Str("zürich".into()),
                Field::Null,
                Field::TimestampMicros(1_700_000_000_123_456),
                Field::Null,
            ],
            vec![
                Field::Null,
                Field::Double(f64::INFINITY),
                Field::Null,
                Field::Str(String::new()),
                Field::Date(19_723),
                Field::Null,
                Field::Null,
            ],
            vec![
                Field::Long(i64::MIN),
                Field::Null,
                Field::Bool(false),
                Field::Null,
                Field::Date(-1),
                Field::TimestampMicros(-1),
                Field::Null,
            ],
        ]
    );
}

#[test]
fn columns_have_the_promised_parquet_types() {
    let schema = [
        ("b", ColumnType::Boolean),
        ("i", ColumnType::Int64),
        ("f", ColumnType::Float64),
        ("s", ColumnType::Utf8),
        ("d", ColumnType::Date),
        ("t", ColumnType::Datetime),
        ("n", ColumnType::Null),
    ];
    let reader = read(export(&schema, "{}", vec![]).unwrap());
    let descriptor = reader.metadata().file_metadata().schema_descr_ptr();
    let types: Vec<_> = descriptor
        .columns()
        .iter()
        .map(|column| {
            assert_eq!(column.max_def_level(), 1, "`{}` is OPTIONAL", column.name());
            (
                column.name().to_owned(),
                column.physical_type(),
                column.logical_type_ref().cloned(),
            )
        })
        .collect();
    assert_eq!(
        types,
        vec![
            ("b".into(), PhysicalType::BOOLEAN, None),
            ("i".into(), PhysicalType::INT64, None),
            ("f".into(), PhysicalType::DOUBLE, None),
            (
                "s".into(),
                PhysicalType::BYTE_ARRAY,
                Some(LogicalType::String)
            ),
            ("d".into(), PhysicalType::INT32, Some(LogicalType::Date)),
            (
                "t".into(),
                PhysicalType::INT64,
                Some(LogicalType::timestamp(false, TimeUnit::MICROS))
            ),
            ("n".into(), PhysicalType::INT32, Some(LogicalType::Unknown)),
        ]
    );
    assert_eq!(
        reader.metadata().num_row_groups(),
        0,
        "no rows, no row group"
    );
}

// Issue 14, item 22: instants (values given with a zone, kept in UTC) are timestamps adjusted
// to UTC, which readers load with the UTC zone; times given without a zone are local
// timestamps, which they load without one, as they were given.
#[test]
fn only_utc_datetimes_are_adjusted_to_utc() {
    let request = export_request(
        &[
            ("at", ColumnType::Datetime),
            ("local", ColumnType::Datetime),
        ],
        "{}",
    )
    .with_utc_columns(&["at"]);
    let file = run_export::<ParquetExporter>(
        request,
        [Batch::from_columns(vec![
            ColumnData::datetime([Some(1_717_245_000_000_000)]),
            ColumnData::datetime([Some(1_704_099_600_000_000)]),
        ])],
    )
    .unwrap();
    let reader = read(file);
    let descriptor = reader.metadata().file_metadata().schema_descr_ptr();
    let logical: Vec<_> = descriptor
        .columns()
        .iter()
        .map(|column| column.logical_type_ref().cloned())
        .collect();
    assert_eq!(
        logical,
        [
            Some(LogicalType::timestamp(true, TimeUnit::MICROS)),
            Some(LogicalType::timestamp(false, TimeUnit::MICROS)),
        ]
    );
    assert_eq!(
        rows(&reader),
        vec![vec![
            Field::TimestampMicros(1_717_245_000_000_000),
            Field::TimestampMicros(1_704_099_600_000_000),
        ]]
    );
}

#[test]
fn provenance_is_in_the_key_value_metadata() {
    let mut request = export_request(&[("a", ColumnType::Int64)], "{}");
    request.dataset.id = "ds-42".into();
    request.dataset.name = "Rainfall".into();
    request.dataset.version = 7;
    request.dataset.version_sha256 = "ab".repeat(32);
    request.dataset.licence = Some("CC-BY-4.0".into());
    request.exported_at = "2024-05-06T07:08:09Z".into();
    let file =
        run_export::<ParquetExporter>(request, [Batch::from_columns(vec![ints(0..2)])]).unwrap();
    let reader = read(file);
    let metadata: Vec<(String, Option<String>)> = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .unwrap()
        .iter()
        .map(|pair| (pair.key.clone(), pair.value.clone()))
        .collect();
    let expected = [
        ("tessera.dataset_id", "ds-42".to_owned()),
        ("tessera.dataset_name", "Rainfall".into()),
        ("tessera.dataset_version", "7".into()),
        ("tessera.version_sha256", "ab".repeat(32)),
        ("tessera.exported_at", "2024-05-06T07:08:09Z".into()),
        ("tessera.licence", "CC-BY-4.0".into()),
    ];
    assert_eq!(
        metadata,
        expected
            .iter()
            .map(|(key, value)| ((*key).to_owned(), Some(value.clone())))
            .collect::<Vec<_>>()
    );
    assert!(
        reader
            .metadata()
            .file_metadata()
            .created_by()
            .unwrap()
            .starts_with("parquet-rs version ")
    );
}

#[test]
fn row_groups_follow_row_group_rows_across_batches() {
    // 10 + 10 + 5 rows in batches of 7, 7, 7 and 4.
    let batches = vec![
        vec![ints(0..7)],
        vec![ints(7..14)],
        vec![ints(14..21)],
        vec![ints(21..25)],
    ];
    let reader = read(
        export(
            &[("n", ColumnType::Int64)],
            r#"{"row_group_rows": 10}"#,
            batches,
        )
        .unwrap(),
    );
    let sizes: Vec<i64> = reader
        .metadata()
        .row_groups()
        .iter()
        .map(|group| group.num_rows())
        .collect();
    assert_eq!(sizes, [10, 10, 5]);
    let values: Vec<Field> = rows(&reader).into_iter().flatten().collect();
    assert_eq!(values, (0..25).map(Field::Long).collect::<Vec<_>>());
}

#[test]
fn output_streams_one_row_group_at_a_time() {
    let request = export_request(&[("n", ColumnType::Int64)], r#"{"row_group_rows": 3}"#);
    let mut exporter = ParquetExporter::new(&request).unwrap();
    let mut file = exporter.begin(&request).unwrap();
    assert_eq!(file, b"PAR1");
    let partial = exporter
        .write_batch(&Batch::from_columns(vec![ints(0..2)]))
        .unwrap();
    assert!(partial.is_empty(), "two rows do not fill a row group");
    let group = exporter
        .write_batch(&Batch::from_columns(vec![ints(2..4)]))
        .unwrap();
    assert!(
        !group.is_empty(),
        "the third row closes the first row group"
    );
    file.extend(group);
    let rest = exporter.finish().unwrap();
    assert!(rest.ends_with(b"PAR1"));
    file.extend(rest);
    let reader = read(file);
    assert_eq!(reader.metadata().num_row_groups(), 2);
    assert_eq!(reader.metadata().file_metadata().num_rows(), 4);
}

#[test]
fn wide_rows_end_row_groups_by_size() {
    // 40,000 rows of 1 KiB text: about 40 MiB, over twice the 16 MiB budget, which is checked
    // every 8,192 rows.
    let text = "x".repeat(1024);
    let batch = || vec![ColumnData::utf8((0..10_000).map(|_| Some(text.as_str())))];
    let reader = read(
        export(
            &[("s", ColumnType::Utf8)],
            "{}",
            vec![batch(), batch(), batch(), batch()],
        )
        .unwrap(),
    );
    let sizes: Vec<i64> = reader
        .metadata()
        .row_groups()
        .iter()
        .map(|group| group.num_rows())
        .collect();
    assert_eq!(sizes, [16_384, 16_384, 7_232]);
}

#[test]
fn long_texts_and_block_boundaries_read_back() {
    // Buffered texts live in blocks of up to 1 MiB; these cross, fill and outgrow them.
    let texts: Vec<String> = [3 << 20, 0, 700 << 10, 700 << 10, 1, 64 << 10]
        .iter()
        .enumerate()
        .map(|(index, length)| char::from(b'a' + index as u8).to_string().repeat(*length))
        .collect();
    let file = export(
        &[("s", ColumnType::Utf8)],
        "{}",
        vec![vec![ColumnData::utf8(
            texts.iter().map(|text| Some(text.as_str())),
        )]],
    )
    .unwrap();
    let read: Vec<Field> = rows(&read(file)).into_iter().flatten().collect();
    assert_eq!(read, texts.into_iter().map(Field::Str).collect::<Vec<_>>());
}

#[test]
fn the_layout_does_not_depend_on_how_rows_are_batched() {
    let schema = [("n", ColumnType::Int64), ("s", ColumnType::Utf8)];
    let column = |range: std::ops::Range<i64>| {
        let texts: Vec<Option<String>> = range
            .clone()
            .map(|n| (n % 3 != 0).then(|| format!("row {n}")))
            .collect();
        vec![
            ints(range),
            ColumnData::utf8(texts.iter().map(|text| text.as_deref())),
        ]
    };
    let options = r#"{"row_group_rows": 1000}"#;
    let whole = export(&schema, options, vec![column(0..2500)]).unwrap();
    let pieces = export(
        &schema,
        options,
        vec![
            column(0..1),
            column(1..999),
            column(999..2100),
            column(2100..2500),
        ],
    )
    .unwrap();
    assert!(whole == pieces, "same rows, same bytes");
    assert_eq!(
        whole,
        export(&schema, options, vec![column(0..2500)]).unwrap()
    );
}

#[test]
fn every_codec_reads_back() {
    for codec in ["snappy", "gzip", "lz4", "none"] {
        let file = export(
            &[("n", ColumnType::Int64), ("s", ColumnType::Utf8)],
            &format!(r#"{{"compression": "{codec}"}}"#),
            vec![vec![
                ints(0..1000),
                ColumnData::utf8((0..1000).map(|n| Some(if n % 2 == 0 { "even" } else { "odd" }))),
            ]],
        )
        .unwrap();
        let reader = read(file);
        let compression = reader.metadata().row_group(0).column(0).compression();
        let expected = match codec {
            "snappy" => Compression::SNAPPY,
            "gzip" => Compression::GZIP(GzipLevel::default()),
            "lz4" => Compression::LZ4_RAW,
            _ => Compression::UNCOMPRESSED,
        };
        // The footer records the codec, not its level.
        assert_eq!(
            std::mem::discriminant(&compression),
            std::mem::discriminant(&expected),
            "{codec}"
        );
        let rows = rows(&reader);
        assert_eq!(rows.len(), 1000, "{codec}");
        assert_eq!(rows[999], vec![Field::Long(999), Field::Str("odd".into())]);
    }
}

#[test]
fn a_schema_without_columns_is_refused() {
    assert_eq!(
        export(&[], "{}", vec![]),
        Err(PluginError::failed(
            "a Parquet file needs at least one column"
        ))
    );
}

#[test]
fn bad_options_are_refused_with_the_option_named() {
    assert!(invalid_options(r#"{"compression": "zstd"}"#).starts_with("option `compression`"));
    assert_eq!(
        invalid_options(r#"{"row_group_rows": 0}"#),
        "option `row_group_rows`: must be between 1 and 1048576"
    );
    assert!(
        invalid_options(r#"{"row_group_rows": 1048577}"#).starts_with("option `row_group_rows`")
    );
    assert!(invalid_options(r#"{"row_group_rows": -1}"#).starts_with("option `row_group_rows`"));
    assert!(invalid_options(r#"{"level": 3}"#).starts_with("options: unknown field `level`"));
}

#[test]
fn the_form_offers_every_codec() {
    let schema: serde_json::Value =
        serde_json::from_str(&ParquetExporter::info().options_schema).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    let defaults: serde_json::Map<String, serde_json::Value> = properties
        .iter()
        .filter_map(|(name, property)| Some((name.clone(), property.get("default")?.clone())))
        .collect();
    let from_schema: ParquetOptions =
        parse_options(&serde_json::Value::Object(defaults).to_string()).unwrap();
    assert_eq!(from_schema, ParquetOptions::default());
    assert_eq!(properties.len(), 2, "every option is in the schema");
    let codecs: Vec<Codec> =
        serde_json::from_value(properties["compression"]["enum"].clone()).unwrap();
    assert_eq!(codecs.len(), 4, "every codec in the schema parses");
}

#[test]
fn describes_itself() {
    let info = ParquetExporter::info();
    assert_eq!(
        (
            info.id.as_str(),
            info.media_type.as_str(),
            info.extension.as_str()
        ),
        ("parquet", "application/vnd.apache.parquet", "parquet")
    );
    assert!(!info.wants_stats);
}
