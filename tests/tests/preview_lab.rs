//! The PR preview on the lab (`agent diff --rev PR --base main --output markdown`),
//! one lab (three workers, the sample converged with w1 and w2 only), scenarios in turn:
//!
//! 1. a branch that adds a worker (w3, up in the lab, not in main's inventory) and
//!    changes a route: the comment names the standby balancer before the VIP holder,
//!    has both balancers' hunks (the new server) and the gateway's hunk, the inventory
//!    diff, no plaintext secret — and w3's sshd saw no connection at all (its log,
//!    `LogLevel VERBOSE`, logs every TCP connection), while ha1's did (the control);
//! 2. the same with a hand edit on ha1: the drift is shown apart from the PR's change;
//! 3. `--output json` carries the same;
//! 4. a branch that does not load: its errors in the same Markdown form, exit 2.

use agent_tests::agent_cli::{Agent, DesiredRepo};
use agent_tests::sample::load_sample;
use agent_tests::{lab_or_skip, Lab};

const SSHD_LOG: &str = "/var/log/sshd.log";
const HAPROXY_CFG: &str = "/etc/haproxy/haproxy.cfg";

/// The `<details>` section titled `title` (its whole text).
fn section<'a>(md: &'a str, title: &str) -> &'a str {
    let start = md
        .find(&format!("{title}</b>"))
        .unwrap_or_else(|| panic!("no section {title}:\n{md}"));
    let end = md[start..].find("</details>").unwrap() + start;
    &md[start..end]
}

fn log_lines(lab: &Lab, host: &str) -> usize {
    lab.exec_ok(host, &format!("cat {SSHD_LOG} 2>/dev/null || true"))
        .unwrap()
        .lines()
        .count()
}

#[test]
fn pr_preview_shows_order_hunks_drift_and_never_contacts_new_hosts() {
    let lab = lab_or_skip!(Lab::fresh_with_workers(3));
    let repo = DesiredRepo::from_sample();
    let agent = Agent::hosts_only(&lab.agent_config(), &repo);
    let a = agent.apply();
    assert_eq!(a.code, Some(0), "main converges first: {a}");
    let holder = lab
        .locate("vip")
        .or_else(|| lab.locate("haproxy"))
        .expect("the VIP runs after converging");
    let standby = if holder == "ha1" { "ha2" } else { "ha1" };

    // The PR: one worker more, one route changed.
    repo.git(&["checkout", "-q", "-b", "pr"]);
    repo.edit("inventory.yaml", |t| {
        format!("{t}    - name: w3\n      address: 10.77.0.23\n      roles: [worker]\n")
    });
    repo.edit("gateway/gateway.yaml", |t| {
        let n = t.replace(
            "upstream: http://10.77.0.100/auth\n",
            "upstream: http://10.77.0.100/auth/v2\n",
        );
        assert_ne!(n, t, "the route is in the sample");
        n
    });
    repo.commit("add w3, move /auth");
    repo.git(&["checkout", "-q", "main"]);

    let (w3_before, ha1_before) = (log_lines(&lab, "w3"), log_lines(&lab, "ha1"));
    let preview = |extra: &[&str]| {
        let mut args = vec!["--rev", "pr", "--base", "main"];
        args.extend_from_slice(extra);
        agent.run("diff", &args)
    };
    let r = preview(&["--output", "markdown"]);
    assert_eq!(r.code, Some(1), "the PR changes things: {r}");
    let md = &r.stdout;
    eprintln!("{md}");
    assert!(md.starts_with("<!-- agent-preview -->"), "{md}");
    assert!(md.chars().count() <= 65_536);
    // The HA order: the standby first.
    let order = md
        .lines()
        .find(|l| l.starts_with("**Rollout order**"))
        .expect(md);
    let (s, h) = (
        order.find(&format!("balancer {standby}")).expect(order),
        order.find(&format!("balancer {holder}")).expect(order),
    );
    assert!(
        s < h,
        "the node not holding the VIP ({holder}) goes first: {order}"
    );
    assert!(
        md.find(&format!("balancer {standby}</b>")) < md.find(&format!("balancer {holder}</b>"))
    );
    // Both balancers' hunks and the gateway's.
    for lb in ["ha1", "ha2"] {
        let sec = section(md, &format!("balancer {lb}"));
        assert!(sec.contains("+    server w3 10.77.0.23:30080"), "{sec}");
        assert!(sec.contains(HAPROXY_CFG), "{sec}");
    }
    let gw = section(md, "gateway gw");
    assert!(
        gw.lines()
            .any(|l| l.starts_with('+') && l.contains("http://10.77.0.100/auth/v2")),
        "{gw}"
    );
    assert!(md.contains("| balancer | "), "{md}");
    assert!(md.contains("| gateway | gw |"), "{md}");
    // The inventory: w3 added, not contacted.
    assert!(md.contains("w3: added — not contacted"), "{md}");
    assert!(
        !md.contains("Drift on the live side"),
        "main is converged: {md}"
    );
    // No plaintext secret.
    let secrets = load_sample().secrets;
    assert!(!secrets.is_empty());
    for s in &secrets {
        for line in s
            .lines()
            .map(str::trim)
            .filter(|l| l.len() >= 8 && !l.starts_with("-----"))
        {
            assert!(
                !md.contains(line) && !r.stderr.contains(line),
                "a secret leaked"
            );
        }
    }
    // Nobody knocked on w3; ha1 was asked (the control that the log records connections).
    // (The lab itself logged in once when it brought w3 up: only new lines count.)
    let w3_log = lab
        .exec_ok("w3", &format!("cat {SSHD_LOG} 2>/dev/null || true"))
        .unwrap();
    let new: Vec<&str> = w3_log.lines().skip(w3_before).collect();
    assert!(new.is_empty(), "w3 was contacted: {new:?}");
    assert!(
        log_lines(&lab, "ha1") > ha1_before,
        "ha1's sshd logs connections"
    );

    // 2. A hand edit on ha1: drift, shown apart.
    lab.exec_ok(
        "ha1",
        &format!("sed -i 's/timeout client 50s/timeout client 55s/' {HAPROXY_CFG}"),
    )
    .unwrap();
    let r = preview(&["--output", "markdown"]);
    assert_eq!(r.code, Some(1), "{r}");
    let md = &r.stdout;
    assert!(
        md.contains("Drift on the live side, not part of this PR"),
        "{md}"
    );
    let ha1 = section(md, "balancer ha1");
    let pr = ha1.find("What this PR changes (base → PR)").expect(ha1);
    let drift = ha1.find("Drift, not from this PR").expect(ha1);
    assert!(
        ha1[pr..drift].contains("+    server w3 10.77.0.23:30080"),
        "{ha1}"
    );
    assert!(
        !ha1[pr..drift].contains("55s"),
        "the PR's part has no hand edit: {ha1}"
    );
    assert!(ha1[drift..].contains("-    timeout client 55s"), "{ha1}");
    assert!(!section(md, "balancer ha2").contains("Drift"), "{md}");

    // 3. JSON: the same data.
    let j = preview(&["--output", "json"]);
    assert_eq!(j.code, Some(1), "{j}");
    let v = j.json();
    assert_eq!(v["base"]["reference"], "main");
    assert_eq!(v["inventory"]["notContacted"], serde_json::json!(["w3"]));
    let hosts: Vec<&str> = v["order"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["target"] == "balancer")
        .map(|s| s["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, [standby, holder.as_str()]);
    let drifted: Vec<&serde_json::Value> = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["objects"].as_array().unwrap())
        .filter(|o| o["drifted"] == true)
        .collect();
    assert_eq!(drifted.len(), 1, "{v}");
    assert_eq!(log_lines(&lab, "w3"), w3_before, "w3 was never contacted");

    // 4. A PR that does not load: the errors, in the comment's form.
    repo.git(&["checkout", "-q", "-b", "bad", "pr"]);
    repo.edit("inventory.yaml", |t| {
        t.replace("roles: [worker]\n", "roles: [worker]\n      colour: blue\n")
    });
    repo.commit("a typo");
    repo.git(&["checkout", "-q", "main"]);
    let r = agent.run(
        "diff",
        &["--rev", "bad", "--base", "main", "--output", "markdown"],
    );
    assert_eq!(r.code, Some(2), "{r}");
    assert!(r.stdout.contains("does not validate"), "{r}");
    assert!(r.stdout.contains("| `inventory.yaml:"), "{r}");
    assert!(r.stdout.contains("colour"), "{r}");
}
