//! The key of the mask tokens (`***` + 8 hex of HMAC-SHA256(key, secret)).
//!
//! A token must not be computable from the binary alone: anyone who reads a diff (a
//! CI log, a PR comment) could otherwise test guesses of a short password offline. So
//! the key belongs to the installation, chosen in this order:
//!
//! 1. **Derived from the agent's age identity** (`AGENT_AGE_IDENTITY`, else
//!    `secrets.ageIdentityFile`): HMAC-SHA256 keyed with the identity's first secret
//!    key, over a fixed label. It wins because every process that can decrypt the
//!    secrets — the service, an operator's `agent diff`, a CI job given the identity —
//!    then masks alike (their outputs can be compared), nothing has to be written, and
//!    whoever could compute this key holds the identity and can read the secrets anyway.
//! 2. **A random 32-byte key in `stateDir`** (`<stateDir>/mask.key`, 64 hex digits,
//!    created 0600 on first use, atomically: `fsutil::create_new` links a complete
//!    file into place only if no other process did first; the loser reads the winner's). Only when the state
//!    directory exists: `validate`/`diff` never create it (`agent run` does). Without an
//!    identity nothing secret is decrypted, but a host can still hold one the agent
//!    shows masked (the live `stats auth` password, a private key): this key keeps
//!    those masks stable across runs of one installation.
//! 3. **A random per-process key** otherwise (CI without identity, no state dir): masks
//!    then differ across runs, which is honest — nothing needs them to be stable.
//!
//! The key is chosen once per process ([`init`], by the CLI after it read its config;
//! `agent run` after it created its state directory) and read by [`current`].

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::secrets::identity::Identity;

/// The file under `stateDir`.
pub const FILE: &str = "mask.key";
/// The label the identity-derived key is computed over (versioned: a new derivation
/// gets a new label, so old and new masks never collide silently).
const LABEL: &[u8] = b"agent mask key v1";

/// Where the process's key came from (for logs and tests; never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Identity,
    StateDir(PathBuf),
    Process,
}

/// A mask key: 32 secret bytes and where they came from. `Debug` hides the bytes.
#[derive(Clone)]
pub struct MaskKey {
    bytes: [u8; 32],
    pub source: KeySource,
}

impl std::fmt::Debug for MaskKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaskKey")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Reading or creating `<stateDir>/mask.key` failed.
#[derive(Debug, thiserror::Error)]
pub enum MaskKeyError {
    #[error("mask key {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("mask key {}: not 64 hex digits (remove it to have a new one made)", path.display())]
    Malformed { path: PathBuf },
    #[error("no random bytes from the operating system: {0}")]
    Random(String),
}

impl MaskKey {
    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Derived from `identity` (rule 1).
    pub fn from_identity(identity: &Identity) -> MaskKey {
        MaskKey {
            bytes: identity.derive_key(LABEL),
            source: KeySource::Identity,
        }
    }

    /// `<dir>/mask.key`, created on first use (rule 2). `Ok(None)` when `dir` does not
    /// exist (it is not created here).
    pub fn from_state_dir(dir: &Path) -> Result<Option<MaskKey>, MaskKeyError> {
        if !dir.is_dir() {
            return Ok(None);
        }
        let path = dir.join(FILE);
        let bytes = match read(&path)? {
            Some(b) => b,
            None => create(&path)?,
        };
        Ok(Some(MaskKey {
            bytes,
            source: KeySource::StateDir(path),
        }))
    }

    /// Fresh random bytes (rule 3).
    pub fn random() -> Result<MaskKey, MaskKeyError> {
        Ok(MaskKey {
            bytes: random_bytes()?,
            source: KeySource::Process,
        })
    }

    /// Rules 1–3 in order. A state-directory key that cannot be read or made falls
    /// back to a per-process key, with the reason logged.
    pub fn resolve(identity: Option<&Identity>, state_dir: Option<&Path>) -> MaskKey {
        if let Some(id) = identity {
            return MaskKey::from_identity(id);
        }
        if let Some(dir) = state_dir {
            match MaskKey::from_state_dir(dir) {
                Ok(Some(k)) => return k,
                Ok(None) => {}
                Err(e) => tracing::warn!("{e}; masks use a per-process key"),
            }
        }
        MaskKey::random().expect("the operating system provides random bytes")
    }
}

static CURRENT: OnceLock<MaskKey> = OnceLock::new();

/// Chooses the process's key (first call wins; later calls return the chosen one).
pub fn init(identity: Option<&Identity>, state_dir: Option<&Path>) -> &'static MaskKey {
    CURRENT.get_or_init(|| MaskKey::resolve(identity, state_dir))
}

/// The process's key: the one [`init`] chose, else a random per-process one.
pub fn current() -> &'static MaskKey {
    CURRENT.get_or_init(|| MaskKey::random().expect("the operating system provides random bytes"))
}

fn random_bytes() -> Result<[u8; 32], MaskKeyError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| MaskKeyError::Random(e.to_string()))?;
    Ok(b)
}

fn read(path: &Path) -> Result<Option<[u8; 32]>, MaskKeyError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(MaskKeyError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let malformed = || MaskKeyError::Malformed {
        path: path.to_path_buf(),
    };
    let raw = hex::decode(text.trim()).map_err(|_| malformed())?;
    raw.try_into().map(Some).map_err(|_| malformed())
}

/// Writes a new key (0600) into place only if no key is there yet, atomically; whoever
/// lost the race reads the winner's key, so racing first uses agree.
fn create(path: &Path) -> Result<[u8; 32], MaskKeyError> {
    let bytes = random_bytes()?;
    let text = format!("{}\n", hex::encode(bytes));
    let io = |source| MaskKeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    if crate::fsutil::create_new(path, text.as_bytes(), 0o600).map_err(io)? {
        return Ok(bytes);
    }
    read(path)?.ok_or_else(|| io(std::io::ErrorKind::NotFound.into()))
}

/// The process's mask key (`mask::key`): from the age identity when one is configured
/// (a broken one is reported by the command itself), else `stateDir`'s key when the
/// directory exists, else a per-process one.
pub fn init_for(config: Option<&crate::config::Config>) {
    let file = config.and_then(|c| c.secrets.age_identity_file.as_deref());
    let env = std::env::var("AGENT_AGE_IDENTITY").ok();
    let identity = Identity::configured(file, env.as_deref()).ok().flatten();
    let key = init(identity.as_ref(), config.map(|c| c.state_dir.as_path()));
    tracing::debug!(source = ?key.source, "mask key");
}

#[cfg(test)]
#[path = "key_tests.rs"]
mod tests;
