//! One host's step of a host-level rollout: its files go live one after the other
//! (support files — TLS material — first, then the file that reloads the service),
//! each checked on the host before the swap, reloaded gracefully (or made live by
//! the kind without a reload), health-checked by the kind and rolled back on
//! failure. Written once for every kind; the kind's decisions come in as values
//! ([`LivePath`], health verdicts).

use super::files::{apply_file, rollback, ApplyOutcome, Live};
use super::kind::{GoLive, HostKind};
use super::views::HostViews;
use crate::outcome::{Step, StepStatus};
use crate::rendered::ManagedFile;
use crate::targets::target::Cx;

/// Applies `files` (support files first) on `host`. When the step fails after
/// support files were swapped in, they are put back too (and the service reloaded
/// again if the failed file had been reloaded), so the host keeps the previous
/// certificate, key and site together.
pub async fn apply_host<K: HostKind>(
    kind: &K,
    cx: &Cx<'_>,
    views: &HostViews,
    host: &str,
    files: &[&ManagedFile],
) -> Step {
    let mut support = Vec::new();
    let mut step = apply_files(kind, cx, views, host, files, &mut support).await;
    if step.status == StepStatus::Applied || support.is_empty() {
        return step;
    }
    let mut problems = Vec::new();
    for (f, existed) in support.iter().rev() {
        if let Err(e) = rollback(cx.remote, f, *existed).await {
            problems.push(format!("{}: {e}", f.path));
        }
    }
    let reload = files.iter().find_map(|f| f.reload.clone());
    if let (Some(reload), false) = (reload, step.status == StepStatus::Rejected) {
        match cx.remote.exec(host, &reload, b"").await {
            Ok(o) if o.success() => {}
            Ok(o) => problems.push(format!("reload: {}", o.stderr_str().trim())),
            Err(e) => problems.push(format!("reload: {e}")),
        }
    }
    if problems.is_empty() {
        step.notes
            .push("the TLS certificate/key files of this step were restored too".into());
    } else {
        step.status = StepStatus::Failed;
        step.message.push_str(&format!(
            "; restoring the TLS certificate/key files failed: {}",
            problems.join("; ")
        ));
    }
    step
}

fn ended(mut step: Step, status: StepStatus, message: String) -> Step {
    step.status = status;
    step.message = message;
    step
}

async fn apply_files<'a, K: HostKind>(
    kind: &K,
    cx: &Cx<'_>,
    views: &HostViews,
    host: &str,
    files: &[&'a ManagedFile],
    support: &mut Vec<(&'a ManagedFile, bool)>,
) -> Step {
    let mut step = Step {
        target: kind.name().into(),
        host: host.into(),
        files: files.iter().map(|f| f.path.clone()).collect(),
        status: StepStatus::Applied,
        message: String::new(),
        notes: vec![],
    };
    let baseline = kind.baseline(cx, host, files).await;
    let host_obs = views.views.get(host);
    let mut reloaded = false;
    // Support files applied so far: a main file in sync must still reload to take them in.
    let mut support_applied = false;
    for &f in files {
        let obs = host_obs.and_then(|o| o.files.iter().find(|o| o.path == f.path));
        let existed = obs.is_some_and(|o| o.live != Live::Missing);
        let mut reload_only = obs.is_some_and(|o| {
            o.live == Live::Same && (o.reload_pending || (support_applied && !f.is_support()))
        });
        support_applied |= f.is_support();
        let path = kind.go_live(cx, f, obs, host_obs).await;
        step.notes.extend(path.notes);
        let live_already = match path.how {
            GoLive::Swap => false,
            GoLive::ReloadOnly => {
                reload_only = true;
                false
            }
            GoLive::Done => true,
            GoLive::Rejected(msg) => {
                let m = format!("{}: validation failed, nothing changed: {msg}", f.path);
                return ended(step, StepStatus::Rejected, m);
            }
            GoLive::Failed(msg) => return ended(step, StepStatus::Failed, msg),
        };
        let outcome = if live_already {
            Ok(ApplyOutcome::Applied)
        } else {
            reloaded = true;
            apply_file(cx.remote, f, existed, reload_only).await
        };
        match outcome {
            Ok(ApplyOutcome::Applied) => {}
            Ok(ApplyOutcome::CheckFailed(msg)) => {
                let m = format!("{}: validation failed, nothing changed: {msg}", f.path);
                return ended(step, StepStatus::Rejected, m);
            }
            Ok(ApplyOutcome::ReloadFailed { error, rolled_back }) => {
                let mut m = format!("{}: reload failed: {error}", f.path);
                let status = match rolled_back {
                    Ok(()) => StepStatus::RolledBack,
                    Err(e) => {
                        m.push_str(&format!("; {e}"));
                        StepStatus::Failed
                    }
                };
                return ended(step, status, m);
            }
            Err(e) => return ended(step, StepStatus::Failed, e.to_string()),
        }
        if f.is_support() {
            // Swapped on disk only: nothing running changed, the main file's reload
            // (and its health check) follows.
            support.push((f, existed));
            continue;
        }
        match kind.health(cx, f, &baseline).await {
            Ok(notes) => step.notes.extend(notes),
            Err(why) => {
                let restored = rollback(cx.remote, f, existed).await;
                let mut m = format!("{}: health check failed after reload: {why}", f.path);
                let status = match restored {
                    Ok(()) => StepStatus::RolledBack,
                    Err(e) => {
                        m.push_str(&format!("; {e}"));
                        StepStatus::Failed
                    }
                };
                return ended(step, status, m);
            }
        }
    }
    step.message = if reloaded {
        "applied and healthy".into()
    } else {
        "applied without reload (runtime API) and healthy".into()
    };
    step
}
