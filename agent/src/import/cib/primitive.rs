//! A primitive (or template) as the model types it, and verbatim elements' indentation.

use super::xml::{attrs, elements};
use roxmltree::Node;
use schema::validate::hacluster_rsc::{ON_FAIL, REQUIRES, ROLES};
use schema::validate::net;
use schema::{Operation, Resource, ResourceClass};
use std::collections::BTreeMap;

/// Only these attributes (`id` always allowed), or why not.
pub(super) fn only_attrs(e: Node, allowed: &[&str]) -> Result<(), String> {
    match attrs(e)
        .iter()
        .find(|(k, _)| *k != "id" && !allowed.contains(k))
    {
        Some((k, _)) => Err(format!("a <{}> with `{k}`", e.tag_name().name())),
        None => Ok(()),
    }
}

/// Adds the nvpairs of one unconditional set to `map` (several sets merge when no
/// name is set twice).
pub(super) fn plain_set(set: Node, map: &mut BTreeMap<String, String>) -> Result<(), String> {
    let name = set.tag_name().name();
    if set.attributes().any(|a| a.name() != "id") {
        return Err(format!("<{name}> with a score, rule or reference"));
    }
    for nv in elements(set) {
        let (Some(k), Some(v), true) = (
            nv.attribute("name"),
            nv.attribute("value"),
            nv.has_tag_name("nvpair") && nv.attributes().count() == 3,
        ) else {
            return Err(format!("<{name}> with a rule or a reference"));
        };
        if map.insert(k.into(), v.into()).is_some() {
            return Err(format!("`{k}` set twice"));
        }
    }
    Ok(())
}

pub(super) fn class(text: Option<&str>) -> Result<ResourceClass, String> {
    Ok(match text {
        Some("ocf") => ResourceClass::Ocf,
        Some("lsb") => ResourceClass::Lsb,
        Some("systemd") => ResourceClass::Systemd,
        Some("stonith") => ResourceClass::Stonith,
        Some("service") => ResourceClass::Service,
        Some("nagios") => ResourceClass::Nagios,
        Some("upstart") => ResourceClass::Upstart,
        other => return Err(format!("resource class {other:?}")),
    })
}

pub(super) fn id_of(e: Node) -> Result<String, String> {
    let id = e.attribute("id").unwrap_or("");
    if !net::is_xml_id(id) {
        return Err("an id the model does not take".into());
    }
    Ok(id.to_string())
}

fn boolean(v: Option<&str>) -> Result<Option<bool>, String> {
    match v {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(o) => Err(format!("a boolean spelled `{o}`")),
    }
}

fn member(v: Option<&str>, set: &[&str], what: &str) -> Result<Option<String>, String> {
    match v {
        Some(x) if !set.contains(&x) => Err(format!("{what} `{x}`")),
        v => Ok(v.map(String::from)),
    }
}

fn operation(op: Node) -> Result<Operation, String> {
    only_attrs(
        op,
        &[
            "name",
            "interval",
            "timeout",
            "role",
            "on-fail",
            "enabled",
            "record-pending",
            "start-delay",
            "interval-origin",
            "requires",
            "description",
        ],
    )?;
    let (Some(n), Some(i)) = (op.attribute("name"), op.attribute("interval")) else {
        return Err("an operation without name or interval".into());
    };
    let durations = [op.attribute("timeout"), op.attribute("start-delay")];
    if !net::is_pcmk_duration(i)
        || durations
            .iter()
            .flatten()
            .any(|t| !net::is_pcmk_duration(t))
    {
        return Err("an operation duration the model does not take".into());
    }
    let mut o = Operation {
        name: n.into(),
        interval: i.into(),
        timeout: op.attribute("timeout").map(String::from),
        role: member(op.attribute("role"), ROLES, "a role")?,
        on_fail: member(op.attribute("on-fail"), ON_FAIL, "on-fail")?,
        enabled: boolean(op.attribute("enabled"))?,
        record_pending: boolean(op.attribute("record-pending"))?,
        start_delay: op.attribute("start-delay").map(String::from),
        interval_origin: op.attribute("interval-origin").map(String::from),
        requires: member(op.attribute("requires"), REQUIRES, "requires")?,
        description: op.attribute("description").map(String::from),
        ..Operation::default()
    };
    for c in elements(op) {
        match c.tag_name().name() {
            "instance_attributes" => plain_set(c, &mut o.params)?,
            "meta_attributes" => plain_set(c, &mut o.meta)?,
            other => return Err(format!("an operation with <{other}>")),
        }
    }
    Ok(o)
}

/// A primitive or template the model types, or why not.
pub(super) fn primitive(e: Node) -> Result<Resource, String> {
    only_attrs(e, &["class", "provider", "type", "template", "description"])?;
    let template = e.attribute("template").map(String::from);
    let class = match (&template, e.attribute("class")) {
        (Some(_), None) => None,
        (_, c) => Some(class(c)?),
    };
    let provider = e.attribute("provider").map(String::from);
    if template.is_none() && (class == Some(ResourceClass::Ocf)) != provider.is_some() {
        return Err("a provider where the model has none (or none where it needs one)".into());
    }
    if template.is_some() && (class.is_some() || e.attribute("type").is_some()) {
        return Err("a template and a class or type".into());
    }
    let mut r = Resource {
        id: id_of(e)?,
        class,
        provider,
        agent: e.attribute("type").map(String::from),
        template,
        description: e.attribute("description").map(String::from),
        ..Resource::default()
    };
    let mut ops_seen = false;
    for c in elements(e) {
        match c.tag_name().name() {
            "instance_attributes" => plain_set(c, &mut r.params)?,
            "meta_attributes" => plain_set(c, &mut r.meta)?,
            "utilization" => plain_set(c, &mut r.utilization)?,
            "operations" if !ops_seen => {
                ops_seen = true;
                if c.attributes().any(|a| a.name() != "id") {
                    return Err("<operations> with a reference".into());
                }
                for op in elements(c) {
                    if !op.has_tag_name("op") {
                        return Err(format!("<operations> with <{}>", op.tag_name().name()));
                    }
                    let o = operation(op)?;
                    let same = |x: &Operation| {
                        x.name == o.name && x.interval == o.interval && x.role == o.role
                    };
                    if r.ops.iter().any(same) {
                        return Err("the same operation twice".into());
                    }
                    r.ops.push(o);
                }
            }
            other => return Err(format!("a primitive with <{other}>")),
        }
    }
    Ok(r)
}

/// An element's text with the indentation of its start (`indent` columns) removed
/// from every following line.
pub(super) fn dedent(text: &str, indent: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = vec![lines
        .first()
        .map(|l| l.trim().to_string())
        .unwrap_or_default()];
    for l in lines.iter().skip(1) {
        out.push(if l.len() >= indent && l[..indent].trim().is_empty() {
            l[indent..].to_string()
        } else {
            l.trim_start().to_string()
        });
    }
    out.join("\n")
}
