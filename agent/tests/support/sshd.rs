//! A real `sshd` on a loopback address for transport tests: own host key, own client
//! key, `UsePAM no`, `SetEnv SHLVL=1` (this machine's root `.bashrc` is slow otherwise).
//! Runs in the foreground (`-D`) as our child, so `Drop` kills exactly that PID, even
//! when the test panics. Tests skip (counted, `test_skip`) unless root and sshd is installed.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";

/// `Some(reason)` when real-sshd tests cannot run here.
pub fn skip_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not running as root (sshd needs root to switch users)".into());
    }
    if !Path::new(SSHD).exists() {
        return Some(format!(
            "{SSHD} is not installed (apt-get install openssh-server)"
        ));
    }
    if Command::new("ssh").arg("-V").output().is_err() {
        return Some("the ssh client is not installed (apt-get install openssh-client)".into());
    }
    None
}

/// Skip the calling test (a counted skip, then return) when sshd tests cannot run.
#[macro_export]
macro_rules! require_sshd {
    () => {
        if let Some(why) = sshd::skip_reason() {
            test_skip::skip!("{why}");
        }
    };
}

/// sshd's privilege separation directory, which the Debian package's service normally
/// creates at start: a test starts sshd by itself, so it makes the directory itself
/// (root-owned, not group/world-writable, as sshd demands).
pub fn privsep_dir() {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all("/run/sshd").expect("create /run/sshd (privilege separation dir)");
    std::fs::set_permissions("/run/sshd", std::fs::Permissions::from_mode(0o755))
        .expect("chmod 0755 /run/sshd");
}

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub ip: String,
    pub port: u16,
    /// Client private key authorized for root.
    pub client_key: PathBuf,
    /// known_hosts holding this server's key.
    pub known_hosts: PathBuf,
    /// `ssh-ed25519 AAAA...` of this server.
    pub host_key: String,
    child: Child,
}

pub fn keygen(path: &Path) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "agent-test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
}

/// `SHA256:...` fingerprint of a public key file.
pub fn fingerprint(pub_key: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(pub_key)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().nth(1).unwrap().to_owned()
}

/// A port on `ip` that nothing listens on right now.
pub fn free_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sshd {
    /// Start an sshd on `ip` (e.g. `127.0.5.1`) and wait until it accepts connections.
    pub fn start(ip: &str, max_sessions: u32) -> Sshd {
        Sshd::start_with(ip, max_sessions, "")
    }

    /// [`Sshd::start`] with more session environment (`SetEnv`), e.g. `PATH=/x:/usr/bin`.
    pub fn start_with(ip: &str, max_sessions: u32, env: &str) -> Sshd {
        privsep_dir();
        let dir = tempfile::Builder::new()
            .prefix("agent-sshd-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("client_key"));
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
        let host_key = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        let host_key = host_key
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let port = free_port(ip);
        std::fs::write(d.join("known_hosts"), format!("[{ip}]:{port} {host_key}\n")).unwrap();
        let config = format!(
            "ListenAddress {ip}:{port}\nHostKey {d}/host_key\nPidFile none\n\
             PermitRootLogin prohibit-password\nPubkeyAuthentication yes\n\
             AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nUseDNS no\n\
             MaxSessions {max_sessions}\nMaxStartups 100\nLogLevel ERROR\nPrintMotd no\n\
             PrintLastLog no\nSetEnv SHLVL=1 {env}\n",
            d = d.display()
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .arg("-E")
            .arg(d.join("sshd.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sshd");
        let mut s = Sshd {
            client_key: d.join("client_key"),
            known_hosts: d.join("known_hosts"),
            ip: ip.to_owned(),
            port,
            host_key,
            child,
            dir,
        };
        s.wait_listening();
        s
    }

    fn wait_listening(&mut self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(st)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.path().join("sshd.log"));
                panic!("sshd exited with {st}: {log:?}");
            }
            if TcpStream::connect((self.ip.as_str(), self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("sshd on {}:{} did not start listening", self.ip, self.port);
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // Our own child, by PID: sessions it forked exit when their connection closes.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `pid` is a live (non-zombie) process.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            state != Some("Z") && state != Some("X")
        }
        Err(_) => false,
    }
}

/// Poll until `cond` holds, for at most `limit` (not a timing assertion: a bound on
/// how long a test may hang before it reports failure).
pub async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}
