//! The cluster target against the lab's real two-node Pacemaker cluster, over SSH
//! (root and namespaces needed; skipped elsewhere). Issue 5's "done when" list, in one
//! lab: create from an empty CIB, traffic through the VIP, idempotence, a hand
//! change of the monitor interval restored without restarts, a manual move reported,
//! an unknown agent rejected before the CIB is touched, and failover of the VIP
//! holder with the probe's outage printed.

use agent::exec::Remote;
use agent::mask::Masker;
use agent::plan::{Action, Change};
use agent::targets::cluster::xml::Elem;
use agent::targets::cluster::{
    apply, jobs, vip_holder, ApplyOptions, ClusterError, ClusterJob, ClusterPolicy,
};
use agent_tests::{lab_or_skip, Lab};
use labssh::LabSsh;

#[path = "support/labssh.rs"]
mod labssh;
use std::time::Duration;

fn sample() -> (schema::DesiredState, agent::render::Rendered) {
    let state = agent_tests::sample::load_sample().state;
    let rendered = agent::render::render(&state).expect("sample repo renders");
    (state, rendered)
}

fn epoch(lab: &Lab) -> u64 {
    let head = lab.exec_ok("ha1", "cibadmin -Q | head -n 1").unwrap();
    let value = head
        .split(" epoch=\"")
        .nth(1)
        .and_then(|v| v.split('"').next());
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no epoch in {head}"))
}

/// The start operations in `rsc`'s history as `node:call-id`: a restart gets a new call id
/// (the history keeps the last operation of each kind), a monitor change does not.
fn starts(lab: &Lab, rsc: &str) -> Vec<String> {
    let xml = lab
        .exec_ok("ha1", "crm_mon --output-as=xml -1 --include=operations")
        .unwrap();
    let root = Elem::parse(&xml).unwrap();
    let mut out = Vec::new();
    for node in root
        .child("node_history")
        .into_iter()
        .flat_map(|h| h.all("node"))
    {
        for r in node
            .all("resource_history")
            .filter(|r| r.attr("id") == Some(rsc))
        {
            for op in r
                .all("operation_history")
                .filter(|o| o.attr("task") == Some("start"))
            {
                out.push(format!(
                    "{}:{}",
                    node.attr("name").unwrap_or("?"),
                    op.attr("call").unwrap_or("?")
                ));
            }
        }
    }
    out.sort();
    out
}

fn find<'a>(changes: &'a [Change], object: &str) -> &'a Change {
    changes
        .iter()
        .find(|c| c.object == object)
        .unwrap_or_else(|| panic!("{object}: {changes:#?}"))
}

#[tokio::test]
async fn the_lab_cluster_converges_survives_drift_and_fails_over() {
    let lab = lab_or_skip!(Lab::fresh());
    let remote = LabSsh {
        config: lab.ssh_config(),
    };
    let (state, rendered) = sample();
    let job: ClusterJob = jobs(&state, &rendered).remove(0).unwrap();
    let masker = Masker::new("lab");
    let opts = ApplyOptions {
        settle_timeout: Duration::from_secs(90),
        ..ApplyOptions::default()
    };
    let keep = ClusterPolicy::default();

    // HAProxy's configuration is the balancer target's job; put the rendered one in place.
    for f in rendered
        .files
        .iter()
        .filter(|f| f.path == "/etc/haproxy/haproxy.cfg")
    {
        let out = remote
            .exec(
                &f.host,
                "cat > /etc/haproxy/haproxy.cfg",
                f.content.as_bytes(),
            )
            .await
            .unwrap();
        assert!(out.success(), "{}", out.stderr_str());
    }

    // 1. Empty CIB → VIP, HAProxy, constraints, properties; traffic reaches both workers.
    let r = remote.cluster_apply(&job, &keep, &opts).await.unwrap();
    assert!(r.patch.is_some());
    let status = r.status.unwrap();
    let holder = status.holder("vip").expect("VIP on one node").to_string();
    assert_eq!(status.nodes_of("haproxy"), std::slice::from_ref(&holder));
    let report = lab
        .probe("http://10.77.0.100/", Duration::from_secs(3))
        .unwrap();
    assert!(
        report.served_by.contains_key("w1") && report.served_by.contains_key("w2"),
        "{report:?}"
    );

    // 2. Idempotent: the second apply sends nothing, the epoch stays.
    let e = epoch(&lab);
    let again = remote.cluster_apply(&job, &keep, &opts).await.unwrap();
    assert!(again.patch.is_none(), "{:#?}", again.changes);
    assert_eq!(epoch(&lab), e);

    // 3. A hand change of the monitor interval: shown, restored, nothing restarted.
    let starts_before = (starts(&lab, "vip"), starts(&lab, "haproxy"));
    assert!(
        !starts_before.0.is_empty() && !starts_before.1.is_empty(),
        "start history visible: {starts_before:?}"
    );
    lab.exec_ok(
        "ha1",
        r#"cibadmin --modify --xml-text '<op id="vip-monitor-interval-10s" interval="20s"/>'"#,
    )
    .unwrap();
    let plan = remote.cluster_diff(&job, &keep).await.unwrap();
    assert!(find(&plan.changes, "vip")
        .notes
        .contains(&"vip: op monitor interval 20s → 10s".to_string()));
    remote.cluster_apply(&job, &keep, &opts).await.unwrap();
    assert_eq!(
        (starts(&lab, "vip"), starts(&lab, "haproxy")),
        starts_before,
        "no restarts"
    );
    let fails = lab
        .exec_ok("ha1", "crm_mon --output-as=xml -1 --include=failcounts")
        .unwrap();
    assert!(!fails.contains("fail-count"), "{fails}");

    // 4. A manual move: reported with the placement; kept by default, removed by policy.
    let other = if holder == "ha1" { "ha2" } else { "ha1" };
    lab.exec_ok(
        "ha1",
        &format!("crm_resource --move --resource vip --node {other}"),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let plan = remote.cluster_diff(&job, &keep).await.unwrap();
    let stray = find(&plan.changes, "cli-prefer-vip");
    assert_eq!(stray.action, Action::Drift);
    assert!(stray.notes[0].contains("drift"), "{stray:#?}");
    assert!(find(&plan.changes, "vip")
        .notes
        .contains(&format!("vip: started on {other}")));
    let remove = ClusterPolicy {
        remove_stray_location_constraints: true,
        ..keep
    };
    remote.cluster_apply(&job, &remove, &opts).await.unwrap();
    let plan = remote.cluster_diff(&job, &keep).await.unwrap();
    assert!(plan.changes.iter().all(|c| c.object != "cli-prefer-vip"));

    // 5. An unknown agent: refused before the live CIB is touched.
    let e = epoch(&lab);
    let bad = Elem::parse(&rendered.cib[0].xml.replace("IPaddr2", "IPaddr9")).unwrap();
    let err = apply(
        &remote,
        &job.access,
        &bad,
        &job.corosync,
        &keep,
        &masker,
        &opts,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClusterError::Invalid(_)), "{err}");
    assert_eq!(epoch(&lab), e);

    // 6. Power off the VIP holder under load: VIP and HAProxy move; the outage is printed.
    let holder = vip_holder(&remote, &job.access, "vip")
        .await
        .unwrap()
        .expect("a holder");
    let probe = lab
        .start_probe(
            "http://10.77.0.100/",
            Duration::from_secs(20),
            Duration::from_millis(100),
        )
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    lab.poweroff(&holder).unwrap();
    let report = probe.wait().unwrap();
    let survivor = vip_holder(&remote, &job.access, "vip").await.unwrap();
    let other = if holder == "ha1" { "ha2" } else { "ha1" };
    assert_eq!(survivor.as_deref(), Some(other));
    let placement = agent::targets::cluster::placement(&remote, &job.access)
        .await
        .unwrap();
    assert_eq!(
        placement.nodes_of("haproxy"),
        [other.to_string()],
        "HAProxy followed"
    );
    eprintln!(
        "failover of {holder}: longest outage {:.2} s, {} of {} requests failed",
        report.longest_outage, report.failed, report.requests
    );
    assert!(report.outages.iter().all(|o| !o.open), "{report:?}");
}
