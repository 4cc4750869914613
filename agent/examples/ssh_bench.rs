//! Per-command cost of the SSH transport, against a throw-away sshd on 127.0.5.10.
//!
//!     cargo run -p agent --example ssh_bench -- [N]      (as root; default N = 50)
//!
//! Compares N sequential `true` commands: on the agent's pool (one native-mux master),
//! through an OpenSSH ControlMaster with one `ssh -S` client process per command
//! (process mux, like a warm parallel-ssh), and with a new `ssh` connection per command
//! (default key exchange, then curve25519). Prints numbers only; nothing is asserted.

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::process::Command;
use std::time::{Duration, Instant};

use agent::ssh::{HostSpec, Pool, SshConfig};

fn ssh_base(s: &sshd::Sshd) -> Command {
    let mut c = Command::new("ssh");
    c.args([
        "-F",
        "none",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-i",
    ])
    .arg(&s.client_key)
    .arg("-o")
    .arg(format!("UserKnownHostsFile={}", s.known_hosts.display()))
    .args(["-o", "StrictHostKeyChecking=yes", "-p"])
    .arg(s.port.to_string());
    c
}

fn run_ok(mut c: Command) {
    let st = c.status().expect("ssh");
    assert!(st.success(), "ssh failed: {st}");
}

fn report(label: &str, n: usize, total: Duration) {
    println!(
        "{label:<44} {n:>4} cmds  total {:>8.1} ms  per command {:>7.2} ms",
        total.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3 / n as f64
    );
}

fn per_process(s: &sshd::Sshd, n: usize, extra: &[&str]) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        let mut c = ssh_base(s);
        c.args(extra).arg(format!("root@{}", s.ip)).arg("true");
        run_ok(c);
    }
    t.elapsed()
}

#[tokio::main]
async fn main() {
    if let Some(why) = sshd::skip_reason() {
        eprintln!("ssh_bench needs a local sshd: {why}");
        std::process::exit(2);
    }
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N must be a number"))
        .unwrap_or(50);
    let s = sshd::Sshd::start("127.0.5.10", 10);
    let host = HostSpec {
        port: s.port,
        ..HostSpec::new("bench", &s.ip)
    };

    // 1. The agent's pool: one native-mux master, a channel per command.
    let pool = Pool::new(SshConfig {
        identity_file: Some(s.client_key.clone()),
        known_hosts: Some(s.known_hosts.clone()),
        control_dir: s.dir.path().to_owned(),
        ..SshConfig::default()
    });
    let t = Instant::now();
    pool.connect(&host).await.expect("connect");
    report("agent pool: open master (default kex)", 1, t.elapsed());
    let t = Instant::now();
    for _ in 0..n {
        assert!(pool.run(&host, "true").await.expect("run").success());
    }
    report("agent pool: native mux, sequential", n, t.elapsed());
    let paths = ["/etc/hostname", "/etc/hosts", "/etc/nonexistent"];
    let t = Instant::now();
    for _ in 0..n {
        pool.observe_files(&host, &paths).await.expect("observe");
    }
    report("agent pool: observe_files(3 paths)", n, t.elapsed());
    pool.close().await;

    // 2. ControlMaster + one ssh client process per command (process mux).
    let sock = s.dir.path().join("cm");
    let mut master = ssh_base(&s);
    master
        .args(["-f", "-N", "-M", "-S"])
        .arg(&sock)
        .arg(format!("root@{}", s.ip));
    run_ok(master);
    let t = Instant::now();
    for _ in 0..n {
        let mut c = ssh_base(&s);
        c.arg("-S")
            .arg(&sock)
            .arg(format!("root@{}", s.ip))
            .arg("true");
        run_ok(c);
    }
    report("ssh -S ControlMaster: process per command", n, t.elapsed());
    let mut exit = ssh_base(&s);
    exit.arg("-S")
        .arg(&sock)
        .args(["-O", "exit"])
        .arg(format!("root@{}", s.ip));
    let _ = exit.output();

    // 3. A new connection per command.
    let m = n.min(20);
    report(
        "ssh per command, new connection",
        m,
        per_process(&s, m, &[]),
    );
    report(
        "ssh per command, new connection, curve25519",
        m,
        per_process(&s, m, &["-o", "KexAlgorithms=curve25519-sha256"]),
    );
}
