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
//!
//! Streams are compressed as lopdf would (zlib at level 9, kept only where it saves space), but
//! by the host's compressor through the SDK's [`Deflater`]: inside the sandbox, compressing
//! took a quarter of the plugin's time.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Object, StringFormat};
use printpdf::{
    FontId, Op, ParsedFont, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfParseErrorSeverity,
    PdfSaveOptions, Pt, Rect, TextItem, TextRenderingMode, to_lopdf_doc,
};
use tessera_plugin_sdk::PluginError;
use tessera_plugin_sdk::compress::Deflater;

use crate::layout::{FONT_RESOURCE, PageGeometry, PageSink};

/// Pages converted at a time: enough to amortise printpdf's per-document work (it embeds the
/// font each time), few enough that their drawing operations stay small.
const PAGES_PER_CONVERSION: usize = 32;

/// The level lopdf compresses streams at (zlib's best).
const DEFLATE_LEVEL: u8 = 9;

/// A zlib stream's header (RFC 1950): deflate with a 32 KiB window, at the best level.
const ZLIB_HEADER: [u8; 2] = [0x78, 0xda];

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
    /// Compresses every stream in turn.
    deflater: Deflater,
}

impl PdfWriter {
    /// A writer for pages set in `font`, already subset to what they use.
    pub fn new(font: ParsedFont, geometry: PageGeometry) -> Self {
        PdfWriter {
            font,
            geometry,
            pending: Vec::new(),
            contents: Vec::new(),
            deflater: Deflater::new(DEFLATE_LEVEL),
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
            compress_stream(&mut stream, &mut self.deflater);
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

        for object in document.objects.values_mut() {
            if let Object::Stream(stream) = object
                && stream.allows_compression
            {
                compress_stream(stream, &mut self.deflater);
            }
        }
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

/// Compresses `stream` as lopdf's `Stream::compress` does: a zlib stream under `/FlateDecode`,
/// unless it has a filter already or compressing would not save the filter entry's 19 bytes.
fn compress_stream(stream: &mut lopdf::Stream, deflater: &mut Deflater) {
    if stream.dict.get(b"Filter").is_ok() {
        return;
    }
    let mut zlib = Vec::with_capacity(stream.content.len() / 2 + 16);
    zlib.extend_from_slice(&ZLIB_HEADER);
    deflater.write(&stream.content, &mut zlib);
    deflater.finish(&mut zlib);
    zlib.extend_from_slice(&adler32(&stream.content).to_be_bytes());
    if zlib.len() + 19 < stream.content.len() {
        stream.dict.set("Filter", "FlateDecode");
        stream.set_content(zlib);
    }
}

/// The Adler-32 checksum that ends a zlib stream (RFC 1950 8.2).
fn adler32(data: &[u8]) -> u32 {
    const MODULUS: u32 = 65_521;
    // The most bytes summed before `b` could overflow 32 bits.
    const BLOCK: usize = 5_552;
    let (mut a, mut b) = (1u32, 0u32);
    for block in data.chunks(BLOCK) {
        for &byte in block {
            a += u32::from(byte);
            b += a;
        }
        a %= MODULUS;
        b %= MODULUS;
    }
    b << 16 | a
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
    fn adler32_matches_the_check_values() {
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        // Long enough to need the modulus within the sums.
        assert_eq!(adler32(&[0xff; 100_000]), 0x149a_302c);
    }

    #[test]
    fn streams_compress_to_zlib_that_reads_back_and_small_ones_stay_plain() {
        let mut deflater = Deflater::new(DEFLATE_LEVEL);
        let content: Vec<u8> = (0..2_000)
            .flat_map(|i| format!("BT /F1 9 Tf {i} 0 Td (row {}) Tj ET\n", i % 7).into_bytes())
            .collect();
        for _ in 0..2 {
            let mut stream = lopdf::Stream::new(Dictionary::new(), content.clone());
            compress_stream(&mut stream, &mut deflater);
            assert_eq!(
                stream.dict.get(b"Filter").unwrap().as_name().unwrap(),
                b"FlateDecode"
            );
            assert!(stream.content.len() < content.len() / 4);
            assert_eq!(stream.decompressed_content().unwrap(), content);
        }
        let mut tiny = lopdf::Stream::new(Dictionary::new(), b"q Q".to_vec());
        compress_stream(&mut tiny, &mut deflater);
        assert!(tiny.dict.get(b"Filter").is_err());
        assert_eq!(tiny.content, b"q Q");
    }

    #[test]
    fn text_strings_are_ascii_or_utf16() {
        assert_eq!(text_string("Sales"), Object::string_literal("Sales"));
        assert_eq!(
            text_string("é"),
            Object::String(vec![0xfe, 0xff, 0x00, 0xe9], StringFormat::Hexadecimal)
        );
    }
}
