//! Everything an end-to-end run showed, kept to be searched for leaked secrets.
//!
//! A [`Capture`] holds labelled texts (each command's stdout and stderr, HTTP bodies,
//! state files); [`Needles`] expands each plaintext secret into every form that must
//! not appear: the value, its base64 (Kubernetes `data`), and each line of a multi-line
//! value (a PEM body) long enough to be recognisable. [`Capture::leaks`] lists every
//! (text, needle) hit; a suite asserts it is empty and that masked markers (`***` +
//! 8 hex digits) appear where a secret changed.

use std::fmt::Write as _;

/// Shorter lines of a multi-line secret are not searched alone (a PEM armor line
/// or an empty line is not a secret).
pub const MIN_LINE_LEN: usize = 16;

/// The forms of each plaintext secret that must never be shown.
#[derive(Debug, Clone, Default)]
pub struct Needles(Vec<(String, String)>);

impl Needles {
    /// Adds `secret` (described as `what` in reports): the value, its base64, the
    /// text it decodes to when it is itself base64 (a Kubernetes `data` value), and
    /// each line longer than [`MIN_LINE_LEN`] (armor lines `-----…` excepted).
    pub fn add(&mut self, what: &str, secret: &str) {
        self.push(what.to_string(), secret.to_string());
        self.push(format!("{what} (base64)"), base64(secret.as_bytes()));
        if let Some(decoded) = unbase64(secret).and_then(|b| String::from_utf8(b).ok()) {
            if decoded.len() >= 4 {
                self.add(&format!("{what} (decoded)"), &decoded);
            }
        }
        if secret.contains('\n') {
            for (i, line) in secret.lines().map(str::trim).enumerate() {
                if line.len() > MIN_LINE_LEN && !line.starts_with("-----") {
                    self.push(format!("{what} (line {})", i + 1), line.to_string());
                }
            }
        }
    }

    fn push(&mut self, what: String, needle: String) {
        if !self.0.iter().any(|(_, n)| *n == needle) {
            self.0.push((what, needle));
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Labelled texts captured during a run.
#[derive(Debug, Clone, Default)]
pub struct Capture(Vec<(String, String)>);

/// One secret found in one captured text.
#[derive(Debug, Clone)]
pub struct Leak {
    pub text: String,
    pub secret: String,
    /// The line it was found on, with the secret itself cut out.
    pub context: String,
}

impl Capture {
    pub fn add(&mut self, label: impl Into<String>, text: impl Into<String>) {
        self.0.push((label.into(), text.into()));
    }

    /// Total bytes captured (to show the search covered something).
    pub fn bytes(&self) -> usize {
        self.0.iter().map(|(_, t)| t.len()).sum()
    }

    pub fn labels(&self) -> Vec<&str> {
        self.0.iter().map(|(l, _)| l.as_str()).collect()
    }

    /// Every text whose label contains `label_part`, joined.
    pub fn texts(&self, label_part: &str) -> String {
        self.0
            .iter()
            .filter(|(l, _)| l.contains(label_part))
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every occurrence of a needle in a captured text.
    pub fn leaks(&self, needles: &Needles) -> Vec<Leak> {
        let mut out = Vec::new();
        for (label, text) in &self.0 {
            for (what, needle) in &needles.0 {
                for line in text.lines().filter(|l| l.contains(needle.as_str())) {
                    out.push(Leak {
                        text: label.clone(),
                        secret: what.clone(),
                        context: line.replace(needle.as_str(), "<SECRET>"),
                    });
                }
            }
        }
        out
    }

    /// A report of `leaks` for an assertion message (never the secret itself).
    pub fn report(leaks: &[Leak]) -> String {
        let mut s = String::new();
        for l in leaks {
            let _ = writeln!(s, "{} shows {}: {}", l.text, l.secret, l.context);
        }
        s
    }
}

/// The masked markers (`***` + 8 hex digits) in `text`, in order.
pub fn masked_markers(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = text[i..].find("***") {
        let start = i + p;
        let hex = &b[start + 3..(start + 11).min(b.len())];
        if hex.len() == 8 && hex.iter().all(|c| c.is_ascii_hexdigit()) {
            out.push(text[start..start + 11].to_string());
            i = start + 11;
        } else {
            i = start + 3;
        }
    }
    out
}

/// Standard base64 with padding (as Kubernetes `data` values are written).
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | u32::from(c) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 decoding; `None` unless `text` is entirely valid padded base64.
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = text.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (i, chunk) in b.chunks(4).enumerate() {
        let last = i == b.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = n << 6 | ABC.iter().position(|&a| a == c)? as u32;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
            if !enc.is_empty() {
                assert_eq!(unbase64(enc).unwrap(), plain.as_bytes());
            }
        }
        assert_eq!(unbase64("Zg=a"), None);
        assert_eq!(unbase64("Zm9"), None);
        assert_eq!(unbase64("Zm9v!A=="), None);
    }

    #[test]
    fn needles_cover_value_base64_and_long_lines_and_leaks_are_found() {
        let mut n = Needles::default();
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\nshort\n-----END PRIVATE KEY-----\n";
        n.add("key", pem);
        n.add("pw", "hunter2-long");
        let mut c = Capture::default();
        c.add(
            "ok",
            "stats auth admin:***0a1b2c3d and -----BEGIN PRIVATE KEY-----",
        );
        c.add(
            "bad",
            "x MIIEvQIBADANBgkqhkiG9w0BAQEF y\npw=aHVudGVyMi1sb25n",
        );
        let leaks = c.leaks(&n);
        let found: Vec<_> = leaks
            .iter()
            .map(|l| (l.text.as_str(), l.secret.as_str()))
            .collect();
        assert_eq!(found, [("bad", "key (line 2)"), ("bad", "pw (base64)")]);
        assert!(!Capture::report(&leaks).contains("MIIEvQ"));
        assert_eq!(masked_markers(&c.texts("ok")), ["***0a1b2c3d"]);
        assert!(masked_markers("***zz and ****").is_empty());
    }
}
