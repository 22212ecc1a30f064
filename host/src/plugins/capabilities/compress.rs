//! The compress unit: the `compress` interface of `tessera:plugin`, DEFLATE streams a plugin
//! asks the host to compress.
//!
//! Like hashing (see [`super::digest`]), compressing is pure computation, so every plugin gets
//! this unit and no manifest asks for it. It is here because the compressor's inner loops (finding the longest match,
//! sliding its hash chains) use vector instructions that code inside the sandbox cannot, so
//! in a component they take about twice the host's time, and a zipped format (the Data
//! Package) spends most of its own time there. What a plugin can make the host hold or do is
//! bounded: at most [`MAX_OPEN_DEFLATERS`] streams per instance, each a few hundred KiB of
//! compressor state, and at most [`MAX_DEFLATE_INPUT`] bytes compressed per call, so one call
//! into the host, which the plugin's time limit cannot interrupt, stays short.

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::{WasiCtxBuilder, WasiView};
use wasmtime_wasi_http::WasiHttpView;

use super::unit::{Capability, Held, StateOf};
use crate::plugins::bindings::v0_1_0::tessera::plugin::compress::{self, HostDeflater};
use crate::plugins::bindings::v0_2_0::tessera::plugin::compress as v0_2_0;
use crate::plugins::bindings::v0_3_0::tessera::plugin::compress as v0_3_0;
use crate::plugins::error::PluginError;
use crate::plugins::manifest::{Capabilities, Manifest};

/// How many `deflater` streams one instance may hold at once; making one more traps.
pub const MAX_OPEN_DEFLATERS: usize = 4;

/// The most bytes one `write` may hand the host; more traps.
pub const MAX_DEFLATE_INPUT: usize = 16 << 20;

/// The compress unit.
pub struct Compress;

/// One store's DEFLATE streams.
pub struct CompressState {
    deflaters: Held<DeflateEncoder<Vec<u8>>>,
}

impl Default for CompressState {
    fn default() -> Self {
        Self {
            deflaters: Held::new(MAX_OPEN_DEFLATERS, "DEFLATE streams"),
        }
    }
}

impl Capability for Compress {
    type Grant = ();
    type State = CompressState;

    fn validate(_manifest: &Manifest, _approved: &Capabilities) -> Result<(), String> {
        Ok(())
    }

    fn link<T: WasiView + WasiHttpView + 'static>(
        linker: &mut Linker<T>,
        state: fn(&mut T) -> &mut CompressState,
    ) -> wasmtime::Result<()> {
        compress::add_to_linker::<T, StateOf<CompressState>>(linker, state)?;
        v0_2_0::add_to_linker::<T, StateOf<CompressState>>(linker, state)?;
        v0_3_0::add_to_linker::<T, StateOf<CompressState>>(linker, state)
    }

    fn instantiate(
        &self,
        _grant: &(),
        _wasi: &mut WasiCtxBuilder,
    ) -> Result<CompressState, PluginError> {
        Ok(CompressState::default())
    }
}

impl compress::Host for CompressState {}

impl HostDeflater for CompressState {
    fn new(&mut self, level: u8) -> wasmtime::Result<Resource<compress::Deflater>> {
        if level > 9 {
            wasmtime::bail!("DEFLATE level {level} does not exist; levels are 0 to 9");
        }
        let rep = self.deflaters.insert(DeflateEncoder::new(
            Vec::new(),
            Compression::new(u32::from(level)),
        ))?;
        Ok(Resource::new_own(rep))
    }

    fn write(
        &mut self,
        deflater: Resource<compress::Deflater>,
        data: Vec<u8>,
    ) -> wasmtime::Result<Vec<u8>> {
        if data.len() > MAX_DEFLATE_INPUT {
            wasmtime::bail!(
                "the plugin asked the host to compress {} bytes in one call, more than {MAX_DEFLATE_INPUT}",
                data.len()
            );
        }
        let encoder = self.deflaters.get_mut(deflater.rep())?;
        encoder.write_all(&data)?;
        Ok(std::mem::take(encoder.get_mut()))
    }

    fn finish(&mut self, deflater: Resource<compress::Deflater>) -> wasmtime::Result<Vec<u8>> {
        // `reset` ends the stream into the current buffer, hands that back and starts a new
        // stream at the same level.
        Ok(self.deflaters.get_mut(deflater.rep())?.reset(Vec::new())?)
    }

    fn drop(&mut self, deflater: Resource<compress::Deflater>) -> wasmtime::Result<()> {
        self.deflaters.remove(deflater.rep())?;
        Ok(())
    }
}

// 0.2.0's `compress` is 0.1.0's under another version: the same functions on the same
// streams.
impl v0_2_0::Host for CompressState {}

impl v0_2_0::HostDeflater for CompressState {
    fn new(&mut self, level: u8) -> wasmtime::Result<Resource<v0_2_0::Deflater>> {
        Ok(Resource::new_own(HostDeflater::new(self, level)?.rep()))
    }

    fn write(
        &mut self,
        deflater: Resource<v0_2_0::Deflater>,
        data: Vec<u8>,
    ) -> wasmtime::Result<Vec<u8>> {
        HostDeflater::write(self, Resource::new_borrow(deflater.rep()), data)
    }

    fn finish(&mut self, deflater: Resource<v0_2_0::Deflater>) -> wasmtime::Result<Vec<u8>> {
        HostDeflater::finish(self, Resource::new_borrow(deflater.rep()))
    }

    fn drop(&mut self, deflater: Resource<v0_2_0::Deflater>) -> wasmtime::Result<()> {
        HostDeflater::drop(self, Resource::new_own(deflater.rep()))
    }
}

// And 0.3.0's is 0.2.0's under another version.
impl v0_3_0::Host for CompressState {}

impl v0_3_0::HostDeflater for CompressState {
    fn new(&mut self, level: u8) -> wasmtime::Result<Resource<v0_3_0::Deflater>> {
        Ok(Resource::new_own(HostDeflater::new(self, level)?.rep()))
    }

    fn write(
        &mut self,
        deflater: Resource<v0_3_0::Deflater>,
        data: Vec<u8>,
    ) -> wasmtime::Result<Vec<u8>> {
        HostDeflater::write(self, Resource::new_borrow(deflater.rep()), data)
    }

    fn finish(&mut self, deflater: Resource<v0_3_0::Deflater>) -> wasmtime::Result<Vec<u8>> {
        HostDeflater::finish(self, Resource::new_borrow(deflater.rep()))
    }

    fn drop(&mut self, deflater: Resource<v0_3_0::Deflater>) -> wasmtime::Result<()> {
        HostDeflater::drop(self, Resource::new_own(deflater.rep()))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::DeflateDecoder;

    use super::*;

    fn state() -> CompressState {
        CompressState::default()
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
        let mut state = state();
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i},\"row {}\"\n", i % 97).into_bytes())
            .collect();
        for level in [0, 1, 6, 9] {
            let deflater = HostDeflater::new(&mut state, level).unwrap();
            for _ in 0..2 {
                let mut compressed = Vec::new();
                for piece in text.chunks(65_521) {
                    let out = HostDeflater::write(
                        &mut state,
                        Resource::new_borrow(deflater.rep()),
                        piece.to_vec(),
                    )
                    .unwrap();
                    compressed.extend_from_slice(&out);
                }
                compressed.extend(
                    HostDeflater::finish(&mut state, Resource::new_borrow(deflater.rep())).unwrap(),
                );
                assert_eq!(inflate(&compressed), text, "level {level}");
                if level > 0 {
                    assert!(
                        compressed.len() < text.len() / 2,
                        "level {level} compresses"
                    );
                }
            }
            HostDeflater::drop(&mut state, deflater).unwrap();
        }
        assert!(state.deflaters.is_empty());
    }

    #[test]
    fn too_many_streams_a_level_past_nine_and_an_oversized_write_trap() {
        let mut state = state();
        assert!(HostDeflater::new(&mut state, 10).is_err());
        let open: Vec<_> = (0..MAX_OPEN_DEFLATERS)
            .map(|_| HostDeflater::new(&mut state, 6).unwrap())
            .collect();
        assert!(HostDeflater::new(&mut state, 6).is_err());
        let first = Resource::new_borrow(open[0].rep());
        assert!(HostDeflater::write(&mut state, first, vec![0; MAX_DEFLATE_INPUT + 1]).is_err());
        for deflater in open {
            HostDeflater::drop(&mut state, deflater).unwrap();
        }
        // A stream given back makes room for another.
        assert!(HostDeflater::new(&mut state, 6).is_ok());
    }
}
