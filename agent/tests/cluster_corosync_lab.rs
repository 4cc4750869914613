//! corosync.conf under the `corosync: reload` policy, on the lab's real two-node cluster
//! (root and namespaces needed; skipped elsewhere): by default a token difference is
//! only reported; under the policy apply writes it on both nodes and reloads corosync,
//! which then runs with the new token — same corosync processes, membership kept, the
//! CIB untouched — and a second apply changes nothing. Settings that need a restart
//! (the node list) are never written.

use agent::plan::{Action, Change};
use agent::targets::cluster::xml::Elem;
use agent::targets::cluster::{jobs, ApplyOptions, ClusterJob, ClusterPolicy};
use agent_tests::{lab_or_skip, Lab};
use labssh::LabSsh;

#[path = "support/labssh.rs"]
mod labssh;

const CONF: &str = "/etc/corosync/corosync.conf";
const NODES: [&str; 2] = ["ha1", "ha2"];

/// The sample repo's cluster with an empty CIB fragment: this suite is about corosync
/// only, so apply must not create resources in the shared lab.
fn job() -> ClusterJob {
    let state = agent_tests::sample::load_sample().state;
    let rendered = agent::render::render(&state).expect("sample repo renders");
    let mut job = jobs(&state, &rendered).remove(0).unwrap();
    job.fragment = Elem::parse("<cib-fragment/>").unwrap();
    job
}

/// Puts the lab's own corosync.conf back on both nodes (even when the test failed),
/// so the shared lab keeps its 1 s token for the suites after this one.
struct Restore<'a> {
    lab: &'a Lab,
    original: Vec<String>,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        for (node, text) in NODES.iter().zip(&self.original) {
            let cmd = format!(
                "printf %s {} > {CONF} && rm -f {CONF}.agent-prev {CONF}.agent-pending",
                agent::exec::sh_quote(text)
            );
            let _ = self.lab.exec(node, &cmd);
        }
        let _ = self.lab.exec("ha1", "corosync-cfgtool -R");
    }
}

fn running_token(lab: &Lab, node: &str) -> String {
    let out = lab
        .exec_ok(node, "corosync-cmapctl -g totem.token")
        .unwrap();
    out.rsplit('=').next().unwrap().trim().to_string()
}

fn corosync_pid(lab: &Lab, node: &str) -> String {
    lab.exec_ok(node, "pgrep -x corosync")
        .unwrap()
        .trim()
        .to_string()
}

fn members(lab: &Lab) -> usize {
    let out = lab.exec_ok("ha1", "corosync-quorumtool -l").unwrap();
    NODES.iter().filter(|n| out.contains(*n)).count()
}

fn cib_epoch(lab: &Lab) -> String {
    let head = lab.exec_ok("ha1", "cibadmin -Q | head -n 1").unwrap();
    head.split(" epoch=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

fn corosync_change(changes: &[Change]) -> &Change {
    changes
        .iter()
        .find(|c| c.object == "corosync.conf")
        .unwrap_or_else(|| panic!("no corosync.conf change: {changes:#?}"))
}

#[tokio::test]
async fn the_token_is_reloaded_on_both_nodes_only_under_the_policy() {
    let lab = lab_or_skip!(Lab::shared());
    let remote = LabSsh {
        config: lab.ssh_config(),
    };
    let original: Vec<String> = NODES
        .iter()
        .map(|n| lab.exec_ok(n, &format!("cat {CONF}")).unwrap())
        .collect();
    let _restore = Restore {
        lab: &lab,
        original: original.clone(),
    };
    let mut job = job();
    let before_token = running_token(&lab, "ha1");
    let want_token: u32 = before_token.parse::<u32>().unwrap() + 1000;
    job.corosync.token = Some(want_token);
    let opts = ApplyOptions::default();
    let report_only = ClusterPolicy::default();
    let reload = ClusterPolicy {
        manage_corosync: true,
        ..ClusterPolicy::default()
    };
    let pids: Vec<String> = NODES.iter().map(|n| corosync_pid(&lab, n)).collect();
    let epoch = cib_epoch(&lab);

    // 1. Default policy: reported, never written.
    let plan = remote.cluster_diff(&job, &report_only).await.unwrap();
    let c = corosync_change(&plan.changes);
    assert_eq!(c.action, Action::Drift, "{:?}", c.notes);
    assert_eq!(
        c.notes[0],
        format!("corosync totem.token {before_token} → {want_token}")
    );
    remote
        .cluster_apply(&job, &report_only, &opts)
        .await
        .unwrap();
    for (node, text) in NODES.iter().zip(&original) {
        assert_eq!(
            &lab.exec_ok(node, &format!("cat {CONF}")).unwrap(),
            text,
            "{node}"
        );
    }

    // 2. `corosync: reload`: written on both nodes, reloaded, running with it.
    let r = remote.cluster_apply(&job, &reload, &opts).await.unwrap();
    let c = corosync_change(&r.changes);
    assert_eq!(c.action, Action::Update, "{:?}", c.notes);
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains(&format!("set to {want_token}"))),
        "{:?}",
        c.notes
    );
    for (node, text) in NODES.iter().zip(&original) {
        let now = lab.exec_ok(node, &format!("cat {CONF}")).unwrap();
        let expected = text.replace(
            &format!("token: {before_token}\n"),
            &format!("token: {want_token}\n"),
        );
        assert_eq!(now, expected, "{node}: only the token line changed");
        let prev = lab
            .exec_ok(node, &format!("cat {CONF}.agent-prev"))
            .unwrap();
        assert_eq!(&prev, text, "{node}: the previous file is kept");
        assert_eq!(
            running_token(&lab, node),
            want_token.to_string(),
            "{node} runs with it"
        );
    }
    let pids_after: Vec<String> = NODES.iter().map(|n| corosync_pid(&lab, n)).collect();
    assert_eq!(pids, pids_after, "corosync was reloaded, not restarted");
    assert_eq!(members(&lab), 2, "both nodes are still members");
    assert_eq!(cib_epoch(&lab), epoch, "the CIB was not touched");

    // 3. Idempotent: nothing due, nothing written.
    let stamp = |n: &str| lab.exec_ok(n, &format!("stat -c '%i %Y' {CONF}")).unwrap();
    let stamps: Vec<String> = NODES.iter().map(|n| stamp(n)).collect();
    let plan = remote.cluster_diff(&job, &reload).await.unwrap();
    assert!(!plan.has_changes(), "{:#?}", plan.changes);
    remote.cluster_apply(&job, &reload, &opts).await.unwrap();
    assert_eq!(stamps, NODES.iter().map(|n| stamp(n)).collect::<Vec<_>>());

    // 4. A node list change needs a restart: reported under the policy too, never written.
    job.corosync.nodes.push("ha3".into());
    let plan = remote.cluster_diff(&job, &reload).await.unwrap();
    let c = corosync_change(&plan.changes);
    assert_eq!(c.action, Action::Drift, "{:?}", c.notes);
    assert!(
        c.notes.iter().any(|n| n.contains("never restarts")),
        "{:?}",
        c.notes
    );
    remote.cluster_apply(&job, &reload, &opts).await.unwrap();
    assert_eq!(stamps, NODES.iter().map(|n| stamp(n)).collect::<Vec<_>>());
}
