//! The rendered HAProxy reload command against Debian's real init script
//! (the one Pacemaker's `lsb:haproxy` drives), in a private mount, PID and
//! network namespace: tmpfs `/run`, fresh `/proc`, the rendered file
//! bind-mounted over `/etc/haproxy/haproxy.cfg` in that namespace only.
//!
//! Needs root, `unshare` and haproxy; a counted skip (`test_skip`) otherwise.

use agent::render::render;
use std::path::Path;
use std::process::Command;

/// Runs `script` in the namespace with `$CFG` (the rendered file) in place and
/// `$RELOAD` set; returns its output (stdout + stderr) and success.
fn in_namespace(cfg: &str, reload: &str, script: &str) -> Option<(bool, String)> {
    let root = Command::new("id").arg("-u").output().ok()?;
    let haproxy_present = Path::new("/etc/init.d/haproxy").exists()
        && agent::localcheck::find_tool("haproxy").is_some();
    if String::from_utf8_lossy(&root.stdout).trim() != "0"
        || !haproxy_present
        || agent::localcheck::find_tool("unshare").is_none()
    {
        test_skip::record("needs root, unshare and Debian's haproxy package (bash tests/setup)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("haproxy.cfg");
    std::fs::write(&file, cfg).unwrap();
    let setup = "set -eu\nmount -t tmpfs tmpfs /run\nmount -t proc proc /proc\n\
                 mount --bind \"$CFG\" /etc/haproxy/haproxy.cfg\nmkdir -p /run/haproxy\nset +e\n";
    let out = Command::new("unshare")
        .args([
            "--mount",
            "--pid",
            "--net",
            "--fork",
            "--propagation",
            "private",
        ])
        .args(["sh", "-c", &format!("{setup}{script}")])
        .env("CFG", &file)
        .env("RELOAD", reload)
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Some((out.status.success(), text))
}

fn sample_balancer_file(expose_fd: bool) -> (String, String) {
    let mut state = agent_tests::sample::load_sample().state;
    let socket = state.balancers[0]
        .doc
        .spec
        .global
        .stats_socket
        .as_mut()
        .unwrap();
    socket.expose_fd_listeners = expose_fd;
    let r = render(&state).unwrap();
    let f = r.files.iter().find(|f| f.host == "ha2").unwrap();
    (f.content.clone(), f.reload.clone().unwrap())
}

const SCRIPT: &str = r#"
# 1. Standby: HAProxy is not running; the reload must not start it.
sh -c "$RELOAD" || { echo "reload failed on a stopped haproxy"; exit 1; }
if /etc/init.d/haproxy status >/dev/null 2>&1; then echo "reload started haproxy"; exit 1; fi
# 2. Active: started the way Pacemaker starts it; the reload replaces the process.
/etc/init.d/haproxy start >/dev/null 2>&1 || { echo "init script start failed"; exit 1; }
old=$(cat /run/haproxy.pid)
sh -c "$RELOAD" || { echo "reload failed on a running haproxy"; exit 1; }
new=$(cat /run/haproxy.pid)
[ "$new" != "$old" ] || { echo "pid unchanged: no reload happened"; exit 1; }
# The old process finishes (no client connections here), the new one is what status sees.
i=0; while kill -0 "$old" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
kill -0 "$old" 2>/dev/null && { echo "old process $old still running"; exit 1; }
/etc/init.d/haproxy status >/dev/null 2>&1 || { echo "status: not running after reload"; exit 1; }
# 3. Once more: the running process now exposes its listeners (socket transfer path).
sh -c "$RELOAD" || { echo "second reload failed"; exit 1; }
[ "$(cat /run/haproxy.pid)" != "$new" ] || { echo "second reload did nothing"; exit 1; }
echo ok
"#;

#[test]
fn reload_with_socket_transfer_never_starts_a_stopped_haproxy() {
    let (cfg, reload) = sample_balancer_file(true);
    assert!(reload.contains(" -x "), "{reload}");
    if let Some((ok, out)) = in_namespace(&cfg, &reload, SCRIPT) {
        assert!(ok && out.trim_end().ends_with("ok"), "{out}");
    }
}

#[test]
fn init_script_reload_never_starts_a_stopped_haproxy() {
    let (cfg, reload) = sample_balancer_file(false);
    assert!(reload.contains("/etc/init.d/haproxy reload"), "{reload}");
    if let Some((ok, out)) = in_namespace(&cfg, &reload, SCRIPT) {
        assert!(ok && out.trim_end().ends_with("ok"), "{out}");
    }
}
