//! A full lab run with encrypted secrets in the repo, captured and searched for every
//! plaintext secret value (docs/architecture.md, safety rule 7): `agent validate`, `diff`, `apply`,
//! `diff --output json`, `agent run` for several cycles (its /status, /metrics and
//! state file), `agent status`, and the error paths of a tampered secret, all at
//! debug log level (`RUST_LOG=debug`). Every stdout, stderr, HTTP body and state file
//! is searched for each secret, its base64 and each long line of a multi-line one:
//! 0 hits. Masked markers must appear where a secret changed, so secrets that simply
//! vanished from the output would fail the test too.
//!
//! The repo is `sample-repo/` plus the HAProxy stats password (sops-encrypted inside
//! the Balancer, `encrypted_regex: ^password$`) and a Kubernetes Secret with a
//! password and a PEM key (`encrypted_regex: ^(data|stringData)$`), all encrypted to
//! the lab's DEMO key; any secret `sample-repo/` itself holds encrypted is searched
//! too, among them the gateway's TLS private key (`keyPem`), which apply writes to gw. Skipped (with a message) when not root or without namespaces; CI runs it.

use agent::secrets::sops::Rules;
use agent::secrets::{decrypt_documents, encrypt_document, EncryptOptions, Format, Identity};
use agent_tests::agent_cli::{agent_bin, workspace_dir, Agent, ApiDouble, DesiredRepo, Run};
use agent_tests::capture::{base64, masked_markers, Capture, Needles};
use agent_tests::{lab_or_skip, wait_until, Lab};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STATS_PW_1: &str = "capture-stats-Pa55-1f9c";
const STATS_PW_2: &str = "capture-stats-Pa55-2e7b";
const KC_PW_1: &str = "kc-admin-Capture-9d1f";
const KC_PW_2: &str = "kc-admin-Capture-5a0e";
const TLS_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIcaptureTestOnlyKeyBodyLine1xQz7vW2mN8pR4sT6
uY0aB3cD5eF7gH9iJ1kL3mN5oP7qR9sT1uV3wX5yZ7aB9cD1eF3gH5iJ7kL9mN1o
-----END PRIVATE KEY-----
";
const SECRET_FILE: &str = "workloads/keycloak/secret.yaml";
const BALANCER_FILE: &str = "balancer/haproxy.yaml";

fn demo_identity() -> Identity {
    Identity::from_file(&workspace_dir().join("tests/lab/demo-age-key.txt")).unwrap()
}

fn sops_write(repo: &DesiredRepo, file: &str, doc: &serde_yaml::Value, regex: &str) {
    let opts = EncryptOptions {
        rules: Rules {
            encrypted_regex: Some(regex::Regex::new(regex).unwrap()),
            ..Rules::default()
        },
        lastmodified: None,
    };
    let enc = encrypt_document(doc, &demo_identity().recipients(), &opts, Format::Yaml).unwrap();
    std::fs::write(repo.dir().join(file), enc).unwrap();
}

/// Puts the stats password into the Balancer and writes the Kubernetes Secret, both
/// encrypted to the demo key.
fn set_secrets(repo: &DesiredRepo, stats_pw: &str, kc_pw: &str) {
    let path = repo.dir().join(BALANCER_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut doc: serde_yaml::Value = if agent::secrets::is_sops(&text) {
        decrypt_documents(BALANCER_FILE, &text, &[demo_identity()])
            .unwrap()
            .values
            .remove(0)
    } else {
        serde_yaml::from_str(&text).unwrap()
    };
    doc["spec"]["stats"]["auth"] =
        serde_yaml::from_str(&format!("{{user: admin, password: '{stats_pw}'}}")).unwrap();
    sops_write(repo, BALANCER_FILE, &doc, "^password$");

    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: keycloak-admin, namespace: keycloak}}\n\
         type: Opaque\ndata:\n  password: {}\n  tls.key: {}\n",
        base64(kc_pw.as_bytes()),
        base64(TLS_KEY.as_bytes())
    );
    let doc: serde_yaml::Value = serde_yaml::from_str(&secret).unwrap();
    sops_write(repo, SECRET_FILE, &doc, "^(data|stringData)$");
}

/// Every plaintext the repo's encrypted files hold (decrypted with the demo key), and
/// the cleartexts behind the Secret's base64 `data`.
fn collect_needles(repo: &DesiredRepo, n: &mut Needles) {
    let out = Command::new("git")
        .current_dir(repo.dir())
        .args(["ls-files", "*.yaml", "*.yml"])
        .output()
        .unwrap();
    let mut found = 0;
    let mut gateway_key = false;
    for f in String::from_utf8(out.stdout).unwrap().lines() {
        let text = std::fs::read_to_string(repo.dir().join(f)).unwrap();
        if !agent::secrets::is_sops(&text) && !text.contains("BEGIN AGE ENCRYPTED FILE") {
            continue;
        }
        let docs = decrypt_documents(f, &text, &[demo_identity()]).unwrap();
        for s in docs.secrets {
            gateway_key |=
                f.starts_with("gateway/") && s.starts_with("-----BEGIN PRIVATE KEY-----");
            n.add(&format!("a secret of {f}"), &s);
            found += 1;
        }
    }
    assert!(found >= 3, "the repo holds encrypted secrets");
    // The gateway's TLS key (sample-repo/gateway, keyPem): searched line by line too.
    assert!(
        gateway_key,
        "the gateway's TLS private key is among the secrets"
    );
    for (what, s) in [
        ("stats password 1", STATS_PW_1),
        ("stats password 2", STATS_PW_2),
        ("keycloak password 1", KC_PW_1),
        ("keycloak password 2", KC_PW_2),
        ("TLS key", TLS_KEY),
    ] {
        n.add(what, s);
    }
}

fn record(c: &mut Capture, label: &str, r: &Run) {
    c.add(format!("{label} stdout"), r.stdout.clone());
    c.add(format!("{label} stderr"), r.stderr.clone());
}

fn curl(url: &str) -> String {
    let out = Command::new("curl")
        .args(["-s", "-m", "5", url])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn status_json(state: &Path) -> serde_json::Value {
    std::fs::read_to_string(state.join("status.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// Flips one character of the stats password's ciphertext in the Balancer file (on
/// the file's bytes: `DesiredRepo::edit` would re-encrypt it properly).
fn tamper(repo: &DesiredRepo) {
    let path = repo.dir().join(BALANCER_FILE);
    let t = std::fs::read_to_string(&path).unwrap();
    let at = t
        .find("password: ENC[AES256_GCM,data:")
        .expect("encrypted password")
        + 31;
    let n = if &t[at..at + 1] == "A" { "B" } else { "A" };
    std::fs::write(&path, format!("{}{}{}", &t[..at], n, &t[at + 1..])).unwrap();
}

#[test]
fn a_full_lab_run_at_debug_level_shows_no_plaintext_secret() {
    let lab = lab_or_skip!(Lab::shared());
    let repo = DesiredRepo::from_sample();
    // The sample repo's own secrets (as shipped), then the test's.
    let mut needles = Needles::default();
    collect_needles(&repo, &mut needles);
    set_secrets(&repo, STATS_PW_1, KC_PW_1);
    let c1 = repo.commit("secrets, encrypted to the demo key");
    let api = ApiDouble::start();
    let mut agent = Agent::hosts_only(&lab.agent_config(), &repo);
    agent.targets.clear();
    agent.kubeconfig = Some(api.kubeconfig().to_path_buf());
    let mut cap = Capture::default();
    std::env::set_var("RUST_LOG", "debug");

    // validate (with the key from the lab's config), diff, apply, diff --output json.
    let v = agent_bin();
    let out = Command::new(v)
        .args(["validate", "--config"])
        .arg(lab.agent_config())
        .arg(repo.dir())
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    let validate = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: Duration::ZERO,
    };
    assert_eq!(validate.code, Some(0), "{validate}");
    record(&mut cap, "validate", &validate);

    let d = agent.diff();
    assert_eq!(d.code, Some(1), "{d}");
    assert!(d.stderr.contains("DEBUG"), "debug logs are on: {d}");
    record(&mut cap, "diff before apply", &d);
    let auth_lines: Vec<_> = d
        .stdout
        .lines()
        .filter(|l| l.contains("stats auth"))
        .collect();
    assert!(
        auth_lines.iter().any(|l| l.contains("admin:***")),
        "the new stats auth shows masked: {d}"
    );
    assert!(
        d.stdout.contains("Secret/keycloak/keycloak-admin"),
        "the Secret is in the diff: {d}"
    );

    let a = agent.apply();
    assert_eq!(a.code, Some(0), "{a}");
    record(&mut cap, "apply", &a);
    for h in ["ha1", "ha2"] {
        let mode = lab
            .exec_ok(h, "stat -c %a /etc/haproxy/haproxy.cfg")
            .unwrap();
        assert_eq!(mode.trim(), "600", "{h}: haproxy.cfg holds a secret");
    }
    let j = agent.run("diff", &["--output", "json"]);
    assert_eq!(j.code, Some(0), "in sync after apply: {j}");
    record(&mut cap, "diff json in sync", &j);

    // The secrets change: the diff shows the old and the new value as different masks.
    set_secrets(&repo, STATS_PW_2, KC_PW_2);
    let c2 = repo.commit("rotate the stats and keycloak passwords");
    let d = agent.diff();
    assert_eq!(d.code, Some(1), "{d}");
    record(&mut cap, "diff after rotation", &d);
    let marks: Vec<String> = d
        .stdout
        .lines()
        .filter(|l| l.contains("stats auth"))
        .flat_map(masked_markers)
        .collect();
    assert!(
        marks.len() >= 2 && marks.iter().any(|m| *m != marks[0]),
        "old and new stats password show as two different masks: {d}"
    );
    let j = agent.run("diff", &["--output", "json"]);
    assert_eq!(j.code, Some(1), "{j}");
    record(&mut cap, "diff json after rotation", &j);
    assert!(!masked_markers(&j.stdout).is_empty(), "masks in JSON: {j}");

    // agent run: applies c2, then refuses the tampered c3 and keeps enforcing c2.
    let scratch = agent_tests::agent_cli::Scratch::new("capture-run");
    let state = scratch.path().join("state");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = std::fs::read_to_string(lab.agent_config()).unwrap();
    let config = scratch.path().join("agent.yaml");
    let base: String = base
        .lines()
        .filter(|l| !l.starts_with("stateDir:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        &config,
        format!(
            "{base}stateDir: {}\nrepo: {{url: '{}', branch: main, timeout: 10s}}\n\
             interval: 2s\nlisten: '127.0.0.1:{port}'\nkubeconfig: {}\n",
            state.display(),
            repo.url(),
            api.kubeconfig().display()
        ),
    )
    .unwrap();
    let log = scratch.path().join("run.log");
    let mut child = Command::new(agent_bin())
        .args(["run", "--config"])
        .arg(&config)
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(scratch.path().join("run.out")).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stop = |child: &mut std::process::Child| {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let t = Instant::now();
        while child.try_wait().unwrap().is_none() && t.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    };
    let applied = wait_until(Duration::from_secs(180), || {
        status_json(&state)["commitApplied"] == c2.as_str()
    });
    if !applied {
        stop(&mut child);
        panic!(
            "agent run did not apply {c2}: {}\n{}",
            status_json(&state),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
    let url = format!("http://127.0.0.1:{port}");
    cap.add("/status after c2", curl(&format!("{url}/status")));
    cap.add("/metrics after c2", curl(&format!("{url}/metrics")));
    assert!(cap.texts("/metrics").contains("# TYPE"), "metrics served");

    collect_needles(&repo, &mut needles);
    tamper(&repo);
    let c3 = repo.commit("a tampered secret");
    let refused = wait_until(Duration::from_secs(120), || {
        let s = status_json(&state);
        s["commitSeen"] == c3.as_str() && s["sourceError"].is_object()
    });
    let s = status_json(&state);
    cap.add("/status after c3", curl(&format!("{url}/status")));
    cap.add("/metrics after c3", curl(&format!("{url}/metrics")));
    let st = agent_status(&config, &[]);
    record(&mut cap, "agent status", &st);
    let st = agent_status(&config, &["--output", "json"]);
    record(&mut cap, "agent status json", &st);
    stop(&mut child);
    assert!(refused, "the tampered commit is refused: {s}");
    assert_eq!(s["commitDesired"], c2.as_str(), "c2 stays enforced: {s}");
    assert_eq!(s["commitApplied"], c2.as_str(), "{s}");
    let why = s["sourceError"]["message"].to_string();
    assert!(
        why.contains(BALANCER_FILE) && why.contains("password"),
        "the refusal names the file and the value: {why}"
    );
    cap.add(
        "status.json",
        std::fs::read_to_string(state.join("status.json")).unwrap(),
    );
    cap.add(
        "agent run stdout",
        std::fs::read_to_string(scratch.path().join("run.out")).unwrap(),
    );
    let run_log = std::fs::read_to_string(&log).unwrap();
    assert!(run_log.contains("DEBUG"), "debug logs are on");
    cap.add("agent run stderr", run_log);
    let st = agent_status(&config, &[]);
    record(&mut cap, "agent status (service stopped)", &st);

    // The error paths of the tampered commit from the command line.
    for (label, args) in [
        ("diff", &[][..]),
        ("apply", &[][..]),
        ("diff json", &["--output", "json"][..]),
    ] {
        let cmd = label.split(' ').next().unwrap();
        let r = agent.run(cmd, args);
        assert!(
            r.code != Some(0) && r.code != Some(1),
            "{label} of a tampered repo fails: {r}"
        );
        assert!(
            format!("{}{}", r.stdout, r.stderr).contains(BALANCER_FILE),
            "{label} names the file: {r}"
        );
        record(&mut cap, &format!("{label} tampered"), &r);
    }
    let haproxy =
        agent_tests::agent_cli::host_file(&lab, "ha1", "/etc/haproxy/haproxy.cfg").unwrap();
    assert!(
        haproxy.contains(STATS_PW_2),
        "nothing applied from the tampered commit"
    );
    // The search finds a secret where one is: the live haproxy.cfg (0600) holds it.
    let mut control = Capture::default();
    control.add("ha1 haproxy.cfg", haproxy);
    assert!(!control.leaks(&needles).is_empty(), "the needles match");

    // The search.
    let leaks = cap.leaks(&needles);
    eprintln!(
        "searched {} bytes in {} captured texts for {} secret forms",
        cap.bytes(),
        cap.labels().len(),
        needles.len()
    );
    assert!(
        leaks.is_empty(),
        "plaintext secrets shown:\n{}",
        Capture::report(&leaks)
    );
    let _ = c1;
}

fn agent_status(config: &Path, extra: &[&str]) -> Run {
    let t = Instant::now();
    let out = Command::new(agent_bin())
        .args(["status", "--config"])
        .arg(config)
        .args(extra)
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: t.elapsed(),
    }
}
