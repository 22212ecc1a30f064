//! The PDF report format: a document for people rather than programs. The dataset's title,
//! description and metadata, per-column summary statistics (computed by the host, which it does
//! because `describe` asks for them), then the first `max_rows` rows as a table, paginated
//! with the header repeated on each page, numbered "Page n of N", on landscape pages when the
//! table is wide.
//!
//! Unlike the streaming formats, nothing is written until `finish`: the page count, and so
//! every footer, is known only once all rows are placed. The rows shown are kept until then
//! (bounded by `max_rows`); the rest are only counted, for the "showing 1,000 of 1,000,000
//! rows" note. Output is reproducible: the same export gives byte-identical files (see
//! `document`).
//!
//! Modules: `options` (what users choose), `rows` (the rows kept), `font` (the embedded font,
//! measuring and subsetting), `layout` (pages, text and tables), `report` (the report's
//! content), `format` (numbers and dates), `document` (the PDF file itself).

mod document;
mod font;
mod format;
mod layout;
mod options;
mod report;
mod rows;

use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

use crate::font::ReportFont;
use crate::layout::PageGeometry;
use crate::options::{Orientation, PdfOptions};
use crate::report::{Report, TABLE_SIZE};
use crate::rows::RowBuffer;

/// With `orientation: auto`, tables of more columns than this get landscape pages.
const PORTRAIT_MAX_COLUMNS: usize = 6;

/// The `pdf` report format: the component's exporter, and what `plugins/bench` runs natively.
pub struct PdfExporter {
    font: ReportFont,
    report: Report,
    max_rows: usize,
}

impl Exporter for PdfExporter {
    fn info() -> FormatInfo {
        FormatInfo::new("pdf", "PDF report", "application/pdf", "pdf")
            .with_options::<PdfOptions>()
            .with_stats()
    }

    fn new(request: &ExportRequest) -> Result<Self, PluginError> {
        let options = PdfOptions::parse(&request.options)?;
        let landscape = match options.orientation {
            Orientation::Auto => request.schema.len() > PORTRAIT_MAX_COLUMNS,
            Orientation::Portrait => false,
            Orientation::Landscape => true,
        };
        let geometry = PageGeometry::new(options.page_size, landscape);
        let font = ReportFont::load()?;
        // No column is wider than the page, so no cell needs more of its text kept.
        let max_cell_width = (geometry.content_width() * 1000.0 / TABLE_SIZE) as u32;
        let title = match options.title {
            Some(title) => title,
            None if !request.dataset.name.trim().is_empty() => request.dataset.name.clone(),
            None => request.dataset.id.clone(),
        };
        let report = Report {
            title,
            dataset: request.dataset.clone(),
            schema: request.schema.clone(),
            exported_at: request.exported_at.clone(),
            options_json: request.options.clone(),
            stats: options.include_stats.then(|| request.stats.clone()),
            geometry,
            show_rows: options.max_rows > 0,
            rows: RowBuffer::new(request.schema.len(), max_cell_width).marking_utc(&request.schema),
            rows_seen: 0,
        };
        Ok(PdfExporter {
            font,
            report,
            max_rows: options.max_rows as usize,
        })
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        self.report.rows_seen += u64::from(batch.rows);
        let room = self.max_rows.saturating_sub(self.report.rows.len());
        if room > 0 {
            self.report.rows.push_batch(batch, &self.font, room)?;
        }
        Ok(Vec::new())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        self.report.render(&self.font)
    }
}

#[cfg(all(feature = "component", target_family = "wasm"))]
tessera_plugin_sdk::export!(PdfExporter);

#[cfg(test)]
mod tests;
