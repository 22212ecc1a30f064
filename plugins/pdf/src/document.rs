//! Turning laid-out pages into the bytes of a PDF file that depend only on the export's inputs.
//!
//! printpdf turns drawing operations into PDF objects (content streams, and the Type 0 font
//! with its `/W` widths and `/ToUnicode` map, which is what makes the text extractable) and
//! lopdf writes them. printpdf converts a whole document at once, and a report's drawing
//! operations take many times the space of the finished file, so [`PdfWriter`] converts pages
//! as they come, a few dozen at a time, and keeps only their compressed content streams. At the
//! end, printpdf converts a skeleton with as many pages, whose first page shows every character
//! the report uses (so that the font's widths and `/ToUnicode` cover all of them), and each
//! skeleton page gets its real content stream. Glyph numbers come from the same font subset in
//! every conversion, so the streams fit the skeleton's font.
//!
//! Two things printpdf would make vary are replaced before writing: the trailer's `/ID`, which it
//! fills with pseudo-random characters, becomes a digest of what was exported; and the
//! document information dictionary, whose dates it cannot set on WebAssembly, is rebuilt with
//! the export time as both creation and modification date. Objects are numbered in creation
//! order and dictionaries keep insertion order, so the same inputs give the same bytes.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Object, StringFormat};
use printpdf::{
    FontId, Op, ParsedFont, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfParseErrorSeverity,
    PdfSaveOptions, Pt, Rect, TextItem, TextRenderingMode, to_lopdf_doc,
};
use tessera_plugin_sdk::PluginError;

use crate::layout::{FONT_RESOURCE, PageGeometry, PageSink};

/// Pages converted at a time: enough to amortise printpdf's per-document work (it embeds the
/// font each time), few enough that their drawing operations stay small.
const PAGES_PER_CONVERSION: usize = 32;

/// The document information dictionary's entries (ISO 32000-1 14.3.3).
pub(crate) struct DocumentInfo {
    pub title: String,
    pub subject: String,
    pub keywords: String,
    /// A PDF date string, or `None` to leave the dates out.
    pub date: Option<String>,
    /// The file identifier (ISO 32000-1 14.4), 16 bytes.
    pub id: [u8; 16],
}

/// Collects the report's pages as compressed content streams, then writes the file.
pub(crate) struct PdfWriter {
    font: ParsedFont,
    geometry: PageGeometry,
    pending: Vec<PdfPage>,
    contents: Vec<lopdf::Stream>,
}

impl PdfWriter {
    /// A writer for pages set in `font`, already subset to what they use.
    pub fn new(font: ParsedFont, geometry: PageGeometry) -> Self {
        PdfWriter {
            font,
            geometry,
            pending: Vec::new(),
            contents: Vec::new(),
        }
    }

    /// The pages waiting in `pending`, converted; keeps their content streams.
    fn convert_pending(&mut self) -> Result<(), PluginError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pages = std::mem::take(&mut self.pending);
        let document = self.convert(pages)?;
        for page_id in document.get_pages().into_values() {
            let mut stream = content_stream(&document, page_id)?.clone();
            stream
                .compress()
                .map_err(|error| failed(error.to_string()))?;
            self.contents.push(stream);
        }
        Ok(())
    }

    fn convert(&self, pages: Vec<PdfPage>) -> Result<lopdf::Document, PluginError> {
        let mut pdf = PdfDocument::new("");
        pdf.resources.fonts.map.insert(
            FontId(FONT_RESOURCE.to_owned()),
            PdfFont::new(self.font.clone()),
        );
        pdf.pages = pages;
        let options = PdfSaveOptions {
            optimize: true,
            // The font is a subset already; printpdf embeds what it is given.
            subset_fonts: false,
            secure: true,
            image_optimization: None,
        };
        let mut warnings = Vec::new();
        let document = to_lopdf_doc(&pdf, &options, &mut warnings);
        match warnings
            .iter()
            .find(|warning| warning.severity == PdfParseErrorSeverity::Error)
        {
            Some(error) => Err(failed(error.msg.clone())),
            None => Ok(document),
        }
    }

    /// Writes the file: the pages added so far, which use the characters `used`.
    pub fn finish(
        mut self,
        used: &BTreeSet<char>,
        info: &DocumentInfo,
    ) -> Result<Vec<u8>, PluginError> {
        self.convert_pending()?;
        let contents = std::mem::take(&mut self.contents);
        let bounds = Rect::from_wh(Pt(self.geometry.width), Pt(self.geometry.height));
        let every_character: String = used.iter().collect();
        let skeleton = (0..contents.len())
            .map(|index| PdfPage {
                media_box: bounds.clone(),
                trim_box: bounds.clone(),
                crop_box: bounds.clone(),
                ops: match index {
                    0 => vec![
                        Op::StartTextSection,
                        Op::SetFont {
                            font: PdfFontHandle::External(FontId(FONT_RESOURCE.to_owned())),
                            size: Pt(1.0),
                        },
                        Op::SetTextRenderingMode {
                            mode: TextRenderingMode::Invisible,
                        },
                        Op::ShowText {
                            items: vec![TextItem::Text(every_character.clone())],
                        },
                        Op::EndTextSection,
                    ],
                    _ => Vec::new(),
                },
            })
            .collect();
        let mut document = self.convert(skeleton)?;
        let page_ids: Vec<_> = document.get_pages().into_values().collect();
        if page_ids.len() != contents.len() {
            return Err(failed("the page count changed".into()));
        }
        for (page_id, stream) in page_ids.into_iter().zip(contents) {
            let content_id = content_id(&document, page_id)?;
            document.objects.insert(content_id, Object::Stream(stream));
        }

        let info_id = document
            .trailer
            .get(b"Info")
            .and_then(Object::as_reference)
            .map_err(|_| failed("no document information".into()))?;
        document
            .objects
            .insert(info_id, Object::Dictionary(info_dictionary(info)));
        let id = Object::String(info.id.to_vec(), StringFormat::Hexadecimal);
        // The first element identifies the document, the second this version of it; a new file
        // has the same value for both.
        document
            .trailer
            .set("ID", Object::Array(vec![id.clone(), id]));

        document.compress();
        let mut bytes = Vec::new();
        document
            .save_to(&mut bytes)
            .map_err(|error| failed(error.to_string()))?;
        Ok(bytes)
    }
}

impl PageSink for PdfWriter {
    fn add_page(&mut self, page: PdfPage) -> Result<(), PluginError> {
        self.pending.push(page);
        if self.pending.len() >= PAGES_PER_CONVERSION {
            self.convert_pending()?;
        }
        Ok(())
    }
}

fn failed(what: String) -> PluginError {
    PluginError::failed(format!("writing the PDF: {what}"))
}

/// The id of the content stream of the page `page_id`.
fn content_id(
    document: &lopdf::Document,
    page_id: lopdf::ObjectId,
) -> Result<lopdf::ObjectId, PluginError> {
    document
        .get_dictionary(page_id)
        .and_then(|page| page.get(b"Contents"))
        .and_then(Object::as_reference)
        .map_err(|error| failed(format!("a page without content: {error}")))
}

fn content_stream(
    document: &lopdf::Document,
    page_id: lopdf::ObjectId,
) -> Result<&lopdf::Stream, PluginError> {
    document
        .get_object(content_id(document, page_id)?)
        .and_then(Object::as_stream)
        .map_err(|error| failed(format!("a page without content: {error}")))
}

fn info_dictionary(info: &DocumentInfo) -> Dictionary {
    let mut dictionary = Dictionary::new();
    dictionary.set("Title", text_string(&info.title));
    if !info.subject.is_empty() {
        dictionary.set("Subject", text_string(&info.subject));
    }
    if !info.keywords.is_empty() {
        dictionary.set("Keywords", text_string(&info.keywords));
    }
    dictionary.set("Creator", text_string("Tessera"));
    dictionary.set(
        "Producer",
        text_string(concat!("Tessera PDF report ", env!("CARGO_PKG_VERSION"))),
    );
    if let Some(date) = &info.date {
        dictionary.set("CreationDate", Object::string_literal(date.as_str()));
        dictionary.set("ModDate", Object::string_literal(date.as_str()));
    }
    dictionary
}

/// A PDF text string (ISO 32000-1 7.9.2.2): printable ASCII as is, anything else in UTF-16BE
/// after a byte order mark.
fn text_string(text: &str) -> Object {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Object::string_literal(text);
    }
    let mut bytes = vec![0xfe, 0xff];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_strings_are_ascii_or_utf16() {
        assert_eq!(text_string("Sales"), Object::string_literal("Sales"));
        assert_eq!(
            text_string("é"),
            Object::String(vec![0xfe, 0xff, 0x00, 0xe9], StringFormat::Hexadecimal)
        );
    }
}
