//! Apache httpd values the gateway model checks: shared by validation and by
//! `agent import`, which types only what validation accepts.

/// `RewriteRule` flags (the name before any `=value`), long and short forms, lowercase.
pub const REWRITE_RULE_FLAGS: &[&str] = &[
    "b",
    "backrefnoplus",
    "bnp",
    "bctls",
    "bne",
    "c",
    "chain",
    "co",
    "cookie",
    "dpi",
    "discardpath",
    "e",
    "env",
    "end",
    "f",
    "forbidden",
    "g",
    "gone",
    "h",
    "handler",
    "l",
    "last",
    "n",
    "next",
    "nc",
    "nocase",
    "ne",
    "noescape",
    "ns",
    "nosubreq",
    "p",
    "proxy",
    "pt",
    "passthrough",
    "qsa",
    "qsappend",
    "qsd",
    "qsdiscard",
    "qsl",
    "qslast",
    "r",
    "redirect",
    "s",
    "skip",
    "t",
    "type",
    "unsafeallow3f",
    "unsafeprefixstat",
];

/// `RewriteCond` flags, lowercase.
pub const REWRITE_COND_FLAGS: &[&str] = &["nc", "nocase", "or", "ornext", "nv", "novary"];

/// `SSLProtocol` protocol names, lowercase (each may be prefixed by `+` or `-`).
pub const SSL_PROTOCOLS: &[&str] = &[
    "all", "sslv2", "sslv3", "tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3",
];

/// The flag names of a `[..]` list (without brackets) not in `known`, if any.
pub fn unknown_flags<'a>(flags: &'a str, known: &[&str]) -> Vec<&'a str> {
    flags
        .split(',')
        .map(str::trim)
        .filter(|f| {
            let name = f.split('=').next().unwrap_or_default().to_ascii_lowercase();
            !known.contains(&name.as_str())
        })
        .collect()
}

/// Whether every word of an `SSLProtocol` value is a known protocol, optionally `+`/`-`.
pub fn ssl_protocol_ok(value: &str) -> bool {
    let mut words = value.split_whitespace().peekable();
    words.peek().is_some()
        && words.all(|w| {
            let p = w.trim_start_matches(['+', '-']).to_ascii_lowercase();
            w.len() - p.len() <= 1 && SSL_PROTOCOLS.contains(&p.as_str())
        })
}

/// An `ErrorDocument` target httpd takes: a local path, a URL, or a quoted message.
pub fn error_document_ok(target: &str) -> bool {
    target.starts_with('/') || target.starts_with('"') || target.contains("://")
}

/// `Options` keywords, lowercase.
pub const OPTIONS: &[&str] = &[
    "all",
    "execcgi",
    "followsymlinks",
    "includes",
    "includesnoexec",
    "indexes",
    "multiviews",
    "symlinksifownermatch",
    "none",
];

/// `AllowOverride` classes (the name before any `=`), lowercase.
pub const OVERRIDES: &[&str] = &[
    "all",
    "none",
    "authconfig",
    "fileinfo",
    "indexes",
    "limit",
    "options",
    "nonfatal",
];

/// `Order` values, lowercase.
pub const ORDERS: &[&str] = &["allow,deny", "deny,allow", "mutual-failure"];

/// What is wrong with an `Options` list, if anything.
pub fn options_problem(options: &[String]) -> Option<String> {
    for o in options {
        let name = o.trim_start_matches(['+', '-']).to_ascii_lowercase();
        if o.len() - name.len() > 1 || !OPTIONS.contains(&name.as_str()) {
            return Some(format!("unknown option `{o}`"));
        }
    }
    let signed = options.iter().filter(|o| o.starts_with(['+', '-'])).count();
    (signed != 0 && signed != options.len())
        .then(|| "options with `+`/`-` mixed with options without".to_string())
}

/// A `<VirtualHost>` address with an explicit port: its host and port.
pub fn vhost_address(a: &str) -> Option<(&str, u16)> {
    let (host, port) = a.rsplit_once(':')?;
    let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
    let ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => host == "*" || host == "_default_" || super::net::is_address(host),
    };
    ok.then_some((host, port))
}

/// One variable setting of `SetEnvIf`/`BrowserMatch`: `name` (set to 1), `name=value`
/// or `!name` (unset); the name one word without `=`.
pub fn env_setting_ok(s: &str) -> bool {
    let name = match s.strip_prefix('!') {
        Some(n) => n,
        None => s.split_once('=').map_or(s, |(n, _)| n),
    };
    !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '=' || c == '"')
}

/// A mod_macro parameter name: one word starting with `$`, `%` or `@`.
pub fn macro_parameter_ok(p: &str) -> bool {
    p.len() > 1
        && p.starts_with(['$', '%', '@'])
        && !p.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'')
}
