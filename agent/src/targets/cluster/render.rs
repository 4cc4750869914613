//! `HaCluster` → the CIB fragment for the ids the document declares.
//!
//! The XML has the shape of the CIB's `<configuration>` children, under a
//! `<cib-fragment>` root: `crm_config`, `rsc_defaults`, `op_defaults` (when declared), `resources`,
//! `constraints`. Ids follow pcs' naming habits (checked against pcs 0.11 on
//! a scratch CIB), so a cluster first built by hand with pcs is recognised
//! rather than duplicated: `cib-bootstrap-options-stonith-enabled`,
//! `rsc_defaults-meta_attributes-resource-stickiness`,
//! `vip-instance_attributes-ip`, `vip-monitor-interval-10s`.
//!
//! Owned ids (`CibFragment::ids`): the property and default nvpairs (their
//! sets are shared with Pacemaker's own entries such as `dc-version`), whole
//! primitives, and constraints.

use super::render_constraints;
use super::render_rsc::{self, el, nvpairs};
use super::xml::Elem;
use crate::rendered::{header, source_name, CibFragment, RenderError};
use schema::{Document, HaClusterSpec, Located, Operation, Resource, ResourceClass};
use std::collections::BTreeMap;

/// The `cluster_property_set` pcs and Pacemaker use for cluster properties.
pub const PROPERTY_SET: &str = "cib-bootstrap-options";
/// The `meta_attributes` set pcs uses for resource defaults.
pub const DEFAULTS_SET: &str = "rsc_defaults-meta_attributes";
/// The `meta_attributes` set pcs uses for operation defaults.
pub const OP_DEFAULTS_SET: &str = "op_defaults-meta_attributes";

/// Renders one cluster document. Fails only when a `raw` entry is not one XML element
/// with an `id`.
pub fn render(doc: &Located<Document<HaClusterSpec>>) -> Result<CibFragment, RenderError> {
    let spec = &doc.doc.spec;
    let source = source_name(doc);
    let mut ids = Vec::new();
    let mut crm = Elem::new("crm_config");
    if !spec.properties.is_empty() {
        let set = nvpairs(
            "cluster_property_set",
            PROPERTY_SET,
            &spec.properties,
            &mut ids,
        );
        crm.children.push(set);
    }
    let mut defaults = Elem::new("rsc_defaults");
    if !spec.resource_defaults.is_empty() {
        let set = nvpairs(
            "meta_attributes",
            DEFAULTS_SET,
            &spec.resource_defaults,
            &mut ids,
        );
        defaults.children.push(set);
    }
    let mut op_defaults = Elem::new("op_defaults");
    if !spec.operation_defaults.is_empty() {
        let set = nvpairs(
            "meta_attributes",
            OP_DEFAULTS_SET,
            &spec.operation_defaults,
            &mut ids,
        );
        op_defaults.children.push(set);
    }
    let mut resources_el = Elem::new("resources");
    for r in resources(spec) {
        resources_el
            .children
            .push(render_rsc::primitive(&r, "primitive"));
        ids.push(r.id.clone());
    }
    for t in &spec.templates {
        resources_el
            .children
            .push(render_rsc::primitive(t, "template"));
        ids.push(t.id.clone());
    }
    for g in &spec.groups {
        resources_el.children.push(render_rsc::group(g));
        ids.push(g.id.clone());
    }
    for c in &spec.clones {
        resources_el.children.push(render_rsc::clone(c));
        ids.push(c.id.clone());
    }
    for b in &spec.bundles {
        resources_el.children.push(render_rsc::bundle(b));
        ids.push(b.id.clone());
    }
    for (i, raw) in spec.raw.resources.iter().enumerate() {
        let e = raw_element(raw, &source, &format!("raw.resources[{i}]"))?;
        ids.push(e.id().unwrap_or_default().to_string());
        resources_el.children.push(e);
    }
    let mut constraints = Elem::new("constraints");
    constraints.children = render_constraints::constraints(&spec.constraints, &mut ids);
    for (i, raw) in spec.raw.constraints.iter().enumerate() {
        let e = raw_element(raw, &source, &format!("raw.constraints[{i}]"))?;
        ids.push(e.id().unwrap_or_default().to_string());
        constraints.children.push(e);
    }
    let mut root = Elem::new("cib-fragment");
    root.children = vec![crm, defaults, resources_el, constraints];
    if !op_defaults.children.is_empty() {
        root.children.insert(2, op_defaults);
    }
    ids.sort();
    Ok(CibFragment {
        cluster: doc.doc.metadata.name.clone(),
        nodes: spec.nodes.clone(),
        xml: comment(&header("", &source, &doc.origin)) + &root.to_xml(),
        ids,
    })
}

/// A `raw` entry (what the typed model does not express, e.g. from an import): one
/// XML element with an `id`, taken as it is.
fn raw_element(raw: &str, source: &str, at: &str) -> Result<Elem, RenderError> {
    let bad = |why: String| RenderError::invalid(source, format!("{at}: {why}"));
    let e = Elem::parse(raw.trim()).map_err(bad)?;
    if e.id().is_none() {
        return Err(bad("the element has no `id` attribute".into()));
    }
    Ok(e)
}

/// `text` as an XML comment (`--` may not appear inside one).
fn comment(text: &str) -> String {
    let mut x = String::from("<!--\n");
    for l in text.lines() {
        x.push_str(&format!(" {}\n", l.trim_start().replace("--", "- -")));
    }
    x + "-->\n"
}

/// The VIP as the primitive it stands for, followed by the other resources.
fn resources(spec: &HaClusterSpec) -> Vec<Resource> {
    let mut out = Vec::new();
    if let Some(v) = &spec.vip {
        let mut params = BTreeMap::new();
        params.insert("ip".to_string(), v.ip.clone());
        params.insert("cidr_netmask".to_string(), v.cidr_netmask.to_string());
        if let Some(n) = &v.nic {
            params.insert("nic".to_string(), n.clone());
        }
        out.push(Resource {
            id: v.id.clone(),
            class: Some(ResourceClass::Ocf),
            provider: Some("heartbeat".into()),
            agent: Some("IPaddr2".into()),
            params,
            ops: vec![Operation {
                name: "monitor".into(),
                interval: v.monitor_interval.clone(),
                ..Operation::default()
            }],
            ..Resource::default()
        });
    }
    out.extend(spec.resources.iter().cloned());
    out
}

/// A whole CIB holding only `f`: an empty configuration with the cluster's nodes
/// plus the fragment's sections, every node online and the cluster quorate (so a
/// configuration with fencing enabled is checked as on a healthy cluster, not
/// reported for nodes that "cannot be fenced"). What `crm_verify --xml-file` and a
/// shadow-CIB check take. `Err` when the fragment is not XML.
pub fn full_cib(f: &CibFragment) -> Result<String, String> {
    let frag = Elem::parse(&f.xml)?;
    let section = |name: &str| frag.child(name).cloned().unwrap_or_else(|| Elem::new(name));
    let mut nodes = Elem::new("nodes");
    let mut status = Elem::new("status");
    for (i, n) in f.nodes.iter().enumerate() {
        let id = (i + 1).to_string();
        nodes
            .children
            .push(el("node", &[("id", &id), ("uname", n)]));
        status.children.push(el(
            "node_state",
            &[
                ("id", &id),
                ("uname", n),
                ("in_ccm", "true"),
                ("crmd", "online"),
                ("join", "member"),
                ("expected", "member"),
            ],
        ));
    }
    let mut config = Elem::new("configuration");
    config.children = vec![
        section("crm_config"),
        nodes,
        section("resources"),
        section("constraints"),
        section("rsc_defaults"),
    ];
    if let Some(o) = frag.child("op_defaults") {
        config.children.push(o.clone());
    }
    let mut cib = el(
        "cib",
        &[
            ("validate-with", "pacemaker-3.0"),
            ("epoch", "1"),
            ("num_updates", "0"),
            ("admin_epoch", "0"),
            ("have-quorum", "1"),
        ],
    );
    cib.children = vec![config, status];
    Ok(cib.to_xml())
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
