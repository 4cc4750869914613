//! The agent's age identities (X25519 secret keys) and the recipients they answer to.
//!
//! Keys are read from an `age-keygen` identity file: `AGE-SECRET-KEY-1…` lines, `#`
//! comments and blank lines. The secret key never leaves this type except through
//! `age`'s own decryption; `Debug` shows only the public recipient.

use super::error::SecretError;
use age::secrecy::ExposeSecret;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// One or more age X25519 identities, tried in file order.
#[derive(Clone)]
pub struct Identity {
    keys: Vec<age::x25519::Identity>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("recipients", &self.recipients())
            .finish()
    }
}

impl Identity {
    /// A fresh random identity (tests, `agent secret keygen` later).
    pub fn generate() -> Self {
        Identity {
            keys: vec![age::x25519::Identity::generate()],
        }
    }

    /// Reads an `age-keygen` identity file. Fails if it holds no key or a line is not one.
    pub fn from_file(path: &Path) -> Result<Self, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|e| SecretError::Io {
            file: path.display().to_string(),
            source: e,
        })?;
        Self::parse(&text).map_err(|reason| SecretError::BadIdentity {
            file: path.display().to_string(),
            reason,
        })
    }

    /// Parses identity-file text; the error says which line is wrong (never its content).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = age::x25519::Identity::from_str(line)
                .map_err(|_| format!("line {} is not an AGE-SECRET-KEY-1 key", n + 1))?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err("no AGE-SECRET-KEY-1 key found".into());
        }
        Ok(Identity { keys })
    }

    /// The agent's identity: `env` (the value of `AGENT_AGE_IDENTITY`: the key text
    /// itself, or the path of an identity file) wins over `file` (the config's
    /// `secrets.ageIdentityFile`). `Ok(None)`: no identity configured.
    pub fn configured(file: Option<&Path>, env: Option<&str>) -> Result<Option<Self>, SecretError> {
        match env.map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) if v.contains("AGE-SECRET-KEY-1") => {
                Self::parse(v)
                    .map(Some)
                    .map_err(|reason| SecretError::BadIdentity {
                        file: "AGENT_AGE_IDENTITY".into(),
                        reason,
                    })
            }
            Some(path) => Self::from_file(Path::new(path)).map(Some),
            None => file.map(Self::from_file).transpose(),
        }
    }

    /// The identity file text (`age-keygen` layout), for tests and key generation.
    pub fn to_file_text(&self) -> String {
        let mut out = String::new();
        for k in &self.keys {
            out.push_str(&format!("# public key: {}\n", k.to_public()));
            out.push_str(k.to_string().expose_secret());
            out.push('\n');
        }
        out
    }

    /// The `age1…` recipients these keys decrypt for.
    pub fn recipients(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| k.to_public().to_string())
            .collect()
    }

    /// 32 bytes derived from the first key: HMAC-SHA256 keyed with its secret, over
    /// `label`. The same identity always gives the same bytes (the same `label`); the
    /// key cannot be recovered from them. Used for the mask key (`mask::key`).
    pub fn derive_key(&self, label: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let secret = self.keys[0].to_string();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC takes any key length");
        mac.update(label);
        mac.finalize().into_bytes().into()
    }

    pub(crate) fn age_identities(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.keys.iter().map(|k| k as &dyn age::Identity)
    }
}

/// Parses an `age1…` recipient.
pub fn parse_recipient(s: &str) -> Result<age::x25519::Recipient, SecretError> {
    age::x25519::Recipient::from_str(s.trim()).map_err(|_| SecretError::BadRecipient {
        recipient: s.to_string(),
    })
}

/// Decrypts one age file (armored or binary) with any of `identities`.
/// `Ok(None)` means no identity matched (the caller names the recipients).
pub(crate) fn age_decrypt(
    ciphertext: &[u8],
    identities: &[Identity],
) -> Result<Option<Vec<u8>>, age::DecryptError> {
    use std::io::Read;
    let reader = age::armor::ArmoredReader::new(ciphertext);
    let decryptor = age::Decryptor::new(reader)?;
    let ids = identities.iter().flat_map(|i| i.age_identities());
    match decryptor.decrypt(ids) {
        Ok(mut r) => {
            let mut out = Vec::new();
            r.read_to_end(&mut out).map_err(age::DecryptError::Io)?;
            Ok(Some(out))
        }
        Err(age::DecryptError::NoMatchingKeys) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Encrypts `plaintext` to `recipients` as an armored age file (`-----BEGIN AGE…`).
pub(crate) fn age_encrypt_armored(
    plaintext: &[u8],
    recipients: &[age::x25519::Recipient],
) -> Result<String, SecretError> {
    use std::io::Write;
    let fail = |e: String| SecretError::Encrypt { reason: e };
    let enc = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(|e| fail(e.to_string()))?;
    let mut w = enc.wrap_output(armor).map_err(|e| fail(e.to_string()))?;
    w.write_all(plaintext).map_err(|e| fail(e.to_string()))?;
    w.finish()
        .and_then(|a| a.finish())
        .map_err(|e| fail(e.to_string()))?;
    String::from_utf8(out).map_err(|e| fail(e.to_string()))
}
