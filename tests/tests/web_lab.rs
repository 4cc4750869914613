//! The central view end to end (issue 13's "done when"), on the lab, with a real browser
//! (Debian's chromium, headless) reading the page `agent run` serves:
//! - converged: the page shows the VIP holder (the node crm_resource names) and every
//!   host in sync; `agent diff --via-service` prints exactly what a direct diff prints;
//! - balancer policy `observe` and a hand edit on ha2: the next drift cycle shows ha2
//!   drifted with the hunk (the hand-edited stats password masked);
//! - back to `correct`: the history holds the corrective entry with its diff (API, CLI
//!   and `/history/ID`);
//! - a commit whose rollout fails health checks, and kill -9 of `agent run` during it:
//!   the history opens after the restart, the cut-off cycle is `interrupted`, the next
//!   cycle is recorded, and the page shows the failed rollout; a fix converges again;
//! - every page and API response of the run (and its log, and `agent history`) is
//!   swept for the repo's plaintext secrets and the hand-edited password: none.
//!
//! Screenshots go to `$AGENT_WEB_SCREENSHOTS` (the README's are `docs/web-*.png`).

use agent_tests::agent_cli::{agent_bin, host_file, ApiDouble, DesiredRepo};
use agent_tests::browser::{node_state, Browser};
use agent_tests::capture::{masked_markers, Capture, Needles};
use agent_tests::run_agent::{RunAgent, RunOptions};
use agent_tests::{lab_or_skip, wait_until, Lab};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const CFG: &str = "/etc/haproxy/haproxy.cfg";
const DEADLINE: Duration = Duration::from_secs(120);
const HAND_PW: &str = "HandEdit-Pw-7781";

fn json(run: &RunAgent, path: &str) -> serde_json::Value {
    let body = run
        .get(path)
        .unwrap_or_else(|| panic!("{path} does not answer:\n{}", run.log()));
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

fn wait_for(run: &RunAgent, what: &str, mut ok: impl FnMut() -> bool) {
    assert!(
        wait_until(DEADLINE, &mut ok),
        "timed out waiting for {what}:\n{}",
        run.log()
    );
}

fn set_policy(run: &RunAgent, from: &str, to: &str) {
    let text = std::fs::read_to_string(run.config()).unwrap();
    let new = text.replace(&format!("balancer: {from}"), &format!("balancer: {to}"));
    assert_ne!(text, new);
    std::fs::write(run.config(), new).unwrap();
}

fn needles(repo: &DesiredRepo) -> Needles {
    let mut n = Needles::default();
    let ids = [agent_tests::sops_edit::demo_identity()];
    let files = Command::new("git")
        .current_dir(repo.dir())
        .args(["ls-files", "*.yaml"])
        .output()
        .unwrap();
    for f in String::from_utf8(files.stdout).unwrap().lines() {
        let text = std::fs::read_to_string(repo.dir().join(f)).unwrap();
        if agent::secrets::is_sops(&text) {
            for s in agent::secrets::decrypt_documents(f, &text, &ids)
                .unwrap()
                .secrets
            {
                n.add(&format!("a secret of {f}"), &s);
            }
        }
    }
    assert!(n.len() >= 3, "the sample repo holds encrypted secrets");
    n.add("the hand-edited stats password", HAND_PW);
    n
}

fn shots() -> PathBuf {
    std::env::var_os("AGENT_WEB_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("agent-web-screenshots"))
}

struct View<'a> {
    run: &'a RunAgent,
    browser: Browser,
    capture: Capture,
}

impl View<'_> {
    /// The page through chromium (captured for the sweep).
    fn dom(&mut self, label: &str) -> String {
        let dom = self.browser.dump_dom(&self.run.url("/"));
        self.capture.add(format!("page {label}"), dom.clone());
        dom
    }
    fn api(&mut self, label: &str, path: &str) -> String {
        let body = self
            .run
            .get(path)
            .unwrap_or_else(|| panic!("{path} does not answer"));
        self.capture.add(format!("{label} {path}"), body.clone());
        body
    }
    fn shot(&self, name: &str) {
        let dir = shots();
        std::fs::create_dir_all(&dir).unwrap();
        let p = self
            .browser
            .screenshot(&self.run.url("/"), &dir.join(name), 1400, 1700);
        eprintln!("screenshot: {}", p.display());
    }
}

fn agent(run: &RunAgent, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(agent_bin())
        .args(args)
        .arg("--config")
        .arg(run.config())
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_page_follows_the_platform_through_drift_correction_a_failed_rollout_and_kill_9() {
    let lab = lab_or_skip!(Lab::shared());
    let Some(browser) = Browser::start() else {
        return;
    };
    let api = ApiDouble::start();
    let repo = DesiredRepo::from_sample();
    let mut run = RunAgent::start(&lab, &RunOptions::new(&repo.url(), api.kubeconfig()));
    let needles = needles(&repo);
    let mut v = View {
        run: &run,
        browser,
        capture: Capture::default(),
    };

    // 1. Converged: the VIP holder and every host in sync, on the page a browser shows.
    let head = repo.head();
    wait_for(v.run, "the sample applied", || {
        v.run.status()["commitApplied"] == head.as_str()
    });
    let holder = lab.locate("vip").expect("the VIP runs somewhere");
    wait_for(v.run, "the live view", || {
        v.run
            .get("/")
            .is_some_and(|p| p.contains(&format!("held by <b>{holder}</b>")))
    });
    let dom = v.dom("in sync");
    assert!(dom.contains(&format!("held by <b>{holder}</b>")), "{dom}");
    for h in ["gw", "ha1", "ha2"] {
        assert_eq!(
            node_state(&dom, h).as_deref(),
            Some("in sync"),
            "{h} in sync on the page"
        );
    }
    v.shot("web-in-sync.png");
    let (direct_code, direct) = agent(v.run, &["diff", "--output", "json", "--no-service"]);
    let (via_code, via) = agent(v.run, &["diff", "--output", "json", "--via-service"]);
    assert_eq!(
        (via_code, &via),
        (direct_code, &direct),
        "--via-service prints what a direct diff prints"
    );
    assert_eq!(direct_code, Some(0), "{direct}");
    v.capture.add("diff --via-service", via);

    // 2. observe + a hand edit on ha2 (timeout and the stats password): drifted, the hunk.
    set_policy(v.run, "correct", "observe");
    wait_for(v.run, "the config reload", || {
        v.run.log().contains("agent config reloaded")
    });
    lab.exec_ok("ha2", &format!("sed -i -e 's/^    timeout client .*/    timeout client 99s/' -e 's/^\\(    stats auth admin:\\).*/\\1{HAND_PW}/' {CFG}")).unwrap();
    wait_for(v.run, "ha2 drifted", || {
        v.run.status()["targets"]["balancer"]["sync"] == "drifted"
    });
    wait_for(v.run, "the drift on the page", || {
        v.run
            .get("/")
            .is_some_and(|p| p.contains("timeout client 99s"))
    });
    let dom = v.dom("drifted");
    assert_eq!(node_state(&dom, "ha2").as_deref(), Some("drifted"));
    assert_eq!(node_state(&dom, "ha1").as_deref(), Some("in sync"));
    assert!(
        dom.contains("<span class=\"del\">-    timeout client 99s</span>"),
        "the hunk: {dom}"
    );
    assert!(
        !masked_markers(&dom).is_empty(),
        "the hand-edited password shows masked"
    );
    v.shot("web-drift.png");
    let (_, text_direct) = agent(v.run, &["diff", "--no-service"]);
    let (code, text_via) = agent(v.run, &["diff", "--via-service"]);
    assert_eq!(
        (code, &text_via),
        (Some(1), &text_direct),
        "same text, exit 1 (differences)"
    );
    v.capture.add("diff text --via-service", text_via);

    // 3. correct again: the next drift cycle puts ha2 back; the history has it, with its diff.
    set_policy(v.run, "observe", "correct");
    wait_for(v.run, "ha2 corrected", || {
        !host_file(&lab, "ha2", CFG)
            .unwrap_or_default()
            .contains("99s")
    });
    let mut corrective = None;
    wait_for(v.run, "the corrective entry", || {
        let h = json(v.run, "/api/history?target=balancer&items=1&limit=20");
        corrective = h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["cause"] == "drift"
                    && e["items"].as_array().unwrap().iter().any(|i| {
                        i["kind"] == "applied"
                            && i["host"] == "ha2"
                            && i["diff"]
                                .as_str()
                                .is_some_and(|d| d.contains("-    timeout client 99s"))
                    })
            })
            .map(|e| e["id"].as_i64().unwrap());
        corrective.is_some()
    });
    let id = corrective.unwrap();
    v.api("corrective", "/api/history?items=1&limit=100");
    let entry = v.browser.dump_dom(&v.run.url(&format!("/history/{id}")));
    assert!(
        entry.contains("<span class=\"del\">-    timeout client 99s</span>"),
        "{entry}"
    );
    v.capture.add("history entry page", entry);
    let (code, shown) = agent(v.run, &["history", "show", &id.to_string()]);
    assert_eq!(code, Some(0));
    assert!(
        shown.contains("applied  balancer  ha2") && shown.contains("-    timeout client 99s"),
        "{shown}"
    );
    v.capture.add("agent history show", shown);
    let first = std::mem::take(&mut v.capture);
    drop(v);

    // 4. A commit whose gateway rollout fails its health check (/app was 200, becomes
    //    503: rolled back), retried every cycle; kill -9 of the service during one.
    repo.edit("gateway/gateway.yaml", |t| {
        t.replacen(
            "upstream: http://10.77.0.100/app",
            "upstream: http://10.77.0.100:9/app",
            1,
        )
    });
    let bad = repo.commit("gateway /app to a port nothing serves (its health check fails)");
    let mut cut = None;
    let mut capture = first;
    for attempt in 0..5 {
        let seen = json(&run, "/api/history?limit=1")["entries"][0]["id"]
            .as_i64()
            .unwrap_or(0);
        let mut running = None;
        let caught = wait_until(DEADLINE, || {
            let h = json(&run, "/api/history?limit=1");
            let e = &h["entries"][0];
            if e["state"] == "running" && e["id"].as_i64() > Some(seen) {
                running = e["id"].as_i64();
            }
            running.is_some()
        });
        assert!(caught, "no cycle seen running:\n{}", run.log());
        run.kill_9();
        capture.add(format!("agent log before kill {attempt}"), run.log());
        run.restart();
        let id = running.unwrap();
        let state = json(&run, &format!("/api/history?id={id}"))["state"].clone();
        eprintln!("kill -9 attempt {attempt}: entry {id} is {state}");
        if state == "interrupted" {
            cut = Some(id);
            break;
        }
    }
    let cut = cut.expect("a kill -9 landed inside a cycle in 5 attempts");
    let mut v = View {
        run: &run,
        browser: Browser::start().unwrap(),
        capture,
    };
    wait_for(v.run, "the rollout failed", || {
        v.run.status()["targets"]["gateway"]["sync"] == "failed"
    });
    let h = json(v.run, "/api/history?limit=5");
    assert!(
        h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"].as_i64() > Some(cut)
                && e["state"] == "finished"
                && e["commit"] == bad.as_str()),
        "the next cycle is recorded: {h:#}"
    );
    wait_for(v.run, "the failure on the page", || {
        v.run
            .get("/")
            .is_some_and(|p| p.contains("gateway: failed"))
    });
    let dom = v.dom("failed");
    assert!(
        dom.contains("interrupted"),
        "the interrupted entry is listed"
    );
    assert!(dom.contains("rolled-back"), "the failure: {dom}");
    assert!(dom.contains("previous one was restored"), "what to do");
    v.shot("web-failed.png");

    // 5. The fix converges; the lab is left on the sample's render.
    repo.edit("gateway/gateway.yaml", |t| {
        t.replacen(
            "upstream: http://10.77.0.100:9/app",
            "upstream: http://10.77.0.100/app",
            1,
        )
    });
    let fixed = repo.commit("gateway /app back on the VIP");
    wait_for(v.run, "the fix applied", || {
        v.run.status()["commitApplied"] == fixed.as_str()
    });
    for path in [
        "/",
        "/status",
        "/metrics",
        "/api/status",
        "/api/history?items=1&limit=200",
        "/api/diff",
    ] {
        v.api("final", path);
    }
    v.capture.add("agent log", v.run.log());
    let (_, list) = agent(v.run, &["history", "--output", "json", "--limit", "200"]);
    v.capture.add("agent history --output json", list);

    // 6. The sweep: no plaintext secret anywhere.
    let leaks = v.capture.leaks(&needles);
    assert!(
        leaks.is_empty(),
        "secrets leaked:\n{}",
        Capture::report(&leaks)
    );
    assert!(
        v.capture.bytes() > 50_000,
        "the sweep covered the pages and APIs"
    );
    eprintln!(
        "swept {} texts, {} bytes, {} needles: no leak",
        v.capture.labels().len(),
        v.capture.bytes(),
        needles.len()
    );
}
