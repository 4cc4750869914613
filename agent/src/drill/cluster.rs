//! The drill's view of the Pacemaker cluster and the only two cluster operations it
//! performs: putting a node in standby and bringing it back, through the cluster's
//! own tool (`crm` or `pcs`, whichever the node has). Placement comes from
//! `crm_mon` ([`ClusterStatus`]); node standby flags and failed actions are read
//! from the same XML here.

use crate::exec::{sh_quote, Remote};
use crate::targets::cluster::status::ClusterStatus;

const SBIN: &str = "PATH=\"$PATH:/usr/sbin:/sbin\"; export PATH\n";

/// One reading of `crm_mon`.
#[derive(Debug, Clone, Default)]
pub struct ClusterView {
    /// The node that answered.
    pub asked: String,
    pub status: ClusterStatus,
    /// Nodes in standby.
    pub standby: Vec<String>,
    /// Failed actions, as `op_key on node: reason`.
    pub failures: Vec<String>,
}

impl ClusterView {
    pub fn parse(asked: &str, xml: &str) -> Result<ClusterView, String> {
        let status = ClusterStatus::parse(xml)?;
        let doc = roxmltree::Document::parse(xml).map_err(|e| format!("crm_mon XML: {e}"))?;
        let standby = doc
            .descendants()
            .filter(|n| {
                n.has_tag_name("node") && n.parent().is_some_and(|p| p.has_tag_name("nodes"))
            })
            .filter(|n| n.attribute("standby") == Some("true"))
            .filter_map(|n| n.attribute("name").map(str::to_string))
            .collect();
        let failures = doc
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .map(|n| {
                let a = |k| n.attribute(k).unwrap_or("?");
                format!(
                    "{} on {}: {}",
                    a("op_key"),
                    a("node"),
                    a("exitreason").trim()
                )
                .trim_end_matches(": ")
                .to_string()
            })
            .collect();
        Ok(ClusterView {
            asked: asked.to_string(),
            status,
            standby,
            failures,
        })
    }

    /// Why a disruptive check must not start: a declared node offline or in standby,
    /// failed actions, the VIP not on exactly one node.
    pub fn health_problems(&self, nodes: &[String], vip_id: &str) -> Vec<String> {
        let mut out = Vec::new();
        for n in nodes {
            if !self.status.online.contains(n) {
                out.push(format!("{n} is not online"));
            }
            if self.standby.contains(n) {
                out.push(format!(
                    "{n} is in standby (left by an interrupted drill? `crm node online {n}` or `pcs node unstandby {n}`)"
                ));
            }
        }
        for f in &self.failures {
            out.push(format!("failed action {f}"));
        }
        if self.status.holder(vip_id).is_none() {
            out.push(self.status.placement_note(vip_id));
        }
        out
    }
}

/// `crm_mon` on the first of `nodes` that answers.
pub async fn view<R: Remote>(remote: &R, nodes: &[String]) -> Result<ClusterView, String> {
    let mut errors = Vec::new();
    for n in nodes {
        let script = format!("{SBIN}crm_mon --output-as=xml -1 -r");
        match remote.exec(n, &script, b"").await {
            Ok(out) if out.success() => return ClusterView::parse(n, &out.stdout_str()),
            Ok(out) => errors.push(format!("{n}: crm_mon: {}", out.stderr_str().trim())),
            Err(e) => errors.push(e.to_string()),
        }
    }
    Err(if errors.is_empty() {
        "no cluster nodes declared".into()
    } else {
        errors.join("; ")
    })
}

/// Standby on or off for `node`, run on `via` with `crm` or else `pcs`.
pub async fn set_standby<R: Remote>(
    remote: &R,
    via: &str,
    node: &str,
    standby: bool,
) -> Result<String, String> {
    let n = sh_quote(node);
    let (crm, pcs) = if standby {
        (
            format!("crm node standby {n}"),
            format!("pcs node standby {n}"),
        )
    } else {
        (
            format!("crm node online {n}"),
            format!("pcs node unstandby {n}"),
        )
    };
    let script = format!(
        "{SBIN}if command -v crm >/dev/null 2>&1; then {crm} >/dev/null && echo crm
elif command -v pcs >/dev/null 2>&1; then {pcs} >/dev/null && echo pcs
else echo 'neither crm nor pcs is installed' >&2; exit 127; fi\n"
    );
    let out = remote
        .exec(via, &script, b"")
        .await
        .map_err(|e| e.to_string())?;
    if out.success() {
        Ok(format!("{} on {via}", out.stdout_str().trim()))
    } else {
        Err(format!("{via}: {}", out.stderr_str().trim()))
    }
}

/// The running corosync totem token in ms (`corosync-cmapctl`), from the first node
/// that tells.
pub async fn corosync_token<R: Remote>(remote: &R, nodes: &[String]) -> Option<u32> {
    for n in nodes {
        let script = format!("{SBIN}corosync-cmapctl -g runtime.config.totem.token");
        if let Ok(out) = remote.exec(n, &script, b"").await {
            if let Some(v) = out
                .stdout_str()
                .rsplit('=')
                .next()
                .and_then(|v| v.trim().parse().ok())
            {
                return Some(v);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MON: &str = r#"<pacemaker-result api-version="2.25"><nodes>
      <node name="ha1" id="1" online="true" standby="true"/><node name="ha2" id="2" online="true" standby="false"/></nodes>
      <resources>
        <resource id="vip" role="Started" active="true" failed="false"><node name="ha2" id="2"/></resource>
        <resource id="haproxy" role="Started" active="true" failed="false"><node name="ha2" id="2"/></resource>
      </resources>
      <failures><failure op_key="haproxy_monitor_10000" node="ha1" exitstatus="not running" exitreason="" exitcode="7"/></failures>
      </pacemaker-result>"#;

    #[test]
    fn standby_nodes_and_failed_actions_are_read() {
        let v = ClusterView::parse("ha2", MON).unwrap();
        assert_eq!(v.standby, ["ha1"]);
        assert_eq!(v.failures, ["haproxy_monitor_10000 on ha1"]);
        let p = v.health_problems(&["ha1".into(), "ha2".into()], "vip");
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("ha1 is in standby"), "{p:?}");
        assert!(
            p[1].contains("failed action haproxy_monitor_10000"),
            "{p:?}"
        );
    }

    #[test]
    fn a_healthy_cluster_has_no_problems() {
        let healthy = MON
            .replace(r#"standby="true""#, r#"standby="false""#)
            .replace(r#"<failure op_key="haproxy_monitor_10000" node="ha1" exitstatus="not running" exitreason="" exitcode="7"/>"#, "");
        let v = ClusterView::parse("ha2", &healthy).unwrap();
        assert!(v
            .health_problems(&["ha1".into(), "ha2".into()], "vip")
            .is_empty());
        let p = v.health_problems(&["ha1".into(), "ha3".into()], "nope");
        assert_eq!(p, ["ha3 is not online", "nope: not known to the cluster"]);
    }
}
