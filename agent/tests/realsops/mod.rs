//! The cases of `secrets_realsops.rs`: cleartext fixtures and the sops options each
//! is encrypted with.

/// One file to encrypt with real sops.
pub struct Case {
    /// File name written (its extension tells sops the format); unique per case.
    pub name: &'static str,
    pub plain: &'static str,
    /// Extra `sops encrypt` arguments.
    pub args: &'static [&'static str],
    /// How many of the generated age keys are recipients (each must decrypt).
    pub recipients: usize,
    /// Encrypt through a `.sops.yaml` creation rule (with `config_regex` as
    /// `encrypted_regex`) instead of `--age`.
    pub use_config: bool,
    pub config_regex: &'static str,
    /// Cleartext that must not appear in the encrypted file.
    pub secrets: &'static [&'static str],
    /// Text that must stay readable in the encrypted file.
    pub stays_plain: &'static [&'static str],
}

const NESTED: &str = include_str!("nested.yaml");
const JSON: &str = include_str!("nested.json");
const SECRET: &str = include_str!("secret.yaml");
const SUFFIX: &str = include_str!("suffix.yaml");
const TLS: &str = include_str!("tls.yaml");
const ENC_SUFFIX: &str = "\
service:
  name: stats
  password_secret: enc-suffix-Pa55-77
  token_secret: [tok-one-abc, tok-two-def]
  port: 8404
";

const BASE: Case = Case {
    name: "",
    plain: "",
    args: &[],
    recipients: 1,
    use_config: false,
    config_regex: "",
    secrets: &[],
    stays_plain: &[],
};

const NESTED_SECRETS: &[&str] = &[
    "n3sted-Pa55w0rd!",
    "alice-list-pw-1",
    "deep-item-two",
    "line two with: a colon",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7realsopsA",
];

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "nested.yaml",
            plain: NESTED,
            secrets: NESTED_SECRETS,
            ..BASE
        },
        Case {
            name: "three-recipients.yaml",
            plain: NESTED,
            recipients: 3,
            secrets: NESTED_SECRETS,
            ..BASE
        },
        Case {
            name: "nested.json",
            plain: JSON,
            secrets: &["json-Pa55-9f2e", "json-inner-secret", "second line of json"],
            ..BASE
        },
        Case {
            name: "regex.json",
            plain: JSON,
            args: &["--encrypted-regex", "^password$"],
            secrets: &["json-Pa55-9f2e"],
            stays_plain: &["json-inner-secret", "json-top-level-secret"],
            ..BASE
        },
        Case {
            name: "k8s-secret.yaml",
            plain: SECRET,
            args: &["--encrypted-regex", "^(data|stringData)$"],
            secrets: &["a2MtYWRtaW4tUGE1NS0zYjhk", "k8s-string-data-secret"],
            stays_plain: &["keycloak-admin", "kind: Secret", "app: keycloak"],
            ..BASE
        },
        Case {
            name: "k8s-secret-mac-only.yaml",
            plain: SECRET,
            args: &[
                "--encrypted-regex",
                "^(data|stringData)$",
                "--mac-only-encrypted",
            ],
            secrets: &["a2MtYWRtaW4tUGE1NS0zYjhk"],
            stays_plain: &["keycloak-admin", "mac_only_encrypted: true"],
            ..BASE
        },
        Case {
            name: "k8s-secret-config.yaml",
            plain: SECRET,
            recipients: 2,
            use_config: true,
            config_regex: "^(data|stringData)$",
            secrets: &["a2MtYWRtaW4tUGE1NS0zYjhk", "k8s-string-data-secret"],
            stays_plain: &["keycloak-admin", "encrypted_regex: ^(data|stringData)$"],
            ..BASE
        },
        Case {
            name: "suffix.yaml",
            plain: SUFFIX,
            args: &["--unencrypted-suffix", "_unencrypted"],
            secrets: &["suffix-Pa55-41aa"],
            stays_plain: &["reviewers can read this", "also readable"],
            ..BASE
        },
        Case {
            name: "enc-suffix.yaml",
            plain: ENC_SUFFIX,
            args: &["--encrypted-suffix", "_secret"],
            secrets: &["enc-suffix-Pa55-77", "tok-two-def"],
            stays_plain: &["name: stats"],
            ..BASE
        },
        Case {
            name: "tls.yaml",
            plain: TLS,
            args: &["--unencrypted-regex", "^(apiVersion|kind|metadata|type)$"],
            secrets: &["tlskeybodyline1", "tlskeybodyline2"],
            stays_plain: &["gw-tls", "kubernetes.io/tls"],
            ..BASE
        },
    ]
}
