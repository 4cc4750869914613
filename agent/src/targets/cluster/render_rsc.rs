//! `HaCluster` resources → CIB elements: primitives and templates (attributes,
//! utilization, operations with their own attributes), groups, clones, bundles.
//!
//! Generated ids follow pcs' habits: `<rsc>-instance_attributes`,
//! `<rsc>-meta_attributes-<name>`, `<rsc>-<op>-interval-<interval>`,
//! `<bundle>-port-map-<port>`, `<bundle>-storage-map`.

use super::xml::Elem;
use schema::{
    port_mapping_id, storage_mapping_id, Bundle, Group, Operation, Resource, ResourceClass,
    ResourceClone,
};
use std::collections::BTreeMap;

/// An element with `attrs` (in order) and no children.
pub fn el(name: &str, attrs: &[(&str, &str)]) -> Elem {
    let mut e = Elem::new(name);
    for (k, v) in attrs {
        e.set_attr(k, v);
    }
    e
}

/// Sets `k` when `v` is some.
fn opt(e: &mut Elem, k: &str, v: Option<&str>) {
    if let Some(v) = v {
        e.set_attr(k, v);
    }
}

/// A set of nvpairs (`<set-kind id=set>`), its nvpair ids added to `ids`.
pub fn nvpairs(
    kind: &str,
    set: &str,
    attrs: &BTreeMap<String, String>,
    ids: &mut Vec<String>,
) -> Elem {
    let mut e = el(kind, &[("id", set)]);
    for (name, value) in attrs {
        let id = format!("{set}-{name}");
        e.children.push(el(
            "nvpair",
            &[("id", &id), ("name", name), ("value", value)],
        ));
        ids.push(id);
    }
    e
}

/// `<owner>-meta_attributes` etc. for every non-empty map, in CIB order.
fn sets(e: &mut Elem, owner: &str, sets: &[(&str, &BTreeMap<String, String>)]) {
    let mut ignored = Vec::new();
    for (kind, attrs) in sets {
        if !attrs.is_empty() {
            let set = format!("{owner}-{kind}");
            e.children.push(nvpairs(kind, &set, attrs, &mut ignored));
        }
    }
}

/// pcs' operation id: `<resource>-<op>-interval-<interval>`.
pub fn op_id(rsc: &str, op: &Operation) -> String {
    format!("{rsc}-{}-interval-{}", op.name, op.interval)
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn op(rsc: &str, op: &Operation, taken: &mut Vec<String>) -> Elem {
    let mut id = op_id(rsc, op);
    if taken.contains(&id) {
        let base = id.clone();
        id = (1..)
            .map(|n| format!("{base}-{n}"))
            .find(|c| !taken.contains(c))
            .expect("unbounded");
    }
    taken.push(id.clone());
    let mut e = el(
        "op",
        &[("id", &id), ("name", &op.name), ("interval", &op.interval)],
    );
    opt(&mut e, "timeout", op.timeout.as_deref());
    opt(&mut e, "role", op.role.as_deref());
    opt(&mut e, "on-fail", op.on_fail.as_deref());
    opt(&mut e, "enabled", op.enabled.map(bool_text));
    opt(&mut e, "record-pending", op.record_pending.map(bool_text));
    opt(&mut e, "start-delay", op.start_delay.as_deref());
    opt(&mut e, "interval-origin", op.interval_origin.as_deref());
    opt(&mut e, "requires", op.requires.as_deref());
    opt(&mut e, "description", op.description.as_deref());
    let params = [
        ("instance_attributes", &op.params),
        ("meta_attributes", &op.meta),
    ];
    sets(&mut e, &id, &params);
    e
}

/// A primitive (`tag` `primitive`) or a template (`template`).
pub fn primitive(r: &Resource, tag: &str) -> Elem {
    let mut p = el(tag, &[("id", &r.id)]);
    opt(&mut p, "class", r.class.map(|c| c.as_str()));
    if r.class == Some(ResourceClass::Ocf) {
        opt(&mut p, "provider", r.provider.as_deref());
    }
    opt(&mut p, "type", r.agent.as_deref());
    opt(&mut p, "template", r.template.as_deref());
    opt(&mut p, "description", r.description.as_deref());
    let attrs = [
        ("instance_attributes", &r.params),
        ("meta_attributes", &r.meta),
        ("utilization", &r.utilization),
    ];
    sets(&mut p, &r.id, &attrs);
    if !r.ops.is_empty() {
        let mut ops = Elem::new("operations");
        let mut taken = Vec::new();
        for o in &r.ops {
            ops.children.push(op(&r.id, o, &mut taken));
        }
        p.children.push(ops);
    }
    p
}

pub fn group(g: &Group) -> Elem {
    let mut e = el("group", &[("id", &g.id)]);
    opt(&mut e, "description", g.description.as_deref());
    sets(&mut e, &g.id, &[("meta_attributes", &g.meta)]);
    for m in &g.members {
        e.children.push(primitive(m, "primitive"));
    }
    e
}

pub fn clone(c: &ResourceClone) -> Elem {
    let tag = if c.master { "master" } else { "clone" };
    let mut e = el(tag, &[("id", &c.id)]);
    opt(&mut e, "description", c.description.as_deref());
    sets(&mut e, &c.id, &[("meta_attributes", &c.meta)]);
    if let Some(r) = &c.resource {
        e.children.push(primitive(r, "primitive"));
    }
    if let Some(g) = &c.group {
        e.children.push(group(g));
    }
    e
}

pub fn bundle(b: &Bundle) -> Elem {
    let mut e = el("bundle", &[("id", &b.id)]);
    opt(&mut e, "description", b.description.as_deref());
    let c = &b.container;
    let mut rt = el(c.runtime.as_str(), &[("image", &c.image)]);
    let num = |n: Option<u32>| n.map(|n| n.to_string());
    opt(&mut rt, "replicas", num(c.replicas).as_deref());
    opt(
        &mut rt,
        "replicas-per-host",
        num(c.replicas_per_host).as_deref(),
    );
    opt(&mut rt, "promoted-max", num(c.promoted_max).as_deref());
    opt(&mut rt, "network", c.network.as_deref());
    opt(&mut rt, "options", c.options.as_deref());
    opt(&mut rt, "run-command", c.run_command.as_deref());
    e.children.push(rt);
    if let Some(n) = &b.network {
        let mut ne = Elem::new("network");
        opt(&mut ne, "ip-range-start", n.ip_range_start.as_deref());
        opt(
            &mut ne,
            "control-port",
            n.control_port.map(|p| p.to_string()).as_deref(),
        );
        opt(&mut ne, "host-interface", n.host_interface.as_deref());
        opt(
            &mut ne,
            "host-netmask",
            n.host_netmask.map(|p| p.to_string()).as_deref(),
        );
        opt(&mut ne, "add-host", n.add_host.map(bool_text));
        for m in &n.port_mappings {
            let id = m.id.clone().unwrap_or_else(|| port_mapping_id(&b.id, m));
            let mut pm = el("port-mapping", &[("id", &id)]);
            opt(&mut pm, "port", m.port.map(|p| p.to_string()).as_deref());
            opt(
                &mut pm,
                "internal-port",
                m.internal_port.map(|p| p.to_string()).as_deref(),
            );
            opt(&mut pm, "range", m.range.as_deref());
            ne.children.push(pm);
        }
        e.children.push(ne);
    }
    if !b.storage.is_empty() {
        let mut st = Elem::new("storage");
        for (i, m) in b.storage.iter().enumerate() {
            let id = m.id.clone().unwrap_or_else(|| storage_mapping_id(&b.id, i));
            let mut sm = el("storage-mapping", &[("id", &id)]);
            opt(&mut sm, "source-dir", m.source_dir.as_deref());
            opt(&mut sm, "source-dir-root", m.source_dir_root.as_deref());
            sm.set_attr("target-dir", &m.target_dir);
            opt(&mut sm, "options", m.options.as_deref());
            st.children.push(sm);
        }
        e.children.push(st);
    }
    sets(&mut e, &b.id, &[("meta_attributes", &b.meta)]);
    if let Some(r) = &b.resource {
        e.children.push(primitive(r, "primitive"));
    }
    e
}
