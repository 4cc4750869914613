//! Host-level targets (gateway, balancer): observe every host concurrently,
//! compare with the rendered files, and produce [`Change`]s.
//!
//! The observation of a host also reads the facts the rollout needs (does it
//! hold a VIP, is HAProxy running), in the same round trip.

use super::files::{observe, Live, Observation};
use super::haproxy_runtime::classify;
use super::remote::{sh_quote, Remote};
use crate::mask::Masker;
use crate::plan::{Action, Change, TargetError};
use crate::render::{ManagedFile, Rendered, TargetKind};
use std::collections::BTreeMap;

/// What every host looks like, or why it could not be observed.
#[derive(Debug, Clone, Default)]
pub struct HostViews {
    pub views: BTreeMap<String, Observation>,
    pub errors: Vec<TargetError>,
}

impl HostViews {
    /// Whether `host` holds `vip` (as read by the facts script).
    pub fn holds_vip(&self, host: &str, vip: &str) -> bool {
        self.views
            .get(host)
            .and_then(|o| o.facts.get(&format!("vip.{vip}")))
            .is_some_and(|v| v == "held")
    }
}

pub fn target_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Gateway => "gateway",
        TargetKind::Balancer => "balancer",
    }
}

/// Facts every host reports: which of the cluster VIPs it holds, whether HAProxy runs.
pub fn facts_script(vips: &[String]) -> String {
    let mut s = String::new();
    if !vips.is_empty() {
        s.push_str("addrs=$(ip -o -4 addr show 2>/dev/null)\n");
        for v in vips {
            let q = sh_quote(&format!(" {v}/"));
            s.push_str(&format!(
                "case \"$addrs\" in *{q}*) echo vip.{v}=held;; esac\n"
            ));
        }
    }
    s.push_str("if [ -s /run/haproxy.pid ] && kill -0 \"$(cat /run/haproxy.pid)\" 2>/dev/null; then echo haproxy.running=1; fi\n");
    s
}

/// Observes every host that has managed files, all concurrently (one round trip each).
pub async fn observe_hosts<R: Remote>(
    remote: &R,
    rendered: &Rendered,
    vips: &[String],
) -> HostViews {
    let mut by_host: BTreeMap<&str, Vec<&ManagedFile>> = BTreeMap::new();
    for f in &rendered.files {
        by_host.entry(&f.host).or_default().push(f);
    }
    let facts = facts_script(vips);
    let jobs = by_host.into_iter().map(|(host, files)| {
        let facts = &facts;
        async move {
            (
                host,
                files.clone(),
                observe(remote, host, &files, facts).await,
            )
        }
    });
    let mut out = HostViews::default();
    for (host, files, res) in futures::future::join_all(jobs).await {
        match res {
            Ok(obs) => {
                out.views.insert(host.to_string(), obs);
            }
            Err(e) => {
                // One error per target present on the host, so each target's report names it.
                let mut kinds: Vec<TargetKind> = files.iter().map(|f| f.target).collect();
                kinds.dedup();
                for k in kinds {
                    out.errors.push(TargetError {
                        target: target_name(k).into(),
                        host: Some(host.to_string()),
                        message: e.message.clone(),
                        transient: e.transient,
                    });
                }
            }
        }
    }
    out
}

/// Compares rendered files with what was observed: one [`Change`] per file on a reachable host.
pub fn diff_files(rendered: &Rendered, views: &HostViews, masker: &Masker) -> Vec<Change> {
    let mut changes = Vec::new();
    for f in &rendered.files {
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
                // How apply will make the change live (runtime API or reload): the plan says it.
                let notes = match f.target {
                    TargetKind::Balancer if !o.reload_pending => {
                        vec![masker.mask(&classify(&live, &f.content).describe())]
                    }
                    _ => vec![],
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
            target: target_name(f.target).into(),
            host: Some(f.host.clone()),
            object: f.path.clone(),
            action,
            diff,
            notes,
        });
    }
    changes
}
