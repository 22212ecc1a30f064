//! Cheap streaming checks that find what polars would report vaguely or not at all: ragged
//! rows (with their line number), invalid UTF-8, a missing or duplicated header, more columns
//! than the server takes (`max_columns`, issue 14, item 7: 100,000 columns of CSV in 0.9 MB
//! took the server to 996 MiB once parsed).
//!
//! The delimited-text check is push-based ([`DelimitedCheck`]): the upload handler feeds it
//! each chunk as it arrives, on the async task that receives the body, so a slow upload holds
//! no thread while it waits for its next bytes (issue 14, item 6: a check that pulled from a
//! channel on the blocking pool held one of that pool's threads per slow upload, and the
//! database calls of every other user queued behind them). It keeps memory bounded: a data
//! record is counted and validated as it passes, never buffered whole.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use csv_core::ReadRecordResult;
use sha2::{Digest, Sha256};

use super::IngestError;

/// Longest header line the check keeps to read column names from. Names are short; a header
/// beyond this is an attempt to make the server hold a huge line, not a dataset.
pub const MAX_HEADER_BYTES: usize = 4 * 1024 * 1024;

/// Walks every record of a delimited file (RFC 4180 quoting) once.
pub fn check_delimited(path: &Path, separator: u8, max_columns: usize) -> Result<(), IngestError> {
    check_delimited_reader(File::open(path)?, separator, max_columns)
}

/// The same check over any reader.
pub fn check_delimited_reader(
    mut input: impl Read,
    separator: u8,
    max_columns: usize,
) -> Result<(), IngestError> {
    let mut check = DelimitedCheck::new(separator, max_columns);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = input.read(&mut buffer)?;
        if read == 0 {
            return check.finish();
        }
        check.feed(&buffer[..read])?;
    }
}

/// The check of a delimited file, fed chunk by chunk (any split, even inside a field or a
/// UTF-8 sequence, gives the same answer), with RFC 4180 quoting as the `csv` crate reads it.
///
/// Errors carry the line where the offending record starts, counted as the `csv` crate counts
/// (quoted newlines included).
pub struct DelimitedCheck {
    core: csv_core::Reader,
    max_columns: usize,
    output: Box<[u8]>,
    ends: Box<[usize]>,
    /// The line the current record starts on.
    record_line: u64,
    /// Fields completed in the current record.
    fields: u64,
    utf8: Utf8Stream,
    /// The header's bytes and field ends, while it is read (and while it is within limits).
    header: Option<HeaderBuffer>,
    /// The header's field count, once it has been read.
    expected: Option<u64>,
}

struct HeaderBuffer {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Past `max_columns` or `MAX_HEADER_BYTES`: only counted from then on.
    overflowed: bool,
}

impl DelimitedCheck {
    pub fn new(separator: u8, max_columns: usize) -> Self {
        Self {
            core: csv_core::ReaderBuilder::new().delimiter(separator).build(),
            max_columns,
            output: vec![0u8; 64 * 1024].into_boxed_slice(),
            ends: vec![0usize; 1024].into_boxed_slice(),
            record_line: 1,
            fields: 0,
            utf8: Utf8Stream::default(),
            header: Some(HeaderBuffer {
                bytes: Vec::new(),
                ends: Vec::new(),
                overflowed: false,
            }),
            expected: None,
        }
    }

    /// Checks the next chunk of the file. After an error the check is over: feed it no more.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), IngestError> {
        while !input.is_empty() {
            let (result, read, written, ended) =
                self.core
                    .read_record(input, &mut self.output, &mut self.ends);
            input = &input[read..];
            self.absorb(written, ended, &result)?;
            if read == 0 && written == 0 && ended == 0 && result != ReadRecordResult::Record {
                // csv_core always makes progress on a non-empty input with room to write;
                // stopping here keeps a surprise from becoming an endless loop.
                return Err(IngestError::Internal(
                    "the delimited-text check made no progress".into(),
                ));
            }
        }
        Ok(())
    }

    /// Ends the check at the end of the file.
    pub fn finish(mut self) -> Result<(), IngestError> {
        loop {
            let (result, _, written, ended) =
                self.core.read_record(&[], &mut self.output, &mut self.ends);
            self.absorb(written, ended, &result)?;
            if matches!(result, ReadRecordResult::End | ReadRecordResult::InputEmpty) {
                break;
            }
        }
        match self.expected {
            Some(_) => Ok(()),
            None => Err(IngestError::Empty),
        }
    }

    fn absorb(
        &mut self,
        written: usize,
        ended: usize,
        result: &ReadRecordResult,
    ) -> Result<(), IngestError> {
        let out = &self.output[..written];
        self.fields += ended as u64;
        match &mut self.header {
            Some(header) if !header.overflowed => {
                if self.fields > self.max_columns as u64
                    || header.bytes.len() + out.len() > MAX_HEADER_BYTES
                {
                    // From here on the header is only counted, for the error to name.
                    header.overflowed = true;
                    header.bytes = Vec::new();
                    header.ends = Vec::new();
                } else {
                    header.bytes.extend_from_slice(out);
                    header.ends.extend_from_slice(&self.ends[..ended]);
                }
            }
            Some(_) => {}
            None => {
                if !self.utf8.push(out) {
                    return Err(not_utf8(self.record_line));
                }
            }
        }
        if *result == ReadRecordResult::Record {
            self.end_record()?;
        }
        Ok(())
    }

    fn end_record(&mut self) -> Result<(), IngestError> {
        let line = self.record_line;
        let fields = std::mem::take(&mut self.fields);
        self.record_line = self.core.line();
        match self.header.take() {
            Some(header) => {
                self.check_header(header, fields, line)?;
                self.expected = Some(fields);
            }
            None => {
                if !self.utf8.finish() {
                    return Err(not_utf8(line));
                }
                let expected = self.expected.unwrap_or(fields);
                if fields != expected {
                    return Err(IngestError::Ragged {
                        line,
                        expected,
                        found: fields,
                    });
                }
            }
        }
        Ok(())
    }

    fn check_header(
        &self,
        header: HeaderBuffer,
        fields: u64,
        line: u64,
    ) -> Result<(), IngestError> {
        if fields > self.max_columns as u64 {
            return Err(super::too_many_columns(fields, self.max_columns));
        }
        if header.overflowed {
            return Err(IngestError::Malformed(format!(
                "line {line}: the header is longer than {} MiB; column names this long are not \
                 supported",
                MAX_HEADER_BYTES / (1024 * 1024)
            )));
        }
        let Ok(text) = std::str::from_utf8(&header.bytes) else {
            return Err(not_utf8(line));
        };
        let mut names = Vec::with_capacity(header.ends.len());
        let mut start = 0;
        for &end in &header.ends {
            names.push(text.get(start..end).unwrap_or_default());
            start = end;
        }
        if names.len() == 1 && names[0].trim().is_empty() {
            return Err(IngestError::Empty);
        }
        let mut seen = HashSet::new();
        for (index, name) in names.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(IngestError::Malformed(format!(
                    "line 1: column {} has no name in the header",
                    index + 1
                )));
            }
            if !seen.insert(*name) {
                return Err(IngestError::Malformed(format!(
                    "line 1: the header names the column '{name}' twice"
                )));
            }
        }
        Ok(())
    }
}

fn not_utf8(line: u64) -> IngestError {
    IngestError::Malformed(format!(
        "line {line}: the text is not valid UTF-8; save the file as UTF-8 and upload it again"
    ))
}

/// UTF-8 validation of a record's bytes as they pass, a few bytes of carry between pieces.
#[derive(Default)]
struct Utf8Stream {
    /// The start of a character whose remaining bytes are in the next piece (at most 3).
    carry: Vec<u8>,
}

impl Utf8Stream {
    /// Whether everything so far can still be the start of valid UTF-8.
    fn push(&mut self, mut bytes: &[u8]) -> bool {
        while !self.carry.is_empty() {
            let Some((&next, rest)) = bytes.split_first() else {
                return true;
            };
            self.carry.push(next);
            bytes = rest;
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_some() || self.carry.len() >= 4 => return false,
                Err(_) => {}
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => true,
            Err(e) if e.error_len().is_some() => false,
            Err(e) => {
                self.carry.extend_from_slice(&bytes[e.valid_up_to()..]);
                true
            }
        }
    }

    /// Whether the record ended on a whole character; resets for the next record.
    fn finish(&mut self) -> bool {
        let whole = self.carry.is_empty();
        self.carry.clear();
        whole
    }
}

#[derive(Debug, Clone, Copy)]
pub enum JsonShape {
    /// `[{...}, {...}]`
    Array,
    /// One object per line.
    Lines,
}

/// Tells a JSON array from newline-delimited JSON by the first significant character.
pub fn sniff_json(path: &Path) -> Result<JsonShape, IngestError> {
    let mut buffer = [0u8; 4096];
    let mut file = File::open(path)?;
    let read = file.read(&mut buffer)?;
    let text = buffer[..read]
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&buffer[..read]);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => Ok(JsonShape::Array),
        Some(b'{') => Ok(JsonShape::Lines),
        Some(_) => Err(IngestError::Malformed(
            "the file is not JSON records: expected an array of objects or one object per line"
                .into(),
        )),
        None => Err(IngestError::Empty),
    }
}

/// Refuses JSON records with more distinct field names than `max_columns`, reading the file
/// once and keeping only the names (at most `max_columns` of them), never the values.
///
/// Records need not share their fields, and every name any record uses becomes a column: a
/// small file of records with different names is a wide table of nulls. Syntax errors are left
/// for the parser to report in its own words; this pass then stops without a verdict.
pub fn check_json_columns(
    path: &Path,
    shape: JsonShape,
    max_columns: usize,
) -> Result<(), IngestError> {
    use serde::de::DeserializeSeed;

    let mut input = std::io::BufReader::with_capacity(1 << 16, File::open(path)?);
    let mut names = FieldNames {
        seen: HashSet::new(),
        limit: max_columns,
    };
    let outcome = match shape {
        JsonShape::Array => {
            let mut json = serde_json::Deserializer::from_reader(&mut input);
            RecordsSeed(&mut names).deserialize(&mut json).map(|_| ())
        }
        JsonShape::Lines => loop {
            // One value at a time: an object ends at its `}`, so the deserializer reads no byte
            // of the next record.
            if !skip_whitespace(&mut input)? {
                break Ok(());
            }
            let mut json = serde_json::Deserializer::from_reader(&mut input);
            if let Err(err) = RecordSeed(&mut names).deserialize(&mut json) {
                break Err(err);
            }
        },
    };
    match outcome {
        _ if names.seen.len() > max_columns => Err(IngestError::TooManyColumns(format!(
            "the file has at least {} columns (distinct field names); this server takes at \
             most {max_columns} (max_columns)",
            max_columns + 1
        ))),
        _ => Ok(()),
    }
}

/// Skips whitespace; whether anything follows.
fn skip_whitespace(input: &mut impl std::io::BufRead) -> Result<bool, IngestError> {
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(false);
        }
        let blank = buffer
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        let more = blank < buffer.len();
        input.consume(blank);
        if more {
            return Ok(true);
        }
    }
}

/// The distinct field names seen so far, up to one past the limit.
struct FieldNames {
    seen: HashSet<String>,
    limit: usize,
}

/// Field names of a stream of JSON values: an object's keys are kept, anything else skipped.
struct RecordSeed<'a>(&'a mut FieldNames);

/// Field names of every record in a JSON array.
struct RecordsSeed<'a>(&'a mut FieldNames);

/// The error that ends the pass once the limit is passed.
const PAST_THE_LIMIT: &str = "more field names than max_columns";

impl<'de> serde::de::DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, json: D) -> Result<(), D::Error> {
        json.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RecordSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::{Error, IgnoredAny};
        while map.next_key_seed(NameSeed(self.0))?.is_some() {
            map.next_value::<IgnoredAny>()?;
            if self.0.seen.len() > self.0.limit {
                return Err(A::Error::custom(PAST_THE_LIMIT));
            }
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// One field name, added to the set without a copy when it is already there.
struct NameSeed<'a>(&'a mut FieldNames);

impl<'de> serde::de::DeserializeSeed<'de> for NameSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, json: D) -> Result<(), D::Error> {
        json.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NameSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E>(self, name: &str) -> Result<(), E> {
        if !self.0.seen.contains(name) {
            self.0.seen.insert(name.to_owned());
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, json: D) -> Result<(), D::Error> {
        json.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RecordsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of records")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RecordSeed(self.0))?.is_some() {}
        Ok(())
    }
}

/// Size and hex SHA-256 of a file, read in bounded chunks.
pub fn size_and_sha256(path: &Path) -> Result<(i64, String), IngestError> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        size += read as u64;
        hasher.update(&buffer[..read]);
    }
    Ok((size as i64, hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check as it was written over `csv::Reader`, pulling the whole file: the streaming
    /// check must give the same answer whatever the chunks.
    fn reference(input: &[u8], separator: u8) -> Result<(), String> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .has_headers(true)
            .flexible(false)
            .from_reader(input);
        let describe = |err: &csv::Error| match err.kind() {
            csv::ErrorKind::UnequalLengths {
                pos,
                expected_len,
                len,
            } => IngestError::Ragged {
                line: pos.as_ref().map(|p| p.line()).unwrap_or(0),
                expected: *expected_len,
                found: *len,
            }
            .to_string(),
            csv::ErrorKind::Utf8 { pos, .. } => {
                not_utf8(pos.as_ref().map(|p| p.line()).unwrap_or(0)).to_string()
            }
            _ => format!("other: {err}"),
        };
        let header = reader.headers().map_err(|e| describe(&e))?.clone();
        if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
            return Err(IngestError::Empty.to_string());
        }
        let mut seen = HashSet::new();
        for (index, name) in header.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(format!(
                    "line 1: column {} has no name in the header",
                    index + 1
                ));
            }
            if !seen.insert(name) {
                return Err(format!(
                    "line 1: the header names the column '{name}' twice"
                ));
            }
        }
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {
                    if std::str::from_utf8(record.as_slice()).is_err() {
                        let line = record.position().map(|p| p.line()).unwrap_or(0);
                        return Err(not_utf8(line).to_string());
                    }
                }
                Ok(false) => return Ok(()),
                Err(e) => return Err(describe(&e)),
            }
        }
    }

    fn streamed(chunks: &[&[u8]], separator: u8) -> Result<(), String> {
        let mut check = DelimitedCheck::new(separator, 100);
        for chunk in chunks {
            check.feed(chunk).map_err(|e| e.to_string())?;
        }
        check.finish().map_err(|e| e.to_string())
    }

    const CASES: &[&[u8]] = &[
        b"a,b\n1,2\n3,4\n",
        b"a,b\n1,2\n3,4,5\n",
        b"a,b,c\n1,2,3\n4,5\n",
        b"a,b\n1,caf\xe9\n",
        b"a,b\n1,\"caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97\"\n2,\xf0\x9f\x98\x80\n",
        b"a,b\n1,\xf0\x9f\x98\n",
        b"a,b\n1,\xc3\n",
        b"a,\xff\n1,2\n",
        b"a,a\n1,2\n",
        b"a,,c\n1,2,3\n",
        b"",
        b"\n\n",
        b" \n1\n",
        b"a,b\r\n1,2\r\n3\r\n",
        b"a,b\n\"x\ny\",2\n3\n",
        b"a,b\n1,2",
        b"a,b\n1",
        b"a,b\n\n1,2\n\n",
        b"id,note\n1,\"say \"\"hi\"\", twice\"\n2,\"\"\n",
        b"\"a\nb\",c\n1,2\n3,4,5\n",
    ];

    #[test]
    fn agrees_with_the_csv_reader_whatever_the_chunks() {
        for case in CASES {
            let expected = reference(case, b',');
            assert_eq!(
                streamed(&[case], b','),
                expected,
                "{:?}",
                String::from_utf8_lossy(case)
            );
            for split in 0..=case.len() {
                let (left, right) = case.split_at(split);
                assert_eq!(
                    streamed(&[left, right], b','),
                    expected,
                    "{:?} split at {split}",
                    String::from_utf8_lossy(case)
                );
            }
            let bytes: Vec<&[u8]> = case.chunks(1).collect();
            assert_eq!(
                streamed(&bytes, b','),
                expected,
                "{:?} byte by byte",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn tabs_separate_tsv() {
        assert_eq!(streamed(&[b"a\tb\n1\t2\n"], b'\t'), Ok(()));
        assert!(streamed(&[b"a\tb\n1\t2\t3\n"], b'\t').is_err());
    }

    #[test]
    fn a_huge_header_is_refused_without_being_kept() {
        let mut header = vec![b'x'; MAX_HEADER_BYTES + 10];
        header.push(b'\n');
        let err = streamed(&[&header, b"1\n"], b',').unwrap_err();
        assert!(err.contains("header is longer"), "{err}");
    }

    #[test]
    fn columns_beyond_the_limit_are_counted_and_refused() {
        let header = (0..25)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let file = format!("{header}\n{}\n", vec!["1"; 25].join(","));
        let run = |limit: usize| {
            let mut check = DelimitedCheck::new(b',', limit);
            check
                .feed(file.as_bytes())
                .and_then(|()| check.finish())
                .map_err(|e| e.to_string())
        };
        assert_eq!(run(25), Ok(()));
        let err = run(10).unwrap_err();
        assert!(
            err.contains("25 columns") && err.contains("at most 10"),
            "{err}"
        );
    }

    #[test]
    fn json_field_names_are_counted_across_records() {
        let dir = tempfile::tempdir().unwrap();
        let lines = dir.path().join("t.ndjson");
        std::fs::write(
            &lines,
            "{\"a\": 1, \"b\": [1, {\"x\": 2}]}\n\n{\"c\": null}\n{\"a\": 2}\n",
        )
        .unwrap();
        assert!(check_json_columns(&lines, JsonShape::Lines, 3).is_ok());
        let err = check_json_columns(&lines, JsonShape::Lines, 2).unwrap_err();
        assert!(err.to_string().contains("at least 3 columns"), "{err}");

        let array = dir.path().join("t.json");
        std::fs::write(
            &array,
            "[{\"a\": 1}, {\"b\": {\"nested\": 1}}, {\"a\": 3, \"c\": \"x\"}]",
        )
        .unwrap();
        assert!(check_json_columns(&array, JsonShape::Array, 3).is_ok());
        assert!(check_json_columns(&array, JsonShape::Array, 2).is_err());

        // Broken JSON is the parser's to explain.
        std::fs::write(&array, "[{\"a\": 1}, {\"a\": ").unwrap();
        assert!(check_json_columns(&array, JsonShape::Array, 2).is_ok());
    }
}
