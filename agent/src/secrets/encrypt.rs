//! Writing the SOPS format: what `agent secret encrypt` and the tests use, since no
//! `sops` binary is packaged for this platform. The output is a regular sops file
//! (data key wrapped by `age` per recipient, AES-256-GCM values, encrypted MAC).

use super::cipher::{self, Scalar};
use super::error::SecretError;
use super::identity::{age_encrypt_armored, parse_recipient};
use super::sops::{self, Rules};
use serde_yaml::{Mapping, Value};
use sha2::Digest;

/// Output syntax of [`encrypt_document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// What to encrypt and the timestamp to record.
#[derive(Debug, Clone)]
pub struct EncryptOptions {
    /// Default: sops' own default, keys ending in `_unencrypted` stay readable.
    pub rules: Rules,
    /// RFC 3339 UTC; `None` = now. Tests pass a fixed value.
    pub lastmodified: Option<String>,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        EncryptOptions {
            rules: Rules {
                unencrypted_suffix: Some("_unencrypted".into()),
                ..Rules::default()
            },
            lastmodified: None,
        }
    }
}

/// Encrypts a document (a mapping without a `sops` key) to every recipient.
/// Each recipient gets its own age entry, as sops writes them.
pub fn encrypt_document(
    doc: &Value,
    recipients: &[String],
    opts: &EncryptOptions,
    format: Format,
) -> Result<String, SecretError> {
    let fail = |reason: &str| SecretError::Encrypt {
        reason: reason.to_string(),
    };
    let mut map = doc
        .as_mapping()
        .cloned()
        .ok_or_else(|| fail("the document must be a mapping"))?;
    if map.contains_key("sops") {
        return Err(fail("the document is already encrypted (has a sops key)"));
    }
    if recipients.is_empty() {
        return Err(fail("no recipients"));
    }
    let parsed = recipients
        .iter()
        .map(|r| parse_recipient(r))
        .collect::<Result<Vec<_>, _>>()?;
    let mut key = [0u8; 32];
    cipher::getrandom(&mut key);

    let rules = &opts.rules;
    let mut mac = sops::new_mac(rules);
    let mut visit = |leaf: &mut Value, path: &[String]| -> Result<(), SecretError> {
        let scalar = sops::from_yaml(leaf).expect("walk only visits scalars");
        let encrypted = rules.should_encrypt(path);
        if encrypted || !rules.mac_only_encrypted {
            mac.update(scalar.to_mac_bytes());
        }
        if encrypted {
            let aad = format!("{}:", path.join(":"));
            *leaf = Value::String(cipher::encrypt_value(&scalar, &key, &aad));
        }
        Ok(())
    };
    sops::walk_mapping("<document>", &mut map, &mut Vec::new(), &mut visit)?;

    let lastmodified = opts.lastmodified.clone().unwrap_or_else(rfc3339_utc_now);
    let mac_hex = hex::encode_upper(mac.finalize());
    let mut age = Vec::new();
    for (text, r) in recipients.iter().zip(&parsed) {
        let mut e = Mapping::new();
        e.insert("recipient".into(), text.trim().into());
        e.insert(
            "enc".into(),
            age_encrypt_armored(&key, std::slice::from_ref(r))?.into(),
        );
        age.push(Value::Mapping(e));
    }
    let mut meta = Mapping::new();
    meta.insert("age".into(), Value::Sequence(age));
    meta.insert("lastmodified".into(), lastmodified.clone().into());
    let mac_enc = cipher::encrypt_value(&Scalar::Str(mac_hex), &key, &lastmodified);
    meta.insert("mac".into(), mac_enc.into());
    let opt = |m: &mut Mapping, k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.into(), v.into());
        }
    };
    opt(
        &mut meta,
        "unencrypted_suffix",
        rules.unencrypted_suffix.clone(),
    );
    opt(
        &mut meta,
        "encrypted_suffix",
        rules.encrypted_suffix.clone(),
    );
    let re = |r: &Option<regex::Regex>| r.as_ref().map(|r| r.as_str().to_string());
    opt(&mut meta, "unencrypted_regex", re(&rules.unencrypted_regex));
    opt(&mut meta, "encrypted_regex", re(&rules.encrypted_regex));
    if rules.mac_only_encrypted {
        meta.insert("mac_only_encrypted".into(), true.into());
    }
    meta.insert("version".into(), "3.9.0".into());
    map.insert("sops".into(), Value::Mapping(meta));

    let out = Value::Mapping(map);
    match format {
        Format::Yaml => serde_yaml::to_string(&out).map_err(|e| fail(&e.to_string())),
        Format::Json => serde_json::to_string_pretty(&out)
            .map(|s| s + "\n")
            .map_err(|e| fail(&e.to_string())),
    }
}

/// Current time as `YYYY-MM-DDTHH:MM:SSZ` (what sops records in `lastmodified`).
pub fn rfc3339_utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
