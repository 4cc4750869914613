//! Issue #12 in the lab: a platform configured by hand is adopted with `agent import`.
//!
//! `tests/lab/import-fixture/configure.sh` configures gw, ha1, ha2 and the CIB with its
//! own hand-written files (comments, an `Include` with CRLF lines, `<IfModule>`, a
//! `<Location>`, `RewriteRule [P]`, a redirect vhost; `defaults` with `default-server`,
//! ACLs with `use_backend`, a stats page with a password, an extra `listen`; a CIB with
//! its own ids and a location rule), not the agent's renders. Then:
//! 1. `agent import inventory` writes the inventory, `agent import` writes the repo
//!    (exit 0: everything read, the round trip proven), the stats password encrypted;
//! 2. `agent validate` accepts the repo;
//! 3. `agent diff` reports only formatting ("apply would rewrite 3 files, no directive
//!    changes"), nothing in the cluster;
//! 4. `agent apply` under two probes (through the VIP and through gw) drops no request,
//!    and `agent diff` is then in sync.
//!
//! The lab is restored to its base state afterwards (`restore.sh`: site, snippets,
//! haproxy.cfg, CIB objects). Skipped (with a message) when not root or without namespaces; CI runs it.

use std::time::{Duration, Instant};

use agent_tests::agent_cli::{agent_bin, curl_gateway, Agent, DesiredRepo, Run, Scratch};
use agent_tests::{lab_or_skip, Lab};

const HOSTS: &str = "gw=10.77.0.10,ha1=10.77.0.11,ha2=10.77.0.12,w1=10.77.0.21,w2=10.77.0.22";

/// `tests/lab/import-fixture/NAME`.
fn fixture(name: &str) -> std::path::PathBuf {
    agent_tests::agent_cli::workspace_dir()
        .join("tests/lab/import-fixture")
        .join(name)
}

/// Runs a fixture script against the lab; panics when it fails.
fn script(lab: &Lab, name: &str) {
    let out = std::process::Command::new("bash")
        .arg(fixture(name))
        .env("LAB_STATE", lab.state_dir())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{name} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Puts the lab back to its base state (`restore.sh`), even when the test failed half-way.
struct Restore<'a>(&'a Lab);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let out = std::process::Command::new("bash")
            .arg(fixture("restore.sh"))
            .env("LAB_STATE", self.0.state_dir())
            .output();
        if !out.as_ref().is_ok_and(|o| o.status.success()) {
            eprintln!("restore.sh failed: {out:?}");
        }
    }
}

fn agent(lab: &Lab, args: &[&str]) -> Run {
    let t = Instant::now();
    let out = std::process::Command::new(agent_bin())
        .arg("--config")
        .arg(lab.agent_config())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .expect("agent runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: t.elapsed(),
    }
}

#[test]
fn a_platform_built_by_hand_is_imported_and_applied_without_a_dropped_request() {
    let lab = lab_or_skip!(Lab::fresh());
    let _restore = Restore(&lab);
    let t = Instant::now();
    script(&lab, "configure.sh");
    eprintln!(
        "configured by hand and serving after {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let out = Scratch::new("import");
    let dir = out.path().join("repo");
    let d = dir.to_str().unwrap();
    let inv = agent(&lab, &["import", "inventory", "--hosts", HOSTS, "--out", d]);
    assert_eq!(inv.code, Some(0), "{inv}");
    let parts = [
        "--target", "gateway", "--target", "balancer", "--target", "cluster",
    ];
    let mut args = vec!["import", "--out", d];
    args.extend(parts);
    let imp = agent(&lab, &args);
    eprintln!(
        "import took {:.1} s:\n{}",
        imp.elapsed.as_secs_f64(),
        imp.stdout
    );
    assert_eq!(
        imp.code,
        Some(0),
        "the import is complete and proven: {imp}"
    );
    assert!(
        imp.stdout.contains("round trip: the new repo validates"),
        "{imp}"
    );
    assert!(
        imp.stdout.contains("semantic comparison: no difference"),
        "{imp}"
    );
    assert!(
        imp.stdout
            .contains("line 18: raw: Include /etc/apache2/snippets/forwarded.conf"),
        "{imp}"
    );
    assert!(
        imp.stdout
            .contains("left on host: RequestHeader set X-Forwarded-Proto"),
        "{imp}"
    );
    assert!(
        !imp.stdout.contains("lab-stats-pw"),
        "a secret was printed: {imp}"
    );
    let balancer = std::fs::read_to_string(dir.join("balancer/haproxy.yaml")).unwrap();
    assert!(balancer.contains("password: ENC[AES256_GCM"), "{balancer}");
    assert!(!balancer.contains("lab-stats-pw"), "{balancer}");
    // The hand-written `listen local_health` is typed: a backend with its own binds
    // (rendered back as a `listen` section); its `monitor-uri` stays verbatim.
    assert!(
        balancer.contains("- name: local_health\n      binds:\n        - 127.0.0.1:8405"),
        "{balancer}"
    );
    assert!(balancer.contains("- monitor-uri /ok"), "{balancer}");
    let gateway = std::fs::read_to_string(dir.join("gateway/apps.yaml")).unwrap();
    assert!(gateway.contains("redirectHttp: true"), "{gateway}");
    let config = std::fs::read_to_string(dir.join(".import/agent.yaml")).unwrap();
    for t in ["gateway", "balancer", "cluster", "workloads"] {
        assert!(config.contains(&format!("  {t}: observe\n")), "{config}");
    }

    let v = agent(&lab, &["validate", d]);
    assert_eq!(v.code, Some(0), "the imported repo validates: {v}");

    let repo = DesiredRepo::from_dir(&dir);
    let agent = Agent::hosts_only(&lab.agent_config(), &repo);
    let diff = agent.diff();
    eprintln!("diff:\n{}", diff.stdout);
    assert_eq!(diff.code, Some(1), "the files are rewritten: {diff}");
    assert!(
        diff.stdout
            .contains("apply would rewrite 3 files, no directive changes"),
        "{diff}"
    );
    assert!(
        !diff.stdout.contains("(cluster)\n  ~"),
        "nothing changes in the cluster: {diff}"
    );

    let vip = lab
        .start_probe(
            "http://10.77.0.100/app/",
            Duration::from_secs(12),
            Duration::from_millis(100),
        )
        .unwrap();
    let gw = lab
        .start_probe_with_timeout(
            "https://10.77.0.10/app/",
            Duration::from_secs(12),
            Duration::from_millis(100),
            Duration::from_secs(2),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let apply = agent.apply();
    let (vip, gw) = (vip.wait().unwrap(), gw.wait().unwrap());
    eprintln!(
        "apply {:.1} s; VIP probe {vip}; gw probe {gw}\n{}",
        apply.elapsed.as_secs_f64(),
        apply.stdout
    );
    assert_eq!(apply.code, Some(0), "{apply}");
    for (name, p) in [("VIP", &vip), ("gw", &gw)] {
        assert_eq!(
            p.failed, 0,
            "requests through {name} failed during the first apply: {p}"
        );
        assert!(p.ok >= 60, "too few probe requests through {name}: {p}");
    }
    let again = agent.diff();
    assert_eq!(again.code, Some(0), "in sync after the apply: {again}");
    assert_eq!(curl_gateway("/app/").1, 200);
}
