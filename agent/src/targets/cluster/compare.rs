//! Comparing the declared configuration with the live one, at the level an
//! operator reads: `vip: op monitor interval 10s → 20s`,
//! `vip: param cidr_netmask 24 → 16`, `property stonith-enabled true → false`.
//!
//! Pure functions over [`ConfigView`]s; the result is a list of [`Change`]s
//! (one per declared object, plus undeclared and stray objects found live).

use super::access::ClusterPolicy;
use super::canon::canonical;
use super::cib::{constraint_view, ConfigView, Op, Primitive};
use super::xml::Elem;
use crate::plan::{Action, Change};
use std::collections::BTreeMap;

/// Target name used in every cluster [`Change`].
pub const TARGET: &str = "cluster";

/// True for constraints `pcs resource move/ban` (`crm_resource --move/--ban`) leave behind.
pub fn is_stray(id: &str) -> bool {
    id.starts_with("cli-prefer-") || id.starts_with("cli-ban-")
}

pub(crate) fn change(object: String, action: Action, notes: Vec<String>) -> Change {
    Change {
        target: TARGET.into(),
        host: None,
        object,
        action,
        diff: None,
        notes,
    }
}

/// Notes for one name→value map (`param`, `meta`, `property`...). Empty when equal.
fn map_notes(
    prefix: &str,
    live: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
    keep_extra: bool,
) -> Vec<String> {
    let mut notes = Vec::new();
    for (k, v) in want {
        match live.get(k) {
            Some(l) if l == v => {}
            Some(l) => notes.push(format!("{prefix}{k} {l} → {v}")),
            None => notes.push(format!("{prefix}{k} (unset) → {v}")),
        }
    }
    if !keep_extra {
        for (k, l) in live {
            if !want.contains_key(k) {
                notes.push(format!("{prefix}{k} {l} → (unset)"));
            }
        }
    }
    notes
}

fn op_label(op: &Op) -> String {
    format!("op {} interval {}", op.name, op.interval)
}

/// Operations are matched by name and interval; an op whose name is unique on both
/// sides is matched by name alone, so an interval change reads as one change.
fn op_notes(live: &[Op], want: &[Op]) -> Vec<String> {
    let mut notes = Vec::new();
    let mut unmatched_live: Vec<&Op> = live.iter().collect();
    let mut unmatched_want = Vec::new();
    for w in want {
        match unmatched_live
            .iter()
            .position(|l| l.name == w.name && l.same_interval(w))
        {
            Some(i) => {
                let l = unmatched_live.remove(i);
                let label = format!("{}: ", op_label(w));
                notes.extend(map_notes(&label, &l.attrs, &w.attrs, false));
            }
            None => unmatched_want.push(w),
        }
    }
    for w in unmatched_want {
        let live_same_name = unmatched_live.iter().filter(|o| o.name == w.name).count();
        let unique = want.iter().filter(|o| o.name == w.name).count() == 1 && live_same_name == 1;
        match unmatched_live
            .iter()
            .position(|o| o.name == w.name)
            .filter(|_| unique)
        {
            Some(i) => {
                let l = unmatched_live.remove(i);
                notes.push(format!(
                    "op {} interval {} → {}",
                    w.name, l.interval, w.interval
                ));
                notes.extend(map_notes(
                    &format!("{}: ", op_label(w)),
                    &l.attrs,
                    &w.attrs,
                    false,
                ));
            }
            None => notes.push(format!("{} added", op_label(w))),
        }
    }
    notes.extend(
        unmatched_live
            .into_iter()
            .map(|l| format!("{} removed", op_label(l))),
    );
    notes
}

/// Resource-level notes (`param …`, `meta …`, `op …`, `agent …`), each prefixed with the id.
pub fn primitive_notes(id: &str, live: &Primitive, want: &Primitive) -> Vec<String> {
    let mut notes = Vec::new();
    if live.agent != want.agent {
        notes.push(format!("agent {} → {}", live.agent, want.agent));
    }
    notes.extend(map_notes("param ", &live.params, &want.params, false));
    notes.extend(map_notes("meta ", &live.meta, &want.meta, false));
    notes.extend(op_notes(&live.ops, &want.ops));
    notes.into_iter().map(|n| format!("{id}: {n}")).collect()
}

/// The resources a group, clone or bundle holds, in order.
fn members(e: &Elem) -> Vec<&Elem> {
    let kinds = ["primitive", "group", "clone", "master", "bundle"];
    let held = e
        .children
        .iter()
        .filter(|c| kinds.contains(&c.name.as_str()));
    held.filter(|c| c.id().is_some()).collect()
}

/// Notes for any resource element (primitive, template, group, clone, bundle):
/// its own attributes, then each member's by id. Never empty when the two differ
/// in meaning (canonical form): what has no finer note is named as a whole.
pub fn resource_notes(id: &str, live: &Elem, want: &Elem) -> Vec<String> {
    let mut notes = Vec::new();
    if live.name != want.name {
        notes.push(format!("{id}: {} → {}", live.name, want.name));
        return notes;
    }
    notes.extend(primitive_notes(
        id,
        &Primitive::of(live),
        &Primitive::of(want),
    ));
    let (lm, wm) = (members(live), members(want));
    for w in &wm {
        let wid = w.id().unwrap_or_default();
        match lm.iter().find(|l| l.id() == Some(wid)) {
            Some(l) => notes.extend(resource_notes(wid, l, w)),
            None => notes.push(format!("{id}: member {wid} added")),
        }
    }
    for l in &lm {
        let lid = l.id().unwrap_or_default();
        if !wm.iter().any(|w| w.id() == Some(lid)) {
            notes.push(format!("{id}: member {lid} removed"));
        }
    }
    let order = |m: &[&Elem]| {
        m.iter()
            .filter_map(|e| e.id())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if notes.is_empty() && order(&lm) != order(&wm) {
        notes.push(format!(
            "{id}: member order {} → {}",
            order(&lm),
            order(&wm)
        ));
    }
    if notes.is_empty() && canonical(live) != canonical(want) {
        notes.push(format!(
            "{id}: {} definition differs (see the diff)",
            want.name
        ));
    }
    notes
}

/// Compares every declared object; lists undeclared resources/constraints and strays.
pub fn compare(live: &ConfigView, want: &ConfigView, policy: &ClusterPolicy) -> Vec<Change> {
    let mut out = Vec::new();
    for (name, value) in &want.properties {
        let (action, notes) = match live.properties.get(name) {
            Some(l) if l == value => (Action::Unchanged, vec![]),
            Some(l) => (
                Action::Update,
                vec![format!("property {name} {l} → {value}")],
            ),
            None => (
                Action::Create,
                vec![format!("property {name} (unset) → {value}")],
            ),
        };
        out.push(change(format!("property/{name}"), action, notes));
    }
    for (section, want_map, live_map) in [
        ("rsc_defaults", &want.rsc_defaults, &live.rsc_defaults),
        ("op_defaults", &want.op_defaults, &live.op_defaults),
    ] {
        for (name, value) in want_map {
            let (action, notes) = match live_map.get(name) {
                Some(l) if l == value => (Action::Unchanged, vec![]),
                Some(l) => (
                    Action::Update,
                    vec![format!("{section} {name} {l} → {value}")],
                ),
                None => (
                    Action::Create,
                    vec![format!("{section} {name} (unset) → {value}")],
                ),
            };
            out.push(change(format!("{section}/{name}"), action, notes));
        }
    }
    for (id, w) in &want.resources {
        let (action, notes) = match live.resources.get(id) {
            None => (
                Action::Create,
                vec![format!("{id}: create {}", Primitive::of(w).agent)],
            ),
            Some(l) => {
                let notes = resource_notes(id, l, w);
                (
                    if notes.is_empty() {
                        Action::Unchanged
                    } else {
                        Action::Update
                    },
                    notes,
                )
            }
        };
        out.push(change(id.clone(), action, notes));
    }
    for (id, w) in &want.constraints {
        let (action, notes) = match live.constraints.get(id) {
            None => (Action::Create, vec![format!("{id}: create {}", w.name)]),
            Some(l) => {
                let notes: Vec<String> = map_notes(
                    &format!("{id}: "),
                    &constraint_view(l),
                    &constraint_view(w),
                    false,
                );
                (
                    if notes.is_empty() {
                        Action::Unchanged
                    } else {
                        Action::Update
                    },
                    notes,
                )
            }
        };
        out.push(change(id.clone(), action, notes));
    }
    for (id, l) in &live.resources {
        if !want.resources.contains_key(id) {
            let note = format!(
                "{id}: {} not declared in Git; left alone",
                Primitive::of(l).agent
            );
            out.push(change(id.clone(), Action::Unmanaged, vec![note]));
        }
    }
    for (id, l) in &live.constraints {
        if want.constraints.contains_key(id) {
            continue;
        }
        let what = format!("{} {}", l.name, describe_constraint(l));
        if is_stray(id) {
            let (action, tail) = if policy.remove_stray_location_constraints {
                (Action::Delete, "removed by policy")
            } else {
                (Action::Drift, "kept (policy: report only)")
            };
            let note = format!("{id}: drift: stray {what} left by a manual move/ban; {tail}");
            out.push(change(id.clone(), action, vec![note]));
        } else {
            let note = format!("{id}: {what} not declared in Git; left alone");
            out.push(change(id.clone(), Action::Unmanaged, vec![note]));
        }
    }
    out
}

fn describe_constraint(e: &Elem) -> String {
    ["rsc", "with-rsc", "first", "then", "node", "score", "role"]
        .iter()
        .filter_map(|k| e.attr(k).map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prim(ops: &str) -> Primitive {
        let xml = format!(
            r#"<primitive id="p" class="lsb" type="x"><operations>{ops}</operations></primitive>"#
        );
        Primitive::of(&Elem::parse(&xml).unwrap())
    }

    #[test]
    fn a_unique_op_reads_as_an_interval_change() {
        let live = prim(r#"<op id="a" name="monitor" interval="20s" timeout="20s"/>"#);
        let want = prim(r#"<op id="b" name="monitor" interval="10s" timeout="30s"/>"#);
        assert_eq!(
            primitive_notes("vip", &live, &want),
            [
                "vip: op monitor interval 20s → 10s",
                "vip: op monitor interval 10s: timeout 20s → 30s"
            ]
        );
    }

    #[test]
    fn equal_intervals_in_other_units_are_equal_and_extra_ops_are_named() {
        let live = prim(
            r#"<op id="a" name="monitor" interval="10000ms"/><op id="c" name="start" interval="0"/>"#,
        );
        let want = prim(
            r#"<op id="b" name="monitor" interval="10"/><op id="d" name="monitor" interval="60s" role="Slave"/>"#,
        );
        assert_eq!(
            primitive_notes("p", &live, &want),
            [
                "p: op monitor interval 60s added",
                "p: op start interval 0 removed"
            ]
        );
    }

    #[test]
    fn properties_compare_by_name() {
        let mut live = ConfigView::default();
        let mut want = ConfigView::default();
        live.properties
            .insert("stonith-enabled".into(), "true".into());
        live.properties.insert("dc-version".into(), "2.1.5".into());
        want.properties
            .insert("stonith-enabled".into(), "false".into());
        let changes = compare(&live, &want, &ClusterPolicy::default());
        assert_eq!(changes.len(), 1, "undeclared properties are not compared");
        assert_eq!(changes[0].notes, ["property stonith-enabled true → false"]);
        assert_eq!(changes[0].action, Action::Update);
    }
}

#[cfg(test)]
mod container_tests {
    use super::*;

    fn el(x: &str) -> Elem {
        Elem::parse(x).unwrap()
    }

    #[test]
    fn a_change_inside_a_clone_or_group_is_a_change_of_it() {
        let live = el(
            r#"<clone id="c"><group id="g"><primitive id="a" class="lsb" type="x"/>
            <primitive id="b" class="lsb" type="y"><operations><op id="o" name="monitor" interval="10s"/></operations></primitive></group></clone>"#,
        );
        let want = el(
            r#"<clone id="c"><meta_attributes id="m"><nvpair id="n" name="promotable" value="true"/></meta_attributes>
            <group id="g"><primitive id="b" class="lsb" type="y"><operations><op id="p" name="monitor" interval="20s"/></operations></primitive>
            <primitive id="a" class="lsb" type="x"/><primitive id="z" class="lsb" type="z"/></group></clone>"#,
        );
        assert_eq!(
            resource_notes("c", &live, &want),
            [
                "c: meta promotable (unset) → true",
                "b: op monitor interval 10s → 20s",
                "g: member z added"
            ]
        );
        assert_eq!(
            resource_notes("c", &live, &live.clone()),
            Vec::<String>::new()
        );
        // Only the start order differs: still a change.
        let a = el(
            r#"<group id="g"><primitive id="a" class="lsb" type="x"/><primitive id="b" class="lsb" type="y"/></group>"#,
        );
        let b = el(
            r#"<group id="g"><primitive id="b" class="lsb" type="y"/><primitive id="a" class="lsb" type="x"/></group>"#,
        );
        assert_eq!(resource_notes("g", &a, &b), ["g: member order a, b → b, a"]);
        // What has no finer note (a bundle's image) is named as a whole.
        let b1 = el(r#"<bundle id="bu"><docker image="a:1"/></bundle>"#);
        let b2 = el(r#"<bundle id="bu"><docker image="a:2"/></bundle>"#);
        assert_eq!(
            resource_notes("bu", &b1, &b2),
            ["bu: bundle definition differs (see the diff)"]
        );
    }
}
