//! Persistent masters (`SshConfig::persist`) against a real sshd on loopback: they
//! outlive the pool, are reused by the next pool through their socket, and a dead one
//! is replaced. (The default, masters dying with the agent, is tested in
//! `ssh_transport.rs`.) Skipped with a message unless root with openssh-server.

#[path = "support/sshd.rs"]
mod sshd;

use std::path::Path;
use std::time::Duration;

use agent::ssh::{HostSpec, Pool, SshConfig};
use sshd::Sshd;

/// PID of the master listening on `socket`, as `ssh -O check` reports it.
fn master_pid(socket: &Path) -> Option<u32> {
    let out = std::process::Command::new("ssh")
        .args(["-F", "none", "-S"])
        .arg(socket)
        .args(["-O", "check", "x"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    text.split("pid=").nth(1)?.split(')').next()?.parse().ok()
}

fn socket_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn persistent_masters_outlive_the_pool_and_are_reused() {
    require_sshd!();
    let s = Sshd::start("127.0.5.20", 10);
    let control = s.dir.path().join("cp");
    let cfg = SshConfig {
        identity_file: Some(s.client_key.clone()),
        known_hosts: Some(s.known_hosts.clone()),
        connect_timeout: Duration::from_secs(5),
        control_dir: control.clone(),
        kex_algorithms: Some("curve25519-sha256".into()),
        persist: Some(Duration::from_secs(30)),
        ..SshConfig::default()
    };
    let h = HostSpec {
        port: s.port,
        ..HostSpec::new("ha1", &s.ip)
    };

    let pool = Pool::new(cfg.clone());
    assert!(pool.run(&h, "true").await.unwrap().success());
    pool.close().await;
    drop(pool);
    let sockets = socket_in(&control);
    assert_eq!(sockets.len(), 1, "{sockets:?}");
    let first = master_pid(&sockets[0]).expect("the master outlives the pool");

    // The next "agent run" reuses it: same master process, no new socket.
    let pool = Pool::new(cfg.clone());
    let out = pool.run(&h, "echo again").await.unwrap();
    assert_eq!(out.stdout, b"again\n");
    pool.close().await;
    assert_eq!(socket_in(&control), sockets);
    assert_eq!(master_pid(&sockets[0]), Some(first));

    // A master that went away is replaced by a new one at the same path.
    let status = std::process::Command::new("ssh")
        .args(["-F", "none", "-S"])
        .arg(&sockets[0])
        .args(["-O", "exit", "x"])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(sshd::eventually(Duration::from_secs(5), || !sshd::alive(first)).await);
    let pool = Pool::new(cfg.clone());
    assert!(pool.run(&h, "true").await.unwrap().success());
    pool.close().await;
    let second = master_pid(&sockets[0]).expect("a new master");
    assert_ne!(second, first);

    // Clean up: the test owns this master.
    let _ = std::process::Command::new("ssh")
        .args(["-F", "none", "-S"])
        .arg(&sockets[0])
        .args(["-O", "exit", "x"])
        .status();
}
