//! Gateway checks for the virtual-host settings beyond proxying: error documents, log
//! formats, mod_rewrite rules, TLS protocol settings.

use super::apache_names::{
    error_document_ok, options_problem, ssl_protocol_ok, unknown_flags, vhost_address, ORDERS,
    OVERRIDES, REWRITE_COND_FLAGS, REWRITE_RULE_FLAGS,
};
use super::cx::Cx;
use crate::model::*;

pub(super) fn check(cx: &mut Cx, doc: &Origin, at: &str, v: &VirtualHost) {
    for (code, target) in &v.error_documents {
        let path = format!("{at}.errorDocuments.{code}");
        if !(400..=599).contains(code) {
            cx.error(
                doc,
                &path,
                format!("{code} is not an HTTP error status"),
                Some("an error status from 400 to 599, e.g. 404 or 503".into()),
            );
        }
        if !error_document_ok(target) {
            let hint = "a local path (`/errors/404.html`), a URL (`https://…`) or a message in double quotes".to_string();
            cx.error(
                doc,
                &path,
                format!("`{target}` is not a path, URL or quoted message"),
                Some(hint),
            );
        }
    }
    for (j, f) in v.log_formats.iter().enumerate() {
        if f.format.is_empty() {
            let hint = "a format string such as `%h %l %u %t \"%r\" %>s %b`".to_string();
            cx.error(
                doc,
                &format!("{at}.logFormats[{j}].format"),
                "empty log format",
                Some(hint),
            );
        }
        if let Some(n) = f
            .nickname
            .as_deref()
            .filter(|n| n.is_empty() || n.contains(char::is_whitespace))
        {
            cx.error(
                doc,
                &format!("{at}.logFormats[{j}].nickname"),
                format!("log format nickname `{n}` is not one word"),
                Some("one word, like `combined_forwarded`".into()),
            );
        }
    }
    for (j, r) in v.rewrites.iter().enumerate() {
        let rat = format!("{at}.rewrites[{j}]");
        for (field, value) in [("pattern", &r.pattern), ("substitution", &r.substitution)] {
            if value.is_empty() {
                let hint = if field == "pattern" {
                    "a regex such as `^/old/(.*)$`"
                } else {
                    "a URL or path, or `-` to leave it unchanged"
                };
                cx.error(
                    doc,
                    &format!("{rat}.{field}"),
                    format!("empty rewrite {field}"),
                    Some(hint.into()),
                );
            }
        }
        flags(
            cx,
            doc,
            &format!("{rat}.flags"),
            r.flags.as_deref(),
            REWRITE_RULE_FLAGS,
            "L, R=301, P, QSA, NE, NC, END",
        );
        for (k, c) in r.conditions.iter().enumerate() {
            let cat = format!("{rat}.conditions[{k}]");
            for (field, value) in [("test", &c.test), ("pattern", &c.pattern)] {
                if value.is_empty() {
                    cx.error(
                        doc,
                        &format!("{cat}.{field}"),
                        format!("empty rewrite condition {field}"),
                        Some("e.g. test `%{HTTPS}`, pattern `!=on`".into()),
                    );
                }
            }
            flags(
                cx,
                doc,
                &format!("{cat}.flags"),
                c.flags.as_deref(),
                REWRITE_COND_FLAGS,
                "NC, OR, NV",
            );
        }
    }
    if let Some(t) = &v.tls {
        tls(cx, doc, &format!("{at}.tls"), t);
    }
    sections(cx, doc, at, v);
    addresses(cx, doc, at, v);
}

/// `<VirtualHost>` addresses: `HOST:PORT` with the virtual host's port.
fn addresses(cx: &mut Cx, doc: &Origin, at: &str, v: &VirtualHost) {
    let port = v.port.unwrap_or(if v.tls.is_some() { 443 } else { 80 });
    for (j, a) in v.addresses.iter().enumerate() {
        let path = format!("{at}.addresses[{j}]");
        let Some((host, p)) = vhost_address(a) else {
            let hint = "`HOST:PORT` with HOST `*`, `_default_`, an IP address (`[…]` for IPv6) or a DNS name, like `10.2.3.4:443`".to_string();
            cx.error(
                doc,
                &path,
                format!("invalid virtual host address `{a}`"),
                Some(hint),
            );
            continue;
        };
        if p != port {
            let hint =
                format!("set `port: {p}` on the virtual host, or write the address with :{port}");
            cx.error(
                doc,
                &path,
                format!("address `{a}` ({host}) is not on the virtual host's port {port}"),
                Some(hint),
            );
        }
    }
}

fn flags(
    cx: &mut Cx,
    doc: &Origin,
    path: &str,
    flags: Option<&str>,
    known: &[&str],
    examples: &str,
) {
    let Some(f) = flags else { return };
    let bad = unknown_flags(f, known);
    if f.starts_with('[') || !bad.is_empty() {
        let what = if f.starts_with('[') {
            "write the flags without brackets".to_string()
        } else {
            format!("unknown flag(s) {}", bad.join(", "))
        };
        cx.error(
            doc,
            path,
            format!("flags `{f}`: {what}"),
            Some(format!(
                "comma-separated flags without brackets, e.g. {examples}"
            )),
        );
    }
}

fn tls(cx: &mut Cx, doc: &Origin, at: &str, t: &Tls) {
    if let Some(p) = t.protocol.as_deref().filter(|p| !ssl_protocol_ok(p)) {
        cx.error(
            doc,
            &format!("{at}.protocol"),
            format!("`{p}` is not an SSLProtocol value"),
            Some("protocols among all, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, each optionally prefixed by + or -, like `all -SSLv3 -TLSv1 -TLSv1.1`".into()),
        );
    }
    if let Some(c) = t
        .cipher_suite
        .as_deref()
        .filter(|c| c.is_empty() || c.contains(char::is_whitespace))
    {
        cx.error(
            doc,
            &format!("{at}.cipherSuite"),
            format!("`{c}` is not one OpenSSL cipher list"),
            Some("one list without spaces, like `HIGH:!aNULL:!MD5`".into()),
        );
    }
}

/// `<Directory>`, `<Location>`, `<Files>`, `<Proxy>` sections: paths, options,
/// overrides, order, handler, balancer members.
pub(super) fn sections(cx: &mut Cx, doc: &Origin, at: &str, v: &VirtualHost) {
    for (j, s) in v.sections.iter().enumerate() {
        let sat = format!("{at}.sections[{j}]");
        if s.path.is_empty() {
            cx.error(
                doc,
                &format!("{sat}.path"),
                "empty section path",
                Some(
                    "a directory like `/var/www/html`, a URL path like `/`, or a file name".into(),
                ),
            );
        }
        if let Some(p) = options_problem(&s.options) {
            cx.error(
                doc,
                &format!("{sat}.options"),
                format!("Options of <{} {}>: {p}", s.kind.as_str(), s.path),
                Some("keywords among All, ExecCGI, FollowSymLinks, Includes, IncludesNOEXEC, Indexes, MultiViews, SymLinksIfOwnerMatch, None; all with + or -, or none".into()),
            );
        }
        for (k, o) in s.allow_override.iter().enumerate() {
            let name = o.split('=').next().unwrap_or_default().to_ascii_lowercase();
            if !OVERRIDES.contains(&name.as_str()) {
                cx.error(
                    doc,
                    &format!("{sat}.allowOverride[{k}]"),
                    format!("unknown AllowOverride class `{o}`"),
                    Some("one of All, None, AuthConfig, FileInfo, Indexes, Limit, Options[=...], Nonfatal=...".into()),
                );
            }
        }
        if let Some(o) = s
            .order
            .as_deref()
            .filter(|o| !ORDERS.contains(&o.to_ascii_lowercase().as_str()))
        {
            cx.error(
                doc,
                &format!("{sat}.order"),
                format!("`{o}` is not an Order"),
                Some("`allow,deny`, `deny,allow` or `mutual-failure` (no spaces)".into()),
            );
        }
        proxy_section(cx, doc, &sat, s);
        for (field, list) in [
            ("require", &s.require),
            ("allowFrom", &s.allow_from),
            ("denyFrom", &s.deny_from),
        ] {
            for (k, r) in list.iter().enumerate() {
                if r.split_whitespace().next().is_none() {
                    let hint = if field == "require" {
                        "e.g. `all granted` or `ip 10.0.0.0/8`"
                    } else {
                        "hosts, networks or `all`"
                    };
                    cx.error(
                        doc,
                        &format!("{sat}.{field}[{k}]"),
                        format!("empty `{field}` entry"),
                        Some(hint.into()),
                    );
                }
            }
        }
    }
}

/// httpd's load-balancing methods (`lbmethod=`), each a module of its own.
const LBMETHODS: &[&str] = &["byrequests", "bytraffic", "bybusyness", "heartbeat"];

/// `SetHandler`, and what only a `<Proxy>` section holds: balancer members, `ProxySet`.
fn proxy_section(cx: &mut Cx, doc: &Origin, sat: &str, s: &PathSection) {
    if let Some(h) = s
        .handler
        .as_deref()
        .filter(|h| h.is_empty() || h.contains(char::is_whitespace))
    {
        cx.error(
            doc,
            &format!("{sat}.handler"),
            format!("`{h}` is not a handler name"),
            Some("one word, e.g. `server-status` or `balancer-manager`".into()),
        );
    }
    let proxy = matches!(s.kind, SectionKind::Proxy | SectionKind::ProxyMatch);
    for (field, list) in [
        ("balancerMembers", &s.balancer_members),
        ("proxySet", &s.proxy_set),
    ] {
        if !proxy && !list.is_empty() {
            cx.error(
                doc,
                &format!("{sat}.{field}"),
                format!("`{field}` in a <{}> section", s.kind.as_str()),
                Some("put it in a section of `kind: proxy` (`<Proxy balancer://NAME>`)".into()),
            );
        }
    }
    for (k, m) in s.balancer_members.iter().enumerate() {
        let url = m.split_whitespace().next().unwrap_or_default();
        if !super::net::is_proxy_url(url) || m.split_whitespace().skip(1).any(|p| !p.contains('='))
        {
            cx.error(
                doc,
                &format!("{sat}.balancerMembers[{k}]"),
                format!("`{m}` is not a balancer member"),
                Some("a URL and `key=value` parameters: `http://10.0.0.11:8080 route=1`".into()),
            );
        }
    }
    for (k, p) in s.proxy_set.iter().enumerate() {
        if let Some(m) = p.strip_prefix("lbmethod=") {
            if !LBMETHODS.contains(&m) {
                cx.error(
                    doc,
                    &format!("{sat}.proxySet[{k}]"),
                    format!("unknown load-balancing method `{m}`"),
                    Some(format!("one of {}", LBMETHODS.join(", "))),
                );
            }
        }
        if !p.contains('=') || p.starts_with('=') || p.contains(char::is_whitespace) {
            cx.error(
                doc,
                &format!("{sat}.proxySet[{k}]"),
                format!("`{p}` is not a `key=value` parameter"),
                Some("e.g. `lbmethod=byrequests` or `stickysession=JSESSIONID`".into()),
            );
        }
    }
}
