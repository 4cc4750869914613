//! `server` and `default-server` options: which take an argument, and their
//! canonical order (HAProxy's configuration manual, "5.2. Server and default-server
//! options"). A keyword not listed is read as a flag; `no-X` cancels `X`.

/// Options taking exactly one argument.
const ONE_ARG: &[&str] = &[
    "addr",
    "agent-addr",
    "agent-inter",
    "agent-port",
    "agent-send",
    "alpn",
    "ca-file",
    "check-alpn",
    "check-proto",
    "check-sni",
    "ciphers",
    "ciphersuites",
    "client-sigalgs",
    "cookie",
    "crl-file",
    "crt",
    "curves",
    "downinter",
    "error-limit",
    "fall",
    "fastinter",
    "guid",
    "hash-key",
    "id",
    "init-addr",
    "init-state",
    "inter",
    "interface",
    "log-bufsize",
    "log-proto",
    "maxconn",
    "maxqueue",
    "max-reuse",
    "minconn",
    "namespace",
    "npn",
    "observe",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "pool-conn-name",
    "pool-low-conn",
    "pool-max-conn",
    "pool-purge-delay",
    "port",
    "proto",
    "proxy-v2-options",
    "redir",
    "resolve-net",
    "resolve-opts",
    "resolve-prefer",
    "resolvers",
    "rise",
    "shard",
    "sigalgs",
    "slowstart",
    "sni",
    "socks4",
    "source",
    "ssl-max-ver",
    "ssl-min-ver",
    "tcp-md5sig",
    "tcp-ut",
    "track",
    "usesrc",
    "verify",
    "verifyhost",
    "weight",
    "ws",
];

/// Options taking two arguments.
const TWO_ARGS: &[&str] = &["set-proxy-v2-tlv-fmt"];

/// Options that say what is the default anyway.
const NO_OPS: &[&str] = &["enabled"];

/// How many arguments `kw` takes.
pub fn arity(kw: &str) -> usize {
    if ONE_ARG.contains(&kw) {
        1
    } else if TWO_ARGS.contains(&kw) {
        2
    } else {
        0
    }
}

/// Options grouped as `(keyword, arguments)`, in the order written.
pub fn group(opts: &[String]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < opts.len() {
        let kw = opts[i].clone();
        let n = arity(&kw).min(opts.len() - i - 1);
        out.push((kw, opts[i + 1..i + 1 + n].to_vec()));
        i += 1 + n;
    }
    out
}

/// The effective options, sorted: a later setting of a keyword replaces an earlier
/// one, `no-X` removes `X`, no-ops are dropped.
pub fn canonical_options(opts: &[String]) -> Vec<String> {
    let mut set: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (kw, args) in group(opts) {
        if NO_OPS.contains(&kw.as_str()) {
            continue;
        }
        if let Some(base) = kw.strip_prefix("no-") {
            if set.remove(base).is_some() || ONE_ARG.contains(&base) || is_flag(base) {
                continue;
            }
        }
        set.insert(kw, args);
    }
    set.into_iter()
        .flat_map(|(k, a)| std::iter::once(k).chain(a))
        .collect()
}

/// Flags with a documented `no-` form.
fn is_flag(kw: &str) -> bool {
    matches!(
        kw,
        "check"
            | "backup"
            | "ssl"
            | "send-proxy"
            | "send-proxy-v2"
            | "agent-check"
            | "check-ssl"
            | "check-send-proxy"
            | "tfo"
            | "tls-tickets"
            | "verifyhost"
            | "ssl-reuse"
            | "send-proxy-v2-ssl"
            | "send-proxy-v2-ssl-cn"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn later_settings_win_and_no_cancels() {
        assert_eq!(
            canonical_options(&v(
                "inter 2s check weight 10 inter 3s no-check ssl verify none"
            )),
            v("inter 3s ssl verify none weight 10")
        );
        assert_eq!(
            group(&v("cookie a check")),
            [
                ("cookie".to_string(), v("a")),
                ("check".to_string(), vec![])
            ]
        );
    }
}
