//! The `compress` interface of `tessera:plugin`: DEFLATE streams a plugin asks the host to
//! compress.
//!
//! Like hashing (see [`super::digest`]), compressing is pure computation and needs no
//! capability. It is here because the compressor's inner loops (finding the longest match,
//! sliding its hash chains) use vector instructions that code inside the sandbox cannot, so
//! in a component they take about twice the host's time, and a zipped format (the Data
//! Package) spends most of its own time there. What a plugin can make the host hold or do is
//! bounded: at most [`MAX_OPEN_DEFLATERS`] streams per instance, each a few hundred KiB of
//! compressor state, and at most [`MAX_DEFLATE_INPUT`] bytes compressed per call, so one call
//! into the host, which the plugin's time limit cannot interrupt, stays short.

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;
use wasmtime::component::{HasSelf, Linker, Resource};

use super::bindings::v0_1_0::tessera::plugin::compress::{self, HostDeflater};
use super::runtime::Sandbox;

/// How many `deflater` streams one instance may hold at once; making one more traps.
pub const MAX_OPEN_DEFLATERS: usize = 4;

/// The most bytes one `write` may hand the host; more traps.
pub const MAX_DEFLATE_INPUT: usize = 16 << 20;

/// The host's state behind one `deflater` resource.
pub struct Deflater {
    encoder: DeflateEncoder<Vec<u8>>,
}

/// Links the `compress` interface, implemented by [`Sandbox`], into `linker`.
pub fn add_to_linker(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    compress::add_to_linker::<Sandbox, HasSelf<Sandbox>>(linker, |sandbox| sandbox)
}

impl compress::Host for Sandbox {}

impl HostDeflater for Sandbox {
    fn new(&mut self, level: u8) -> wasmtime::Result<Resource<Deflater>> {
        if level > 9 {
            wasmtime::bail!("DEFLATE level {level} does not exist; levels are 0 to 9");
        }
        if self.open_deflaters >= MAX_OPEN_DEFLATERS {
            wasmtime::bail!("the plugin holds more than {MAX_OPEN_DEFLATERS} DEFLATE streams");
        }
        let deflater = self.table.push(Deflater {
            encoder: DeflateEncoder::new(Vec::new(), Compression::new(u32::from(level))),
        })?;
        self.open_deflaters += 1;
        Ok(deflater)
    }

    fn write(&mut self, deflater: Resource<Deflater>, data: Vec<u8>) -> wasmtime::Result<Vec<u8>> {
        if data.len() > MAX_DEFLATE_INPUT {
            wasmtime::bail!(
                "the plugin asked the host to compress {} bytes in one call, more than {MAX_DEFLATE_INPUT}",
                data.len()
            );
        }
        let deflater = self.table.get_mut(&deflater)?;
        deflater.encoder.write_all(&data)?;
        Ok(std::mem::take(deflater.encoder.get_mut()))
    }

    fn finish(&mut self, deflater: Resource<Deflater>) -> wasmtime::Result<Vec<u8>> {
        // `reset` ends the stream into the current buffer, hands that back and starts a new
        // stream at the same level.
        Ok(self.table.get_mut(&deflater)?.encoder.reset(Vec::new())?)
    }

    fn drop(&mut self, deflater: Resource<Deflater>) -> wasmtime::Result<()> {
        self.table.delete(deflater)?;
        self.open_deflaters -= 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::DeflateDecoder;

    use super::*;

    fn sandbox() -> Sandbox {
        Sandbox::for_tests()
    }

    fn inflate(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        DeflateDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a valid DEFLATE stream");
        out
    }

    #[test]
    fn streams_inflate_to_what_was_written_and_start_over_after_finish() {
        let mut sandbox = sandbox();
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i},\"row {}\"\n", i % 97).into_bytes())
            .collect();
        for level in [0, 1, 6, 9] {
            let deflater = HostDeflater::new(&mut sandbox, level).unwrap();
            for _ in 0..2 {
                let mut compressed = Vec::new();
                for piece in text.chunks(65_521) {
                    let out = HostDeflater::write(
                        &mut sandbox,
                        Resource::new_borrow(deflater.rep()),
                        piece.to_vec(),
                    )
                    .unwrap();
                    compressed.extend_from_slice(&out);
                }
                compressed.extend(
                    HostDeflater::finish(&mut sandbox, Resource::new_borrow(deflater.rep()))
                        .unwrap(),
                );
                assert_eq!(inflate(&compressed), text, "level {level}");
                if level > 0 {
                    assert!(
                        compressed.len() < text.len() / 2,
                        "level {level} compresses"
                    );
                }
            }
            HostDeflater::drop(&mut sandbox, deflater).unwrap();
        }
        assert_eq!(sandbox.open_deflaters, 0);
    }

    #[test]
    fn too_many_streams_a_level_past_nine_and_an_oversized_write_trap() {
        let mut sandbox = sandbox();
        assert!(HostDeflater::new(&mut sandbox, 10).is_err());
        let open: Vec<_> = (0..MAX_OPEN_DEFLATERS)
            .map(|_| HostDeflater::new(&mut sandbox, 6).unwrap())
            .collect();
        assert!(HostDeflater::new(&mut sandbox, 6).is_err());
        let first = Resource::new_borrow(open[0].rep());
        assert!(HostDeflater::write(&mut sandbox, first, vec![0; MAX_DEFLATE_INPUT + 1]).is_err());
        for deflater in open {
            HostDeflater::drop(&mut sandbox, deflater).unwrap();
        }
        // A stream given back makes room for another.
        assert!(HostDeflater::new(&mut sandbox, 6).is_ok());
    }
}
