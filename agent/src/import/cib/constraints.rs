//! Constraints: typed when the model expresses them (colocations, orders,
//! locations with a node or rules) between typed resources; stray `cli-*` ones
//! left alone; the rest verbatim.

use super::primitive::only_attrs;
use super::typed::Builder;
use super::xml::elements;
use crate::import::summary::Fate;
use roxmltree::Node;
use schema::validate::hacluster_rsc::ROLES;
use schema::validate::hacluster_rules::{ACTIONS, DATE_OPS, OPERATIONS, SOURCES, TYPES};
use schema::validate::net;
use schema::{
    Colocation, DateExpression, Expression, Location, Order, ResourceSet, Rule, Ticket, DATE_FIELDS,
};

type Parsed<T> = Result<T, String>;

fn role(e: Node, k: &str) -> Parsed<Option<String>> {
    match e.attribute(k) {
        Some(r) if !ROLES.contains(&r) => Err(format!("role `{r}`")),
        r => Ok(r.map(String::from)),
    }
}

fn within(e: Node, k: &str, set: &[&str]) -> Parsed<Option<String>> {
    match e.attribute(k) {
        Some(v) if !set.contains(&v) => Err(format!("`{k}` `{v}`")),
        v => Ok(v.map(String::from)),
    }
}

fn score(e: Node, k: &str) -> Parsed<Option<String>> {
    match e.attribute(k) {
        Some(s) if !net::is_score(s) => Err(format!("score `{s}`")),
        s => Ok(s.map(String::from)),
    }
}

fn leaf(e: Node) -> Parsed<()> {
    match elements(e).next() {
        Some(c) => Err(format!("a <{}> inside", c.tag_name().name())),
        None => Ok(()),
    }
}

fn date_fields(e: Node) -> Parsed<std::collections::BTreeMap<String, String>> {
    only_attrs(e, DATE_FIELDS)?;
    leaf(e)?;
    let a = e.attributes().filter(|a| a.name() != "id");
    Ok(a.map(|a| (a.name().to_string(), a.value().to_string()))
        .collect())
}

fn expression(e: Node) -> Parsed<Expression> {
    match e.tag_name().name() {
        "expression" => {
            only_attrs(
                e,
                &["attribute", "operation", "value", "type", "value-source"],
            )?;
            leaf(e)?;
            Ok(Expression {
                attribute: Some(e.attribute("attribute").ok_or("no attribute")?.into()),
                operation: Some(within(e, "operation", OPERATIONS)?.ok_or("no operation")?),
                value: e.attribute("value").map(String::from),
                kind: within(e, "type", TYPES)?,
                value_source: within(e, "value-source", SOURCES)?,
                date: None,
            })
        }
        "date_expression" => {
            only_attrs(e, &["operation", "start", "end"])?;
            let mut d = DateExpression {
                operation: within(e, "operation", DATE_OPS)?.unwrap_or_else(|| "in_range".into()),
                start: e.attribute("start").map(String::from),
                end: e.attribute("end").map(String::from),
                ..DateExpression::default()
            };
            for c in elements(e) {
                match c.tag_name().name() {
                    "date_spec" if d.spec.is_empty() => d.spec = date_fields(c)?,
                    "duration" if d.duration.is_empty() => d.duration = date_fields(c)?,
                    other => return Err(format!("a date expression with <{other}>")),
                }
            }
            Ok(Expression {
                date: Some(d),
                ..Expression::default()
            })
        }
        other => Err(format!("a rule with <{other}>")),
    }
}

fn rule(e: Node) -> Parsed<Rule> {
    if !e.has_tag_name("rule") {
        return Err(format!("a location with <{}>", e.tag_name().name()));
    }
    only_attrs(e, &["score", "score-attribute", "role", "boolean-op"])?;
    let mut r = Rule {
        score: score(e, "score")?,
        score_attribute: e.attribute("score-attribute").map(String::from),
        role: role(e, "role")?,
        boolean_op: within(e, "boolean-op", &["and", "or"])?,
        expressions: Vec::new(),
    };
    for c in elements(e) {
        r.expressions.push(expression(c)?);
    }
    if r.expressions.is_empty() {
        return Err("a rule without expressions".into());
    }
    Ok(r)
}

fn boolean(e: Node, k: &str) -> Parsed<Option<bool>> {
    match e.attribute(k) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(o) => Err(format!("`{k}` spelled `{o}`")),
    }
}

const KINDS: &[&str] = &["Mandatory", "Optional", "Serialize"];

impl Builder<'_, '_> {
    /// The `<resource_set>` children of `e` (every other child refused).
    fn sets(&self, e: Node) -> Parsed<Vec<ResourceSet>> {
        let mut out = Vec::new();
        for s in elements(e) {
            if !s.has_tag_name("resource_set") {
                return Err(format!("a <{}> inside", s.tag_name().name()));
            }
            only_attrs(s, &["sequential", "require-all", "action", "role", "kind"])?;
            let mut set = ResourceSet {
                resources: Vec::new(),
                sequential: boolean(s, "sequential")?,
                require_all: boolean(s, "require-all")?,
                action: within(s, "action", ACTIONS)?,
                role: role(s, "role")?,
                kind: within(s, "kind", KINDS)?,
            };
            for r in elements(s) {
                if !r.has_tag_name("resource_ref") || r.attributes().count() != 1 {
                    return Err("a resource set with more than references".into());
                }
                set.resources.push(self.known(r, "id")?);
            }
            if set.resources.is_empty() {
                return Err("an empty resource set".into());
            }
            out.push(set);
        }
        Ok(out)
    }

    /// `k`'s resource when the element names one, else `None` (then it has sets).
    fn maybe(&self, e: Node, k: &str) -> Parsed<Option<String>> {
        e.attribute(k).map(|_| self.known(e, k)).transpose()
    }

    fn typed_ids(&self) -> Vec<String> {
        let spec = &self.out.spec;
        spec.resource_ids().into_iter().map(|(_, id)| id).collect()
    }

    /// The value of `k`, which must name a typed resource.
    fn known(&self, e: Node, k: &str) -> Parsed<String> {
        let v = e.attribute(k).ok_or(format!("no `{k}`"))?;
        if !self.typed_ids().iter().any(|t| t == v) {
            return Err(format!("a resource kept verbatim (`{v}`)"));
        }
        Ok(v.to_string())
    }

    fn typed_constraint(&mut self, e: Node, id: String) -> Parsed<()> {
        let c = match e.tag_name().name() {
            "rsc_colocation" => {
                only_attrs(
                    e,
                    &[
                        "rsc",
                        "with-rsc",
                        "score",
                        "rsc-role",
                        "with-rsc-role",
                        "node-attribute",
                        "influence",
                    ],
                )?;
                let co = Colocation {
                    id,
                    rsc: self.maybe(e, "rsc")?,
                    with_rsc: self.maybe(e, "with-rsc")?,
                    sets: self.sets(e)?,
                    score: score(e, "score")?.ok_or("no score")?,
                    rsc_role: role(e, "rsc-role")?,
                    with_rsc_role: role(e, "with-rsc-role")?,
                    node_attribute: e.attribute("node-attribute").map(String::from),
                    influence: boolean(e, "influence")?,
                };
                if co.rsc.is_some() != co.with_rsc.is_some()
                    || co.rsc.is_some() != co.sets.is_empty()
                {
                    return Err("a colocation without rsc and with-rsc, or sets".into());
                }
                self.out.spec.constraints.colocations.push(co);
                return Ok(());
            }
            "rsc_order" => {
                let attrs = [
                    "first",
                    "then",
                    "kind",
                    "first-action",
                    "then-action",
                    "symmetrical",
                    "require-all",
                    "score",
                ];
                only_attrs(e, &attrs)?;
                let o = Order {
                    id,
                    first: self.maybe(e, "first")?,
                    then: self.maybe(e, "then")?,
                    sets: self.sets(e)?,
                    kind: within(e, "kind", KINDS)?,
                    first_action: within(e, "first-action", ACTIONS)?.filter(|a| a != "start"),
                    then_action: within(e, "then-action", ACTIONS)?,
                    symmetrical: boolean(e, "symmetrical")?,
                    require_all: boolean(e, "require-all")?,
                    score: score(e, "score")?,
                };
                if o.first.is_some() != o.then.is_some() || o.first.is_some() != o.sets.is_empty() {
                    return Err("an order without first and then, or sets".into());
                }
                if !o.sets.is_empty() && (o.first_action.is_some() || o.then_action.is_some()) {
                    return Err("an order of sets with actions".into());
                }
                // `then-action` defaults to `first-action`: written only when it differs.
                let first = o.first_action.clone().unwrap_or_else(|| "start".into());
                let o = Order {
                    then_action: o.then_action.clone().filter(|t| *t != first),
                    ..o
                };
                self.out.spec.constraints.orders.push(o);
                return Ok(());
            }
            "rsc_location" => {
                let attrs = [
                    "rsc",
                    "rsc-pattern",
                    "node",
                    "score",
                    "role",
                    "resource-discovery",
                ];
                only_attrs(e, &attrs)?;
                let mut l = Location {
                    id,
                    rsc: self.maybe(e, "rsc")?,
                    rsc_pattern: e.attribute("rsc-pattern").map(String::from),
                    sets: Vec::new(),
                    node: e.attribute("node").map(String::from),
                    score: score(e, "score")?,
                    role: role(e, "role")?,
                    resource_discovery: within(
                        e,
                        "resource-discovery",
                        &["always", "never", "exclusive"],
                    )?,
                    rules: Vec::new(),
                };
                if let Some(n) = &l.node {
                    if !self.out.spec.node_names().contains(n) {
                        return Err(format!("node `{n}` is not a node of the cluster"));
                    }
                }
                for r in elements(e) {
                    if r.has_tag_name("resource_set") {
                        continue;
                    }
                    l.rules.push(rule(r)?);
                }
                let with_sets: Vec<Node> = elements(e)
                    .filter(|c| c.has_tag_name("resource_set"))
                    .collect();
                if !with_sets.is_empty() {
                    if !l.rules.is_empty() {
                        return Err("a location with rules and sets".into());
                    }
                    l.sets = self.sets(e)?;
                }
                let whom = [l.rsc.is_some(), l.rsc_pattern.is_some(), !l.sets.is_empty()];
                if whom.iter().filter(|b| **b).count() != 1 {
                    return Err("a location without one of rsc, rsc-pattern, sets".into());
                }
                let fixed = l.node.is_some() && l.score.is_some() && l.rules.is_empty();
                if !fixed && (l.node.is_some() || l.score.is_some() || l.rules.is_empty()) {
                    return Err("a location without node and score, or rules".into());
                }
                l
            }
            "rsc_ticket" => {
                only_attrs(e, &["ticket", "rsc", "rsc-role", "loss-policy"])?;
                let t = Ticket {
                    id,
                    ticket: e.attribute("ticket").ok_or("no ticket")?.into(),
                    rsc: self.maybe(e, "rsc")?,
                    rsc_role: role(e, "rsc-role")?,
                    loss_policy: within(e, "loss-policy", &["stop", "demote", "fence", "freeze"])?,
                    sets: self.sets(e)?,
                };
                if t.rsc.is_some() != t.sets.is_empty() {
                    return Err("a ticket without rsc, or sets".into());
                }
                self.out.spec.constraints.tickets.push(t);
                return Ok(());
            }
            other => return Err(format!("a <{other}> (not modelled)")),
        };
        self.out.spec.constraints.locations.push(c);
        Ok(())
    }

    pub(super) fn constraint(&mut self, e: Node) {
        let id = e.attribute("id").unwrap_or("").to_string();
        if id.starts_with("cli-prefer-") || id.starts_with("cli-ban-") {
            return self.count(
                e,
                Fate::Unmanaged,
                "a stray constraint from a manual move/ban: left as it is (the agent reports it)",
            );
        }
        if self.banned.contains(&id) {
            return self.raw(e, false, "its typed form would not be the same");
        }
        if !net::is_xml_id(&id) {
            return self.raw(e, false, "an id the model does not take");
        }
        match self.typed_constraint(e, id) {
            Ok(()) => {
                self.count(e, Fate::Typed, "");
                for d in e.descendants().skip(1).filter(|d| d.is_element()) {
                    self.count(d, Fate::Typed, "");
                }
            }
            Err(why) => self.raw(
                e,
                false,
                &format!("a constraint the model does not type: {why}"),
            ),
        }
    }
}
