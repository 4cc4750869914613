//! One CIB element as canonical text: what Pacemaker reads alike reads alike here.
//!
//! Generated ids of attribute sets, nvpairs, operations, rules and resource sets
//! are left out (the renderer writes pcs-style ones), attributes and children are
//! sorted (group members keep their order: it is the start order), `10s` and
//! `10000ms` are one interval, `inf` and `INFINITY` one score, and the defaulted
//! order-constraint attributes are spelled out. Empty attribute sets say nothing.
//! The import's round-trip proof and the cluster target's comparison both use it.

use super::cib::{interval_ms, normal_score};
use super::xml::Elem;

/// Elements whose `id` is generated (sets, nvpairs, ops, rules): not compared.
fn generated_id(name: &str) -> bool {
    matches!(
        name,
        "nvpair"
            | "op"
            | "operations"
            | "instance_attributes"
            | "meta_attributes"
            | "utilization"
            | "cluster_property_set"
            | "rule"
            | "expression"
            | "date_expression"
            | "date_spec"
            | "duration"
            | "resource_set"
            | "op_expression"
            | "rsc_expression"
    )
}

/// One element as canonical text: name, sorted meaningful attributes, children.
pub fn canonical(e: &Elem) -> String {
    let mut attrs: Vec<(String, String)> = e
        .attrs
        .iter()
        .filter(|(k, _)| !(k == "id" && generated_id(&e.name)))
        .map(|(k, v)| {
            let v = match k.as_str() {
                "interval" | "timeout" | "start-delay" | "interval-origin" => interval_ms(v)
                    .map(|ms| format!("{ms}ms"))
                    .unwrap_or_else(|| v.clone()),
                "score" => normal_score(v),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect();
    if e.name == "rsc_order" {
        let get = |a: &[(String, String)], k: &str| {
            a.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone())
        };
        if get(&attrs, "kind").is_none() && get(&attrs, "score").is_none() {
            attrs.push(("kind".into(), "Mandatory".into()));
        }
        let first = get(&attrs, "first-action").unwrap_or_else(|| "start".into());
        if get(&attrs, "first-action").is_none() {
            attrs.push(("first-action".into(), first.clone()));
        }
        if get(&attrs, "then-action").is_none() {
            attrs.push(("then-action".into(), first));
        }
    }
    if e.name == "op" && !attrs.iter().any(|(k, _)| k == "interval") {
        attrs.push(("interval".into(), "0ms".into()));
    }
    attrs.sort();
    // An empty set says nothing.
    let mut children: Vec<String> = e
        .children
        .iter()
        .filter(|c| {
            !(c.children.is_empty()
                && c.text.is_none()
                && matches!(
                    c.name.as_str(),
                    "operations" | "instance_attributes" | "meta_attributes" | "utilization"
                ))
        })
        .map(canonical)
        .collect();
    // Group members start in order (wherever the group's own sets are); everything
    // else is a set.
    if e.name == "group" {
        let (mut sets, members): (Vec<String>, Vec<String>) = children
            .into_iter()
            .partition(|c| !c.starts_with("<primitive "));
        sets.sort();
        children = sets.into_iter().chain(members).collect();
    } else {
        children.sort();
    }
    let a: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    let mut s = format!("<{} {}", e.name, a.join(" "));
    if let Some(t) = &e.text {
        s.push_str(&format!(" text={t:?}"));
    }
    if children.is_empty() {
        s.push_str("/>");
    } else {
        s.push_str(&format!(">{}</{}>", children.join(""), e.name));
    }
    s
}
