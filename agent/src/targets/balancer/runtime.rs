//! Which balancer changes HAProxy's runtime API can make without a reload.
//!
//! A pure decision over two `haproxy.cfg` texts (the live one and the desired
//! render): when the *only* differences are server-level changes the runtime
//! API of HAProxy 2.6 (Debian 12, the lab's version) can express, the change
//! is planned as [`ServerOp`]s; anything else keeps the reload path, with the
//! reason. The decision is conservative: a change it cannot prove equivalent
//! to a reload of the new file is a reload.
//!
//! Runtime-capable, per server of a `backend`/`listen` section:
//! - weight (`set server B/S weight N`), on a dynamic algorithm only (static
//!   ones accept 0%/100% only);
//! - `disabled` toggled (`set server B/S state maint|ready`);
//! - address/port to another IP literal (`set server B/S addr IP port P`);
//! - a server added (`add server`, then `enable health` when it is checked,
//!   then `state ready`): dynamic algorithm, IP literal, only keywords 2.6
//!   accepts for dynamic servers (not `cookie`), and no `default-server` in
//!   scope (dynamic servers do not inherit it);
//! - a server removed (`state maint`, drain, `del server`), dynamic algorithm.
//!
//! Comment-only differences need no command and no reload either. Everything
//! else (global, defaults, frontends, balance, cookie, check parameters of an
//! existing server, sections added or removed) is a reload.

use super::cfg::{parse, Section, ServerLine};
use std::fmt;
use std::net::IpAddr;

/// One runtime API change to one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOp {
    Weight {
        backend: String,
        server: String,
        from: u32,
        to: u32,
    },
    State {
        backend: String,
        server: String,
        disabled: bool,
    },
    Addr {
        backend: String,
        server: String,
        ip: String,
        port: u16,
    },
    Add {
        backend: String,
        server: String,
        ip: String,
        port: u16,
        /// Keywords after the address, `disabled` left out (the state is set apart).
        args: Vec<String>,
        check: bool,
        disabled: bool,
    },
    Del {
        backend: String,
        server: String,
    },
}

impl fmt::Display for ServerOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerOp::Weight {
                backend,
                server,
                from,
                to,
            } => write!(f, "weight {backend}/{server} {from}→{to}"),
            ServerOp::State {
                backend,
                server,
                disabled,
            } => {
                let verb = if *disabled { "disable" } else { "enable" };
                write!(f, "{verb} {backend}/{server}")
            }
            ServerOp::Addr {
                backend,
                server,
                ip,
                port,
            } => write!(f, "address {backend}/{server} → {ip}:{port}"),
            ServerOp::Add {
                backend,
                server,
                ip,
                port,
                ..
            } => write!(f, "add {backend}/{server} {ip}:{port}"),
            ServerOp::Del { backend, server } => write!(f, "remove {backend}/{server}"),
        }
    }
}

impl ServerOp {
    /// The backend the command changes.
    pub fn backend(&self) -> &str {
        match self {
            ServerOp::Weight { backend, .. }
            | ServerOp::State { backend, .. }
            | ServerOp::Addr { backend, .. }
            | ServerOp::Add { backend, .. }
            | ServerOp::Del { backend, .. } => backend,
        }
    }
}

/// How a balancer file change goes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BalancerPath {
    /// Runtime API commands on `socket` (none: comment-only), the file swapped without reload.
    Runtime { socket: String, ops: Vec<ServerOp> },
    /// Swap and seamless reload, for this reason.
    Reload(String),
}

impl BalancerPath {
    /// One line for plans and reports.
    pub fn describe(&self) -> String {
        match self {
            BalancerPath::Runtime { ops, .. } if ops.is_empty() => {
                "runtime API: comments only, no command, no reload".into()
            }
            BalancerPath::Runtime { ops, .. } => {
                let ops: Vec<String> = ops.iter().map(ToString::to_string).collect();
                format!("runtime API: {}, no reload", ops.join(", "))
            }
            BalancerPath::Reload(why) => format!("reload: {why}"),
        }
    }
}

/// Keywords HAProxy 2.6 accepts on `add server` that the agent may emit, with their
/// argument count (management guide, "add server").
const DYNAMIC_KEYWORDS: &[(&str, usize)] = &[
    ("check", 0),
    ("inter", 1),
    ("fastinter", 1),
    ("downinter", 1),
    ("rise", 1),
    ("fall", 1),
    ("weight", 1),
    ("maxconn", 1),
    ("maxqueue", 1),
    ("minconn", 1),
    ("backup", 0),
    ("disabled", 0),
    ("enabled", 0),
    ("slowstart", 1),
    ("observe", 1),
    ("on-error", 1),
    ("error-limit", 1),
    ("send-proxy", 0),
    ("send-proxy-v2", 0),
    ("pool-max-conn", 1),
    ("pool-purge-delay", 1),
];

/// Load-balancing algorithms whose weights and server list HAProxy changes at run time.
const DYNAMIC_ALGORITHMS: &[&str] = &["roundrobin", "leastconn", "random"];

/// Decides how the change `live` → `desired` goes live (see the module docs).
pub fn classify(live: &str, desired: &str) -> BalancerPath {
    classify_sections(&parse(live), &parse(desired))
}

/// [`classify`] over parsed texts: the runtime drift check feeds it a configuration
/// that describes what HAProxy runs.
pub fn classify_sections(old: &[Section], new: &[Section]) -> BalancerPath {
    match plan(old, new) {
        Ok(p) => p,
        Err(why) => BalancerPath::Reload(why),
    }
}

fn plan(old: &[Section], new: &[Section]) -> Result<BalancerPath, String> {
    let socket = admin_socket(new)?;
    if old
        .iter()
        .map(|s| &s.header)
        .ne(new.iter().map(|s| &s.header))
    {
        return Err("sections added, removed or renamed".into());
    }
    let defaults_have_default_server = new
        .iter()
        .filter(|s| s.header.starts_with("defaults"))
        .any(|s| s.other.iter().any(|l| l.starts_with("default-server")));
    let mut ops = Vec::new();
    let mut tail = Vec::new();
    for (o, n) in old.iter().zip(new) {
        // Only the directive is named: a changed line may carry a secret (`stats auth`).
        if let Some((_, b)) = o.other.iter().zip(&n.other).find(|(a, b)| a != b) {
            let directive = b.split_whitespace().next().unwrap_or_default();
            return Err(format!("{}: `{directive}` changed", n.header));
        }
        if o.other.len() != n.other.len() {
            return Err(format!("{}: lines added or removed", n.header));
        }
        if o.servers == n.servers {
            continue;
        }
        let backend = n
            .header
            .split_whitespace()
            .nth(1)
            .ok_or_else(|| format!("{}: servers outside a proxy section", n.header))?;
        let ctx = Backend {
            name: backend,
            dynamic: n.balance().is_none_or(|a| DYNAMIC_ALGORITHMS.contains(&a)),
            default_server: defaults_have_default_server
                || n.other.iter().any(|l| l.starts_with("default-server")),
        };
        server_ops(&ctx, &o.servers, &n.servers, &mut ops, &mut tail)?;
    }
    // Adds first, removals last: capacity grows before it shrinks.
    ops.sort_by_key(|op| match op {
        ServerOp::Add { .. } => 0,
        _ => 1,
    });
    ops.extend(tail);
    Ok(BalancerPath::Runtime { socket, ops })
}

struct Backend<'a> {
    name: &'a str,
    dynamic: bool,
    default_server: bool,
}

fn server_ops(
    b: &Backend,
    old: &[ServerLine],
    new: &[ServerLine],
    ops: &mut Vec<ServerOp>,
    removals: &mut Vec<ServerOp>,
) -> Result<(), String> {
    let name = b.name;
    let kept = |list: &[ServerLine], other: &[ServerLine]| -> Vec<String> {
        list.iter()
            .filter(|s| other.iter().any(|o| o.name == s.name))
            .map(|s| s.name.clone())
            .collect()
    };
    // Server order decides ids (and hashing) after a reload: a reorder is a reload.
    if kept(old, new) != kept(new, old) {
        return Err(format!("servers of {name} reordered"));
    }
    let need_dynamic = |what: &str| -> Result<(), String> {
        if b.dynamic {
            Ok(())
        } else {
            Err(format!(
                "{what} in backend {name}, whose balance algorithm is static"
            ))
        }
    };
    for n in new {
        let id = format!("{name}/{}", n.name);
        let Some(o) = old.iter().find(|o| o.name == n.name) else {
            need_dynamic(&format!("server {id} added"))?;
            if b.default_server {
                return Err(format!(
                    "server {id} added where `default-server` applies (dynamic servers do not inherit it)"
                ));
            }
            let (ip, port) = ip_port(&n.addr)
                .ok_or_else(|| format!("server {id} added with `{}`, not an IP:port", n.addr))?;
            check_dynamic_keywords(&id, &n.args)?;
            ops.push(ServerOp::Add {
                backend: name.into(),
                server: n.name.clone(),
                ip,
                port,
                args: n
                    .args
                    .iter()
                    .filter(|a| *a != "disabled")
                    .cloned()
                    .collect(),
                check: n.args.iter().any(|a| a == "check"),
                disabled: n.disabled(),
            });
            continue;
        };
        if o.fixed_args() != n.fixed_args() {
            return Err(format!(
                "server {id}: settings other than weight/state changed"
            ));
        }
        if o.addr != n.addr {
            let (ip, port) = ip_port(&n.addr).ok_or_else(|| {
                format!("server {id}: new address `{}` is not an IP:port", n.addr)
            })?;
            ops.push(ServerOp::Addr {
                backend: name.into(),
                server: n.name.clone(),
                ip,
                port,
            });
        }
        let (from, to) = (o.weight()?, n.weight()?);
        if from != to {
            need_dynamic(&format!("weight of {id} changed"))?;
            ops.push(ServerOp::Weight {
                backend: name.into(),
                server: n.name.clone(),
                from,
                to,
            });
        }
        if o.disabled() != n.disabled() {
            ops.push(ServerOp::State {
                backend: name.into(),
                server: n.name.clone(),
                disabled: n.disabled(),
            });
        }
    }
    for o in old.iter().filter(|o| !new.iter().any(|n| n.name == o.name)) {
        need_dynamic(&format!("server {name}/{} removed", o.name))?;
        removals.push(ServerOp::Del {
            backend: name.into(),
            server: o.name.clone(),
        });
    }
    Ok(())
}

fn check_dynamic_keywords(id: &str, args: &[String]) -> Result<(), String> {
    let mut i = 0;
    while i < args.len() {
        let kw = args[i].as_str();
        let Some((_, n)) = DYNAMIC_KEYWORDS.iter().find(|(k, _)| *k == kw) else {
            return Err(format!(
                "server {id} added with `{kw}`, which HAProxy 2.6 does not accept on a dynamic server"
            ));
        };
        i += 1 + n;
    }
    Ok(())
}

/// The `stats socket` of the desired file when the runtime API can change servers through it.
pub fn admin_socket(sections: &[Section]) -> Result<String, String> {
    let line = sections
        .iter()
        .filter(|s| s.header == "global")
        .flat_map(|s| &s.other)
        .find(|l| l.starts_with("stats socket "))
        .ok_or("no `stats socket` in global: no runtime API")?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let path = words.get(2).copied().unwrap_or_default();
    if !path.starts_with('/') {
        return Err(format!("stats socket `{path}` is not a UNIX socket path"));
    }
    if !words.windows(2).any(|w| w == ["level", "admin"]) {
        return Err("stats socket is not `level admin`".into());
    }
    Ok(path.to_string())
}

pub fn ip_port(addr: &str) -> Option<(String, u16)> {
    let (ip, port) = addr.rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<IpAddr>().ok()?;
    Some((ip.to_string(), port.parse().ok()?))
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;
