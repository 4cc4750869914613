//! HaCluster constraint details: roles, actions, location rules and their expressions.

use super::cx::Cx;
use super::hacluster_rsc::{one_of, ROLES};
use super::net;
use crate::model::*;

/// What a constraint or a resource set may order: `action`, `first-action`, `then-action`.
pub const ACTIONS: &[&str] = &["start", "stop", "promote", "demote"];
const DISCOVERY: &[&str] = &["always", "never", "exclusive"];
/// The comparisons of a rule's `<expression>` (`operation`).
pub const OPERATIONS: &[&str] = &[
    "lt",
    "gt",
    "lte",
    "gte",
    "eq",
    "ne",
    "defined",
    "not_defined",
];
/// How an `<expression>` compares its value (`type`).
pub const TYPES: &[&str] = &["string", "integer", "number", "version"];
/// Where an `<expression>`'s value comes from (`value-source`).
pub const SOURCES: &[&str] = &["literal", "param", "meta"];
/// The operations of a `<date_expression>`.
pub const DATE_OPS: &[&str] = &["gt", "lt", "in_range", "date_spec"];

const KINDS: &[&str] = &["Mandatory", "Optional", "Serialize"];
const LOSS: &[&str] = &["stop", "demote", "fence", "freeze"];

/// The resources one constraint names: two (`a`, `b`: field name and value), one, or
/// its sets. Reports a constraint that has both or neither; returns (path, id) of
/// every named resource.
fn named(
    cx: &mut Cx,
    doc: &Origin,
    at: &str,
    fields: &[(&str, &Option<String>)],
    sets: &[ResourceSet],
) -> Vec<(String, String)> {
    let given = fields.iter().filter(|(_, v)| v.is_some()).count();
    let names: Vec<String> = fields.iter().map(|(f, _)| format!("`{f}`")).collect();
    if (given == fields.len()) != sets.is_empty() || (given != 0 && given != fields.len()) {
        let hint = format!("{}, or `sets:` (not both)", names.join(" and "));
        let msg = "a constraint needs its resources or its sets".to_string();
        cx.error(doc, at, msg, Some(hint));
    }
    let mut out: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(f, v)| Some((format!("{at}.{f}"), (*v).clone()?)))
        .collect();
    for (i, set) in sets.iter().enumerate() {
        let sat = format!("{at}.sets[{i}]");
        if set.resources.is_empty() {
            let hint = "list resource ids under `resources:`".to_string();
            let msg = "a resource set without resources";
            cx.error(doc, &format!("{sat}.resources"), msg, Some(hint));
        }
        for (j, r) in set.resources.iter().enumerate() {
            out.push((format!("{sat}.resources[{j}]"), r.clone()));
        }
        if let Some(a) = &set.action {
            one_of(cx, doc, &format!("{sat}.action"), ACTIONS, a, "action");
        }
        if let Some(r) = &set.role {
            one_of(cx, doc, &format!("{sat}.role"), ROLES, r, "role");
        }
        if let Some(k) = &set.kind {
            one_of(cx, doc, &format!("{sat}.kind"), KINDS, k, "kind");
        }
    }
    out
}

/// Every resource the constraints name, with its path (checked by the caller).
pub(super) fn references(cx: &mut Cx, doc: &Origin, k: &Constraints) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, c) in k.colocations.iter().enumerate() {
        let at = format!("spec.constraints.colocations[{i}]");
        let f = [("rsc", &c.rsc), ("withRsc", &c.with_rsc)];
        out.extend(named(cx, doc, &at, &f, &c.sets));
    }
    for (i, o) in k.orders.iter().enumerate() {
        let at = format!("spec.constraints.orders[{i}]");
        out.extend(named(
            cx,
            doc,
            &at,
            &[("first", &o.first), ("then", &o.then)],
            &o.sets,
        ));
    }
    for (i, l) in k.locations.iter().enumerate() {
        let at = format!("spec.constraints.locations[{i}]");
        let patterned = l.rsc_pattern.is_some() && l.rsc.is_none() && l.sets.is_empty();
        if !patterned {
            out.extend(named(cx, doc, &at, &[("rsc", &l.rsc)], &l.sets));
        }
    }
    for (i, t) in k.tickets.iter().enumerate() {
        let at = format!("spec.constraints.tickets[{i}]");
        out.extend(named(cx, doc, &at, &[("rsc", &t.rsc)], &t.sets));
        if let Some(r) = &t.rsc_role {
            one_of(cx, doc, &format!("{at}.rscRole"), ROLES, r, "role");
        }
        if let Some(p) = &t.loss_policy {
            one_of(cx, doc, &format!("{at}.lossPolicy"), LOSS, p, "lossPolicy");
        }
    }
    out
}

pub(super) fn check(cx: &mut Cx, doc: &Origin, spec: &HaClusterSpec) {
    let k = &spec.constraints;
    for (i, c) in k.colocations.iter().enumerate() {
        let at = format!("spec.constraints.colocations[{i}]");
        for (f, v) in [("rscRole", &c.rsc_role), ("withRscRole", &c.with_rsc_role)] {
            if let Some(v) = v {
                one_of(cx, doc, &format!("{at}.{f}"), ROLES, v, "role");
            }
        }
    }
    for (i, o) in k.orders.iter().enumerate() {
        let at = format!("spec.constraints.orders[{i}]");
        for (f, v) in [
            ("firstAction", &o.first_action),
            ("thenAction", &o.then_action),
        ] {
            if let Some(v) = v {
                one_of(cx, doc, &format!("{at}.{f}"), ACTIONS, v, "action");
            }
        }
    }
    for (i, l) in k.locations.iter().enumerate() {
        let at = format!("spec.constraints.locations[{i}]");
        if let Some(r) = &l.role {
            one_of(cx, doc, &format!("{at}.role"), ROLES, r, "role");
        }
        if let Some(d) = &l.resource_discovery {
            let path = format!("{at}.resourceDiscovery");
            one_of(cx, doc, &path, DISCOVERY, d, "resourceDiscovery");
        }
        let fixed = l.node.is_some() || l.score.is_some();
        if fixed != l.rules.is_empty() || l.node.is_some() != l.score.is_some() {
            let hint = "`node:` with `score:`, or `rules:` (not both)".to_string();
            let msg = format!("location `{}` needs a node and a score, or rules", l.id);
            cx.error(doc, &at, msg, Some(hint));
        }
        for (j, r) in l.rules.iter().enumerate() {
            rule(cx, doc, &format!("{at}.rules[{j}]"), r);
        }
    }
}

fn rule(cx: &mut Cx, doc: &Origin, at: &str, r: &Rule) {
    if r.score.is_some() && r.score_attribute.is_some() {
        let hint = "keep one: `score` or `scoreAttribute`".to_string();
        cx.error(
            doc,
            &format!("{at}.scoreAttribute"),
            "a rule with both `score` and `scoreAttribute`",
            Some(hint),
        );
    }
    if let Some(s) = r.score.as_deref().filter(|s| !net::is_score(s)) {
        let hint = "`INFINITY`, `-INFINITY` or an integer".to_string();
        cx.error(
            doc,
            &format!("{at}.score"),
            format!("`{s}` is not a Pacemaker score"),
            Some(hint),
        );
    }
    if let Some(role) = &r.role {
        one_of(cx, doc, &format!("{at}.role"), ROLES, role, "role");
    }
    if let Some(b) = &r.boolean_op {
        one_of(
            cx,
            doc,
            &format!("{at}.booleanOp"),
            &["and", "or"],
            b,
            "booleanOp",
        );
    }
    if r.expressions.is_empty() {
        let hint = "add an expression, e.g. `{attribute: \"#uname\", operation: eq, value: ha1}`";
        cx.error(
            doc,
            &format!("{at}.expressions"),
            "a rule without expressions",
            Some(hint.into()),
        );
    }
    for (i, e) in r.expressions.iter().enumerate() {
        expression(cx, doc, &format!("{at}.expressions[{i}]"), e);
    }
}

fn expression(cx: &mut Cx, doc: &Origin, at: &str, e: &Expression) {
    let Some(d) = &e.date else {
        let Some(op) = &e.operation else {
            let hint = "`operation:` one of lt, gt, lte, gte, eq, ne, defined, not_defined";
            let msg = "an expression without an operation";
            return cx.error(doc, at, msg, Some(hint.into()));
        };
        one_of(
            cx,
            doc,
            &format!("{at}.operation"),
            OPERATIONS,
            op,
            "operation",
        );
        if e.attribute.is_none() {
            let hint = "`attribute:` a node attribute (`#uname`...), or `date:`".to_string();
            cx.error(doc, at, "an expression without an attribute", Some(hint));
        }
        let unary = matches!(op.as_str(), "defined" | "not_defined");
        if unary == e.value.is_some() {
            let msg = if unary {
                format!("`{op}` takes no value")
            } else {
                format!("`{op}` needs a value")
            };
            let hint = "`value:` with lt, gt, lte, gte, eq, ne only".to_string();
            cx.error(doc, &format!("{at}.operation"), msg, Some(hint));
        }
        if let Some(t) = &e.kind {
            one_of(cx, doc, &format!("{at}.type"), TYPES, t, "type");
        }
        if let Some(s) = &e.value_source {
            one_of(
                cx,
                doc,
                &format!("{at}.valueSource"),
                SOURCES,
                s,
                "valueSource",
            );
        }
        return;
    };
    if e.attribute.is_some() || e.operation.is_some() || e.value.is_some() {
        let hint = "move `operation` into `date:`, or drop `date:`".to_string();
        cx.error(
            doc,
            at,
            "an expression with both an attribute test and a date",
            Some(hint),
        );
    }
    let at = format!("{at}.date");
    one_of(
        cx,
        doc,
        &format!("{at}.operation"),
        DATE_OPS,
        &d.operation,
        "date operation",
    );
    let needs = match d.operation.as_str() {
        "gt" => d.start.is_none().then_some("`gt` needs `start`"),
        "lt" => d.end.is_none().then_some("`lt` needs `end`"),
        "date_spec" => d.spec.is_empty().then_some("`date_spec` needs `spec`"),
        "in_range" => {
            (d.start.is_none() && d.end.is_none()).then_some("`in_range` needs `start` or `end`")
        }
        _ => None,
    };
    if let Some(msg) = needs {
        let hint = "dates are ISO 8601: `2024-01-01` or `2024-01-01T08:00:00`".to_string();
        cx.error(doc, &format!("{at}.operation"), msg, Some(hint));
    }
    for (what, map) in [("spec", &d.spec), ("duration", &d.duration)] {
        for k in map.keys().filter(|k| !DATE_FIELDS.contains(&k.as_str())) {
            let hint = format!("one of {}", DATE_FIELDS.join(", "));
            cx.error(
                doc,
                &format!("{at}.{what}.{k}"),
                format!("unknown {what} field `{k}`"),
                Some(hint),
            );
        }
    }
}
