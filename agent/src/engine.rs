//! One reconcile cycle over plain values: rendered desired state in, change set
//! and rollout steps out. `agent diff` is exactly [`Engine::diff`]; `agent apply`
//! is [`Engine::apply`], which computes the same change set and then executes it.
//!
//! Apply order, each step only after the previous one: workloads (the NodePorts
//! the balancers point at), balancers (standby first), the HA cluster (it starts
//! HAProxy with the VIP, so the config must be in place first), gateways (their
//! routes point at the VIP). A target whose rollout fails stops there; targets
//! that depend on it are skipped, the others still run (DESIGN.md §4 rule 5).

use crate::mask::Masker;
use crate::plan::{Change, ChangeSet, TargetError};
use crate::render::{Rendered, TargetKind};
use crate::targets::cluster::{self, ApplyOptions, ClusterPolicy};
use crate::targets::hosts::{diff_files, observe_hosts, HostViews};
use crate::targets::k8s::{self, K8sTarget, ObjectHealth};
use crate::targets::remote::Remote;
use crate::targets::rollout::{apply_target, failed, Step, StepStatus};
use schema::DesiredState;
use serde::Serialize;

/// The desired side of a cycle: everything derived from one commit.
pub struct Desired<'a> {
    pub commit: &'a str,
    pub state: &'a DesiredState,
    pub rendered: &'a Rendered,
}

/// Which targets a cycle looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub gateway: bool,
    pub balancer: bool,
    pub cluster: bool,
    pub workloads: bool,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            gateway: true,
            balancer: true,
            cluster: true,
            workloads: true,
        }
    }
}

impl Selection {
    fn hosts(&self, kind: TargetKind) -> bool {
        match kind {
            TargetKind::Gateway => self.gateway,
            TargetKind::Balancer => self.balancer,
        }
    }
}

pub struct Engine<'a, R: Remote> {
    pub remote: &'a R,
    pub masker: Masker,
    /// The Kubernetes cluster, when one is configured.
    pub k8s: Option<&'a K8sTarget>,
    pub select: Selection,
    pub cluster_policy: ClusterPolicy,
    /// `diff` adds a `crm_simulate` preview of each cluster patch.
    pub preview: bool,
    /// Set by `agent run` on SIGTERM: `apply` starts no further host step, cluster patch
    /// or workload apply; the step running finishes. `None`: never stops early.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// What `apply` did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyReport {
    /// The change set computed before applying.
    pub plan: ChangeSet,
    /// Host-level steps in the order they ran.
    pub steps: Vec<Step>,
    /// Cluster and workload changes as applied (notes say what happened).
    pub applied: Vec<Change>,
    /// Failures while applying (the plan's own errors are in `plan.errors`).
    pub errors: Vec<TargetError>,
    /// Rollout state of each declared Deployment after the apply.
    pub health: Vec<HealthLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HealthLine {
    pub object: String,
    pub healthy: bool,
    pub message: String,
}

impl From<ObjectHealth> for HealthLine {
    fn from(h: ObjectHealth) -> Self {
        HealthLine {
            object: h.object,
            healthy: h.healthy,
            message: h.message,
        }
    }
}

impl ApplyReport {
    /// 0 when everything planned was applied and every target was reached, else 2
    /// (`agent apply` turns that into its exit code 6, "a host or target failed").
    pub fn exit_code(&self) -> u8 {
        let bad = !self.plan.errors.is_empty()
            || !self.errors.is_empty()
            || failed(&self.steps)
            || self.health.iter().any(|h| !h.healthy);
        if bad {
            crate::plan::exit::ERROR
        } else {
            crate::plan::exit::OK
        }
    }

    pub fn applied_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.status == StepStatus::Applied)
            .count()
    }
}

impl<'a, R: Remote> Engine<'a, R> {
    /// An engine for a state without decrypted secrets; for a state from
    /// [`crate::validate::prepare_with`] use [`Engine::with_secrets`].
    pub fn new(remote: &'a R, state: &DesiredState) -> Self {
        Self::with_secrets(remote, state, &[])
    }

    /// An engine whose masker knows `secrets` (`Prepared::secrets`: every decrypted value).
    pub fn with_secrets(remote: &'a R, state: &DesiredState, secrets: &[String]) -> Self {
        Engine {
            remote,
            masker: masker_for(state, secrets),
            k8s: None,
            select: Selection::default(),
            cluster_policy: ClusterPolicy::default(),
            preview: false,
            stop: None,
        }
    }

    fn vips(state: &DesiredState) -> Vec<String> {
        state
            .clusters
            .iter()
            .filter_map(|c| c.doc.spec.vip.as_ref().map(|v| v.ip.clone()))
            .collect()
    }

    /// The rendered output restricted to the selected host-level targets.
    fn selected(&self, rendered: &Rendered) -> Rendered {
        Rendered {
            files: rendered
                .files
                .iter()
                .filter(|f| self.select.hosts(f.target))
                .cloned()
                .collect(),
            cib: rendered.cib.clone(),
            objects: rendered.objects.clone(),
        }
    }

    async fn observe_hosts(&self, d: &Desired<'_>, rendered: &Rendered) -> (ChangeSet, HostViews) {
        let views = observe_hosts(self.remote, rendered, &Self::vips(d.state)).await;
        let cs = ChangeSet {
            commit: d.commit.to_string(),
            changes: diff_files(rendered, &views, &self.masker),
            errors: views.errors.clone(),
        };
        (cs, views)
    }

    fn no_cluster(&self, d: &Desired<'_>) -> Option<TargetError> {
        (self.select.workloads && self.k8s.is_none() && !d.rendered.objects.is_empty()).then(|| TargetError {
            target: k8s::TARGET.into(),
            host: None,
            message: format!(
                "{} Kubernetes objects declared but no cluster configured (set `kubeconfig` in the agent config or KUBECONFIG; or leave workloads out with --target)",
                d.rendered.objects.len()
            ),
            transient: false,
        })
    }

    fn stopping(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// Read-only: what differs between Git and the hosts and the cluster. Hosts, the
    /// Kubernetes API and the Pacemaker clusters are observed concurrently.
    pub async fn diff(&self, d: &Desired<'_>) -> ChangeSet {
        let rendered = self.selected(d.rendered);
        let workloads = async {
            match (self.k8s, self.select.workloads) {
                (Some(k), true) => {
                    let plan = k.diff(&d.rendered.objects, &self.masker).await;
                    (plan.changes, plan.errors)
                }
                _ => (vec![], vec![]),
            }
        };
        let (hosts, (k_changes, k_errors), (c_changes, c_errors)) = tokio::join!(
            self.observe_hosts(d, &rendered),
            workloads,
            self.diff_clusters(d)
        );
        let (mut cs, _) = hosts;
        cs.changes.extend(k_changes.into_iter().chain(c_changes));
        cs.errors.extend(k_errors.into_iter().chain(c_errors));
        cs.errors.extend(self.no_cluster(d));
        cs.sort();
        cs
    }

    /// The comparison of every declared Pacemaker cluster (with a `crm_simulate`
    /// preview when asked).
    async fn diff_clusters(&self, d: &Desired<'_>) -> (Vec<Change>, Vec<TargetError>) {
        let (mut changes, mut errors) = (vec![], vec![]);
        if !self.select.cluster {
            return (changes, errors);
        }
        for job in cluster::jobs(d.state, d.rendered) {
            let res = match job {
                Ok(job) => {
                    cluster::diff(
                        self.remote,
                        &job.access,
                        &job.fragment,
                        &job.corosync,
                        &self.cluster_policy,
                        &self.masker,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match res {
                Ok(mut plan) => {
                    if self.preview {
                        self.add_preview(&mut plan).await;
                    }
                    changes.extend(plan.changes)
                }
                Err(e) => errors.push(e.to_target_error()),
            }
        }
        (changes, errors)
    }

    /// `crm_simulate` on the node that answered: the transitions the patch would cause,
    /// added as notes to the first pending cluster change.
    async fn add_preview(&self, plan: &mut cluster::ClusterPlan) {
        let Some(desired) = &plan.desired else { return };
        let access = cluster::ClusterAccess::live(vec![plan.observed.node.clone()]);
        let note = match cluster::preview(self.remote, &access, &plan.observed.node, desired).await
        {
            Ok(text) => transition_summary(&text),
            Err(e) => vec![format!("crm_simulate preview failed: {e}")],
        };
        if let Some(c) = plan.changes.iter_mut().find(|c| c.action.is_change()) {
            c.notes
                .extend(note.into_iter().map(|l| format!("crm_simulate: {l}")));
        }
    }

    /// Converges every declared cluster; returns whether all of them converged.
    async fn apply_clusters(
        &self,
        d: &Desired<'_>,
        report: &mut ApplyReport,
        progress: &(dyn Fn(&str) + Sync),
    ) -> bool {
        let mut ok = true;
        for job in cluster::jobs(d.state, d.rendered) {
            let res = match job {
                Ok(job) => {
                    progress(&format!("cluster {}: observe, verify, patch", job.name));
                    cluster::apply(
                        self.remote,
                        &job.access,
                        &job.fragment,
                        &job.corosync,
                        &self.cluster_policy,
                        &self.masker,
                        &ApplyOptions::default(),
                    )
                    .await
                    .map(|r| (job.name, r))
                }
                Err(e) => Err(e),
            };
            match res {
                Ok((name, r)) => {
                    let n = r.changes.iter().filter(|c| c.action.is_change()).count();
                    let what = if r.patch.is_some() {
                        format!("{n} change(s) patched, resources settled")
                    } else if n > 0 {
                        format!("{n} change(s) applied")
                    } else {
                        "in sync".into()
                    };
                    progress(&format!("cluster {name}: {what}"));
                    report
                        .applied
                        .extend(r.changes.into_iter().filter(|c| c.action.is_change()));
                }
                Err(e) => {
                    ok = false;
                    progress(&format!("cluster: {e}"));
                    report.errors.push(e.to_target_error());
                }
            }
        }
        ok
    }

    /// Observe, then apply every pending change in dependency order (module docs).
    pub async fn apply(&self, d: &Desired<'_>, progress: &(dyn Fn(&str) + Sync)) -> ApplyReport {
        let rendered = self.selected(d.rendered);
        let (mut plan, views) = self.observe_hosts(d, &rendered).await;
        let mut report = ApplyReport {
            plan: ChangeSet::default(),
            steps: vec![],
            applied: vec![],
            errors: vec![],
            health: vec![],
        };
        if let (Some(k), true, false) = (self.k8s, self.select.workloads, self.stopping()) {
            progress("workloads: server-side apply");
            let kplan = k.diff(&d.rendered.objects, &self.masker).await;
            plan.changes.extend(kplan.changes.clone());
            plan.errors.extend(kplan.errors.clone());
            let done = k.execute(kplan).await;
            progress(&format!(
                "workloads: {} change(s), {} error(s)",
                done.changes.iter().filter(|c| c.action.is_change()).count(),
                done.errors.len()
            ));
            report
                .applied
                .extend(done.changes.into_iter().filter(|c| c.action.is_change()));
            report.errors.extend(done.errors);
            report.health = done.health.into_iter().map(HealthLine::from).collect();
        }
        plan.errors.extend(self.no_cluster(d));
        plan.commit = d.commit.to_string();
        plan.sort();
        let changes = plan.changes.clone();
        report.steps = apply_target(
            self.remote,
            d.state,
            &rendered,
            &views,
            &changes,
            TargetKind::Balancer,
            None,
            progress,
            self.stop.as_deref(),
        )
        .await;
        let balancers_ok = !failed(&report.steps);
        let cluster_ok = if self.select.cluster && !self.stopping() {
            self.apply_clusters(d, &mut report, progress).await
        } else {
            true
        };
        let blocked = if self.stopping() {
            Some("skipped: the agent is stopping".to_string())
        } else {
            None
        };
        let blocked = blocked.or_else(|| {
            (!balancers_ok || !cluster_ok).then(|| {
                "skipped: the gateway routes to the balancers' VIP, and their rollout failed"
                    .to_string()
            })
        });
        report.steps.extend(
            apply_target(
                self.remote,
                d.state,
                &rendered,
                &views,
                &changes,
                TargetKind::Gateway,
                blocked,
                progress,
                self.stop.as_deref(),
            )
            .await,
        );
        report.plan = plan;
        report
    }
}

/// A masker knowing every secret value the desired state holds: the decrypted
/// `secrets` (`Prepared::secrets`, registered with their base64 and per-line forms)
/// and the plaintext secret fields of the model.
pub fn masker_for(state: &DesiredState, secrets: &[String]) -> Masker {
    let mut m = secret_masker(secrets);
    for b in &state.balancers {
        if let Some(a) = b.doc.spec.stats.as_ref().and_then(|s| s.auth.as_ref()) {
            m.add_secret(a.password.clone());
        }
    }
    m
}

/// A masker knowing only `secrets` (for output produced before a state exists).
pub fn secret_masker(secrets: &[String]) -> Masker {
    let mut m = Masker::new(b"agent-mask-v1");
    crate::secrets::register(&mut m, secrets);
    m
}

/// The "Transition Summary" lines of `crm_simulate -S` output (what would start,
/// stop or move), or a single line saying nothing would.
fn transition_summary(text: &str) -> Vec<String> {
    let lines: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("Transition Summary"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("Executing"))
        .map(|l| l.trim().to_string())
        .collect();
    if lines.is_empty() {
        vec!["no resource would start, stop or move".into()]
    } else {
        lines
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn transition_summary_keeps_only_the_summary() {
        let text = "Current cluster status:\n  * vip (ocf:heartbeat:IPaddr2): Stopped\n\nTransition Summary:\n  * Start      vip     ( ha1 )\n  * Start      haproxy ( ha1 )\n\nExecuting Cluster Transition:\n  * Resource action: vip start on ha1\n";
        assert_eq!(
            super::transition_summary(text),
            [
                "* Start      vip     ( ha1 )",
                "* Start      haproxy ( ha1 )"
            ]
        );
        assert_eq!(
            super::transition_summary("Transition Summary:\n\n"),
            ["no resource would start, stop or move"]
        );
    }
}
