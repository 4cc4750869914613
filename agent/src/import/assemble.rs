//! From what was read to the repository's documents: one importer per source, hosts
//! with the same file sharing one document, the inventory (given, or made up for an
//! offline import with a comment saying so).

use super::apache::{Includes, Site};
use super::doc::{doc_name, Imported};
use super::sources::Sources;
use super::summary::FileSummary;
use super::write::{self, RepoFile, SopsConfig};
use super::{cib, corosync, haproxy};
use schema::{InventorySpec, Role};
use std::collections::{BTreeMap, BTreeSet};

/// One document of the new repo and what the round trip compares it with.
#[derive(Debug, Clone)]
pub struct Entry {
    pub file: RepoFile,
    pub kind: &'static str,
    pub name: String,
    pub summaries: Vec<FileSummary>,
    pub secret_values: Vec<String>,
    pub check: Check,
}

/// The live side of the round trip, per document.
#[derive(Debug, Clone)]
pub enum Check {
    /// Host → live haproxy.cfg.
    Balancer(Vec<(String, String)>),
    /// Host → (live site text, includes, enabled modules).
    Gateway(Vec<(String, String, Includes, Option<BTreeSet<String>>)>),
    /// The live CIB, and corosync.conf per host.
    Cluster {
        cib: String,
        corosync: Vec<(String, String)>,
    },
    /// The live object, normalised.
    Workload(serde_json::Value),
    None,
}

fn header(what: &str, from: &str) -> Vec<String> {
    vec![
        format!("{what}: imported by `agent import` from {from}."),
        "Comments below say where each value came from and why a part was kept verbatim.".into(),
    ]
}

/// Every balancer source as documents: hosts with the same file share one.
pub fn balancers(
    s: &Sources,
    inv: &InventorySpec,
    sops: Option<&SopsConfig>,
) -> Result<Vec<Entry>, String> {
    let mut groups: Vec<(Vec<String>, &super::sources::Text)> = Vec::new();
    for t in &s.haproxy {
        let host = t.host.clone().unwrap_or_default();
        match groups.iter_mut().find(|(_, g)| g.text == t.text) {
            Some((hosts, _)) => hosts.push(host),
            None => groups.push((vec![host], t)),
        }
    }
    let all: Vec<String> = inv
        .hosts
        .iter()
        .filter(|h| h.roles.contains(&Role::Balancer))
        .map(|h| h.name.clone())
        .collect();
    let single = groups.len() == 1;
    let mut out = Vec::new();
    for (hosts, t) in groups {
        let label = hosts.join(",");
        let name = if single {
            "haproxy".to_string()
        } else {
            format!("haproxy-{}", doc_name(&label))
        };
        let src = haproxy::Source {
            host: t.host.as_deref().map(|_| label.as_str()),
            path: &t.path,
            text: &t.text,
        };
        let mut imp = haproxy::import(&src, &name);
        if !(single && (hosts == all || t.host.is_none())) {
            imp.spec.hosts = hosts.iter().filter(|h| !h.is_empty()).cloned().collect();
            imp.comments.add(
                "spec.hosts",
                "these hosts have this haproxy.cfg; the other balancers have another one",
            );
        }
        let path = format!("balancer/{name}.yaml");
        let file = write::document(
            &path,
            &header("HAProxy", &src.label()),
            &imp,
            sops,
            &src.label(),
        )?;
        let live = targets(inv, &hosts, Role::Balancer, &imp.spec.hosts)
            .into_iter()
            .map(|h| (h, t.text.clone()))
            .collect();
        out.push(entry(file, imp, Check::Balancer(live)));
    }
    Ok(out)
}

/// The hosts a document renders for (its list, or every host with the role).
fn targets(
    inv: &InventorySpec,
    read_from: &[String],
    role: Role,
    listed: &[String],
) -> Vec<String> {
    if !listed.is_empty() {
        return listed.to_vec();
    }
    let all: Vec<String> = inv
        .hosts
        .iter()
        .filter(|h| h.roles.contains(&role))
        .map(|h| h.name.clone())
        .collect();
    if read_from.iter().all(|h| h.is_empty()) {
        all
    } else {
        all.into_iter().filter(|h| read_from.contains(h)).collect()
    }
}

fn entry<S: serde::Serialize>(file: RepoFile, imp: Imported<S>, check: Check) -> Entry {
    let mut summaries = imp.summaries;
    for s in &mut summaries {
        s.written_to = file.path.clone();
    }
    Entry {
        file,
        kind: imp.kind,
        name: imp.name.clone(),
        summaries,
        secret_values: imp.secret_values,
        check,
    }
}

/// Every site file as a Gateway document (hosts with the same site file share one).
pub fn gateways(
    s: &Sources,
    inv: &InventorySpec,
    sops: Option<&SopsConfig>,
) -> Result<Vec<Entry>, String> {
    let mut groups: Vec<(Vec<String>, &super::sources::ApacheText)> = Vec::new();
    for t in &s.apache {
        let host = t.text.host.clone().unwrap_or_default();
        match groups
            .iter_mut()
            .find(|(_, g)| g.text.path == t.text.path && g.text.text == t.text.text)
        {
            Some((hosts, _)) => hosts.push(host),
            None => groups.push((vec![host], t)),
        }
    }
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    let all: Vec<String> = inv
        .hosts
        .iter()
        .filter(|h| h.roles.contains(&Role::Gateway))
        .map(|h| h.name.clone())
        .collect();
    let hosts_seen: BTreeSet<&String> = groups.iter().flat_map(|(h, _)| h).collect();
    for (hosts, t) in &groups {
        let label = hosts.join(",");
        let stem = t
            .text
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&t.text.path)
            .trim_end_matches(".conf")
            .to_string();
        let mut name = doc_name(&stem);
        while !names.insert(name.clone()) {
            name = format!("{name}-{}", doc_name(&label));
        }
        let site = Site {
            host: t.text.host.as_deref().map(|_| label.as_str()),
            path: &t.text.path,
            text: &t.text.text,
            includes: t.includes.as_ref(),
            enabled: t.modules.as_ref(),
        };
        let mut imp = super::apache::import(&site, &name);
        let everywhere =
            t.text.host.is_none() || (hosts.len() == hosts_seen.len() && *hosts == all);
        if !everywhere {
            imp.spec.hosts = hosts.clone();
            imp.comments
                .add("spec.hosts", "only these gateway hosts have this site file");
        }
        let from = site.label();
        let path = format!("gateway/{name}.yaml");
        let file = write::document(&path, &header("Apache site", &from), &imp, sops, &from)?;
        let live = targets(inv, hosts, Role::Gateway, &imp.spec.hosts)
            .into_iter()
            .map(|h| {
                (
                    h,
                    t.text.text.clone(),
                    t.includes.clone().unwrap_or_default(),
                    t.modules.clone(),
                )
            })
            .collect();
        out.push(entry(file, imp, Check::Gateway(live)));
    }
    Ok(out)
}

/// The CIB and corosync.conf as the HaCluster document.
pub fn cluster(
    s: &Sources,
    inv: &InventorySpec,
    sops: Option<&SopsConfig>,
) -> Result<Option<Entry>, String> {
    let co = s
        .corosync
        .first()
        .map(|t| corosync::import(t.host.as_deref(), &t.path, &t.text));
    const EMPTY: &str =
        "<cib><configuration><crm_config/><nodes/><resources/><constraints/></configuration></cib>";
    let none = super::sources::Text {
        host: None,
        path: "(no CIB read)".into(),
        text: EMPTY.into(),
    };
    let c = match (&s.cib, &co) {
        (Some(c), _) => c,
        (None, Some(_)) => &none,
        (None, None) => return Ok(None),
    };
    let cluster_name: Option<String> = co.as_ref().and_then(|c| c.cluster_name.clone());
    let addrs: BTreeMap<String, String> = inv
        .hosts
        .iter()
        .filter(|h| h.roles.contains(&Role::Balancer))
        .map(|h| (h.name.clone(), h.address.clone()))
        .collect();
    let src = cib::CibSource {
        host: c.host.as_deref(),
        path: &c.path,
        text: &c.text,
        cluster_name: cluster_name.as_deref(),
        node_addresses: (!addrs.is_empty()).then_some(&addrs),
    };
    let name = doc_name(cluster_name.as_deref().unwrap_or("cluster"));
    let mut imp = cib::import(&src, &name);
    if imp.spec.nodes.is_empty() {
        if let Some(c) = &co {
            // A node listed by address only is the inventory host with that address.
            imp.spec.nodes = c
                .nodes
                .iter()
                .map(|n| {
                    inv.hosts
                        .iter()
                        .find(|h| h.address == *n && h.name != *n)
                        .map(|h| h.name.clone())
                        .unwrap_or_else(|| n.clone())
                })
                .collect();
        }
    }
    let mut corosync_texts = Vec::new();
    if let Some(c) = co {
        let settings_empty = c.settings == schema::Corosync::default();
        if !settings_empty {
            imp.spec.corosync = Some(c.settings.clone());
            imp.comments.add(
                "spec.corosync",
                format!(
                    "from {}; the rest of corosync.conf stays on the hosts as it is",
                    c.summary.label()
                ),
            );
        }
        imp.summaries.push(c.summary);
        for t in &s.corosync {
            corosync_texts.push((t.host.clone().unwrap_or_default(), t.text.clone()));
        }
    }
    let file = write::document(
        "cluster/cluster.yaml",
        &header("Pacemaker/Corosync", &src.label()),
        &imp,
        sops,
        &src.label(),
    )?;
    Ok(Some(entry(
        file,
        imp,
        Check::Cluster {
            cib: c.text.clone(),
            corosync: corosync_texts,
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::sources::Text;
    use schema::Host;

    fn inv() -> InventorySpec {
        let host = |n: &str, a: &str, r| Host {
            name: n.into(),
            address: a.into(),
            port: None,
            user: None,
            sudo: None,
            host_key: None,
            roles: vec![r],
            overrides: Default::default(),
            labels: Default::default(),
            node: None,
        };
        InventorySpec {
            defaults: Default::default(),
            hosts: vec![
                host("ha1", "10.0.0.11", Role::Balancer),
                host("ha2", "10.0.0.12", Role::Balancer),
            ],
        }
    }

    fn text(host: &str, t: &str) -> Text {
        Text {
            host: Some(host.into()),
            path: "/etc/haproxy/haproxy.cfg".into(),
            text: t.into(),
        }
    }

    #[test]
    fn hosts_with_the_same_file_share_a_document_and_different_ones_get_their_own() {
        let a = "global\n    daemon\nbackend b\n    server s 10.0.0.21:80 check\n";
        let same = Sources {
            haproxy: vec![text("ha1", a), text("ha2", a)],
            ..Default::default()
        };
        let e = balancers(&same, &inv(), None).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].file.path, "balancer/haproxy.yaml");
        assert!(
            !e[0].file.text.contains("hosts:"),
            "every balancer: no hosts list\n{}",
            e[0].file.text
        );
        let Check::Balancer(live) = &e[0].check else {
            panic!()
        };
        assert_eq!(live.len(), 2, "checked on both hosts");
        let b = a.replace("10.0.0.21", "10.0.0.22");
        let differ = Sources {
            haproxy: vec![text("ha1", a), text("ha2", &b)],
            ..Default::default()
        };
        let e = balancers(&differ, &inv(), None).unwrap();
        assert_eq!(
            e.iter().map(|e| e.file.path.as_str()).collect::<Vec<_>>(),
            ["balancer/haproxy-ha1.yaml", "balancer/haproxy-ha2.yaml"]
        );
        assert!(
            e[1].file.text.contains("hosts:\n    - ha2\n"),
            "{}",
            e[1].file.text
        );
    }
}
