//! `server` and `default-server` options: which take an argument, and their
//! canonical order (HAProxy's configuration manual, "5.2. Server and default-server
//! options"). A keyword not listed is read as a flag; `no-X` cancels `X`. Also one
//! backend `server` line typed, and the `default-server` lines before it folded in
//! (used by `backend.rs`).

use super::tokens::Line;
use schema::validate::net;
use schema::Server;

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

/// One `server` line, typed; `None` when its address or options are beyond the model.
pub(super) struct ServerLine<'l> {
    pub line: &'l Line,
    pub server: Server,
    /// Options beyond the typed ones, as `(keyword, value, raw text)`.
    pub rest: Vec<(String, Option<String>, String)>,
    pub check: bool,
    pub cookie: Option<String>,
}

pub(super) fn server_line<'l>(l: &'l Line) -> Option<ServerLine<'l>> {
    if l.words.len() < 3 || l.error.is_some() {
        return None;
    }
    // No port (`0.0.0.0`, a transparent next hop): the client's destination port.
    let (addr, port) = match l.word(2).rsplit_once(':') {
        Some((a, p)) => (a, Some(p.parse::<u16>().ok().filter(|p| *p > 0)?)),
        None => (l.word(2), None),
    };
    // `[v6]:port`: the model holds the address without brackets, the renderer adds them.
    let addr = match addr.strip_prefix('[').and_then(|a| a.strip_suffix(']')) {
        Some(v6) if v6.parse::<std::net::Ipv6Addr>().is_ok() => v6,
        Some(_) => return None,
        None if addr.contains(':') => return None,
        None => addr,
    };
    if !net::is_address(addr) || l.words[2].text != l.raw[l.words[2].start..l.words[2].end] {
        return None;
    }
    let opts: Vec<String> = l.words[3..].iter().map(|w| w.text.clone()).collect();
    let mut s = Server {
        name: l.word(1).to_string(),
        address: addr.to_string(),
        port,
        weight: None,
        check: Some(false),
        cookie: None,
        backup: false,
        disabled: false,
        extra: None,
    };
    let (mut check, mut cookie, mut rest) = (false, None, Vec::new());
    let mut i = 3;
    for (kw, args) in group(&opts) {
        let raw = l.raw[l.words[i].start..l.words[i + args.len()].end].to_string();
        i += 1 + args.len();
        match (kw.as_str(), args.first()) {
            ("check", None) if !check => check = true,
            ("backup", None) if !s.backup => s.backup = true,
            ("disabled", None) if !s.disabled => s.disabled = true,
            ("weight", Some(w))
                if s.weight.is_none() && w.parse::<u32>().is_ok_and(|w| w <= 256) =>
            {
                s.weight = w.parse().ok()
            }
            ("cookie", Some(c)) if cookie.is_none() => cookie = Some(c.clone()),
            _ => rest.push((kw.clone(), args.first().cloned(), raw)),
        }
    }
    // A keyword repeated among the options: the renderer could not keep their order.
    let mut kws: Vec<&str> = rest.iter().map(|r| r.0.as_str()).collect();
    kws.sort();
    if kws.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    if check {
        s.check = None;
    }
    Some(ServerLine {
        line: l,
        server: s,
        rest,
        check,
        cookie,
    })
}

/// Applies each `default-server` line to the servers after it, as HAProxy does: a
/// server's own setting wins, and of two `default-server` lines the later one. The
/// renderer then writes the settings on every server line, which means the same (the
/// canonical form of `normal.rs` folds them too) and is also what a server added at
/// run time needs, since dynamic servers do not inherit `default-server`. `no-…`
/// options (which undo an inherited setting) keep the section verbatim.
pub(super) fn fold_default_servers(
    defaults: &[&Line],
    servers: &mut [ServerLine],
) -> Result<(), String> {
    let negated = |w: &str| w.starts_with("no-");
    if servers.iter().any(|s| s.rest.iter().any(|r| negated(&r.0))) {
        return Err("a server option that undoes a default (`no-…`)".into());
    }
    let mut parsed = Vec::new();
    for l in defaults {
        if l.error.is_some() || l.words.len() < 2 {
            return Err("a `default-server` line the model does not take".into());
        }
        let opts: Vec<String> = l.words[1..].iter().map(|w| w.text.clone()).collect();
        let mut i = 1;
        let mut options = Vec::new();
        for (kw, args) in group(&opts) {
            let raw = l.raw[l.words[i].start..l.words[i + args.len()].end].to_string();
            i += 1 + args.len();
            if negated(&kw) || (kw == "weight" && args.len() != 1) {
                return Err("a `default-server` option the model does not take".into());
            }
            options.push((kw, args.first().cloned(), raw));
        }
        parsed.push((l.no, options));
    }
    for s in servers.iter_mut() {
        let mut seen: Vec<String> = s.rest.iter().map(|r| r.0.clone()).collect();
        for (_, options) in parsed.iter().rev().filter(|(no, _)| *no < s.line.no) {
            for (kw, arg, raw) in options {
                if seen.contains(kw) {
                    continue;
                }
                seen.push(kw.clone());
                match (kw.as_str(), arg) {
                    ("check", None) => {
                        if !s.check {
                            s.check = true;
                            s.server.check = None;
                        }
                    }
                    ("backup", None) => s.server.backup = true,
                    ("disabled", None) => s.server.disabled = true,
                    ("weight", Some(w)) if s.server.weight.is_none() => {
                        s.server.weight = Some(
                            w.parse::<u32>()
                                .ok()
                                .filter(|w| *w <= 256)
                                .ok_or("a `default-server` weight outside 0-256")?,
                        )
                    }
                    ("weight", _) => {}
                    ("cookie", Some(c)) if s.cookie.is_none() => s.cookie = Some(c.clone()),
                    ("cookie", _) => {}
                    _ => s.rest.push((kw.clone(), arg.clone(), raw.clone())),
                }
            }
        }
    }
    Ok(())
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
