//! The page as a pure function: what an operator must see, and what must never show.

use super::live::balancer::{BalancerLive, StatRow};
use super::live::cluster::{ClusterLive, ResourceLive, VipLive};
use super::live::{HostInfo, LiveView, Section};
use super::page::{host_state, index, HostState, PageData};
use crate::history::{History, HistoryCause, Record, Retention, Source};
use crate::mask::Masker;
use crate::plan::{Action, Change};
use crate::run::status::Status;
use crate::run::{Found, Outcome};

fn host(name: &str, role: &str) -> HostInfo {
    HostInfo {
        name: name.into(),
        address: format!("10.77.0.{}", name.len()),
        roles: vec![role.into()],
    }
}

fn row(name: &str, status: &str) -> StatRow {
    StatRow {
        proxy: "http_back".into(),
        name: name.into(),
        status: status.into(),
        sessions: 1,
        max_sessions: 2,
        total_sessions: 3,
        check: "L7OK".into(),
    }
}

fn live() -> LiveView {
    LiveView {
        at: 100,
        hosts: vec![
            host("gw", "gateway"),
            host("ha1", "balancer"),
            host("ha2", "balancer"),
            host("w1", "worker"),
        ],
        stats_page: Some("http://10.77.0.100:8404/stats".into()),
        balancers: Section {
            items: vec![
                BalancerLive {
                    host: "ha1".into(),
                    running: true,
                    rows: vec![row("BACKEND", "UP"), row("w1", "UP")],
                    error: None,
                },
                BalancerLive {
                    host: "ha2".into(),
                    running: false,
                    rows: vec![],
                    error: None,
                },
            ],
            error: None,
        },
        clusters: Section {
            items: vec![ClusterLive {
                name: "lab".into(),
                answered_by: "ha1".into(),
                nodes: vec![("ha1".into(), true), ("ha2".into(), true)],
                resources: vec![ResourceLive {
                    id: "vip".into(),
                    role: "Started".into(),
                    nodes: vec!["ha1".into()],
                    failed: false,
                }],
                vip: Some(VipLive {
                    ip: "10.77.0.100".into(),
                    id: "vip".into(),
                    holder: Some("ha1".into()),
                }),
                failed_actions: vec![],
            }],
            error: None,
        },
        workloads: Section::failed(
            "no cluster configured (`kubeconfig` in the agent config, or KUBECONFIG)",
        ),
    }
}

fn drifted() -> Outcome {
    let f = Found {
        target: "balancer".into(),
        host: Some("ha2".into()),
        object: "/etc/haproxy/haproxy.cfg".into(),
    };
    Outcome {
        commit: "c0ffee".into(),
        targets: vec!["balancer".into(), "gateway".into()],
        drift: vec![f],
        changes: vec![Change {
            target: "balancer".into(),
            host: Some("ha2".into()),
            object: "/etc/haproxy/haproxy.cfg".into(),
            action: Action::Update,
            diff: Some("@@ -9 +9 @@\n-    timeout client 99s\n+    timeout client 50s\n-    stats auth admin:Sup3r-Secret\n".into()),
            notes: vec![],
        }],
        ..Default::default()
    }
}

#[test]
fn the_page_shows_the_vip_holder_each_host_state_and_the_drift_hunk_masked() {
    let out = drifted();
    let mut status = Status {
        repo: "ssh://git/platform.git main".into(),
        ..Default::default()
    };
    status.record(&out);
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), Retention::default()).unwrap();
    let mut m = Masker::new("k");
    m.add_secret("Sup3r-Secret");
    let id = h.begin(Source::Run, HistoryCause::Drift, "c0ffee").unwrap();
    h.finish(
        id,
        &Record::of(&out, &m, std::time::Duration::from_millis(80)),
    )
    .unwrap();
    let entries = h
        .list(&crate::history::Filter {
            limit: 20,
            with_items: true,
            ..Default::default()
        })
        .unwrap();
    let lv = live();
    let d = PageData {
        status: &status,
        last: Some(&out),
        live: Some(&lv),
        history: &entries,
        total: 1,
        page: 1,
        per_page: 20,
        now: 105,
    };
    let page = index(&d, &m);
    assert!(page.contains("held by <b>ha1</b>"), "{page}");
    assert!(page.contains("<meta http-equiv=\"refresh\""));
    assert!(!page.contains("<script"), "no script at all");
    assert!(
        page.contains("<span class=\"add\">+    timeout client 50s</span>"),
        "the drift hunk"
    );
    assert!(!page.contains("Sup3r-Secret"), "masked");
    assert!(page.contains(&m.token("Sup3r-Secret")));
    assert!(page.contains("balancer: drifted"), "the history rollup");
    assert!(
        page.contains("no cluster configured") && page.contains("Set `kubeconfig:`"),
        "error with what to do"
    );
    assert_eq!(host_state("ha2", Some(&out)), HostState::Drifted);
    assert_eq!(host_state("ha1", Some(&out)), HostState::InSync);
    assert_eq!(host_state("gw", None), HostState::Unknown);
}
