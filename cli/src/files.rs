//! Files that hold secrets (states, keys, passphrases), and message files.
//!
//! Secrets are written 0600 through a temporary file in the same directory
//! and renamed into place, so a crash never leaves half a state; they are
//! refused when the group or others may read them, and read into buffers
//! that are wiped when dropped.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use blindmatch::state;
use clap::Args;
use zeroize::Zeroizing;

use crate::fail::{Class, Failure, Outcome, io};

/// Where a passphrase comes from, for sealing states and keys.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct Passphrase {
    /// Seal (or open) secret files with the passphrase in this file (first
    /// line; the file must not be readable by group or others).
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        help_heading = "Global options"
    )]
    pub(crate) passphrase_file: Option<PathBuf>,
    /// Seal (or open) secret files with the passphrase in this environment
    /// variable.
    #[arg(
        long,
        value_name = "VAR",
        global = true,
        conflicts_with = "passphrase_file",
        help_heading = "Global options"
    )]
    pub(crate) passphrase_env: Option<String>,
}

impl Passphrase {
    /// The passphrase, when one was given.
    pub(crate) fn get(&self) -> Outcome<Option<Zeroizing<Vec<u8>>>> {
        if let Some(path) = &self.passphrase_file {
            let bytes = read_secret(path)?;
            let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
            let line = first.strip_suffix(b"\r").unwrap_or(first);
            if line.is_empty() {
                return Err(Failure::input(format!(
                    "{}: the passphrase is empty",
                    path.display()
                )));
            }
            return Ok(Some(Zeroizing::new(line.to_vec())));
        }
        if let Some(var) = &self.passphrase_env {
            let value = std::env::var_os(var)
                .ok_or_else(|| Failure::usage(format!("environment variable {var} is not set")))?;
            let value = Zeroizing::new(value.into_encoded_bytes());
            if value.is_empty() {
                return Err(Failure::input(format!(
                    "environment variable {var} is empty"
                )));
            }
            return Ok(Some(value));
        }
        Ok(None)
    }
}

/// Refuses a secret file that others than its owner may read.
#[cfg(unix)]
fn check_private(path: &Path) -> Outcome {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(|e| io(path, &e, Class::Input))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Failure::input(format!(
            "{} holds secrets but group or others may access it (mode {:o}); \
             make it private with `chmod 600 {}` and check who has read it",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Outcome {
    Ok(())
}

/// Reads a secret file, refusing it when others may read it.
pub(crate) fn read_secret(path: &Path) -> Outcome<Zeroizing<Vec<u8>>> {
    check_private(path)?;
    Ok(Zeroizing::new(
        fs::read(path).map_err(|e| io(path, &e, Class::Input))?,
    ))
}

/// Writes a secret file, 0600, atomically.
pub(crate) fn write_secret(path: &Path, bytes: &[u8]) -> Outcome {
    let tmp = sibling(path, ".tmp");
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = fs::remove_file(&tmp);
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io(path, &e, Class::Internal));
    }
    fs::rename(&tmp, path).map_err(|e| io(path, &e, Class::Internal))
}

/// Overwrites a secret file with zeros and removes it (a state that was
/// used up: its session is over).
pub(crate) fn destroy_secret(path: &Path) -> Outcome {
    if let Ok(meta) = fs::metadata(path) {
        let len = usize::try_from(meta.len()).unwrap_or(0);
        if let Ok(mut f) = OpenOptions::new().write(true).open(path) {
            let _ = f.write_all(&vec![0u8; len]).and_then(|()| f.sync_all());
        }
    }
    fs::remove_file(path).map_err(|e| io(path, &e, Class::Internal))
}

/// Writes a file others may read (messages, results), atomically.
pub(crate) fn write_public(path: &Path, bytes: &[u8]) -> Outcome {
    let tmp = sibling(path, ".tmp");
    fs::write(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io(path, &e, Class::Internal)
        })
}

/// Reads a message file from the peer (or a public file).
pub(crate) fn read_message(path: &Path, limit: u64) -> Outcome<Vec<u8>> {
    let meta = fs::metadata(path).map_err(|e| io(path, &e, Class::Input))?;
    if meta.len() > limit {
        return Err(Failure::new(
            Class::Peer,
            format!(
                "{}: {} bytes, more than the {limit} this step accepts",
                path.display(),
                meta.len()
            ),
        ));
    }
    fs::read(path).map_err(|e| io(path, &e, Class::Input))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Seals `plain` when a passphrase is given.
pub(crate) fn maybe_seal(plain: &[u8], passphrase: &Passphrase) -> Outcome<Zeroizing<Vec<u8>>> {
    match passphrase.get()? {
        Some(p) => Ok(Zeroizing::new(state::seal(plain, &p)?)),
        None => Ok(Zeroizing::new(plain.to_vec())),
    }
}

/// Opens a secret file that may be sealed.
pub(crate) fn read_maybe_sealed(
    path: &Path,
    passphrase: &Passphrase,
) -> Outcome<Zeroizing<Vec<u8>>> {
    let bytes = read_secret(path)?;
    if !state::is_sealed(&bytes) {
        return Ok(bytes);
    }
    let p = passphrase.get()?.ok_or_else(|| {
        Failure::input(format!(
            "{} is sealed: give its passphrase with --passphrase-file or --passphrase-env",
            path.display()
        ))
    })?;
    state::unseal(&bytes, &p).map_err(|e| Failure::from(e).context(path.display()))
}

const KEY_MAGIC: &[u8; 4] = b"BMKY";
const KEY_VERSION: u8 = 2;
/// The `info` of the watch-list key's RFC 9497 DeriveKeyPair (VOPRF mode)
/// from a key file. v2: the VOPRF; v1 keys were the OPRF's (mode 0x00).
const WATCHLIST_INFO: &[u8] = b"blindmatch-cli watch-list key v2";

/// An agency's key file: 32 random bytes from which each purpose derives
/// its own key (a signing key for receipts, a watch-list OPRF key), so one
/// `keygen` serves both and the two keys are independent.
pub(crate) struct KeyFile(Zeroizing<[u8; 32]>);

impl KeyFile {
    /// A fresh key from the operating system's RNG.
    pub(crate) fn generate() -> Outcome<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        // The signing key's own generator draws the 32 bytes from the OS.
        seed.copy_from_slice(&*blindmatch::receipt::SigningKey::generate()?.to_secret_bytes());
        Ok(KeyFile(seed))
    }

    /// The file's bytes: magic, version, the 32 secret bytes.
    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(37));
        out.extend_from_slice(KEY_MAGIC);
        out.push(KEY_VERSION);
        out.extend_from_slice(&*self.0);
        out
    }

    /// Reads a key file (opening it when sealed).
    pub(crate) fn read(path: &Path, passphrase: &Passphrase) -> Outcome<Self> {
        let bytes = read_maybe_sealed(path, passphrase)?;
        if bytes.len() != 37 || &bytes[..4] != KEY_MAGIC || bytes[4] != KEY_VERSION {
            return Err(Failure::input(format!(
                "{}: not a blindmatch key file (make one with `blindmatch keygen --out FILE`)",
                path.display()
            )));
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&bytes[5..]);
        Ok(KeyFile(seed))
    }

    /// The Ed25519 key that signs receipts (its public half is the `.pub` file).
    pub(crate) fn signing(&self) -> Outcome<blindmatch::receipt::SigningKey> {
        Ok(blindmatch::receipt::SigningKey::from_secret_bytes(
            &*self.0,
        )?)
    }

    /// The watch-list (OPRF) key, derived with RFC 9497 DeriveKeyPair.
    pub(crate) fn watchlist(&self) -> Outcome<blindmatch::oprf::OprfKey> {
        Ok(blindmatch::oprf::OprfKey::derive_in(
            blindmatch::oprf::Mode::Voprf,
            &self.0,
            WATCHLIST_INFO,
        )?)
    }
}
