//! `Balancer` → one `haproxy.cfg` per balancer host.
//!
//! Sections come in a fixed order (global, named defaults, defaults, frontends,
//! backends, the stats page, the raw escape hatch), each in the order the document lists them;
//! servers derived from the inventory (`serversFrom`) follow inventory order, so
//! adding a worker appends one `server` line and changes nothing else.

use crate::rendered::{header, source_name, target_hosts, ManagedFile, RenderError};
use schema::{
    Backend, Balance, BalancerSpec, CookieMode, DesiredState, Document, Frontend, Global, Host,
    Located, Server, SocketLevel,
};
use std::fmt::Write;

/// The target's name (`Change.target`, `--target`, `policies:`).
pub const NAME: &str = "balancer";

/// Where Debian's package (and its init script) keep the configuration.
pub const DEFAULT_PATH: &str = "/etc/haproxy/haproxy.cfg";
/// Validates a staged copy without touching the running process.
pub const DEFAULT_CHECK: &str = "haproxy -c -f {file}";
/// Debian's init script, which Pacemaker's `lsb:haproxy` resource also drives.
pub const INIT_SCRIPT: &str = "/etc/init.d/haproxy";
/// The pidfile that init script (and so Pacemaker's monitor) tracks.
pub const PIDFILE: &str = "/run/haproxy.pid";

/// The default reload command for a host: reload a *running* HAProxy, never start one.
///
/// Why guarded: Debian's `reload` runs `haproxy -sf $(cat pidfile)`, which
/// *starts* a new HAProxy when none runs. On the Pacemaker standby node that
/// would be a second HAProxy behind the cluster's back, and `lsb:haproxy`'s
/// monitor (the same script's `status`) would then find the resource active
/// on two nodes and recover it. The guard is that very `status`, so
/// "running" means what Pacemaker means by it (a custom path, which the init
/// script does not know, is guarded by its pidfile instead).
///
/// Why not always the init script: its reload never passes `-x`, so even with
/// `expose-fd listeners` the new process binds fresh sockets and connections
/// queued on the old ones can be reset. When the document declares a stats
/// socket with `expose-fd listeners`, the reload takes the listening sockets
/// over with `-x`. HAProxy refuses to start when `-x` fails (a running
/// process started before the socket was declared), so it falls back to the
/// plain `-sf` hand-over. Same pidfile and daemon mode as the init script,
/// so Pacemaker keeps tracking the new process.
fn default_reload(path: &str, transfer_socket: Option<&str>) -> String {
    let guard = if path == DEFAULT_PATH {
        format!("{INIT_SCRIPT} status >/dev/null 2>&1")
    } else {
        format!("[ -s {PIDFILE} ] && kill -0 \"$(cat {PIDFILE})\" 2>/dev/null")
    };
    let plain = format!("haproxy -f {path} -p {PIDFILE} -D -sf $(cat {PIDFILE})");
    let action = match (transfer_socket, path == DEFAULT_PATH) {
        (Some(sock), _) => format!(
            "haproxy -c -q -f {path} && {{ haproxy -f {path} -p {PIDFILE} -D -x {sock} \
             -sf $(cat {PIDFILE}) 2>/dev/null || {plain}; }}"
        ),
        (None, true) => format!("{INIT_SCRIPT} reload"),
        (None, false) => format!("haproxy -c -q -f {path} && {plain}"),
    };
    format!("if {guard}; then {action}; fi")
}

/// Renders the balancer document for each of its hosts.
pub fn render(
    state: &DesiredState,
    doc: &Located<Document<BalancerSpec>>,
) -> Result<Vec<ManagedFile>, RenderError> {
    let source = source_name(doc);
    let spec = &doc.doc.spec;
    let hosts = target_hosts(state, &spec.hosts, schema::Role::Balancer, &source)?;
    let mut body = header("#", &source, &doc.origin);
    write_global(&mut body, &spec.global);
    // Named sections first, in order (a `from` only names one above it), then the one
    // every proxy without `from` inherits: the last `defaults` before them.
    for d in &spec.named_defaults {
        super::render_global::write_defaults(&mut body, d);
    }
    super::render_global::write_defaults(&mut body, &spec.defaults);
    for f in &spec.frontends {
        write_frontend(&mut body, f);
    }
    for b in &spec.backends {
        let derived = derived_servers(state, b);
        write_backend(&mut body, b, &derived);
    }
    super::render_global::write_caches(&mut body, &spec.caches);
    super::render_global::write_userlists(&mut body, &spec.userlists);
    super::render_global::write_peers(&mut body, &spec.peers);
    super::render_global::write_fcgi_apps(&mut body, &spec.fcgi_apps);
    if let Some(s) = &spec.stats {
        super::render_global::write_stats(&mut body, s);
    }
    if let Some(raw) = &spec.raw {
        body.push_str("\n# raw (verbatim from the document)\n");
        body.push_str(raw.trim_end());
        body.push('\n');
    }
    let transfer = spec
        .global
        .stats_socket
        .as_ref()
        .filter(|s| s.expose_fd_listeners)
        .map(|s| s.path.as_str());
    // stats auth and userlists carry passwords: keep the file private to root.
    let mode =
        if spec.stats.as_ref().is_some_and(|s| s.auth.is_some()) || !spec.userlists.is_empty() {
            0o600
        } else {
            0o644
        };
    Ok(hosts
        .into_iter()
        .map(|h| file_for(h, transfer, &body, mode, &source))
        .collect())
}

fn file_for(
    h: &Host,
    transfer_socket: Option<&str>,
    body: &str,
    mode: u32,
    source: &str,
) -> ManagedFile {
    let o = &h.overrides;
    let path = o.haproxy_config.as_deref().unwrap_or(DEFAULT_PATH);
    let reload = o
        .haproxy_reload
        .clone()
        .unwrap_or_else(|| default_reload(path, transfer_socket));
    ManagedFile {
        host: h.name.clone(),
        target: NAME,
        path: path.to_string(),
        content: body.to_string(),
        mode,
        check: o
            .haproxy_check
            .clone()
            .unwrap_or_else(|| DEFAULT_CHECK.into()),
        reload: Some(reload),
        modules: Vec::new(),
        source: source.to_string(),
        observe: String::new(),
    }
}

/// Servers from `serversFrom`: one per inventory host with that role, in inventory order.
fn derived_servers(state: &DesiredState, b: &Backend) -> Vec<Server> {
    let Some(from) = &b.servers_from else {
        return Vec::new();
    };
    state
        .hosts_with_role(from.role)
        .map(|h| Server {
            name: h.name.clone(),
            address: h.address.clone(),
            port: Some(from.port),
            weight: None,
            check: None,
            cookie: None,
            backup: false,
            disabled: false,
            extra: None,
        })
        .collect()
}

fn line(out: &mut String, text: impl AsRef<str>) {
    out.push_str("    ");
    out.push_str(text.as_ref());
    out.push('\n');
}

fn write_global(out: &mut String, g: &Global) {
    out.push_str("\nglobal\n");
    for l in &g.log {
        line(out, format!("log {l}"));
    }
    if let Some(c) = &g.chroot {
        line(out, format!("chroot {c}"));
    }
    if let Some(p) = &g.pidfile {
        line(out, format!("pidfile {p}"));
    }
    if let Some(s) = &g.stats_socket {
        let mut l = format!("stats socket {}", s.path);
        if let Some(m) = &s.mode {
            let _ = write!(l, " mode {m}");
        }
        if let Some(level) = s.level {
            let _ = write!(
                l,
                " level {}",
                match level {
                    SocketLevel::User => "user",
                    SocketLevel::Operator => "operator",
                    SocketLevel::Admin => "admin",
                }
            );
        }
        for (kw, v) in [("user", &s.user), ("group", &s.group)] {
            if let Some(v) = v {
                let _ = write!(l, " {kw} {v}");
            }
        }
        if s.expose_fd_listeners {
            l.push_str(" expose-fd listeners");
        }
        line(out, l);
    }
    if let Some(t) = &g.stats_timeout {
        line(out, format!("stats timeout {t}"));
    }
    if let Some(m) = g.maxconn {
        line(out, format!("maxconn {m}"));
    }
    if let Some(u) = &g.user {
        line(out, format!("user {u}"));
    }
    if let Some(gr) = &g.group {
        line(out, format!("group {gr}"));
    }
    super::render_global::write_global_more(out, g);
    if g.daemon.unwrap_or(true) {
        line(out, "daemon");
    }
    for e in &g.extra {
        line(out, e);
    }
}

fn write_frontend(out: &mut String, f: &Frontend) {
    super::render_global::section_header(out, "frontend", Some(&f.name), f.from.as_deref());
    for b in &f.binds {
        line(out, format!("bind {b}"));
    }
    if let Some(m) = f.mode {
        line(out, format!("mode {}", super::render_global::mode_str(m)));
    }
    if let Some(m) = f.maxconn {
        line(out, format!("maxconn {m}"));
    }
    for l in &f.log {
        line(out, format!("log {l}"));
    }
    if f.no_log {
        line(out, "no log");
    }
    if let Some(u) = &f.monitor_uri {
        line(out, format!("monitor-uri {u}"));
    }
    for (name, value) in &f.timeouts {
        line(out, format!("timeout {name} {value}"));
    }
    for o in &f.options {
        line(out, format!("option {o}"));
    }
    super::render_global::write_proxy_stats(out, f.stats_uri.as_deref(), &f.stats);
    for a in &f.acls {
        line(out, format!("acl {} {}", a.name, a.condition));
    }
    // After the ACLs: their conditions name them.
    super::render_global::write_stats_rules(out, &f.stats);
    for r in &f.http_request {
        line(out, format!("http-request {r}"));
    }
    for r in &f.http_response {
        line(out, format!("http-response {r}"));
    }
    for u in &f.use_backends {
        line(out, format!("use_backend {} if {}", u.backend, u.condition));
    }
    if let Some(d) = &f.default_backend {
        line(out, format!("default_backend {d}"));
    }
    for e in &f.extra {
        line(out, e);
    }
}

fn write_backend(out: &mut String, b: &Backend, derived: &[Server]) {
    let kind = if b.binds.is_empty() {
        "backend"
    } else {
        "listen"
    };
    super::render_global::section_header(out, kind, Some(&b.name), b.from.as_deref());
    for a in &b.binds {
        line(out, format!("bind {a}"));
    }
    if let Some(m) = b.mode {
        line(out, format!("mode {}", super::render_global::mode_str(m)));
    }
    if let Some(m) = b.maxconn {
        line(out, format!("maxconn {m}"));
    }
    let balance = b.balance.unwrap_or(Balance::Roundrobin).as_str();
    line(out, format!("balance {balance}"));
    if let Some(f) = b.fullconn {
        line(out, format!("fullconn {f}"));
    }
    for l in &b.log {
        line(out, format!("log {l}"));
    }
    if let Some(r) = b.retries {
        line(out, format!("retries {r}"));
    }
    for (name, value) in &b.timeouts {
        line(out, format!("timeout {name} {value}"));
    }
    super::render_global::write_proxy_stats(out, b.stats_uri.as_deref(), &b.stats);
    if let Some(c) = &b.cookie {
        let mode = match c.mode {
            CookieMode::Insert => "insert",
            CookieMode::Prefix => "prefix",
            CookieMode::Rewrite => "rewrite",
        };
        let mut l = format!("cookie {} {mode}", c.name);
        if c.indirect {
            l.push_str(" indirect");
        }
        if c.nocache {
            l.push_str(" nocache");
        }
        line(out, l);
    }
    if let Some(h) = &b.health_check {
        let method = h.method.as_deref().unwrap_or("GET");
        line(out, format!("option httpchk {method} {}", h.path));
        if let Some(s) = h.expect_status {
            line(out, format!("http-check expect status {s}"));
        }
    }
    for r in &b.http_check {
        line(out, format!("http-check {r}"));
    }
    for o in &b.options {
        line(out, format!("option {o}"));
    }
    for a in &b.acls {
        line(out, format!("acl {} {}", a.name, a.condition));
    }
    super::render_global::write_stats_rules(out, &b.stats);
    for r in &b.http_request {
        line(out, format!("http-request {r}"));
    }
    for r in &b.http_response {
        line(out, format!("http-response {r}"));
    }
    for e in &b.extra {
        line(out, e);
    }
    for s in b.servers.iter().chain(derived) {
        line(out, server_line(b, s));
    }
}

fn server_line(b: &Backend, s: &Server) -> String {
    let d = &b.server_defaults;
    let mut l = match (s.address.contains(':'), s.port) {
        (true, Some(p)) => format!("server {} [{}]:{p}", s.name, s.address),
        (true, None) => format!("server {} [{}]", s.name, s.address),
        (false, Some(p)) => format!("server {} {}:{p}", s.name, s.address),
        (false, None) => format!("server {} {}", s.name, s.address),
    };
    if let Some(w) = s.weight.or(d.weight) {
        let _ = write!(l, " weight {w}");
    }
    if let Some(m) = d.maxconn {
        let _ = write!(l, " maxconn {m}");
    }
    if s.check.or(d.check).unwrap_or(true) {
        l.push_str(" check");
        if let Some(i) = &d.inter {
            let _ = write!(l, " inter {i}");
        }
        if let Some(r) = d.rise {
            let _ = write!(l, " rise {r}");
        }
        if let Some(f) = d.fall {
            let _ = write!(l, " fall {f}");
        }
    }
    if b.cookie.is_some() {
        let _ = write!(l, " cookie {}", s.cookie.as_deref().unwrap_or(&s.name));
    }
    if s.backup {
        l.push_str(" backup");
    }
    if s.disabled {
        l.push_str(" disabled");
    }
    if let Some(e) = s.extra.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        l.push(' ');
        l.push_str(e);
    }
    l
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
