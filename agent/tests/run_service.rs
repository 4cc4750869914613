//! `agent run` as a process, against a real Git repository over `file://`. The hosts are
//! made unreachable on purpose (SSH port 1, empty known_hosts), so nothing is changed
//! anywhere, even when the lab is up: this checks the service around the engine — the
//! instance lock, status over HTTP and in the state file, a force-push refused, the last
//! accepted commit kept when the repository disappears, SIGTERM, and `agent status`.

#[path = "support/git.rs"]
mod gitcli;
use agent::run::http::request;
use agent::run::status::Status;
use gitcli::{commit_all, git, unreachable_sample_repo};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Waits (up to 60 s) until the state file satisfies `ok`.
fn wait_status(state: &Path, what: &str, ok: impl Fn(&Status) -> bool) -> Status {
    let start = Instant::now();
    loop {
        if let Ok(s) = Status::load(state) {
            if ok(&s) {
                return s;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}: {:?}",
            Status::load(state)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn agent(config: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_agent"));
    c.args(args).arg("--config").arg(config);
    c
}

struct Killer(Child);
impl Drop for Killer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn service_keeps_last_good_refuses_force_push_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let c1 = unreachable_sample_repo(&repo);
    std::fs::write(tmp.path().join("known_hosts"), "").unwrap();
    let state = tmp.path().join("state");
    let addr = free_port();
    let config = tmp.path().join("agent.yaml");
    std::fs::write(
        &config,
        format!(
            "repo: {{url: 'file://{}', branch: main, timeout: 5s}}\ninterval: 1s\njitter: 100ms\n\
             ssh: {{connectTimeout: 1s, knownHosts: known_hosts}}\nstateDir: state\nlisten: '{addr}'\n\
             policies: {{workloads: observe}}\n\
             secrets: {{ageIdentityFile: '{}'}}\n",
            repo.display(),
            agent_tests::sample::demo_key_file().display()
        ),
    )
    .unwrap();
    let child = agent(&config, &["run"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut svc = Killer(child);
    wait_status(&state, "c1 accepted", |s| {
        s.commit_desired.as_deref() == Some(&c1)
    });

    // One agent per state directory.
    let second = agent(&config, &["run"]).output().unwrap();
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("another agent is already running"), "{err}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (code, body) = rt
        .block_on(request(addr, "GET", "/status", &[], b""))
        .unwrap();
    assert_eq!(code, 200);
    let live: Status = serde_json::from_str(&body).unwrap();
    assert_eq!(live.commit_seen.as_deref(), Some(c1.as_str()));
    assert!(live.targets.contains_key("balancer"), "{body}");

    // A new commit is accepted; then history is rewritten under it: refused.
    std::fs::write(repo.join("notes.txt"), "second\n").unwrap();
    let c2 = commit_all(&repo, "c2");
    wait_status(&state, "c2 accepted", |s| {
        s.commit_desired.as_deref() == Some(&c2)
    });
    git(&repo, &["reset", "-q", "--hard", &c1]);
    std::fs::write(repo.join("notes.txt"), "rewritten\n").unwrap();
    let c2b = commit_all(&repo, "c2'");
    let s = wait_status(&state, "force-push refused", |s| {
        s.commit_seen.as_deref() == Some(&c2b)
    });
    assert_eq!(s.commit_desired.as_deref(), Some(c2.as_str()));
    let why = s.source_error.unwrap().message;
    assert!(why.contains("force-push refused"), "{why}");

    // The repository disappears: the service keeps running and enforcing c2.
    std::fs::remove_dir_all(&repo).unwrap();
    let s = wait_status(&state, "source error", |s| {
        s.source_error
            .as_ref()
            .is_some_and(|e| e.message.starts_with("source:"))
    });
    assert_eq!(s.commit_desired.as_deref(), Some(c2.as_str()));
    let s = wait_status(&state, "a sweep of the last good commit", |s| {
        s.targets
            .get("balancer")
            .is_some_and(|t| t.commit == c2 && t.at >= s.source_error.as_ref().unwrap().at)
    });
    assert!(s.consecutive_failures > 0);
    assert_eq!(
        rt.block_on(request(addr, "GET", "/healthz", &[], b""))
            .unwrap()
            .0,
        200
    );

    // SIGTERM: exits 0 once the running cycle ends.
    unsafe { libc::kill(svc.0.id() as i32, libc::SIGTERM) };
    let start = Instant::now();
    let status = loop {
        if let Some(st) = svc.0.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "agent did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");

    // Down: `agent status` reads the state file.
    let out = agent(&config, &["status"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("service not answering"), "{text}");
    assert!(text.contains(&c2[..12]), "{text}");
}
