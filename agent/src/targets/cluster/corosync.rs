//! corosync.conf: observed and compared; written only under an explicit policy.
//!
//! By default every difference is reported as drift (`Action::Drift` with the
//! details in the notes) and the operator acts. With the `corosync: reload` policy
//! ([`super::ClusterPolicy::manage_corosync`]) agent changes the one declared setting
//! corosync 3 reloads at runtime, the totem `token` timeout, on every node (see
//! [`super::corosync_apply`]). The cluster name, transport, `two_node` and the node list
//! need a coordinated restart of the whole cluster, which agent never does: they stay
//! report-only under every policy.

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
    /// Inventory address of each node: a corosync node listed by `ring0_addr` only
    /// (no `name`) is that node.
    pub addresses: BTreeMap<String, String>,
}

impl CorosyncWant {
    /// The nodes' inventory addresses added (see [`CorosyncWant::addresses`]).
    pub fn with_addresses(mut self, state: &schema::DesiredState) -> Self {
        for n in &self.nodes {
            if let Some(h) = state.host(n) {
                self.addresses.insert(n.clone(), h.address.clone());
            }
        }
        self
    }

    pub fn from_spec(spec: &HaClusterSpec) -> CorosyncWant {
        let c = spec.corosync.clone().unwrap_or_default();
        CorosyncWant {
            cluster_name: Some(spec.cluster_name.clone()),
            nodes: spec.nodes.clone(),
            token: c.token,
            transport: c.transport,
            two_node: c.two_node,
            addresses: BTreeMap::new(),
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

/// The object name of the corosync comparison in change sets.
pub const OBJECT: &str = "corosync.conf";

/// Compares the declared settings with `live`; `None` when the file was unreadable.
///
/// Without `manage` every difference is drift to report (`Drift`). With `manage`
/// a `token` difference is an `Update` apply carries out; differences that need a
/// cluster restart stay in the notes, marked as reported only.
pub fn compare(live: Option<&CorosyncConf>, want: &CorosyncWant, manage: bool) -> Option<Change> {
    let live = live?;
    let (mut reloadable, mut restart) = (Vec::new(), Vec::new());
    let check = |key: &str, want: Option<String>, notes: &mut Vec<String>| {
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
    check(
        "totem.token",
        want.token.map(|t| t.to_string()),
        &mut reloadable,
    );
    check(
        "totem.cluster_name",
        want.cluster_name.clone(),
        &mut restart,
    );
    check("totem.transport", want.transport.clone(), &mut restart);
    check(
        "quorum.two_node",
        want.two_node.map(|b| u8::from(b).to_string()),
        &mut restart,
    );
    let w: Vec<String> = want
        .nodes
        .iter()
        .map(|n| match want.addresses.get(n) {
            Some(a) if !live.nodes.contains(n) && live.nodes.contains(a) => a.clone(),
            _ => n.clone(),
        })
        .collect();
    let (mut l, mut w) = (live.nodes.clone(), w);
    l.sort();
    w.sort();
    if !w.is_empty() && l != w {
        restart.push(format!("corosync nodes {} → {}", l.join(","), w.join(",")));
    }
    let action = if manage && !reloadable.is_empty() {
        Action::Update
    } else if reloadable.is_empty() && restart.is_empty() {
        Action::Unchanged
    } else {
        Action::Drift
    };
    let mut notes = reloadable;
    let any_restart = !restart.is_empty();
    notes.append(&mut restart);
    if action == Action::Drift {
        notes.push(if manage {
            "drift: needs a coordinated cluster restart; reported only (agent never restarts corosync)".into()
        } else {
            "drift: corosync.conf is report-only (policy cluster.corosync: report)".into()
        });
    } else if any_restart {
        notes.push(
            "the settings other than totem.token need a coordinated cluster restart; reported only"
                .into(),
        );
    }
    Some(change(OBJECT.into(), action, notes))
}

/// `text` with the totem `token` set to `token`: the existing line edited in place
/// (indentation and everything else kept), or a line added at the top of `totem {`.
/// `None` when the file has no totem section.
pub fn with_token(text: &str, token: u32) -> Option<String> {
    let mut out = Vec::new();
    let (mut depth, mut in_totem, mut done, mut saw_totem) = (0usize, false, false, false);
    for raw in text.lines() {
        let code = raw.split('#').next().unwrap_or("").trim();
        if let Some(section) = code.strip_suffix('{') {
            depth += 1;
            if depth == 1 && section.trim() == "totem" {
                in_totem = true;
                saw_totem = true;
                out.push(raw.to_string());
                if !text_has_token(text) {
                    out.push(format!("    token: {token}"));
                    done = true;
                }
                continue;
            }
        } else if code == "}" {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                in_totem = false;
            }
        } else if in_totem && depth == 1 && !done {
            if let Some((k, _)) = code.split_once(':') {
                if k.trim() == "token" {
                    let indent = &raw[..raw.len() - raw.trim_start().len()];
                    out.push(format!("{indent}token: {token}"));
                    done = true;
                    continue;
                }
            }
        }
        out.push(raw.to_string());
    }
    if !saw_totem {
        return None;
    }
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    Some(s)
}

fn text_has_token(text: &str) -> bool {
    CorosyncConf::parse(text).values.contains_key("totem.token")
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
    fn token_is_edited_in_place_or_added() {
        let edited = with_token(CONF, 5000).unwrap();
        assert_eq!(edited, CONF.replace("token: 3000", "token: 5000"));
        assert_eq!(CorosyncConf::parse(&edited).values["totem.token"], "5000");
        let without = CONF.replace("    token: 3000\n", "");
        let added = with_token(&without, 4000).unwrap();
        assert!(
            added.contains("totem {\n    token: 4000\n    version: 2"),
            "{added}"
        );
        assert_eq!(CorosyncConf::parse(&added).nodes, vec!["ha1", "ha2"]);
        assert_eq!(with_token("quorum {\n}\n", 1), None);
        // a token key in another section is not the totem one
        let other = "logging {\n    token: 1\n}\ntotem {\n    version: 2\n}\n";
        let o = with_token(other, 9).unwrap();
        assert!(o.contains("logging {\n    token: 1\n}"), "{o}");
        assert!(o.contains("totem {\n    token: 9\n"), "{o}");
    }

    #[test]
    fn policy_makes_the_token_an_update_and_keeps_the_rest_report_only() {
        let c = CorosyncConf::parse(CONF);
        let mut want = CorosyncWant {
            token: Some(5000),
            ..Default::default()
        };
        let ch = compare(Some(&c), &want, true).unwrap();
        assert_eq!(ch.action, Action::Update);
        assert_eq!(ch.notes, vec!["corosync totem.token 3000 → 5000"]);
        want.two_node = Some(false);
        let ch = compare(Some(&c), &want, true).unwrap();
        assert_eq!(ch.action, Action::Update);
        assert!(
            ch.notes[1].contains("quorum.two_node 1 → 0"),
            "{:?}",
            ch.notes
        );
        assert!(ch.notes[2].contains("restart"), "{:?}", ch.notes);
        want.token = Some(3000);
        let ch = compare(Some(&c), &want, true).unwrap();
        assert_eq!(
            ch.action,
            Action::Drift,
            "restart-only drift is never applied"
        );
        assert!(ch.notes.last().unwrap().contains("never restarts"));
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
            addresses: Default::default(),
        };
        assert_eq!(
            compare(Some(&c), &want, false).unwrap().action,
            Action::Unchanged
        );
        want.token = Some(1000);
        let ch = compare(Some(&c), &want, false).unwrap();
        assert_eq!(ch.action, Action::Drift);
        assert_eq!(ch.notes[0], "corosync totem.token 3000 → 1000");
    }
}
