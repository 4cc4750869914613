//! Assembles the [`Preview`] from three comparisons (pure):
//!
//! - live vs PR (the engine's change set for the PR's render, confined to what the
//!   base manages): what apply would do after the merge;
//! - live vs base (the engine's change set for the base): drift already on the live
//!   side, e.g. a hand edit — shown apart, so approving the PR is not approving it;
//! - base vs PR (the two renders, no host involved): what the PR itself changes.

use super::model::{InventoryPreview, ObjectPreview, Preview, Revision, Section, SummaryRow};
use super::texts::{texts, Key};
use crate::mask::Masker;
use crate::plan::{ChangeSet, TargetError};
use crate::rendered::Rendered;
use crate::targets::registry;
use crate::targets::target::StepPlan;
use crate::textdiff::unified;
use std::collections::BTreeMap;

/// Everything the preview is made of.
pub struct Inputs<'a> {
    pub base: Revision,
    pub head: Revision,
    pub base_rendered: &'a Rendered,
    /// The PR's whole render (not confined).
    pub head_rendered: &'a Rendered,
    /// Live vs base.
    pub drift: &'a ChangeSet,
    /// Live vs PR (confined render).
    pub apply: &'a ChangeSet,
    pub waves: Vec<Vec<StepPlan>>,
    /// (target, host, object) the preview did not read on a host (`super::confine`).
    pub not_read: Vec<(String, String, ObjectPreview)>,
    pub inventory: InventoryPreview,
    pub masker: &'a Masker,
}

type Sections = BTreeMap<(String, Option<String>), BTreeMap<String, ObjectPreview>>;

fn entry<'s>(s: &'s mut Sections, k: &Key) -> &'s mut ObjectPreview {
    s.entry((k.0.clone(), k.1.clone()))
        .or_default()
        .entry(k.2.clone())
        .or_insert_with(|| ObjectPreview {
            object: k.2.clone(),
            action: "unchanged".into(),
            ..Default::default()
        })
}

/// A balancer's runtime state compared with the PR's file: when the PR changes the
/// file, the runtime follows it through the reload (or the runtime API) — not a change
/// of its own. It is shown only as drift (live vs base), where it is one.
fn follows_file(c: &crate::plan::Change) -> bool {
    c.object.starts_with("haproxy runtime ")
}

pub fn build(i: Inputs<'_>) -> Preview {
    let mut s: Sections = BTreeMap::new();
    for c in i.apply.differing().filter(|c| !follows_file(c)) {
        let o = entry(
            &mut s,
            &(c.target.clone(), c.host.clone(), c.object.clone()),
        );
        o.action = c.action.as_str().into();
        o.apply_diff = c.diff.clone();
        o.notes = c.notes.clone();
    }
    for c in i.drift.differing() {
        let o = entry(
            &mut s,
            &(c.target.clone(), c.host.clone(), c.object.clone()),
        );
        o.drifted = true;
        o.drift_diff = c.diff.clone();
    }
    let (base, head) = (texts(i.base_rendered), texts(i.head_rendered));
    let keys: std::collections::BTreeSet<&Key> = base.keys().chain(head.keys()).collect();
    for k in keys {
        let (old, new) = (base.get(k), head.get(k));
        let label = |side: &str| match &k.1 {
            Some(h) => format!("{side}/{h}:{}", k.2),
            None => format!("{side}/{}", k.2),
        };
        let old_text = old.map(String::as_str).unwrap_or("");
        let new_text = new.map(String::as_str).unwrap_or("");
        let Some(d) = unified(old_text, new_text, &label("base"), &label("pr"), i.masker) else {
            continue;
        };
        entry(&mut s, k).pr_diff = Some(d);
    }
    for (target, host, o) in i.not_read {
        s.entry((target, Some(host)))
            .or_default()
            .insert(o.object.clone(), o);
    }
    // Steps that change nothing (the cluster's check when no CIB id differs) are left out.
    let order: Vec<StepPlan> = i
        .waves
        .into_iter()
        .flatten()
        .filter(|st| !st.objects.is_empty())
        .collect();
    let step_of = |t: &str, h: &Option<String>| {
        order
            .iter()
            .position(|st| st.target == t && &st.host == h)
            .map(|p| p + 1)
    };
    let rank = |t: &str| registry::names().iter().position(|n| *n == t);
    let mut sections: Vec<Section> = s
        .into_iter()
        .map(|((target, host), objects)| Section {
            step: step_of(&target, &host),
            objects: objects.into_values().collect(),
            target,
            host,
        })
        .collect();
    sections.sort_by_key(|x| {
        (
            x.step.unwrap_or(usize::MAX),
            rank(&x.target),
            x.host.clone(),
        )
    });
    Preview {
        base: i.base,
        head: i.head,
        summary: summary(&sections),
        order,
        inventory: i.inventory,
        errors: errors(i.apply, i.drift),
        sections,
        shard: i.head_rendered.shard.clone(),
    }
}

fn errors(a: &ChangeSet, b: &ChangeSet) -> Vec<TargetError> {
    let mut out: Vec<TargetError> = Vec::new();
    for e in a.errors.iter().chain(&b.errors) {
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    out
}

/// One row per target with something pending, in registry (apply) order.
fn summary(sections: &[Section]) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for target in registry::names() {
        let mine: Vec<&Section> = sections.iter().filter(|s| s.target == target).collect();
        if mine.is_empty() {
            continue;
        }
        let mut row = SummaryRow {
            target: target.into(),
            ..Default::default()
        };
        let mut notes: Vec<&str> = Vec::new();
        for s in &mine {
            let mut pending = false;
            for o in &s.objects {
                match o.action.as_str() {
                    "create" => row.create += 1,
                    "update" => row.update += 1,
                    "delete" => row.delete += 1,
                    _ => continue,
                }
                pending = true;
                notes.extend(o.notes.iter().map(String::as_str));
            }
            if pending {
                row.hosts.push(s.host.clone().unwrap_or_else(|| "—".into()));
            }
        }
        row.path = live_path(target, &notes);
        row.restart = notes.iter().any(|n| needs_restart(n));
        rows.push(row);
    }
    rows
}

/// How apply makes a target's changes live, from its kind and the engine's notes.
fn live_path(target: &str, notes: &[&str]) -> String {
    match target {
        "balancer" => {
            let runtime = notes.iter().any(|n| n.starts_with("runtime API"));
            let reload = notes.iter().any(|n| n.starts_with("reload"));
            match (reload, runtime) {
                (true, true) => "reload + runtime API".into(),
                (false, true) => "runtime API (no reload)".into(),
                _ => "reload".into(),
            }
        }
        "gateway" => "graceful reload".into(),
        "cluster" => "CIB patch".into(),
        "workloads" => "server-side apply".into(),
        "nodes" => "Node patch".into(),
        _ => "apply".into(),
    }
}

fn needs_restart(note: &str) -> bool {
    let n = note.to_ascii_lowercase();
    n.contains("restart") && !n.contains("no restart") && !n.contains("never restart")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_is_read_from_notes() {
        assert!(needs_restart(
            "transport: needs a coordinated restart of the cluster (reported only)"
        ));
        assert!(!needs_restart("runtime API: weight, no restart"));
        assert_eq!(
            live_path(
                "balancer",
                &["runtime API: weight http_back/w1 1→50, no reload"]
            ),
            "runtime API (no reload)"
        );
        assert_eq!(
            live_path(
                "balancer",
                &["reload: backend http_back: `balance` changed"]
            ),
            "reload"
        );
    }
}
