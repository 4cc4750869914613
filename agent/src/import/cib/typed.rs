//! The typed mapping of a CIB's configuration.

use super::containers;
use super::primitive::{dedent, primitive};
use super::source::CibSource;
use super::xml::elements;
use crate::import::doc::{Comments, Imported};
use crate::import::summary::{Fate, FileSummary};
use roxmltree::{Document, Node};
use schema::validate::net;
use schema::{CibRaw, Constraints, HaClusterSpec, Operation, Resource, ResourceClass, Vip};
use std::collections::BTreeMap;

/// Properties Pacemaker maintains itself.
const MAINTAINED: &[&str] = &[
    "dc-version",
    "cluster-infrastructure",
    "cluster-name",
    "have-watchdog",
    "last-lrm-refresh",
];

/// Parameter names that hold a password.
pub fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    (n.contains("passw") || n.contains("secret") || n == "passwd")
        && !n.ends_with("_script")
        && !n.ends_with("-script")
}

pub fn empty(summary: FileSummary, name: &str) -> Imported<HaClusterSpec> {
    Imported {
        kind: "HaCluster",
        name: name.to_string(),
        spec: HaClusterSpec {
            cluster_name: "cluster".into(),
            nodes: Vec::new(),
            corosync: None,
            properties: BTreeMap::new(),
            resource_defaults: BTreeMap::new(),
            operation_defaults: BTreeMap::new(),
            vip: None,
            resources: Vec::new(),
            templates: Vec::new(),
            groups: Vec::new(),
            clones: Vec::new(),
            bundles: Vec::new(),
            constraints: Constraints::default(),
            raw: CibRaw::default(),
        },
        comments: Comments::default(),
        secrets: Vec::new(),
        secret_values: Vec::new(),
        summaries: vec![summary],
    }
}

/// Ids named in canonical difference lines (`id="vip"`).
/// Only the top-level element's id counts (the first on its line): the ids inside
/// are its members or the resources it names, which may well be the same.
pub fn ids_in(differences: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in differences {
        let first = d.split(" id=\"").nth(1).and_then(|p| p.split('"').next());
        if let Some(id) = first.filter(|id| !out.iter().any(|o| o == id)) {
            out.push(id.to_string());
        }
    }
    out
}

pub struct Builder<'a, 'd> {
    pub(super) src: &'a CibSource<'a>,
    pub(super) doc: &'a Document<'d>,
    pub(super) out: Imported<HaClusterSpec>,
    /// Ids whose typed form was found to differ: kept verbatim.
    pub(super) banned: &'a [String],
}

impl<'a, 'd> Builder<'a, 'd> {
    pub fn new(
        src: &'a CibSource<'a>,
        doc: &'a Document<'d>,
        summary: FileSummary,
        banned: &'a [String],
    ) -> Self {
        Builder {
            src,
            doc,
            out: empty(summary, ""),
            banned,
        }
    }

    fn line(&self, n: Node) -> usize {
        self.doc.text_pos_at(n.range().start).row as usize
    }

    pub(super) fn count(&mut self, n: Node, fate: Fate, why: &str) {
        let what = match n.attribute("id") {
            Some(id) => format!("<{} id={id}>", n.tag_name().name()),
            None => format!("<{}>", n.tag_name().name()),
        };
        let line = self.line(n);
        self.out.summaries[0].count(line, fate, what, why);
    }

    pub fn build(mut self) -> Imported<HaClusterSpec> {
        let root = self.doc.root_element();
        let conf = elements(root).find(|c| c.has_tag_name("configuration"));
        let Some(conf) = conf else {
            self.out.summaries[0].error(1, "no <configuration> element: not a CIB");
            return self.out;
        };
        let section = |name: &str| elements(conf).find(|c| c.has_tag_name(name));
        let spec_name = self.src.cluster_name.map(str::to_string);
        if let Some(nodes) = section("nodes") {
            for n in elements(nodes) {
                if n.attribute("type") == Some("remote") {
                    self.count(n, Fate::Unmanaged, "a Pacemaker Remote node: left as it is");
                    continue;
                }
                if let Some(u) = n.attribute("uname") {
                    self.out.spec.nodes.push(u.to_string());
                }
                self.count(n, Fate::Typed, "");
                for a in elements(n) {
                    self.count(a, Fate::Unmanaged, "node attributes: left as they are");
                }
            }
        }
        let props = self.nvpairs(section("crm_config"), "properties");
        if let Some(cn) = props.get("cluster-name") {
            self.out.spec.cluster_name = cn.clone();
        }
        if let Some(cn) = spec_name {
            self.out.spec.cluster_name = cn;
        }
        self.out.spec.properties = props
            .into_iter()
            .filter(|(k, _)| !MAINTAINED.contains(&k.as_str()))
            .collect();
        self.out.spec.resource_defaults =
            self.nvpairs(section("rsc_defaults"), "resource defaults");
        self.out.spec.operation_defaults =
            self.nvpairs(section("op_defaults"), "operation defaults");
        if let Some(r) = section("resources") {
            for e in elements(r) {
                self.resource(e);
            }
        }
        if let Some(c) = section("constraints") {
            for e in elements(c) {
                self.constraint(e);
            }
        }
        for s in elements(conf) {
            if !matches!(
                s.tag_name().name(),
                "crm_config"
                    | "rsc_defaults"
                    | "op_defaults"
                    | "resources"
                    | "constraints"
                    | "nodes"
            ) {
                for e in elements(s) {
                    self.count(
                        e,
                        Fate::Unmanaged,
                        &format!("<{}> is not modelled: left as it is", s.tag_name().name()),
                    );
                }
            }
        }
        self.secrets();
        self.out.comments.add(
            "spec.nodes",
            format!("from the <nodes> of {}", self.src.label()),
        );
        self.out
    }

    /// name → value of every unconditional set; the rest (and Pacemaker's own) left alone.
    fn nvpairs(&mut self, section: Option<Node>, what: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(section) = section else { return out };
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let sets: Vec<Node> = elements(section).collect();
        for set in &sets {
            for nv in elements(*set).filter(|n| n.has_tag_name("nvpair")) {
                *seen
                    .entry(nv.attribute("name").unwrap_or("").to_string())
                    .or_default() += 1;
            }
        }
        for set in sets {
            let conditional = elements(set).any(|c| !c.has_tag_name("nvpair"))
                || set.attribute("score").is_some();
            for nv in elements(set) {
                let name = nv.attribute("name").unwrap_or("");
                let why = if conditional {
                    Some(format!(
                        "in a {what} set with a rule or score: left as it is"
                    ))
                } else if seen.get(name).copied().unwrap_or(0) > 1 {
                    Some("set twice: left as it is".to_string())
                } else if MAINTAINED.contains(&name) {
                    Some("maintained by Pacemaker".to_string())
                } else if nv.attribute("value").is_none() || !nv.has_tag_name("nvpair") {
                    Some("not a name/value pair".to_string())
                } else {
                    None
                };
                match why {
                    Some(w) if name != "cluster-name" => self.count(nv, Fate::Unmanaged, &w),
                    _ => {
                        self.count(nv, Fate::Typed, "");
                        out.insert(
                            name.to_string(),
                            nv.attribute("value").unwrap_or("").to_string(),
                        );
                    }
                }
            }
        }
        out
    }

    pub(super) fn raw(&mut self, e: Node, resources: bool, why: &str) {
        let text = &self.doc.input_text()[e.range()];
        let secret = e
            .descendants()
            .any(|d| d.has_tag_name("nvpair") && d.attribute("name").is_some_and(is_secret_param));
        if secret {
            self.count(
                e,
                Fate::Unmanaged,
                &format!("{why}, and it holds a password: left on the cluster, not written to Git"),
            );
            return;
        }
        self.count(e, Fate::Raw, why);
        for d in e.descendants().skip(1).filter(|d| d.is_element()) {
            self.count(d, Fate::Raw, why);
        }
        let column = self.doc.text_pos_at(e.range().start).col as usize;
        let list = if resources {
            &mut self.out.spec.raw.resources
        } else {
            &mut self.out.spec.raw.constraints
        };
        let at = format!(
            "spec.raw.{}[{}]",
            if resources {
                "resources"
            } else {
                "constraints"
            },
            list.len()
        );
        list.push(dedent(text, column.saturating_sub(1)));
        let line = self.doc.text_pos_at(e.range().start).row;
        self.out
            .comments
            .add(at, format!("{}:{line}: {why}", self.src.label()));
    }

    fn typed(&mut self, e: Node) {
        self.count(e, Fate::Typed, "");
        for d in e.descendants().skip(1).filter(|d| d.is_element()) {
            self.count(d, Fate::Typed, "");
        }
    }

    fn resource(&mut self, e: Node) {
        let id = e.attribute("id").unwrap_or("");
        if self.banned.iter().any(|b| b == id) {
            return self.raw(e, true, "its typed form would not be the same");
        }
        let spec = &mut self.out.spec;
        let done = match e.tag_name().name() {
            "primitive" => return self.top_primitive(e),
            "template" => primitive(e).and_then(|t| match t.template {
                Some(_) => Err("a template naming a template".into()),
                None => {
                    spec.templates.push(t);
                    Ok(())
                }
            }),
            "group" => containers::group(e).map(|g| spec.groups.push(g)),
            "clone" => containers::clone(e).map(|c| spec.clones.push(c)),
            "master" => containers::clone(e).map(|c| {
                spec.clones
                    .push(schema::ResourceClone { master: true, ..c })
            }),
            "bundle" => containers::bundle(e).map(|b| spec.bundles.push(b)),
            other => Err(format!("a <{other}> (not modelled)")),
        };
        match done {
            Ok(()) => self.typed(e),
            Err(why) => self.raw(e, true, &why),
        }
    }

    fn top_primitive(&mut self, e: Node) {
        match primitive(e) {
            Ok(r) => {
                let line = self.line(e);
                self.typed(e);
                if self.out.spec.vip.is_none() {
                    if let Some(v) = self.vip(&r) {
                        self.out.comments.add(
                            "spec.vip",
                            format!(
                                "the IPaddr2 primitive `{}` ({}:{line})",
                                r.id,
                                self.src.label()
                            ),
                        );
                        self.out.spec.vip = Some(v);
                        return;
                    }
                }
                self.out.spec.resources.push(r);
            }
            Err(why) => self.raw(e, true, &why),
        }
    }

    /// Every typed parameter that holds a password, as a secret.
    fn secrets(&mut self) {
        let spec = &self.out.spec;
        let templates = spec.templates.iter().enumerate();
        let templates = templates.map(|(i, t)| (format!("spec.templates[{i}]"), t));
        let mut maps: Vec<(String, &std::collections::BTreeMap<String, String>)> = Vec::new();
        for (at, r) in spec.primitives().into_iter().chain(templates) {
            maps.push((format!("{at}.params"), &r.params));
            maps.push((format!("{at}.meta"), &r.meta));
            for (j, op) in r.ops.iter().enumerate() {
                maps.push((format!("{at}.ops[{j}].params"), &op.params));
                maps.push((format!("{at}.ops[{j}].meta"), &op.meta));
            }
        }
        let mut found = Vec::new();
        for (at, map) in maps {
            for (k, v) in map.iter().filter(|(k, _)| is_secret_param(k)) {
                found.push((format!("{at}.{k}"), v.clone()));
            }
        }
        for (path, value) in found {
            self.out.secrets.push(path);
            self.out.secret_values.push(value);
        }
    }

    /// A primitive that is exactly a VIP as the model writes it.
    fn vip(&self, r: &Resource) -> Option<Vip> {
        if r.class != Some(ResourceClass::Ocf)
            || r.provider.as_deref() != Some("heartbeat")
            || r.agent.as_deref() != Some("IPaddr2")
            || r.description.is_some()
            || !r.meta.is_empty()
            || !r.utilization.is_empty()
        {
            return None;
        }
        if r.params
            .keys()
            .any(|k| !matches!(k.as_str(), "ip" | "cidr_netmask" | "nic"))
        {
            return None;
        }
        let [op] = r.ops.as_slice() else { return None };
        let plain = Operation {
            name: "monitor".into(),
            interval: op.interval.clone(),
            ..Operation::default()
        };
        if *op != plain {
            return None;
        }
        let ip: std::net::IpAddr = r.params.get("ip")?.parse().ok()?;
        let mask: u8 = r.params.get("cidr_netmask")?.parse().ok()?;
        if let Some(addrs) = self.src.node_addresses {
            let inside = addrs
                .values()
                .all(|a| a.parse().is_ok_and(|a| net::in_subnet(ip, mask, a)));
            if !inside || addrs.values().any(|a| a.parse() == Ok(ip)) {
                return None;
            }
        }
        Some(Vip {
            id: r.id.clone(),
            ip: ip.to_string(),
            cidr_netmask: mask,
            nic: r.params.get("nic").cloned(),
            monitor_interval: op.interval.clone(),
        })
    }
}
