//! The digest unit: the `digest` interface of `tessera:plugin`, hashes a plugin asks the host
//! to compute.
//!
//! Hashing is pure computation, so every plugin gets this unit and no manifest asks for it. It
//! is here because code inside the sandbox cannot use the processor's SHA instructions: a
//! format that checksums its output (the Data Package's `hash` of its CSV) would otherwise
//! spend a tenth of its time on it, several times what the host spends. What a plugin can
//! make the host hold is bounded: at most [`MAX_OPEN_HASHERS`] hashers per instance, each a
//! few hundred bytes, and the data of one `update`, which lives in the plugin's own memory
//! first and so is within its memory limit.
//!
//! It also computes CRC-32, the checksum of every zip entry, for the same reason: the host's
//! uses carry-less multiplication, the sandbox's a table lookup per byte. One call checksums
//! at most [`MAX_CRC32_INPUT`] bytes, so that it stays short.
//!
//! The hashers are this unit's own objects, held in its state by the rep the guest's handle
//! carries ([`Held`]), so the bindings need to know nothing of them.

use sha2::{Digest as _, Sha256};
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::{WasiCtxBuilder, WasiView};
use wasmtime_wasi_http::WasiHttpView;

use super::unit::{Capability, Held, StateOf};
use crate::plugins::bindings::v0_1_0::tessera::plugin::digest::{self, HostSha256};
use crate::plugins::bindings::v0_2_0::tessera::plugin::digest as v0_2_0;
use crate::plugins::bindings::v0_3_0::tessera::plugin::digest as v0_3_0;
use crate::plugins::error::PluginError;
use crate::plugins::manifest::{Capabilities, Manifest};

/// How many `sha256` hashers one instance may hold at once; making one more traps.
pub const MAX_OPEN_HASHERS: usize = 16;

/// The most bytes one `crc32` call may hand the host; more traps.
pub const MAX_CRC32_INPUT: usize = 16 << 20;

/// The digest unit.
pub struct Digest;

/// One store's hashers.
pub struct DigestState {
    hashers: Held<Sha256>,
}

impl Default for DigestState {
    fn default() -> Self {
        Self {
            hashers: Held::new(MAX_OPEN_HASHERS, "SHA-256 hashers"),
        }
    }
}

impl Capability for Digest {
    type Grant = ();
    type State = DigestState;

    fn validate(_manifest: &Manifest, _approved: &Capabilities) -> Result<(), String> {
        Ok(())
    }

    fn link<T: WasiView + WasiHttpView + 'static>(
        linker: &mut Linker<T>,
        state: fn(&mut T) -> &mut DigestState,
    ) -> wasmtime::Result<()> {
        digest::add_to_linker::<T, StateOf<DigestState>>(linker, state)?;
        v0_2_0::add_to_linker::<T, StateOf<DigestState>>(linker, state)?;
        v0_3_0::add_to_linker::<T, StateOf<DigestState>>(linker, state)
    }

    fn instantiate(
        &self,
        _grant: &(),
        _wasi: &mut WasiCtxBuilder,
    ) -> Result<DigestState, PluginError> {
        Ok(DigestState::default())
    }
}

impl digest::Host for DigestState {
    fn crc32(&mut self, crc: u32, data: Vec<u8>) -> wasmtime::Result<u32> {
        if data.len() > MAX_CRC32_INPUT {
            wasmtime::bail!(
                "the plugin asked for the CRC-32 of {} bytes in one call, more than {MAX_CRC32_INPUT}",
                data.len()
            );
        }
        let mut hasher = crc32fast::Hasher::new_with_initial(crc);
        hasher.update(&data);
        Ok(hasher.finalize())
    }
}

impl HostSha256 for DigestState {
    fn new(&mut self) -> wasmtime::Result<Resource<digest::Sha256>> {
        let rep = self.hashers.insert(Sha256::new())?;
        Ok(Resource::new_own(rep))
    }

    fn update(&mut self, hasher: Resource<digest::Sha256>, data: Vec<u8>) -> wasmtime::Result<()> {
        self.hashers.get_mut(hasher.rep())?.update(&data);
        Ok(())
    }

    fn finish(&mut self, hasher: Resource<digest::Sha256>) -> wasmtime::Result<Vec<u8>> {
        Ok(self
            .hashers
            .get_mut(hasher.rep())?
            .finalize_reset()
            .to_vec())
    }

    fn drop(&mut self, hasher: Resource<digest::Sha256>) -> wasmtime::Result<()> {
        self.hashers.remove(hasher.rep())?;
        Ok(())
    }
}

// 0.2.0's `digest` is 0.1.0's under another version: the same functions on the same hashers.
impl v0_2_0::Host for DigestState {
    fn crc32(&mut self, crc: u32, data: Vec<u8>) -> wasmtime::Result<u32> {
        digest::Host::crc32(self, crc, data)
    }
}

impl v0_2_0::HostSha256 for DigestState {
    fn new(&mut self) -> wasmtime::Result<Resource<v0_2_0::Sha256>> {
        Ok(Resource::new_own(HostSha256::new(self)?.rep()))
    }

    fn update(&mut self, hasher: Resource<v0_2_0::Sha256>, data: Vec<u8>) -> wasmtime::Result<()> {
        HostSha256::update(self, Resource::new_borrow(hasher.rep()), data)
    }

    fn finish(&mut self, hasher: Resource<v0_2_0::Sha256>) -> wasmtime::Result<Vec<u8>> {
        HostSha256::finish(self, Resource::new_borrow(hasher.rep()))
    }

    fn drop(&mut self, hasher: Resource<v0_2_0::Sha256>) -> wasmtime::Result<()> {
        HostSha256::drop(self, Resource::new_own(hasher.rep()))
    }
}

// And 0.3.0's is 0.2.0's under another version.
impl v0_3_0::Host for DigestState {
    fn crc32(&mut self, crc: u32, data: Vec<u8>) -> wasmtime::Result<u32> {
        digest::Host::crc32(self, crc, data)
    }
}

impl v0_3_0::HostSha256 for DigestState {
    fn new(&mut self) -> wasmtime::Result<Resource<v0_3_0::Sha256>> {
        Ok(Resource::new_own(HostSha256::new(self)?.rep()))
    }

    fn update(&mut self, hasher: Resource<v0_3_0::Sha256>, data: Vec<u8>) -> wasmtime::Result<()> {
        HostSha256::update(self, Resource::new_borrow(hasher.rep()), data)
    }

    fn finish(&mut self, hasher: Resource<v0_3_0::Sha256>) -> wasmtime::Result<Vec<u8>> {
        HostSha256::finish(self, Resource::new_borrow(hasher.rep()))
    }

    fn drop(&mut self, hasher: Resource<v0_3_0::Sha256>) -> wasmtime::Result<()> {
        HostSha256::drop(self, Resource::new_own(hasher.rep()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_check_value_in_any_pieces_and_refuses_oversized_data() {
        let mut state = DigestState::default();
        // The standard check value of CRC-32/ISO-HDLC.
        let text = b"123456789";
        for piece in [1, 4, 9] {
            let mut crc = 0;
            for chunk in text.chunks(piece) {
                crc = digest::Host::crc32(&mut state, crc, chunk.to_vec()).unwrap();
            }
            assert_eq!(crc, 0xCBF4_3926);
        }
        assert_eq!(digest::Host::crc32(&mut state, 0, Vec::new()).unwrap(), 0);
        assert!(digest::Host::crc32(&mut state, 0, vec![0; MAX_CRC32_INPUT + 1]).is_err());
    }

    #[test]
    fn hashers_hash_start_over_after_finish_and_are_bounded() {
        let mut state = DigestState::default();
        let hasher = HostSha256::new(&mut state).unwrap();
        let borrow = || Resource::<digest::Sha256>::new_borrow(hasher.rep());
        for _ in 0..2 {
            HostSha256::update(&mut state, borrow(), b"ab".to_vec()).unwrap();
            HostSha256::update(&mut state, borrow(), b"c".to_vec()).unwrap();
            // FIPS 180-4's example "abc".
            assert_eq!(
                hex::encode(HostSha256::finish(&mut state, borrow()).unwrap()),
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            );
        }
        let more: Vec<_> = (1..MAX_OPEN_HASHERS)
            .map(|_| HostSha256::new(&mut state).unwrap())
            .collect();
        assert!(HostSha256::new(&mut state).is_err(), "one hasher too many");
        HostSha256::drop(&mut state, hasher).unwrap();
        assert!(
            HostSha256::new(&mut state).is_ok(),
            "a hasher given back makes room"
        );
        drop(more);
    }
}
