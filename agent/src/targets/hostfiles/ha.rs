//! The HA facts the host rollout needs, read from the desired state's model: which
//! hosts are nodes of a declared HA cluster (changed one at a time) and which
//! floating IPs they share (the node holding one changes last).

use schema::DesiredState;

/// The VIPs of every declared cluster.
pub fn vips(state: &DesiredState) -> Vec<String> {
    state
        .clusters
        .iter()
        .filter_map(|c| c.doc.spec.vip.as_ref().map(|v| v.ip.clone()))
        .collect()
}

/// Every node of every declared cluster.
pub fn paired_nodes(state: &DesiredState) -> Vec<&str> {
    state
        .clusters
        .iter()
        .flat_map(|c| c.doc.spec.nodes.iter().map(String::as_str))
        .collect()
}

/// Facts-script lines reporting which of `vips` this host holds (`vip.<ip>=held`).
pub fn vip_facts(vips: &[String]) -> String {
    let mut s = String::new();
    if !vips.is_empty() {
        s.push_str("addrs=$(ip -o -4 addr show 2>/dev/null)\n");
        for v in vips {
            let q = crate::exec::sh_quote(&format!(" {v}/"));
            s.push_str(&format!(
                "case \"$addrs\" in *{q}*) echo vip.{v}=held;; esac\n"
            ));
        }
    }
    s
}
