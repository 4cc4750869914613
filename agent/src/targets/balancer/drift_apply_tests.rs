//! Runtime drift through the rollout: a balancer whose file is in sync but whose
//! runtime state drifted is planned, corrected over the socket and verified, with a
//! reload only when the check fails. A fake host answers the scripts.

use super::drift::STATE_BLOCK;
use crate::exec::{ExecOutput, Remote, RemoteError};
use crate::mask::Masker;
use crate::outcome::StepStatus;
use crate::plan::Action;
use crate::rendered::{ManagedFile, Rendered};
use crate::targets::hostfiles::files::{Live, Observation, ObservedFile};
use crate::targets::hostfiles::harness_tests::{apply_target, diff_files, TargetKind};
use crate::targets::hostfiles::views::HostViews;
use std::sync::Mutex;

const CFG: &str = "global\n    stats socket /run/x.sock level admin\nbackend b\n    balance roundrobin\n    server s1 10.0.0.1:80 check\n";

fn state(weight: u32) -> String {
    format!("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_port\n3 b 1 s1 10.0.0.1 2 0 {weight} 1 80\n")
}

/// Answers the correction script with `after` as the runtime state; everything else
/// (health check, reload) succeeds. Records every script.
struct FakeHost {
    after: String,
    scripts: Mutex<Vec<String>>,
}

#[async_trait::async_trait]

impl Remote for FakeHost {
    async fn exec(&self, _: &str, script: &str, _: &[u8]) -> Result<ExecOutput, RemoteError> {
        self.scripts.lock().unwrap().push(script.to_string());
        let stdout = if script.contains("show servers state") {
            format!("STATE\n{}", self.after)
        } else {
            "all backends UP\n".into()
        };
        Ok(ExecOutput {
            status: 0,
            stdout: stdout.into_bytes(),
            stderr: vec![],
        })
    }
}

/// ha1's file in sync; its runtime weight of b/s1 is 10 (ha2: standby, no state).
fn fixture() -> (Rendered, HostViews) {
    let mut rendered = Rendered::default();
    let mut views = HostViews::default();
    for host in ["ha1", "ha2"] {
        rendered.files.push(ManagedFile {
            host: host.into(),
            target: TargetKind::Balancer.name(),
            path: "/etc/haproxy/haproxy.cfg".into(),
            content: CFG.into(),
            mode: 0o644,
            check: "true".into(),
            reload: Some("echo RELOAD".into()),
            modules: vec![],
            source: "Balancer/lb".into(),
            observe: String::new(),
        });
        let mut obs = Observation::default();
        obs.files.push(ObservedFile {
            path: "/etc/haproxy/haproxy.cfg".into(),
            live: Live::Same,
            reload_pending: false,
        });
        if host == "ha1" {
            obs.blocks.insert(STATE_BLOCK.into(), state(10));
        }
        views.views.insert(host.into(), obs);
    }
    (rendered, views)
}

async fn apply(after: u32) -> (Vec<crate::outcome::Step>, Vec<String>) {
    let (rendered, views) = fixture();
    let changes = diff_files(&rendered, &views, &Masker::new("k"));
    let host = FakeHost {
        after: state(after),
        scripts: Mutex::new(vec![]),
    };
    let steps = apply_target(
        &host,
        &schema::DesiredState::default(),
        &rendered,
        &views,
        &changes,
        TargetKind::Balancer,
        None,
        &|_: &str| {},
        None,
    )
    .await;
    (steps, host.scripts.into_inner().unwrap())
}

#[test]
fn the_diff_names_the_drifted_server_on_the_host_that_runs_haproxy() {
    let (rendered, views) = fixture();
    let changes = diff_files(&rendered, &views, &Masker::new("k"));
    let drift: Vec<_> = changes
        .iter()
        .filter(|c| c.action == Action::Update)
        .collect();
    assert_eq!(drift.len(), 1, "{changes:?}");
    assert_eq!(
        (drift[0].host.as_deref(), drift[0].object.as_str()),
        (Some("ha1"), "haproxy runtime b/s1")
    );
    assert_eq!(
        drift[0].notes,
        [
            "runtime weight 10 → 1 (file says 1)",
            "apply: runtime API: weight b/s1 10→1, no reload"
        ]
    );
}

#[tokio::test]
async fn a_drifted_host_in_sync_is_corrected_over_the_socket_without_reload() {
    let (steps, scripts) = apply(1).await;
    assert_eq!(steps.len(), 1, "only ha1 drifted: {steps:?}");
    assert_eq!(
        (steps[0].host.as_str(), steps[0].status),
        ("ha1", StepStatus::Applied)
    );
    assert!(steps[0].message.contains("without reload"), "{steps:?}");
    assert!(
        steps[0].notes[0].starts_with("runtime drift corrected: runtime API: weight b/s1 10→1"),
        "{steps:?}"
    );
    assert!(
        scripts[0].contains("'set server b/s1 weight 1'"),
        "{scripts:?}"
    );
    assert!(
        scripts
            .iter()
            .all(|s| !s.contains("echo RELOAD") && !s.contains("agent-new")),
        "no upload, no reload: {scripts:?}"
    );
}

#[tokio::test]
async fn a_correction_that_does_not_hold_falls_back_to_a_reload() {
    let (steps, scripts) = apply(10).await;
    assert_eq!(steps[0].status, StepStatus::Applied, "{steps:?}");
    assert_eq!(steps[0].message, "applied and healthy", "{steps:?}");
    assert!(
        steps[0].notes[0].contains("runtime API failed, reloading instead")
            && steps[0].notes[0].contains("b/s1 weight 10 (want 1)"),
        "{steps:?}"
    );
    let reload = scripts
        .iter()
        .position(|s| s.contains("echo RELOAD"))
        .expect("reloaded");
    assert!(
        !scripts[reload].contains("agent-new"),
        "the file is in sync: reload only, no upload: {}",
        scripts[reload]
    );
}
