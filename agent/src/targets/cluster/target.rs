//! The HA cluster as a [`Target`]: one step per declared `HaCluster`, planned
//! from one observation of the cluster (which the apply's first attempt reuses,
//! guarded by the CIB version) and applied as one guarded CIB patch.

use super::access::{ApplyOptions, ClusterPolicy};
use super::apply::{apply_observed, Job};
use super::compare::TARGET;
use super::jobs::{jobs, ClusterJob};
use super::plan::{diff, ClusterPlan};
use super::preview::add_preview;
use super::render::render;
use crate::rendered::{RenderError, Rendered};
use crate::targets::target::{Cx, Plan, StepOutcome, StepPlan, Target};
use async_trait::async_trait;
use schema::DesiredState;

/// Pacemaker/Corosync clusters (`HaCluster` documents).
pub struct Cluster;

/// One cluster's part of the plan: its job and comparison, or why it has none
/// (the error is in the plan's errors).
struct Planned {
    name: String,
    job: Option<(ClusterJob, ClusterPlan)>,
}

#[async_trait]
impl Target for Cluster {
    fn name(&self) -> &'static str {
        TARGET
    }

    fn render(&self, state: &DesiredState, out: &mut Rendered) -> Result<(), RenderError> {
        for c in &state.clusters {
            out.cib.push(render(c)?);
        }
        Ok(())
    }

    async fn plan(&self, cx: &Cx<'_>) -> Plan {
        let policy = ClusterPolicy::from(&cx.settings.cluster);
        let (mut changes, mut errors, mut planned) = (vec![], vec![], vec![]);
        for (i, job) in jobs(cx.state, cx.rendered).into_iter().enumerate() {
            let name = cx.rendered.cib[i].cluster.clone();
            let res = match job {
                Ok(job) => {
                    let p = diff(
                        cx.remote,
                        &job.access,
                        &job.fragment,
                        &job.corosync,
                        &policy,
                        cx.masker,
                    )
                    .await;
                    p.map(|p| (job, p))
                }
                Err(e) => Err(e),
            };
            match res {
                Ok((job, mut p)) => {
                    if cx.settings.preview {
                        add_preview(cx.remote, &mut p).await;
                    }
                    changes.extend(p.changes.clone());
                    planned.push(Planned {
                        name,
                        job: Some((job, p)),
                    });
                }
                Err(e) => {
                    errors.push(e.to_target_error());
                    planned.push(Planned { name, job: None });
                }
            }
        }
        Plan::new(changes, errors, planned)
    }

    fn waves(&self, _: &Cx<'_>, plan: &Plan) -> Vec<Vec<StepPlan>> {
        let Some(planned) = plan.state::<Vec<Planned>>() else {
            return vec![];
        };
        planned
            .iter()
            .map(|p| {
                let objects = p
                    .job
                    .iter()
                    .flat_map(|(_, c)| c.changes.iter().filter(|c| c.action.is_change()))
                    .map(|c| c.object.clone())
                    .collect();
                vec![StepPlan {
                    target: TARGET,
                    id: p.name.clone(),
                    host: None,
                    objects,
                    start: "observe, verify, patch".into(),
                }]
            })
            .collect()
    }

    async fn apply_step(&self, cx: &Cx<'_>, plan: &Plan, step: &StepPlan) -> StepOutcome {
        let planned = plan.state::<Vec<Planned>>().expect("a cluster plan");
        let Some(p) = planned.iter().find(|p| p.name == step.id) else {
            return StepOutcome::default();
        };
        let Some((job, observed)) = &p.job else {
            return StepOutcome {
                failed: true,
                summary: "not observed (see the error above): nothing applied".into(),
                ..Default::default()
            };
        };
        let policy = ClusterPolicy::from(&cx.settings.cluster);
        let j = Job {
            access: &job.access,
            fragment: &job.fragment,
            corosync: &job.corosync,
            policy: &policy,
            masker: cx.masker,
        };
        let first = Some(observed.observed.clone());
        match apply_observed(cx.remote, &j, &ApplyOptions::default(), first).await {
            Ok(r) => {
                let n = r.changes.iter().filter(|c| c.action.is_change()).count();
                let summary = if r.patch.is_some() {
                    format!("{n} change(s) patched, resources settled")
                } else if n > 0 {
                    format!("{n} change(s) applied")
                } else {
                    "in sync".into()
                };
                StepOutcome {
                    applied: r
                        .changes
                        .into_iter()
                        .filter(|c| c.action.is_change())
                        .collect(),
                    summary,
                    ..Default::default()
                }
            }
            Err(e) => StepOutcome {
                summary: e.to_string(),
                errors: vec![e.to_target_error()],
                failed: true,
                ..Default::default()
            },
        }
    }
}
