//! HaCluster checks: nodes are balancers, the VIP fits their subnet, CIB ids and references.

use super::cx::{unique_names, Cx};
use super::net;
use super::{hacluster_rsc, hacluster_rules};
use crate::load::hints::closest;
use crate::model::*;
use std::net::IpAddr;

pub(super) fn check(cx: &mut Cx) {
    let state = cx.state;
    unique_names(cx, "HaCluster", &state.clusters);
    let all_nodes = state.clusters.iter().flat_map(|c| {
        let nodes = c.doc.spec.nodes.iter().enumerate();
        nodes.map(|(i, n)| (&c.origin, format!("spec.nodes[{i}]"), n.clone()))
    });
    cx.unique("cluster node", all_nodes);
    for c in &state.clusters {
        let doc = &c.origin;
        let spec = &c.doc.spec;
        match spec.nodes.len() {
            0 => cx.error(
                doc,
                "spec.nodes",
                "the cluster has no nodes",
                Some("list the balancer hosts".into()),
            ),
            1 => cx.warn(
                doc,
                "spec.nodes",
                "a one-node cluster cannot fail over",
                Some("add a second balancer".into()),
            ),
            _ => {}
        }
        for (i, n) in spec.nodes.iter().enumerate() {
            cx.host_ref(
                doc,
                &format!("spec.nodes[{i}]"),
                n,
                Role::Balancer,
                "cluster node",
            );
        }
        if let Some(v) = &spec.vip {
            vip(cx, doc, spec, v);
        }
        resources(cx, doc, spec);
        constraints(cx, doc, spec);
        let stonith = spec.properties.get("stonith-enabled").map(String::as_str);
        if !matches!(stonith, Some("false" | "0" | "no" | "off")) {
            let hint = "declare a fencing resource, or set `stonith-enabled: \"false\"` (lab only)"
                .to_string();
            cx.warn(
                doc,
                "spec.properties",
                "STONITH is enabled but no fencing resource is declared",
                Some(hint),
            );
        }
    }
}

fn vip(cx: &mut Cx, doc: &Origin, spec: &HaClusterSpec, v: &Vip) {
    let Ok(ip) = v.ip.parse::<IpAddr>() else {
        let hint = "an IP address like `10.77.0.100`".to_string();
        cx.error(
            doc,
            "spec.vip.ip",
            format!("invalid VIP address `{}`", v.ip),
            Some(hint),
        );
        return;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if v.cidr_netmask > max {
        let hint = format!("a prefix length 0-{max}, like 24");
        cx.error(
            doc,
            "spec.vip.cidrNetmask",
            format!("netmask /{} is out of range", v.cidr_netmask),
            Some(hint),
        );
        return;
    }
    cx.duration(doc, "spec.vip.monitorInterval", &v.monitor_interval, true);
    if !cx.hosts_known {
        return;
    }
    for host in cx.state.hosts() {
        if host.address.parse::<IpAddr>() == Ok(ip) {
            let hint = "the VIP must be an address no host owns".to_string();
            cx.error(
                doc,
                "spec.vip.ip",
                format!("VIP {ip} is the address of host `{}`", host.name),
                Some(hint),
            );
        }
    }
    let outside: Vec<String> = spec
        .nodes
        .iter()
        .filter_map(|n| {
            let addr = cx.state.host(n)?.address.parse::<IpAddr>().ok()?;
            (!net::in_subnet(ip, v.cidr_netmask, addr)).then(|| format!("`{n}` ({addr})"))
        })
        .collect();
    if !outside.is_empty() {
        let msg = format!(
            "VIP {ip}/{} is outside the subnet of node {}",
            v.cidr_netmask,
            outside.join(", ")
        );
        let hint = "IPaddr2 needs the VIP on a subnet every node has an address in".to_string();
        cx.error(doc, "spec.vip.ip", msg, Some(hint));
    }
}

fn resources(cx: &mut Cx, doc: &Origin, spec: &HaClusterSpec) {
    let mut ids: Vec<(&Origin, String, String)> = spec
        .resource_ids()
        .into_iter()
        .chain(hacluster_rsc::mapping_ids(spec))
        .map(|(p, id)| (doc, p, id))
        .collect();
    let k = &spec.constraints;
    let cons = k
        .colocations
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("colocations[{i}]"), &c.id));
    let cons = cons.chain(
        k.orders
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("orders[{i}]"), &c.id)),
    );
    let cons = cons.chain(
        k.locations
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("locations[{i}]"), &c.id)),
    );
    let cons = cons.chain(
        k.tickets
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("tickets[{i}]"), &c.id)),
    );
    for (p, id) in cons {
        ids.push((doc, format!("spec.constraints.{p}.id"), id.clone()));
    }
    for (_, path, id) in &ids {
        if !net::is_xml_id(id) {
            let hint = "a letter or `_`, then letters, digits, `_`, `-`, `.`".to_string();
            cx.error(
                doc,
                path,
                format!("`{id}` is not a valid CIB id"),
                Some(hint),
            );
        }
    }
    cx.unique("CIB id", ids);
    hacluster_rsc::check(cx, doc, spec);
    hacluster_rules::check(cx, doc, spec);
}

/// Every `id="..."` value in a raw XML text (an over-approximation of the resource ids
/// it declares; good enough to accept constraints naming them).
fn xml_ids(xml: &str) -> Vec<&str> {
    xml.split("id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

fn constraints(cx: &mut Cx, doc: &Origin, spec: &HaClusterSpec) {
    let typed: Vec<String> = spec.resource_ids().into_iter().map(|(_, id)| id).collect();
    let mut declared: Vec<&str> = typed.iter().map(String::as_str).collect();
    // Constraints may name raw resources and their members (groups, clones, bundles).
    declared.extend(spec.raw.resources.iter().flat_map(|x| xml_ids(x)));
    let rsc = |cx: &mut Cx, path: String, id: &str| {
        if !declared.contains(&id) {
            let hint = match closest(id, declared.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("declared resources: {}", declared.join(", ")),
            };
            cx.error(
                doc,
                &path,
                format!("resource `{id}` is not declared in this cluster"),
                Some(hint),
            );
        }
    };
    let k = &spec.constraints;
    for (path, id) in hacluster_rules::references(cx, doc, k) {
        rsc(cx, path, &id);
    }
    let mut scores = Vec::new();
    for (i, c) in k.colocations.iter().enumerate() {
        let at = format!("spec.constraints.colocations[{i}]");
        scores.push((format!("{at}.score"), &c.score));
    }
    for (i, o) in k.orders.iter().enumerate() {
        let at = format!("spec.constraints.orders[{i}]");
        if let Some(kind) = o
            .kind
            .as_deref()
            .filter(|k| !["Mandatory", "Optional", "Serialize"].contains(k))
        {
            let hint = "one of Mandatory, Optional, Serialize".to_string();
            cx.error(
                doc,
                &format!("{at}.kind"),
                format!("unknown order kind `{kind}`"),
                Some(hint),
            );
        }
    }
    for (i, l) in k.locations.iter().enumerate() {
        let at = format!("spec.constraints.locations[{i}]");
        let nodes = spec.node_names();
        if let Some(node) = l.node.as_ref().filter(|n| !nodes.contains(n)) {
            let hint = format!(
                "one of the cluster's nodes: {} (or a remote, guest or bundle node it declares)",
                nodes.join(", ")
            );
            cx.error(
                doc,
                &format!("{at}.node"),
                format!("`{node}` is not a node of this cluster"),
                Some(hint),
            );
        }
        if let Some(score) = &l.score {
            scores.push((format!("{at}.score"), score));
        }
    }
    for (path, s) in scores {
        if !net::is_score(s) {
            let hint = "`INFINITY`, `-INFINITY` or an integer".to_string();
            cx.error(
                doc,
                &path,
                format!("`{s}` is not a Pacemaker score"),
                Some(hint),
            );
        }
    }
}
