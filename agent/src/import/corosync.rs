//! corosync.conf → the `HaCluster` corosync settings (`token`, `transport`,
//! `twoNode`), the cluster name and the node names.
//!
//! Same shape as the other importers. The agent never renders corosync.conf: it
//! compares the declared settings with the file and, under the `corosync: reload`
//! policy, edits the totem token in place. So everything else in the file (crypto,
//! interfaces, logging, quorum provider…) stays on the hosts as it is: listed in the
//! summary as left on the host, never lost. The proof is the cluster target's own
//! comparison: the imported settings against the file must be "unchanged".

use super::summary::{Fate, FileSummary, Format};
use crate::plan::Action;
use crate::targets::cluster::corosync::{compare, CorosyncConf, CorosyncWant};
use schema::Corosync;

/// What a corosync.conf gives the cluster document.
#[derive(Debug, Clone)]
pub struct CorosyncImport {
    pub settings: Corosync,
    pub cluster_name: Option<String>,
    /// `nodelist` node names (`ring0_addr` when unnamed), in file order.
    pub nodes: Vec<String>,
    /// `ring0_addr` per node name, when it is an IP address.
    pub addresses: Vec<(String, String)>,
    pub summary: FileSummary,
}

pub fn import(host: Option<&str>, path: &str, text: &str) -> CorosyncImport {
    let mut summary = FileSummary::new(host, path, Format::Corosync);
    let mut stack: Vec<String> = Vec::new();
    let mut node: Vec<(String, String)> = Vec::new();
    let mut addresses = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let no = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_suffix('{') {
            stack.push(section.trim().to_string());
            continue;
        }
        if line == "}" {
            if stack.join(".") == "nodelist.node" {
                let get = |k: &str| node.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
                if let (Some(n), Some(a)) =
                    (get("name").or_else(|| get("ring0_addr")), get("ring0_addr"))
                {
                    if a.parse::<std::net::IpAddr>().is_ok() {
                        addresses.push((n, a));
                    }
                }
                node.clear();
            }
            if stack.pop().is_none() {
                summary.error(no, "`}` closes no section");
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            summary.error(
                no,
                format!("`{line}` is neither `key: value`, `section {{` nor `}}`"),
            );
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        let path = format!("{}.{k}", stack.join("."));
        if stack.join(".") == "nodelist.node" {
            node.push((k.to_string(), v.to_string()));
        }
        let typed = match path.as_str() {
            "totem.token" => v.parse::<u32>().is_ok(),
            "totem.transport" | "totem.cluster_name" => true,
            "quorum.two_node" => matches!(v, "0" | "1"),
            "nodelist.node.name" => true,
            "nodelist.node.ring0_addr" => true,
            _ => false,
        };
        if typed {
            summary.count(no, Fate::Typed, format!("{path}: {v}"), "");
        } else {
            summary.count(
                no,
                Fate::Unmanaged,
                format!("{path}: {v}"),
                "not modelled: stays in corosync.conf on the hosts as it is",
            );
        }
    }
    if !stack.is_empty() {
        summary.error(
            text.lines().count(),
            format!("section `{}` is never closed", stack.join(".")),
        );
    }
    let conf = CorosyncConf::parse(text);
    let settings = Corosync {
        token: conf.values.get("totem.token").and_then(|t| t.parse().ok()),
        transport: conf.values.get("totem.transport").cloned(),
        two_node: conf
            .values
            .get("quorum.two_node")
            .and_then(|v| match v.as_str() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            }),
    };
    CorosyncImport {
        settings,
        cluster_name: conf.values.get("totem.cluster_name").cloned(),
        nodes: conf.nodes.clone(),
        addresses,
        summary,
    }
}

/// The cluster target's comparison of `want` with the file: empty when it reports
/// the file unchanged, else its notes.
pub fn differences(text: &str, want: &CorosyncWant) -> Vec<String> {
    match compare(Some(&CorosyncConf::parse(text)), want, false) {
        Some(c) if c.action == Action::Unchanged => Vec::new(),
        Some(c) => c.notes,
        None => vec!["not compared".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_settings_and_the_rest_left_on_the_host() {
        let text = "totem {\n  version: 2\n  cluster_name: lab\n  transport: knet\n  token: 3000\n  crypto_cipher: aes256\n}\nnodelist {\n  node {\n    ring0_addr: 10.77.0.11\n    name: ha1\n    nodeid: 1\n  }\n  node {\n    ring0_addr: 10.77.0.12\n    name: ha2\n    nodeid: 2\n  }\n}\nquorum {\n  provider: corosync_votequorum\n  two_node: 1\n}\nbogus line\n";
        let c = import(Some("ha1"), "/etc/corosync/corosync.conf", text);
        assert_eq!(
            c.settings,
            Corosync {
                token: Some(3000),
                transport: Some("knet".into()),
                two_node: Some(true)
            }
        );
        assert_eq!(c.cluster_name.as_deref(), Some("lab"));
        assert_eq!(c.nodes, ["ha1", "ha2"]);
        assert_eq!(
            c.addresses[1],
            ("ha2".to_string(), "10.77.0.12".to_string())
        );
        assert!(c
            .summary
            .items
            .iter()
            .any(|i| i.what == "totem.crypto_cipher: aes256" && i.fate == Fate::Unmanaged));
        assert_eq!(c.summary.errors[0].line, 24);
        let want = CorosyncWant {
            cluster_name: c.cluster_name.clone(),
            nodes: c.nodes.clone(),
            token: c.settings.token,
            transport: c.settings.transport.clone(),
            two_node: c.settings.two_node,
            addresses: Default::default(),
        };
        assert!(differences(text, &want).is_empty());
    }
}
