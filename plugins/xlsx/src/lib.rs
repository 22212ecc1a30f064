//! The Excel format: an `.xlsx` workbook (Office Open XML, ECMA-376) with typed, formatted cells
//! and a sheet describing the export.
//!
//! An `.xlsx` file is a zip archive whose parts can only be written once every row is known, so
//! unlike CSV this format cannot stream: `begin` and `write-batch` return nothing and `finish`
//! returns the whole file. To keep memory flat anyway, the worksheets are written in
//! rust_xlsxwriter's constant-memory mode, which spools each sheet's rows to a temporary file
//! in the export's scratch folder (the manifest asks for one with `scratch_mb`) as they arrive;
//! the finished archive is assembled in a scratch file too and read back once, so memory holds
//! the output once, not a growing buffer's twice.
//!
//! Layout: data sheets named by `sheet_name` ("Data", then "Data (2)", ... once a sheet holds
//! Excel's 1,048,576 rows), each with a bold, frozen header row, filter buttons over the data
//! and column widths fitted to the values; then a "Metadata" sheet ([`metadata`]). What each
//! value becomes is [`cells`]' business, the widths [`widths`]'.
//!
//! The same export gives the same bytes: the zip entries carry a fixed timestamp, and the
//! document's creation time is the request's `exported-at`, not the clock.

mod cells;
mod metadata;
mod options;
mod widths;

use cells::{Cell, excel_text};
use metadata::{ExportMetadata, FORMAT_ID};
use options::{MAX_SHEET_NAME_UNITS, METADATA_SHEET_NAME, XlsxOptions, same_sheet_name};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use tessera_plugin_sdk::{
    Batch, ColumnView, ExportRequest, Exporter, FormatInfo, PluginError, scratch_dir,
};
use widths::ColumnWidths;

const MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Rows in an Excel worksheet, the header row included.
const EXCEL_MAX_ROWS: u32 = 1_048_576;

/// Columns in an Excel worksheet (A to XFD).
const EXCEL_MAX_COLUMNS: usize = 16_384;

/// The cell formats, built once per export; the workbook numbers them on first use.
struct Formats {
    header: Format,
    integer: Format,
    date: Format,
    datetime: Format,
}

/// The `xlsx` format: the component's exporter, and what `plugins/bench` runs natively.
pub struct XlsxExporter {
    workbook: Workbook,
    /// Where the finished archive is assembled; the worksheets' spool files live there too.
    scratch: PathBuf,
    options: XlsxOptions,
    formats: Formats,
    metadata: ExportMetadata,
    widths: ColumnWidths,
    /// Rows a sheet holds, header included: Excel's limit, or fewer in tests.
    sheet_rows: u32,
    /// Names of the data sheets so far; the last one is being written.
    data_sheets: Vec<String>,
    /// Data rows in the last data sheet.
    rows_in_sheet: u32,
    rows_written: u64,
}

impl XlsxExporter {
    /// Sets an export up with a scratch folder (none: refused) and sheets of `sheet_rows` rows.
    fn create(
        request: &ExportRequest,
        scratch: Option<PathBuf>,
        sheet_rows: u32,
    ) -> Result<Self, PluginError> {
        let options = XlsxOptions::parse(&request.options)?;
        if request.schema.len() > EXCEL_MAX_COLUMNS {
            return Err(PluginError::invalid_options(format!(
                "an Excel sheet holds at most {EXCEL_MAX_COLUMNS} columns and this export has {}; \
                 choose fewer columns",
                request.schema.len()
            )));
        }
        let scratch = scratch.ok_or_else(|| {
            PluginError::failed(
                "the xlsx format writes its worksheets to temporary files, but this export has \
                 no scratch folder: the plugin's manifest asks for one (`scratch_mb`), and an \
                 administrator has to grant it",
            )
        })?;

        let columns: Vec<_> = request
            .schema
            .iter()
            .map(|column| (column.name.clone(), column.kind))
            .collect();
        let widths = ColumnWidths::new(
            &columns,
            options.header,
            options.header && options.autofilter,
            &options.date_format,
            &options.datetime_format,
        );
        let metadata = ExportMetadata {
            dataset: request.dataset.clone(),
            exported_at: request.exported_at.clone(),
            columns: request.schema.clone(),
        };

        let mut workbook = Workbook::new();
        workbook
            .set_tempdir(&scratch)
            .map_err(xlsx_failure("cannot use the scratch folder"))?;
        workbook.set_properties(&metadata.properties()?);
        let formats = Formats {
            header: Format::new().set_bold(),
            // Excel's built-in format 1, "0": whole numbers without separators.
            integer: Format::new().set_num_format_index(1),
            date: Format::new().set_num_format(&options.date_format),
            datetime: Format::new().set_num_format(&options.datetime_format),
        };

        Ok(XlsxExporter {
            workbook,
            scratch,
            options,
            formats,
            metadata,
            widths,
            sheet_rows,
            data_sheets: Vec::new(),
            rows_in_sheet: 0,
            rows_written: 0,
        })
    }

    fn header_rows(&self) -> u32 {
        u32::from(self.options.header)
    }

    fn data_rows_per_sheet(&self) -> u32 {
        self.sheet_rows.saturating_sub(self.header_rows()).max(1)
    }

    /// Adds the next data sheet, with its header row.
    fn open_data_sheet(&mut self) -> Result<(), PluginError> {
        let name = data_sheet_name(
            &self.options.sheet_name,
            self.data_sheets.len() + 1,
            &self.data_sheets,
        );
        let sheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_failure(
                "cannot start a worksheet in the scratch folder",
            ))?;
        sheet
            .set_name(&name)
            .map_err(xlsx_failure("cannot name a worksheet"))?;
        if self.options.header {
            for (index, column) in self.metadata.columns.iter().enumerate() {
                sheet
                    .write_string_with_format(
                        0,
                        column_number(index),
                        excel_text(&column.name),
                        &self.formats.header,
                    )
                    .map_err(xlsx_failure("cannot write the header row"))?;
            }
            if self.options.freeze_header {
                sheet
                    .set_freeze_panes(1, 0)
                    .map_err(xlsx_failure("cannot freeze the header row"))?;
            }
        }
        self.data_sheets.push(name);
        self.rows_in_sheet = 0;
        Ok(())
    }

    /// Assembles the archive in a scratch file and reads it back.
    fn save(&mut self) -> Result<Vec<u8>, PluginError> {
        let io_failure = |error: std::io::Error| {
            PluginError::failed(format!(
                "cannot assemble the workbook in the scratch folder: {error}"
            ))
        };
        let mut file = tempfile::tempfile_in(&self.scratch).map_err(io_failure)?;
        {
            let mut writer = BufWriter::new(&mut file);
            self.workbook
                .save_to_writer(&mut writer)
                .map_err(xlsx_failure("cannot assemble the workbook"))?;
            writer.flush().map_err(io_failure)?;
        }
        let size = file.seek(SeekFrom::End(0)).map_err(io_failure)?;
        file.rewind().map_err(io_failure)?;
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(usize::try_from(size).unwrap_or(usize::MAX))
            .map_err(|_| {
                PluginError::failed(format!(
                    "the workbook is {size} bytes, more than the plugin's memory can hold; \
                     export fewer rows or columns"
                ))
            })?;
        file.read_to_end(&mut bytes).map_err(io_failure)?;
        Ok(bytes)
    }
}

impl Exporter for XlsxExporter {
    fn info() -> FormatInfo {
        FormatInfo::new(FORMAT_ID, "Excel", MEDIA_TYPE, "xlsx").with_options::<XlsxOptions>()
    }

    fn new(request: &ExportRequest) -> Result<Self, PluginError> {
        XlsxExporter::create(request, scratch_dir(), EXCEL_MAX_ROWS)
    }

    fn begin(&mut self, _request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        // The first sheet exists even for an export without rows.
        self.open_data_sheet()?;
        Ok(Vec::new())
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let columns: Vec<ColumnView<'_>> = batch.column_views().collect();
        for (index, column) in columns.iter().enumerate() {
            self.widths.observe(index, column);
        }
        let rows = batch.row_count();
        let mut row = 0;
        while row < rows {
            if self.rows_in_sheet >= self.data_rows_per_sheet() {
                self.open_data_sheet()?;
            }
            let room = (self.data_rows_per_sheet() - self.rows_in_sheet) as usize;
            let end = rows.min(row + room);
            let first_sheet_row = self.header_rows() + self.rows_in_sheet;
            let sheet = self
                .workbook
                .worksheet_from_index(self.data_sheets.len() - 1)
                .map_err(xlsx_failure("cannot find the current worksheet"))?;
            for (offset, batch_row) in (row..end).enumerate() {
                let sheet_row = first_sheet_row + offset as u32;
                for (index, column) in columns.iter().enumerate() {
                    let cell = Cell::from_value(column.value(batch_row));
                    write_cell(sheet, sheet_row, column_number(index), cell, &self.formats)
                        .map_err(xlsx_failure("cannot write a row"))?;
                }
            }
            let written = (end - row) as u32;
            self.rows_in_sheet += written;
            self.rows_written += u64::from(written);
            row = end;
        }
        Ok(Vec::new())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        let widths: Vec<f64> = self.widths.widths().collect();
        let last_column = widths.len().checked_sub(1).map(column_number);
        let filter = self.options.header && self.options.autofilter;
        let full_sheet = self.data_rows_per_sheet();
        let sheet_count = self.data_sheets.len();
        for index in 0..sheet_count {
            let data_rows = if index + 1 == sheet_count {
                self.rows_in_sheet
            } else {
                full_sheet
            };
            let sheet = self
                .workbook
                .worksheet_from_index(index)
                .map_err(xlsx_failure("cannot find a worksheet"))?;
            for (column, width) in widths.iter().enumerate() {
                sheet
                    .set_column_width(column_number(column), *width)
                    .map_err(xlsx_failure("cannot set a column's width"))?;
            }
            if let (true, Some(last_column)) = (filter, last_column) {
                // Row 0 is the header; the filter covers it and the rows below.
                sheet
                    .autofilter(0, 0, data_rows, last_column)
                    .map_err(xlsx_failure("cannot add the filter buttons"))?;
            }
        }
        if self.options.metadata_sheet {
            let sheet = self.workbook.add_worksheet();
            self.metadata
                .write(
                    sheet,
                    self.rows_written,
                    &self.data_sheets,
                    &self.formats.header,
                )
                .map_err(xlsx_failure("cannot write the metadata sheet"))?;
        }
        self.save()
    }
}

#[cfg(all(feature = "component", target_family = "wasm"))]
tessera_plugin_sdk::export!(XlsxExporter);

/// Writes one cell; an empty cell is not written at all.
fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    cell: Cell<'_>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => return Ok(()),
        Cell::Boolean(flag) => sheet.write_boolean(row, column, flag)?,
        Cell::Integer(number) => {
            sheet.write_number_with_format(row, column, number, &formats.integer)?
        }
        Cell::Number(number) => sheet.write_number(row, column, number)?,
        Cell::Date(serial) => sheet.write_number_with_format(row, column, serial, &formats.date)?,
        Cell::Datetime(serial) => {
            sheet.write_number_with_format(row, column, serial, &formats.datetime)?
        }
        Cell::Text(text) => sheet.write_string(row, column, text)?,
    };
    Ok(())
}

/// The name of the `number`th data sheet (from 1): the option itself, then `<name> (2)`, ...,
/// the name cut short where the suffix would pass Excel's 31 units, and cut further in the
/// unlikely case that the result repeats an earlier sheet's name (Excel compares without case).
fn data_sheet_name(base: &str, number: usize, earlier: &[String]) -> String {
    if number == 1 {
        return base.to_owned();
    }
    let suffix = format!(" ({number})");
    let mut budget = MAX_SHEET_NAME_UNITS.saturating_sub(suffix.len());
    loop {
        let mut name = String::new();
        let mut units = 0;
        for ch in base.chars() {
            units += ch.len_utf16();
            if units > budget {
                break;
            }
            name.push(ch);
        }
        name.push_str(&suffix);
        let taken = earlier.iter().any(|other| same_sheet_name(other, &name))
            || same_sheet_name(&name, METADATA_SHEET_NAME);
        if !taken || budget == 0 {
            return name;
        }
        budget -= 1;
    }
}

/// Column indexes fit Excel's `u16` column numbers: `create` refuses more than 16,384 columns.
fn column_number(index: usize) -> u16 {
    u16::try_from(index).unwrap_or(u16::MAX)
}

/// Turns a writer error into a failed export that says what was being done.
fn xlsx_failure(doing: &'static str) -> impl Fn(XlsxError) -> PluginError {
    move |error| PluginError::failed(format!("{doing}: {error}"))
}

#[cfg(test)]
mod tests;
