//! Per-command cost of the SSH transport, against a throw-away sshd on 127.0.5.10.
//!
//!     cargo run -p agent --example ssh_bench -- [N]      (as root; default N = 50)
//!     cargo run -p agent --example ssh_bench -- fleet STATE_DIR [RUNS]
//!
//! The `fleet` form uses hosts started by the peers harness's fleet.sh (bench/hosts/run.sh; STATE_DIR =
//! its `.fleet`): it times opening all masters at once, then a warm "drift check" of
//! every host's haproxy.cfg (one `observe` per host, all hosts concurrently) against
//! the same check done by one `ssh -S` process per host over warm ControlMasters.
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("fleet") {
        let runs = args.get(2).map_or(5, |r| r.parse().expect("RUNS"));
        return fleet(args.get(1).expect("fleet STATE_DIR").into(), runs).await;
    }
    if let Some(why) = sshd::skip_reason() {
        eprintln!("ssh_bench needs a local sshd: {why}");
        std::process::exit(2);
    }
    let n: usize = args
        .first()
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
    let remote = agent::ssh::SshRemote::new(pool.clone(), [host.clone()]);
    let files: Vec<agent::render::ManagedFile> =
        ["/etc/hostname", "/etc/hosts", "/etc/nonexistent"]
            .iter()
            .map(|p| agent::render::ManagedFile {
                host: host.name.clone(),
                target: "balancer",
                path: p.to_string(),
                content: String::new(),
                mode: 0o644,
                check: "true".into(),
                reload: None,
                modules: vec![],
                source: "bench".into(),
                observe: String::new(),
            })
            .collect();
    let refs: Vec<&agent::render::ManagedFile> = files.iter().collect();
    let t = Instant::now();
    for _ in 0..n {
        agent::targets::hostfiles::files::observe(&remote, &host.name, &refs, "")
            .await
            .expect("observe");
    }
    report("agent pool: observe of 3 managed files", n, t.elapsed());
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

/// (name, address, port, root) of every fleet host.
fn fleet_hosts(state: &std::path::Path) -> Vec<(String, String, u16, String)> {
    let tsv = std::fs::read_to_string(state.join("hosts.tsv")).expect("hosts.tsv");
    tsv.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].into(), f[1].into(), f[2].parse().unwrap(), f[3].into())
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn fleet(state: std::path::PathBuf, runs: usize) {
    let hosts = fleet_hosts(&state);
    let n = hosts.len();
    let control = tempfile::Builder::new()
        .prefix("ssh-bench-")
        .tempdir()
        .unwrap();
    let pool = Pool::new(SshConfig {
        identity_file: Some(state.join("lab_key")),
        known_hosts: Some(state.join("known_hosts")),
        control_dir: control.path().to_owned(),
        // e.g. SSH_BENCH_KEX=curve25519-sha256 (cheaper handshake than the default).
        kex_algorithms: std::env::var("SSH_BENCH_KEX").ok(),
        ..SshConfig::default()
    });
    let specs: Vec<HostSpec> = hosts
        .iter()
        .map(|(name, ip, port, _)| HostSpec {
            port: *port,
            ..HostSpec::new(name, ip)
        })
        .collect();
    let t = Instant::now();
    for (name, r) in pool.connect_all(&specs).await {
        r.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    report("agent pool: open all masters (cold)", n, t.elapsed());

    let mut agent_runs = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for (spec, (_, _, _, root)) in specs.iter().zip(&hosts) {
            let (pool, spec) = (pool.clone(), spec.clone());
            let path = format!("{root}/etc/haproxy/haproxy.cfg");
            set.spawn(async move {
                // The observe step of `agent diff`: hash on the host, content only if it differs.
                let script = format!("sha256sum < {}", agent::exec::sh_quote(&path));
                pool.run(&spec, &script).await.map(drop)
            });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().expect("observe");
        }
        agent_runs.push(t.elapsed());
    }
    report(
        "agent pool: observe all hosts (warm, median)",
        n,
        median(agent_runs),
    );
    pool.close().await;

    // The same check with one ssh client process per host over warm ControlMasters.
    let cp = |name: &str| control.path().join(format!("cm-{name}"));
    let base = |name: &str| {
        let mut c = Command::new("ssh");
        c.arg("-F")
            .arg(state.join("ssh_config"))
            .arg("-S")
            .arg(cp(name));
        c
    };
    for (name, ..) in &hosts {
        let mut m = base(name);
        m.args(["-f", "-N", "-M", name]);
        run_ok(m);
    }
    let mut ssh_runs = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let children: Vec<_> = hosts
            .iter()
            .map(|(name, _, _, root)| {
                let mut c = base(name);
                c.arg(name)
                    .arg(format!("sha256sum {root}/etc/haproxy/haproxy.cfg"))
                    .stdout(std::process::Stdio::null());
                c.spawn().expect("ssh")
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        ssh_runs.push(t.elapsed());
    }
    report(
        "ssh -S per host, all in parallel (warm, median)",
        n,
        median(ssh_runs),
    );
    for (name, ..) in &hosts {
        let mut c = base(name);
        c.args(["-O", "exit", name]);
        let _ = c.output();
    }
}
