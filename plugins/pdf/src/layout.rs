//! Pages, text and tables: a small top-to-bottom layout engine over printpdf's drawing
//! operations.
//!
//! printpdf draws what it is told where it is told; deciding where is this module's job. A
//! [`Layout`] keeps a cursor that moves down the page and starts a new page when the next
//! block does not fit. Tables repeat their header on every page they run onto, and cut cell
//! text that is wider than its column, ending it with an ellipsis.
//!
//! Each finished page goes to a [`PageSink`] at once, so a long report never exists as drawing
//! operations all at the same time. A footer says "Page 3 of 12", and the 12 is not known
//! until the end: a report is laid out twice, first into a [`PageCounter`] (which also learns
//! every character used, for the font subset), then, with the count, into the PDF writer.
//! Layout is deterministic, so both passes break pages in the same places.
//!
//! Each page is two lists of operations: backgrounds (table shading) first, then one text
//! object holding all of the page's text, with the font, size and colour set only when they
//! change. A table row is one text-showing operation per run of same-coloured cells, its cells
//! placed by kerning offsets (ISO 32000-1 9.4.3, `TJ`), which keeps content streams small for
//! reports of thousands of rows. Coordinates are PDF points from the bottom-left corner.

use std::borrow::Cow;
use std::collections::BTreeSet;

use printpdf::{
    Color, FontId, Greyscale, Op, PaintMode, PdfFontHandle, PdfPage, Pt, Rect, TextItem,
    TextMatrix, TextRenderingMode,
};
use tessera_plugin_sdk::PluginError;

use crate::font::ReportFont;
use crate::options::PageSize;

/// The resource name the embedded font is registered under (see `document`).
pub(crate) const FONT_RESOURCE: &str = "F1";

const MARGIN_X: f32 = 36.0;
const MARGIN_TOP: f32 = 40.0;
const MARGIN_BOTTOM: f32 = 46.0;
const FOOTER_BASELINE: f32 = 24.0;
const FOOTER_SIZE: f32 = 7.5;
/// Space between a cell's edge and its text.
pub(crate) const CELL_PADDING: f32 = 3.0;
const ELLIPSIS: char = '…';

/// A page's size in points, orientation applied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PageGeometry {
    pub width: f32,
    pub height: f32,
}

impl PageGeometry {
    pub fn new(size: PageSize, landscape: bool) -> Self {
        // ISO 216 A4 is 210 × 297 mm; US Letter 8.5 × 11 in.
        let (short, long) = match size {
            PageSize::A4 => (595.28, 841.89),
            PageSize::Letter => (612.0, 792.0),
        };
        if landscape {
            PageGeometry {
                width: long,
                height: short,
            }
        } else {
            PageGeometry {
                width: short,
                height: long,
            }
        }
    }

    /// The width between the side margins.
    pub fn content_width(&self) -> f32 {
        self.width - 2.0 * MARGIN_X
    }

    fn content_top(&self) -> f32 {
        self.height - MARGIN_TOP
    }
}

/// Text colours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Tone {
    Normal,
    /// Labels, notes, nulls and the footer.
    Muted,
}

impl Tone {
    fn grey(self) -> f32 {
        match self {
            Tone::Normal => 0.0,
            Tone::Muted => 0.45,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TextStyle {
    pub size: f32,
    pub tone: Tone,
    /// The face has no bold weight; bold is drawn by also stroking the outlines.
    pub bold: bool,
}

impl TextStyle {
    pub const fn new(size: f32) -> Self {
        TextStyle {
            size,
            tone: Tone::Normal,
            bold: false,
        }
    }

    pub const fn bold(self) -> Self {
        TextStyle { bold: true, ..self }
    }

    pub const fn muted(self) -> Self {
        TextStyle {
            tone: Tone::Muted,
            ..self
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Align {
    Left,
    Right,
}

pub(crate) struct TableColumn {
    /// Drawable text (see [`ReportFont::push_drawable`]).
    pub title: String,
    pub width: f32,
    pub align: Align,
}

/// One cell's text, already drawable, and its colour.
pub(crate) struct Cell<'a> {
    pub text: Cow<'a, str>,
    pub tone: Tone,
}

impl<'a> Cell<'a> {
    pub fn new(text: impl Into<Cow<'a, str>>) -> Self {
        Cell {
            text: text.into(),
            tone: Tone::Normal,
        }
    }

    pub fn muted(text: impl Into<Cow<'a, str>>) -> Self {
        Cell {
            text: text.into(),
            tone: Tone::Muted,
        }
    }
}

/// The body of a table, read a cell at a time so that a long table need not exist twice.
pub(crate) trait TableRows {
    fn row_count(&self) -> usize;
    fn cell(&self, row: usize, column: usize) -> Cell<'_>;
}

pub(crate) struct TableStyle {
    pub text: TextStyle,
    pub row_height: f32,
    /// Whether the column titles head the table (and every page it continues on).
    pub header: bool,
    /// Whether every other row is shaded.
    pub zebra: bool,
}

/// Shades of table backgrounds.
const HEADER_GREY: f32 = 0.88;
const ZEBRA_GREY: f32 = 0.96;
const RULE_GREY: f32 = 0.75;

#[derive(Default)]
struct PageOps {
    background: Vec<Op>,
    text: Vec<Op>,
    text_style: Option<TextStyle>,
    background_grey: Option<f32>,
}

/// Where finished pages go.
pub(crate) trait PageSink {
    fn add_page(&mut self, page: PdfPage) -> Result<(), PluginError>;
}

/// A sink that only counts pages, for the first pass.
#[derive(Default)]
pub(crate) struct PageCounter {
    pub pages: usize,
}

impl PageSink for PageCounter {
    fn add_page(&mut self, _page: PdfPage) -> Result<(), PluginError> {
        self.pages += 1;
        Ok(())
    }
}

/// What each page's footer says: `text` on the left, "Page n of `total`" on the right.
pub(crate) struct Footer {
    pub text: String,
    /// `None` in the first pass, which draws "Page n of n" so that the characters the real
    /// footers need are among those it records.
    pub total: Option<usize>,
}

/// The document being laid out: the page being drawn on and the cursor on it.
pub(crate) struct Layout<'f, 's> {
    font: &'f ReportFont,
    geometry: PageGeometry,
    sink: &'s mut dyn PageSink,
    footer: Footer,
    page: PageOps,
    /// 1-based.
    page_number: usize,
    /// The first error the sink reported; layout stops drawing and `finish` returns it.
    error: Option<PluginError>,
    /// The top of the free space on the current page.
    y: f32,
    /// Every character drawn, for the font subset: ASCII in a table, the rest in a set.
    ascii_used: [bool; 128],
    other_used: BTreeSet<char>,
}

impl<'f, 's> Layout<'f, 's> {
    pub fn new(
        font: &'f ReportFont,
        geometry: PageGeometry,
        sink: &'s mut dyn PageSink,
        footer: Footer,
    ) -> Self {
        let footer = Footer {
            text: fit(
                font,
                &footer.text,
                geometry.content_width() * 0.6,
                FOOTER_SIZE,
            )
            .into_owned(),
            ..footer
        };
        Layout {
            font,
            geometry,
            sink,
            footer,
            page: PageOps::default(),
            page_number: 1,
            error: None,
            y: geometry.content_top(),
            ascii_used: [false; 128],
            other_used: BTreeSet::new(),
        }
    }

    pub fn font(&self) -> &'f ReportFont {
        self.font
    }

    pub fn geometry(&self) -> PageGeometry {
        self.geometry
    }

    pub fn new_page(&mut self) {
        self.finish_page();
        self.page_number += 1;
        self.y = self.geometry.content_top();
    }

    /// Draws the current page's footer and hands the page to the sink.
    fn finish_page(&mut self) {
        let style = TextStyle::new(FOOTER_SIZE).muted();
        let total = self.footer.total.unwrap_or(self.page_number);
        let label = format!("Page {} of {total}", self.page_number);
        let label_width = self.font.width_pt(&label, FOOTER_SIZE);
        let right_edge = MARGIN_X + self.geometry.content_width();
        self.fill_rect(
            MARGIN_X,
            FOOTER_BASELINE + 10.0,
            self.geometry.content_width(),
            0.5,
            RULE_GREY,
        );
        let text = std::mem::take(&mut self.footer.text);
        self.text_at(MARGIN_X, FOOTER_BASELINE, style, &text);
        self.footer.text = text;
        self.text_at(right_edge - label_width, FOOTER_BASELINE, style, &label);

        let page = std::mem::take(&mut self.page);
        let mut ops = page.background;
        ops.reserve(page.text.len() + 2);
        ops.push(Op::StartTextSection);
        ops.extend(page.text);
        ops.push(Op::EndTextSection);
        let bounds = Rect::from_wh(Pt(self.geometry.width), Pt(self.geometry.height));
        let page = PdfPage {
            media_box: bounds.clone(),
            trim_box: bounds.clone(),
            crop_box: bounds,
            ops,
        };
        if self.error.is_none()
            && let Err(error) = self.sink.add_page(page)
        {
            self.error = Some(error);
        }
    }

    /// Finishes the last page; returns every character drawn.
    pub fn finish(mut self) -> Result<BTreeSet<char>, PluginError> {
        self.finish_page();
        match self.error.take() {
            Some(error) => Err(error),
            None => Ok(self.used_chars()),
        }
    }

    fn page_is_empty(&self) -> bool {
        self.y >= self.geometry.content_top()
    }

    fn space_left(&self) -> f32 {
        self.y - MARGIN_BOTTOM
    }

    /// Starts a new page unless `height` points still fit on this one.
    pub fn ensure_space(&mut self, height: f32) {
        if self.space_left() < height && !self.page_is_empty() {
            self.new_page();
        }
    }

    /// Moves the cursor down.
    pub fn skip(&mut self, height: f32) {
        self.y -= height;
    }

    fn page(&mut self) -> &mut PageOps {
        &mut self.page
    }

    fn note_used(&mut self, text: &str) {
        for c in text.chars() {
            match self.ascii_used.get_mut(c as usize) {
                Some(used) => *used = true,
                None => {
                    self.other_used.insert(c);
                }
            }
        }
    }

    /// Every character drawn so far.
    pub fn used_chars(&self) -> BTreeSet<char> {
        let mut used = self.other_used.clone();
        used.extend(
            (0u8..128)
                .filter(|byte| self.ascii_used[usize::from(*byte)])
                .map(char::from),
        );
        used
    }

    fn set_text_style(&mut self, style: TextStyle) {
        let page = self.page();
        let previous = page.text_style;
        if previous.map(|p| p.size) != Some(style.size) {
            page.text.push(Op::SetFont {
                font: PdfFontHandle::External(FontId(FONT_RESOURCE.to_owned())),
                size: Pt(style.size),
            });
        }
        if previous.map(|p| p.tone) != Some(style.tone) {
            let grey = Color::Greyscale(Greyscale::new(style.tone.grey(), None));
            page.text.push(Op::SetFillColor { col: grey.clone() });
            page.text.push(Op::SetOutlineColor { col: grey });
        }
        if previous.map(|p| p.bold) != Some(style.bold) {
            if style.bold {
                page.text.push(Op::SetOutlineThickness { pt: Pt(0.35) });
                page.text.push(Op::SetTextRenderingMode {
                    mode: TextRenderingMode::FillStroke,
                });
            } else {
                page.text.push(Op::SetTextRenderingMode {
                    mode: TextRenderingMode::Fill,
                });
            }
        }
        page.text_style = Some(style);
    }

    fn show(&mut self, x: f32, baseline: f32, style: TextStyle, items: Vec<TextItem>) {
        self.set_text_style(style);
        let page = self.page();
        page.text.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(round(x)), Pt(round(baseline))),
        });
        page.text.push(Op::ShowText { items });
    }

    /// Draws drawable `text` with its baseline at `baseline`.
    pub fn text_at(&mut self, x: f32, baseline: f32, style: TextStyle, text: &str) {
        if text.is_empty() {
            return;
        }
        self.note_used(text);
        self.show(x, baseline, style, vec![TextItem::Text(text.to_owned())]);
    }

    fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, grey: f32) {
        let page = self.page();
        if page.background_grey != Some(grey) {
            page.background.push(Op::SetFillColor {
                col: Color::Greyscale(Greyscale::new(grey, None)),
            });
            page.background_grey = Some(grey);
        }
        let mut rect = Rect::from_xywh(Pt(round(x)), Pt(round(y)), Pt(round(width)), Pt(height));
        rect.mode = Some(PaintMode::Fill);
        page.background.push(Op::DrawRectangle { rectangle: rect });
    }

    /// Drawable `text`, wrapped to the content width, at most `max_lines` lines (the last one
    /// ends in an ellipsis when text was left out). Line breaks in `text` start new lines.
    pub fn paragraph(&mut self, text: &str, style: TextStyle, max_lines: usize) {
        let width = self.geometry.content_width();
        let lines = wrap(self.font, text, width, style.size, max_lines);
        let line_height = style.size * 1.4;
        for line in lines {
            self.ensure_space(line_height);
            let baseline = self.y - style.size * self.font.ascent.min(1.0);
            self.text_at(MARGIN_X, baseline, style, &line);
            self.y -= line_height;
        }
    }

    /// Lays out a table at the cursor, starting a new page whenever a row does not fit, and
    /// repeating the header there.
    pub fn table(&mut self, columns: &[TableColumn], rows: &dyn TableRows, style: &TableStyle) {
        let header_height = style.row_height + 2.0;
        let header_space = if style.header { header_height } else { 0.0 };
        // Never leave a header alone at the bottom of a page.
        let first_rows = rows.row_count().min(2) as f32;
        self.ensure_space(header_space + first_rows * style.row_height);
        if style.header {
            self.table_header(columns, style, header_height);
        }
        for row in 0..rows.row_count() {
            if self.space_left() < style.row_height {
                self.new_page();
                if style.header {
                    self.table_header(columns, style, header_height);
                }
            }
            if style.zebra && row % 2 == 1 {
                let width = columns.iter().map(|c| c.width).sum();
                self.fill_rect(
                    MARGIN_X,
                    self.y - style.row_height,
                    width,
                    style.row_height,
                    ZEBRA_GREY,
                );
            }
            let cells: Vec<Cell<'_>> = (0..columns.len()).map(|c| rows.cell(row, c)).collect();
            self.table_row(columns, &cells, style.text, style.row_height);
        }
    }

    fn table_header(&mut self, columns: &[TableColumn], style: &TableStyle, height: f32) {
        let width = columns.iter().map(|c| c.width).sum();
        self.fill_rect(MARGIN_X, self.y - height, width, height, HEADER_GREY);
        let cells: Vec<Cell<'_>> = columns
            .iter()
            .map(|column| Cell::new(column.title.as_str()))
            .collect();
        self.table_row(columns, &cells, style.text.bold(), height);
    }

    /// One row of cells: each cut to its column, placed by its alignment, drawn in as few
    /// text-showing operations as its colours allow.
    fn table_row(
        &mut self,
        columns: &[TableColumn],
        cells: &[Cell<'_>],
        style: TextStyle,
        height: f32,
    ) {
        let size = style.size;
        let baseline = self.y - height / 2.0 - (self.font.ascent + self.font.descent) / 2.0 * size;
        // (x of the run's first text, the run's items, pen position in 1/1000 em, tone)
        let mut run: Option<(f32, Vec<TextItem>, f32, Tone)> = None;
        let mut x = MARGIN_X;
        for (column, cell) in columns.iter().zip(cells) {
            let room = column.width - 2.0 * CELL_PADDING;
            let text = fit(self.font, &cell.text, room, size);
            if !text.is_empty() {
                let text_width = self.font.width(&text) as f32;
                let start = match column.align {
                    Align::Left => x + CELL_PADDING,
                    Align::Right => x + column.width - CELL_PADDING - text_width * size / 1000.0,
                };
                self.note_used(&text);
                if run
                    .as_ref()
                    .is_some_and(|(_, _, _, tone)| *tone != cell.tone)
                    && let Some((run_x, items, _, tone)) = run.take()
                {
                    self.show(run_x, baseline, TextStyle { tone, ..style }, items);
                }
                match &mut run {
                    Some((run_x, items, pen, _)) => {
                        // A TJ number moves the pen left by number/1000 em.
                        let target = (start - *run_x) * 1000.0 / size;
                        items.push(TextItem::Offset(round(*pen - target)));
                        items.push(TextItem::Text(text.into_owned()));
                        *pen = target + text_width;
                    }
                    None => {
                        run = Some((
                            start,
                            vec![TextItem::Text(text.into_owned())],
                            text_width,
                            cell.tone,
                        ));
                    }
                }
            }
            x += column.width;
        }
        if let Some((run_x, items, _, tone)) = run {
            self.show(run_x, baseline, TextStyle { tone, ..style }, items);
        }
        self.y -= height;
    }
}

/// Two decimals are a hundredth of a point, finer than any printer, and keep streams short.
fn round(value: f32) -> f32 {
    (value * 100.0).round() / 100.0
}

/// `text` cut to fit `width` points at `size`, ending in an ellipsis where it was cut.
pub(crate) fn fit<'t>(font: &ReportFont, text: &'t str, width: f32, size: f32) -> Cow<'t, str> {
    let budget = width.max(0.0) * 1000.0 / size;
    if font.width(text) as f32 <= budget {
        return Cow::Borrowed(text);
    }
    let budget = budget - font.advance(ELLIPSIS) as f32;
    if budget < 0.0 {
        return Cow::Borrowed("");
    }
    let mut used = 0.0;
    let mut cut = String::new();
    for c in text.chars() {
        used += font.advance(c) as f32;
        if used > budget {
            break;
        }
        cut.push(c);
    }
    // An ellipsis after a space would look like a gap.
    let kept = cut.trim_end().len();
    cut.truncate(kept);
    cut.push(ELLIPSIS);
    Cow::Owned(cut)
}

/// Drawable `text` broken into lines of at most `width` points at `size`: at the last space
/// that fits, or anywhere when a line has none (as CJK text does not).
pub(crate) fn wrap(
    font: &ReportFont,
    text: &str,
    width: f32,
    size: f32,
    max_lines: usize,
) -> Vec<String> {
    let budget = (width * 1000.0 / size) as u32;
    let mut lines = Vec::new();
    let mut truncated = false;
    'paragraphs: for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0u32;
        for c in paragraph.chars() {
            let advance = font.advance(c);
            if line_width + advance > budget && !line.is_empty() {
                if lines.len() + 1 >= max_lines {
                    lines.push(line);
                    truncated = true;
                    break 'paragraphs;
                }
                let carried = match line.rfind(' ') {
                    // Breaking at the space that overflowed: the whole line fits.
                    _ if c == ' ' => String::new(),
                    Some(space) if space > 0 => {
                        let rest = line[space + 1..].to_owned();
                        line.truncate(space);
                        rest
                    }
                    _ => String::new(),
                };
                lines.push(std::mem::take(&mut line));
                line = carried;
                line_width = font.width(&line);
                if c == ' ' && line.is_empty() {
                    continue;
                }
            }
            line.push(c);
            line_width += advance;
        }
        if lines.len() >= max_lines {
            truncated = true;
            break;
        }
        lines.push(line);
    }
    if truncated && let Some(last) = lines.last_mut() {
        let room = width - font.width_pt("…", size);
        let mut cut = fit(font, last, room, size).into_owned();
        if !cut.ends_with(ELLIPSIS) {
            cut.push(ELLIPSIS);
        }
        *last = cut;
    }
    lines
}

/// Column widths for a table `available` points wide whose columns would like `natural`
/// widths: all of them when they fit (then stretched to fill the width), otherwise the
/// narrow ones keep theirs and the rest share what is left equally.
pub(crate) fn allocate_widths(natural: &[f32], available: f32) -> Vec<f32> {
    let total: f32 = natural.iter().sum();
    if natural.is_empty() || total <= 0.0 {
        return natural.to_vec();
    }
    if total <= available {
        let stretch = available / total;
        return natural.iter().map(|width| width * stretch).collect();
    }
    let mut order: Vec<usize> = (0..natural.len()).collect();
    order.sort_by(|a, b| natural[*a].total_cmp(&natural[*b]));
    let mut widths = vec![0.0; natural.len()];
    let mut remaining = available;
    for (position, index) in order.iter().enumerate() {
        let share = remaining / (order.len() - position) as f32;
        if natural[*index] <= share {
            widths[*index] = natural[*index];
            remaining -= natural[*index];
        } else {
            for rest in &order[position..] {
                widths[*rest] = share;
            }
            break;
        }
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> ReportFont {
        ReportFont::load().unwrap()
    }

    #[test]
    fn text_is_cut_with_an_ellipsis() {
        let font = font();
        assert_eq!(fit(&font, "short", 100.0, 8.0), "short");
        let cut = fit(&font, "a rather long piece of text", 40.0, 8.0);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(font.width_pt(&cut, 8.0) <= 40.0);
        assert_eq!(fit(&font, "anything", 1.0, 8.0), "");
        let cjk = fit(&font, "漢字漢字漢字漢字", 30.0, 8.0);
        assert!(cjk.starts_with("漢字") && cjk.ends_with('…'), "{cjk}");
        assert!(font.width_pt(&cjk, 8.0) <= 30.0);
    }

    #[test]
    fn paragraphs_wrap_at_spaces_or_anywhere() {
        let font = font();
        let width = font.width_pt("one two three", 10.0) + 1.0;
        assert_eq!(
            wrap(&font, "one two three four five", width, 10.0, 10),
            ["one two three", "four five"]
        );
        let lines = wrap(
            &font,
            &"漢".repeat(30),
            font.width_pt("漢漢漢漢漢漢漢漢漢漢", 10.0),
            10.0,
            10,
        );
        assert_eq!(lines.len(), 3);
        assert_eq!(wrap(&font, "a\nb", 100.0, 10.0, 10), ["a", "b"]);
        let capped = wrap(&font, &"word ".repeat(100), 50.0, 10.0, 2);
        assert_eq!(capped.len(), 2);
        assert!(capped[1].ends_with('…'));
    }

    #[test]
    fn widths_fill_the_page_and_narrow_columns_keep_theirs() {
        assert_eq!(allocate_widths(&[10.0, 30.0], 80.0), [20.0, 60.0]);
        assert_eq!(
            allocate_widths(&[10.0, 300.0, 500.0], 110.0),
            [10.0, 50.0, 50.0]
        );
        assert_eq!(
            allocate_widths(&[40.0, 60.0, 20.0], 90.0),
            [35.0, 35.0, 20.0]
        );
        let many = allocate_widths(&[100.0; 7], 70.0);
        assert!(many.iter().all(|w| (*w - 10.0).abs() < 1e-4));
    }

    #[test]
    fn landscape_swaps_the_sides() {
        let portrait = PageGeometry::new(PageSize::Letter, false);
        let landscape = PageGeometry::new(PageSize::Letter, true);
        assert_eq!((portrait.width, portrait.height), (612.0, 792.0));
        assert_eq!((landscape.width, landscape.height), (792.0, 612.0));
    }
}
