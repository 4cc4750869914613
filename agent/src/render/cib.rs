//! `HaCluster` → the CIB fragment for the ids the document declares.
//!
//! The XML has the shape of the CIB's `<configuration>` children, under a
//! `<cib-fragment>` root: `crm_config`, `rsc_defaults`, `resources`,
//! `constraints`. Ids follow pcs' naming habits (checked against pcs 0.11 on
//! a scratch CIB), so a cluster first built by hand with pcs is recognised
//! rather than duplicated: `cib-bootstrap-options-stonith-enabled`,
//! `rsc_defaults-meta_attributes-resource-stickiness`,
//! `vip-instance_attributes-ip`, `vip-monitor-interval-10s`.
//!
//! Owned ids (`CibFragment::ids`): the property and default nvpairs (their
//! sets are shared with Pacemaker's own entries such as `dc-version`), whole
//! primitives, and constraints.

use super::{header, source_name, CibFragment};
use schema::{Document, HaClusterSpec, Located, Operation, Resource, ResourceClass};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The `cluster_property_set` pcs and Pacemaker use for cluster properties.
pub const PROPERTY_SET: &str = "cib-bootstrap-options";
/// The `meta_attributes` set pcs uses for resource defaults.
pub const DEFAULTS_SET: &str = "rsc_defaults-meta_attributes";

/// Renders one cluster document.
pub fn render(doc: &Located<Document<HaClusterSpec>>) -> CibFragment {
    let spec = &doc.doc.spec;
    let source = source_name(doc);
    let mut ids = Vec::new();
    let mut x = String::new();
    x.push_str("<!--\n");
    for l in header("", &source, &doc.origin).lines() {
        // `--` may not appear inside an XML comment.
        let _ = writeln!(x, " {}", l.trim_start().replace("--", "- -"));
    }
    x.push_str("-->\n<cib-fragment>\n");

    x.push_str("  <crm_config>\n");
    if !spec.properties.is_empty() {
        let _ = writeln!(x, "    <cluster_property_set id=\"{PROPERTY_SET}\">");
        nvpairs(&mut x, &mut ids, 6, PROPERTY_SET, &spec.properties);
        x.push_str("    </cluster_property_set>\n");
    }
    x.push_str("  </crm_config>\n");

    x.push_str("  <rsc_defaults>\n");
    if !spec.resource_defaults.is_empty() {
        let _ = writeln!(x, "    <meta_attributes id=\"{DEFAULTS_SET}\">");
        nvpairs(&mut x, &mut ids, 6, DEFAULTS_SET, &spec.resource_defaults);
        x.push_str("    </meta_attributes>\n");
    }
    x.push_str("  </rsc_defaults>\n");

    x.push_str("  <resources>\n");
    for r in resources(spec) {
        primitive(&mut x, &r);
        ids.push(r.id.clone());
    }
    x.push_str("  </resources>\n");

    x.push_str("  <constraints>\n");
    let c = &spec.constraints;
    for co in &c.colocations {
        let _ = writeln!(
            x,
            "    <rsc_colocation id=\"{}\" rsc=\"{}\" with-rsc=\"{}\" score=\"{}\"/>",
            esc(&co.id),
            esc(&co.rsc),
            esc(&co.with_rsc),
            esc(&co.score)
        );
        ids.push(co.id.clone());
    }
    for o in &c.orders {
        let kind = o
            .kind
            .as_ref()
            .map(|k| format!(" kind=\"{}\"", esc(k)))
            .unwrap_or_default();
        let _ = writeln!(
            x,
            "    <rsc_order id=\"{}\" first=\"{}\" then=\"{}\" first-action=\"start\" then-action=\"start\"{kind}/>",
            esc(&o.id),
            esc(&o.first),
            esc(&o.then)
        );
        ids.push(o.id.clone());
    }
    for l in &c.locations {
        let _ = writeln!(
            x,
            "    <rsc_location id=\"{}\" rsc=\"{}\" node=\"{}\" score=\"{}\"/>",
            esc(&l.id),
            esc(&l.rsc),
            esc(&l.node),
            esc(&l.score)
        );
        ids.push(l.id.clone());
    }
    x.push_str("  </constraints>\n</cib-fragment>\n");
    ids.sort();
    CibFragment {
        cluster: doc.doc.metadata.name.clone(),
        nodes: spec.nodes.clone(),
        xml: x,
        ids,
    }
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
            class: ResourceClass::Ocf,
            provider: Some("heartbeat".into()),
            agent: "IPaddr2".into(),
            params,
            meta: BTreeMap::new(),
            ops: vec![Operation {
                name: "monitor".into(),
                interval: v.monitor_interval.clone(),
                timeout: None,
            }],
        });
    }
    out.extend(spec.resources.iter().cloned());
    out
}

fn primitive(x: &mut String, r: &Resource) {
    let provider = match (&r.provider, r.class) {
        (Some(p), ResourceClass::Ocf) => format!(" provider=\"{}\"", esc(p)),
        _ => String::new(),
    };
    let _ = writeln!(
        x,
        "    <primitive id=\"{}\" class=\"{}\"{provider} type=\"{}\">",
        esc(&r.id),
        r.class.as_str(),
        esc(&r.agent)
    );
    let mut ignored = Vec::new();
    for (kind, attrs) in [
        ("instance_attributes", &r.params),
        ("meta_attributes", &r.meta),
    ] {
        if attrs.is_empty() {
            continue;
        }
        let set = format!("{}-{kind}", r.id);
        let _ = writeln!(x, "      <{kind} id=\"{}\">", esc(&set));
        nvpairs(x, &mut ignored, 8, &set, attrs);
        let _ = writeln!(x, "      </{kind}>");
    }
    if !r.ops.is_empty() {
        x.push_str("      <operations>\n");
        for op in &r.ops {
            let timeout = op
                .timeout
                .as_ref()
                .map(|t| format!(" timeout=\"{}\"", esc(t)))
                .unwrap_or_default();
            let _ = writeln!(
                x,
                "        <op id=\"{}\" name=\"{}\" interval=\"{}\"{timeout}/>",
                esc(&op_id(&r.id, op)),
                esc(&op.name),
                esc(&op.interval)
            );
        }
        x.push_str("      </operations>\n");
    }
    x.push_str("    </primitive>\n");
}

/// pcs' operation id: `<resource>-<op>-interval-<interval>`.
pub fn op_id(rsc: &str, op: &Operation) -> String {
    format!("{rsc}-{}-interval-{}", op.name, op.interval)
}

fn nvpairs(
    x: &mut String,
    ids: &mut Vec<String>,
    indent: usize,
    set: &str,
    attrs: &BTreeMap<String, String>,
) {
    for (name, value) in attrs {
        let id = format!("{set}-{name}");
        let _ = writeln!(
            x,
            "{:indent$}<nvpair id=\"{}\" name=\"{}\" value=\"{}\"/>",
            "",
            esc(&id),
            esc(name),
            esc(value)
        );
        ids.push(id);
    }
}

/// XML attribute escaping.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\n' => o.push_str("&#10;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
#[path = "cib_tests.rs"]
mod tests;

/// A whole CIB holding only `f`: an empty configuration with the cluster's
/// nodes plus the fragment's sections. What `crm_verify --xml-file` and a
/// shadow-CIB check take.
pub fn full_cib(f: &CibFragment) -> String {
    let mut x = String::from(
        "<cib validate-with=\"pacemaker-3.0\" epoch=\"1\" num_updates=\"0\" admin_epoch=\"0\">\n  <configuration>\n",
    );
    let section = |x: &mut String, name: &str| {
        let open = format!("  <{name}>\n");
        let close = format!("  </{name}>\n");
        let body = f
            .xml
            .split_once(&open)
            .and_then(|(_, rest)| rest.split_once(&close))
            .map(|(b, _)| b)
            .unwrap_or_default();
        let _ = write!(x, "    <{name}>\n{body}    </{name}>\n");
    };
    section(&mut x, "crm_config");
    x.push_str("    <nodes>\n");
    for (i, n) in f.nodes.iter().enumerate() {
        let _ = writeln!(x, "      <node id=\"{}\" uname=\"{}\"/>", i + 1, esc(n));
    }
    x.push_str("    </nodes>\n");
    for s in ["resources", "constraints", "rsc_defaults"] {
        section(&mut x, s);
    }
    x.push_str("  </configuration>\n  <status/>\n</cib>\n");
    x
}
