//! Secret masking: every diff, log line and report shows a secret as
//! `***<short keyed hash>`, so a change stays visible without the value.
//!
//! Two mechanisms, applied together: known secret values (from the desired
//! state: passwords, decrypted secrets) are replaced wherever they appear, and
//! values of directives that always hold secrets (HAProxy `stats auth`,
//! `userlist` passwords) are replaced even when the value is unknown — e.g. the
//! old password still live on a host.

pub mod key;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Replaces secrets in text. Cheap to clone; build one per cycle.
#[derive(Debug, Clone)]
pub struct Masker {
    key: Vec<u8>,
    /// Longest first, so a secret containing another is masked whole.
    values: Vec<String>,
}

/// Values shorter than this are not masked by value (masking "a" everywhere would
/// destroy the output); the directive rules still catch them.
const MIN_SECRET_LEN: usize = 4;

/// Keyed with the installation's key ([`key::current`]), never a constant.
impl Default for Masker {
    fn default() -> Self {
        Masker::installation()
    }
}

impl Masker {
    /// Keyed with the installation's key ([`key::current`]): what every output uses.
    pub fn installation() -> Self {
        Masker::new(key::current().bytes())
    }

    /// `key` makes the hash unguessable for short secrets; keep it stable per installation
    /// so the same secret shows the same mask across runs ([`Masker::installation`]).
    pub fn new(key: impl AsRef<[u8]>) -> Self {
        Masker {
            key: key.as_ref().to_vec(),
            values: Vec::new(),
        }
    }

    pub fn add_secret(&mut self, value: impl Into<String>) {
        let v = value.into();
        if v.len() >= MIN_SECRET_LEN && !self.values.contains(&v) {
            self.values.push(v);
            self.values
                .sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        }
    }

    /// `***` + 8 hex digits of HMAC-SHA256(key, value).
    pub fn token(&self, value: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(value.as_bytes());
        format!("***{}", &hex::encode(mac.finalize().into_bytes())[..8])
    }

    /// Masks known values and the values of secret-bearing directives, line by line.
    ///
    /// The body of any PEM private key is masked too, known or not (e.g. the key still
    /// live on a host, shown in a diff): line by line between the `BEGIN … PRIVATE
    /// KEY-----` and `-----END` lines, and within a line that holds a whole key (JSON).
    pub fn mask(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut in_key = false;
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if line.contains("-----END ") {
                in_key = false;
            }
            if in_key {
                out.push_str(&self.mask_key_line(line));
            } else {
                out.push_str(&self.mask_inline_keys(&self.mask_line(line)));
            }
            if is_key_begin(line) && !line.contains("-----END ") {
                in_key = true;
            }
        }
        out
    }

    /// A line of a private key's body: its diff prefix kept, the rest a token.
    fn mask_key_line(&self, line: &str) -> String {
        let body = line.trim_start_matches(['+', '-', ' ']);
        if body.trim().is_empty() || body.trim().starts_with("***") {
            return line.to_string();
        }
        let prefix = &line[..line.len() - body.len()];
        format!("{prefix}{}", self.token(body.trim()))
    }

    /// Whole private keys inside one line (escaped newlines in JSON): body → token.
    fn mask_inline_keys(&self, line: &str) -> String {
        const TAIL: &str = "PRIVATE KEY-----";
        let mut out = String::new();
        let mut rest = line;
        while let Some(b) = rest.find("-----BEGIN ") {
            let Some(t) = rest[b..].find(TAIL).map(|t| b + t + TAIL.len()) else {
                break;
            };
            let Some(e) = rest[t..].find("-----END ").map(|e| t + e) else {
                break;
            };
            out.push_str(&rest[..t]);
            let body = &rest[t..e];
            if body.contains("***") || body.trim_matches(['\\', 'n', ' ']).is_empty() {
                out.push_str(body);
            } else {
                out.push_str(&format!("\\n{}\\n", self.token(body)));
            }
            rest = &rest[e..];
        }
        out.push_str(rest);
        out
    }

    fn mask_line(&self, line: &str) -> String {
        let mut line = line.to_string();
        for v in &self.values {
            if line.contains(v.as_str()) {
                line = line.replace(v.as_str(), &self.token(v));
            }
        }
        self.mask_directives(&line)
    }

    fn mask_directives(&self, line: &str) -> String {
        let trimmed = line.trim_start();
        // Keep a diff prefix (`+`, `-`, ` `) out of the keyword match.
        let body = trimmed.trim_start_matches(['+', '-', ' ']).trim_start();
        let words: Vec<&str> = body.split_whitespace().collect();
        let secret_word = match words.as_slice() {
            ["stats", "auth", cred, ..] => cred.split_once(':').map(|(_, p)| p),
            ["user", _, "password" | "insecure-password", pw, ..] => Some(*pw),
            _ => None,
        };
        match secret_word {
            Some(s) if !s.starts_with("***") && !s.is_empty() => {
                line.replacen(s, &self.token(s), 1)
            }
            _ => line.to_string(),
        }
    }
}

/// `-----BEGIN PRIVATE KEY-----`, `-----BEGIN EC PRIVATE KEY-----`… (any diff prefix).
fn is_key_begin(line: &str) -> bool {
    line.find("-----BEGIN ")
        .is_some_and(|b| line[b..].trim_end().ends_with("PRIVATE KEY-----"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_are_masked_with_a_stable_keyed_token() {
        let mut m = Masker::new("k1");
        m.add_secret("s3cr3t-pass");
        let out = m.mask("password=s3cr3t-pass\nother");
        assert!(!out.contains("s3cr3t-pass"));
        assert!(out.contains(&m.token("s3cr3t-pass")));
        assert!(out.ends_with("\nother"));
        assert_eq!(m.token("x"), Masker::new("k1").token("x"));
        assert_ne!(
            m.token("x"),
            Masker::new("k2").token("x"),
            "the key changes the token"
        );
        assert_ne!(
            m.token("old-pass"),
            m.token("new-pass"),
            "a change stays visible"
        );
    }

    #[test]
    fn secret_directives_are_masked_even_when_the_value_is_unknown() {
        let m = Masker::new("k");
        let out = m.mask("-    stats auth admin:0ldP4ss\n+    stats auth admin:n3wP4ss");
        assert!(
            !out.contains("0ldP4ss") && !out.contains("n3wP4ss"),
            "{out}"
        );
        assert!(out.contains("stats auth admin:***"));
        let out = m.mask("    user bob password $6$saltsalt$hash");
        assert!(!out.contains("$6$saltsalt$hash"), "{out}");
    }

    #[test]
    fn unknown_private_keys_are_masked_in_diffs_and_json() {
        let m = Masker::new("k");
        let diff = "-----BEGIN PRIVATE KEY-----\n-MIGHAgEAMBMGByqGSM49AgEGCCqG\n+MIGHAgEAMBMGBnewnewnewnew\n -----END PRIVATE KEY-----\nafter";
        let out = m.mask(diff);
        assert!(!out.contains("MIGHAgEA"), "{out}");
        assert!(out.contains(&format!(
            "\n-{}\n+",
            m.token("MIGHAgEAMBMGByqGSM49AgEGCCqG")
        )));
        assert!(out.ends_with(" -----END PRIVATE KEY-----\nafter"), "{out}");
        let json = r#""content": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIOld\nAwEHoUQD\n-----END EC PRIVATE KEY-----\n", "x": 1"#;
        let out = m.mask(json);
        assert!(
            !out.contains("MHcCAQEEIOld") && !out.contains("AwEHoUQD"),
            "{out}"
        );
        assert!(
            out.contains("-----END EC PRIVATE KEY-----") && out.ends_with("\"x\": 1"),
            "{out}"
        );
        // Certificates are public and stay readable.
        let cert = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUig\n-----END CERTIFICATE-----";
        assert_eq!(m.mask(cert), cert);
    }

    #[test]
    fn short_values_are_left_to_directive_rules() {
        let mut m = Masker::new("k");
        m.add_secret("ab");
        assert_eq!(m.mask("tab"), "tab");
    }
}
