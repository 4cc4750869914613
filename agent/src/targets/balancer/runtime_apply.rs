//! The reload-free balancer path: a file change [`classify`](super::haproxy_runtime::classify)
//! planned as runtime API commands goes live on one host like this, in one round trip (a second clears the marker):
//! stage → `haproxy -c` → keep previous → pending marker → rename (as a reload
//! would), then — only where HAProxy runs — the commands over the stats socket
//! (`socat`, as the health check uses) and `show servers state`. The agent then
//! checks that the runtime state of every touched backend equals the new file
//! (server list, addresses, weights, admin state) and clears the marker: the
//! file is in step, so a later reload yields the same state.
//!
//! On any failure (a command refused, a server that will not drain, a state
//! that does not match) the caller reloads the new file, which makes runtime
//! state equal the file; the pending marker guarantees the same after a kill.
//! A standby node (HAProxy not running) only gets the file.

use super::cfg::{parse, parse_state, RuntimeServer};
use super::drift::file_path;
use super::render::PIDFILE;
use super::runtime::{BalancerPath, ServerOp};
use crate::exec::{sh_quote, Remote, RemoteError};
use crate::rendered::ManagedFile;
use crate::targets::hostfiles::files::{clear_pending, swap_then, Live, ObservedFile, SwapOutcome};
use crate::targets::hostfiles::kind::{GoLive, LivePath};

/// How the runtime path ended on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeOutcome {
    /// Commands sent and verified (or standby: file only). No reload.
    Applied { standby: bool },
    /// The staged copy was rejected: nothing live was touched.
    Rejected(String),
    /// The file is swapped (pending marker set) but the runtime path failed: reload it.
    Fallback(String),
}

/// Swaps `file` in and applies `ops` through the runtime socket without a reload.
pub async fn apply_runtime(
    remote: &dyn Remote,
    file: &ManagedFile,
    socket: &str,
    ops: &[ServerOp],
) -> Result<RuntimeOutcome, RemoteError> {
    let out = match swap_then(remote, file, &script(socket, ops)).await? {
        SwapOutcome::CheckFailed(msg) => return Ok(RuntimeOutcome::Rejected(msg)),
        SwapOutcome::ThenFailed(msg) => return Ok(RuntimeOutcome::Fallback(msg)),
        SwapOutcome::Done(out) => out,
    };
    let standby = out.lines().any(|l| l == "STANDBY");
    if !standby {
        let state = out.split_once("STATE\n").map(|(_, s)| s).unwrap_or("");
        if let Err(why) = verify(&file.content, ops, state) {
            return Ok(RuntimeOutcome::Fallback(format!(
                "runtime state does not match the file: {why}"
            )));
        }
    }
    clear_pending(remote, file).await?;
    Ok(RuntimeOutcome::Applied { standby })
}

/// Takes the runtime path when [`file_path`] allows it (runtime drift in `drifted`
/// backends the commands would not touch is a reload); the notes say which path
/// was taken. `None`: not runtime-capable (or nothing live to compare): swap and
/// reload as usual.
pub async fn runtime_path(
    remote: &dyn Remote,
    f: &ManagedFile,
    obs: Option<&ObservedFile>,
    drifted: &[String],
) -> LivePath {
    let Some(live) = obs.and_then(|o| match &o.live {
        Live::Differs(bytes) if !o.reload_pending => Some(String::from_utf8_lossy(bytes)),
        _ => None,
    }) else {
        return LivePath::swap();
    };
    let path = file_path(&live, &f.content, drifted);
    let BalancerPath::Runtime { socket, ops } = &path else {
        return LivePath {
            how: GoLive::Swap,
            notes: vec![path.describe()],
        };
    };
    let (how, note) = match apply_runtime(remote, f, socket, ops).await {
        Ok(RuntimeOutcome::Applied { standby }) => {
            let mut note = path.describe();
            if standby {
                note =
                    format!("HAProxy not running here: file swapped, nothing to reload ({note})");
            }
            (GoLive::Done, Some(note))
        }
        Ok(RuntimeOutcome::Rejected(msg)) => (GoLive::Rejected(msg), None),
        Ok(RuntimeOutcome::Fallback(why)) => (
            GoLive::ReloadOnly,
            Some(format!("runtime API failed, reloading instead: {why}")),
        ),
        Err(e) => (GoLive::Failed(e.to_string()), None),
    };
    LivePath {
        how,
        notes: note.into_iter().collect(),
    }
}

/// The shell steps after the swap. Every reply is judged: HAProxy's CLI answers
/// errors in text, with a zero exit status.
pub fn script(socket: &str, ops: &[ServerOp]) -> String {
    let mut s = format!(
        r#"sock={sock}
command -v socat >/dev/null 2>&1 || {{ echo "socat is not installed: cannot reach $sock" >&2; exit 1; }}
cli() {{ r=$(printf '%s\n' "$1" | socat -t 2 stdio "unix-connect:$sock") || return 1; printf '%s\n' "$r" | sed '/^$/d'; }}
# Running means answering on the socket the (unchanged) global section declares; a
# silent socket with a live pidfile is an error, not a standby.
if ! cli 'show info' >/dev/null 2>&1; then
  if [ -s {PIDFILE} ] && kill -0 "$(cat {PIDFILE})" 2>/dev/null; then echo "HAProxy runs but does not answer on $sock" >&2; exit 1; fi
  echo STANDBY; exit 0
fi
"#,
        sock = sh_quote(socket)
    );
    // `expect`: a case pattern for a successful reply.
    let run = |s: &mut String, cmd: &str, expect: &str| {
        let q = sh_quote(cmd);
        s.push_str(&format!(
            "out=$(cli {q}) || {{ echo \"cannot reach $sock\" >&2; exit 1; }}\ncase \"$out\" in {expect}) ;; *) echo {q}\": $out\" >&2; exit 1;; esac\n"
        ));
    };
    for op in ops {
        match op {
            ServerOp::Weight {
                backend,
                server,
                to,
                ..
            } => run(
                &mut s,
                &format!("set server {backend}/{server} weight {to}"),
                "''",
            ),
            ServerOp::State {
                backend,
                server,
                disabled,
            } => {
                let state = if *disabled { "maint" } else { "ready" };
                run(
                    &mut s,
                    &format!("set server {backend}/{server} state {state}"),
                    "''",
                );
            }
            ServerOp::Addr {
                backend,
                server,
                ip,
                port,
            } => run(
                &mut s,
                &format!("set server {backend}/{server} addr {ip} port {port}"),
                "*'changed from'*|*'no need to change'*",
            ),
            ServerOp::Add {
                backend,
                server,
                ip,
                port,
                args,
                check,
                disabled,
            } => {
                let id = format!("{backend}/{server}");
                let addr = if ip.contains(':') {
                    format!("[{ip}]:{port}")
                } else {
                    format!("{ip}:{port}")
                };
                let mut cmd = format!("add server {id} {addr}");
                for a in args {
                    cmd.push(' ');
                    cmd.push_str(a);
                }
                run(&mut s, &cmd, "'New server registered.'");
                // A dynamic server starts in maintenance, its health check off.
                if *check {
                    run(&mut s, &format!("enable health {id}"), "''");
                }
                if !*disabled {
                    run(&mut s, &format!("set server {id} state ready"), "''");
                }
            }
            ServerOp::Del { backend, server } => {
                let id = format!("{backend}/{server}");
                run(&mut s, &format!("set server {id} state maint"), "''");
                // Maintenance sends no new request; give running ones 10 s to finish,
                // then cut them. `del server` also waits for idle connections to close.
                s.push_str(&format!(
                    "i=0\nwhile :; do\n  out=$(cli {del})\n  case \"$out\" in *'Server deleted.'*) break;; esac\n  i=$((i+1))\n  [ $i -eq 40 ] && cli {shut} >/dev/null\n  [ $i -ge 60 ] && {{ echo {del}\": $out\" >&2; exit 1; }}\n  sleep 0.25\ndone\n",
                    del = sh_quote(&format!("del server {id}")),
                    shut = sh_quote(&format!("shutdown sessions server {id}")),
                ));
            }
        }
    }
    s.push_str("echo STATE\ncli 'show servers state'\n");
    s
}

/// Checks that every backend `ops` touched runs exactly the servers `desired` declares,
/// with their addresses, weights and admin states.
pub fn verify(desired: &str, ops: &[ServerOp], state: &str) -> Result<(), String> {
    let live = parse_state(state)?;
    let mut touched: Vec<&str> = ops.iter().map(ServerOp::backend).collect();
    touched.dedup();
    let mut bad = Vec::new();
    for section in parse(desired) {
        let Some(name) = section.header.split_whitespace().nth(1) else {
            continue;
        };
        if !touched.contains(&name) {
            continue;
        }
        let running: Vec<&RuntimeServer> = live.iter().filter(|s| s.backend == name).collect();
        for want in &section.servers {
            let Some(got) = running.iter().find(|s| s.name == want.name) else {
                bad.push(format!("{name}/{} missing", want.name));
                continue;
            };
            let (host, port) = want.addr.rsplit_once(':').unwrap_or((&want.addr, ""));
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if got.addr != host || got.port.to_string() != port {
                bad.push(format!("{name}/{} at {}:{}", want.name, got.addr, got.port));
            }
            let weight = want.weight()?;
            if got.weight != weight {
                bad.push(format!(
                    "{name}/{} weight {} (want {weight})",
                    want.name, got.weight
                ));
            }
            let ready = !got.in_maintenance() && !got.draining();
            if want.disabled() != got.in_maintenance() || (!want.disabled() && !ready) {
                bad.push(format!(
                    "{name}/{} admin state {:#x} (want {})",
                    want.name,
                    got.admin_state,
                    if want.disabled() { "maint" } else { "ready" }
                ));
            }
        }
        for extra in running
            .iter()
            .filter(|r| !section.servers.iter().any(|s| s.name == r.name))
        {
            bad.push(format!("{name}/{} still present", extra.name));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}

#[cfg(test)]
#[path = "runtime_apply_tests.rs"]
mod tests;
