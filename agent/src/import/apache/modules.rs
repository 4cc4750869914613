//! Which Apache modules a configuration needs, and which ones Debian ships.

use super::tokens::{Directive, Node};
use std::collections::BTreeSet;

/// Modules Debian's apache2 packages ship (`/etc/apache2/mods-available`), except the
/// MPMs: exactly one MPM may be on, so an `<IfModule mpm_…>` is never assumed true.
const SHIPPED: &[&str] = &[
    "access_compat",
    "actions",
    "alias",
    "allowmethods",
    "asis",
    "auth_basic",
    "auth_digest",
    "auth_form",
    "authn_anon",
    "authn_core",
    "authn_dbd",
    "authn_dbm",
    "authn_file",
    "authn_socache",
    "authnz_fcgi",
    "authnz_ldap",
    "authz_core",
    "authz_dbd",
    "authz_dbm",
    "authz_groupfile",
    "authz_host",
    "authz_owner",
    "authz_user",
    "autoindex",
    "brotli",
    "buffer",
    "cache",
    "cache_disk",
    "cache_socache",
    "cern_meta",
    "cgi",
    "cgid",
    "charset_lite",
    "data",
    "dav",
    "dav_fs",
    "dav_lock",
    "dbd",
    "deflate",
    "dialup",
    "dir",
    "dump_io",
    "echo",
    "env",
    "expires",
    "ext_filter",
    "file_cache",
    "filter",
    "headers",
    "heartbeat",
    "heartmonitor",
    "http2",
    "ident",
    "imagemap",
    "include",
    "info",
    "lbmethod_bybusyness",
    "lbmethod_byrequests",
    "lbmethod_bytraffic",
    "lbmethod_heartbeat",
    "ldap",
    "log_debug",
    "log_forensic",
    "lua",
    "macro",
    "md",
    "mime",
    "mime_magic",
    "negotiation",
    "proxy",
    "proxy_ajp",
    "proxy_balancer",
    "proxy_connect",
    "proxy_express",
    "proxy_fcgi",
    "proxy_fdpass",
    "proxy_ftp",
    "proxy_hcheck",
    "proxy_html",
    "proxy_http",
    "proxy_http2",
    "proxy_scgi",
    "proxy_uwsgi",
    "proxy_wstunnel",
    "ratelimit",
    "reflector",
    "remoteip",
    "reqtimeout",
    "request",
    "rewrite",
    "sed",
    "session",
    "session_cookie",
    "session_crypto",
    "session_dbd",
    "setenvif",
    "slotmem_plain",
    "slotmem_shm",
    "socache_dbm",
    "socache_memcache",
    "socache_redis",
    "socache_shmcb",
    "speling",
    "ssl",
    "status",
    "substitute",
    "suexec",
    "unique_id",
    "userdir",
    "usertrack",
    "vhost_alias",
    "xml2enc",
];

/// Compiled into Debian's httpd: always on.
const STATIC: &[&str] = &[
    "core",
    "so",
    "watchdog",
    "http",
    "log_config",
    "logio",
    "version",
    "unixd",
];

/// Enabled by Debian's default installation (`a2query -m` on a fresh apache2).
pub const DEBIAN_DEFAULT: &[&str] = &[
    "access_compat",
    "alias",
    "auth_basic",
    "authn_core",
    "authn_file",
    "authz_core",
    "authz_host",
    "authz_user",
    "autoindex",
    "deflate",
    "dir",
    "env",
    "filter",
    "mime",
    "negotiation",
    "reqtimeout",
    "setenvif",
    "status",
];

pub fn is_static(m: &str) -> bool {
    STATIC.contains(&m)
}

/// A module the agent can enable with `a2enmod` (or that is always on).
pub fn standard(m: &str) -> bool {
    SHIPPED.contains(&m) || is_static(m)
}

/// The module a directive belongs to, when it is not core.
fn module_of(d: &Directive) -> Vec<&'static str> {
    let n = d.name.to_ascii_lowercase();
    let one = |m| vec![m];
    match n.as_str() {
        x if x.starts_with("rewrite") => {
            let proxied = x == "rewriterule"
                && d.args.get(2).is_some_and(|f| {
                    f.trim_matches(['[', ']'])
                        .split(',')
                        .any(|f| f.eq_ignore_ascii_case("p") || f.eq_ignore_ascii_case("proxy"))
                });
            if proxied {
                let mut v = vec!["rewrite", "proxy"];
                v.extend(scheme_modules(d.arg(1)));
                v
            } else {
                one("rewrite")
            }
        }
        "header" | "requestheader" => one("headers"),
        x if x.starts_with("ssl") => one("ssl"),
        "proxypass" | "proxypassmatch" | "proxypassreverse" | "balancermember" => {
            let mut v = vec!["proxy"];
            v.extend(scheme_modules(d.arg(1)));
            if n == "balancermember" {
                v.extend(scheme_modules(d.arg(0)));
            }
            v
        }
        x if x.starts_with("proxy") => one("proxy"),
        x if x.starts_with("expires") => one("expires"),
        x if x.starts_with("remoteip") => one("remoteip"),
        x if x.starts_with("header") => one("headers"),
        "use" | "undefmacro" => one("macro"),
        x if x.starts_with("authldap") => one("authnz_ldap"),
        "authuserfile" => one("authn_file"),
        "authgroupfile" => one("authz_groupfile"),
        "addoutputfilterbytype" => one("filter"),
        x if x.starts_with("deflate") => one("deflate"),
        x if x.starts_with("cache") => one("cache"),
        "substitute" => one("substitute"),
        x if x.starts_with("dav") => one("dav"),
        "userdir" => one("userdir"),
        x if x.starts_with("wsgi") => one("wsgi"),
        x if x.starts_with("passenger") => one("passenger"),
        _ => vec![],
    }
}

fn scheme_modules(url: &str) -> Vec<&'static str> {
    let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
    match scheme.as_str() {
        "http" | "https" => vec!["proxy_http"],
        "ws" | "wss" => vec!["proxy_wstunnel"],
        "ajp" => vec!["proxy_ajp"],
        "fcgi" => vec!["proxy_fcgi"],
        "uwsgi" => vec!["proxy_uwsgi"],
        "h2" | "h2c" => vec!["proxy_http2"],
        "balancer" => vec!["proxy_balancer", "lbmethod_byrequests"],
        _ => vec![],
    }
}

/// Every module the nodes need (blocks by their name: `<Proxy>` → proxy, `<Macro>` → macro).
pub fn needed(nodes: &[Node], out: &mut BTreeSet<String>) {
    for n in nodes {
        match n {
            Node::Directive(d) | Node::Include(d, _) => {
                out.extend(module_of(d).into_iter().map(String::from))
            }
            Node::Block(b) => {
                let m = match b.name.to_ascii_lowercase().as_str() {
                    "proxy" | "proxymatch" => Some("proxy"),
                    "macro" => Some("macro"),
                    _ => None,
                };
                out.extend(m.map(String::from));
                if b.is("Proxy") && b.args.first().is_some_and(|a| a.starts_with("balancer://")) {
                    out.insert("proxy_balancer".into());
                    out.insert("lbmethod_byrequests".into());
                }
                needed(&b.children, out);
            }
        }
    }
}
