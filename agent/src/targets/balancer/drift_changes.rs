//! Runtime drift as changes of the change set: per balancer host where HAProxy's
//! state was read, one `update` per server that differs from the desired file; the
//! first one says how apply corrects it.

use super::drift::{host_drift, OBJECT_PREFIX};
use super::render::NAME;
use crate::mask::Masker;
use crate::plan::{Action, Change};
use crate::rendered::ManagedFile;
use crate::targets::hostfiles::views::HostViews;

pub fn runtime_changes(files: &[&ManagedFile], views: &HostViews, masker: &Masker) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut seen = Vec::new();
    for f in files.iter().filter(|f| f.target == NAME) {
        let Some(obs) = views.views.get(&f.host) else {
            continue;
        };
        if seen.contains(&&f.host) {
            continue;
        }
        seen.push(&f.host);
        let change = |object: String, action, notes: Vec<String>| Change {
            target: NAME.into(),
            host: Some(f.host.clone()),
            object,
            action,
            diff: None,
            notes: notes.iter().map(|n| masker.mask(n)).collect(),
        };
        match host_drift(f, obs) {
            None => {}
            Some(Err(e)) => changes.push(change(
                OBJECT_PREFIX.trim_end().into(),
                Action::Unchanged,
                vec![format!("runtime state not compared: {e}")],
            )),
            Some(Ok(mut d)) => {
                // The change set is sorted by object: the note goes on the first shown.
                d.servers
                    .sort_by(|a, b| (&a.backend, &a.server).cmp(&(&b.backend, &b.server)));
                for (i, s) in d.servers.into_iter().enumerate() {
                    let mut notes = s.notes;
                    if i == 0 {
                        notes.push(format!("apply: {}", d.fix.describe()));
                    }
                    let object = format!("{OBJECT_PREFIX}{}/{}", s.backend, s.server);
                    changes.push(change(object, Action::Update, notes));
                }
            }
        }
    }
    changes
}
