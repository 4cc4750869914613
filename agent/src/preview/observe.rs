//! The one part of the preview that touches hosts: the engine, twice, read-only,
//! over the same connections (opened from the base's inventory by the caller).

use super::build::{build, Inputs};
use super::confine::confine;
use super::model::{Preview, Revision};
use crate::engine::{Desired, Engine, Selection};
use crate::exec::Remote;
use crate::targets::target::Settings;
use crate::validate::Prepared;
use std::collections::BTreeSet;

/// One side of the comparison: a revision, loaded and rendered.
pub struct Side<'a> {
    pub rev: Revision,
    pub prepared: &'a Prepared,
}

/// What a preview is run with besides the two sides.
pub struct Context<'a> {
    /// Built from the **base's** inventory (hosts the PR adds are unknown to it).
    pub remote: &'a dyn Remote,
    pub kube: Option<&'a kube::Client>,
    pub select: Selection,
    pub settings: Settings,
}

/// Observes the live platform once for the base and once for the PR's confined
/// render (concurrently), and assembles the preview. Read-only.
pub async fn preview(cx: &Context<'_>, base: Side<'_>, head: Side<'_>) -> Preview {
    let (b, h) = (base.prepared, head.prepared);
    let mut secrets = b.secrets.clone();
    secrets.extend(h.secrets.iter().cloned());
    let mut masker = crate::secrets::masking::masker_for(&h.state, &secrets);
    for bal in &b.state.balancers {
        if let Some(a) = bal.doc.spec.stats.as_ref().and_then(|s| s.auth.as_ref()) {
            masker.add_secret(a.password.clone());
        }
    }
    let base_hosts: BTreeSet<String> = b.state.hosts().iter().map(|x| x.name.clone()).collect();
    let confined = confine(&h.rendered, &b.rendered, &base_hosts, &masker);
    let engine = |state| {
        let mut e = Engine::new(cx.remote, state);
        e.masker = masker.clone();
        e.kube = cx.kube;
        e.select = cx.select.clone();
        e.settings = cx.settings;
        e
    };
    let (be, he) = (engine(&b.state), engine(&h.state));
    let bd = Desired {
        commit: &base.rev.commit,
        state: &b.state,
        rendered: &b.rendered,
    };
    let hd = Desired {
        commit: &head.rev.commit,
        state: &h.state,
        rendered: &confined.rendered,
    };
    let (drift, (apply, waves)) = futures::join!(be.diff(&bd), he.rollout_preview(&hd));
    let inventory = super::inventory::compare(&b.state, &h.state, &masker);
    build(Inputs {
        base: base.rev,
        head: head.rev,
        base_rendered: &b.rendered,
        head_rendered: &h.rendered,
        drift: &drift,
        apply: &apply,
        waves,
        not_read: confined.not_read,
        inventory,
        masker: &masker,
    })
}
