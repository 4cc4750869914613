//! The inventory of an offline import that has none, made up from the files.

use super::doc::doc_name;
use super::sources::Sources;
use super::{cib, corosync};
use schema::{Host, InventorySpec, Role};

/// An inventory for an offline import that has none: the cluster's nodes as
/// balancers (addresses from corosync, or in the VIP's subnet), one gateway.
pub fn synthetic_inventory(s: &Sources) -> (InventorySpec, String) {
    let mut hosts = Vec::new();
    let co = s
        .corosync
        .first()
        .map(|t| corosync::import(None, &t.path, &t.text));
    let mut nodes: Vec<String> = Vec::new();
    if let Some(c) = &s.cib {
        let imp = cib::import(
            &cib::CibSource {
                host: None,
                path: &c.path,
                text: &c.text,
                cluster_name: None,
                node_addresses: None,
            },
            "x",
        );
        nodes = imp.spec.nodes.clone();
        if let Some(v) = &imp.spec.vip {
            let base: std::net::Ipv4Addr =
                v.ip.parse()
                    .unwrap_or(std::net::Ipv4Addr::new(192, 0, 2, 100));
            let o = base.octets();
            for (i, n) in nodes.iter().enumerate() {
                let last = if (o[3] as usize + i + 1) < 255 {
                    o[3] as usize + i + 1
                } else {
                    1 + i
                };
                hosts.push((
                    n.clone(),
                    format!("{}.{}.{}.{last}", o[0], o[1], o[2]),
                    Role::Balancer,
                ));
            }
        }
    }
    if nodes.is_empty() {
        if let Some(c) = &co {
            nodes = c.nodes.clone();
        }
    }
    let known: Vec<(String, String)> = co.map(|c| c.addresses).unwrap_or_default();
    for (i, n) in nodes.iter().enumerate() {
        if hosts.iter().any(|(h, _, _)| h == n) {
            continue;
        }
        let addr = known
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| format!("192.0.2.{}", 11 + i));
        let name = if n.parse::<std::net::IpAddr>().is_ok() {
            format!("node-{}", doc_name(n))
        } else {
            n.clone()
        };
        hosts.push((name, addr, Role::Balancer));
    }
    if hosts.is_empty() && !s.haproxy.is_empty() {
        hosts.push(("balancer".into(), "192.0.2.11".into(), Role::Balancer));
    }
    if !s.apache.is_empty() {
        hosts.push(("gateway".into(), "192.0.2.10".into(), Role::Gateway));
    }
    if hosts.is_empty() {
        // An inventory needs a host; a workloads-only import has none of its own.
        hosts.push(("worker".into(), "192.0.2.21".into(), Role::Worker));
    }
    let spec = InventorySpec {
        defaults: Default::default(),
        hosts: hosts
            .iter()
            .map(|(n, a, r)| Host {
                name: n.clone(),
                address: a.clone(),
                port: None,
                user: None,
                sudo: None,
                host_key: None,
                roles: vec![*r],
                overrides: Default::default(),
                labels: Default::default(),
                node: None,
            })
            .collect(),
    };
    let mut text = String::from(
        "# Made up by an offline `agent import`: the host names come from the imported files,\n\
         # the ADDRESSES ARE PLACEHOLDERS (set the real ones before `agent diff`).\n\
         apiVersion: agent/v1\nkind: Inventory\nmetadata:\n  name: imported\nspec:\n  hosts:\n",
    );
    for (n, a, r) in &hosts {
        text.push_str(&format!(
            "    - {{name: {n}, address: {a}, roles: [{}]}}\n",
            r.as_str()
        ));
    }
    (spec, text)
}
