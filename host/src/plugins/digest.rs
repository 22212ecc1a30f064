//! The `digest` interface of `tessera:plugin`: hashes a plugin asks the host to compute.
//!
//! Hashing is pure computation, so it needs no capability and the manifest asks for none. It
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

use sha2::{Digest, Sha256};
use wasmtime::component::{HasSelf, Linker, Resource};

use super::bindings::v0_1_0::tessera::plugin::digest::{self, HostSha256};
use super::runtime::Sandbox;

/// How many `sha256` hashers one instance may hold at once; making one more traps.
pub const MAX_OPEN_HASHERS: usize = 16;

/// The most bytes one `crc32` call may hand the host; more traps.
pub const MAX_CRC32_INPUT: usize = 16 << 20;

/// The host's state behind one `sha256` resource.
pub struct Sha256Hasher(Sha256);

/// Links the `digest` interface, implemented by [`Sandbox`], into `linker`.
pub fn add_to_linker(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    digest::add_to_linker::<Sandbox, HasSelf<Sandbox>>(linker, |sandbox| sandbox)
}

impl digest::Host for Sandbox {
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

impl HostSha256 for Sandbox {
    fn new(&mut self) -> wasmtime::Result<Resource<Sha256Hasher>> {
        if self.open_hashers >= MAX_OPEN_HASHERS {
            wasmtime::bail!("the plugin holds more than {MAX_OPEN_HASHERS} SHA-256 hashers");
        }
        let hasher = self.table.push(Sha256Hasher(Sha256::new()))?;
        self.open_hashers += 1;
        Ok(hasher)
    }

    fn update(&mut self, hasher: Resource<Sha256Hasher>, data: Vec<u8>) -> wasmtime::Result<()> {
        self.table.get_mut(&hasher)?.0.update(&data);
        Ok(())
    }

    fn finish(&mut self, hasher: Resource<Sha256Hasher>) -> wasmtime::Result<Vec<u8>> {
        Ok(self.table.get_mut(&hasher)?.0.finalize_reset().to_vec())
    }

    fn drop(&mut self, hasher: Resource<Sha256Hasher>) -> wasmtime::Result<()> {
        self.table.delete(hasher)?;
        self.open_hashers -= 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_check_value_in_any_pieces_and_refuses_oversized_data() {
        let mut sandbox = Sandbox::for_tests();
        // The standard check value of CRC-32/ISO-HDLC.
        let text = b"123456789";
        for piece in [1, 4, 9] {
            let mut crc = 0;
            for chunk in text.chunks(piece) {
                crc = digest::Host::crc32(&mut sandbox, crc, chunk.to_vec()).unwrap();
            }
            assert_eq!(crc, 0xCBF4_3926);
        }
        assert_eq!(digest::Host::crc32(&mut sandbox, 0, Vec::new()).unwrap(), 0);
        assert!(digest::Host::crc32(&mut sandbox, 0, vec![0; MAX_CRC32_INPUT + 1]).is_err());
    }
}
