//! Rollout order and failure handling, with real scripts on a local shell.

use crate::exec::{ExecOutput, LocalShell, Remote, RemoteError};
use crate::mask::Masker;
use crate::outcome::*;
use crate::rendered::{ManagedFile, Rendered};
use crate::targets::hostfiles::files::{Live, Observation, ObservedFile};
use crate::targets::hostfiles::harness_tests::{apply_target, diff_files, TargetKind};
use crate::targets::hostfiles::views::HostViews;
use std::sync::Mutex;

struct Fixture {
    dir: tempfile::TempDir,
    rendered: Rendered,
    views: HostViews,
}

fn fixture(holder: &str, bad_host: Option<&str>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("order.log");
    let mut rendered = Rendered::default();
    let mut views = HostViews::default();
    for (host, kind) in [
        ("gw", TargetKind::Gateway),
        ("ha1", TargetKind::Balancer),
        ("ha2", TargetKind::Balancer),
    ] {
        let path = dir.path().join(format!("{host}.cfg")).display().to_string();
        std::fs::write(&path, "old\n").unwrap();
        let check = if Some(host) == bad_host {
            "echo 'bad keyword' >&2; false".to_string()
        } else {
            "true".into()
        };
        rendered.files.push(ManagedFile {
            host: host.into(),
            target: kind.name(),
            path: path.clone(),
            content: format!("new {host}\n"),
            mode: 0o644,
            check,
            reload: Some(format!("echo {host} >> {}", log.display())),
            modules: vec![],
            source: "Balancer/lb".into(),
            observe: String::new(),
        });
        let mut obs = Observation::default();
        obs.files.push(ObservedFile {
            path,
            live: Live::Differs(b"old\n".to_vec()),
            reload_pending: false,
        });
        if host == holder {
            obs.facts.insert("vip.10.77.0.100".into(), "held".into());
        }
        views.views.insert(host.into(), obs);
    }
    Fixture {
        dir,
        rendered,
        views,
    }
}

fn state_with_vip() -> schema::DesiredState {
    let yaml = "apiVersion: agent/v1\nkind: HaCluster\nmetadata: {name: lb}\nspec:\n  clusterName: lab\n  nodes: [ha1, ha2]\n  vip: {ip: 10.77.0.100, cidrNetmask: 24}\n";
    let doc: schema::Document<schema::HaClusterSpec> = serde_yaml::from_str(yaml).unwrap();
    let mut state = schema::DesiredState::default();
    state.clusters.push(schema::Located {
        origin: Default::default(),
        doc,
    });
    state
}

/// [`LocalShell`] with HAProxy's pidfile moved into the fixture's directory, where no
/// HAProxy ever writes: the scripts see a standby node (HAProxy not running) whatever
/// runs on this machine, so no test depends on the machine's `/run`.
struct StandbyShell {
    pidfile: String,
}

#[async_trait::async_trait]
impl Remote for StandbyShell {
    async fn exec(
        &self,
        host: &str,
        script: &str,
        stdin: &[u8],
    ) -> Result<ExecOutput, RemoteError> {
        let script = script.replace(crate::targets::balancer::render::PIDFILE, &self.pidfile);
        LocalShell::default().exec(host, &script, stdin).await
    }
}

async fn run(f: &Fixture) -> (Vec<Step>, Vec<String>) {
    let changes = diff_files(&f.rendered, &f.views, &Masker::new("k"));
    let lines = Mutex::new(Vec::new());
    let progress = |l: &str| lines.lock().unwrap().push(l.to_string());
    let pidfile = f.dir.path().join("haproxy.pid").display().to_string();
    let (sh, state) = (StandbyShell { pidfile }, state_with_vip());
    // Balancers, then gateways blocked by a failed balancer rollout, as the engine does.
    let mut steps = apply_target(
        &sh,
        &state,
        &f.rendered,
        &f.views,
        &changes,
        TargetKind::Balancer,
        None,
        &progress,
        None,
    )
    .await;
    let blocked = failed(&steps).then(|| "skipped: balancers failed".to_string());
    steps.extend(
        apply_target(
            &sh,
            &state,
            &f.rendered,
            &f.views,
            &changes,
            TargetKind::Gateway,
            blocked,
            &progress,
            None,
        )
        .await,
    );
    (steps, lines.into_inner().unwrap())
}

fn reload_order(f: &Fixture) -> String {
    std::fs::read_to_string(f.dir.path().join("order.log"))
        .unwrap_or_default()
        .replace('\n', " ")
}

#[tokio::test]
async fn standby_balancer_first_then_vip_holder_then_gateway() {
    for (holder, expected) in [("ha1", "ha2 ha1 gw "), ("ha2", "ha1 ha2 gw ")] {
        let f = fixture(holder, None);
        let (steps, progress) = run(&f).await;
        assert!(
            steps.iter().all(|s| s.status == StepStatus::Applied),
            "{steps:?}"
        );
        assert_eq!(reload_order(&f), expected, "VIP on {holder}");
        assert_eq!(
            progress.len(),
            6,
            "a line before and after each host: {progress:?}"
        );
    }
}

#[tokio::test]
async fn a_rejected_standby_stops_the_pair_and_the_gateway() {
    let f = fixture("ha1", Some("ha2"));
    let (steps, _) = run(&f).await;
    let status: Vec<_> = steps.iter().map(|s| (s.host.as_str(), s.status)).collect();
    assert_eq!(
        status,
        [
            ("ha2", StepStatus::Rejected),
            ("ha1", StepStatus::Skipped),
            ("gw", StepStatus::Skipped)
        ]
    );
    assert!(
        steps[0].message.contains("bad keyword"),
        "{}",
        steps[0].message
    );
    assert_eq!(reload_order(&f), "", "nothing reloaded anywhere");
    for h in ["ha1", "ha2", "gw"] {
        assert_eq!(
            std::fs::read_to_string(f.dir.path().join(format!("{h}.cfg"))).unwrap(),
            "old\n"
        );
    }
}

#[tokio::test]
async fn hosts_in_sync_are_not_touched() {
    let mut f = fixture("ha1", None);
    for (h, o) in f.views.views.iter_mut() {
        if h != "ha2" {
            o.files[0].live = Live::Same;
        }
    }
    let (steps, _) = run(&f).await;
    assert_eq!(
        steps.iter().map(|s| s.host.as_str()).collect::<Vec<_>>(),
        ["ha2"]
    );
    assert_eq!(reload_order(&f), "ha2 ");
}

/// Balancers that are not nodes of one HA cluster (a fleet of independent hosts).
fn fleet(n: usize, bad: Option<&str>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("order.log");
    let mut rendered = Rendered::default();
    let mut views = HostViews::default();
    for i in 1..=n {
        let host = format!("h{i}");
        let path = dir.path().join(format!("{host}.cfg")).display().to_string();
        std::fs::write(&path, "old\n").unwrap();
        let check = if Some(host.as_str()) == bad {
            "false".to_string()
        } else {
            "true".into()
        };
        rendered.files.push(ManagedFile {
            host: host.clone(),
            target: TargetKind::Balancer.name(),
            path: path.clone(),
            content: format!("new {host}\n"),
            mode: 0o644,
            check,
            reload: Some(format!("echo {host} >> {}", log.display())),
            modules: vec![],
            source: "Balancer/lb".into(),
            observe: String::new(),
        });
        let mut obs = Observation::default();
        obs.files.push(ObservedFile {
            path,
            live: Live::Differs(b"old\n".to_vec()),
            reload_pending: false,
        });
        views.views.insert(host, obs);
    }
    Fixture {
        dir,
        rendered,
        views,
    }
}

async fn run_fleet(f: &Fixture) -> Vec<Step> {
    let changes = diff_files(&f.rendered, &f.views, &Masker::new("k"));
    let state = schema::DesiredState::default();
    apply_target(
        &LocalShell::default(),
        &state,
        &f.rendered,
        &f.views,
        &changes,
        TargetKind::Balancer,
        None,
        &|_: &str| {},
        None,
    )
    .await
}

#[tokio::test]
async fn independent_hosts_go_canary_first_then_all_the_others() {
    let f = fleet(25, None);
    let steps = run_fleet(&f).await;
    assert_eq!(steps.len(), 25);
    assert!(
        steps.iter().all(|s| s.status == StepStatus::Applied),
        "{steps:?}"
    );
    let order = reload_order(&f);
    assert!(
        order.starts_with("h1 "),
        "the canary goes alone, first: {order}"
    );
    assert_eq!(order.split_whitespace().count(), 25);
}

#[tokio::test]
async fn a_failed_canary_stops_the_fleet() {
    let f = fleet(5, Some("h1"));
    let steps = run_fleet(&f).await;
    assert_eq!(steps[0].status, StepStatus::Rejected);
    assert!(
        steps[1..].iter().all(|s| s.status == StepStatus::Skipped),
        "{steps:?}"
    );
    assert_eq!(reload_order(&f), "");
}

/// Hosts whose reload logs `start HOST`, sleeps, then logs `end HOST`; `bad`'s
/// check fails at once.
fn slow_fleet(n: usize, bad: Option<&str>) -> Fixture {
    let mut f = fleet(n, bad);
    let log = f.dir.path().join("spans.log");
    for file in &mut f.rendered.files {
        let h = &file.host;
        file.reload = Some(format!(
            "echo start {h} >> {l}; sleep 0.3; echo end {h} >> {l}",
            l = log.display()
        ));
    }
    f
}

/// The most steps that were between their `start` and `end` at once.
fn max_in_flight(f: &Fixture) -> usize {
    let log = std::fs::read_to_string(f.dir.path().join("spans.log")).unwrap_or_default();
    let (mut now, mut max) = (0usize, 0usize);
    for l in log.lines() {
        if l.starts_with("start ") {
            now += 1;
            max = max.max(now);
        } else {
            now -= 1;
        }
    }
    max
}

async fn run_capped(f: &Fixture, cap: u32) -> Vec<Step> {
    let changes = diff_files(&f.rendered, &f.views, &Masker::new("k"));
    crate::targets::hostfiles::harness_tests::apply_capped(
        &LocalShell::default(),
        &f.rendered,
        &f.views,
        &changes,
        cap,
    )
    .await
}

#[tokio::test]
async fn after_the_canary_at_most_the_cap_is_in_flight() {
    let f = slow_fleet(9, None);
    let steps = run_capped(&f, 3).await;
    assert!(
        steps.iter().all(|s| s.status == StepStatus::Applied),
        "{steps:?}"
    );
    let log = std::fs::read_to_string(f.dir.path().join("spans.log")).unwrap();
    assert!(
        log.starts_with("start h1\nend h1\n"),
        "the canary runs alone, before any other host: {log}"
    );
    // 8 hosts of 0.3 s under a cap of 3: never 4 at once, and not one at a time.
    let max = max_in_flight(&f);
    assert!((2..=3).contains(&max), "{max} in flight:\n{log}");
}

#[tokio::test]
async fn a_failure_in_the_wave_starts_no_further_host() {
    // h1 canary; then h2..h5 start together (cap 4), h5's check fails at once while
    // h2..h4 reload: they finish, h6..h12 never start.
    let f = slow_fleet(12, Some("h5"));
    let steps = run_capped(&f, 4).await;
    let by = |st: StepStatus| -> Vec<&str> {
        steps
            .iter()
            .filter(|s| s.status == st)
            .map(|s| s.host.as_str())
            .collect()
    };
    assert_eq!(by(StepStatus::Applied), ["h1", "h2", "h3", "h4"]);
    assert_eq!(by(StepStatus::Rejected), ["h5"]);
    assert_eq!(
        by(StepStatus::Skipped),
        ["h6", "h7", "h8", "h9", "h10", "h11", "h12"]
    );
    let skipped = steps.iter().find(|s| s.host == "h6").unwrap();
    assert!(
        skipped.message.contains("stopped after h5 failed"),
        "{}",
        skipped.message
    );
}

#[tokio::test]
async fn a_stop_request_lets_the_running_host_finish_and_starts_no_other() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let f = fixture("ha1", None);
    let changes = diff_files(&f.rendered, &f.views, &Masker::new("k"));
    let stop = AtomicBool::new(false);
    // The stop request arrives while the first host (the standby, ha2) is being applied.
    let progress = |l: &str| {
        if l.contains("ha2: applying") {
            stop.store(true, Ordering::SeqCst);
        }
    };
    let steps = apply_target(
        &LocalShell::default(),
        &state_with_vip(),
        &f.rendered,
        &f.views,
        &changes,
        TargetKind::Balancer,
        None,
        &progress,
        Some(&stop),
    )
    .await;
    let status: Vec<_> = steps.iter().map(|s| (s.host.as_str(), s.status)).collect();
    assert_eq!(
        status,
        [("ha2", StepStatus::Applied), ("ha1", StepStatus::Skipped)]
    );
    assert!(
        steps[1].message.contains("stopping"),
        "{}",
        steps[1].message
    );
    assert_eq!(reload_order(&f), "ha2 ", "ha2 completed, ha1 never started");
}

/// Leader election's fence: refused once the lease is lost.
struct Lost(std::sync::atomic::AtomicBool);

impl crate::fence::Fence for Lost {
    fn may_start(&self) -> Result<(), String> {
        match self.0.load(std::sync::atomic::Ordering::SeqCst) {
            true => Err("not the leader: lease ns/agent is held by b".into()),
            false => Ok(()),
        }
    }
}

#[tokio::test]
async fn a_lost_lease_lets_the_running_host_finish_and_starts_no_other() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let f = fixture("ha1", None);
    let changes = diff_files(&f.rendered, &f.views, &Masker::new("k"));
    let fence = Lost(AtomicBool::new(false));
    // The lease is lost while the first host (the standby, ha2) is being applied.
    let progress = |l: &str| {
        if l.contains("ha2: applying") {
            fence.0.store(true, Ordering::SeqCst);
        }
    };
    let steps = crate::targets::hostfiles::harness_tests::apply_target_fenced(
        &LocalShell::default(),
        &state_with_vip(),
        &f.rendered,
        &f.views,
        &changes,
        TargetKind::Balancer,
        None,
        &progress,
        None,
        Some(&fence),
    )
    .await;
    let status: Vec<_> = steps.iter().map(|s| (s.host.as_str(), s.status)).collect();
    assert_eq!(
        status,
        [("ha2", StepStatus::Applied), ("ha1", StepStatus::Skipped)]
    );
    assert!(
        steps[1].message.contains("not the leader"),
        "{}",
        steps[1].message
    );
    assert_eq!(reload_order(&f), "ha2 ", "ha2 completed, ha1 never started");
}

#[tokio::test]
async fn a_refusing_fence_starts_no_step_at_all() {
    let f = fixture("ha1", None);
    let changes = diff_files(&f.rendered, &f.views, &Masker::new("k"));
    let fence = Lost(std::sync::atomic::AtomicBool::new(true));
    let steps = crate::targets::hostfiles::harness_tests::apply_target_fenced(
        &LocalShell::default(),
        &state_with_vip(),
        &f.rendered,
        &f.views,
        &changes,
        TargetKind::Balancer,
        None,
        &|_: &str| {},
        None,
        Some(&fence),
    )
    .await;
    assert!(
        steps.iter().all(|s| s.status == StepStatus::Skipped),
        "{steps:?}"
    );
    assert_eq!(reload_order(&f), "", "no host was touched");
}

/// A runtime-capable balancer change where HAProxy does not run (a standby node: the
/// fixture's shell points the scripts at a pidfile of its own): the file is swapped, validated and kept, the reload command is not run,
/// no pending marker is left, and the step and the plan say which path was taken.
#[tokio::test]
async fn a_runtime_capable_change_on_a_standby_swaps_without_reload() {
    let mut f = fixture("ha1", None);
    let cfg = |w: u32| {
        format!("global\n    stats socket /run/x.sock level admin\nbackend b\n    server s1 10.0.0.1:80 weight {w}\n")
    };
    f.rendered.files.retain(|m| m.host == "ha2");
    f.rendered.files[0].content = cfg(50);
    let path = f.rendered.files[0].path.clone();
    std::fs::write(&path, cfg(1)).unwrap();
    let obs = f.views.views.get_mut("ha2").unwrap();
    obs.files[0].live = Live::Differs(cfg(1).into_bytes());
    let changes = diff_files(&f.rendered, &f.views, &Masker::new("k"));
    assert_eq!(
        changes[0].notes,
        ["runtime API: weight b/s1 1→50, no reload"]
    );
    let (steps, _) = run(&f).await;
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0].status, StepStatus::Applied, "{steps:?}");
    assert!(steps[0].message.contains("without reload"), "{steps:?}");
    assert!(
        steps[0].notes[0].contains("HAProxy not running here"),
        "{steps:?}"
    );
    assert_eq!(reload_order(&f), "", "no reload command ran");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), cfg(50));
    assert_eq!(
        std::fs::read_to_string(format!("{path}.agent-prev")).unwrap(),
        cfg(1)
    );
    assert!(!std::path::Path::new(&format!("{path}.agent-pending")).exists());
}
