//! Cheap streaming checks that find what polars would report vaguely or not at all: ragged
//! rows (with their line number), invalid UTF-8, a missing or duplicated header.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::IngestError;

/// Walks every record of a delimited file (RFC 4180 quoting) once.
pub fn check_delimited(path: &Path, separator: u8) -> Result<(), IngestError> {
    check_delimited_reader(
        BufReader::with_capacity(1 << 20, File::open(path)?),
        separator,
    )
}

/// The same check over any reader, so that it can run while an upload is still arriving.
pub fn check_delimited_reader(input: impl Read, separator: u8) -> Result<(), IngestError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(true)
        .flexible(false)
        .from_reader(input);

    let header = reader
        .headers()
        .map_err(|e| describe_csv_error(&e))?
        .clone();
    if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
        return Err(IngestError::Empty);
    }
    let mut seen = HashSet::new();
    for (index, name) in header.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(IngestError::Malformed(format!(
                "line 1: column {} has no name in the header",
                index + 1
            )));
        }
        if !seen.insert(name) {
            return Err(IngestError::Malformed(format!(
                "line 1: the header names the column '{name}' twice"
            )));
        }
    }
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                if std::str::from_utf8(record.as_slice()).is_err() {
                    let line = record.position().map(|p| p.line()).unwrap_or(0);
                    return Err(IngestError::Malformed(format!(
                        "line {line}: the text is not valid UTF-8; save the file as UTF-8 and upload it again"
                    )));
                }
            }
            Ok(false) => return Ok(()),
            Err(e) => return Err(describe_csv_error(&e)),
        }
    }
}

fn describe_csv_error(err: &csv::Error) -> IngestError {
    match err.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => IngestError::Ragged {
            line: pos.as_ref().map(|p| p.line()).unwrap_or(0),
            expected: *expected_len,
            found: *len,
        },
        csv::ErrorKind::Utf8 { pos, .. } => IngestError::Malformed(format!(
            "line {}: the text is not valid UTF-8; save the file as UTF-8 and upload it again",
            pos.as_ref().map(|p| p.line()).unwrap_or(0)
        )),
        csv::ErrorKind::Io(e) => IngestError::Io(std::io::Error::new(e.kind(), e.to_string())),
        _ => IngestError::Malformed(format!("the file is not valid CSV: {err}")),
    }
}

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
