//! Secrets in the desired-state repo: decrypted in memory only, registered for masking.
//!
//! Place in the pipeline: the loader hands each repo file that holds secrets to
//! [`decrypt_document`] before typing it; the returned cleartext leaves go into the
//! cycle's [`Masker`](crate::mask::Masker) through [`register`], so every diff, log
//! line, status field and error shows `***<hash>` instead (README, "Secrets and trust").
//! `agent validate` also runs [`detect`] over the repo to catch secrets committed in
//! plaintext.
//!
//! Two encrypted forms are understood:
//! - **SOPS files** (YAML or JSON) with age recipients ([`sops`]): the format people
//!   already edit with `sops`; [`encrypt_document`] writes the same format.
//! - **age-armored values**: a plain YAML value holding a whole
//!   `-----BEGIN AGE ENCRYPTED FILE-----` block ([`decrypt_armored_values`]).
//!
//! Nothing here writes cleartext to disk. Whoever writes a decrypted secret to a
//! host must use mode 0600 (`ManagedFile.mode = 0o600`), temp and backup files too.

pub mod cipher;
pub mod decrypt;
pub mod detect;
mod encrypt;
pub mod error;
pub mod identity;
pub mod leak;
pub mod masking;
pub mod sops;
pub mod unseal;

pub use decrypt::*;
pub use encrypt::{encrypt_document, rfc3339_utc_now, EncryptOptions, Format};
pub use error::SecretError;
pub use identity::{parse_recipient, Identity};
pub use leak::{assert_no_plaintext, find_plaintext};
pub use masking::register;
pub use unseal::{unseal, Missing, Unsealed};
