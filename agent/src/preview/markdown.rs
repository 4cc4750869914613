//! The PR comment (GitHub/GitLab Markdown): a hidden marker (CI recipes find and
//! edit their comment by it), the summary table, the rollout order, the inventory
//! diff, then one collapsible `<details>` per host or target. Drift on the live side
//! is shown apart from the PR's change. Everything printed here is already masked;
//! the comment fits GitHub's limit ([`super::budget`]).

use super::budget::Budget;
use super::model::{ObjectPreview, Preview, Revision, Section};
use schema::Diagnostic;
use std::fmt::Write;

/// The hidden first line of every comment the agent writes.
pub const MARKER: &str = "<!-- agent-preview -->";

/// At most this many hosts named in a summary cell.
const HOSTS_IN_CELL: usize = 12;
/// At most this many rollout steps listed.
const STEPS_LISTED: usize = 40;

fn rev(r: &Revision) -> String {
    let short: String = r.commit.chars().take(12).collect();
    if r.reference.is_empty() || r.reference == r.commit {
        format!("`{short}`")
    } else {
        format!("`{}` (`{short}`)", cell(&r.reference))
    }
}

/// Text safe inside a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

/// A fenced block that no line of `text` can close early.
fn fenced(lang: &str, text: &str) -> String {
    let mut fence = "```".to_string();
    while text.contains(&fence) {
        fence.push('`');
    }
    let nl = if text.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{lang}\n{text}{nl}{fence}\n")
}

fn listed(names: &[String], max: usize) -> String {
    let mut s = names
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > max {
        let _ = write!(s, " +{} more", names.len() - max);
    }
    s
}

fn head(p: &Preview, out: &mut String) {
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(out, "## agent preview: {} → live platform\n", rev(&p.head));
    let _ = writeln!(
        out,
        "Compared with the live platform and with the base {}. Where the agent connects \
         (inventory, host keys, credentials) comes from the base and the agent's config, \
         never from this PR.\n",
        rev(&p.base)
    );
    if let Some(s) = &p.shard {
        let _ = writeln!(out, "Shard `{s}`: only the hosts labelled `shard: {s}`.\n");
    }
    if !p.differs() && p.inventory.hosts.is_empty() && p.errors.is_empty() {
        let _ = writeln!(
            out,
            "✅ **No change**: after the merge, apply would do nothing.\n"
        );
    }
}

fn summary(p: &Preview, out: &mut String) {
    if p.summary.is_empty() {
        return;
    }
    out.push_str(
        "| target | hosts | create | update | delete | how it goes live | restart needed? |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---|---|\n");
    for r in &p.summary {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.target,
            cell(&listed(&r.hosts, HOSTS_IN_CELL)),
            r.create,
            r.update,
            r.delete,
            cell(&r.path),
            if r.restart {
                "**yes** (reported, never done by apply)"
            } else {
                "no"
            }
        );
    }
    out.push('\n');
}

fn order(p: &Preview, out: &mut String) {
    if p.order.is_empty() {
        return;
    }
    let steps: Vec<String> = p
        .order
        .iter()
        .take(STEPS_LISTED)
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{}. {} {}",
                i + 1,
                s.target,
                s.host.as_deref().unwrap_or(&s.id)
            )
        })
        .collect();
    let _ = write!(out, "**Rollout order** (one step at a time; a balancer pair changes the node *not* holding the VIP first): {}", steps.join(" → "));
    if p.order.len() > STEPS_LISTED {
        let _ = write!(out, " → … {} more", p.order.len() - STEPS_LISTED);
    }
    out.push_str("\n\n");
    let drifted: Vec<String> = p
        .sections
        .iter()
        .filter(|s| s.has_drift())
        .map(Section::title)
        .collect();
    if !drifted.is_empty() {
        let _ = writeln!(
            out,
            "> ⚠️ **Drift on the live side, not part of this PR**: {} already differ from the base \
             (a hand edit?). Apply would revert it. It is shown apart in each section below: do not \
             approve it by accident.\n",
            listed(&drifted, HOSTS_IN_CELL)
        );
    }
}

fn errors(p: &Preview, out: &mut String) {
    if p.errors.is_empty() {
        return;
    }
    out.push_str("**Not observed** (the preview of these is incomplete):\n\n");
    for e in &p.errors {
        let who = match &e.host {
            Some(h) => format!("{} {h}", e.target),
            None => e.target.clone(),
        };
        let _ = writeln!(out, "- {who}: {}", cell(&e.message));
    }
    out.push('\n');
}

fn inventory_blocks(p: &Preview, b: &mut Budget) {
    if p.inventory.hosts.is_empty() {
        return;
    }
    let mut head = String::from("### Inventory\n\nThis PR changes the inventory. The preview connected only to hosts of the base's inventory, as the base describes them");
    if !p.inventory.not_contacted.is_empty() {
        let _ = write!(
            head,
            "; not contacted: {}",
            listed(&p.inventory.not_contacted, HOSTS_IN_CELL)
        );
    }
    head.push_str(".\n\n");
    b.push("inventory entry", &head);
    for h in &p.inventory.hosts {
        let note = match h.change.as_str() {
            "added" => "added — not contacted",
            "removed" => "removed",
            _ => "changed — contacted as the base says",
        };
        let block = format!(
            "<details><summary>{}: {note}</summary>\n\n{}\n</details>\n\n",
            h.name,
            fenced("diff", &h.diff)
        );
        b.push("inventory entry", &block);
    }
}

fn object(o: &ObjectPreview, out: &mut String) {
    let _ = write!(out, "**`{}`** — {}", o.object, o.action);
    for n in &o.notes {
        let _ = write!(out, " · {}", cell(n));
    }
    out.push_str("\n\n");
    if o.drifted {
        match &o.pr_diff {
            Some(d) => {
                out.push_str("What this PR changes (base → PR):\n\n");
                out.push_str(&fenced("diff", d));
            }
            None => out.push_str("This PR does not change this object.\n\n"),
        }
        out.push_str("\n⚠️ **Drift, not from this PR** — the live side differs from the base (live → base); apply would revert it:\n\n");
        match &o.drift_diff {
            Some(d) => out.push_str(&fenced("diff", d)),
            None => out.push_str("(no text diff available; see the notes)\n"),
        }
    } else if let Some(d) = &o.apply_diff {
        out.push_str(&fenced("diff", d));
    } else if let Some(d) = &o.pr_diff {
        out.push_str("The live side already matches this PR's change (base → PR):\n\n");
        out.push_str(&fenced("diff", d));
    }
    out.push('\n');
}

fn section(s: &Section) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for o in &s.objects {
        match counts.iter_mut().find(|(a, _)| *a == o.action) {
            Some(c) => c.1 += 1,
            None => counts.push((o.action.clone(), 1)),
        }
    }
    let what: Vec<String> = counts.iter().map(|(a, n)| format!("{a}: {n}")).collect();
    let step = s.step.map(|n| format!("{n}. ")).unwrap_or_default();
    let drift = if s.has_drift() {
        " · ⚠️ drift"
    } else {
        ""
    };
    let mut out = format!(
        "<details><summary><b>{step}{}</b> — {}{drift}</summary>\n\n",
        s.title(),
        what.join(", ")
    );
    for o in &s.objects {
        object(o, &mut out);
    }
    out.push_str("</details>\n\n");
    out
}

/// The comment for `p`, at most `limit` characters (use [`super::budget::GITHUB_LIMIT`]).
pub fn comment(p: &Preview, limit: usize) -> String {
    let mut b = Budget::new(limit);
    let mut top = String::new();
    head(p, &mut top);
    summary(p, &mut top);
    order(p, &mut top);
    errors(p, &mut top);
    b.push("summary", &top);
    inventory_blocks(p, &mut b);
    if !p.sections.is_empty() {
        b.push("host section", "### Changes\n\n");
    }
    for s in &p.sections {
        b.push("host section", &section(s));
    }
    b.finish(&format!(
        "The whole preview: `agent diff --rev {} --base {} --output json`.",
        p.head.commit, p.base.commit
    ))
}

/// The comment for a revision that does not load or validate: every error, with
/// file, line and what would be right, so the comment explains the red check.
pub fn invalid(which: &str, r: &Revision, diags: &[Diagnostic], limit: usize) -> String {
    let mut b = Budget::new(limit);
    let mut top = format!(
        "{MARKER}\n## agent preview: {} does not validate ❌\n\n\
         The {which} does not load; nothing was compared with the live platform. Fix these \
         and push again:\n\n| where | error | help |\n|---|---|---|\n",
        rev(r)
    );
    if diags.is_empty() {
        top.push_str("| | (no diagnostic) | |\n");
    }
    b.push("summary", &top);
    for d in diags {
        let at = match (d.file.is_empty(), d.line) {
            (true, _) => String::new(),
            (false, 0) => format!("`{}`", d.file),
            (false, l) => format!("`{}:{l}:{}`", d.file, d.column),
        };
        let row = format!(
            "| {at} | {} | {} |\n",
            cell(&d.message),
            cell(d.hint.as_deref().unwrap_or(""))
        );
        b.push("error", &row);
    }
    b.finish("`agent validate` lists them all.")
}
