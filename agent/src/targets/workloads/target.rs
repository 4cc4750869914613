//! The workloads as a [`Target`]: the rendered Kubernetes objects, planned with
//! GET + server-side apply `dryRun=All` and applied in one step (apply in kind
//! order, prune what the inventory says agent owned, wait for rollouts).

use super::client::{K8sOptions, K8sTarget, TARGET};
use super::plan::K8sPlan;
use super::render::render;
use crate::outcome::HealthLine;
use crate::plan::TargetError;
use crate::rendered::{RenderError, Rendered};
use crate::targets::target::{Cx, Plan, StepOutcome, StepPlan, Target};
use async_trait::async_trait;
use schema::DesiredState;

/// Kubernetes objects from `App` documents and raw manifests.
pub struct Workloads;

#[async_trait]
impl Target for Workloads {
    fn name(&self) -> &'static str {
        TARGET
    }

    fn uses_kube(&self, rendered: &Rendered) -> bool {
        !rendered.objects.is_empty()
    }

    fn render(&self, state: &DesiredState, out: &mut Rendered) -> Result<(), RenderError> {
        out.objects = render(state);
        Ok(())
    }

    async fn plan(&self, cx: &Cx<'_>) -> Plan {
        let objects = &cx.rendered.objects;
        if objects.is_empty() {
            return Plan::empty();
        }
        let Some(client) = cx.kube else {
            let error = TargetError {
                target: TARGET.into(),
                host: None,
                message: format!(
                    "{} Kubernetes objects declared but no cluster configured (set `kubeconfig` in the agent config or KUBECONFIG; or leave workloads out with --target)",
                    objects.len()
                ),
                transient: false,
            };
            return Plan::new(vec![], vec![error], ());
        };
        let opts = K8sOptions {
            source: cx.commit.to_string(),
            ..Default::default()
        };
        let k = K8sTarget::from_client(client.clone(), opts);
        let plan = k.diff(objects, cx.masker).await;
        Plan::new(plan.changes.clone(), plan.errors.clone(), (k, plan))
    }

    fn waves(&self, _: &Cx<'_>, plan: &Plan) -> Vec<Vec<StepPlan>> {
        let Some((_, p)) = plan.state::<(K8sTarget, K8sPlan)>() else {
            return vec![];
        };
        let objects = p
            .changes
            .iter()
            .filter(|c| c.action.is_change())
            .map(|c| c.object.clone())
            .collect();
        vec![vec![StepPlan {
            target: TARGET,
            id: TARGET.into(),
            host: None,
            objects,
            start: "server-side apply".into(),
        }]]
    }

    async fn apply_step(&self, _: &Cx<'_>, plan: &Plan, _: &StepPlan) -> StepOutcome {
        let (k, p) = plan
            .state::<(K8sTarget, K8sPlan)>()
            .expect("a workloads plan");
        // The plan's own errors are reported with the plan; these are the apply's.
        let mut p = p.clone();
        p.errors.clear();
        let done = k.execute(p).await;
        let applied: Vec<_> = done
            .changes
            .into_iter()
            .filter(|c| c.action.is_change())
            .collect();
        StepOutcome {
            summary: format!(
                "{} change(s), {} error(s)",
                applied.len(),
                done.errors.len()
            ),
            failed: !done.errors.is_empty(),
            applied,
            errors: done.errors,
            health: done
                .health
                .into_iter()
                .map(|h| HealthLine {
                    object: h.object,
                    healthy: h.healthy,
                    message: h.message,
                })
                .collect(),
            ..Default::default()
        }
    }
}
