//! The PR's inventory compared with the base's (pure). The preview connects as the
//! base says; this is only shown, so a reviewer sees a new host, a changed address or
//! user before the merge makes the service use it.

use super::model::{HostDelta, InventoryPreview};
use crate::mask::Masker;
use crate::textdiff::unified;
use schema::DesiredState;
use std::collections::BTreeMap;

fn entries(state: &DesiredState) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = state
        .hosts()
        .iter()
        .map(|h| (h.name.clone(), serde_yaml::to_string(h).unwrap_or_default()))
        .collect();
    if let Some(inv) = &state.inventory {
        let d = serde_yaml::to_string(&inv.doc.spec.defaults).unwrap_or_default();
        out.insert("(defaults)".into(), d);
    }
    out
}

/// Host by host: added, removed or changed, with the YAML diff of the entry.
pub fn compare(base: &DesiredState, head: &DesiredState, masker: &Masker) -> InventoryPreview {
    let (b, h) = (entries(base), entries(head));
    let mut out = InventoryPreview::default();
    let names: std::collections::BTreeSet<&String> = b.keys().chain(h.keys()).collect();
    for name in names {
        let (old, new) = (b.get(name), h.get(name));
        let change = match (old, new) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(o), Some(n)) if o != n => "changed",
            _ => continue,
        };
        let old_text = old.map(String::as_str).unwrap_or("");
        let new_text = new.map(String::as_str).unwrap_or("");
        let label = |side: &str| format!("{side}/inventory/{name}");
        let diff =
            unified(old_text, new_text, &label("base"), &label("pr"), masker).unwrap_or_default();
        if change == "added" {
            out.not_contacted.push(name.clone());
        }
        out.hosts.push(HostDelta {
            name: name.clone(),
            change: change.into(),
            diff,
        });
    }
    out
}
