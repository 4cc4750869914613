//! The shared observation of every host that has managed files: one round trip
//! per host, whatever the kinds of target on it (the files' hashes, content where
//! it differs, the VIP facts, and each file's own `observe` lines), computed once
//! per cycle ([`shared`]) and compared per target ([`compare_files`]).

use super::files::{observe, Live, Observation};
use super::ha::{vip_facts, vips};
use crate::exec::Remote;
use crate::mask::Masker;
use crate::plan::{Action, Change, TargetError};
use crate::rendered::{ManagedFile, Rendered};
use crate::targets::target::Cx;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What every host looks like, or why it could not be observed.
#[derive(Debug, Clone, Default)]
pub struct HostViews {
    pub views: BTreeMap<String, Observation>,
    /// Host → why it could not be observed (and whether retrying may help).
    pub failed: BTreeMap<String, (String, bool)>,
}

impl HostViews {
    /// Whether `host` holds `vip` (as read by the facts script).
    pub fn holds_vip(&self, host: &str, vip: &str) -> bool {
        self.views
            .get(host)
            .and_then(|o| o.facts.get(&format!("vip.{vip}")))
            .is_some_and(|v| v == "held")
    }

    /// One error for `target` per failed host that has files of `target`.
    pub fn errors_for(&self, target: &str, files: &[&ManagedFile]) -> Vec<TargetError> {
        let mut out: Vec<TargetError> = Vec::new();
        for f in files.iter().filter(|f| f.target == target) {
            if let Some((message, transient)) = self.failed.get(&f.host) {
                if !out.iter().any(|e| e.host.as_deref() == Some(&f.host)) {
                    out.push(TargetError {
                        target: target.into(),
                        host: Some(f.host.clone()),
                        message: message.clone(),
                        transient: *transient,
                    });
                }
            }
        }
        out
    }
}

/// The observation of this cycle's selected host-level files, made by the first
/// target that asks and shared with the others.
pub async fn shared(cx: &Cx<'_>) -> Arc<HostViews> {
    cx.memo
        .get_or_init("hostfiles.views", async {
            let files: Vec<&ManagedFile> = cx
                .rendered
                .files
                .iter()
                .filter(|f| cx.is_selected(f.target))
                .collect();
            observe_hosts(cx.remote, &files, &vips(cx.state)).await
        })
        .await
}

/// Observes every host of `files`, all concurrently (one round trip each).
pub async fn observe_hosts(
    remote: &dyn Remote,
    files: &[&ManagedFile],
    vips: &[String],
) -> HostViews {
    let mut by_host: BTreeMap<&str, Vec<&ManagedFile>> = BTreeMap::new();
    for f in files {
        by_host.entry(&f.host).or_default().push(f);
    }
    let facts = vip_facts(vips);
    let jobs = by_host.into_iter().map(|(host, files)| {
        let mut script = facts.clone();
        let mut extra: Vec<&str> = files.iter().map(|f| f.observe.as_str()).collect();
        extra.dedup();
        script.extend(extra);
        async move { (host, observe(remote, host, &files, &script).await) }
    });
    let mut out = HostViews::default();
    for (host, res) in futures::future::join_all(jobs).await {
        match res {
            Ok(obs) => {
                out.views.insert(host.to_string(), obs);
            }
            Err(e) => {
                out.failed
                    .insert(host.to_string(), (e.message.clone(), e.transient));
            }
        }
    }
    out
}

/// What a target adds to the comparison of one of its files that differs: notes
/// (how apply will make it live).
pub type DiffNotes<'a> = &'a dyn Fn(&ManagedFile, &str, &Observation) -> Vec<String>;

/// One [`Change`] per file of `files` on a reachable host.
pub fn compare_files(
    files: &[&ManagedFile],
    views: &HostViews,
    masker: &Masker,
    notes_for: DiffNotes<'_>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    for f in files {
        let Some(obs) = views.views.get(&f.host) else {
            continue;
        };
        let Some(o) = obs.files.iter().find(|o| o.path == f.path) else {
            continue;
        };
        let label_live = format!("{}:{} (live)", f.host, f.path);
        let label_want = format!("{}:{} (desired, {})", f.host, f.path, f.source);
        let (action, diff, mut notes) = match &o.live {
            Live::Same => (Action::Unchanged, None, vec![]),
            Live::Missing => (
                Action::Create,
                crate::textdiff::unified("", &f.content, "/dev/null", &label_want, masker),
                vec![],
            ),
            Live::Differs(bytes) => {
                let live = String::from_utf8_lossy(bytes);
                let notes = if o.reload_pending {
                    vec![]
                } else {
                    notes_for(f, &live, obs)
                        .iter()
                        .map(|n| masker.mask(n))
                        .collect()
                };
                (
                    Action::Update,
                    crate::textdiff::unified(&live, &f.content, &label_live, &label_want, masker),
                    notes,
                )
            }
        };
        let action = if o.reload_pending && action == Action::Unchanged {
            notes.push("reload pending: an earlier apply was interrupted after the swap".into());
            Action::Update
        } else {
            action
        };
        changes.push(Change {
            target: f.target.into(),
            host: Some(f.host.clone()),
            object: f.path.clone(),
            action,
            diff,
            notes,
        });
    }
    changes
}

/// The files of `rendered` owned by `target`.
pub fn files_of<'a>(rendered: &'a Rendered, target: &'a str) -> Vec<&'a ManagedFile> {
    rendered.files_of(target).collect()
}
