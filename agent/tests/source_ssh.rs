//! `ssh://` repositories against a real sshd on 127.0.0.1 (started and stopped by the
//! test, with its own host key, config and authorized key): key authentication, and host
//! keys pinned in a known_hosts file — trusted key, wrong key, wrong port.
//!
//! Needs root (sshd's privilege separation) and /usr/sbin/sshd; CI runs as root with
//! openssh-server installed. Elsewhere these tests are counted skips (`test_skip`). The
//! privilege separation directory /run/sshd is made here, not left to another suite.

#[path = "support/git.rs"]
mod gitcli;
#[path = "support/sshd.rs"]
mod sshd_support;
use agent::source::{snapshot, FetchOptions, SourceError, SourceSpec};
use gitcli::git;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use sshd_support::SSHD;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn keygen(path: &Path) -> String {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path));
    std::fs::read_to_string(path.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string()
}

struct Sshd {
    child: Child,
    port: u16,
    tmp: tempfile::TempDir,
    host_pub: String,
    client_key: PathBuf,
    url: String,
    commit: String,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A bare repository with one commit, served by a private sshd; `None` when not possible here.
fn sshd() -> Option<Sshd> {
    if let Some(why) = sshd_support::skip_reason() {
        test_skip::record(&why);
        return None;
    }
    sshd_support::privsep_dir();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let host_pub = keygen(&d.join("host_key"));
    let client_pub = keygen(&d.join("client_key"));
    std::fs::write(d.join("authorized_keys"), format!("{client_pub}\n")).unwrap();
    let port = free_port();
    std::fs::write(
        d.join("sshd_config"),
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
             PidFile none\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel ERROR\n\
             SetEnv SHLVL=1\n",
            d.join("host_key").display(),
            d.join("authorized_keys").display()
        ),
    )
    .unwrap();
    let work = d.join("work");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q"]);
    std::fs::write(work.join("inventory.yaml"), "over ssh\n").unwrap();
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "one"]);
    let commit = git(&work, &["rev-parse", "HEAD"]);
    let bare = d.join("platform.git");
    git(
        d,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(d.join("sshd_config"))
        .stdin(Stdio::null())
        .spawn()
        .expect("sshd starts");
    // Wait until it accepts connections (bounded; not a timing assertion).
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let url = format!("ssh://root@127.0.0.1:{port}{}", bare.display());
    let sshd = Sshd {
        child,
        port,
        host_pub,
        client_key: d.join("client_key"),
        url,
        commit,
        tmp,
    };
    assert!(ready, "sshd did not start listening on port {port}");
    Some(sshd)
}

fn options(s: &Sshd, known_hosts_line: &str) -> FetchOptions {
    let kh = s
        .tmp
        .path()
        .join(format!("known_hosts-{}", known_hosts_line.len()));
    std::fs::write(&kh, format!("{known_hosts_line}\n")).unwrap();
    let mut o = FetchOptions::new(Some(s.tmp.path().join("cache")));
    o.identity_file = Some(s.client_key.clone());
    o.known_hosts = Some(kh);
    o
}

fn spec(s: &Sshd) -> SourceSpec {
    SourceSpec {
        location: s.url.clone(),
        rev: Some("main".into()),
        subdir: None,
    }
}

#[test]
fn ssh_fetch_with_pinned_host_key() {
    let Some(s) = sshd() else { return };
    let line = format!("[127.0.0.1]:{} {}", s.port, s.host_pub);
    let snap = snapshot(&spec(&s), &options(&s, &line)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(snap.commit, s.commit);
    assert_eq!(snap.files[0].bytes, b"over ssh\n");
}

#[test]
fn ssh_host_key_not_pinned_is_refused() {
    let Some(s) = sshd() else { return };
    let other = keygen(&s.tmp.path().join("other_key"));
    let wrong_key = format!("[127.0.0.1]:{} {}", s.port, other);
    let err = snapshot(&spec(&s), &options(&s, &wrong_key)).unwrap_err();
    assert!(
        matches!(err, SourceError::HostKeyNotTrusted { ref host, .. } if host == "127.0.0.1"),
        "{err}"
    );
    assert!(!err.is_transient());
    // The right key, but pinned for port 22 only.
    let wrong_port = format!("127.0.0.1 {}", s.host_pub);
    let err = snapshot(&spec(&s), &options(&s, &wrong_port)).unwrap_err();
    assert!(
        matches!(err, SourceError::HostKeyNotTrusted { .. }),
        "{err}"
    );
}
