//! Waiting for the cluster after a change, and reading placement.
//!
//! After a patch, [`wait_converged`] polls `crm_mon` (on the observed node
//! first, then the others) until every declared primitive is started on
//! exactly one node and every declared INFINITY colocation holds, or the
//! timeout passes. [`vip_holder`] serves the balancer rollout (standby first).

use super::access::{ApplyOptions, ClusterAccess};
use super::cib::{normal_score, ConfigView};
use super::error::ClusterError;
use super::status::ClusterStatus;
use crate::exec::Remote;

/// What keeps `status` from being converged for `want`; empty when converged:
/// every declared primitive started on exactly one node and not failed, and
/// every declared INFINITY colocation satisfied.
pub fn convergence_problems(want: &ConfigView, status: &ClusterStatus) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, _) in want.resources.iter().filter(|(_, e)| e.name == "primitive") {
        match status.resources.get(id) {
            Some(r) if r.failed => problems.push(format!("{id} failed")),
            Some(r) if r.nodes.len() == 1 && r.active => {}
            Some(r) if r.nodes.len() > 1 => {
                problems.push(format!("{id} active on {} nodes", r.nodes.len()))
            }
            _ => problems.push(status.placement_note(id)),
        }
    }
    for c in want
        .constraints
        .values()
        .filter(|c| c.name == "rsc_colocation")
    {
        let (Some(a), Some(b)) = (c.attr("rsc"), c.attr("with-rsc")) else {
            continue;
        };
        let score = normal_score(c.attr("score").unwrap_or("0"));
        let (na, nb) = (status.nodes_of(a), status.nodes_of(b));
        if score == "INFINITY" && !na.is_empty() && na != nb {
            problems.push(format!("{a} is not with {b}"));
        }
    }
    problems
}

async fn mon(
    remote: &dyn Remote,
    access: &ClusterAccess,
    node: &str,
) -> Result<ClusterStatus, String> {
    let script = format!("{}\ncrm_mon --output-as=xml -1", access.prelude);
    let out = remote
        .exec(node, &script, b"")
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!("{node}: crm_mon: {}", out.stderr_str().trim()));
    }
    ClusterStatus::parse(&out.stdout_str())
}

/// crm_mon on `first` (when given), else on the other nodes in order: the first answer.
async fn mon_any(
    remote: &dyn Remote,
    access: &ClusterAccess,
    first: Option<&str>,
) -> Result<ClusterStatus, String> {
    let others = access.nodes.iter().map(String::as_str);
    let order = first
        .into_iter()
        .chain(others.filter(|n| Some(*n) != first));
    let mut failures = Vec::new();
    for node in order {
        match mon(remote, access, node).await {
            Ok(s) => return Ok(s),
            Err(e) => failures.push(e),
        }
    }
    Err(format!("no node answered: {}", failures.join("; ")))
}

/// Polls until [`convergence_problems`] is empty (`Ok`, with the placement) or the
/// settle timeout passes (`Err`, with the last problems seen).
pub(crate) async fn wait_converged(
    remote: &dyn Remote,
    access: &ClusterAccess,
    node: &str,
    want: &ConfigView,
    opts: &ApplyOptions,
) -> Result<ClusterStatus, String> {
    let deadline = tokio::time::Instant::now() + opts.settle_timeout;
    loop {
        let last = match mon_any(remote, access, Some(node)).await {
            Ok(s) => {
                let problems = convergence_problems(want, &s);
                if problems.is_empty() {
                    return Ok(s);
                }
                problems.join(", ")
            }
            Err(e) => e,
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "after {}s: {last}",
                opts.settle_timeout.as_secs_f32()
            ));
        }
        tokio::time::sleep(opts.poll).await;
    }
}

/// Placement from the first node that answers (for `agent diff` and status pages).
pub async fn placement(
    remote: &dyn Remote,
    access: &ClusterAccess,
) -> Result<ClusterStatus, ClusterError> {
    mon_any(remote, access, None)
        .await
        .map_err(ClusterError::Unreachable)
}

/// The node running `vip_id` (from crm_mon on the first node that answers); `None`
/// when the VIP is stopped or, in a split brain, active on several nodes.
pub async fn vip_holder(
    remote: &dyn Remote,
    access: &ClusterAccess,
    vip_id: &str,
) -> Result<Option<String>, ClusterError> {
    let status = placement(remote, access).await?;
    Ok(status.holder(vip_id).map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::cluster::xml::Elem;

    const MON: &str = r#"<pacemaker-result><nodes/><resources>
      <resource id="vip" role="Started" active="true" failed="false"><node name="ha1"/></resource>
      <resource id="haproxy" role="Started" active="true" failed="false"><node name="NODE"/></resource>
      </resources></pacemaker-result>"#;

    fn want() -> ConfigView {
        ConfigView::of(
            &Elem::parse(
                r#"<cib-fragment><resources>
                <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"/>
                <primitive id="haproxy" class="lsb" type="haproxy"/></resources>
                <constraints><rsc_colocation id="c" rsc="haproxy" with-rsc="vip" score="INFINITY"/>
                </constraints></cib-fragment>"#,
            )
            .unwrap(),
        )
    }

    #[test]
    fn converged_means_started_once_and_colocated() {
        let ok = ClusterStatus::parse(&MON.replace("NODE", "ha1")).unwrap();
        assert!(convergence_problems(&want(), &ok).is_empty());
        let apart = ClusterStatus::parse(&MON.replace("NODE", "ha2")).unwrap();
        assert_eq!(
            convergence_problems(&want(), &apart),
            ["haproxy is not with vip"]
        );
        let stopped = ClusterStatus::parse(
            &MON.replace(r#"<node name="ha1"/>"#, "")
                .replace(
                    r#"role="Started" active="true" failed="false">"#,
                    r#"role="Stopped" active="false" failed="false">"#,
                )
                .replace("NODE", "ha1"),
        )
        .unwrap();
        assert!(convergence_problems(&want(), &stopped).contains(&"vip: stopped".to_string()));
    }
}
