//! The order of a host-level rollout, as data. Nodes of a declared HA cluster go
//! one at a time, a node holding a VIP last (the standby first: it is verified
//! before the node that serves); other hosts are independent of each other: one
//! canary first, alone, then all the others as one wave, which the engine runs with
//! at most `rollout.concurrency` steps in flight and stops starting after a failure
//! (`crate::engine`). Hosts already in sync are not in any wave: no upload, no reload.

use super::ha::{paired_nodes, vips};
use super::kind::HostKind;
use super::views::HostViews;
use crate::plan::Change;
use crate::rendered::{ManagedFile, Rendered};
use crate::targets::target::StepPlan;
use schema::DesiredState;

/// Whether `f` changes: its own change, or one the kind says touches it.
fn is_pending<K: HostKind>(kind: &K, changes: &[Change], f: &ManagedFile) -> bool {
    changes.iter().any(|c| {
        c.host.as_deref() == Some(&f.host)
            && c.action.is_change()
            && c.target == kind.name()
            && (c.object == f.path || kind.touches(c, f))
    })
}

/// The files of `host`'s step, support files (TLS material) first: the main file's
/// staged check then sees them, and its reload, last, takes them all in at once. A
/// pending support file whose main file is in sync brings the main file along, to be
/// reloaded.
pub fn step_files<'a, K: HostKind>(
    kind: &K,
    rendered: &'a Rendered,
    changes: &[Change],
    host: &str,
) -> Vec<&'a ManagedFile> {
    let of_host = || {
        rendered
            .files_of(kind.name())
            .filter(move |f| f.host == host)
    };
    let mut files: Vec<&ManagedFile> = of_host().filter(|f| is_pending(kind, changes, f)).collect();
    let sources: Vec<&str> = files
        .iter()
        .filter(|f| f.is_support())
        .map(|f| f.source.as_str())
        .collect();
    let carriers: Vec<&ManagedFile> = of_host()
        .filter(|f| !f.is_support() && sources.contains(&f.source.as_str()))
        .filter(|f| !files.iter().any(|g| g.path == f.path))
        .collect();
    files.extend(carriers);
    files.sort_by_key(|f| !f.is_support());
    files
}

/// The hosts to change, in waves (module docs).
pub fn plan_waves<K: HostKind>(
    kind: &K,
    state: &DesiredState,
    rendered: &Rendered,
    views: &HostViews,
    changes: &[Change],
) -> Vec<Vec<StepPlan>> {
    let vips = vips(state);
    let mut hosts: Vec<String> = rendered
        .files_of(kind.name())
        .filter(|f| is_pending(kind, changes, f))
        .map(|f| f.host.clone())
        .collect();
    hosts.dedup();
    hosts.sort_by_key(|h| vips.iter().any(|v| views.holds_vip(h, v)));
    let paired = paired_nodes(state);
    let (ha, free): (Vec<String>, Vec<String>) = hosts
        .into_iter()
        .partition(|h| paired.contains(&h.as_str()));
    let mut waves: Vec<Vec<String>> = ha.into_iter().map(|h| vec![h]).collect();
    let mut free = free.into_iter();
    waves.extend(free.next().map(|h| vec![h]));
    let rest: Vec<String> = free.collect();
    if !rest.is_empty() {
        waves.push(rest);
    }
    waves
        .into_iter()
        .map(|wave| {
            wave.into_iter()
                .map(|host| {
                    let files = step_files(kind, rendered, changes, &host);
                    StepPlan {
                        target: kind.name(),
                        id: host.clone(),
                        objects: files.iter().map(|f| f.path.clone()).collect(),
                        start: format!("applying {} file(s)", files.len()),
                        host: Some(host),
                    }
                })
                .collect()
        })
        .collect()
}
