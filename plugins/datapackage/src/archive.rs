//! A zip archive written front to back, for a sink that cannot seek: the host receives the
//! bytes of each call as they come and never hands them back.
//!
//! The layout is PKWARE's APPNOTE 6.3.10
//! (<https://pkware.cachefly.net/webdocs/APPNOTE/APPNOTE-6.3.10.TXT>). An entry whose size is
//! not known up front ([`ZipStream::start_entry`]) has general purpose bit 3 set: its local
//! header carries no CRC or sizes, and a data descriptor after the data does (section 4.3.9).
//! Because such an entry might pass 4 GiB, its local header always holds a ZIP64 extra field
//! and its descriptor 8-byte sizes, as section 4.3.9.2 allows for any size; readers tell the
//! descriptor's width from that field. An entry known in full ([`ZipStream::add_entry`]) has
//! plain sizes in its local header. The central directory uses ZIP64 fields, and the end record
//! its ZIP64 form, only where a size, offset or count does not fit 32 bits (section 4.5.3), so
//! ordinary archives look ordinary to old readers.
//!
//! Entries are deflated (method 8) at zlib's default level and checksummed by the host,
//! through the SDK's [`Deflater`] and [`Crc32`] (in place, with the same compressor, when built
//! natively), and every entry carries the same modification time, so the same input gives the
//! same bytes. What this module does not do: encryption, comments, or reading archives.

use std::io;

use tessera_plugin_sdk::compress::Deflater;
use tessera_plugin_sdk::digest::Crc32;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_END_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;

const ZIP64_EXTRA: u16 = 0x0001;
const METHOD_DEFLATE: u16 = 8;
/// Version 2.0: deflate; 4.5: ZIP64 (section 4.4.3.2).
const VERSION_DEFLATE: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// Made by Unix (section 4.4.2.2), so that the external attributes are a Unix mode.
const MADE_BY_UNIX: u16 = 3 << 8;
/// A regular file, readable by everyone, writable by its owner (`-rw-r--r--`).
const UNIX_FILE_MODE: u32 = 0o100_644;

/// zlib's default level: what zip tools use unless told otherwise.
const DEFLATE_LEVEL: u8 = 6;

const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
const FLAG_UTF8_NAME: u16 = 1 << 11;

/// The largest value a 32-bit field holds; it also means "see the ZIP64 field".
const MAX_32: u64 = 0xFFFF_FFFF;

/// A modification time in MS-DOS form (section 4.4.6): local time without a zone, two-second
/// steps, years 1980 to 2107.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DosTime {
    time: u16,
    date: u16,
}

impl DosTime {
    /// The earliest time the format can say, 1980-01-01 00:00:00.
    pub const EARLIEST: DosTime = DosTime {
        time: 0,
        date: 1 << 5 | 1,
    };

    /// The fields as given; years outside 1980 to 2107 clamp to its ends.
    pub fn new(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Self {
        if year < 1980 {
            return DosTime::EARLIEST;
        }
        if year > 2107 {
            return DosTime {
                time: 23 << 11 | 59 << 5 | 29,
                date: 127 << 9 | 12 << 5 | 31,
            };
        }
        let field = |value: u32, max: u32| (value.min(max)) as u16;
        DosTime {
            time: field(hour, 23) << 11 | field(minute, 59) << 5 | (field(second, 59) / 2),
            date: ((year - 1980) as u16) << 9 | field(month, 12) << 5 | field(day, 31),
        }
    }
}

/// A finished entry, as the central directory describes it.
struct Entry {
    name: String,
    flags: u16,
    version_needed: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    header_offset: u64,
}

/// The entry being streamed.
struct OpenEntry {
    name: String,
    flags: u16,
    header_offset: u64,
    crc: Crc32,
    uncompressed: u64,
    compressed: u64,
}

/// An archive being written; take what it has produced with [`ZipStream::take_output`].
pub struct ZipStream {
    modified: DosTime,
    /// Bytes produced and not yet taken, in the pieces they came in: joined once when taken,
    /// rather than collected in one buffer that, while it doubles, briefly takes three times
    /// their size (a batch of incompressible rows deflates to nearly its own size).
    output: Vec<Vec<u8>>,
    /// Bytes produced in all, taken or not: the offset of whatever comes next.
    written: u64,
    entries: Vec<Entry>,
    open: Option<OpenEntry>,
    /// One stream for every entry in turn: it starts over after each.
    deflater: Deflater,
}

impl ZipStream {
    /// An empty archive whose entries are all dated `modified`.
    pub fn new(modified: DosTime) -> Self {
        ZipStream {
            modified,
            output: Vec::new(),
            written: 0,
            entries: Vec::new(),
            open: None,
            deflater: Deflater::new(DEFLATE_LEVEL),
        }
    }

    /// An archive that pretends `offset` bytes precede it, to test what happens past 4 GiB
    /// without writing that much.
    #[cfg(test)]
    fn starting_at(modified: DosTime, offset: u64) -> Self {
        ZipStream {
            written: offset,
            ..ZipStream::new(modified)
        }
    }

    /// The bytes produced since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        if self.output.len() <= 1 {
            return self.output.pop().unwrap_or_default();
        }
        let mut joined = Vec::with_capacity(self.output.iter().map(Vec::len).sum());
        for piece in self.output.drain(..) {
            joined.extend_from_slice(&piece);
        }
        joined
    }

    /// Starts an entry whose data follows through [`ZipStream::write`].
    pub fn start_entry(&mut self, name: &str) -> io::Result<()> {
        if self.open.is_some() {
            return Err(io::Error::other("a zip entry is already open"));
        }
        let flags = FLAG_DATA_DESCRIPTOR | utf8_flag(name);
        let header_offset = self.written;
        // Sizes and CRC follow in the data descriptor; the ZIP64 field's sizes are zero too.
        let mut extra = Vec::with_capacity(20);
        put_u16(&mut extra, ZIP64_EXTRA);
        put_u16(&mut extra, 16);
        put_u64(&mut extra, 0);
        put_u64(&mut extra, 0);
        self.put_local_header(name, flags, VERSION_ZIP64, 0, 0, 0, &extra)?;
        self.open = Some(OpenEntry {
            name: name.to_owned(),
            flags,
            header_offset,
            crc: Crc32::new(),
            uncompressed: 0,
            compressed: 0,
        });
        Ok(())
    }

    /// Appends to the open entry's data.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let Some(open) = self.open.as_mut() else {
            return Err(io::Error::other("no zip entry is open"));
        };
        open.crc.update(data);
        open.uncompressed += data.len() as u64;
        let mut compressed = Vec::new();
        self.deflater.write(data, &mut compressed);
        open.compressed += compressed.len() as u64;
        self.emit(compressed);
        Ok(())
    }

    /// Ends the open entry with its data descriptor.
    pub fn finish_entry(&mut self) -> io::Result<()> {
        let Some(open) = self.open.take() else {
            return Err(io::Error::other("no zip entry is open"));
        };
        let mut rest = Vec::new();
        self.deflater.finish(&mut rest);
        let compressed = open.compressed + rest.len() as u64;
        let crc = open.crc.value();
        self.emit(rest);
        let mut descriptor = Vec::with_capacity(24);
        put_u32(&mut descriptor, DATA_DESCRIPTOR);
        put_u32(&mut descriptor, crc);
        put_u64(&mut descriptor, compressed);
        put_u64(&mut descriptor, open.uncompressed);
        self.emit(descriptor);
        self.entries.push(Entry {
            name: open.name,
            flags: open.flags,
            version_needed: VERSION_ZIP64,
            crc,
            compressed,
            uncompressed: open.uncompressed,
            header_offset: open.header_offset,
        });
        Ok(())
    }

    /// Adds an entry whose data is all here, such as a small metadata file.
    pub fn add_entry(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        if self.open.is_some() {
            return Err(io::Error::other("a zip entry is still open"));
        }
        let mut compressed = Vec::new();
        self.deflater.write(data, &mut compressed);
        self.deflater.finish(&mut compressed);
        let (Ok(compressed_size), Ok(uncompressed_size)) =
            (u32::try_from(compressed.len()), u32::try_from(data.len()))
        else {
            return Err(io::Error::other(
                "a zip entry written at once must be smaller than 4 GiB",
            ));
        };
        let crc = Crc32::of(data);
        let flags = utf8_flag(name);
        let header_offset = self.written;
        self.put_local_header(
            name,
            flags,
            VERSION_DEFLATE,
            crc,
            compressed_size,
            uncompressed_size,
            &[],
        )?;
        let compressed_size = compressed.len() as u64;
        self.emit(compressed);
        self.entries.push(Entry {
            name: name.to_owned(),
            flags,
            version_needed: VERSION_DEFLATE,
            crc,
            compressed: compressed_size,
            uncompressed: data.len() as u64,
            header_offset,
        });
        Ok(())
    }

    /// Writes the central directory and the end record; the archive is complete.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.open.is_some() {
            return Err(io::Error::other("a zip entry is still open"));
        }
        let directory_offset = self.written;
        let mut directory = Vec::new();
        for entry in &self.entries {
            self.put_central_header(entry, &mut directory)?;
        }
        let directory_size = directory.len() as u64;
        self.emit(directory);
        let count = self.entries.len() as u64;

        let needs_zip64 = directory_offset >= MAX_32 || directory_size >= MAX_32 || count >= 0xFFFF;
        if needs_zip64 {
            let zip64_end_offset = self.written;
            let mut record = Vec::with_capacity(56 + 20);
            put_u32(&mut record, ZIP64_END);
            // The size of the rest of the record (section 4.3.14.1).
            put_u64(&mut record, 44);
            put_u16(&mut record, MADE_BY_UNIX | VERSION_ZIP64);
            put_u16(&mut record, VERSION_ZIP64);
            put_u32(&mut record, 0);
            put_u32(&mut record, 0);
            put_u64(&mut record, count);
            put_u64(&mut record, count);
            put_u64(&mut record, directory_size);
            put_u64(&mut record, directory_offset);
            put_u32(&mut record, ZIP64_END_LOCATOR);
            put_u32(&mut record, 0);
            put_u64(&mut record, zip64_end_offset);
            put_u32(&mut record, 1);
            self.emit(record);
        }
        let mut end = Vec::with_capacity(22);
        put_u32(&mut end, END);
        put_u16(&mut end, 0);
        put_u16(&mut end, 0);
        let count_16 = count.min(0xFFFF) as u16;
        put_u16(&mut end, count_16);
        put_u16(&mut end, count_16);
        put_u32(&mut end, directory_size.min(MAX_32) as u32);
        put_u32(&mut end, directory_offset.min(MAX_32) as u32);
        put_u16(&mut end, 0);
        self.emit(end);
        Ok(())
    }

    fn emit(&mut self, bytes: Vec<u8>) {
        self.written += bytes.len() as u64;
        if !bytes.is_empty() {
            self.output.push(bytes);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn put_local_header(
        &mut self,
        name: &str,
        flags: u16,
        version_needed: u16,
        crc: u32,
        compressed: u32,
        uncompressed: u32,
        extra: &[u8],
    ) -> io::Result<()> {
        let mut header = Vec::with_capacity(30 + name.len() + extra.len());
        put_u32(&mut header, LOCAL_HEADER);
        put_u16(&mut header, version_needed);
        put_u16(&mut header, flags);
        put_u16(&mut header, METHOD_DEFLATE);
        put_u16(&mut header, self.modified.time);
        put_u16(&mut header, self.modified.date);
        put_u32(&mut header, crc);
        put_u32(&mut header, compressed);
        put_u32(&mut header, uncompressed);
        put_u16(&mut header, length_16(name.len(), "an entry name")?);
        put_u16(&mut header, length_16(extra.len(), "an extra field")?);
        header.extend_from_slice(name.as_bytes());
        header.extend_from_slice(extra);
        self.emit(header);
        Ok(())
    }

    fn put_central_header(&self, entry: &Entry, out: &mut Vec<u8>) -> io::Result<()> {
        // ZIP64 values, in the order section 4.5.3 gives, for the fields that overflow.
        let mut zip64 = Vec::new();
        for value in [entry.uncompressed, entry.compressed, entry.header_offset] {
            if value >= MAX_32 {
                put_u64(&mut zip64, value);
            }
        }
        let mut extra = Vec::new();
        if !zip64.is_empty() {
            put_u16(&mut extra, ZIP64_EXTRA);
            put_u16(&mut extra, zip64.len() as u16);
            extra.extend_from_slice(&zip64);
        }
        let version_needed = if zip64.is_empty() {
            entry.version_needed
        } else {
            VERSION_ZIP64
        };
        put_u32(out, CENTRAL_HEADER);
        put_u16(out, MADE_BY_UNIX | version_needed);
        put_u16(out, version_needed);
        put_u16(out, entry.flags);
        put_u16(out, METHOD_DEFLATE);
        put_u16(out, self.modified.time);
        put_u16(out, self.modified.date);
        put_u32(out, entry.crc);
        put_u32(out, entry.compressed.min(MAX_32) as u32);
        put_u32(out, entry.uncompressed.min(MAX_32) as u32);
        put_u16(out, length_16(entry.name.len(), "an entry name")?);
        put_u16(out, extra.len() as u16);
        // Comment length, disk number, internal attributes.
        put_u16(out, 0);
        put_u16(out, 0);
        put_u16(out, 0);
        put_u32(out, UNIX_FILE_MODE << 16);
        put_u32(out, entry.header_offset.min(MAX_32) as u32);
        out.extend_from_slice(entry.name.as_bytes());
        out.extend_from_slice(&extra);
        Ok(())
    }
}

/// Bit 11 says the name is UTF-8 (appendix D); a plain ASCII name needs no flag.
fn utf8_flag(name: &str) -> u16 {
    if name.is_ascii() { 0 } else { FLAG_UTF8_NAME }
}

fn length_16(length: usize, what: &str) -> io::Result<u16> {
    u16::try_from(length).map_err(|_| io::Error::other(format!("{what} is too long for zip")))
}

// Every number in a zip archive is little-endian (section 4.4.1.1).
fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    fn archive(build: impl FnOnce(&mut ZipStream)) -> Vec<u8> {
        let mut zip = ZipStream::new(DosTime::new(2024, 5, 6, 7, 8, 9));
        build(&mut zip);
        zip.finish().unwrap();
        zip.take_output()
    }

    fn read_entries(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|index| {
                let mut file = archive.by_index(index).unwrap();
                let mut data = Vec::new();
                file.read_to_end(&mut data).unwrap();
                (file.name().to_owned(), data)
            })
            .collect()
    }

    #[test]
    fn streamed_and_whole_entries_read_back() {
        let bytes = archive(|zip| {
            zip.start_entry("data/a.csv").unwrap();
            for chunk in ["a,b\n", "1,2\n", "", "3,4\n"] {
                zip.write(chunk.as_bytes()).unwrap();
            }
            zip.finish_entry().unwrap();
            zip.add_entry("meta.json", b"{}").unwrap();
        });
        assert_eq!(
            read_entries(bytes),
            [
                ("data/a.csv".to_owned(), b"a,b\n1,2\n3,4\n".to_vec()),
                ("meta.json".to_owned(), b"{}".to_vec()),
            ]
        );
    }

    #[test]
    fn entries_carry_the_given_time_and_a_unix_mode() {
        let bytes = archive(|zip| zip.add_entry("x", b"x").unwrap());
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let file = archive.by_index(0).unwrap();
        let modified = file.last_modified().unwrap();
        assert_eq!(
            (
                modified.year(),
                modified.month(),
                modified.day(),
                modified.hour(),
                modified.minute(),
                modified.second()
            ),
            (2024, 5, 6, 7, 8, 8),
            "two-second steps"
        );
        assert_eq!(file.unix_mode(), Some(0o100_644));
    }

    #[test]
    fn a_large_streamed_entry_round_trips() {
        // Several deflate blocks, written in uneven pieces.
        let line: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut expected = Vec::new();
        let bytes = archive(|zip| {
            zip.start_entry("big").unwrap();
            for round in 0..3000 {
                let piece = &line[..(round * 7) % line.len()];
                expected.extend_from_slice(piece);
                zip.write(piece).unwrap();
            }
            zip.finish_entry().unwrap();
        });
        assert_eq!(read_entries(bytes), [("big".to_owned(), expected)]);
    }

    #[test]
    fn the_streamed_local_header_announces_zip64_sizes() {
        let bytes = archive(|zip| {
            zip.start_entry("s").unwrap();
            zip.write(b"hello").unwrap();
            zip.finish_entry().unwrap();
        });
        // Version needed 4.5, bit 3, then a ZIP64 extra field after the one-byte name.
        assert_eq!(&bytes[4..6], &45u16.to_le_bytes());
        assert_eq!(&bytes[6..8], &8u16.to_le_bytes());
        assert_eq!(&bytes[28..30], &20u16.to_le_bytes());
        assert_eq!(&bytes[31..35], &[1, 0, 16, 0]);
        // The data descriptor: signature, CRC, then 8-byte sizes.
        let descriptor = bytes
            .windows(4)
            .position(|window| window == DATA_DESCRIPTOR.to_le_bytes())
            .unwrap();
        let size = u64::from_le_bytes(bytes[descriptor + 16..descriptor + 24].try_into().unwrap());
        assert_eq!(size, 5);
        assert_eq!(
            &bytes[descriptor + 4..descriptor + 8],
            &crc32fast::hash(b"hello").to_le_bytes()
        );
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let build = |zip: &mut ZipStream| {
            zip.start_entry("a").unwrap();
            zip.write(b"same").unwrap();
            zip.finish_entry().unwrap();
            zip.add_entry("b", b"input").unwrap();
        };
        assert_eq!(archive(build), archive(build));
    }

    #[test]
    fn misuse_is_an_error_not_a_broken_archive() {
        let mut zip = ZipStream::new(DosTime::EARLIEST);
        assert!(zip.write(b"x").is_err());
        assert!(zip.finish_entry().is_err());
        zip.start_entry("a").unwrap();
        assert!(zip.start_entry("b").is_err());
        assert!(zip.add_entry("c", b"").is_err());
        assert!(zip.finish().is_err());
    }

    fn u16_at(bytes: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([bytes[at], bytes[at + 1]])
    }

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    fn u64_at(bytes: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
    }

    #[test]
    fn offsets_past_4_gib_use_zip64_records() {
        let start = 5 << 30;
        let mut zip = ZipStream::starting_at(DosTime::EARLIEST, start);
        zip.add_entry("far", b"away").unwrap();
        zip.finish().unwrap();
        let bytes = zip.take_output();
        let local_size = 30 + 3 + u32_at(&bytes, 18) as usize;

        // The central header: 32-bit offset saturated, the real one in a ZIP64 extra field.
        let central = local_size;
        assert_eq!(u32_at(&bytes, central), CENTRAL_HEADER);
        assert_eq!(u16_at(&bytes, central + 6), 45, "version needed");
        assert_eq!(u32_at(&bytes, central + 24), 4, "small sizes stay in place");
        assert_eq!(u32_at(&bytes, central + 42), 0xFFFF_FFFF);
        let extra = central + 46 + 3;
        assert_eq!(u16_at(&bytes, central + 30), 12);
        assert_eq!(u16_at(&bytes, extra), ZIP64_EXTRA);
        assert_eq!(u16_at(&bytes, extra + 2), 8, "only the offset overflows");
        assert_eq!(u64_at(&bytes, extra + 4), start);

        // Then the ZIP64 end record, its locator and the classic end record.
        let zip64_end = extra + 12;
        assert_eq!(u32_at(&bytes, zip64_end), ZIP64_END);
        assert_eq!(u64_at(&bytes, zip64_end + 24), 1, "entries");
        assert_eq!(
            u64_at(&bytes, zip64_end + 40),
            (extra + 12 - central) as u64
        );
        assert_eq!(u64_at(&bytes, zip64_end + 48), start + central as u64);
        let locator = zip64_end + 56;
        assert_eq!(u32_at(&bytes, locator), ZIP64_END_LOCATOR);
        assert_eq!(u64_at(&bytes, locator + 8), start + zip64_end as u64);
        let end = locator + 20;
        assert_eq!(u32_at(&bytes, end), END);
        assert_eq!(u16_at(&bytes, end + 10), 1);
        assert_eq!(u32_at(&bytes, end + 16), 0xFFFF_FFFF, "directory offset");
        assert_eq!(bytes.len(), end + 22);
    }

    #[test]
    fn small_archives_have_no_zip64_records() {
        let bytes = archive(|zip| zip.add_entry("x", b"x").unwrap());
        let signature = ZIP64_END.to_le_bytes();
        assert!(!bytes.windows(4).any(|window| window == signature));
        assert_eq!(u16_at(&bytes, 4), 20, "version needed: deflate only");
    }

    #[test]
    fn dos_times_clamp_to_the_formats_range() {
        assert_eq!(DosTime::new(1970, 1, 1, 0, 0, 0), DosTime::EARLIEST);
        let latest = DosTime::new(2200, 1, 1, 0, 0, 0);
        assert_eq!(latest.date >> 9, 127);
        let time = DosTime::new(2000, 2, 29, 23, 59, 59);
        assert_eq!(time.date, 20 << 9 | 2 << 5 | 29);
        assert_eq!(time.time, 23 << 11 | 59 << 5 | 29);
    }
}
