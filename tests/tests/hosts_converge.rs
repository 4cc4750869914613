//! End to end on a fresh lab, every target including workloads (against the Kubernetes
//! API double): `agent diff` shows what is missing (exit 1), `agent apply` converges
//! (VIP up, a request through gw → VIP → HAProxy → worker answers), `agent diff` is in
//! sync (exit 0), and a second `agent apply` changes and reloads nothing.
//! Skipped (with a message) when not root or without namespaces; CI runs it.

use agent_tests::agent_cli::{curl_gateway, host_file, Agent, ApiDouble, DesiredRepo};
use agent_tests::{lab_or_skip, Lab};

const HAPROXY_CFG: &str = "/etc/haproxy/haproxy.cfg";
const SITE: &str = "/etc/apache2/sites-enabled/agent-apps.conf";

/// Everything a reload or rewrite would change on the hosts.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    /// HAProxy's pid on the node running it (a reload replaces it).
    haproxy_pid: String,
    /// Apache's graceful restarts so far, counted in its error log.
    apache_graceful: usize,
    /// Apache's parent pid (a full restart replaces it; its children are not compared:
    /// the event MPM starts and reaps idle children by itself, reload or not).
    apache_parent: String,
    /// inode and mtime of each managed file (a rewrite changes them).
    files: Vec<String>,
    /// admin_epoch and epoch of the CIB (any configuration change bumps them).
    cib_epoch: (String, String),
}

fn fingerprint(lab: &Lab, holder: &str) -> Fingerprint {
    let haproxy_pid = lab
        .exec_ok(holder, "cat /run/haproxy.pid")
        .unwrap()
        .trim()
        .to_string();
    let apache_graceful = lab
        .exec_ok("gw", "cat /var/log/apache2/error.log || true")
        .unwrap()
        .lines()
        .filter(|l| l.contains("graceful restart"))
        .count();
    let apache_parent = lab
        .exec_ok("gw", "cat /run/apache2/apache2.pid")
        .unwrap()
        .trim()
        .to_string();
    let mut files = vec![];
    for (host, path) in [("ha1", HAPROXY_CFG), ("ha2", HAPROXY_CFG), ("gw", SITE)] {
        files.push(format!(
            "{host}:{}",
            lab.exec_ok(host, &format!("stat -c '%i %Y' {path}"))
                .unwrap()
                .trim()
        ));
    }
    let cib = lab.exec_ok("ha1", "cibadmin -Q | head -n 1").unwrap();
    let attr = |name: &str| {
        cib.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_else(|| panic!("no {name} in {cib}"))
            .to_string()
    };
    Fingerprint {
        haproxy_pid,
        apache_graceful,
        apache_parent,
        files,
        cib_epoch: (attr("admin_epoch"), attr("epoch")),
    }
}

#[test]
fn fresh_lab_diff_apply_in_sync_and_idempotent() {
    let lab = lab_or_skip!(Lab::fresh());
    let repo = DesiredRepo::from_sample();
    let api = ApiDouble::start();
    let mut agent = Agent::hosts_only(&lab.agent_config(), &repo);
    agent.targets.clear(); // every target, workloads included
    agent.kubeconfig = Some(api.kubeconfig().to_path_buf());

    // 1. The audit of a fresh lab: every managed config is missing or stock.
    let d = agent.diff();
    assert_eq!(
        d.code,
        Some(1),
        "diff on a fresh lab must find differences: {d}"
    );
    for want in [
        "+ gateway /etc/apache2/sites-enabled/agent-apps.conf (create)",
        // The repo's TLS pair replaces the one the lab generated.
        "~ gateway /etc/ssl/lab/gw.crt (update)",
        "~ gateway /etc/ssl/lab/gw.key (update)",
        "~ balancer /etc/haproxy/haproxy.cfg (update)",
        "+ cluster vip (create)",
        "+ cluster haproxy (create)",
        "+ workloads Deployment/web/web (create)",
    ] {
        assert!(d.stdout.contains(want), "diff lacks {want:?}: {d}");
    }
    for host in ["gw\n", "ha1\n", "ha2\n"] {
        assert!(d.stdout.contains(host), "diff has no section {host:?}: {d}");
    }
    assert!(
        d.stdout.contains("+    balance roundrobin"),
        "the diff shows the desired haproxy.cfg lines: {d}"
    );
    assert!(lab.locate("vip").is_none(), "fresh lab has no VIP yet");

    // 2. apply converges: balancers, cluster (VIP + HAProxy), gateway, workloads.
    let a = agent.apply();
    assert_eq!(a.code, Some(0), "apply must converge: {a}");
    assert!(a.stdout.contains("converged:"), "{a}");
    assert!(
        a.stderr.contains("[1/2] balancer") && a.stderr.contains("[2/2] balancer"),
        "rollout progress shows both balancers one after the other: {a}"
    );
    let holder = lab.locate("vip").expect("the VIP runs after apply");
    let addrs = lab.exec_ok(&holder, "ip -o -4 addr show dev eth0").unwrap();
    assert!(addrs.contains(" 10.77.0.100/24"), "{holder}: {addrs}");
    assert_eq!(lab.locate("haproxy").as_deref(), Some(holder.as_str()));
    let (ok, code, body) = curl_gateway("/app/");
    assert!(
        ok && code == 200,
        "gw → VIP → HAProxy → worker: {code} {body}"
    );
    assert!(
        body.starts_with("host=w") && body.contains("path=/app/"),
        "a worker answered: {body}"
    );
    let rendered = agent.rendered_files(&repo.head());
    for ((host, path), content) in &rendered {
        assert_eq!(
            host_file(&lab, host, path).as_deref(),
            Some(content.as_str()),
            "{host}:{path} holds the rendered file"
        );
    }
    let modes = lab
        .exec_ok(
            "gw",
            "stat -c '%a %U' /etc/ssl/lab/gw.crt /etc/ssl/lab/gw.key",
        )
        .unwrap();
    assert_eq!(
        modes, "644 root\n600 root\n",
        "TLS certificate and key modes"
    );

    // 3. In sync.
    let d = agent.diff();
    assert_eq!(d.code, Some(0), "diff after apply must be in sync: {d}");
    assert!(d.stdout.contains("Summary: in sync"), "{d}");

    // 4. A second apply changes and reloads nothing.
    let before = fingerprint(&lab, &holder);
    let a = agent.apply();
    assert_eq!(a.code, Some(0), "{a}");
    assert!(a.stdout.contains("in sync: nothing to apply"), "{a}");
    assert!(!a.stderr.contains("applying"), "no host was touched: {a}");
    let after = fingerprint(&lab, &holder);
    assert_eq!(before, after, "a no-op apply reloaded or rewrote something");
    eprintln!(
        "second apply: nothing changed, {:.1} s",
        a.elapsed.as_secs_f64()
    );
}
