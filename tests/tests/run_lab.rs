//! `agent run` end to end: the service as a child process against the lab, following a
//! bare repository on the spare worker w3 over `ssh://` (w3 is not in the sample
//! inventory, so powering it off cuts Git and nothing the agent manages). Issue 7's
//! "done when" list, as assertions:
//! - a pushed commit converges on both balancers, and /status shows it applied;
//! - a hand edit on ha2 is corrected by a drift cycle (the corrective counter moves);
//! - with the balancer policy `observe`, drift and a new commit are reported, not written;
//! - the Git host powered off for ≥ 3 cycles: the last commit stays enforced, the fetch
//!   error is reported, and after `restore` a new commit is picked up;
//! - a force-push is refused and reported, the previous commit stays enforced;
//! - SIGTERM during a real apply: exit 0 after the running host step, every managed file
//!   is the old or the new render, no temp files, `haproxy -c` passes; a restart converges.
//!
//! Each test gets a fresh lab with three workers (the fixture serialises them). Waits have
//! generous deadlines; what is asserted is the state reached, never how fast.

use std::time::Duration;

use agent_tests::agent_cli::{host_file, live_files as live, Agent, ApiDouble, Files};
use agent_tests::git_server::GitServer;
use agent_tests::run_agent::{RunAgent, RunOptions};
use agent_tests::{lab_or_skip, wait_until, Lab};

const HAPROXY_CFG: &str = "/etc/haproxy/haproxy.cfg";
const GIT_HOST: &str = "w3";
const DEADLINE: Duration = Duration::from_secs(120);
const CORRECTIVE: &str = "agent_changes_applied_total{target=\"balancer\",cause=\"corrective\"}";

struct Setup {
    api: ApiDouble,
    git: GitServer,
    /// `agent render` of the local clone, to know each commit's files.
    cli: Agent,
}

fn setup(lab: &Lab) -> Setup {
    let api = ApiDouble::start();
    let git = GitServer::start(lab, GIT_HOST);
    let cli = Agent::hosts_only(&lab.agent_config(), git.local());
    Setup { api, git, cli }
}

impl Setup {
    fn opts(&self) -> RunOptions {
        RunOptions::new(&self.git.url(), self.api.kubeconfig())
    }
    /// Sets HAProxy's `timeout client` (both balancers) and commits; returns the commit.
    fn commit_client_timeout(&self, secs: u32) -> String {
        self.git.local().edit("balancer/haproxy.yaml", |t| {
            t.lines()
                .map(|l| match l.strip_prefix("      client: ") {
                    Some(_) => format!("      client: {secs}s"),
                    None => l.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        });
        self.git.local().commit(&format!("timeout client {secs}s"))
    }
    fn files(&self, commit: &str) -> Files {
        self.cli.rendered_files(commit)
    }
}

fn balancers(files: &Files) -> Files {
    files
        .iter()
        .filter(|((h, p), _)| (h == "ha1" || h == "ha2") && p == HAPROXY_CFG)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn str_at<'a>(v: &'a serde_json::Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// Waits until /status shows `commit` applied; panics with the status and log otherwise.
fn wait_applied(run: &RunAgent, commit: &str) {
    let ok = wait_until(DEADLINE, || {
        str_at(&run.status(), &["commitApplied"]) == Some(commit)
    });
    assert!(
        ok,
        "commit {commit} never applied; status: {:#}\nlog:\n{}",
        run.status(),
        run.log()
    );
}

/// Waits until every file in `want` is live on its host.
fn wait_files(lab: &Lab, run: &RunAgent, want: &Files) {
    let ok = wait_until(DEADLINE, || live(lab, want) == *want);
    assert!(
        ok,
        "hosts never held the commit's files; log:\n{}",
        run.log()
    );
}

/// Waits until the agent has finished `n` more cycles (the histogram's count).
fn wait_cycles(run: &RunAgent, n: f64) {
    let count = |r: &RunAgent| r.metric("agent_cycle_duration_seconds_count");
    let start = count(run);
    assert!(
        wait_until(DEADLINE, || count(run) >= start + n),
        "the agent stopped cycling; log:\n{}",
        run.log()
    );
}

fn hand_edit_ha2(lab: &Lab) {
    lab.exec_ok(
        "ha2",
        &format!("sed -i 's/^    timeout client .*/    timeout client 99s/' {HAPROXY_CFG}"),
    )
    .unwrap();
    let now = host_file(lab, "ha2", HAPROXY_CFG).unwrap();
    assert!(
        now.contains("timeout client 99s"),
        "the hand edit took: {now}"
    );
}

/// Hand-edits ha2's haproxy.cfg and waits until a drift cycle has put `want` back: the
/// files are right again and the corrective counter moved (it is recorded at the end of
/// the cycle, after the file is fixed).
fn hand_edit_ha2_until_corrected(lab: &Lab, run: &RunAgent, want: &Files) {
    let corrective = run.metric(CORRECTIVE);
    hand_edit_ha2(lab);
    let counted = wait_until(DEADLINE, || run.metric(CORRECTIVE) > corrective);
    assert!(
        counted,
        "no corrective change counted:\n{}\n{}",
        run.metrics(),
        run.log()
    );
    assert_eq!(live(lab, want), *want, "ha2 corrected; log:\n{}", run.log());
}

#[test]
fn pushed_commit_converges_and_a_hand_edit_is_corrected_by_a_drift_cycle() {
    let lab = lab_or_skip!(Lab::fresh_with_workers(3));
    let s = setup(&lab);
    let run = RunAgent::start(&lab, &s.opts());
    wait_applied(&run, &s.git.head());

    let c1 = s.commit_client_timeout(51);
    s.git.push();
    let want = balancers(&s.files(&c1));
    assert!(want.values().all(|f| f.contains("timeout client 51s")));
    wait_files(&lab, &run, &want);
    wait_applied(&run, &c1);
    let st = run.status();
    assert_eq!(str_at(&st, &["commitSeen"]), Some(c1.as_str()), "{st:#}");
    assert_eq!(
        str_at(&st, &["targets", "balancer", "sync"]),
        Some("synced")
    );
    assert!(
        run.metric("agent_changes_applied_total{target=\"balancer\",cause=\"intentional\"}") >= 2.0,
        "{}",
        run.metrics()
    );

    hand_edit_ha2_until_corrected(&lab, &run, &want);
    assert!(
        run.log().lines().any(|l| l.contains("change applied")
            && l.contains("\"cause\":\"corrective\"")
            && l.contains("\"host\":\"ha2\"")),
        "one log line names the corrective change on ha2:\n{}",
        run.log()
    );
}

#[test]
fn observe_reports_drift_and_a_new_commit_without_writing() {
    let lab = lab_or_skip!(Lab::fresh_with_workers(3));
    let s = setup(&lab);
    let head = s.git.head();
    let a = s.cli.apply();
    assert_eq!(a.code, Some(0), "the sample converges first: {a}");
    let mut opts = s.opts();
    opts.balancer_policy = "observe".into();
    let run = RunAgent::start(&lab, &opts);
    wait_applied(&run, &head);

    hand_edit_ha2(&lab);
    let drifted = wait_until(DEADLINE, || {
        let st = run.status();
        str_at(&st, &["targets", "balancer", "sync"]) == Some("drifted")
    });
    let st = run.status();
    assert!(drifted, "drift never reported: {st:#}\n{}", run.log());
    let drift = &st["targets"]["balancer"]["drift"];
    assert_eq!(drift.as_array().map(Vec::len), Some(1), "{st:#}");
    assert_eq!(str_at(&drift[0], &["host"]), Some("ha2"), "{st:#}");
    assert_eq!(str_at(&drift[0], &["object"]), Some(HAPROXY_CFG), "{st:#}");
    assert_eq!(
        run.metric("agent_drift_objects{target=\"balancer\"}"),
        1.0,
        "{}",
        run.metrics()
    );
    wait_cycles(&run, 3.0);
    let ha2 = host_file(&lab, "ha2", HAPROXY_CFG).unwrap();
    assert!(
        ha2.contains("timeout client 99s"),
        "observe corrected it: {ha2}"
    );
    assert_eq!(run.metric(CORRECTIVE), 0.0, "{}", run.metrics());

    // A new commit: seen and desired, never written to the balancers.
    let ha1_before = host_file(&lab, "ha1", HAPROXY_CFG).unwrap();
    let c1 = s.commit_client_timeout(52);
    s.git.push();
    let seen = wait_until(DEADLINE, || {
        str_at(&run.status(), &["commitDesired"]) == Some(c1.as_str())
    });
    assert!(seen, "the new commit was not seen:\n{}", run.log());
    wait_cycles(&run, 2.0);
    let st = run.status();
    assert_ne!(str_at(&st, &["commitApplied"]), Some(c1.as_str()), "{st:#}");
    assert_eq!(
        str_at(&st, &["targets", "balancer", "sync"]),
        Some("drifted")
    );
    assert_eq!(
        st["targets"]["balancer"]["drift"].as_array().map(Vec::len),
        Some(2),
        "both balancers differ from the new commit: {st:#}"
    );
    assert_eq!(host_file(&lab, "ha1", HAPROXY_CFG).unwrap(), ha1_before);
    assert!(host_file(&lab, "ha2", HAPROXY_CFG)
        .unwrap()
        .contains("timeout client 99s"));
    assert_eq!(
        run.metric("agent_changes_applied_total{target=\"balancer\",cause=\"intentional\"}"),
        0.0,
        "{}",
        run.metrics()
    );
}

#[test]
fn git_host_down_keeps_enforcing_reports_and_recovers() {
    let lab = lab_or_skip!(Lab::fresh_with_workers(3));
    let s = setup(&lab);
    let mut run = RunAgent::start(&lab, &s.opts());
    let head = s.git.head();
    wait_applied(&run, &head);
    let want = balancers(&s.files(&head));

    let source_errors = "agent_errors_total{target=\"source\"}";
    let before = run.metric(source_errors);
    lab.poweroff(GIT_HOST).unwrap();
    let failed = wait_until(DEADLINE, || run.metric(source_errors) >= before + 3.0);
    assert!(failed, "three failed fetches expected:\n{}", run.log());
    let st = run.status();
    let err = str_at(&st, &["sourceError", "message"]).unwrap_or_default();
    assert!(
        err.contains("source"),
        "the fetch error is reported: {st:#}"
    );
    assert_eq!(str_at(&st, &["commitApplied"]), Some(head.as_str()));

    // Still enforcing the last applied commit while Git is down.
    hand_edit_ha2_until_corrected(&lab, &run, &want);
    assert!(run.exited().is_none(), "the agent died:\n{}", run.log());

    lab.restore(GIT_HOST).unwrap();
    let c1 = s.commit_client_timeout(53);
    s.git.push();
    wait_applied(&run, &c1);
    wait_files(&lab, &run, &balancers(&s.files(&c1)));
    assert_eq!(run.status()["sourceError"], serde_json::Value::Null);
}

#[test]
fn a_force_push_is_refused_and_the_previous_commit_stays_enforced() {
    let lab = lab_or_skip!(Lab::fresh_with_workers(3));
    let s = setup(&lab);
    let run = RunAgent::start(&lab, &s.opts());
    let c1 = s.commit_client_timeout(54);
    s.git.push();
    wait_applied(&run, &c1);
    let want = balancers(&s.files(&c1));
    wait_files(&lab, &run, &want);

    // Rewrite history: c1 is replaced by a sibling.
    s.git.local().git(&["reset", "-q", "--hard", "HEAD~1"]);
    let rewritten = s.commit_client_timeout(55);
    s.git.force_push();
    assert_eq!(s.git.head(), rewritten);
    let refused = wait_until(DEADLINE, || {
        str_at(&run.status(), &["sourceError", "message"])
            .is_some_and(|m| m.contains("force-push refused"))
    });
    let st = run.status();
    assert!(refused, "the force-push is reported: {st:#}\n{}", run.log());
    assert!(
        str_at(&st, &["lastError", "message"]).is_some_and(|m| m.contains(&rewritten)),
        "{st:#}"
    );
    assert_eq!(str_at(&st, &["commitSeen"]), Some(rewritten.as_str()));
    assert_eq!(str_at(&st, &["commitApplied"]), Some(c1.as_str()));
    wait_cycles(&run, 2.0);
    assert_eq!(live(&lab, &want), want, "the rewritten commit went live");
    // And c1 is still enforced against drift.
    hand_edit_ha2_until_corrected(&lab, &run, &want);
}

#[test]
fn sigterm_during_an_apply_leaves_no_half_applied_host_and_a_restart_converges() {
    let lab = lab_or_skip!(Lab::fresh_with_workers(3));
    let s = setup(&lab);
    let opts = s.opts();
    let mut run = RunAgent::start(&lab, &opts);
    let c0 = s.git.head();
    wait_applied(&run, &c0);
    let old = s.files(&c0);

    s.git.local().edit("gateway/gateway.yaml", |t| {
        t.replace("timeout: 60", "timeout: 61")
    });
    let c1 = s.commit_client_timeout(56);
    let new = s.files(&c1);
    assert_eq!(
        old.keys().collect::<Vec<_>>(),
        new.keys().collect::<Vec<_>>()
    );
    let changed: Vec<_> = old.keys().filter(|k| old[*k] != new[*k]).collect();
    assert!(
        changed.iter().any(|(h, _)| h == "gw")
            && changed.iter().filter(|(h, _)| h.starts_with("ha")).count() == 2,
        "the commit changes the gateway and both balancers: {changed:?}"
    );

    let mark = run.log().len();
    s.git.push();
    let started = wait_until(DEADLINE, || {
        run.log()[mark..].lines().any(|l| l.contains(": applying "))
    });
    assert!(started, "no host step started:\n{}", run.log());
    run.terminate();
    let st = run.wait_exit(Duration::from_secs(60));
    assert_eq!(
        st.and_then(|s| s.code()),
        Some(0),
        "exit after SIGTERM:\n{}",
        run.log()
    );
    let log = run.log();
    assert!(log.contains("stop requested"), "{log}");

    let now = live(&lab, &old);
    for (k, v) in &now {
        assert!(
            *v == old[k] || *v == new[k],
            "{}:{} is neither the old nor the new render:\n{v}",
            k.0,
            k.1
        );
    }
    for h in ["gw", "ha1", "ha2"] {
        let left = lab
            .exec_ok(
                h,
                "find /etc/haproxy /etc/apache2 \\( -name '*.agent-pending' -o -name '*.agent-new' -o -name '*.tmp' \\) 2>/dev/null",
            )
            .unwrap();
        assert_eq!(left.trim(), "", "{h}: leftovers");
    }
    for h in ["ha1", "ha2"] {
        lab.exec_ok(h, &format!("haproxy -c -q -f {HAPROXY_CFG}"))
            .unwrap_or_else(|e| panic!("{h}: haproxy -c: {e}"));
    }
    let partial = now != new;
    eprintln!(
        "after SIGTERM: {} of {} managed files at the new render (stopped mid-rollout: {partial})",
        now.iter().filter(|(k, v)| **v == new[*k]).count(),
        now.len()
    );

    run.restart();
    wait_applied(&run, &c1);
    wait_files(&lab, &run, &new);
}
