//! Whole exports, run natively and read back: cell values and types with calamine, layout
//! (widths, panes, filters, formats) from the sheet XML itself.

use super::*;
use calamine::{Data, Range, Reader, Xlsx};
use std::io::Cursor;
use tessera_plugin_sdk::testing::{export_request, run_export};
use tessera_plugin_sdk::{ColumnData, ColumnType};

fn export(
    schema: &[(&str, ColumnType)],
    options: &str,
    batches: Vec<Vec<ColumnData>>,
) -> Result<Vec<u8>, PluginError> {
    run_export::<XlsxExporter>(
        export_request(schema, options),
        batches.into_iter().map(Batch::from_columns),
    )
}

/// Runs an export with sheets of `sheet_rows` rows, as the host would call it.
fn export_with_sheet_rows(
    request: ExportRequest,
    sheet_rows: u32,
    batches: Vec<Vec<ColumnData>>,
) -> Vec<u8> {
    let mut exporter = XlsxExporter::create(&request, scratch_dir(), sheet_rows).expect("create");
    let mut output = exporter.begin(&request).expect("begin");
    for columns in batches {
        let batch = Batch::from_columns(columns);
        batch
            .check_shape(&request.schema)
            .expect("batch fits the schema");
        output.extend(exporter.write_batch(&batch).expect("write_batch"));
    }
    output.extend(exporter.finish().expect("finish"));
    output
}

fn workbook(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(bytes.to_vec())).expect("a readable workbook")
}

fn sheet(bytes: &[u8], name: &str) -> Range<Data> {
    workbook(bytes).worksheet_range(name).expect("the sheet")
}

fn cell(range: &Range<Data>, row: u32, column: u32) -> Data {
    range
        .get_value((row, column))
        .cloned()
        .unwrap_or(Data::Empty)
}

/// The text of one part of the archive, e.g. `xl/worksheets/sheet1.xml`.
fn part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
    let mut entry = archive.by_name(name).expect("the part");
    let mut text = String::new();
    entry.read_to_string(&mut text).expect("UTF-8");
    text
}

fn invalid_options(options: &str) -> String {
    match export(&[("a", ColumnType::Int64)], options, vec![]) {
        Err(PluginError::InvalidOptions(message)) => message,
        other => panic!("expected invalid options, got {other:?}"),
    }
}

fn date_serial(data: &Data) -> f64 {
    match data {
        Data::DateTime(when) => {
            assert!(when.is_datetime(), "{data:?} is a date");
            when.as_f64()
        }
        other => panic!("expected a date, got {other:?}"),
    }
}

fn every_type() -> (Vec<(&'static str, ColumnType)>, Vec<ColumnData>) {
    let schema = vec![
        ("id", ColumnType::Int64),
        ("score", ColumnType::Float64),
        ("ok", ColumnType::Boolean),
        ("name", ColumnType::Utf8),
        ("day", ColumnType::Date),
        ("at", ColumnType::Datetime),
        ("nothing", ColumnType::Null),
    ];
    let columns = vec![
        ColumnData::int64([Some(1), None, Some(-7)]),
        ColumnData::float64([Some(0.5), Some(f64::NAN), None]),
        ColumnData::boolean([Some(true), Some(false), None]),
        ColumnData::utf8([Some("plain"), None, Some("")]),
        // 2024-01-01, none, 1899-12-31 (before Excel's calendar)
        ColumnData::date([Some(19_723), None, Some(-25_568)]),
        // 2023-11-14T22:13:20Z, none, the epoch
        ColumnData::datetime([Some(1_700_000_000_000_000), None, Some(0)]),
        ColumnData::null(3),
    ];
    (schema, columns)
}

#[test]
fn every_type_reads_back_as_the_right_excel_type() {
    let (schema, columns) = every_type();
    let bytes = export(&schema, "{}", vec![columns]).unwrap();
    assert_eq!(&bytes[..4], b"PK\x03\x04", "a zip archive");
    let data = sheet(&bytes, "Data");

    let header: Vec<Data> = (0..7).map(|column| cell(&data, 0, column)).collect();
    let names = ["id", "score", "ok", "name", "day", "at", "nothing"];
    assert_eq!(header, names.map(|name| Data::String(name.into())).to_vec());

    assert_eq!(cell(&data, 1, 0), Data::Float(1.0));
    assert_eq!(cell(&data, 1, 1), Data::Float(0.5));
    assert_eq!(cell(&data, 1, 2), Data::Bool(true));
    assert_eq!(cell(&data, 1, 3), Data::String("plain".into()));
    assert_eq!(date_serial(&cell(&data, 1, 4)), 45_292.0);
    let at = date_serial(&cell(&data, 1, 5));
    assert_eq!(at.floor(), 45_244.0);
    assert!(
        ((at - at.floor()) * 86_400.0 - 80_000.0).abs() < 1e-3,
        "22:13:20"
    );
    assert_eq!(cell(&data, 1, 6), Data::Empty);

    // Nulls are empty cells; NaN is text; empty text is an empty cell.
    assert_eq!(cell(&data, 2, 0), Data::Empty);
    assert_eq!(cell(&data, 2, 1), Data::String("NaN".into()));
    assert_eq!(cell(&data, 2, 2), Data::Bool(false));
    assert_eq!(cell(&data, 2, 3), Data::Empty);
    assert_eq!(cell(&data, 2, 4), Data::Empty);
    assert_eq!(cell(&data, 2, 5), Data::Empty);

    assert_eq!(cell(&data, 3, 0), Data::Float(-7.0));
    assert_eq!(cell(&data, 3, 1), Data::Empty);
    assert_eq!(cell(&data, 3, 3), Data::Empty);
    assert_eq!(cell(&data, 3, 4), Data::String("1899-12-31".into()));
    assert_eq!(date_serial(&cell(&data, 3, 5)), 25_569.0);
    assert_eq!(data.end(), Some((3, 6)), "the header is the widest row");
}

#[test]
fn cells_carry_the_formats_of_their_types() {
    let (schema, columns) = every_type();
    let bytes = export(
        &schema,
        r#"{"date_format": "dd/mm/yyyy", "datetime_format": "yyyy-mm-dd hh:mm:ss.000"}"#,
        vec![columns],
    )
    .unwrap();
    let styles = part(&bytes, "xl/styles.xml");
    assert!(styles.contains(r#"formatCode="dd/mm/yyyy""#), "{styles}");
    assert!(
        styles.contains(r#"formatCode="yyyy-mm-dd hh:mm:ss.000""#),
        "{styles}"
    );
    assert!(
        styles.contains("<b/>"),
        "a bold font for the header: {styles}"
    );
    // The integer format "0" is Excel's built-in format 1.
    assert!(styles.contains(r#"numFmtId="1""#), "{styles}");
}

#[test]
fn the_header_is_frozen_and_filtered_and_columns_are_fitted() {
    let bytes = export(
        &[
            ("id", ColumnType::Int64),
            ("a longer name", ColumnType::Utf8),
        ],
        "{}",
        vec![vec![
            ColumnData::int64([Some(1), Some(2)]),
            ColumnData::utf8([Some("x"), Some("a value longer than its header")]),
        ]],
    )
    .unwrap();
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        xml.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "{xml}"
    );
    assert!(xml.contains(r#"<autoFilter ref="A1:B3"/>"#), "{xml}");
    // Column widths: two <col> elements, the text column wider than the id column.
    let widths: Vec<f64> = xml
        .split("<col ")
        .skip(1)
        .map(|col| {
            let width = col.split("width=\"").nth(1).unwrap();
            width[..width.find('"').unwrap()].parse().unwrap()
        })
        .collect();
    assert_eq!(widths.len(), 2, "{xml}");
    assert!(widths[1] > widths[0] && widths[1] > 30.0, "{widths:?}");
    let workbook_xml = part(&bytes, "xl/workbook.xml");
    assert!(
        workbook_xml.contains("_xlnm._FilterDatabase"),
        "{workbook_xml}"
    );
}

#[test]
fn without_a_header_there_is_nothing_to_freeze_or_filter() {
    let bytes = export(
        &[("n", ColumnType::Int64)],
        r#"{"header": false}"#,
        vec![vec![ColumnData::int64([Some(5)])]],
    )
    .unwrap();
    let data = sheet(&bytes, "Data");
    assert_eq!(cell(&data, 0, 0), Data::Float(5.0));
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        !xml.contains("<pane") && !xml.contains("<autoFilter"),
        "{xml}"
    );
}

#[test]
fn freeze_and_filter_can_be_turned_off() {
    let bytes = export(
        &[("n", ColumnType::Int64)],
        r#"{"freeze_header": false, "autofilter": false}"#,
        vec![vec![ColumnData::int64([Some(5)])]],
    )
    .unwrap();
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        !xml.contains("<pane") && !xml.contains("<autoFilter"),
        "{xml}"
    );
    assert_eq!(cell(&sheet(&bytes, "Data"), 0, 0), Data::String("n".into()));
}

#[test]
fn rows_past_a_sheets_limit_continue_on_further_sheets() {
    // Four rows a sheet: the header and three data rows.
    let request = export_request(&[("n", ColumnType::Int64), ("s", ColumnType::Utf8)], "{}");
    let numbers = |range: std::ops::Range<i64>| {
        vec![
            ColumnData::int64(range.clone().map(Some)),
            ColumnData::utf8(
                range
                    .map(|n| {
                        if n % 2 == 0 {
                            Some("even")
                        } else {
                            Some("odd")
                        }
                    })
                    .collect::<Vec<_>>(),
            ),
        ]
    };
    let bytes = export_with_sheet_rows(request, 4, vec![numbers(0..5), numbers(5..8)]);

    let mut book = workbook(&bytes);
    assert_eq!(
        book.sheet_names(),
        ["Data", "Data (2)", "Data (3)", "Metadata"]
    );
    let mut seen = Vec::new();
    for name in ["Data", "Data (2)", "Data (3)"] {
        let range = book.worksheet_range(name).unwrap();
        assert_eq!(
            cell(&range, 0, 0),
            Data::String("n".into()),
            "{name} repeats the header"
        );
        assert_eq!(cell(&range, 0, 1), Data::String("s".into()));
        for row in 1..range.height() as u32 {
            match cell(&range, row, 0) {
                Data::Float(n) => seen.push(n as i64),
                other => panic!("{name} row {row}: {other:?}"),
            }
        }
    }
    assert_eq!(seen, (0..8).collect::<Vec<_>>(), "every row once, in order");

    for (index, last_row) in [(1, 4), (2, 4), (3, 3)] {
        let xml = part(&bytes, &format!("xl/worksheets/sheet{index}.xml"));
        assert!(
            xml.contains(&format!(r#"<autoFilter ref="A1:B{last_row}"/>"#)),
            "{xml}"
        );
        assert!(
            xml.contains(r#"state="frozen""#),
            "sheet {index} is frozen too"
        );
        assert!(xml.contains("<col "), "sheet {index} has the widths too");
    }
    let metadata = sheet(&bytes, "Metadata");
    assert_eq!(metadata_value(&metadata, "Rows"), Data::Float(8.0));
    assert_eq!(
        metadata_value(&metadata, "Data sheets"),
        Data::String("Data, Data (2), Data (3)".into())
    );
}

#[test]
fn without_a_header_a_sheet_holds_one_more_row() {
    let request = export_request(&[("n", ColumnType::Int64)], r#"{"header": false}"#);
    let bytes = export_with_sheet_rows(request, 4, vec![vec![ColumnData::int64((0..5).map(Some))]]);
    let mut book = workbook(&bytes);
    assert_eq!(book.sheet_names(), ["Data", "Data (2)", "Metadata"]);
    assert_eq!(book.worksheet_range("Data").unwrap().height(), 4);
    assert_eq!(
        cell(&book.worksheet_range("Data (2)").unwrap(), 0, 0),
        Data::Float(4.0)
    );
}

/// Excel's real limit, to be sure the small limits above stand for it. A million rows take
/// about 4 s in a release build but half a minute in a debug one, so it runs on request:
/// `cargo test --release -p tessera-plugin-xlsx -- --ignored`.
#[test]
#[ignore = "a million rows: slow in a debug build; run with --release -- --ignored"]
fn a_full_size_sheet_holds_1_048_575_rows_under_its_header() {
    const ROWS: i64 = 1_048_576;
    let request = export_request(&[("n", ColumnType::Int64)], r#"{"metadata_sheet": false}"#);
    let batches: Vec<Vec<ColumnData>> = (0..ROWS)
        .step_by(65_536)
        .map(|start| {
            vec![ColumnData::int64(
                (start..(start + 65_536).min(ROWS)).map(Some),
            )]
        })
        .collect();
    let bytes = export_with_sheet_rows(request, EXCEL_MAX_ROWS, batches);
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
    assert!(
        archive.by_name("xl/worksheets/sheet3.xml").is_err(),
        "two sheets only"
    );
    let mut second = String::new();
    archive
        .by_name("xl/worksheets/sheet2.xml")
        .unwrap()
        .read_to_string(&mut second)
        .unwrap();
    // The last value, 1,048,575, is the only data row of the second sheet.
    assert!(second.contains(r#"<dimension ref="A1:A2"/>"#), "{second}");
    assert!(second.contains("<v>1048575</v>"), "{second}");
    let mut first = String::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut first)
        .unwrap();
    assert!(first.contains(r#"<dimension ref="A1:A1048576"/>"#));
    assert!(first.contains(r#"<autoFilter ref="A1:A1048576"/>"#));
}

fn metadata_value(range: &Range<Data>, label: &str) -> Data {
    let row = (0..range.height() as u32)
        .find(|row| cell(range, *row, 0) == Data::String(label.into()))
        .unwrap_or_else(|| panic!("no {label} row"));
    cell(range, row, 1)
}

#[test]
fn the_metadata_sheet_describes_dataset_and_export() {
    let mut request = export_request(
        &[("id", ColumnType::Int64), ("when", ColumnType::Datetime)],
        "{}",
    );
    request.dataset.id = "0195f6d2-7c1e-7000-8000-000000000001".into();
    request.dataset.name = "Bird counts".into();
    request.dataset.description = "Weekly counts, _x0041_ literally".into();
    request.dataset.version = 3;
    request.dataset.licence = Some("CC-BY-4.0".into());
    request.dataset.tags = vec!["birds".into(), "survey".into()];
    request.dataset.version_sha256 = "ab".repeat(32);
    request.exported_at = "2024-05-06T07:08:09Z".into();
    let bytes = run_export::<XlsxExporter>(
        request,
        [Batch::from_columns(vec![
            ColumnData::int64([Some(1), Some(2)]),
            ColumnData::datetime([None, Some(0)]),
        ])],
    )
    .unwrap();

    let mut book = workbook(&bytes);
    assert_eq!(book.sheet_names(), ["Data", "Metadata"]);
    let metadata = book.worksheet_range("Metadata").unwrap();
    let text = |value: &str| Data::String(value.into());
    assert_eq!(cell(&metadata, 0, 0), text("Field"));
    assert_eq!(cell(&metadata, 0, 1), text("Value"));
    let expected = [
        ("Dataset", text("Bird counts")),
        ("Description", text("Weekly counts, _x0041_ literally")),
        ("Dataset id", text("0195f6d2-7c1e-7000-8000-000000000001")),
        ("Version", Data::Float(3.0)),
        ("Version SHA-256", text(&"ab".repeat(32))),
        ("Licence", text("CC-BY-4.0")),
        ("Tags", text("birds, survey")),
        ("Rows", Data::Float(2.0)),
        ("Data sheets", text("Data")),
        ("Exported at", text("2024-05-06T07:08:09Z")),
        ("Format", text("xlsx")),
        (
            "Plugin",
            text(&format!(
                "tessera-plugin-xlsx {}",
                env!("CARGO_PKG_VERSION")
            )),
        ),
    ];
    for (label, value) in expected {
        assert_eq!(metadata_value(&metadata, label), value, "{label}");
    }
    assert_eq!(metadata_value(&metadata, "Column"), text("Type"));
    assert_eq!(metadata_value(&metadata, "id"), text("int64"));
    assert_eq!(metadata_value(&metadata, "when"), text("datetime"));

    let core = part(&bytes, "docProps/core.xml");
    assert!(core.contains("<dc:title>Bird counts</dc:title>"), "{core}");
    assert!(
        core.contains(">2024-05-06T07:08:09Z</dcterms:created>"),
        "{core}"
    );
    assert!(
        core.contains(">2024-05-06T07:08:09Z</dcterms:modified>"),
        "{core}"
    );
}

// Issue 14, item 22: Excel has no time zones, so an instant (a value given with a zone, kept in
// UTC) is a date and time in UTC, and the metadata sheet says which columns are in UTC.
#[test]
fn utc_datetimes_are_utc_cells_and_the_metadata_says_so() {
    let request = export_request(
        &[
            ("at", ColumnType::Datetime),
            ("local", ColumnType::Datetime),
        ],
        "{}",
    )
    .with_utc_columns(&["at"]);
    let bytes = run_export::<XlsxExporter>(
        request,
        [Batch::from_columns(vec![
            ColumnData::datetime([Some(1_717_245_000_000_000)]),
            ColumnData::datetime([Some(1_704_099_600_000_000)]),
        ])],
    )
    .unwrap();
    let data = sheet(&bytes, "Data");
    // 2024-06-01 is day 45,444 of Excel's calendar; 12:30 is 45,000 s into it.
    let at = date_serial(&cell(&data, 1, 0));
    assert_eq!(at.floor(), 45_444.0);
    assert!(((at - at.floor()) * 86_400.0 - 45_000.0).abs() < 1e-3);
    let metadata = sheet(&bytes, "Metadata");
    assert_eq!(
        metadata_value(&metadata, "at"),
        Data::String("datetime[UTC]".into())
    );
    assert_eq!(
        metadata_value(&metadata, "local"),
        Data::String("datetime".into())
    );
}

#[test]
fn the_metadata_sheet_can_be_left_out() {
    let bytes = export(
        &[("n", ColumnType::Int64)],
        r#"{"metadata_sheet": false, "sheet_name": "Metadata"}"#,
        vec![],
    )
    .unwrap();
    assert_eq!(workbook(&bytes).sheet_names(), ["Metadata"]);
}

#[test]
fn the_sheet_name_is_the_users() {
    let bytes = export(
        &[("n", ColumnType::Int64)],
        r#"{"sheet_name": "Zählung 2024"}"#,
        vec![vec![ColumnData::int64([Some(1)])]],
    )
    .unwrap();
    assert_eq!(workbook(&bytes).sheet_names(), ["Zählung 2024", "Metadata"]);
}

#[test]
fn continuation_sheet_names_stay_within_excels_limit() {
    let base = "x".repeat(31);
    assert_eq!(data_sheet_name(&base, 1, &[]), base);
    assert_eq!(
        data_sheet_name(&base, 2, &[]),
        format!("{} (2)", "x".repeat(27))
    );
    assert_eq!(
        data_sheet_name(&base, 100, &[]),
        format!("{} (100)", "x".repeat(25))
    );
    // A name that would repeat an earlier one is cut further.
    let tricky = format!("{} (2)", "y".repeat(27));
    let earlier = [tricky.clone()];
    let second = data_sheet_name(&tricky, 2, &earlier);
    assert_eq!(second, format!("{} (2)", "y".repeat(26)));
    // Characters outside the BMP count two units and are not split.
    let emoji = "😀".repeat(15);
    let name = data_sheet_name(&emoji, 2, &[]);
    assert_eq!(name, format!("{} (2)", "😀".repeat(13)));
    assert!(name.encode_utf16().count() <= MAX_SHEET_NAME_UNITS);
}

#[test]
fn an_empty_export_is_a_header_and_a_metadata_sheet() {
    let bytes = export(
        &[("a", ColumnType::Utf8), ("b", ColumnType::Date)],
        "{}",
        vec![],
    )
    .unwrap();
    let data = sheet(&bytes, "Data");
    assert_eq!(data.height(), 1);
    assert_eq!(cell(&data, 0, 1), Data::String("b".into()));
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"<autoFilter ref="A1:B1"/>"#), "{xml}");
    assert_eq!(
        metadata_value(&sheet(&bytes, "Metadata"), "Rows"),
        Data::Float(0.0)
    );
}

#[test]
fn an_export_without_columns_still_makes_a_workbook() {
    let bytes = export(&[], "{}", vec![]).unwrap();
    assert_eq!(workbook(&bytes).sheet_names(), ["Data", "Metadata"]);
}

#[test]
fn values_excel_cannot_hold_are_kept_as_text() {
    let long = "é".repeat(40_000);
    let bytes = export(
        &[
            ("i", ColumnType::Int64),
            ("f", ColumnType::Float64),
            ("t", ColumnType::Utf8),
        ],
        "{}",
        vec![vec![
            ColumnData::int64([Some(1_234_567_890_123_456_789), Some(i64::MIN)]),
            ColumnData::float64([Some(f64::INFINITY), Some(f64::NEG_INFINITY)]),
            ColumnData::utf8([Some(long.as_str()), Some("_x000D_ and\u{1}control")]),
        ]],
    )
    .unwrap();
    let data = sheet(&bytes, "Data");
    assert_eq!(
        cell(&data, 1, 0),
        Data::String("1234567890123456789".into())
    );
    assert_eq!(
        cell(&data, 2, 0),
        Data::String("-9223372036854775808".into())
    );
    assert_eq!(cell(&data, 1, 1), Data::String("Infinity".into()));
    assert_eq!(cell(&data, 2, 1), Data::String("-Infinity".into()));
    match cell(&data, 1, 2) {
        Data::String(text) => {
            assert!(text.ends_with(cells::TRUNCATION_MARKER));
            assert_eq!(text.encode_utf16().count(), cells::MAX_CELL_UNITS);
            assert!(text.starts_with("éééé"));
        }
        other => panic!("expected text, got {other:?}"),
    }
    assert_eq!(
        cell(&data, 2, 2),
        Data::String("_x000D_ and\u{1}control".into()),
        "literal escapes and control characters survive"
    );
}

#[test]
fn the_same_export_gives_the_same_bytes() {
    let run = |exported_at: &str| {
        let (schema, columns) = every_type();
        let mut request = export_request(&schema, "{}");
        request.exported_at = exported_at.into();
        let batches = [
            Batch::from_columns(columns.clone()),
            Batch::from_columns(columns),
        ];
        run_export::<XlsxExporter>(request, batches).unwrap()
    };
    let first = run("2024-01-01T00:00:00Z");
    let second = run("2024-01-01T00:00:00Z");
    assert!(first == second, "two runs of one export differ");
    let later = run("2024-01-02T00:00:00Z");
    assert!(first != later, "the export time is in the file");
}

#[test]
fn without_a_scratch_folder_begin_fails_clearly() {
    let request = export_request(&[("n", ColumnType::Int64)], "{}");
    match XlsxExporter::create(&request, None, EXCEL_MAX_ROWS) {
        Err(PluginError::Failed(message)) => {
            assert!(message.contains("scratch folder"), "{message}");
            assert!(message.contains("scratch_mb"), "{message}");
        }
        Err(other) => panic!("expected a failure, got {other:?}"),
        Ok(_) => panic!("expected a failure"),
    }
}

#[test]
fn an_unusable_scratch_folder_fails_clearly() {
    let request = export_request(&[("n", ColumnType::Int64)], "{}");
    let missing = std::env::temp_dir().join("tessera-xlsx-test-no-such-folder");
    match XlsxExporter::create(&request, Some(missing), EXCEL_MAX_ROWS) {
        Err(PluginError::Failed(message)) => {
            assert!(
                message.starts_with("cannot use the scratch folder"),
                "{message}"
            )
        }
        Err(other) => panic!("expected a failure, got {other:?}"),
        Ok(_) => panic!("expected a failure"),
    }
}

#[test]
fn too_many_columns_are_refused() {
    let names: Vec<String> = (0..=EXCEL_MAX_COLUMNS).map(|n| format!("c{n}")).collect();
    let schema: Vec<(&str, ColumnType)> = names
        .iter()
        .map(|name| (name.as_str(), ColumnType::Null))
        .collect();
    let error = export(&schema, "{}", vec![]).unwrap_err();
    assert!(
        error.message().contains("at most 16384 columns"),
        "{error:?}"
    );
}

#[test]
fn bad_options_are_refused_with_the_option_named() {
    assert!(invalid_options(r#"{"sheet_name": "a/b"}"#).starts_with("option `sheet_name`"));
    assert!(invalid_options(r#"{"sheet_name": "Metadata"}"#).starts_with("option `sheet_name`"));
    assert!(invalid_options(r#"{"date_format": ""}"#).starts_with("option `date_format`"));
    assert!(invalid_options(r#"{"autofilter": 1}"#).starts_with("option `autofilter`"));
    assert!(
        invalid_options(r#"{"compress": true}"#).starts_with("options: unknown field `compress`")
    );
}

#[test]
fn schema_defaults_pass_excels_rules() {
    // The defaults the export form shows, sent back, pass the checks the schema cannot make.
    let schema: serde_json::Value =
        serde_json::from_str(&XlsxExporter::info().options_schema).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    let defaults: serde_json::Map<String, serde_json::Value> = properties
        .iter()
        .map(|(name, property)| (name.clone(), property["default"].clone()))
        .collect();
    let from_schema = XlsxOptions::parse(&serde_json::Value::Object(defaults).to_string()).unwrap();
    assert_eq!(from_schema, XlsxOptions::default());
    assert_eq!(
        properties.len(),
        7,
        "every option has a default in the schema"
    );
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn describes_itself() {
    let info = XlsxExporter::info();
    assert_eq!(
        (
            info.id.as_str(),
            info.media_type.as_str(),
            info.extension.as_str()
        ),
        ("xlsx", MEDIA_TYPE, "xlsx")
    );
    assert!(!info.wants_stats);
}
