//! The rollout of host-level changes: HA-aware order, one host at a time,
//! health-checked, rolled back and stopped on the first failure.
//!
//! Order (DESIGN.md §4): balancers first — the nodes *not* holding a VIP, then
//! the holder — then gateways, whose routes point at the balancers. A failed
//! balancer host stops the balancer rollout and skips the gateways (they depend
//! on it); a failed gateway host stops the gateway rollout. Hosts already in
//! sync are not touched: no upload, no reload. A balancer whose file is in sync
//! but whose runtime state drifted gets runtime API commands (no upload), in
//! the same order and with the same checks.

use super::files::{apply_file, rollback, ApplyOutcome, Live};
use super::haproxy_apply::{runtime_path, Runtime};
use super::haproxy_drift::{correct_runtime, drifted_backends, OBJECT_PREFIX};
use super::health;
use super::hosts::{target_name, HostViews};
use super::remote::Remote;
use crate::plan::Change;
use crate::render::{ManagedFile, Rendered, TargetKind};
use schema::DesiredState;
use serde::Serialize;

/// How one host's step of the rollout ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Swapped, reloaded, healthy.
    Applied,
    /// The staged config was rejected before anything went live.
    Rejected,
    /// Reload or health check failed; the previous config was restored.
    RolledBack,
    /// Failed and could not be restored: an operator must look.
    Failed,
    /// Not attempted because an earlier step failed.
    Skipped,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Applied => "applied",
            StepStatus::Rejected => "rejected",
            StepStatus::RolledBack => "rolled-back",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub target: String,
    pub host: String,
    pub files: Vec<String>,
    pub status: StepStatus,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Whether any step of a rollout did not apply.
pub fn failed(steps: &[Step]) -> bool {
    steps.iter().any(|s| s.status != StepStatus::Applied)
}

/// Applies the pending changes of one host-level target. Nodes of a declared HA cluster
/// go one at a time, a node holding a VIP last; other hosts are independent of each
/// other: one canary first, then waves of [`WAVE`] in parallel. The first failed wave
/// stops the rollout: later hosts are skipped. With `blocked`, every host is skipped
/// with that reason (a target this one depends on failed).
#[allow(clippy::too_many_arguments)]
pub async fn apply_target<R: Remote>(
    remote: &R,
    state: &DesiredState,
    rendered: &Rendered,
    views: &HostViews,
    changes: &[Change],
    kind: TargetKind,
    mut blocked: Option<String>,
    progress: &(dyn Fn(&str) + Sync),
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> Vec<Step> {
    let vips: Vec<String> = state
        .clusters
        .iter()
        .filter_map(|c| c.doc.spec.vip.as_ref().map(|v| v.ip.clone()))
        .collect();
    let mut hosts = hosts_to_change(kind, rendered, changes);
    hosts.sort_by_key(|h| vips.iter().any(|v| views.holds_vip(h, v)));
    // Nodes of an HA cluster change one at a time (standby first, the VIP holder last).
    // Other hosts are independent: after one canary host, they go in parallel waves.
    let paired: Vec<&str> = state
        .clusters
        .iter()
        .flat_map(|c| c.doc.spec.nodes.iter().map(String::as_str))
        .collect();
    let mut waves: Vec<Vec<String>> = Vec::new();
    let (ha, free): (Vec<String>, Vec<String>) = hosts
        .into_iter()
        .partition(|h| paired.contains(&h.as_str()));
    waves.extend(ha.into_iter().map(|h| vec![h]));
    let mut free = free.into_iter();
    waves.extend(free.next().map(|h| vec![h]));
    let rest: Vec<String> = free.collect();
    waves.extend(rest.chunks(WAVE).map(<[String]>::to_vec));
    let total: usize = waves.iter().map(Vec::len).sum();
    let mut steps = Vec::new();
    let mut done = 0;
    for wave in waves {
        let files_of = |host: &str| step_files(rendered, changes, kind, host);
        // A stop request (agent run: SIGTERM) is honoured between waves, never inside a host.
        if blocked.is_none() && stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst)) {
            blocked = Some("skipped: the agent is stopping".into());
        }
        if let Some(reason) = &blocked {
            for host in wave {
                steps.push(Step {
                    target: target_name(kind).into(),
                    files: files_of(&host).iter().map(|f| f.path.clone()).collect(),
                    host,
                    status: StepStatus::Skipped,
                    message: reason.clone(),
                    notes: vec![],
                });
            }
            continue;
        }
        let jobs = wave.iter().enumerate().map(|(i, host)| {
            let files = files_of(host);
            let tag = format!(
                "[{}/{}] {} {}",
                done + i + 1,
                total,
                target_name(kind),
                host
            );
            async move {
                progress(&format!("{tag}: applying {} file(s)", files.len()));
                let step = apply_host(remote, state, views, kind, host, &files).await;
                progress(&format!("{tag}: {} {}", step.status.as_str(), step.message));
                step
            }
        });
        let results = futures::future::join_all(jobs).await;
        done += results.len();
        if let Some(bad) = results.iter().find(|s| s.status != StepStatus::Applied) {
            blocked = Some(format!(
                "skipped: the {} rollout stopped after {} failed",
                target_name(kind),
                bad.host
            ));
        }
        steps.extend(results);
    }
    steps
}

/// The files of `host`'s step, support files (TLS material) first: the main file's
/// staged check then sees them, and its reload, last, takes them all in at once. A
/// pending support file whose main file is in sync brings the main file along, to be
/// reloaded (see [`apply_host`]).
fn step_files<'a>(
    rendered: &'a Rendered,
    changes: &[Change],
    kind: TargetKind,
    host: &str,
) -> Vec<&'a ManagedFile> {
    let of_host = || {
        rendered
            .files
            .iter()
            .filter(move |f| f.target == kind && f.host == host)
    };
    let mut files: Vec<&ManagedFile> = of_host().filter(|f| is_pending(changes, f)).collect();
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

/// Independent hosts (not nodes of one HA cluster) changed at once, after the canary.
const WAVE: usize = 10;

/// Whether `f` changes: its own change, or (balancer) runtime drift on its host.
fn is_pending(changes: &[Change], f: &ManagedFile) -> bool {
    changes.iter().any(|c| {
        c.host.as_deref() == Some(&f.host)
            && c.action.is_change()
            && (c.object == f.path
                || (f.target == TargetKind::Balancer
                    && c.target == target_name(TargetKind::Balancer)
                    && c.object.starts_with(OBJECT_PREFIX)))
    })
}

fn hosts_to_change(kind: TargetKind, rendered: &Rendered, changes: &[Change]) -> Vec<String> {
    let mut hosts: Vec<String> = rendered
        .files
        .iter()
        .filter(|f| f.target == kind && is_pending(changes, f))
        .map(|f| f.host.clone())
        .collect();
    hosts.dedup();
    hosts
}

/// One host's step. When it fails after support files were swapped in, they are put
/// back too (and Apache reloaded again if the failed file had been reloaded), so the
/// host keeps the previous certificate, key and site together.
async fn apply_host<R: Remote>(
    remote: &R,
    state: &DesiredState,
    views: &HostViews,
    kind: TargetKind,
    host: &str,
    files: &[&ManagedFile],
) -> Step {
    let mut support = Vec::new();
    let mut step = apply_host_files(remote, state, views, kind, host, files, &mut support).await;
    if step.status == StepStatus::Applied || support.is_empty() {
        return step;
    }
    let mut problems = Vec::new();
    for (f, existed) in support.iter().rev() {
        if let Err(e) = rollback(remote, f, *existed).await {
            problems.push(format!("{}: {e}", f.path));
        }
    }
    let reload = files.iter().find_map(|f| f.reload.clone());
    if let (Some(reload), false) = (reload, step.status == StepStatus::Rejected) {
        match remote.exec(host, &reload, b"").await {
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

#[allow(clippy::too_many_arguments)]
async fn apply_host_files<'a, R: Remote>(
    remote: &R,
    state: &DesiredState,
    views: &HostViews,
    kind: TargetKind,
    host: &str,
    files: &[&'a ManagedFile],
    support: &mut Vec<(&'a ManagedFile, bool)>,
) -> Step {
    let mut step = Step {
        target: target_name(kind).into(),
        host: host.into(),
        files: files.iter().map(|f| f.path.clone()).collect(),
        status: StepStatus::Applied,
        message: String::new(),
        notes: vec![],
    };
    let probe = match kind {
        TargetKind::Gateway => gateway_probe(state, files),
        TargetKind::Balancer => String::new(),
    };
    let before = if probe.is_empty() {
        Default::default()
    } else {
        run_probe(remote, host, &probe).await
    };
    let mut reloaded = false;
    // Support files applied so far: a main file in sync must still reload to take them in.
    let mut support_applied = false;
    for &f in files {
        let obs = views
            .views
            .get(host)
            .and_then(|o| o.files.iter().find(|o| o.path == f.path));
        let existed = obs.is_some_and(|o| o.live != Live::Missing);
        let mut reload_only = obs.is_some_and(|o| {
            o.live == Live::Same && (o.reload_pending || (support_applied && !f.is_support()))
        });
        support_applied |= f.is_support();
        let mut runtime_done = false;
        if kind == TargetKind::Balancer {
            let host_obs = views.views.get(host);
            let taken = if obs.is_some_and(|o| o.live == Live::Same && !o.reload_pending) {
                // The file is in sync: only its runtime state drifted.
                correct_runtime(remote, f, host_obs, &mut step).await
            } else {
                let drifted = drifted_backends(f, host_obs);
                runtime_path(remote, f, obs, &drifted, &mut step).await
            };
            match taken {
                Runtime::NotTaken => {}
                Runtime::Done => runtime_done = true,
                Runtime::Reload => reload_only = true,
                Runtime::Stop => return step,
            }
        }
        let outcome = if runtime_done {
            Ok(ApplyOutcome::Applied)
        } else {
            reloaded = true;
            apply_file(remote, f, existed, reload_only).await
        };
        match outcome {
            Ok(ApplyOutcome::Applied) => {}
            Ok(ApplyOutcome::CheckFailed(msg)) => {
                step.status = StepStatus::Rejected;
                step.message = format!("{}: validation failed, nothing changed: {msg}", f.path);
                return step;
            }
            Ok(ApplyOutcome::ReloadFailed { error, rolled_back }) => {
                step.status = if rolled_back.is_ok() {
                    StepStatus::RolledBack
                } else {
                    StepStatus::Failed
                };
                step.message = format!("{}: reload failed: {error}", f.path);
                if let Err(e) = rolled_back {
                    step.message.push_str(&format!("; {e}"));
                }
                return step;
            }
            Err(e) => {
                step.status = StepStatus::Failed;
                step.message = e.to_string();
                return step;
            }
        }
        if f.is_support() {
            // Swapped on disk only: nothing running changed, the main file's reload
            // (and its health check) follows.
            support.push((f, existed));
            continue;
        }
        let verdict = match kind {
            TargetKind::Balancer => balancer_health(remote, state, f).await,
            TargetKind::Gateway => {
                let after = run_probe(remote, host, &probe).await;
                health::judge_gateway(&before, &after)
            }
        };
        match verdict {
            Ok(notes) => step.notes.extend(notes),
            Err(why) => {
                let restored = rollback(remote, f, existed).await;
                step.status = if restored.is_ok() {
                    StepStatus::RolledBack
                } else {
                    StepStatus::Failed
                };
                step.message = format!("{}: health check failed after reload: {why}", f.path);
                if let Err(e) = restored {
                    step.message.push_str(&format!("; {e}"));
                }
                return step;
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

fn source_name(f: &ManagedFile) -> &str {
    f.source
        .split_once('/')
        .map(|(_, n)| n)
        .unwrap_or(&f.source)
}

async fn balancer_health<R: Remote>(
    remote: &R,
    state: &DesiredState,
    f: &ManagedFile,
) -> Result<Vec<String>, String> {
    let spec = state
        .balancers
        .iter()
        .find(|b| b.doc.metadata.name == source_name(f))
        .map(|b| &b.doc.spec);
    let socket = spec
        .map(health::stats_socket)
        .unwrap_or_else(|| "/run/haproxy/admin.sock".into());
    match remote
        .exec(&f.host, &health::balancer_script(&socket), b"")
        .await
    {
        Ok(o) if o.success() => Ok(vec![o.stdout_str().trim().to_string()]),
        Ok(o) => Err(o.stderr_str().trim().to_string()),
        Err(e) => Err(e.to_string()),
    }
}

fn gateway_probe(state: &DesiredState, files: &[&ManagedFile]) -> String {
    files
        .iter()
        .filter(|f| !f.is_support())
        .filter_map(|f| {
            state
                .gateways
                .iter()
                .find(|g| g.doc.metadata.name == source_name(f))
        })
        .map(|g| health::gateway_probe_script(&g.doc.spec))
        .collect()
}

async fn run_probe<R: Remote>(
    remote: &R,
    host: &str,
    script: &str,
) -> std::collections::BTreeMap<String, u16> {
    match remote.exec(host, script, b"").await {
        Ok(o) => health::parse_probe(&o.stdout_str()),
        Err(_) => Default::default(),
    }
}
