//! Why a secret could not be read or written. Every variant names the file.

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: not an age identity file: {reason}")]
    BadIdentity { file: String, reason: String },
    #[error("not an age recipient: {recipient:?} (expected age1…)")]
    BadRecipient { recipient: String },
    #[error("{file}: not valid YAML/JSON: {reason}")]
    Parse { file: String, reason: String },
    #[error("{file}: invalid sops metadata: {reason}")]
    BadMetadata { file: String, reason: String },
    #[error("{file}: unsupported: {what}")]
    Unsupported { file: String, what: String },
    #[error(
        "{file}: not encrypted to any of your identities (recipients: {})",
        list(recipients)
    )]
    NotForUs {
        file: String,
        recipients: Vec<String>,
    },
    #[error("{file}: age decryption failed: {reason}")]
    Age { file: String, reason: String },
    #[error("{file}: value at {path}: {reason}")]
    Value {
        file: String,
        path: String,
        reason: String,
    },
    #[error("{file}: MAC mismatch: file was tampered with or re-encrypted wrongly")]
    MacMismatch { file: String },
    #[error("cannot encrypt: {reason}")]
    Encrypt { reason: String },
}

fn list(recipients: &[String]) -> String {
    if recipients.is_empty() {
        "not recorded in age files".into()
    } else {
        recipients.join(", ")
    }
}
