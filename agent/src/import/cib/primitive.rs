//! A top-level primitive as the model types it, and verbatim elements' indentation.

use super::xml::{attrs, elements};
use roxmltree::Node;
use schema::validate::net;
use schema::{Operation, Resource, ResourceClass};
use std::collections::BTreeMap;

/// A top-level primitive the model types, or why not.
pub(super) fn primitive(e: Node) -> Result<Resource, String> {
    let a = attrs(e);
    if let Some((k, _)) = a
        .iter()
        .find(|(k, _)| !matches!(*k, "id" | "class" | "provider" | "type"))
    {
        return Err(format!("a primitive with `{k}`"));
    }
    let class = match e.attribute("class") {
        Some("ocf") => ResourceClass::Ocf,
        Some("lsb") => ResourceClass::Lsb,
        Some("systemd") => ResourceClass::Systemd,
        Some("stonith") => ResourceClass::Stonith,
        other => return Err(format!("resource class {other:?}")),
    };
    let provider = e.attribute("provider").map(String::from);
    if (class == ResourceClass::Ocf) != provider.is_some() {
        return Err("a provider where the model has none (or none where it needs one)".into());
    }
    let id = e.attribute("id").unwrap_or("");
    if !net::is_xml_id(id) {
        return Err("an id the model does not take".into());
    }
    let mut r = Resource {
        id: id.into(),
        class,
        provider,
        agent: e.attribute("type").unwrap_or("").into(),
        params: BTreeMap::new(),
        meta: BTreeMap::new(),
        ops: Vec::new(),
    };
    let mut seen = Vec::new();
    for c in elements(e) {
        let name = c.tag_name().name();
        if seen.contains(&name) {
            return Err(format!("two <{name}> sets"));
        }
        seen.push(name);
        match name {
            "instance_attributes" | "meta_attributes" => {
                if c.attributes().any(|a| a.name() != "id") {
                    return Err(format!("<{name}> with a score or rule"));
                }
                let map = if name == "meta_attributes" {
                    &mut r.meta
                } else {
                    &mut r.params
                };
                for nv in elements(c) {
                    let (Some(k), Some(v), true) = (
                        nv.attribute("name"),
                        nv.attribute("value"),
                        nv.has_tag_name("nvpair"),
                    ) else {
                        return Err(format!("<{name}> with a rule"));
                    };
                    if map.insert(k.into(), v.into()).is_some() {
                        return Err(format!("`{k}` set twice"));
                    }
                }
            }
            "operations" => {
                for op in elements(c) {
                    if op
                        .attributes()
                        .any(|a| !matches!(a.name(), "id" | "name" | "interval" | "timeout"))
                        || elements(op).next().is_some()
                    {
                        return Err("an operation with more than name, interval and timeout".into());
                    }
                    let (Some(n), Some(i)) = (op.attribute("name"), op.attribute("interval"))
                    else {
                        return Err("an operation without name or interval".into());
                    };
                    let t = op.attribute("timeout");
                    if !net::is_pcmk_duration(i) || t.is_some_and(|t| !net::is_pcmk_duration(t)) {
                        return Err("an operation duration the model does not take".into());
                    }
                    if r.ops.iter().any(|o| o.name == n && o.interval == i) {
                        return Err("the same operation twice".into());
                    }
                    r.ops.push(Operation {
                        name: n.into(),
                        interval: i.into(),
                        timeout: t.map(String::from),
                    });
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
