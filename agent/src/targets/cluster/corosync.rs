//! corosync.conf: observed and compared, never written.
//!
//! Changing totem/quorum settings or the node list needs a coordinated cluster
//! restart, which agent does not do: differences are reported as drift
//! (`Action::Unmanaged` with the details in the notes) and the operator acts.

use super::compare::change;
use crate::plan::{Action, Change};
use schema::model::HaClusterSpec;
use std::collections::BTreeMap;

/// The corosync settings Git declares (all optional: unset means "not managed").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorosyncWant {
    pub cluster_name: Option<String>,
    pub nodes: Vec<String>,
    pub token: Option<u32>,
    pub transport: Option<String>,
    pub two_node: Option<bool>,
}

impl CorosyncWant {
    pub fn from_spec(spec: &HaClusterSpec) -> CorosyncWant {
        let c = spec.corosync.clone().unwrap_or_default();
        CorosyncWant {
            cluster_name: Some(spec.cluster_name.clone()),
            nodes: spec.nodes.clone(),
            token: c.token,
            transport: c.transport,
            two_node: c.two_node,
        }
    }
}

/// corosync.conf as flat `section.key` values plus the node names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorosyncConf {
    pub values: BTreeMap<String, String>,
    /// `nodelist.node.name` (or `ring0_addr` when unnamed), in file order.
    pub nodes: Vec<String>,
}

impl CorosyncConf {
    pub fn parse(text: &str) -> CorosyncConf {
        let mut conf = CorosyncConf::default();
        let mut stack: Vec<String> = Vec::new();
        let mut node: BTreeMap<String, String> = BTreeMap::new();
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if let Some(section) = line.strip_suffix('{') {
                stack.push(section.trim().to_string());
            } else if line == "}" {
                if stack.join(".") == "nodelist.node" {
                    if let Some(n) = node.get("name").or_else(|| node.get("ring0_addr")) {
                        conf.nodes.push(n.clone());
                    }
                    node.clear();
                }
                stack.pop();
            } else if let Some((k, v)) = line.split_once(':') {
                let (k, v) = (k.trim().to_string(), v.trim().to_string());
                if stack.join(".") == "nodelist.node" {
                    node.insert(k, v);
                } else {
                    let mut path = stack.clone();
                    path.push(k);
                    conf.values.insert(path.join("."), v);
                }
            }
        }
        conf
    }
}

/// Report-only comparison; `None` when nothing is declared or the file was unreadable.
pub fn compare(live: Option<&CorosyncConf>, want: &CorosyncWant) -> Option<Change> {
    let live = live?;
    let mut notes = Vec::new();
    let mut check = |key: &str, want: Option<String>| {
        if let Some(w) = want {
            let l = live
                .values
                .get(key)
                .map(String::as_str)
                .unwrap_or("(unset)");
            if l != w {
                notes.push(format!("corosync {key} {l} → {w}"));
            }
        }
    };
    check("totem.cluster_name", want.cluster_name.clone());
    check("totem.token", want.token.map(|t| t.to_string()));
    check("totem.transport", want.transport.clone());
    check(
        "quorum.two_node",
        want.two_node.map(|b| u8::from(b).to_string()),
    );
    let (mut l, mut w) = (live.nodes.clone(), want.nodes.clone());
    l.sort();
    w.sort();
    if !w.is_empty() && l != w {
        notes.push(format!("corosync nodes {} → {}", l.join(","), w.join(",")));
    }
    let action = if notes.is_empty() {
        Action::Unchanged
    } else {
        notes.push("drift: corosync.conf is report-only (a change needs a cluster restart)".into());
        Action::Unmanaged
    };
    Some(change("corosync.conf".into(), action, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "totem {\n    version: 2\n    cluster_name: lab\n    transport: knet\n    token: 3000\n}\n\
        nodelist {\n    node {\n        ring0_addr: 10.77.0.11\n        name: ha1\n        nodeid: 1\n    }\n\
        node {\n        ring0_addr: 10.77.0.12\n        name: ha2\n        nodeid: 2\n    }\n}\n\
        quorum {\n    provider: corosync_votequorum # votes\n    two_node: 1\n}\n";

    #[test]
    fn parses_the_pcs_layout() {
        let c = CorosyncConf::parse(CONF);
        assert_eq!(c.values["totem.token"], "3000");
        assert_eq!(c.values["quorum.two_node"], "1");
        assert_eq!(c.values["quorum.provider"], "corosync_votequorum");
        assert_eq!(c.nodes, vec!["ha1", "ha2"]);
    }

    #[test]
    fn differences_are_reported_not_changed() {
        let c = CorosyncConf::parse(CONF);
        let mut want = CorosyncWant {
            cluster_name: Some("lab".into()),
            nodes: vec!["ha2".into(), "ha1".into()],
            token: Some(3000),
            transport: Some("knet".into()),
            two_node: Some(true),
        };
        assert_eq!(compare(Some(&c), &want).unwrap().action, Action::Unchanged);
        want.token = Some(1000);
        let ch = compare(Some(&c), &want).unwrap();
        assert_eq!(ch.action, Action::Unmanaged);
        assert_eq!(ch.notes[0], "corosync totem.token 3000 → 1000");
    }
}
