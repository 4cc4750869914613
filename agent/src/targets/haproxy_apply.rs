//! The reload-free balancer path: a file change [`classify`](super::haproxy_runtime::classify)
//! planned as runtime API commands goes live on one host like this, in one round trip:
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

use super::files::{clear_pending, swap_then, SwapOutcome};
use super::haproxy_runtime::{parse, ServerOp};
use super::remote::{sh_quote, Remote, RemoteError};
use crate::render::haproxy::PIDFILE;
use crate::render::ManagedFile;

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
pub async fn apply_runtime<R: Remote>(
    remote: &R,
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

/// One server as `show servers state` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeServer {
    pub backend: String,
    pub name: String,
    pub addr: String,
    pub port: u16,
    pub admin_state: u32,
    pub weight: u32,
}

impl RuntimeServer {
    /// Forced, inherited or resolver maintenance (SRV_ADMF_FMAINT|IMAINT|RMAINT). The
    /// config-disabled bit alone (0x04) stays set after `state ready`.
    pub fn in_maintenance(&self) -> bool {
        self.admin_state & 0x23 != 0
    }
    pub fn draining(&self) -> bool {
        self.admin_state & 0x18 != 0
    }
}

/// Parses `show servers state` (format version 1): columns by the header's names.
pub fn parse_state(text: &str) -> Result<Vec<RuntimeServer>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    match lines.next() {
        Some("1") => {}
        other => return Err(format!("unknown `show servers state` format: {other:?}")),
    }
    let header: Vec<&str> = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or("no header in `show servers state`")?
        .split_whitespace()
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("no column {name}"))
    };
    let (be, srv, addr, admin, weight, port) = (
        col("be_name")?,
        col("srv_name")?,
        col("srv_addr")?,
        col("srv_admin_state")?,
        col("srv_uweight")?,
        col("srv_port")?,
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let get = |i: usize| f.get(i).copied().ok_or(format!("short line: {l}"));
            let num = |i: usize| -> Result<u32, String> {
                get(i)?.parse().map_err(|_| format!("bad number in: {l}"))
            };
            Ok(RuntimeServer {
                backend: get(be)?.to_string(),
                name: get(srv)?.to_string(),
                addr: get(addr)?.to_string(),
                port: get(port)?
                    .parse()
                    .map_err(|_| format!("bad port in: {l}"))?,
                admin_state: num(admin)?,
                weight: num(weight)?,
            })
        })
        .collect()
}

/// Checks that every backend `ops` touched runs exactly the servers `desired` declares,
/// with their addresses, weights and admin states.
pub fn verify(desired: &str, ops: &[ServerOp], state: &str) -> Result<(), String> {
    let live = parse_state(state)?;
    let mut touched: Vec<&str> = ops.iter().map(op_backend).collect();
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

fn op_backend(op: &ServerOp) -> &str {
    match op {
        ServerOp::Weight { backend, .. }
        | ServerOp::State { backend, .. }
        | ServerOp::Addr { backend, .. }
        | ServerOp::Add { backend, .. }
        | ServerOp::Del { backend, .. } => backend,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 b 1 s1 10.0.0.1 2 0 50 1 1 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0
3 b 2 s2 10.0.0.2 2 4 5 5 0 1 0 2 6 0 0 0 - 8080 - 0 0 - - 0
3 b 3 s3 10.0.0.3 0 1 1 1 0 1 0 0 2 0 0 0 - 8080 - 0 0 - - 0
4 other 1 x 10.9.9.9 2 0 1 1 1 1 0 2 0 0 0 0 - 1 - 0 0 - - 0
";

    fn weight_op() -> Vec<ServerOp> {
        vec![ServerOp::Weight {
            backend: "b".into(),
            server: "s1".into(),
            from: 1,
            to: 50,
        }]
    }

    #[test]
    fn state_columns_are_read_by_name() {
        let s = parse_state(STATE).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(
            (s[0].name.as_str(), s[0].weight, s[0].port, s[1].admin_state),
            ("s1", 50, 8080, 4)
        );
        assert!(!s[1].in_maintenance(), "config-disabled, then set ready");
        assert!(s[2].in_maintenance(), "a dynamic server not yet ready");
        assert!(parse_state("2\n# x\n").is_err());
    }

    #[test]
    fn verify_compares_servers_weights_addresses_and_states_of_touched_backends() {
        let cfg = |s3: &str| {
            format!("backend b\n    server s1 10.0.0.1:8080 weight 50\n    server s2 10.0.0.2:8080 weight 5\n{s3}backend other\n    server y 10.9.9.9:1\n")
        };
        // `other` differs (x vs y) but was not touched; s3 is in maintenance as declared.
        verify(
            &cfg("    server s3 10.0.0.3:8080 disabled\n"),
            &weight_op(),
            STATE,
        )
        .unwrap();
        let e = verify(&cfg("    server s3 10.0.0.3:8080\n"), &weight_op(), STATE).unwrap_err();
        assert!(e.contains("b/s3 admin state 0x1 (want ready)"), "{e}");
        let e = verify(&cfg(""), &weight_op(), STATE).unwrap_err();
        assert!(e.contains("b/s3 still present"), "{e}");
        let e = verify(
            &cfg("    server s3 10.0.0.4:8080 weight 2 disabled\n    server s4 10.0.0.5:1\n"),
            &weight_op(),
            STATE,
        )
        .unwrap_err();
        for part in [
            "b/s3 at 10.0.0.3:8080",
            "b/s3 weight 1 (want 2)",
            "b/s4 missing",
        ] {
            assert!(e.contains(part), "{part}: {e}");
        }
    }

    #[test]
    fn the_script_judges_every_reply_and_adds_in_maintenance_first() {
        let s = script(
            "/run/a.sock",
            &[ServerOp::Add {
                backend: "b".into(),
                server: "w3".into(),
                ip: "10.0.0.23".into(),
                port: 30080,
                args: vec!["check".into()],
                check: true,
                disabled: false,
            }],
        );
        let add = s.find("'add server b/w3 10.0.0.23:30080 check'").unwrap();
        let health = s.find("'enable health b/w3'").unwrap();
        let ready = s.find("'set server b/w3 state ready'").unwrap();
        assert!(add < health && health < ready, "{s}");
        assert!(s.contains("'New server registered.') ;;"), "{s}");
        assert!(s.trim_end().ends_with("cli 'show servers state'"), "{s}");
    }
}
