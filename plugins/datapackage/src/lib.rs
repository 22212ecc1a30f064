//! The Data Package export format: a zip holding the rows as CSV, `data/<name>.csv`, and
//! `datapackage.json`, a Frictionless Data Package (<https://specs.frictionlessdata.io/>)
//! describing them: what the columns are (Table Schema), how the CSV is written (CSV Dialect),
//! its size and SHA-256, and where it came from. Tools in Python, R and JavaScript load such a
//! package with the types intact and can check the data against its hash.
//!
//! The CSV is the `csv` format's, written by the same encoder (`tessera-csv-encoder`), with
//! Table Schema's spellings for infinities and UTC datetimes. It streams: each batch's records
//! are deflated into the zip as they come ([`archive::ZipStream`]) and hashed on the way, so memory
//! stays flat however many rows there are. The descriptor needs the CSV's final size and hash,
//! so it follows the CSV inside the zip, written by `finish` with the central directory. Every
//! entry is dated with the export's time, so the same export gives the same bytes.

mod archive;
mod package;

use archive::{DosTime, ZipStream};
use package::{CsvLayout, Descriptor};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tessera_csv_encoder::{CsvEncoder, CsvOptions, DEFAULT_DATE_FORMAT, LineEnding, Spelling};
use tessera_plugin_sdk::digest::Sha256;
use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError, parse_options};

/// Rows encoded as CSV at once before they go on to the deflater.
const ROWS_PER_PIECE: usize = 1024;

// The options as the user gives them, and their schema: doc comments are the help text. They
// are the `csv` format's options that a CSV Dialect or Table Schema can describe; the header is
// always written and a BOM never, since the package says the encoding. (A plain comment here:
// a doc comment would be the schema's description.)
#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "Data Package export options")]
struct PackageOptions {
    /// The character between fields of the CSV file: one character, not a double quote, CR or
    /// LF. The package's CSV dialect records it.
    #[schemars(title = "Delimiter", extend("not" = {"enum": ["\"", "\r", "\n"]}))]
    delimiter: char,
    /// What a null cell is written as; the Table Schema lists it as the one missing value.
    /// Must not contain the delimiter, a double quote, CR or LF.
    #[schemars(title = "Text for empty cells", regex(pattern = r#"^[^"\r\n]*$"#))]
    null_text: String,
    /// The end of each CSV record: "lf" or "crlf". The package's CSV dialect records it.
    #[schemars(title = "Line ending")]
    line_ending: LineEnding,
    /// Layout of date cells: %Y year, %m month, %d day, %% a percent sign; other text is
    /// copied. A layout other than the default becomes the field's Table Schema format.
    #[schemars(title = "Date format")]
    date_format: String,
    /// Layout of datetime cells (UTC): %Y %m %d %H %M %S, %f microseconds (six digits), %% a
    /// percent sign; it becomes the field's Table Schema format. Absent: ISO 8601 with a Z,
    /// YYYY-MM-DDTHH:MM:SS[.ffffff]Z, Table Schema's default format.
    #[schemars(title = "Date-time format")]
    #[serde(skip_serializing_if = "Option::is_none")]
    datetime_format: Option<String>,
}

impl Default for PackageOptions {
    fn default() -> Self {
        PackageOptions {
            delimiter: ',',
            null_text: String::new(),
            line_ending: LineEnding::Lf,
            date_format: DEFAULT_DATE_FORMAT.into(),
            datetime_format: None,
        }
    }
}

/// The `datapackage` format: the component's exporter, and what `plugins/bench` runs natively.
pub struct DatapackageExporter {
    csv: CsvEncoder,
    zip: ZipStream,
    descriptor: Descriptor,
    /// The CSV's bytes so far, for the descriptor's `bytes` and `hash`.
    csv_bytes: u64,
    csv_hash: Sha256,
    rows: u64,
}

impl DatapackageExporter {
    /// Appends CSV text to the data entry.
    fn write_csv(&mut self, text: &[u8]) -> Result<(), PluginError> {
        self.csv_hash.update(text);
        self.csv_bytes += text.len() as u64;
        self.zip.write(text).map_err(zip_failed)
    }
}

fn zip_failed(error: std::io::Error) -> PluginError {
    PluginError::failed(format!("writing the zip: {error}"))
}

/// The zip's timestamp from the export's RFC 3339 time, read as written (the host writes UTC);
/// the format's earliest time when the text is not one.
fn zip_time(exported_at: &str) -> DosTime {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = exported_at.get(range)?;
        if digits.bytes().all(|byte| byte.is_ascii_digit()) {
            digits.parse().ok()
        } else {
            None
        }
    };
    let separators = exported_at.as_bytes();
    let shaped = separators.len() >= 19
        && separators[4] == b'-'
        && separators[7] == b'-'
        && matches!(separators[10], b'T' | b't' | b' ')
        && separators[13] == b':'
        && separators[16] == b':';
    let fields = (
        number(0..4),
        number(5..7),
        number(8..10),
        number(11..13),
        number(14..16),
        number(17..19),
    );
    match (shaped, fields) {
        (true, (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second))) => {
            DosTime::new(i64::from(year), month, day, hour, minute, second)
        }
        _ => DosTime::EARLIEST,
    }
}

impl Exporter for DatapackageExporter {
    fn info() -> FormatInfo {
        FormatInfo::new("datapackage", "Data Package", "application/zip", "zip")
            .with_options::<PackageOptions>()
    }

    fn new(request: &ExportRequest) -> Result<Self, PluginError> {
        let options: PackageOptions = parse_options(&request.options)?;
        let csv_options = CsvOptions {
            delimiter: options.delimiter,
            header: true,
            null_text: options.null_text.clone(),
            line_ending: options.line_ending,
            bom: false,
            date_format: options.date_format.clone(),
            datetime_format: options.datetime_format.clone(),
        };
        let csv =
            CsvEncoder::new(&csv_options, &request.schema)?.with_spelling(Spelling::TableSchema);
        let descriptor = Descriptor::new(
            request,
            &CsvLayout {
                delimiter: options.delimiter,
                line_ending: options.line_ending,
                null_text: &options.null_text,
                date_format: &options.date_format,
                datetime_format: options.datetime_format.as_deref(),
            },
        );
        Ok(DatapackageExporter {
            csv,
            zip: ZipStream::new(zip_time(&request.exported_at)),
            descriptor,
            csv_bytes: 0,
            csv_hash: Sha256::new(),
            rows: 0,
        })
    }

    fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let path = self.descriptor.data_path().to_owned();
        self.zip.start_entry(&path).map_err(zip_failed)?;
        let header = self.csv.begin(&request.schema);
        self.write_csv(&header)?;
        Ok(self.zip.take_output())
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        // A slice of rows at a time into one reused buffer: the CSV text of a whole batch of
        // wide rows would otherwise sit in memory beside the batch and the deflated bytes.
        let mut text = Vec::new();
        for start in (0..batch.row_count()).step_by(ROWS_PER_PIECE) {
            text.clear();
            self.csv
                .write_rows(batch, start..start + ROWS_PER_PIECE, &mut text);
            self.write_csv(&text)?;
        }
        self.rows += batch.row_count() as u64;
        Ok(self.zip.take_output())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        self.zip.finish_entry().map_err(zip_failed)?;
        let hex = self.csv_hash.finalize_hex();
        self.descriptor.record_data(self.csv_bytes, hex, self.rows);
        let json = self
            .descriptor
            .to_json()
            .map_err(|error| PluginError::failed(format!("writing datapackage.json: {error}")))?;
        self.zip
            .add_entry("datapackage.json", &json)
            .map_err(zip_failed)?;
        self.zip.finish().map_err(zip_failed)?;
        Ok(self.zip.take_output())
    }
}

#[cfg(all(feature = "component", target_family = "wasm"))]
tessera_plugin_sdk::export!(DatapackageExporter);

#[cfg(test)]
mod tests;
