//! Two `agent run` on one Lease against the lab (issue 16's "done when"):
//! - exactly one applies (the other, a follower, says who leads in `/status`);
//! - `kill -9` of the leader during a rollout: the follower takes over within the
//!   lease duration + one interval and converges the commit;
//! - no two agents run host steps at the same time (from both logs' timestamps);
//! - a leader cut from the API (its TCP path to the API cut mid-rollout) stops starting
//!   steps within the lease duration; the other takes over and converges.
//!
//! Each agent reaches the API server double through its own [`TcpProxy`], so one can be
//! partitioned alone. Short timings: lease duration 3s, renew 1s, interval 2s. The
//! Lease API itself is tested against a real cluster too (`agent/src/lease/tests.rs`
//! uses the double; `k8s-double/tests/leases.rs` runs against `KUBECONFIG`): the lab
//! needs the double's fixed nodes, so this file always runs against the double.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_tests::agent_cli::{live_files as live, Agent, ApiDouble};
use agent_tests::git_server::GitServer;
use agent_tests::run_agent::{RunAgent, RunOptions};
use agent_tests::tcp_proxy::TcpProxy;
use agent_tests::{lab_or_skip, wait_until, Lab};

const HAPROXY_CFG: &str = "/etc/haproxy/haproxy.cfg";
const DEADLINE: Duration = Duration::from_secs(120);
const DURATION_S: f64 = 3.0;
const INTERVAL_S: f64 = 2.0;

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Unix seconds of an RFC 3339 UTC timestamp (`2026-12-02T07:30:00.123456Z`).
fn unix_of(ts: &str) -> Option<f64> {
    let (date, time) = ts.trim_end_matches('Z').split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.split(':');
    let (h, min, s) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400.0 + h * 3600.0 + min * 60.0 + s)
}

/// (time, message) of every host/CIB/workloads step an agent started, from its JSON log.
fn step_starts(log: &str) -> Vec<(f64, String)> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let msg = v["fields"]["message"].as_str()?.to_string();
            let starts = msg.starts_with('[') && msg.contains(": applying");
            starts.then(|| Some((unix_of(v["timestamp"].as_str()?)?, msg)))?
        })
        .collect()
}

fn role(run: &RunAgent) -> Option<String> {
    run.get("/status")
        .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
        .and_then(|s| s["leadership"]["role"].as_str().map(String::from))
}

fn applied(run: &RunAgent) -> Option<String> {
    run.status()["commitApplied"].as_str().map(String::from)
}

struct Pair {
    api: ApiDouble,
    git: GitServer,
    cli: Agent,
}

impl Pair {
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
        self.git.local().edit("gateway/gateway.yaml", |t| {
            let (from, to) = if t.contains("timeout: 60") {
                ("timeout: 60", "timeout: 61")
            } else {
                ("timeout: 61", "timeout: 60")
            };
            t.replace(from, to)
        });
        self.git.local().commit(&format!("timeout client {secs}s"))
    }

    /// An agent reaching the API through `proxy`, on the shared Lease.
    fn agent(&self, lab: &Lab, proxy: &TcpProxy, who: &str) -> RunAgent {
        let kc = std::fs::read_to_string(self.api.kubeconfig()).unwrap();
        let real = kc
            .lines()
            .find_map(|l| l.trim().strip_prefix("server: "))
            .unwrap()
            .to_string();
        let path = self
            .api
            .kubeconfig()
            .with_file_name(format!("kubeconfig-{who}"));
        std::fs::write(
            &path,
            kc.replace(&real, &format!("http://{}", proxy.addr())),
        )
        .unwrap();
        let mut o = RunOptions::new(&self.git.url(), &path);
        o.interval = format!("{INTERVAL_S}s").replace(".0", "");
        o.extra = format!(
            "leaderElection: {{lease: agent, namespace: agent-ha, duration: 3s, renew: 1s, identity: {who}}}\n"
        );
        RunAgent::start(lab, &o)
    }
}

fn wait_role(run: &RunAgent, want: &str, within: Duration) -> bool {
    wait_until(within, || role(run).as_deref() == Some(want))
}

#[test]
fn two_agents_one_lease_one_writer_takeover_and_partition() {
    let lab = lab_or_skip!(Lab::fresh_with_workers(3));
    let api = ApiDouble::start();
    let git = GitServer::start(&lab, "w3");
    let cli = Agent::hosts_only(&lab.agent_config(), git.local());
    let p = Pair { api, git, cli };
    let upstream: std::net::SocketAddr = p
        .api
        .server()
        .strip_prefix("http://")
        .expect("the double serves plain HTTP")
        .parse()
        .unwrap();
    p.api.create_namespace("agent-ha");
    let (pa, pb) = (TcpProxy::start(upstream), TcpProxy::start(upstream));

    // 1. A starts first and leads; B follows and says who leads.
    let mut a = p.agent(&lab, &pa, "agent-a");
    assert!(
        wait_role(&a, "leader", DEADLINE),
        "A never led:\n{}",
        a.log()
    );
    let c0 = p.git.head();
    assert!(wait_until(DEADLINE, || applied(&a).as_deref() == Some(&c0)));
    let b = p.agent(&lab, &pb, "agent-b");
    assert!(wait_role(&b, "follower", DEADLINE), "{}", b.log());
    let st = b.status();
    assert_eq!(st["leadership"]["holder"], "agent-a", "{st:#}");
    assert_eq!(st["leadership"]["identity"], "agent-b", "{st:#}");

    // Exactly one applies: a new commit goes live through A; B only observes.
    let c1 = p.commit_client_timeout(41);
    p.git.push();
    assert!(wait_until(DEADLINE, || applied(&a).as_deref() == Some(&c1)));
    let want1 = p.cli.rendered_files(&c1);
    assert!(wait_until(DEADLINE, || live(&lab, &want1) == want1));
    // B saw c1 too (it polls), and never applied anything.
    assert!(wait_until(DEADLINE, || b.status()["commitDesired"] == *c1));
    assert!(
        step_starts(&b.log()).is_empty(),
        "B ran steps:\n{}",
        b.log()
    );
    // (B may still report c1 as live: its drift sweep, run after A converged, finds the
    // hosts in sync with c1. What matters is that it started no step.)

    // 2. kill -9 of the leader during a rollout.
    let c2 = p.commit_client_timeout(42);
    let mark = a.log().len();
    p.git.push();
    let started = wait_until(DEADLINE, || {
        a.log()[mark..].lines().any(|l| l.contains(": applying"))
    });
    assert!(started, "A started no step:\n{}", a.log());
    a.kill_9();
    let killed = now_s();
    assert!(
        wait_role(&b, "leader", Duration::from_secs(30)),
        "B never took over:\n{}",
        b.log()
    );
    let took = now_s() - killed;
    eprintln!("takeover after kill -9: {took:.1}s (lease {DURATION_S}s + interval {INTERVAL_S}s)");
    // The bound: the lease's duration, B's own renew period to notice (1s), and the
    // test's polling of /status (0.1s + a curl).
    assert!(
        took <= DURATION_S + INTERVAL_S,
        "takeover took {took:.1}s:\n{}",
        b.log()
    );
    assert!(wait_until(DEADLINE, || applied(&b).as_deref() == Some(&c2)));
    let want2 = p.cli.rendered_files(&c2);
    assert!(wait_until(DEADLINE, || live(&lab, &want2) == want2));
    for h in ["ha1", "ha2"] {
        lab.exec_ok(h, &format!("haproxy -c -q -f {HAPROXY_CFG}"))
            .unwrap_or_else(|e| panic!("{h}: haproxy -c: {e}"));
    }
    // Never two writers: every step A started is before the kill, every step B started
    // is after it (B started none while A led).
    let (sa, sb) = (step_starts(&a.log()), step_starts(&b.log()));
    assert!(!sa.is_empty() && !sb.is_empty());
    assert!(sa.iter().all(|(t, _)| *t <= killed), "{sa:?}");
    assert!(
        sb.iter().all(|(t, _)| *t > killed),
        "B stepped while A led: {sb:?} (kill at {killed})"
    );
    let first_b = sb.iter().map(|(t, _)| *t).fold(f64::MAX, f64::min);
    eprintln!("B's first step {:.1}s after the kill", first_b - killed);

    // 3. A comes back as a follower; then B, leading, is cut from the API mid-rollout.
    a.restart();
    assert!(wait_role(&a, "follower", DEADLINE), "{}", a.log());
    let c3 = p.commit_client_timeout(43);
    let mark_b = b.log().len();
    p.git.push();
    let started = wait_until(DEADLINE, || {
        b.log()[mark_b..].lines().any(|l| l.contains(": applying"))
    });
    assert!(started, "B started no step:\n{}", b.log());
    pb.cut();
    let cut = now_s();
    assert!(
        wait_role(&b, "follower", Duration::from_secs(10)),
        "B still claims to lead after the cut:\n{}",
        b.log()
    );
    let fenced = now_s() - cut;
    eprintln!("B fenced itself {fenced:.1}s after the cut (lease {DURATION_S}s)");
    assert!(fenced <= DURATION_S + 0.5, "{fenced:.1}s");
    // B starts no step once the lease duration after the cut has passed.
    let late: Vec<_> = step_starts(&b.log())
        .into_iter()
        .filter(|(t, _)| *t > cut + DURATION_S)
        .collect();
    assert!(late.is_empty(), "B stepped after the cut: {late:?}");
    // A takes over and converges c3.
    assert!(
        wait_role(&a, "leader", Duration::from_secs(30)),
        "{}",
        a.log()
    );
    assert!(wait_until(DEADLINE, || applied(&a).as_deref() == Some(&c3)));
    let want3 = p.cli.rendered_files(&c3);
    assert!(wait_until(DEADLINE, || live(&lab, &want3) == want3));
    let late: Vec<_> = step_starts(&b.log())
        .into_iter()
        .filter(|(t, _)| *t > cut + DURATION_S)
        .collect();
    assert!(late.is_empty(), "B stepped after the cut: {late:?}");
}

#[test]
fn timestamps_parse() {
    assert_eq!(unix_of("1970-01-02T00:00:01.5Z"), Some(86_401.5));
    assert_eq!(unix_of("2026-12-02T07:30:00Z"), Some(1_796_196_600.0));
}
