//! Looking at the lab balancers' running HAProxy from tests: its pid on each node and
//! its runtime state through the admin socket (what a reload or a runtime-API change
//! would show).

use crate::Lab;

/// The admin stats socket the sample repo declares.
pub const SOCKET: &str = "/run/haproxy/admin.sock";
pub const BALANCERS: [&str; 2] = ["ha1", "ha2"];

/// The running HAProxy's pid on each balancer ("-" where none runs).
pub fn pids(lab: &Lab) -> Vec<String> {
    BALANCERS
        .iter()
        .map(|h| {
            lab.exec_ok(
                h,
                "p=$(cat /run/haproxy.pid 2>/dev/null) && kill -0 \"$p\" 2>/dev/null && echo \"$p\" || echo -",
            )
            .unwrap()
            .trim()
            .to_string()
        })
        .collect()
}

/// Sends one command to the runtime API on `host`; returns HAProxy's answer.
pub fn cli(lab: &Lab, host: &str, cmd: &str) -> String {
    lab.exec_ok(
        host,
        &format!("echo '{cmd}' | socat -t 2 stdio unix-connect:{SOCKET}"),
    )
    .unwrap()
}

/// `show servers state BACKEND` on `host`: (server name, admin state, weight).
pub fn runtime_servers(lab: &Lab, host: &str, backend: &str) -> Vec<(String, u32, u32)> {
    cli(lab, host, &format!("show servers state {backend}"))
        .lines()
        .filter(|l| !l.starts_with('#') && l.split_whitespace().count() > 8)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[3].to_string(),
                f[6].parse().unwrap(),
                f[7].parse().unwrap(),
            )
        })
        .collect()
}

/// After a reload-free apply: `agent diff` is in sync, a second `agent apply` touches no
/// host, and HAProxy's pids are still `before` on both balancers.
pub fn assert_settled_without_reload(
    lab: &Lab,
    agent: &crate::agent_cli::Agent,
    before: &[String],
) {
    let d = agent.diff();
    assert_eq!(d.code, Some(0), "in sync after the apply: {d}");
    let again = agent.apply();
    assert_eq!(again.code, Some(0), "{again}");
    assert!(
        !again.stderr.contains("applying"),
        "second apply is a no-op: {again}"
    );
    assert_eq!(pids(lab), before);
}
