//! What one cycle leaves in the history, built from its [`Outcome`] by [`Record::of`]
//! — the only constructor, and it passes every text (diffs, notes, messages, object
//! names) through the masker, so nothing unmasked can reach the database.

use crate::mask::Masker;
use crate::run::{Found, Outcome};
use rusqlite::{params, Transaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which command wrote an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Run,
    Apply,
    /// `agent drill`: the acceptance test's checks, one item each.
    Drill,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Run => "run",
            Source::Apply => "apply",
            Source::Drill => "drill",
        }
    }
}

/// Why a cycle ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryCause {
    /// A new commit was accepted: its changes are intentional.
    Commit,
    /// A scheduled drift sweep: its changes are corrective.
    Drift,
    /// Started by a signed push webhook.
    Webhook,
    /// `agent apply` by a person.
    Manual,
}

impl HistoryCause {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryCause::Commit => "commit",
            HistoryCause::Drift => "drift",
            HistoryCause::Webhook => "webhook",
            HistoryCause::Manual => "manual",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Commit, Self::Drift, Self::Webhook, Self::Manual]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// What an item says about its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A change made (intentional or corrective, by the entry's cause).
    Applied,
    /// A difference found and left alone (policy `observe`).
    Drift,
    /// A difference planned but not applied (its host step failed or was skipped).
    Pending,
    /// One host step of the rollout (its status: applied, rolled-back, ...).
    Step,
    /// A host or target that failed.
    Error,
    /// A workload's health after the apply.
    Health,
    /// One check of `agent drill` (its verdict; goal and measured value as notes).
    Check,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Applied => "applied",
            ItemKind::Drift => "drift",
            ItemKind::Pending => "pending",
            ItemKind::Step => "step",
            ItemKind::Error => "error",
            ItemKind::Health => "health",
            ItemKind::Check => "check",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        use ItemKind::*;
        [Applied, Drift, Pending, Step, Error, Health, Check]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One line of an entry: an object and what happened to it. Every text is masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub kind: ItemKind,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub object: String,
    /// create/update/delete/drift for changes; the step status; healthy/unhealthy;
    /// error/unreachable.
    pub action: String,
    /// Unified diff live → desired (masked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A finished cycle, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub commit: String,
    pub targets: Vec<String>,
    pub items: Vec<Item>,
    pub duration_ms: u64,
}

fn same(f: &Found, target: &str, host: &Option<String>, object: &str) -> bool {
    f.target == target && &f.host == host && f.object == object
}

impl Record {
    /// A record of `items` (e.g. a drill's checks), every text masked with `masker`.
    pub fn of_items(
        commit: &str,
        targets: Vec<String>,
        items: Vec<Item>,
        masker: &Masker,
        duration: std::time::Duration,
    ) -> Record {
        let m = |s: &str| masker.mask(s);
        let items = items
            .into_iter()
            .map(|i| Item {
                object: m(&i.object),
                diff: i.diff.as_deref().map(m),
                notes: i.notes.iter().map(|n| m(n)).collect(),
                message: m(&i.message),
                ..i
            })
            .collect();
        Record {
            commit: commit.to_string(),
            targets,
            items,
            duration_ms: duration.as_millis() as u64,
        }
    }

    /// The record of `out`, every text masked with `masker` (the cycle's: it knows the
    /// commit's decrypted secrets; its directive and private-key rules catch the rest).
    pub fn of(out: &Outcome, masker: &Masker, duration: std::time::Duration) -> Record {
        let m = |s: &str| masker.mask(s);
        let mut items = Vec::new();
        let item = |kind, target: &str, host: &Option<String>, object: &str, action: &str| Item {
            kind,
            target: m(target),
            host: host.as_deref().map(m),
            object: m(object),
            action: action.to_string(),
            diff: None,
            notes: vec![],
            message: String::new(),
        };
        for c in &out.changes {
            let kind = if out
                .applied
                .iter()
                .any(|f| same(f, &c.target, &c.host, &c.object))
            {
                ItemKind::Applied
            } else if out
                .drift
                .iter()
                .any(|f| same(f, &c.target, &c.host, &c.object))
            {
                ItemKind::Drift
            } else {
                ItemKind::Pending
            };
            let mut i = item(kind, &c.target, &c.host, &c.object, c.action.as_str());
            i.diff = c.diff.as_deref().map(m);
            i.notes = c.notes.iter().map(|n| m(n)).collect();
            items.push(i);
        }
        // Applied objects the change set does not list (a runtime correction inside a
        // step): still an applied change.
        for f in &out.applied {
            if !out
                .changes
                .iter()
                .any(|c| same(f, &c.target, &c.host, &c.object))
            {
                items.push(item(
                    ItemKind::Applied,
                    &f.target,
                    &f.host,
                    &f.object,
                    "update",
                ));
            }
        }
        for s in &out.steps {
            let mut i = item(
                ItemKind::Step,
                &s.target,
                &Some(s.host.clone()),
                &s.files.join(", "),
                s.status.as_str(),
            );
            i.message = m(&s.message);
            i.notes = s.notes.iter().map(|n| m(n)).collect();
            items.push(i);
        }
        for e in &out.errors {
            let action = if e.transient { "unreachable" } else { "error" };
            let mut i = item(ItemKind::Error, &e.target, &e.host, "", action);
            i.message = m(&e.message);
            items.push(i);
        }
        for h in &out.health {
            let action = if h.healthy { "healthy" } else { "unhealthy" };
            let mut i = item(
                ItemKind::Health,
                crate::targets::workloads::TARGET,
                &None,
                &h.object,
                action,
            );
            i.message = m(&h.message);
            items.push(i);
        }
        Record {
            commit: out.commit.clone(),
            targets: out.targets.clone(),
            items,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// (applied, drift, errors): changes made, differences left alone, failures
    /// (errors and host steps that did not apply).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |k: ItemKind| self.items.iter().filter(|i| i.kind == k).count();
        let bad_steps = self
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::Step && i.action != "applied")
            .count();
        (
            n(ItemKind::Applied),
            n(ItemKind::Drift),
            n(ItemKind::Error) + bad_steps,
        )
    }

    pub fn applied_anything(&self) -> bool {
        self.items.iter().any(|i| i.kind == ItemKind::Applied)
    }

    /// A digest of what the cycle found (not when): equal records fold together.
    pub fn signature(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.targets.join(",").as_bytes());
        for i in &self.items {
            h.update(serde_json::to_vec(i).expect("plain data"));
            h.update([0]);
        }
        hex::encode(&h.finalize()[..16])
    }
}

pub(super) fn insert_items(tx: &Transaction<'_>, id: i64, r: &Record) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare(
        "INSERT INTO items (cycle_id, ord, kind, target, host, object, action, diff, notes, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (ord, i) in r.items.iter().enumerate() {
        stmt.execute(params![
            id,
            ord as i64,
            i.kind.as_str(),
            i.target,
            i.host,
            i.object,
            i.action,
            i.diff,
            serde_json::to_string(&i.notes).expect("strings serialize"),
            i.message,
        ])?;
    }
    Ok(())
}
