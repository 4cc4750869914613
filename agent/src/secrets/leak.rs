//! Searching output for plaintext secrets: the check behind "0 hits" in the end-to-end
//! suites (a captured lab run is searched for every secret value).
//!
//! Bounded: each secret is searched raw and base64-encoded (Kubernetes `Secret.data`),
//! at most [`MAX_REPORTED`] hits are reported, and a report never contains the secret
//! itself — only which secret (by index), where, and the line with the secret cut out.

use base64::Engine;

/// Secrets shorter than this are not searched (the same floor as the masker).
pub const MIN_LEN: usize = 4;
/// At most this many hits are described.
pub const MAX_REPORTED: usize = 20;

/// One occurrence of a secret in a haystack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    /// Index into the `secrets` slice searched.
    pub secret: usize,
    /// Byte offset and 1-based line of the hit.
    pub offset: usize,
    pub line: usize,
    /// True if the hit was the base64 form.
    pub base64: bool,
}

/// Every occurrence (up to [`MAX_REPORTED`]) of any secret (raw or base64).
pub fn find_plaintext(haystack: &str, secrets: &[impl AsRef<str>]) -> Vec<Leak> {
    let mut out = Vec::new();
    for (i, s) in secrets.iter().enumerate() {
        let s = s.as_ref();
        if s.len() < MIN_LEN {
            continue;
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(s);
        for (needle, is_b64) in [(s, false), (b64.as_str(), true)] {
            for (offset, _) in haystack.match_indices(needle) {
                if out.len() == MAX_REPORTED {
                    return out;
                }
                let line = haystack[..offset].matches('\n').count() + 1;
                out.push(Leak {
                    secret: i,
                    offset,
                    line,
                    base64: is_b64,
                });
            }
        }
    }
    out
}

/// Panics if any secret occurs in `haystack`; the message locates each hit without
/// repeating the secret.
#[track_caller]
pub fn assert_no_plaintext(haystack: &str, secrets: &[impl AsRef<str>]) {
    let leaks = find_plaintext(haystack, secrets);
    if leaks.is_empty() {
        return;
    }
    let mut msg = format!("{} plaintext secret occurrence(s) found:\n", leaks.len());
    for l in &leaks {
        let line = haystack.lines().nth(l.line - 1).unwrap_or("");
        let secret = secrets[l.secret].as_ref();
        let shown = line.replace(secret, "<SECRET>").replace(
            &base64::engine::general_purpose::STANDARD.encode(secret),
            "<SECRET-B64>",
        );
        let cut: String = shown.chars().take(160).collect();
        msg.push_str(&format!(
            "  secret #{} {}at line {}: {cut}\n",
            l.secret,
            if l.base64 { "(base64) " } else { "" },
            l.line
        ));
    }
    panic!("{msg}");
}
