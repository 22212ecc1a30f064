//! DEFLATE for formats that are compressed archives, done by the host.
//!
//! The compressor's inner loops use vector instructions that code inside the sandbox cannot,
//! so compressing in WebAssembly takes about twice what the host takes. In a component
//! [`Deflater`] hands its data to the host's `tessera:plugin/compress` interface; built
//! natively (unit tests, the benchmark's native side), the same type compresses in place with
//! the same compressor (zlib-rs), so both give the same bytes.

/// The most bytes handed to the host in one call (the host refuses more); longer data is
/// passed in pieces of this size.
const MAX_PIECE: usize = 16 << 20;

/// A raw DEFLATE (RFC 1951) stream being written, as a zip entry holds. A plugin instance may
/// hold at most 4 at once.
pub struct Deflater {
    #[cfg(target_family = "wasm")]
    host: crate::bindings::tessera::plugin::compress::Deflater,
    #[cfg(not(target_family = "wasm"))]
    local: flate2::write::DeflateEncoder<Vec<u8>>,
}

impl Deflater {
    /// A stream compressed at `level`: 0 stores, 1 is fastest, 6 is zlib's default, 9 is
    /// smallest; higher levels are taken as 9.
    pub fn new(level: u8) -> Self {
        let level = level.min(9);
        Self {
            #[cfg(target_family = "wasm")]
            host: crate::bindings::tessera::plugin::compress::Deflater::new(level),
            #[cfg(not(target_family = "wasm"))]
            local: flate2::write::DeflateEncoder::new(
                Vec::new(),
                flate2::Compression::new(u32::from(level)),
            ),
        }
    }

    /// Compresses `data` and appends the compressed bytes ready so far to `out` (the
    /// compressor keeps some back until it has seen more, or until [`Deflater::finish`]).
    /// Each call crosses into the host, so a caller passes pieces of kilobytes or more.
    pub fn write(&mut self, data: &[u8], out: &mut Vec<u8>) {
        for piece in data.chunks(MAX_PIECE) {
            #[cfg(target_family = "wasm")]
            append(out, self.host.write(piece));
            #[cfg(not(target_family = "wasm"))]
            {
                // Writing to a `Vec` cannot fail.
                let _ = std::io::Write::write_all(&mut self.local, piece);
                append(out, std::mem::take(self.local.get_mut()));
            }
        }
    }

    /// Ends the stream and appends the rest of it to `out`. The deflater then starts a new
    /// stream at the same level, so one serves every entry of an archive.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        #[cfg(target_family = "wasm")]
        append(out, self.host.finish());
        #[cfg(not(target_family = "wasm"))]
        {
            // As in the host: `reset` ends the stream, hands back its buffer and starts a new
            // stream at the same level. Finishing into a `Vec` cannot fail.
            append(out, self.local.reset(Vec::new()).unwrap_or_default());
        }
    }
}

/// Appends `bytes` to `out`, taking the buffer itself when `out` is empty.
fn append(out: &mut Vec<u8>, bytes: Vec<u8>) {
    if out.is_empty() {
        *out = bytes;
    } else {
        out.extend_from_slice(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::Deflater;

    fn inflate(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a valid DEFLATE stream");
        out
    }

    #[test]
    fn streams_inflate_to_their_input_and_a_finished_deflater_starts_over() {
        let text: Vec<u8> = (0..50_000u32)
            .flat_map(|i| format!("{i};{}\n", i % 13).into_bytes())
            .collect();
        for level in [0, 1, 6, 9, 200] {
            let mut deflater = Deflater::new(level);
            for _ in 0..2 {
                let mut compressed = Vec::new();
                for piece in text.chunks(10_007) {
                    deflater.write(piece, &mut compressed);
                }
                deflater.finish(&mut compressed);
                assert_eq!(inflate(&compressed), text, "level {level}");
            }
        }
        let mut empty = Vec::new();
        Deflater::new(6).finish(&mut empty);
        assert!(inflate(&empty).is_empty());
    }
}
