//! The one font every report is set in, its metrics, and the subset embedded in each file.
//!
//! A plugin has no file system, so the font is compiled in. WenQuanYi Micro Hei (Apache-2.0,
//! `fonts/`), Droid Sans with Droid Sans Fallback's CJK glyphs, covers Latin, Greek, Cyrillic,
//! Chinese, Japanese kana and Hangul in one face, so a cell in any of those scripts renders
//! without switching fonts mid-text. The file is 5 MB; each report embeds only the glyphs it
//! uses (a subset cut here with allsorts, the font library printpdf itself uses), which keeps a
//! typical report in the tens of kilobytes.
//!
//! Widths are measured in thousandths of an em exactly as printpdf writes them into the PDF's
//! `/W` array, so text positioned by adding up these widths lands where a viewer draws it.
//! There is no shaping: no kerning, ligatures or right-to-left reordering; characters the face
//! lacks are drawn as a replacement character rather than as invisible gaps.

use std::collections::BTreeSet;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};
use printpdf::ParsedFont;
use tessera_plugin_sdk::PluginError;

/// The font file, `fonts/wqy-microhei.ttc` (Apache-2.0, licence beside it): a collection of
/// the proportional face and a monospaced one.
const FONT_FILE: &[u8] = include_bytes!("../fonts/wqy-microhei.ttc");

/// The proportional face in the collection.
const FACE_INDEX: usize = 0;

/// The face's PostScript name, as the embedded subset is named after it.
const POSTSCRIPT_NAME: &str = "WenQuanYiMicroHei";

/// Characters drawn for what the face lacks, in order of preference.
const REPLACEMENTS: [char; 2] = ['\u{FFFD}', '?'];

/// The embedded face, parsed once per export.
pub(crate) struct ReportFont {
    parsed: ParsedFont,
    /// Advances of U+0000..U+007F in thousandths of an em, the common case kept out of the map.
    ascii_advances: [u16; 128],
    replacement: char,
    /// Height above and depth below the baseline, in ems (descent is negative).
    pub ascent: f32,
    pub descent: f32,
}

impl ReportFont {
    pub fn load() -> Result<Self, PluginError> {
        let mut warnings = Vec::new();
        let mut parsed = ParsedFont::from_bytes(FONT_FILE, FACE_INDEX, &mut warnings)
            .ok_or_else(|| PluginError::failed("the embedded font could not be read"))?;
        // The metrics are all that is needed from the whole face; the subset is cut from
        // `FONT_FILE` itself.
        parsed.original_bytes = Vec::new();
        let units_per_em = f32::from(parsed.units_per_em.max(1));
        let ascent = f32::from(parsed.font_metrics.ascent) / units_per_em;
        let descent = f32::from(parsed.font_metrics.descent) / units_per_em;
        let mut font = ReportFont {
            parsed,
            ascii_advances: [0; 128],
            replacement: ' ',
            ascent,
            descent,
        };
        for byte in 0u8..128 {
            font.ascii_advances[usize::from(byte)] = font.lookup_advance(char::from(byte));
        }
        font.replacement = REPLACEMENTS
            .into_iter()
            .find(|c| font.has_glyph(*c))
            .unwrap_or(' ');
        Ok(font)
    }

    fn glyph(&self, c: char) -> Option<u16> {
        self.parsed
            .lookup_glyph_index(u32::from(c))
            .filter(|gid| *gid != 0)
    }

    /// Whether the face draws `c` (rather than its "missing glyph" box).
    pub fn has_glyph(&self, c: char) -> bool {
        self.glyph(c).is_some()
    }

    /// The advance as printpdf writes it into `/W`: font units scaled to 1000 per em and
    /// truncated.
    fn lookup_advance(&self, c: char) -> u16 {
        let gid = self.glyph(c).unwrap_or(0);
        let width = self.parsed.get_glyph_width(gid).unwrap_or(0);
        let scaled = f32::from(width) * 1000.0 / f32::from(self.parsed.units_per_em.max(1));
        scaled as u16
    }

    /// The advance of `c` in thousandths of an em.
    pub fn advance(&self, c: char) -> u32 {
        match self.ascii_advances.get(c as usize) {
            Some(advance) => u32::from(*advance),
            None => u32::from(self.lookup_advance(c)),
        }
    }

    /// The width of `text` in thousandths of an em.
    pub fn width(&self, text: &str) -> u32 {
        text.chars().map(|c| self.advance(c)).sum()
    }

    /// The width of `text` at `size` points, in points.
    pub fn width_pt(&self, text: &str, size: f32) -> f32 {
        self.width(text) as f32 * size / 1000.0
    }

    /// Appends `text` made drawable on one line: control characters (line breaks, tabs) become
    /// spaces and characters the face lacks become the replacement character. Stops once the
    /// text is wider than `max_width` thousandths of an em, one character past it, so that
    /// fitting it to any narrower column still shows it was cut.
    pub fn push_drawable(&self, text: &str, max_width: u32, out: &mut String) {
        let mut width = 0u32;
        for c in text.chars() {
            let c = if c.is_control() {
                ' '
            } else if self.has_glyph(c) || c == ' ' {
                c
            } else {
                self.replacement
            };
            out.push(c);
            width += self.advance(c);
            if width > max_width {
                break;
            }
        }
    }

    /// The face cut down to the glyphs of `used`, renumbered, with a cmap for exactly those
    /// characters, named with the subset tag `tag` (six capital letters, ISO 32000-1 9.6.4).
    pub fn subset(&self, used: &BTreeSet<char>, tag: &str) -> Result<ParsedFont, PluginError> {
        let fail = |what: String| PluginError::failed(format!("embedding the font: {what}"));
        let used_glyphs: BTreeSet<u16> = used.iter().filter_map(|c| self.glyph(*c)).collect();
        // Glyph 0 (.notdef) must come first: allsorts numbers the subset in this order.
        let glyph_ids: Vec<u16> = std::iter::once(0).chain(used_glyphs).collect();
        let font_data = ReadScope::new(FONT_FILE)
            .read::<FontData<'_>>()
            .map_err(|error| fail(error.to_string()))?;
        let provider = font_data
            .table_provider(FACE_INDEX)
            .map_err(|error| fail(error.to_string()))?;
        let bytes = subset(
            &provider,
            &glyph_ids,
            &SubsetProfile::Pdf,
            CmapTarget::Unicode,
        )
        .map_err(|error| fail(error.to_string()))?;
        let mut warnings = Vec::new();
        let mut font = ParsedFont::from_bytes(&bytes, 0, &mut warnings)
            .ok_or_else(|| fail("the subset could not be read back".into()))?;
        font.font_name = Some(format!("{tag}+{POSTSCRIPT_NAME}"));
        Ok(font)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_face_covers_latin_and_cjk() {
        let font = ReportFont::load().unwrap();
        for c in [
            'A', 'é', 'ß', 'Ж', 'λ', '漢', '字', 'あ', '한', '…', '—', '€',
        ] {
            assert!(font.has_glyph(c), "{c} is missing");
            assert!(font.advance(c) > 0, "{c} has no width");
        }
        assert_eq!(font.replacement, '\u{FFFD}');
        assert!(font.ascent > 0.5 && font.descent < 0.0);
    }

    #[test]
    fn drawable_text_is_one_line_and_bounded() {
        let font = ReportFont::load().unwrap();
        let mut out = String::new();
        font.push_drawable("a\tb\nc\u{1F600}", u32::MAX, &mut out);
        assert_eq!(out, "a b c\u{FFFD}");
        out.clear();
        let long = "x".repeat(1000);
        font.push_drawable(&long, 10 * font.advance('x'), &mut out);
        assert_eq!(out.len(), 11, "one character past the limit");
    }

    #[test]
    fn subsets_keep_only_used_glyphs() {
        let font = ReportFont::load().unwrap();
        let used: BTreeSet<char> = "Aé漢".chars().collect();
        let subset = font.subset(&used, "ABCDEF").unwrap();
        assert!(
            subset.original_bytes.len() < 20_000,
            "{}",
            subset.original_bytes.len()
        );
        for c in used {
            assert!(
                subset
                    .lookup_glyph_index(u32::from(c))
                    .is_some_and(|gid| gid != 0)
            );
        }
        assert_eq!(subset.lookup_glyph_index(u32::from('B')), None);
        assert_eq!(
            subset.font_name.as_deref(),
            Some("ABCDEF+WenQuanYiMicroHei")
        );
    }
}
