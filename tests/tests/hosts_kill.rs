//! kill -9 of `agent apply` at seeded random moments: after every kill each managed file
//! on every host is either the old or the new render (sha256), never a partial one, and
//! the next apply converges (docs/architecture.md, safety rule 6).
//!
//! Two commits A (the sample) and B (balance algorithm and a gateway timeout changed, so
//! every host's file differs); each round applies the other one and kills the agent
//! somewhere in its run. `AGENT_KILL_SEED` replays a run; `AGENT_KILL_ROUNDS` sets the count.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use agent_tests::agent_cli::{Agent, DesiredRepo};
use agent_tests::{lab_or_skip, Lab};

/// xorshift64*: a small, seeded, reproducible source of kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

type Files = BTreeMap<(String, String), String>;

fn sha(text: &str) -> String {
    use std::io::Write;
    let mut c = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    c.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// sha256 of every managed file as it is on its host now (empty string when missing).
fn live_hashes(lab: &Lab, files: &Files) -> BTreeMap<(String, String), String> {
    files
        .keys()
        .map(|(host, path)| {
            let h = lab
                .exec_ok(host, &format!("sha256sum < '{path}' 2>/dev/null || true"))
                .unwrap();
            let h = h.split_whitespace().next().unwrap_or("").to_string();
            ((host.clone(), path.clone()), h)
        })
        .collect()
}

#[test]
fn kill_9_at_random_moments_leaves_old_or_new_never_partial() {
    let lab = lab_or_skip!(Lab::shared());
    let repo = DesiredRepo::from_sample();
    let agent = Agent::hosts_only(&lab.agent_config(), &repo);
    let a_rev = repo.head();
    repo.edit("balancer/haproxy.yaml", |t| {
        t.replacen("balance: roundrobin", "balance: leastconn", 1)
    });
    repo.edit("gateway/gateway.yaml", |t| {
        t.replace("timeout: 60", "timeout: 90")
    });
    let b_rev = repo.commit("leastconn, longer gateway timeouts");
    let render_a = agent.rendered_files(&a_rev);
    let render_b = agent.rendered_files(&b_rev);
    // Every managed file may hold A's or B's render; the gateway's TLS certificate and
    // key are the same in both, the site and both haproxy.cfg differ.
    let allowed: BTreeMap<_, (String, String)> = render_a
        .iter()
        .map(|(k, a)| (k.clone(), (sha(a), sha(&render_b[k]))))
        .collect();
    let differing = allowed.values().filter(|(a, b)| a != b).count();
    assert_eq!(
        differing,
        3,
        "the site on gw and haproxy.cfg on ha1 and ha2 differ between the commits: {:?}",
        allowed.keys().collect::<Vec<_>>()
    );

    // Start from A, and time one full apply A → B to spread the kills over it.
    let r = agent.run("apply", &["--rev", &a_rev]);
    assert_eq!(r.code, Some(0), "{r}");
    let r = agent.run("apply", &["--rev", &b_rev]);
    assert_eq!(r.code, Some(0), "{r}");
    // A later apply has less to do (an earlier one got part of the way): aim at the first
    // three quarters of a full one.
    let mut span = (r.elapsed.as_millis() as u64 * 3 / 4).max(50);

    let seed = env_u64("AGENT_KILL_SEED", 0x5eed_a9e7);
    // Kill until `hits` kills landed in a running apply (at most 3× as many rounds): how
    // long an apply takes varies with the machine's load, so the window adapts — a kill
    // that came after the apply had finished shrinks it.
    let hits = env_u64("AGENT_KILL_ROUNDS", 20);
    let max_rounds = hits * 3;
    eprintln!("kill -9: {hits} kills inside an apply wanted, seed {seed:#x} (AGENT_KILL_SEED), window {span} ms");
    let mut rng = Rng(seed | 1);
    let mut revs = [&a_rev, &b_rev].into_iter().cycle();
    let (mut mixed, mut finished) = (0, 0);
    let mut round = 0;
    while round < max_rounds && round - finished < hits {
        round += 1;
        let rev = revs.next().unwrap();
        let delay = Duration::from_millis(rng.below(span));
        let mut child = agent.spawn("apply", &["--rev", rev]);
        let t = Instant::now();
        std::thread::sleep(delay);
        let already_done = child.try_wait().unwrap().is_some();
        child.kill().unwrap_or(()); // SIGKILL
        child.wait().unwrap();
        if already_done {
            finished += 1;
            span = (span * 3 / 4).max(50);
        }
        let live = live_hashes(&lab, &render_a);
        let mut on_new = 0;
        for (k, h) in &live {
            let (a, b) = &allowed[k];
            assert!(
                h == a || h == b,
                "round {round} (kill after {:?}, seed {seed:#x}): {k:?} is neither render: {h}",
                t.elapsed()
            );
            if a != b {
                on_new += usize::from(h == if rev == &b_rev { b } else { a });
            }
        }
        if on_new != 0 && on_new != differing {
            mixed += 1;
        }
    }
    eprintln!("{round} kills: {mixed} left hosts on different commits, {finished} came too late");
    assert!(
        round - finished >= hits,
        "only {} of {round} kills hit a running apply",
        round - finished
    );

    // No SSH master of a killed agent outlives it (the kernel ends them with their parent).
    let key = lab.identity_file().display().to_string();
    let orphans = || {
        let out = std::process::Command::new("pgrep")
            .args(["-f", &format!("ssh -F none -M .*{key}")])
            .output()
            .expect("pgrep runs");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert!(
        agent_tests::wait_until(Duration::from_secs(5), || orphans().is_empty()),
        "ssh masters outlived the killed agents: {}",
        orphans()
    );

    // The next apply finishes whatever was interrupted, including pending reloads.
    let r = agent.run("apply", &["--rev", &b_rev]);
    assert_eq!(r.code, Some(0), "the apply after the kills converges: {r}");
    let d = agent.run("diff", &["--rev", &b_rev]);
    assert_eq!(d.code, Some(0), "{d}");
    for (k, h) in live_hashes(&lab, &render_b) {
        assert_eq!(h, allowed[&k].1, "{k:?}");
    }
    // HAProxy serves the new config: the running process was reloaded after the kills.
    let holder = lab.locate("haproxy").expect("HAProxy runs");
    let pending = lab
        .exec_ok(&holder, "ls /etc/haproxy/ | grep -c agent-pending || true")
        .unwrap();
    assert_eq!(pending.trim(), "0", "no reload left pending on {holder}");
}
