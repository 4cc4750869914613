//! Human and JSON renderings of a [`ChangeSet`] and of an apply's steps.
//!
//! Human output is grouped by host; diffs are coloured only on a terminal.
//! JSON output is the same values serialized, plus a summary.

use crate::outcome::{ApplyReport, StepStatus};
use crate::plan::{Action, ChangeSet};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
    pub unmanaged: usize,
    pub drift: usize,
    pub errors: usize,
}

impl Summary {
    pub fn of(cs: &ChangeSet) -> Self {
        let mut s = Summary {
            errors: cs.errors.len(),
            ..Default::default()
        };
        for c in &cs.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Delete => s.delete += 1,
                Action::Unchanged => s.unchanged += 1,
                Action::Unmanaged => s.unmanaged += 1,
                Action::Drift => s.drift += 1,
            }
        }
        s
    }

    pub fn line(&self) -> String {
        let mut parts = vec![];
        for (n, what) in [
            (self.create, "to create"),
            (self.update, "to update"),
            (self.delete, "to delete"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if self.drift > 0 {
            parts.push(format!("{} drifted (reported only, by policy)", self.drift));
        }
        if parts.is_empty() {
            parts.push("in sync".into());
        }
        parts.push(format!("{} unchanged", self.unchanged));
        if self.unmanaged > 0 {
            parts.push(format!("{} unmanaged (left alone)", self.unmanaged));
        }
        if self.errors > 0 {
            parts.push(format!("{} error(s)", self.errors));
        }
        parts.join(", ")
    }
}

/// `agent diff` for humans: what differs, host by host.
pub fn diff_text(cs: &ChangeSet, color: bool, verbose: bool) -> String {
    let mut by_host: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &cs.changes {
        if c.action == Action::Unchanged && !verbose {
            continue;
        }
        let sign = match c.action {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
            Action::Unmanaged => "?",
            Action::Drift => "!",
            Action::Unchanged => "=",
        };
        let mut block = format!("  {sign} {} {} ({})", c.target, c.object, c.action.as_str());
        for n in &c.notes {
            let _ = write!(block, "\n      note: {n}");
        }
        if let Some(d) = &c.diff {
            let d = if color {
                crate::textdiff::colorize(d)
            } else {
                d.trim_end().to_string()
            };
            for l in d.lines() {
                let _ = write!(block, "\n      {l}");
            }
        }
        by_host
            .entry(c.host.clone().unwrap_or_else(|| "(cluster)".into()))
            .or_default()
            .push(block);
    }
    for e in &cs.errors {
        let kind = if e.transient { "unreachable" } else { "error" };
        by_host
            .entry(e.host.clone().unwrap_or_else(|| "(cluster)".into()))
            .or_default()
            .push(format!("  ! {} {kind}: {}", e.target, e.message));
    }
    let mut out = String::new();
    let _ = writeln!(out, "commit {}", cs.commit);
    if let Some(s) = &cs.shard {
        let _ = writeln!(out, "shard {s}: only its hosts");
    }
    for (host, blocks) in by_host {
        let _ = writeln!(out, "{host}");
        for b in blocks {
            let _ = writeln!(out, "{b}");
        }
    }
    let _ = writeln!(out, "Summary: {}", Summary::of(cs).line());
    if let Some(l) = crate::import::formatting::formatting_summary(cs) {
        let _ = writeln!(out, "{l}");
    }
    out
}

#[derive(Serialize)]
struct DiffJson<'a> {
    #[serde(flatten)]
    changes: &'a ChangeSet,
    summary: Summary,
    #[serde(rename = "exitCode")]
    exit_code: u8,
}

pub fn diff_json(cs: &ChangeSet) -> String {
    serde_json::to_string_pretty(&DiffJson {
        changes: cs,
        summary: Summary::of(cs),
        exit_code: cs.exit_code(),
    })
    .expect("plain data serializes")
}

/// Continuation lines (tool output in a message) indented under the message column.
fn indent(msg: &str) -> String {
    msg.trim_end().replace('\n', &format!("\n{:34}", ""))
}

/// `agent apply` for humans: the steps taken and the outcome.
pub fn apply_text(rep: &ApplyReport) -> String {
    let mut out = String::new();
    for c in rep.applied.iter().filter(|c| c.action.is_change()) {
        let _ = writeln!(
            out,
            "{:<10} {:<9} {:<12} {}",
            "(cluster)",
            c.target,
            c.action.as_str(),
            c.object
        );
        for n in &c.notes {
            let _ = writeln!(out, "{:<34}note: {n}", "");
        }
    }
    for h in &rep.health {
        let state = if h.healthy { "healthy" } else { "unhealthy" };
        let _ = writeln!(
            out,
            "{:<10} {:<9} {:<12} {} {}",
            "(cluster)", "workloads", state, h.object, h.message
        );
    }
    for s in &rep.steps {
        let _ = writeln!(
            out,
            "{:<10} {:<9} {:<12} {}",
            s.host,
            s.target,
            s.status.as_str(),
            indent(&s.message)
        );
        for n in &s.notes {
            let _ = writeln!(out, "{:<34}note: {n}", "");
        }
    }
    for e in rep.plan.errors.iter().chain(&rep.errors) {
        let kind = if e.transient { "unreachable" } else { "error" };
        let _ = writeln!(
            out,
            "{:<10} {:<9} {:<12} {}",
            e.host.as_deref().unwrap_or("(cluster)"),
            e.target,
            kind,
            e.message
        );
    }
    let changed = rep.applied_steps() + rep.applied.iter().filter(|c| c.action.is_change()).count();
    let bad = rep
        .steps
        .iter()
        .filter(|s| s.status != StepStatus::Applied)
        .count()
        + rep.plan.errors.len()
        + rep.errors.len();
    let drift = rep
        .plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Drift)
        .count();
    if drift > 0 {
        let _ = writeln!(
            out,
            "drift kept by policy (reported only): {drift} object(s); see `agent diff`"
        );
    }
    let at = match &rep.plan.shard {
        Some(s) => format!("commit {}, shard {s}", rep.plan.commit),
        None => format!("commit {}", rep.plan.commit),
    };
    let _ = match (changed, bad) {
        (0, 0) => writeln!(out, "in sync: nothing to apply ({at})"),
        (_, 0) => writeln!(out, "converged: {changed} change(s) applied ({at})"),
        _ => writeln!(
            out,
            "NOT converged: {changed} change(s) applied, {bad} failed or skipped ({at})"
        ),
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Change, TargetError};

    #[test]
    fn diff_text_groups_by_host_and_summarises() {
        let cs = ChangeSet {
            commit: "abc".into(),
            shard: None,
            changes: vec![
                Change {
                    target: "balancer".into(),
                    host: Some("ha2".into()),
                    object: "/etc/haproxy/haproxy.cfg".into(),
                    action: Action::Update,
                    diff: Some("--- a\n+++ b\n-x\n+y\n".into()),
                    notes: vec![],
                },
                Change {
                    target: "balancer".into(),
                    host: Some("ha1".into()),
                    object: "/etc/haproxy/haproxy.cfg".into(),
                    action: Action::Unchanged,
                    diff: None,
                    notes: vec![],
                },
            ],
            errors: vec![TargetError {
                target: "gateway".into(),
                host: Some("gw".into()),
                message: "connection refused".into(),
                transient: true,
            }],
        };
        let t = diff_text(&cs, false, false);
        assert!(
            t.contains("ha2\n  ~ balancer /etc/haproxy/haproxy.cfg (update)\n      --- a"),
            "{t}"
        );
        assert!(!t.contains("ha1"), "unchanged hidden unless verbose: {t}");
        assert!(
            t.contains("gw\n  ! gateway unreachable: connection refused"),
            "{t}"
        );
        assert!(
            t.ends_with("Summary: 1 to update, 1 unchanged, 1 error(s)\n"),
            "{t}"
        );
        let j: serde_json::Value = serde_json::from_str(&diff_json(&cs)).unwrap();
        assert_eq!(j["exitCode"], 2);
        assert_eq!(j["summary"]["update"], 1);
        assert_eq!(j["changes"][0]["action"], "update");
    }
}
