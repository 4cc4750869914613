//! `agent trust` against a real sshd: ssh-keyscan output is recorded, and OpenSSH's
//! own client then accepts the host, where before it refused the changed key.

#[path = "support/sshd.rs"]
mod sshd_support;

use agent::trust::{fingerprint, record_host_key};
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Sshd(Child);

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn keyscan(port: u16) -> String {
    // sshd needs a moment to listen; retry a bounded number of times.
    for _ in 0..50 {
        let out = Command::new("ssh-keyscan")
            .args([
                "-T",
                "2",
                "-t",
                "ed25519",
                "-p",
                &port.to_string(),
                "127.0.0.1",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.lines().any(|l| !l.starts_with('#') && !l.is_empty()) {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("sshd on port {port} never answered ssh-keyscan");
}

/// What the OpenSSH client says when connecting with `known_hosts` in strict mode.
fn ssh_attempt(port: u16, known_hosts: &Path) -> String {
    let out = Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
        ])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args([
            "-o",
            "IdentityFile=/dev/null",
            "-p",
            &port.to_string(),
            "nobody@127.0.0.1",
            "true",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_changed_host_key_is_refused_until_trusted() {
    let sshd_bin = Path::new(sshd_support::SSHD);
    if let Some(why) = sshd_support::skip_reason() {
        test_skip::skip!("{why}");
    }
    // Made here: this suite must not depend on another one having started sshd first.
    sshd_support::privsep_dir();
    let dir = tempfile::tempdir().unwrap();
    let hk = dir.path().join("host_key");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(&hk)
        .status()
        .unwrap();
    assert!(st.success());
    let port = free_port();
    let cfg = dir.path().join("sshd_config");
    std::fs::write(
        &cfg,
        format!(
            "HostKey {}\nListenAddress 127.0.0.1:{port}\nPidFile none\nUsePAM no\n",
            hk.display()
        ),
    )
    .unwrap();
    let _sshd = Sshd(
        Command::new(sshd_bin)
            .args(["-D", "-e", "-f"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let scan = keyscan(port);

    // The pinned key is an old one: OpenSSH refuses the host.
    let kh = dir.path().join("known_hosts");
    let old = dir.path().join("old");
    Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(&old)
        .status()
        .unwrap();
    let old_pub = std::fs::read_to_string(old.with_extension("pub")).unwrap();
    let old_key: Vec<&str> = old_pub.split_whitespace().take(2).collect();
    std::fs::write(&kh, format!("[127.0.0.1]:{port} {}\n", old_key.join(" "))).unwrap();
    let refused = ssh_attempt(port, &kh);
    assert!(
        refused.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{refused}"
    );

    let rec = record_host_key(&kh, "127.0.0.1", port, "ssh-ed25519", &scan).unwrap();
    let host_pub = std::fs::read_to_string(hk.with_extension("pub")).unwrap();
    assert_eq!(rec.fingerprint, fingerprint(&host_pub).unwrap());
    assert_eq!(rec.replaced, 1);
    let accepted = ssh_attempt(port, &kh);
    assert!(
        !accepted.contains("IDENTIFICATION HAS CHANGED")
            && !accepted.contains("Host key verification failed"),
        "{accepted}"
    );
    assert!(
        accepted.contains("Permission denied"),
        "got past the host key: {accepted}"
    );
}
