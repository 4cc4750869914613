//! One SOPS value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`.
//!
//! AES-256-GCM under the file's data key, with a 32-byte IV (as sops uses) and the
//! value's tree path (`key:sub:`) as additional authenticated data, so a ciphertext
//! moved to another key fails to decrypt. The `type` field restores the scalar type.

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::AesGcm;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

/// AES-256-GCM with sops' 32-byte nonce.
type SopsGcm = AesGcm<Aes256, U32>;

const TAG_LEN: usize = 16;
pub(crate) const IV_LEN: usize = 32;

/// A cleartext scalar with the sops type it is stored as.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `type:bytes`; kept as text (lossy for non-UTF-8, which YAML cannot hold anyway).
    Bytes(String),
}

impl Scalar {
    /// The bytes sops feeds into the MAC and encrypts: Go's `strconv` spellings,
    /// booleans title-cased (`True`/`False`) for compatibility with sops.
    pub fn to_mac_bytes(&self) -> Vec<u8> {
        match self {
            Scalar::Str(s) | Scalar::Bytes(s) => s.as_bytes().to_vec(),
            Scalar::Int(i) => i.to_string().into_bytes(),
            // Rust's Display for f64 is the shortest round-trip form without exponent,
            // the same digits as Go's FormatFloat(f, 'f', -1, 64).
            Scalar::Float(f) => f.to_string().into_bytes(),
            Scalar::Bool(true) => b"True".to_vec(),
            Scalar::Bool(false) => b"False".to_vec(),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Scalar::Str(_) => "str",
            Scalar::Int(_) => "int",
            Scalar::Float(_) => "float",
            Scalar::Bool(_) => "bool",
            Scalar::Bytes(_) => "bytes",
        }
    }
}

/// Why one value could not be decrypted (the caller adds file and path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// Not `ENC[AES256_GCM,…]` or bad base64.
    Malformed(String),
    /// The GCM tag did not verify: tampered data, wrong key, or moved to another path.
    Authentication,
    /// Decrypted, but the text does not parse as the declared type.
    Type(String),
}

/// Decrypts one value. sops leaves empty strings unencrypted; they come back as `""`.
pub fn decrypt_value(value: &str, key: &[u8; 32], aad: &str) -> Result<Scalar, ValueError> {
    if value.is_empty() {
        return Ok(Scalar::Str(String::new()));
    }
    let inner = value
        .strip_prefix("ENC[AES256_GCM,")
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| ValueError::Malformed("not an ENC[AES256_GCM,…] value".into()))?;
    let mut fields = [None; 4];
    for part in inner.split(',') {
        let (k, v) = part
            .split_once(':')
            .ok_or_else(|| ValueError::Malformed(format!("field without ':' ({part})")))?;
        let slot = ["data", "iv", "tag", "type"].iter().position(|n| *n == k);
        match slot {
            Some(i) => fields[i] = Some(v),
            None => return Err(ValueError::Malformed(format!("unknown field {k}"))),
        }
    }
    let [Some(data), Some(iv), Some(tag), Some(ty)] = fields else {
        return Err(ValueError::Malformed(
            "missing data, iv, tag or type".into(),
        ));
    };
    let b64 = |name: &str, s: &str| {
        B64.decode(s)
            .map_err(|e| ValueError::Malformed(format!("{name} is not base64: {e}")))
    };
    let (mut data, iv, tag) = (b64("data", data)?, b64("iv", iv)?, b64("tag", tag)?);
    if iv.len() != IV_LEN || tag.len() != TAG_LEN {
        return Err(ValueError::Malformed(format!(
            "iv must be {IV_LEN} bytes and tag {TAG_LEN} bytes"
        )));
    }
    data.extend_from_slice(&tag);
    let gcm = SopsGcm::new(key.into());
    let plain = gcm
        .decrypt(
            iv.as_slice().into(),
            Payload {
                msg: &data,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| ValueError::Authentication)?;
    let text = String::from_utf8_lossy(&plain).into_owned();
    let bad = |ty: &str| ValueError::Type(format!("decrypted value is not a valid {ty}"));
    Ok(match ty {
        "str" => Scalar::Str(text),
        "bytes" => Scalar::Bytes(text),
        "int" | "int64" => Scalar::Int(text.parse().map_err(|_| bad("int"))?),
        "float" => Scalar::Float(text.parse().map_err(|_| bad("float"))?),
        "bool" => Scalar::Bool(parse_go_bool(&text).ok_or_else(|| bad("bool"))?),
        other => return Err(ValueError::Malformed(format!("unknown type {other}"))),
    })
}

/// Go's `strconv.ParseBool` spellings, which sops uses on decryption.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Encrypts one value with a fresh random IV. Empty strings stay empty, as in sops.
pub fn encrypt_value(value: &Scalar, key: &[u8; 32], aad: &str) -> String {
    if matches!(value, Scalar::Str(s) | Scalar::Bytes(s) if s.is_empty()) {
        return String::new();
    }
    let mut iv = [0u8; IV_LEN];
    getrandom(&mut iv);
    let gcm = SopsGcm::new(key.into());
    let out = gcm
        .encrypt(
            (&iv).into(),
            Payload {
                msg: &value.to_mac_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let (data, tag) = out.split_at(out.len() - TAG_LEN);
    format!(
        "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{}]",
        B64.encode(data),
        B64.encode(iv),
        B64.encode(tag),
        value.type_name()
    )
}

/// Fills `buf` from the OS CSPRNG (through `aes-gcm`'s `rand_core`).
pub(crate) fn getrandom(buf: &mut [u8]) {
    use aes_gcm::aead::rand_core::RngCore;
    aes_gcm::aead::OsRng.fill_bytes(buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn every_type_round_trips_and_binds_to_its_path() {
        for v in [
            Scalar::Str("pässwörd".into()),
            Scalar::Int(-42),
            Scalar::Float(0.1 + 0.2),
            Scalar::Bool(false),
            Scalar::Bytes("raw".into()),
        ] {
            let enc = encrypt_value(&v, &KEY, "a:b:");
            assert_eq!(decrypt_value(&enc, &KEY, "a:b:"), Ok(v.clone()));
            assert_eq!(
                decrypt_value(&enc, &KEY, "a:c:"),
                Err(ValueError::Authentication)
            );
            assert_eq!(
                decrypt_value(&enc, &[8; 32], "a:b:"),
                Err(ValueError::Authentication)
            );
        }
    }

    #[test]
    fn mac_bytes_use_sops_spellings() {
        assert_eq!(Scalar::Bool(true).to_mac_bytes(), b"True");
        assert_eq!(Scalar::Float(1.0).to_mac_bytes(), b"1");
        assert_eq!(
            Scalar::Float(0.1 + 0.2).to_mac_bytes(),
            b"0.30000000000000004"
        );
        assert_eq!(
            Scalar::Float(1e21).to_mac_bytes(),
            b"1000000000000000000000"
        );
    }

    #[test]
    fn empty_strings_stay_empty_and_malformed_values_are_named() {
        assert_eq!(encrypt_value(&Scalar::Str(String::new()), &KEY, "a:"), "");
        assert_eq!(
            decrypt_value("", &KEY, "a:"),
            Ok(Scalar::Str(String::new()))
        );
        let bad = decrypt_value("ENC[AES256_GCM,data:!!,iv:x,tag:y,type:str]", &KEY, "a:");
        assert!(matches!(bad, Err(ValueError::Malformed(m)) if m.contains("data")));
        let no_type = decrypt_value("ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==]", &KEY, "a:");
        assert!(matches!(no_type, Err(ValueError::Malformed(_))));
    }
}
