//! A link's address kept so that its owners can copy it again (issue 16), without the
//! database alone ever giving a working link away: the slug is sealed with ChaCha20-Poly1305
//! (RFC 8439) under a 256-bit key that lives in a file outside the database, and only the
//! sealed form is stored. A database leak yields ciphertext; the key file is needed too.
//!
//! The link's id is the seal's associated data, so a sealed address copied onto another link's
//! row does not open there; each seal has its own random nonce. A key that does not open a
//! seal (the file was replaced) is an error, never a wrong address: the AEAD's tag says so.
//!
//! Where the key lives is configuration (`link_address_key_file`); every replica must read the
//! same key. This module owns the key file (made on first start, mode 0600) and the seal's
//! format; who may see an address is decided in [`super::manage`].

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use ring::aead::{self, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// The sealed form's prefix: the format's version, so another one can follow.
const SEAL_FORMAT: &str = "v1.";
/// Bytes in a key (256 bits).
const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum AddressKeyError {
    #[error("cannot read the link address key {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot create the link address key {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the link address key {path} is not 64 hexadecimal digits (a 256-bit key); \
         restore the file the server made, or remove it to make a new one (addresses kept \
         until now then cannot be shown again)"
    )]
    Malformed { path: String },
    #[error("the operating system gave no random bytes for the link address key")]
    Random,
}

/// A sealed address that this key cannot open.
#[derive(Debug, thiserror::Error)]
pub enum UnsealError {
    /// The tag does not match: another key sealed it (the key file was replaced), or the
    /// stored value was changed, or it belongs to another link.
    #[error(
        "this link's address cannot be opened with this server's link address key: the key \
         file was replaced or differs between servers; make a new link"
    )]
    WrongKey,
    /// Not a value this module wrote.
    #[error("this link's stored address is unreadable; make a new link")]
    Unreadable,
}

/// The operating system gave no random bytes for a seal's nonce.
#[derive(Debug, thiserror::Error)]
#[error("cannot seal the link's address: no random bytes for its nonce")]
pub struct SealError;

/// The key that seals and opens link addresses.
pub struct AddressKey {
    key: LessSafeKey,
    random: SystemRandom,
}

impl AddressKey {
    /// A key from its 64 hexadecimal digits.
    pub fn from_hex(text: &str, path: &Path) -> Result<AddressKey, AddressKeyError> {
        let malformed = || AddressKeyError::Malformed {
            path: path.display().to_string(),
        };
        let bytes = hex::decode(text.trim()).map_err(|_| malformed())?;
        if bytes.len() != KEY_BYTES {
            return Err(malformed());
        }
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| malformed())?;
        Ok(AddressKey {
            key: LessSafeKey::new(unbound),
            random: SystemRandom::new(),
        })
    }

    /// The key in the file at `path`; when there is none yet, a new random one written there
    /// first (readable by this user only). Two servers starting at once on a shared folder
    /// both end up with the one that was written first: the file appears whole or not at all.
    pub fn load_or_create(path: &Path) -> Result<AddressKey, AddressKeyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => return AddressKey::from_hex(&text, path),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(AddressKeyError::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        }
        let mut bytes = [0u8; KEY_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| AddressKeyError::Random)?;
        let text = hex::encode(bytes);
        match write_new(path, &text) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "made a new link address key");
                AddressKey::from_hex(&text, path)
            }
            // Another server wrote it first: that one is the key.
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| AddressKeyError::Read {
                        path: path.display().to_string(),
                        source,
                    })?;
                AddressKey::from_hex(&text, path)
            }
            Err(source) => Err(AddressKeyError::Create {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// `address` sealed for the link `link_id`: `v1.` and the nonce, ciphertext and tag in
    /// URL-safe base64.
    pub fn seal(&self, link_id: &str, address: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; aead::NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| SealError)?;
        let mut sealed = address.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(link_id.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| SealError)?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        Ok(format!(
            "{SEAL_FORMAT}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(stored)
        ))
    }

    /// The address sealed for `link_id`, or why it cannot be had.
    pub fn open(&self, link_id: &str, stored: &str) -> Result<String, UnsealError> {
        let encoded = stored
            .strip_prefix(SEAL_FORMAT)
            .ok_or(UnsealError::Unreadable)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| UnsealError::Unreadable)?;
        if bytes.len() < aead::NONCE_LEN + CHACHA20_POLY1305.tag_len() {
            return Err(UnsealError::Unreadable);
        }
        let (nonce, sealed) = bytes.split_at(aead::NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| UnsealError::Unreadable)?;
        let mut sealed = sealed.to_vec();
        let opened = self
            .key
            .open_in_place(nonce, Aad::from(link_id.as_bytes()), &mut sealed)
            .map_err(|_| UnsealError::WrongKey)?;
        String::from_utf8(opened.to_vec()).map_err(|_| UnsealError::Unreadable)
    }
}

/// Writes `text` to `path`, which must not exist yet, readable and writable by this user
/// only; the file appears under its name only once complete (a hard link from a temporary
/// file in the same folder, which fails if the name is taken).
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let folder = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&folder)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".link-address-key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut temporary = builder.tempfile_in(&folder)?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    std::fs::hard_link(temporary.path(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_address_opens_only_with_its_key_and_for_its_link() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("keys/link-address.key");
        let key = AddressKey::load_or_create(&path).unwrap();
        let sealed = key.seal("link-1", "q7Vn2xK9pL4mR8sT1wY6zA").unwrap();
        assert!(!sealed.contains("q7Vn2xK9pL4mR8sT1wY6zA"));
        assert_ne!(
            sealed,
            key.seal("link-1", "q7Vn2xK9pL4mR8sT1wY6zA").unwrap()
        );
        assert_eq!(
            key.open("link-1", &sealed).unwrap(),
            "q7Vn2xK9pL4mR8sT1wY6zA"
        );
        // The same file again is the same key.
        let again = AddressKey::load_or_create(&path).unwrap();
        assert_eq!(
            again.open("link-1", &sealed).unwrap(),
            "q7Vn2xK9pL4mR8sT1wY6zA"
        );
        assert!(matches!(
            key.open("link-2", &sealed),
            Err(UnsealError::WrongKey)
        ));
        let other = AddressKey::load_or_create(&folder.path().join("other.key")).unwrap();
        assert!(matches!(
            other.open("link-1", &sealed),
            Err(UnsealError::WrongKey)
        ));
        assert!(matches!(
            key.open("link-1", "v1.AAAA"),
            Err(UnsealError::Unreadable)
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            AddressKey::load_or_create(&path),
            Err(AddressKeyError::Malformed { .. })
        ));
    }
}
