//! The `global` settings beyond the runtime socket and the process owner: limits,
//! reload, paths, TLS defaults; the sections that are no proxy: `defaults`, `cache`s,
//! `userlist`s; the stats page; section headers. A leaf of [`super::render`].

use schema::{
    Cache, Defaults, FcgiApp, Global, Mode, Peers, SslDefaults, StatsOptions, StatsPage, Userlist,
};
use std::fmt::Write;

fn line(out: &mut String, text: impl AsRef<str>) {
    out.push_str("    ");
    out.push_str(text.as_ref());
    out.push('\n');
}

pub fn write_global_more(out: &mut String, g: &Global) {
    for (kw, v) in [
        ("uid", g.uid),
        ("gid", g.gid),
        ("ulimit-n", g.ulimit_n),
        ("nbthread", g.nbthread),
    ] {
        if let Some(v) = v {
            line(out, format!("{kw} {v}"));
        }
    }
    if let Some(p) = &g.localpeer {
        line(out, format!("localpeer {p}"));
    }
    if let Some(t) = &g.hard_stop_after {
        line(out, format!("hard-stop-after {t}"));
    }
    if g.master_worker {
        line(out, "master-worker");
    }
    if g.strict_limits {
        line(out, "strict-limits");
    }
    for (kw, v) in [
        ("default-path", &g.default_path),
        ("ca-base", &g.ca_base),
        ("crt-base", &g.crt_base),
    ] {
        if let Some(v) = v {
            line(out, format!("{kw} {v}"));
        }
    }
    ssl_defaults(out, "bind", g.ssl_default_bind.as_ref());
    ssl_defaults(out, "server", g.ssl_default_server.as_ref());
}

fn ssl_defaults(out: &mut String, side: &str, d: Option<&SslDefaults>) {
    let Some(d) = d else { return };
    if let Some(c) = &d.ciphers {
        line(out, format!("ssl-default-{side}-ciphers {c}"));
    }
    if let Some(c) = &d.ciphersuites {
        line(out, format!("ssl-default-{side}-ciphersuites {c}"));
    }
    if !d.options.is_empty() {
        line(
            out,
            format!("ssl-default-{side}-options {}", d.options.join(" ")),
        );
    }
}

/// Each userlist: its groups first (users name them), then its users.
pub fn write_userlists(out: &mut String, lists: &[Userlist]) {
    for u in lists {
        out.push_str(&format!("\nuserlist {}\n", u.name));
        for g in &u.groups {
            if g.users.is_empty() {
                line(out, format!("group {}", g.name));
            } else {
                line(out, format!("group {} users {}", g.name, g.users.join(",")));
            }
        }
        for x in &u.users {
            let kw = if x.insecure {
                "insecure-password"
            } else {
                "password"
            };
            let mut l = format!("user {} {kw} {}", x.name, x.password);
            if !x.groups.is_empty() {
                l.push_str(&format!(" groups {}", x.groups.join(",")));
            }
            line(out, l);
        }
    }
}

/// The `listen stats` section.
pub fn write_stats(out: &mut String, s: &StatsPage) {
    out.push_str("\nlisten stats\n");
    for b in &s.binds {
        line(out, format!("bind {b}"));
    }
    line(out, "mode http");
    line(out, "stats enable");
    line(
        out,
        format!("stats uri {}", s.uri.as_deref().unwrap_or("/stats")),
    );
    if let Some(r) = &s.refresh {
        line(out, format!("stats refresh {r}"));
    }
    if let Some(m) = s.maxconn {
        line(out, format!("maxconn {m}"));
    }
    for l in &s.log {
        line(out, format!("log {l}"));
    }
    for (name, value) in &s.timeouts {
        line(out, format!("timeout {name} {value}"));
    }
    if let Some(a) = &s.auth {
        line(out, format!("stats auth {}:{}", a.user, a.password));
    }
    if let Some(c) = &s.admin_if {
        line(out, format!("stats admin if {c}"));
    }
    for e in &s.extra {
        line(out, e);
    }
}

pub fn write_caches(out: &mut String, caches: &[Cache]) {
    for c in caches {
        out.push_str(&format!("\ncache {}\n", c.name));
        line(out, format!("total-max-size {}", c.total_max_size));
        if let Some(m) = c.max_object_size {
            line(out, format!("max-object-size {m}"));
        }
        if let Some(a) = c.max_age {
            line(out, format!("max-age {a}"));
        }
        if let Some(p) = c.process_vary {
            line(
                out,
                format!("process-vary {}", if p { "on" } else { "off" }),
            );
        }
    }
}

pub fn mode_str(m: Mode) -> &'static str {
    match m {
        Mode::Http => "http",
        Mode::Tcp => "tcp",
    }
}

/// A section header: `KIND NAME`, then ` from DEFAULTS` when it names one.
pub fn section_header(out: &mut String, kind: &str, name: Option<&str>, from: Option<&str>) {
    out.push('\n');
    out.push_str(kind);
    for (kw, v) in [("", name), ("from ", from)] {
        if let Some(v) = v {
            let _ = write!(out, " {kw}{v}");
        }
    }
    out.push('\n');
}

pub fn write_defaults(out: &mut String, d: &Defaults) {
    section_header(out, "defaults", d.name.as_deref(), d.from.as_deref());
    if let Some(m) = d.mode {
        line(out, format!("mode {}", mode_str(m)));
    }
    if let Some(l) = &d.log {
        line(out, format!("log {l}"));
    }
    for o in &d.options {
        line(out, format!("option {o}"));
    }
    if let Some(r) = d.retries {
        line(out, format!("retries {r}"));
    }
    if let Some(m) = d.maxconn {
        line(out, format!("maxconn {m}"));
    }
    if let Some(b) = d.balance {
        line(out, format!("balance {}", b.as_str()));
    }
    for (name, value) in &d.timeouts {
        line(out, format!("timeout {name} {value}"));
    }
    for (code, file) in &d.errorfiles {
        line(out, format!("errorfile {code} {file}"));
    }
    for r in &d.http_check {
        line(out, format!("http-check {r}"));
    }
    for e in &d.extra {
        line(out, e);
    }
}

/// The `stats` lines of a frontend or backend serving the statistics page, but its
/// `stats http-request` rules ([`write_stats_rules`]).
pub fn write_proxy_stats(out: &mut String, uri: Option<&str>, s: &StatsOptions) {
    if uri.is_none() && s.is_empty() {
        return;
    }
    line(out, "stats enable");
    for (kw, v) in [("uri", uri), ("refresh", s.refresh.as_deref())] {
        if let Some(v) = v {
            line(out, format!("stats {kw} {v}"));
        }
    }
    if let Some(r) = &s.realm {
        line(out, format!("stats realm {r}"));
    }
    for x in &s.scopes {
        line(out, format!("stats scope {x}"));
    }
    for (on, kw) in [
        (s.show_legends, "show-legends"),
        (s.show_modules, "show-modules"),
        (s.hide_version, "hide-version"),
    ] {
        if on {
            line(out, format!("stats {kw}"));
        }
    }
}

/// The `stats http-request` rules, written after the proxy's ACLs.
pub fn write_stats_rules(out: &mut String, s: &StatsOptions) {
    for r in &s.http_request {
        line(out, format!("stats http-request {r}"));
    }
}

pub fn write_peers(out: &mut String, sections: &[Peers]) {
    for p in sections {
        out.push_str(&format!("\npeers {}\n", p.name));
        for x in &p.peers {
            line(out, format!("peer {} {}", x.name, x.address));
        }
        for e in &p.extra {
            line(out, e);
        }
    }
}

pub fn write_fcgi_apps(out: &mut String, apps: &[FcgiApp]) {
    for a in apps {
        out.push_str(&format!("\nfcgi-app {}\n", a.name));
        line(out, format!("docroot {}", a.docroot));
        if let Some(i) = &a.index {
            line(out, format!("index {i}"));
        }
        for l in &a.log_stderr {
            line(out, format!("log-stderr {l}"));
        }
        for e in &a.extra {
            line(out, e);
        }
    }
}
