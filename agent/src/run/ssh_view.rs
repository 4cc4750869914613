//! The web view's side of [`SshReconciler`]: the masker of the commit enforced, the live
//! platform data, and `/api/diff`. All three use the accepted commit and the same warm
//! SSH pool as the cycles; the loop calls them between cycles only.

use super::{connect_k8s, kube_user, SshReconciler};
use crate::engine::{Desired, Engine, Selection};
use crate::mask::Masker;
use crate::run::{DiffAnswer, DiffRequest};
use crate::secrets::masking::{masker_for, secret_masker};
use crate::ssh::SshRemote;
use crate::web::live::{gather, Context, LiveView};
use std::time::Duration;

/// How long the live view may take (each collector is cut off after this).
pub const LIVE_LIMIT: Duration = Duration::from_secs(5);

pub fn masker(r: &SshReconciler) -> Masker {
    r.accepted
        .as_ref()
        .map(|a| masker_for(&a.prepared.state, &a.prepared.secrets))
        .unwrap_or_else(|| secret_masker(&[]))
}

pub async fn live(r: &mut SshReconciler) -> Option<LiveView> {
    let acc = r.accepted.clone()?;
    let config = r.config.borrow().clone();
    let pool = r.pool(&config).await;
    let remote = SshRemote::from_inventory(pool, &acc.prepared.state);
    let kubeconfig = config.kubeconfig.clone();
    // A sharded agent reads live only its shard's hosts and clusters.
    let state =
        crate::shard::live_state(&acc.prepared.state, acc.prepared.rendered.shard.as_deref());
    let cx = Context {
        remote: &remote,
        state: &state,
        objects: &acc.prepared.rendered.objects,
        kubeconfig: kubeconfig.as_deref(),
    };
    Some(gather(&cx, LIVE_LIMIT).await)
}

/// Target names → the engine's selection; an unknown name is a bad request.
pub fn selection(targets: &[String]) -> Result<Selection, String> {
    if targets.is_empty() {
        return Ok(Selection::default());
    }
    Selection::only(targets)
}

pub async fn diff(r: &mut SshReconciler, req: DiffRequest) -> DiffAnswer {
    let Some(acc) = r.accepted.clone() else {
        return DiffAnswer::NoCommit;
    };
    let commit = acc.snapshot.commit.as_str();
    if req.commit.as_deref().is_some_and(|c| c != commit) {
        return DiffAnswer::Mismatch {
            enforced: commit.to_string(),
        };
    }
    let select = match selection(&req.targets) {
        Ok(s) => s,
        Err(e) => return DiffAnswer::BadRequest(e),
    };
    let config = r.config.borrow().clone();
    let pool = r.pool(&config).await;
    let state = &acc.prepared.state;
    let remote = SshRemote::from_inventory(pool, state);
    let mut errors = vec![];
    let user = kube_user(&acc.prepared.rendered, &[&select]);
    let kube = match connect_k8s(&config, user).await {
        Ok(k) => k,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let mut engine = Engine::with_secrets(&remote, state, &acc.prepared.secrets);
    engine.kube = kube.as_ref();
    engine.select = select;
    engine.settings = crate::targets::target::Settings {
        cluster: config.cluster,
        preview: req.preview,
        rollout: config.rollout,
    };
    let d = Desired {
        commit,
        state,
        rendered: &acc.prepared.rendered,
    };
    let mut cs = engine.diff(&d).await;
    // A cluster the service cannot reach is reported like `agent diff` reports one it
    // has no kubeconfig for: as an error of the target that needed it.
    if !errors.is_empty() {
        cs.errors
            .retain(|e| Some(e.target.as_str()) != user || e.host.is_some());
        cs.errors.extend(errors);
        cs.sort();
    }
    DiffAnswer::Done(cs)
}
