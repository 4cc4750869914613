//! Cluster expectations: every declared node online and not in standby, no failed
//! actions, every declared resource started on exactly one node, and the declared
//! constraints held where Pacemaker placed them (colocations: together or apart;
//! locations with an infinite score: on their node).

use crate::drill::cluster::{self, ClusterView};
use crate::drill::report::Expectation;
use crate::drill::Drill;
use crate::exec::Remote;
use schema::HaClusterSpec;

pub async fn placement<R: Remote>(d: &Drill<'_, R>) -> Vec<Expectation> {
    let Some(c) = d.state.clusters.first() else {
        return vec![Expectation::skip(
            "cluster",
            "resources placed",
            "no HaCluster declared",
        )];
    };
    let spec = &c.doc.spec;
    match cluster::view(d.remote, &spec.nodes).await {
        Ok(view) => judge(spec, &view),
        Err(e) => vec![Expectation::new(
            "crm_mon",
            "answers on a cluster node",
            e,
            false,
        )],
    }
}

/// The expectations for one reading of `crm_mon` (pure, for tests).
pub fn judge(spec: &HaClusterSpec, view: &ClusterView) -> Vec<Expectation> {
    let mut out = Vec::new();
    let online: Vec<&String> = spec
        .nodes
        .iter()
        .filter(|n| view.status.online.contains(n) && !view.standby.contains(n))
        .collect();
    out.push(Expectation::new(
        "cluster nodes",
        format!("{} online, none in standby", spec.nodes.join(", ")),
        format!(
            "{} online{}",
            if online.is_empty() {
                "none".to_string()
            } else {
                online
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            if view.standby.is_empty() {
                String::new()
            } else {
                format!(", standby: {}", view.standby.join(", "))
            }
        ),
        online.len() == spec.nodes.len(),
    ));
    out.push(Expectation::new(
        "failed actions",
        "none",
        if view.failures.is_empty() {
            "none".to_string()
        } else {
            view.failures.join("; ")
        },
        view.failures.is_empty(),
    ));
    let ids = spec
        .vip
        .as_ref()
        .map(|v| v.id.clone())
        .into_iter()
        .chain(spec.resources.iter().map(|r| r.id.clone()));
    for id in ids {
        let nodes = view.status.nodes_of(&id);
        let failed = view.status.resources.get(&id).is_some_and(|r| r.failed);
        out.push(Expectation::new(
            format!("resource {id}"),
            "started on exactly one node",
            view.status.placement_note(&id),
            nodes.len() == 1 && !failed,
        ));
    }
    for col in &spec.constraints.colocations {
        // Set colocations have no single pair to check.
        let (Some(rsc), Some(with_rsc)) = (&col.rsc, &col.with_rsc) else {
            continue;
        };
        let (a, b) = (view.status.holder(rsc), view.status.holder(with_rsc));
        let apart = col.score.starts_with('-');
        let ok = match (a, b) {
            (Some(a), Some(b)) => (a == b) != apart,
            _ => false,
        };
        out.push(Expectation::new(
            format!("colocation {}", col.id),
            format!(
                "{} {} {}",
                rsc,
                if apart { "apart from" } else { "with" },
                with_rsc
            ),
            format!(
                "{} on {}, {} on {}",
                rsc,
                a.unwrap_or("-"),
                with_rsc,
                b.unwrap_or("-")
            ),
            ok,
        ));
    }
    for (loc, rsc, node, score) in spec
        .constraints
        .locations
        .iter()
        .filter_map(|l| {
            Some((
                l,
                l.rsc.as_deref()?,
                l.node.as_deref()?,
                l.score.as_deref()?,
            ))
        })
        .filter(|(_, _, _, score)| score.contains("INFINITY"))
    {
        let at = view.status.holder(rsc);
        let banned = score.starts_with('-');
        out.push(Expectation::new(
            format!("location {}", loc.id),
            format!("{} {} {}", rsc, if banned { "not on" } else { "on" }, node),
            format!("on {}", at.unwrap_or("-")),
            at.is_some_and(|n| (n == node) != banned),
        ));
    }
    out
}

/// `resource-stickiness` as declared (resource defaults; 0 when not declared).
pub fn stickiness(spec: &HaClusterSpec) -> i64 {
    spec.resource_defaults
        .get("resource-stickiness")
        .map(|v| {
            if v.contains("INFINITY") {
                i64::MAX
            } else {
                v.parse().unwrap_or(0)
            }
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "
apiVersion: agent/v1
kind: HaCluster
metadata: {name: c}
spec:
  clusterName: c
  nodes: [lb1, lb2]
  resourceDefaults: {resource-stickiness: '100'}
  vip: {ip: 10.0.0.100, cidrNetmask: 24}
  resources: [{id: haproxy, class: lsb, type: haproxy}]
  constraints:
    colocations: [{id: together, rsc: haproxy, withRsc: vip, score: INFINITY}]
";

    fn mon(vip: &str, haproxy: &str) -> ClusterView {
        let xml = format!(
            r#"<r><nodes><node name="lb1" online="true"/><node name="lb2" online="true"/></nodes><resources>
            <resource id="vip" role="Started" active="true" failed="false"><node name="{vip}"/></resource>
            <resource id="haproxy" role="Started" active="true" failed="false"><node name="{haproxy}"/></resource>
            </resources></r>"#
        );
        ClusterView::parse("lb1", &xml).unwrap()
    }

    #[test]
    fn together_passes_and_apart_fails_the_colocation() {
        let s = crate::rendered::state_from(&[("c.yaml", CLUSTER)]);
        let spec = &s.clusters[0].doc.spec;
        assert_eq!(stickiness(spec), 100);
        let good = judge(spec, &mon("lb1", "lb1"));
        assert!(
            good.iter()
                .all(|e| e.verdict == crate::drill::report::Verdict::Pass),
            "{good:?}"
        );
        let bad = judge(spec, &mon("lb1", "lb2"));
        let col = bad
            .iter()
            .find(|e| e.what == "colocation together")
            .unwrap();
        assert_eq!(col.verdict, crate::drill::report::Verdict::Fail);
        assert_eq!(col.measured, "haproxy on lb2, vip on lb1");
    }
}
