//! Where resources run: `crm_mon --output-as=xml -1`, parsed.
//!
//! Used after an apply (wait until every declared resource is started, the VIP
//! on exactly one node, colocated resources with it), by `agent diff` to print
//! placement, and by the balancer rollout to find the VIP holder (standby node
//! first).

use super::xml::Elem;
use std::collections::BTreeMap;

/// One resource instance as crm_mon reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceState {
    pub role: String,
    pub active: bool,
    pub failed: bool,
    /// Nodes it is running on (more than one is a split brain for a primitive).
    pub nodes: Vec<String>,
}

/// The cluster's current placement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterStatus {
    /// Nodes crm_mon reports online.
    pub online: Vec<String>,
    /// By resource id (primitives, including those inside groups and clones).
    pub resources: BTreeMap<String, ResourceState>,
}

impl ClusterStatus {
    pub fn parse(xml: &str) -> Result<ClusterStatus, String> {
        let root = Elem::parse(xml)?;
        let online = root
            .child("nodes")
            .into_iter()
            .flat_map(|n| n.all("node"))
            .filter(|n| n.attr("online") == Some("true"))
            .filter_map(|n| n.attr("name").map(str::to_string))
            .collect();
        let mut resources = BTreeMap::new();
        if let Some(r) = root.child("resources") {
            collect(r, &mut resources);
        }
        Ok(ClusterStatus { online, resources })
    }

    /// Nodes running `id` (empty when stopped or unknown).
    pub fn nodes_of(&self, id: &str) -> &[String] {
        self.resources
            .get(id)
            .map(|r| r.nodes.as_slice())
            .unwrap_or(&[])
    }

    /// The one node running `vip_id`; `None` when stopped or (split brain) on several.
    pub fn holder(&self, vip_id: &str) -> Option<&str> {
        match self.nodes_of(vip_id) {
            [one] => Some(one.as_str()),
            _ => None,
        }
    }

    /// `vip: started on ha1` style placement notes for `ids`.
    pub fn placement_note(&self, id: &str) -> String {
        match self.resources.get(id) {
            None => format!("{id}: not known to the cluster"),
            Some(r) if r.nodes.is_empty() => format!("{id}: {}", r.role.to_lowercase()),
            Some(r) => format!(
                "{id}: {} on {}{}",
                r.role.to_lowercase(),
                r.nodes.join(", "),
                if r.failed { " (failed)" } else { "" }
            ),
        }
    }
}

fn collect(e: &Elem, out: &mut BTreeMap<String, ResourceState>) {
    for c in &e.children {
        if c.name == "resource" {
            let Some(id) = c.id() else { continue };
            let state = out.entry(id.to_string()).or_default();
            state.role = c.attr("role").unwrap_or("Unknown").to_string();
            state.active |= c.attr("active") == Some("true");
            state.failed |= c.attr("failed") == Some("true");
            state.nodes.extend(
                c.all("node")
                    .filter_map(|n| n.attr("name").map(str::to_string)),
            );
        } else {
            collect(c, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MON: &str = r#"<pacemaker-result api-version="2.25"><nodes>
      <node name="ha1" id="1" online="true"/><node name="ha2" id="2" online="false"/></nodes>
      <resources>
        <resource id="vip" resource_agent="ocf:heartbeat:IPaddr2" role="Started" active="true" failed="false" nodes_running_on="1"><node name="ha1" id="1" cached="true"/></resource>
        <group id="g"><resource id="haproxy" role="Stopped" active="false" failed="false"/></group>
      </resources></pacemaker-result>"#;

    #[test]
    fn reads_placement_and_the_vip_holder() {
        let s = ClusterStatus::parse(MON).unwrap();
        assert_eq!(s.online, vec!["ha1"]);
        assert_eq!(s.holder("vip"), Some("ha1"));
        assert_eq!(s.holder("haproxy"), None);
        assert_eq!(s.placement_note("vip"), "vip: started on ha1");
        assert_eq!(s.placement_note("haproxy"), "haproxy: stopped");
    }

    #[test]
    fn a_vip_on_two_nodes_has_no_holder() {
        let two = MON.replace(
            r#"<node name="ha1" id="1" cached="true"/>"#,
            r#"<node name="ha1"/><node name="ha2"/>"#,
        );
        let s = ClusterStatus::parse(&two).unwrap();
        assert_eq!(s.nodes_of("vip").len(), 2);
        assert_eq!(s.holder("vip"), None);
    }
}
