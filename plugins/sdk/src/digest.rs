//! SHA-256 and CRC-32 for formats that checksum what they write, computed by the host.
//!
//! Inside the sandbox a plugin cannot use the processor's SHA or carry-less multiplication
//! instructions, and hashing in WebAssembly costs several times what the host pays. So in a
//! component [`Sha256`] and [`Crc32`] hand their data to the host's `tessera:plugin/digest`
//! interface; built natively (unit tests, the benchmark's native side), the same types hash in
//! place. Either way the checksum is the same.

/// The most bytes handed to the host's `crc32` in one call (the host refuses more).
const MAX_CRC32_PIECE: usize = 16 << 20;

/// A CRC-32 (ISO-HDLC, the checksum of zip and gzip) in progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Crc32(u32);

impl Crc32 {
    /// The checksum of nothing.
    pub fn new() -> Self {
        Self(0)
    }

    /// Adds `data` to what is checksummed. Each call crosses into the host, so a caller passes
    /// pieces of kilobytes or more, not single values.
    pub fn update(&mut self, data: &[u8]) {
        for piece in data.chunks(MAX_CRC32_PIECE) {
            #[cfg(target_family = "wasm")]
            {
                self.0 = crate::bindings::tessera::plugin::digest::crc32(self.0, piece);
            }
            #[cfg(not(target_family = "wasm"))]
            {
                let mut hasher = crc32fast::Hasher::new_with_initial(self.0);
                hasher.update(piece);
                self.0 = hasher.finalize();
            }
        }
    }

    /// The checksum of everything added so far.
    pub fn value(&self) -> u32 {
        self.0
    }

    /// The checksum of `data`.
    pub fn of(data: &[u8]) -> u32 {
        let mut crc = Self::new();
        crc.update(data);
        crc.value()
    }
}

/// A SHA-256 (FIPS 180-4) in progress. A plugin instance may hold at most 16 at once.
pub struct Sha256 {
    #[cfg(target_family = "wasm")]
    host: crate::bindings::tessera::plugin::digest::Sha256,
    #[cfg(not(target_family = "wasm"))]
    local: sha2::Sha256,
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha256 {
    /// An empty hasher.
    pub fn new() -> Self {
        Self {
            #[cfg(target_family = "wasm")]
            host: crate::bindings::tessera::plugin::digest::Sha256::new(),
            #[cfg(not(target_family = "wasm"))]
            local: <sha2::Sha256 as sha2::Digest>::new(),
        }
    }

    /// Adds `data` to what is hashed. Each call crosses into the host, so a caller passes
    /// pieces of kilobytes or more, not single values.
    pub fn update(&mut self, data: &[u8]) {
        #[cfg(target_family = "wasm")]
        self.host.update(data);
        #[cfg(not(target_family = "wasm"))]
        sha2::Digest::update(&mut self.local, data);
    }

    /// The digest of everything added so far; the hasher starts over empty, as the host's
    /// does, so one hasher serves a whole export without asking the host for another.
    pub fn finalize(&mut self) -> [u8; 32] {
        let mut digest = [0u8; 32];
        #[cfg(target_family = "wasm")]
        {
            // The host always answers 32 bytes. Should it not, the copy panics and the export
            // fails (a trap) rather than write a checksum that is wrong.
            digest.copy_from_slice(&self.host.finish());
        }
        #[cfg(not(target_family = "wasm"))]
        digest.copy_from_slice(&sha2::Digest::finalize_reset(&mut self.local));
        digest
    }

    /// The digest as 64 lowercase hex digits.
    pub fn finalize_hex(&mut self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(64);
        for byte in self.finalize() {
            text.push(HEX[usize::from(byte >> 4)] as char);
            text.push(HEX[usize::from(byte & 0xf)] as char);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::{Crc32, Sha256};

    #[test]
    fn crc32_matches_the_check_value_in_any_pieces() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(Crc32::of(b"123456789"), 0xCBF4_3926);
        let mut pieces = Crc32::new();
        for chunk in b"123456789".chunks(2) {
            pieces.update(chunk);
        }
        assert_eq!(pieces.value(), 0xCBF4_3926);
        assert_eq!(Crc32::of(b""), 0);
    }

    #[test]
    fn digests_match_the_standard_test_vectors_in_any_pieces() {
        let mut empty = Sha256::new();
        empty.update(b"");
        let mut reused = Sha256::new();
        reused.update(b"discarded");
        let _ = reused.finalize();
        assert_eq!(
            empty.finalize_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // A finished hasher starts over empty.
        assert_eq!(reused.finalize_hex(), Sha256::new().finalize_hex());
        let text = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        for piece in [1, 7, 56] {
            let mut hasher = Sha256::new();
            for chunk in text.chunks(piece) {
                hasher.update(chunk);
            }
            assert_eq!(
                hasher.finalize_hex(),
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            );
        }
    }
}
