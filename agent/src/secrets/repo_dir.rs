//! A repo directory as the agent sees it: read from disk, its secrets decrypted in
//! memory, loaded and rendered — for tools and tests that start from a checkout
//! (e.g. `sample-repo/`, whose secrets are sops-encrypted to the demo key) and need
//! what `schema::load_dir` cannot give them: the cleartext values.

use super::Identity;
use crate::source::{snapshot, FetchOptions, SourceSpec};
use crate::validate::{prepare_with, Prepared, SecretOptions};
use schema::Diagnostic;
use std::path::Path;

/// Reads `root` as it is on disk (no Git revision), decrypts with `identities`,
/// loads and renders. `Err` holds every problem, a secret that does not decrypt
/// included. The rendered files still hold cleartext secrets: mask before printing
/// ([`crate::engine::secret_masker`] with [`Prepared::secrets`]).
pub fn prepare_dir(root: &Path, identities: &[Identity]) -> Result<Prepared, Vec<Diagnostic>> {
    let spec = SourceSpec {
        location: root.display().to_string(),
        rev: None,
        subdir: None,
    };
    let snap = snapshot(&spec, &FetchOptions::new(None)).map_err(|e| {
        vec![Diagnostic::error(
            root.display().to_string(),
            0,
            0,
            e.to_string(),
        )]
    })?;
    let keys = SecretOptions {
        identities: identities.to_vec(),
        ..SecretOptions::default()
    };
    prepare_with(&snap, &keys)
}
