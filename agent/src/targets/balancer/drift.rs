//! Runtime drift of a balancer: what the running HAProxy does that its (in sync)
//! `haproxy.cfg` does not say — a weight, a maintenance or drain state or an
//! address set by hand through the stats socket or the stats page, or a server
//! added or deleted at run time.
//!
//! Observed in the same round trip as the balancer's files ([`observe_script`]
//! adds `show servers state` where HAProxy runs and its socket exists; a standby
//! node has no runtime state, so nothing to compare). Compared per server Git
//! declares ([`compare`], pure): weight, admin state (forced maintenance or drain
//! against `disabled`) and IP address/port. A server DOWN because its health
//! check fails is health, not drift. Corrected ([`correction`], pure) with the
//! same planner and command builder as a reload-free file change: the runtime
//! state is written as a configuration and classified against the desired one,
//! so what cannot be expressed at run time is a reload (running = file).

use super::cfg::{parse, parse_state, RuntimeServer, Section, ServerLine};
use super::render::PIDFILE;
use super::runtime::{admin_socket, classify, classify_sections, ip_port, BalancerPath, ServerOp};
use crate::exec::sh_quote;
use crate::rendered::ManagedFile;
use crate::targets::hostfiles::files::{Observation, BLOCK};

/// The observation block holding `show servers state`.
pub const STATE_BLOCK: &str = "haproxy.servers-state";
/// Objects of runtime drift changes start with this (`haproxy runtime http_back/w1`).
pub const OBJECT_PREFIX: &str = "haproxy runtime ";

/// Facts-script lines reading `show servers state` on `socket` when HAProxy runs
/// there: one `socat` call, nothing when HAProxy is stopped or the socket is absent.
pub fn observe_script(socket: &str) -> String {
    format!(
        r#"sock={sock}
if [ -S "$sock" ] && [ -s {PIDFILE} ] && kill -0 "$(cat {PIDFILE})" 2>/dev/null && command -v socat >/dev/null 2>&1; then
  st=$(echo 'show servers state' | socat -t 2 stdio "unix-connect:$sock" 2>/dev/null) && [ -n "$st" ] && printf '{BLOCK}{STATE_BLOCK}\n%s\n' "$st"
fi
:
"#,
        sock = sh_quote(socket)
    )
}

/// The runtime socket the balancer file for a host declares (`level admin`), if any.
pub fn socket_of(file: &ManagedFile) -> Option<String> {
    admin_socket(&parse(&file.content)).ok()
}

/// One declared (or undeclared but running) server whose runtime state differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerDrift {
    pub backend: String,
    pub server: String,
    /// What differs, one note each (`runtime weight 10 → 1 (file says 1)`).
    pub notes: Vec<String>,
}

/// The drift of one balancer host and how to correct it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDrift {
    pub servers: Vec<ServerDrift>,
    pub fix: BalancerPath,
}

/// Compares the runtime state recorded in `obs` with the desired `file`: `None` when
/// no state was observed (HAProxy stopped, no socket), `Err` when it is unreadable.
pub fn host_drift(file: &ManagedFile, obs: &Observation) -> Option<Result<HostDrift, String>> {
    let text = obs.blocks.get(STATE_BLOCK)?;
    Some(parse_state(text).map(|running| {
        let desired = parse(&file.content);
        HostDrift {
            servers: compare(&desired, &running),
            fix: correction(&desired, &running),
        }
    }))
}

/// Backends whose runtime state drifted, per `obs` (empty when none was observed).
pub fn drifted_backends(file: &ManagedFile, obs: Option<&Observation>) -> Vec<String> {
    let mut out: Vec<String> = match obs.and_then(|o| host_drift(file, o)) {
        Some(Ok(d)) => d.servers.into_iter().map(|s| s.backend).collect(),
        _ => vec![],
    };
    out.dedup();
    out
}

/// How a file change goes live on a host whose runtime state drifted in the backends
/// `drifted`: as [`classify`] says, but a reload when the runtime commands would not
/// touch a drifted backend (they verify only what they touch; a reload resets all).
pub fn file_path(live: &str, desired: &str, drifted: &[String]) -> BalancerPath {
    let path = classify(live, desired);
    if let BalancerPath::Runtime { ops, .. } = &path {
        if let Some(b) = drifted
            .iter()
            .find(|b| !ops.iter().any(|op| op.backend() == b.as_str()))
        {
            return BalancerPath::Reload(format!(
                "runtime state of backend {b} drifted from the file, and this change does not touch it"
            ));
        }
    }
    path
}

/// Runtime servers of `backend` that the file does not name. None where a
/// `server-template` (raw escape hatch) names servers the parser does not list.
fn undeclared<'a>(
    section: &'a Section,
    here: &'a [&'a RuntimeServer],
) -> impl Iterator<Item = &'a &'a RuntimeServer> {
    let templated = section
        .other
        .iter()
        .any(|l| l.starts_with("server-template"));
    here.iter()
        .filter(move |r| !templated && !section.servers.iter().any(|s| s.name == r.name))
}

/// `backend`/`listen` sections and their names.
fn proxies(sections: &[Section]) -> impl Iterator<Item = (&str, &Section)> {
    sections.iter().filter_map(|s| {
        let mut w = s.header.split_whitespace();
        match (w.next(), w.next()) {
            (Some("backend" | "listen"), Some(name)) => Some((name, s)),
            _ => None,
        }
    })
}

fn state_word(r: &RuntimeServer) -> &'static str {
    if r.forced_maintenance() {
        "maint"
    } else if r.forced_drain() {
        "drain"
    } else {
        "ready"
    }
}

fn addr_text(ip: &str, port: u16) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// Per server of the backends `desired` declares: what the runtime state differs in.
/// Addresses are compared where the file gives an IP literal (a name resolves).
pub fn compare(desired: &[Section], running: &[RuntimeServer]) -> Vec<ServerDrift> {
    let mut out = Vec::new();
    for (backend, section) in proxies(desired) {
        let here: Vec<&RuntimeServer> = running.iter().filter(|r| r.backend == backend).collect();
        let mut push = |server: &str, notes: Vec<String>| {
            if !notes.is_empty() {
                out.push(ServerDrift {
                    backend: backend.into(),
                    server: server.into(),
                    notes,
                });
            }
        };
        for want in &section.servers {
            let Some(got) = here.iter().find(|r| r.name == want.name) else {
                push(
                    &want.name,
                    vec![format!(
                        "absent at runtime, the file declares it at {} (deleted by hand?)",
                        want.addr
                    )],
                );
                continue;
            };
            let mut notes = Vec::new();
            if let Some((ip, port)) = ip_port(&want.addr) {
                if got.addr != ip || got.port != port {
                    notes.push(format!(
                        "runtime address {} → {} (file says {})",
                        addr_text(&got.addr, got.port),
                        addr_text(&ip, port),
                        want.addr
                    ));
                }
            }
            if let Ok(w) = want.weight() {
                if got.weight != w {
                    notes.push(format!(
                        "runtime weight {} → {w} (file says {w})",
                        got.weight
                    ));
                }
            }
            let (now, should) = (
                state_word(got),
                if want.disabled() { "maint" } else { "ready" },
            );
            if now != should {
                let says = if want.disabled() {
                    "disabled"
                } else {
                    "enabled"
                };
                notes.push(format!("runtime state {now} → {should} (file says {says})"));
            }
            push(&want.name, notes);
        }
        for extra in undeclared(section, &here) {
            push(
                &extra.name,
                vec![format!(
                    "present at runtime at {}, not in the file (added by hand?) → remove",
                    addr_text(&extra.addr, extra.port)
                )],
            );
        }
    }
    out
}

/// How to bring `running` back to `desired`: the runtime state is written as the
/// configuration it amounts to and classified against the desired one, so the same
/// rules decide (a static algorithm's weight, a cookie on a re-added server → reload).
/// A forced drain has no file keyword: `state ready` is added for it.
pub fn correction(desired: &[Section], running: &[RuntimeServer]) -> BalancerPath {
    let mut live = desired.to_vec();
    let mut drains = Vec::new();
    for section in &mut live {
        let Some((backend, _)) = proxies(std::slice::from_ref(section)).next() else {
            continue;
        };
        let backend = backend.to_string();
        let here: Vec<&RuntimeServer> = running.iter().filter(|r| r.backend == backend).collect();
        let mut servers = Vec::new();
        for want in &section.servers {
            let Some(got) = here.iter().find(|r| r.name == want.name) else {
                continue;
            };
            let addr = match ip_port(&want.addr) {
                Some((ip, port)) if ip != got.addr || port != got.port => {
                    addr_text(&got.addr, got.port)
                }
                _ => want.addr.clone(),
            };
            let mut args: Vec<String> = want.fixed_args().into_iter().map(String::from).collect();
            args.extend(["weight".to_string(), got.weight.to_string()]);
            if got.forced_maintenance() {
                args.push("disabled".into());
            } else if got.forced_drain() && !want.disabled() {
                drains.push(ServerOp::State {
                    backend: backend.clone(),
                    server: want.name.clone(),
                    disabled: false,
                });
            }
            servers.push(ServerLine {
                name: want.name.clone(),
                addr,
                args,
            });
        }
        let extras: Vec<ServerLine> = undeclared(section, &here)
            .map(|extra| ServerLine {
                name: extra.name.clone(),
                addr: addr_text(&extra.addr, extra.port),
                args: vec![],
            })
            .collect();
        servers.extend(extras);
        section.servers = servers;
    }
    match classify_sections(&live, desired) {
        BalancerPath::Runtime { socket, mut ops } => {
            ops.extend(drains);
            BalancerPath::Runtime { socket, ops }
        }
        reload => reload,
    }
}

#[cfg(test)]
#[path = "drift_tests.rs"]
mod tests;
