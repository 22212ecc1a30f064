//! Whole exports, read back the way a user's PDF viewer would: parsed, pages counted, text
//! extracted (which goes through the font's `/ToUnicode` map, so it also proves that the
//! characters are the ones drawn).

use super::*;
use tessera_plugin_sdk::testing::{export_request, run_export};
use tessera_plugin_sdk::{ColumnData, ColumnStats, ColumnType};

use crate::options::MAX_ROWS_LIMIT;

const SCHEMA: [(&str, ColumnType); 4] = [
    ("id", ColumnType::Int64),
    ("name", ColumnType::Utf8),
    ("score", ColumnType::Float64),
    ("day", ColumnType::Date),
];

/// Rows `first..first + count` of a small table with Latin and CJK text and some nulls.
fn batch(first: usize, count: usize) -> Batch {
    let rows = first..first + count;
    Batch::from_columns(vec![
        ColumnData::int64(rows.clone().map(|row| Some(row as i64 + 1))),
        ColumnData::utf8(rows.clone().map(|row| match row % 3 {
            0 => Some("Café crème"),
            1 => Some("漢字の行"),
            _ => None,
        })),
        ColumnData::float64(rows.clone().map(|row| Some(row as f64 / 4.0))),
        ColumnData::date(rows.map(|row| Some(19_723 + row as i32))),
    ])
}

fn request(options: &str, total_rows: u64) -> ExportRequest {
    let mut request = export_request(&SCHEMA, options);
    request.dataset.name = "Café sales 漢字".into();
    request.dataset.description = "Daily sales per shop.\nCollected by hand.".into();
    request.dataset.licence = Some("CC-BY-4.0".into());
    request.dataset.tags = vec!["sales".into(), "retail".into()];
    request.dataset.version = 3;
    request.dataset.version_sha256 = "ab".repeat(32);
    request.total_rows = total_rows;
    request.exported_at = "2024-05-01T12:34:56.789Z".into();
    request
}

/// Exports `rows` rows of the table above in batches of at most 1,000.
fn export_rows(options: &str, rows: usize) -> Vec<u8> {
    export_with(request(options, rows as u64), rows)
}

fn export_with(request: ExportRequest, rows: usize) -> Vec<u8> {
    let batches = (0..rows)
        .step_by(1000)
        .map(|first| batch(first, (rows - first).min(1000)));
    run_export::<PdfExporter>(request, batches).unwrap()
}

struct Pdf {
    document: lopdf::Document,
}

impl Pdf {
    fn parse(bytes: &[u8]) -> Self {
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        Pdf {
            document: lopdf::Document::load_mem(bytes).expect("the PDF parses"),
        }
    }

    fn page_count(&self) -> usize {
        self.document.get_pages().len()
    }

    /// The text of page `number` (1-based).
    fn text(&self, number: u32) -> String {
        self.document
            .extract_text(&[number])
            .expect("text extracts")
    }

    fn all_text(&self) -> String {
        (1..=self.page_count() as u32)
            .map(|n| self.text(n))
            .collect()
    }

    /// Width and height of page `number`, in points.
    fn page_size(&self, number: u32) -> (f32, f32) {
        let pages = self.document.get_pages();
        let page = self.document.get_dictionary(pages[&number]).unwrap();
        let media_box = page.get(b"MediaBox").unwrap().as_array().unwrap();
        let number = |object: &lopdf::Object| object.as_float().unwrap();
        (
            number(&media_box[2]) - number(&media_box[0]),
            number(&media_box[3]) - number(&media_box[1]),
        )
    }

    fn info(&self, key: &str) -> String {
        let reference = self
            .document
            .trailer
            .get(b"Info")
            .unwrap()
            .as_reference()
            .unwrap();
        let info = self.document.get_dictionary(reference).unwrap();
        let bytes = info.get(key.as_bytes()).unwrap().as_str().unwrap();
        match bytes.strip_prefix(&[0xfe, 0xff]) {
            Some(utf16) => String::from_utf16(
                &utf16
                    .chunks(2)
                    .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
            None => String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }
}

fn invalid_options(options: &str) -> String {
    match run_export::<PdfExporter>(request(options, 0), []) {
        Err(PluginError::InvalidOptions(message)) => message,
        other => panic!("expected invalid options, got {other:?}"),
    }
}

#[test]
fn a_small_export_is_one_page_with_everything_on_it() {
    let pdf = Pdf::parse(&export_rows("{}", 12));
    assert_eq!(pdf.page_count(), 1);
    let text = pdf.text(1);
    for expected in [
        "Café sales 漢字",
        "Exported 2024-05-01 12:34:56 UTC",
        "Daily sales per shop.",
        "Collected by hand.",
        "test-dataset",
        "abababab",
        "CC-BY-4.0",
        "sales, retail",
        "Showing all 12 rows.",
        "Café crème",
        "漢字の行",
        "2024-01-12",
        "2.75",
        "null",
        "Page 1 of 1",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn the_document_carries_its_metadata() {
    let pdf = Pdf::parse(&export_rows("{}", 3));
    assert_eq!(pdf.info("Title"), "Café sales 漢字");
    assert_eq!(pdf.info("CreationDate"), "D:20240501123456Z");
    assert_eq!(pdf.info("ModDate"), "D:20240501123456Z");
    assert_eq!(pdf.info("Keywords"), "sales, retail");
}

#[test]
fn long_tables_are_paginated_with_numbers_and_repeated_headers() {
    let pdf = Pdf::parse(&export_rows(r#"{"include_stats": false}"#, 300));
    let pages = pdf.page_count();
    assert!(pages >= 4, "{pages} pages for 300 rows");
    // Each row has exactly one of these in its `name` column.
    let rows_on = |page: u32| {
        let text = pdf.text(page);
        ["Café crème", "漢字の行", "null"]
            .iter()
            .map(|cell| text.matches(cell).count())
            .sum::<usize>()
    };
    for page in 1..=pages as u32 {
        let text = pdf.text(page);
        assert!(
            text.contains(&format!("Page {page} of {pages}")),
            "page {page}:\n{text}"
        );
        if page > 1 {
            let squeezed: String = text.split_whitespace().collect();
            assert!(
                squeezed.contains("#idnamescoreday"),
                "no header on page {page}:\n{text}"
            );
        }
    }
    let counts: Vec<usize> = (1..=pages as u32).map(rows_on).collect();
    assert_eq!(
        counts.iter().sum::<usize>(),
        300,
        "every row is shown once: {counts:?}"
    );
    // Every page but the first and the last is full: the same number of rows each.
    let full = counts[1];
    assert!(full > 20, "{counts:?}");
    assert!(
        counts[1..pages - 1].iter().all(|count| *count == full),
        "{counts:?}"
    );
}

#[test]
fn more_rows_mean_more_pages() {
    let count =
        |rows| Pdf::parse(&export_rows(r#"{"orientation": "portrait"}"#, rows)).page_count();
    let (few, many) = (count(50), count(1000));
    assert!(few < many, "{few} pages for 50 rows, {many} for 1,000");
    assert!((12..=20).contains(&many), "{many} pages for 1,000 rows");
}

#[test]
fn omitted_rows_are_noted() {
    let pdf = Pdf::parse(&export_rows(r#"{"max_rows": 10}"#, 2500));
    assert_eq!(pdf.page_count(), 1);
    let text = pdf.text(1);
    assert!(text.contains("Showing 10 of 2,500 rows."), "{text}");
    assert!(text.contains("2,500"), "the metadata counts every row");
    assert!(!text.contains("Page 1 of 2"));
}

#[test]
fn no_rows_at_all_is_said_plainly() {
    let text = Pdf::parse(&export_rows("{}", 0)).all_text();
    assert!(text.contains("The export has no rows."), "{text}");
    let without_table = Pdf::parse(&export_rows(r#"{"max_rows": 0}"#, 100)).all_text();
    assert!(
        !without_table.contains("Rows\n") && !without_table.contains("Showing"),
        "{without_table}"
    );
}

#[test]
fn wide_tables_get_landscape_pages() {
    let narrow = Pdf::parse(&export_rows("{}", 5));
    let (width, height) = narrow.page_size(1);
    assert!(width < height, "4 columns stay portrait");
    assert!((width - 595.28).abs() < 0.01, "A4 by default: {width}");

    let wide_schema: Vec<(String, ColumnType)> = (0..8)
        .map(|i| (format!("c{i}"), ColumnType::Int64))
        .collect();
    let wide_schema: Vec<(&str, ColumnType)> = wide_schema
        .iter()
        .map(|(name, kind)| (name.as_str(), *kind))
        .collect();
    let wide = |options: &str| {
        let batch = Batch::from_columns((0..8).map(|_| ColumnData::int64([Some(1)])).collect());
        let bytes =
            run_export::<PdfExporter>(export_request(&wide_schema, options), [batch]).unwrap();
        Pdf::parse(&bytes).page_size(1)
    };
    let (width, height) = wide("{}");
    assert!(width > height, "8 columns turn landscape");
    let (width, height) = wide(r#"{"orientation": "portrait"}"#);
    assert!(width < height, "unless portrait is asked for");
    let (width, height) = narrow_with(r#"{"orientation": "landscape", "page_size": "letter"}"#);
    assert_eq!((width, height), (792.0, 612.0));
}

fn narrow_with(options: &str) -> (f32, f32) {
    Pdf::parse(&export_rows(options, 5)).page_size(1)
}

#[test]
fn very_wide_tables_are_split_into_column_groups() {
    let names: Vec<String> = (0..40).map(|i| format!("column_{i}")).collect();
    let schema: Vec<(&str, ColumnType)> = names
        .iter()
        .map(|n| (n.as_str(), ColumnType::Int64))
        .collect();
    let batch = Batch::from_columns(
        (0..40)
            .map(|i| ColumnData::int64([Some(i), Some(i * 1000)]))
            .collect(),
    );
    let bytes = run_export::<PdfExporter>(
        export_request(&schema, r#"{"include_stats": false}"#),
        [batch],
    )
    .unwrap();
    let text = Pdf::parse(&bytes).all_text();
    assert!(text.contains("Rows, columns 1–14 of 40"), "{text}");
    assert!(text.contains("Rows, columns 28–40 of 40"), "{text}");
    assert!(
        text.contains("column_39") && text.contains("39000"),
        "{text}"
    );
}

#[test]
fn long_cells_are_cut_with_an_ellipsis() {
    let long = "word ".repeat(200);
    let batch = Batch::from_columns(vec![
        ColumnData::int64([Some(1)]),
        ColumnData::utf8([Some(long.as_str())]),
    ]);
    let schema = [("id", ColumnType::Int64), ("text", ColumnType::Utf8)];
    let bytes = run_export::<PdfExporter>(export_request(&schema, "{}"), [batch]).unwrap();
    let text = Pdf::parse(&bytes).all_text();
    assert!(text.contains("word word w…"), "{text}");
    assert!(!text.contains(long.trim_end()));
}

#[test]
fn statistics_are_shown_when_the_host_sends_them() {
    let mut with_stats = request("{}", 3);
    with_stats.stats = Some(vec![
        ColumnStats {
            name: "id".into(),
            count: 1_234_567,
            nulls: 0,
            min: Some("1".into()),
            max: Some("1234567".into()),
            mean: Some(617_284.0),
            distinct: Some(1_234_567),
        },
        ColumnStats {
            name: "name".into(),
            count: 2,
            nulls: 1,
            min: Some("Café crème".into()),
            max: Some("漢字の行".into()),
            mean: None,
            distinct: Some(2),
        },
    ]);
    let text = Pdf::parse(&export_with(with_stats, 3)).all_text();
    for expected in [
        "Column statistics",
        "CountNullsDistinctMinMaxMean",
        "1,234,567",
        "617284",
        "integer",
        "text",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    let without = Pdf::parse(&export_rows("{}", 3)).all_text();
    assert!(
        without.contains("Statistics were not computed for this export."),
        "{without}"
    );
    let left_out = Pdf::parse(&export_rows(r#"{"include_stats": false}"#, 3)).all_text();
    assert!(!left_out.contains("Column statistics"));
}

#[test]
fn the_title_can_be_replaced() {
    let pdf = Pdf::parse(&export_rows(r#"{"title": "Quarterly report"}"#, 3));
    assert!(pdf.text(1).contains("Quarterly report"));
    assert_eq!(pdf.info("Title"), "Quarterly report");
}

#[test]
fn the_same_export_gives_the_same_bytes() {
    let first = export_rows(r#"{"max_rows": 500}"#, 1500);
    let second = export_rows(r#"{"max_rows": 500}"#, 1500);
    assert!(first == second, "two runs differ");
    let mut later = request(r#"{"max_rows": 500}"#, 1500);
    later.exported_at = "2024-05-02T00:00:00Z".into();
    assert!(
        export_with(later, 1500) != first,
        "another export time is another file"
    );
}

#[test]
fn the_font_is_embedded_as_a_small_subset() {
    let bytes = export_rows("{}", 1000);
    assert!(
        bytes.len() < 400_000,
        "{} bytes for 1,000 rows",
        bytes.len()
    );
    let pdf = Pdf::parse(&bytes);
    let fonts: Vec<String> = pdf
        .document
        .objects
        .values()
        .filter_map(|object| object.as_dict().ok())
        .filter(|dict| {
            dict.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"FontDescriptor".as_slice())
        })
        .map(|dict| {
            String::from_utf8_lossy(dict.get(b"FontName").unwrap().as_name().unwrap()).into_owned()
        })
        .collect();
    assert_eq!(fonts.len(), 1, "{fonts:?}");
    assert!(fonts[0].ends_with("+WenQuanYiMicroHei"), "{fonts:?}");
}

#[test]
fn bad_options_are_refused_with_the_option_named() {
    assert!(invalid_options(r#"{"max_rows": 100001}"#).starts_with("option `max_rows`"));
    assert!(invalid_options(r#"{"max_rows": -1}"#).starts_with("option `max_rows`"));
    assert!(invalid_options(r#"{"orientation": "sideways"}"#).starts_with("option `orientation`"));
    assert!(invalid_options(r#"{"page_size": "a3"}"#).starts_with("option `page_size`"));
    assert!(invalid_options(r#"{"title": " "}"#).starts_with("option `title`"));
    assert!(invalid_options(r#"{"colour": "red"}"#).starts_with("options: unknown field `colour`"));
}

#[test]
fn schema_defaults_pass_the_plugins_checks() {
    let schema: serde_json::Value =
        serde_json::from_str(&PdfExporter::info().options_schema).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    let defaults: serde_json::Map<String, serde_json::Value> = properties
        .iter()
        .filter_map(|(name, property)| Some((name.clone(), property.get("default")?.clone())))
        .collect();
    let from_schema = PdfOptions::parse(&serde_json::Value::Object(defaults).to_string()).unwrap();
    assert_eq!(from_schema, PdfOptions::default());
    assert_eq!(schema["properties"]["max_rows"]["maximum"], MAX_ROWS_LIMIT);
    let every_option = PdfOptions::parse(
        r#"{"title": "T", "max_rows": 5, "include_stats": false, "page_size": "letter", "orientation": "landscape"}"#,
    )
    .unwrap();
    assert_eq!(every_option.title.as_deref(), Some("T"));
    assert_eq!(properties.len(), 5, "every option above is in the schema");
}

#[test]
fn describes_itself_and_asks_for_statistics() {
    let info = PdfExporter::info();
    assert_eq!(
        (
            info.id.as_str(),
            info.media_type.as_str(),
            info.extension.as_str()
        ),
        ("pdf", "application/pdf", "pdf")
    );
    assert!(info.wants_stats);
}
