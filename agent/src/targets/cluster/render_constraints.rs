//! `HaCluster` constraints → CIB elements: colocations, orders, locations with rules,
//! tickets, resource sets.
//!
//! Generated ids follow pcs' habits: `<constraint>-rule`, `<rule>-expr`,
//! `<expr>-datespec`, `<expr>-duration`.

use super::render_rsc::el;
use super::xml::Elem;
use schema::{Constraints, DateExpression, Expression, ResourceSet, Rule};

/// Sets `k` when `v` is some.
fn opt(e: &mut Elem, k: &str, v: Option<&str>) {
    if let Some(v) = v {
        e.set_attr(k, v);
    }
}

/// `base`, then `base-1`, `base-2`... for the `i`-th of a kind.
fn nth(base: &str, i: usize) -> String {
    match i {
        0 => base.to_string(),
        n => format!("{base}-{n}"),
    }
}

/// Every constraint element, with the ids they own.
pub fn constraints(c: &Constraints, ids: &mut Vec<String>) -> Vec<Elem> {
    let mut out = Vec::new();
    for co in &c.colocations {
        let mut e = el("rsc_colocation", &[("id", &co.id)]);
        opt(&mut e, "rsc", co.rsc.as_deref());
        opt(&mut e, "with-rsc", co.with_rsc.as_deref());
        e.set_attr("score", &co.score);
        opt(&mut e, "rsc-role", co.rsc_role.as_deref());
        opt(&mut e, "with-rsc-role", co.with_rsc_role.as_deref());
        opt(&mut e, "node-attribute", co.node_attribute.as_deref());
        opt(&mut e, "influence", co.influence.map(bool_text));
        sets(&mut e, &co.id, &co.sets);
        out.push(e);
        ids.push(co.id.clone());
    }
    for o in &c.orders {
        let first = o.first_action.as_deref().unwrap_or("start");
        let then = o.then_action.as_deref().unwrap_or(first);
        let mut e = el("rsc_order", &[("id", &o.id)]);
        if let (Some(f), Some(t)) = (&o.first, &o.then) {
            e.set_attr("first", f);
            e.set_attr("then", t);
            e.set_attr("first-action", first);
            e.set_attr("then-action", then);
        }
        opt(&mut e, "kind", o.kind.as_deref());
        opt(&mut e, "symmetrical", o.symmetrical.map(bool_text));
        opt(&mut e, "require-all", o.require_all.map(bool_text));
        opt(&mut e, "score", o.score.as_deref());
        sets(&mut e, &o.id, &o.sets);
        out.push(e);
        ids.push(o.id.clone());
    }
    for l in &c.locations {
        let mut e = el("rsc_location", &[("id", &l.id)]);
        opt(&mut e, "rsc", l.rsc.as_deref());
        opt(&mut e, "rsc-pattern", l.rsc_pattern.as_deref());
        opt(&mut e, "node", l.node.as_deref());
        opt(&mut e, "score", l.score.as_deref());
        opt(&mut e, "role", l.role.as_deref());
        opt(
            &mut e,
            "resource-discovery",
            l.resource_discovery.as_deref(),
        );
        sets(&mut e, &l.id, &l.sets);
        for (i, r) in l.rules.iter().enumerate() {
            e.children.push(rule(&nth(&format!("{}-rule", l.id), i), r));
        }
        out.push(e);
        ids.push(l.id.clone());
    }
    for t in &c.tickets {
        let mut e = el("rsc_ticket", &[("id", &t.id), ("ticket", &t.ticket)]);
        opt(&mut e, "rsc", t.rsc.as_deref());
        opt(&mut e, "rsc-role", t.rsc_role.as_deref());
        opt(&mut e, "loss-policy", t.loss_policy.as_deref());
        sets(&mut e, &t.id, &t.sets);
        out.push(e);
        ids.push(t.id.clone());
    }
    out
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// `<resource_set>`s, ids `<constraint>_set`, `<constraint>_set-1`... (pcs' habit).
fn sets(e: &mut Elem, owner: &str, sets: &[ResourceSet]) {
    for (i, s) in sets.iter().enumerate() {
        let mut x = el("resource_set", &[("id", &nth(&format!("{owner}_set"), i))]);
        opt(&mut x, "sequential", s.sequential.map(bool_text));
        opt(&mut x, "require-all", s.require_all.map(bool_text));
        opt(&mut x, "action", s.action.as_deref());
        opt(&mut x, "role", s.role.as_deref());
        opt(&mut x, "kind", s.kind.as_deref());
        for r in &s.resources {
            x.children.push(el("resource_ref", &[("id", r)]));
        }
        e.children.push(x);
    }
}

fn rule(id: &str, r: &Rule) -> Elem {
    let mut e = el("rule", &[("id", id)]);
    opt(&mut e, "score", r.score.as_deref());
    opt(&mut e, "score-attribute", r.score_attribute.as_deref());
    opt(&mut e, "role", r.role.as_deref());
    opt(&mut e, "boolean-op", r.boolean_op.as_deref());
    for (i, x) in r.expressions.iter().enumerate() {
        e.children
            .push(expression(&nth(&format!("{id}-expr"), i), x));
    }
    e
}

fn expression(id: &str, x: &Expression) -> Elem {
    if let Some(d) = &x.date {
        return date(id, d);
    }
    let mut e = el("expression", &[("id", id)]);
    opt(&mut e, "attribute", x.attribute.as_deref());
    opt(&mut e, "operation", x.operation.as_deref());
    opt(&mut e, "value", x.value.as_deref());
    opt(&mut e, "type", x.kind.as_deref());
    opt(&mut e, "value-source", x.value_source.as_deref());
    e
}

fn date(id: &str, d: &DateExpression) -> Elem {
    let mut e = el(
        "date_expression",
        &[("id", id), ("operation", &d.operation)],
    );
    opt(&mut e, "start", d.start.as_deref());
    opt(&mut e, "end", d.end.as_deref());
    for (tag, suffix, map) in [
        ("date_spec", "datespec", &d.spec),
        ("duration", "duration", &d.duration),
    ] {
        if !map.is_empty() {
            let mut c = el(tag, &[("id", &format!("{id}-{suffix}"))]);
            for (k, v) in map {
                c.set_attr(k, v);
            }
            e.children.push(c);
        }
    }
    e
}
