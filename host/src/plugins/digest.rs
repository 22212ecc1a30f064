//! The `digest` interface of `tessera:plugin`: hashes a plugin asks the host to compute.
//!
//! Hashing is pure computation, so it needs no capability and the manifest asks for none. It
//! is here because code inside the sandbox cannot use the processor's SHA instructions: a
//! format that checksums its output (the Data Package's `hash` of its CSV) would otherwise
//! spend a tenth of its time on it, several times what the host spends. What a plugin can
//! make the host hold is bounded: at most [`MAX_OPEN_HASHERS`] hashers per instance, each a
//! few hundred bytes, and the data of one `update`, which lives in the plugin's own memory
//! first and so is within its memory limit.

use sha2::{Digest, Sha256};
use wasmtime::component::{HasSelf, Linker, Resource};

use super::exporter::tessera::plugin::digest::{self, HostSha256};
use super::runtime::Sandbox;

/// How many `sha256` hashers one instance may hold at once; making one more traps.
pub const MAX_OPEN_HASHERS: usize = 16;

/// The host's state behind one `sha256` resource.
pub struct Sha256Hasher(Sha256);

/// Links the `digest` interface, implemented by [`Sandbox`], into `linker`.
pub fn add_to_linker(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    digest::add_to_linker::<Sandbox, HasSelf<Sandbox>>(linker, |sandbox| sandbox)
}

impl digest::Host for Sandbox {}

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
