//! Names HAProxy defines that the model refers to: shared by validation and by
//! `agent import`, which types only what validation accepts.

/// The timeouts the model knows (`timeout <name>`).
pub const TIMEOUTS: &[&str] = &[
    "check",
    "client",
    "client-fin",
    "connect",
    "http-keep-alive",
    "http-request",
    "queue",
    "server",
    "server-fin",
    "tarpit",
    "tunnel",
];

/// ACLs HAProxy predefines; usable in conditions without declaring them.
pub const PREDEFINED_ACLS: &[&str] = &[
    "FALSE",
    "HTTP",
    "HTTP_1.0",
    "HTTP_1.1",
    "HTTP_2.0",
    "HTTP_3.0",
    "HTTP_CONTENT",
    "HTTP_URL_ABS",
    "HTTP_URL_SLASH",
    "HTTP_URL_STAR",
    "LOCALHOST",
    "METH_CONNECT",
    "METH_DELETE",
    "METH_GET",
    "METH_HEAD",
    "METH_OPTIONS",
    "METH_POST",
    "METH_PUT",
    "METH_TRACE",
    "RDP_COOKIE",
    "REQ_CONTENT",
    "TRUE",
    "WAIT_END",
];

/// `ssl-default-*-options` keywords without a value.
pub const SSL_OPTIONS: &[&str] = &[
    "no-sslv3",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "no-tls-tickets",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "prefer-client-ciphers",
    "no-ca-names",
    "allow-0rtt",
];

/// TLS versions `ssl-min-ver` / `ssl-max-ver` take.
pub const SSL_VERSIONS: &[&str] = &["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/// An `ssl-default-*-options` list split into entries (`ssl-min-ver X` is one), or the
/// first word that is not an option.
pub fn ssl_options(words: &[&str]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w == "ssl-min-ver" || w == "ssl-max-ver" {
            match words.get(i + 1) {
                Some(v) if SSL_VERSIONS.contains(v) => out.push(format!("{w} {v}")),
                _ => return Err(format!("`{w}` needs one of {}", SSL_VERSIONS.join(", "))),
            }
            i += 2;
        } else if SSL_OPTIONS.contains(&w) {
            out.push(w.to_string());
            i += 1;
        } else {
            return Err(format!("unknown option `{w}`"));
        }
    }
    Ok(out)
}

/// `default-path` values.
pub fn default_path_ok(v: &str) -> bool {
    let w: Vec<&str> = v.split_whitespace().collect();
    matches!(
        w.as_slice(),
        ["current"] | ["config"] | ["parent"] | ["origin", _]
    )
}

/// What an `http-check` rule starts with.
pub const HTTP_CHECK: &[&str] = &[
    "comment",
    "connect",
    "disable-on-404",
    "expect",
    "send",
    "send-state",
    "set-var",
    "set-var-fmt",
    "unset-var",
];
