//! The SSH transport against real sshd instances on loopback (127.0.5.x).
//! Skipped with a message unless running as root with openssh-server installed.

#[path = "support/sshd.rs"]
mod sshd;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use agent::render::ManagedFile;
use agent::ssh::{HostSpec, Pool, SshConfig, SshError, SshRemote};
use agent::targets::hostfiles::files::{apply_file, observe, rollback, ApplyOutcome, Live};
use sshd::{alive, eventually, Sshd};

fn config(s: &Sshd) -> SshConfig {
    SshConfig {
        identity_file: Some(s.client_key.clone()),
        known_hosts: Some(s.known_hosts.clone()),
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(30),
        control_dir: s.dir.path().to_owned(),
        ..SshConfig::default()
    }
}

fn host(name: &str, s: &Sshd) -> HostSpec {
    HostSpec {
        port: s.port,
        ..HostSpec::new(name, &s.ip)
    }
}

#[tokio::test]
async fn run_reports_output_status_and_reuses_one_master() {
    require_sshd!();
    let s = Sshd::start("127.0.5.1", 10);
    let pool = Pool::new(config(&s));
    let h = host("gw", &s);

    let out = pool
        .run(&h, "echo out; echo err >&2; exit 3")
        .await
        .unwrap();
    assert_eq!(out.status, Some(3));
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    let first = pool.master_pids().await;
    assert_eq!(first.len(), 1);

    let data: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let out = pool.run_input(&h, "cat", &data).await.unwrap();
    assert!(out.success());
    assert_eq!(out.stdout, data);

    match pool.check(&h, "echo nope >&2; false").await {
        Err(e @ SshError::CommandFailed { .. }) => {
            let msg = e.to_string();
            assert!(msg.starts_with("gw: "), "{msg}");
            assert!(
                msg.contains("nope") && msg.contains("exit status 1"),
                "{msg}"
            );
            assert!(!e.is_transient());
        }
        other => panic!("{other:?}"),
    }
    // Every command above went over the same master connection.
    assert_eq!(pool.master_pids().await, first);
    // The inventory changed the host (here: a pinned key): a new connection is used.
    let changed = HostSpec {
        host_key: Some(s.host_key.clone()),
        ..h.clone()
    };
    assert!(pool.run(&changed, "true").await.unwrap().success());
    let now = pool.master_pids().await;
    assert!(
        now.len() == 1 && now[0].1 != first[0].1,
        "{now:?} vs {first:?}"
    );
    assert!(eventually(Duration::from_secs(10), || !alive(first[0].1)).await);
    pool.close().await;
}

#[tokio::test]
async fn command_timeout_is_reported_as_timeout() {
    require_sshd!();
    let s = Sshd::start("127.0.5.2", 10);
    let pool = Pool::new(config(&s));
    let h = host("ha1", &s);
    let e = pool
        .exec(&h, "sleep 30", None, Some(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert!(matches!(e, SshError::Timeout { .. }), "{e:?}");
    assert!(e.is_transient());
    // The connection is still usable afterwards.
    assert!(pool.run(&h, "true").await.unwrap().success());
    pool.close().await;
}

/// The targets' managed-file scripts (observe, apply, rollback) over real SSH: binary
/// content, a space in the path, mode, previous version kept, rollback.
#[tokio::test]
async fn managed_files_over_ssh() {
    require_sshd!();
    let s = Sshd::start("127.0.5.3", 10);
    let remote = SshRemote::new(Pool::new(config(&s)), [host("ha2", &s)]);
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc haproxy"); // a space, to exercise quoting
    std::fs::create_dir(&etc).unwrap();
    let live = etc.join("haproxy.cfg");
    let mut f = managed("ha2", live.to_str().unwrap(), "global\n  maxconn 2000\n");
    std::fs::write(&live, b"global\n\0binary\xff no trailing newline").unwrap();

    let obs = observe(&remote, "ha2", &[&f], "echo k=v").await.unwrap();
    assert_eq!(
        obs.files[0].live,
        Live::Differs(b"global\n\0binary\xff no trailing newline".to_vec())
    );
    assert_eq!(obs.facts.get("k").map(String::as_str), Some("v"));

    assert_eq!(
        apply_file(&remote, &f, true, false).await.unwrap(),
        ApplyOutcome::Applied
    );
    assert_eq!(std::fs::read(&live).unwrap(), b"global\n  maxconn 2000\n");
    assert_eq!(
        std::fs::metadata(&live).unwrap().permissions().mode() & 0o7777,
        0o640
    );
    let prev = format!("{}.agent-prev", live.display());
    assert_eq!(
        std::fs::read(&prev).unwrap(),
        b"global\n\0binary\xff no trailing newline"
    );
    let obs = observe(&remote, "ha2", &[&f], "").await.unwrap();
    assert_eq!(
        (&obs.files[0].live, obs.files[0].reload_pending),
        (&Live::Same, false)
    );

    // A check that rejects the staged copy leaves the live file alone.
    f.content = "bad\n".into();
    f.check = "grep -q good {file}".into();
    assert!(matches!(
        apply_file(&remote, &f, true, false).await.unwrap(),
        ApplyOutcome::CheckFailed(_)
    ));
    assert_eq!(std::fs::read(&live).unwrap(), b"global\n  maxconn 2000\n");

    rollback(&remote, &f, true).await.unwrap();
    assert_eq!(
        std::fs::read(&live).unwrap(),
        b"global\n\0binary\xff no trailing newline"
    );
    remote.pool.close().await;
}

fn managed(host: &str, path: &str, content: &str) -> ManagedFile {
    ManagedFile {
        host: host.into(),
        target: "balancer",
        path: path.into(),
        content: content.into(),
        mode: 0o640,
        check: "true".into(),
        reload: Some("true".into()),
        modules: vec![],
        source: "Balancer/test".into(),
        observe: String::new(),
    }
}

/// `sudo` hosts: every operation goes through `sudo -n -- sh -c '<script>'` exactly
/// once. sudo is replaced by a logging stand-in (first on the session PATH), which
/// checks the quoting end to end without needing sudo or a second account.
#[tokio::test]
async fn sudo_hosts_wrap_every_operation() {
    require_sshd!();
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("sudo.log");
    let fake = format!(
        "#!/bin/sh\n[ \"$1\" = -n ] && [ \"$2\" = -- ] || exit 99\nshift 2\necho \"$1 $2\" >> {}\nexec \"$@\"\n",
        log.display()
    );
    let sudo = bin.path().join("sudo");
    std::fs::write(&sudo, fake).unwrap();
    std::fs::set_permissions(&sudo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = format!(
        "PATH={}:/usr/sbin:/usr/bin:/sbin:/bin",
        bin.path().display()
    );
    let s = Sshd::start_with("127.0.5.12", 10, &env);
    let pool = Pool::new(config(&s));
    let h = HostSpec {
        sudo: true,
        ..host("ha1", &s)
    };
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("it's here.cfg");
    let path = path.to_str().unwrap();

    let out = pool.run(&h, "echo \"$0\" 'quoted arg'").await.unwrap();
    assert_eq!(out.stdout_lossy(), "sh quoted arg\n");
    let remote = SshRemote::new(pool.clone(), [h.clone()]);
    let f = managed("ha1", path, "v1\n");
    assert_eq!(
        apply_file(&remote, &f, false, false).await.unwrap(),
        ApplyOutcome::Applied
    );
    assert_eq!(std::fs::read(path).unwrap(), b"v1\n");
    let obs = observe(&remote, "ha1", &[&f], "").await.unwrap();
    assert_eq!(obs.files[0].live, Live::Same);
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(calls.lines().count(), 3, "{calls}");
    assert!(calls.lines().all(|l| l == "sh -c"), "{calls}");
    pool.close().await;
}

#[tokio::test]
async fn host_keys_are_pinned() {
    require_sshd!();
    let s = Sshd::start("127.0.5.5", 10);
    let h = host("gw", &s);

    // known_hosts holds another key for this host: refused, with the presented fingerprint.
    let other = s.dir.path().join("other_key");
    sshd::keygen(&other);
    let other_pub = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let wrong = s.dir.path().join("wrong_known_hosts");
    std::fs::write(&wrong, format!("[{}]:{} {}", s.ip, s.port, other_pub)).unwrap();
    let pool = Pool::new(SshConfig {
        known_hosts: Some(wrong.clone()),
        ..config(&s)
    });
    let e = pool.run(&h, "true").await.unwrap_err();
    match &e {
        SshError::HostKeyMismatch { fingerprint, .. } => {
            let real = sshd::fingerprint(&s.dir.path().join("host_key.pub"));
            assert_eq!(fingerprint.as_deref(), Some(real.as_str()));
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.is_transient());
    assert!(e.to_string().starts_with("gw: HOST KEY MISMATCH"), "{e}");
    // Even with trust on first use, a changed key is refused.
    let tofu = Pool::new(SshConfig {
        known_hosts: Some(wrong),
        strict_host_keys: false,
        ..config(&s)
    });
    assert!(matches!(
        tofu.run(&h, "true").await,
        Err(SshError::HostKeyMismatch { .. })
    ));

    // No key known at all: refused under strict checking.
    let empty = s.dir.path().join("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let strict = Pool::new(SshConfig {
        known_hosts: Some(empty.clone()),
        ..config(&s)
    });
    let e = strict.run(&h, "true").await.unwrap_err();
    assert!(matches!(e, SshError::HostKeyUnknown { .. }), "{e:?}");

    // The key pinned in the inventory is enough, without any known_hosts file.
    let pinned = Pool::new(SshConfig {
        known_hosts: None,
        ..config(&s)
    });
    let h_pinned = HostSpec {
        host_key: Some(s.host_key.clone()),
        ..h.clone()
    };
    assert!(pinned.run(&h_pinned, "true").await.unwrap().success());
    pinned.close().await;

    // Trust on first use only when configured: the key is recorded.
    let tofu = Pool::new(SshConfig {
        known_hosts: Some(empty.clone()),
        strict_host_keys: false,
        ..config(&s)
    });
    assert!(tofu.run(&h, "true").await.unwrap().success());
    tofu.close().await;
    assert!(std::fs::read_to_string(&empty)
        .unwrap()
        .contains(s.host_key.split(' ').nth(1).unwrap()));
}

#[tokio::test]
async fn unreachable_hosts_are_classified() {
    require_sshd!();
    let dir = tempfile::tempdir().unwrap();
    let cfg = SshConfig {
        connect_timeout: Duration::from_secs(1),
        control_dir: dir.path().to_owned(),
        ..SshConfig::default()
    };
    let pool = Pool::new(cfg);

    let closed = HostSpec {
        port: sshd::free_port("127.0.5.6"),
        ..HostSpec::new("ha1", "127.0.5.6")
    };
    let e = pool.run(&closed, "true").await.unwrap_err();
    assert!(matches!(e, SshError::Refused { .. }), "{e:?}");
    assert!(e.is_transient() && e.host() == "ha1");

    // Accepts TCP, never speaks SSH.
    let mute = std::net::TcpListener::bind("127.0.5.6:0").unwrap();
    let silent = HostSpec {
        port: mute.local_addr().unwrap().port(),
        ..HostSpec::new("ha2", "127.0.5.6")
    };
    let e = pool.run(&silent, "true").await.unwrap_err();
    assert!(matches!(e, SshError::Timeout { .. }), "{e:?}");
    assert!(
        e.is_transient() && e.to_string().starts_with("ha2: timed out"),
        "{e}"
    );

    let nowhere = HostSpec::new("w9", "no-such-host.invalid");
    let e = pool.run(&nowhere, "true").await.unwrap_err();
    assert!(matches!(e, SshError::Resolve { .. }), "{e:?}");
    assert!(pool.master_pids().await.is_empty());
}

#[tokio::test]
async fn queued_commands_to_a_dead_host_share_one_attempt() {
    require_sshd!();
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::new(SshConfig {
        connect_timeout: Duration::from_secs(1),
        control_dir: dir.path().to_owned(),
        ..SshConfig::default()
    });
    // A listener that accepts (and counts) connections but never speaks SSH.
    let mute = std::net::TcpListener::bind("127.0.5.6:0").unwrap();
    let port = mute.local_addr().unwrap().port();
    mute.set_nonblocking(true).unwrap();
    let (accepted, stop) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let (a, st) = (accepted.clone(), stop.clone());
    let acceptor = std::thread::spawn(move || {
        let mut open = Vec::new();
        while !st.load(Ordering::SeqCst) {
            match mute.accept() {
                Ok((conn, _)) => {
                    a.fetch_add(1, Ordering::SeqCst);
                    open.push(conn);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    let h = HostSpec {
        port,
        ..HostSpec::new("ha2", "127.0.5.6")
    };
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let (pool, h) = (pool.clone(), h.clone());
        set.spawn(async move { pool.run(&h, "true").await });
    }
    while let Some(r) = set.join_next().await {
        let e = r.unwrap().unwrap_err();
        assert!(matches!(e, SshError::Timeout { .. }), "{e:?}");
    }
    stop.store(true, Ordering::SeqCst);
    acceptor.join().unwrap();
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "one connection attempt for 12 commands"
    );
    // A later command tries again.
    assert!(pool.run(&h, "true").await.is_err());
}

#[tokio::test]
async fn concurrent_commands_stay_under_the_session_cap() {
    require_sshd!();
    let s = Sshd::start("127.0.5.7", 10);
    let pool = Pool::new(SshConfig {
        max_sessions_per_host: 8,
        ..config(&s)
    });
    let h = host("gw", &s);
    let marks = tempfile::tempdir().unwrap();
    let m = marks.path().display().to_string();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (pool, h) = (pool.clone(), h.clone());
        // Each command counts the commands running at the same time as itself.
        let cmd = format!("touch {m}/{i}; sleep 0.2; ls {m} | wc -l; rm {m}/{i}");
        set.spawn(async move { pool.check(&h, &cmd).await });
    }
    let mut max_seen = 0;
    while let Some(r) = set.join_next().await {
        let out = r.unwrap().expect("every command succeeds under the cap");
        let n: usize = out.stdout_lossy().trim().parse().unwrap();
        max_seen = max_seen.max(n);
    }
    assert!(max_seen <= 8, "{max_seen} commands ran at once");
    assert!(max_seen >= 2, "commands were not run concurrently at all");
    assert_eq!(pool.master_pids().await.len(), 1);
    pool.close().await;
}

#[tokio::test]
async fn no_master_outlives_close_drop_or_idle() {
    require_sshd!();
    let a = Sshd::start("127.0.5.8", 10);
    let b = Sshd::start("127.0.5.9", 10);
    let mut cfg = config(&a);
    // Both servers accept the same client key and known_hosts here.
    std::fs::copy(
        a.client_key.with_extension("pub"),
        b.dir.path().join("authorized_keys"),
    )
    .unwrap();
    let known = a.dir.path().join("both_known_hosts");
    let text = std::fs::read_to_string(&a.known_hosts).unwrap()
        + &std::fs::read_to_string(&b.known_hosts).unwrap();
    std::fs::write(&known, text).unwrap();
    cfg.known_hosts = Some(known);
    let hosts = [host("ha1", &a), host("ha2", &b)];
    let me = std::process::id();

    // close(): masters opened concurrently, then terminated and reaped.
    let pool = Pool::new(cfg.clone());
    for (name, r) in pool.connect_all(&hosts).await {
        r.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let pids: Vec<u32> = pool
        .master_pids()
        .await
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    assert_eq!(pids.len(), 2);
    for p in &pids {
        assert!(alive(*p));
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap();
        let ppid: u32 = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(ppid, me, "master {p} must be the agent's own child");
    }
    pool.close().await;
    assert!(
        pids.iter().all(|p| !alive(*p)),
        "close() left a master running"
    );
    assert!(pool.master_pids().await.is_empty());

    // drop: the last reference kills the masters.
    let pool = Pool::new(cfg.clone());
    pool.connect_all(&hosts).await;
    let pids: Vec<u32> = pool
        .master_pids()
        .await
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    assert_eq!(pids.len(), 2);
    drop(pool);
    assert!(eventually(Duration::from_secs(10), || pids.iter().all(|p| !alive(*p))).await);

    // idle timeout: closed by the pool's own reaper; the next command reconnects.
    let pool = Pool::new(SshConfig {
        idle_timeout: Duration::from_millis(300),
        ..cfg
    });
    pool.connect(&hosts[0]).await.unwrap();
    let pid = pool.master_pids().await[0].1;
    assert!(
        eventually(Duration::from_secs(10), || !alive(pid)).await,
        "idle master kept"
    );
    assert!(pool.run(&hosts[0], "true").await.unwrap().success());
    let again = pool.master_pids().await;
    assert!(again.len() == 1 && again[0].1 != pid);
    pool.close().await;
}

/// The agent killed by SIGKILL (no destructor runs): the kernel still ends its masters.
/// The test re-runs itself as the "agent" child process, which opens a master and waits.
#[tokio::test]
async fn masters_die_with_the_agent_process() {
    require_sshd!();
    const ROLE: &str = "AGENT_SSH_TEST_AGENT_ROLE";
    if let Ok(spec) = std::env::var(ROLE) {
        let f: Vec<&str> = spec.split('|').collect();
        let pool = Pool::new(SshConfig {
            identity_file: Some(f[2].into()),
            known_hosts: Some(f[3].into()),
            control_dir: f[4].into(),
            ..SshConfig::default()
        });
        let h = HostSpec {
            port: f[1].parse().unwrap(),
            ..HostSpec::new("gw", f[0])
        };
        pool.connect(&h).await.unwrap();
        println!("MASTER {}", pool.master_pids().await[0].1);
        tokio::time::sleep(Duration::from_secs(120)).await;
        return;
    }
    use std::io::BufRead;
    let s = Sshd::start("127.0.5.11", 10);
    let spec = format!(
        "{}|{}|{}|{}|{}",
        s.ip,
        s.port,
        s.client_key.display(),
        s.known_hosts.display(),
        s.dir.path().display()
    );
    let mut agent = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "masters_die_with_the_agent_process",
            "--nocapture",
        ])
        .env(ROLE, spec)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(agent.stdout.take().unwrap()).lines();
    let master: u32 = lines
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("MASTER ").map(|p| p.parse().unwrap()))
        .expect("the agent process reports its master");
    assert!(alive(master));
    agent.kill().unwrap(); // SIGKILL
    agent.wait().unwrap();
    assert!(
        eventually(Duration::from_secs(10), || !alive(master)).await,
        "master {master} outlived the agent"
    );
}
