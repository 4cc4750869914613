//! The Pacemaker cluster as it runs: `crm_mon --output-as=xml -1` on the first node that
//! answers (parsed by [`crate::targets::cluster::status`]), plus its failed actions:
//! nodes online or not, where each resource runs, the VIP's holder.

use super::context::{Context, Section};
use crate::exec::Remote;
use crate::targets::cluster::status::ClusterStatus;
use crate::targets::cluster::ClusterAccess;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterLive {
    pub name: String,
    /// The node whose crm_mon answered.
    pub answered_by: String,
    /// Declared nodes and whether crm_mon sees them online.
    pub nodes: Vec<(String, bool)>,
    pub resources: Vec<ResourceLive>,
    /// The VIP (address, resource id) and the node holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip: Option<VipLive>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLive {
    pub id: String,
    pub role: String,
    pub nodes: Vec<String>,
    pub failed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VipLive {
    pub ip: String,
    pub id: String,
    pub holder: Option<String>,
}

/// `op monitor on ha2: not running (exit 7) at …` for each `<failure>` crm_mon lists.
pub fn failed_actions(xml: &str) -> Vec<String> {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return vec![];
    };
    doc.descendants()
        .filter(|n| n.has_tag_name("failure"))
        .map(|n| {
            let a = |k: &str| n.attribute(k).unwrap_or("");
            let mut s = format!(
                "{} on {}: {} (exit {})",
                a("op_key"),
                a("node"),
                a("exitreason").trim(),
                a("exitstatus")
            );
            if !a("last-rc-change").is_empty() {
                s.push_str(&format!(", {}", a("last-rc-change")));
            }
            s
        })
        .collect()
}

pub async fn collect<R: Remote>(cx: &Context<'_, R>) -> Section<ClusterLive> {
    let mut out = Section::default();
    for c in &cx.state.clusters {
        let spec = &c.doc.spec;
        let access = ClusterAccess::live(spec.nodes.clone());
        let script = format!("{}\ncrm_mon --output-as=xml -1", access.prelude);
        let mut problems = vec![];
        let mut found = None;
        for node in &spec.nodes {
            match cx.remote.exec(node, &script, b"").await {
                Ok(o) if o.success() => {
                    found = Some((node.clone(), o.stdout_str()));
                    break;
                }
                Ok(o) => problems.push(format!("{node}: crm_mon: {}", o.stderr_str().trim())),
                Err(e) => problems.push(e.to_string()),
            }
        }
        let Some((node, xml)) = found else {
            out.error = Some(format!(
                "cluster {}: no node answered: {}",
                spec.cluster_name,
                problems.join("; ")
            ));
            continue;
        };
        let status = match ClusterStatus::parse(&xml) {
            Ok(s) => s,
            Err(e) => {
                out.error = Some(format!(
                    "cluster {}: crm_mon on {node}: {e}",
                    spec.cluster_name
                ));
                continue;
            }
        };
        out.items.push(ClusterLive {
            name: spec.cluster_name.clone(),
            answered_by: node,
            nodes: spec
                .nodes
                .iter()
                .map(|n| (n.clone(), status.online.contains(n)))
                .collect(),
            resources: status
                .resources
                .iter()
                .map(|(id, r)| ResourceLive {
                    id: id.clone(),
                    role: r.role.clone(),
                    nodes: r.nodes.clone(),
                    failed: r.failed,
                })
                .collect(),
            vip: spec.vip.as_ref().map(|v| VipLive {
                ip: v.ip.clone(),
                id: v.id.clone(),
                holder: status.holder(&v.id).map(str::to_string),
            }),
            failed_actions: failed_actions(&xml),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn failed_actions_are_listed() {
        let xml = r#"<pacemaker-result><failures>
          <failure op_key="haproxy_monitor_10000" node="ha2" exitstatus="not running" exitreason="" exitcode="7" call="12" status="complete" last-rc-change="2026-12-02 03:00:00 +00:00"/>
        </failures></pacemaker-result>"#;
        assert_eq!(
            super::failed_actions(xml),
            ["haproxy_monitor_10000 on ha2:  (exit not running), 2026-12-02 03:00:00 +00:00"]
        );
    }
}
