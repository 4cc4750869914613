//! [`HostTarget`]: any [`HostKind`] as a [`Target`]. Plan = the shared host
//! observation compared with the kind's files (plus the kind's own changes);
//! waves = [`super::waves`]; a step = [`super::step::apply_host`].

use super::kind::HostKind;
use super::step::apply_host;
use super::views::{compare_files, files_of, shared, HostViews};
use super::waves::{plan_waves, step_files};
use crate::outcome::{Step, StepStatus};
use crate::rendered::{RenderError, Rendered};
use crate::targets::target::{Cx, Dependency, Plan, StepOutcome, StepPlan, Target};
use async_trait::async_trait;
use schema::DesiredState;
use std::sync::Arc;

/// A host-level kind as a target of the engine.
pub struct HostTarget<K>(pub K);

#[async_trait]
impl<K: HostKind> Target for HostTarget<K> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn depends_on(&self) -> &'static [Dependency] {
        self.0.depends_on()
    }

    fn render(&self, state: &DesiredState, out: &mut Rendered) -> Result<(), RenderError> {
        out.files.extend(self.0.render(state)?);
        Ok(())
    }

    async fn plan(&self, cx: &Cx<'_>) -> Plan {
        let files = files_of(cx.rendered, self.name());
        if files.is_empty() {
            return Plan::empty();
        }
        let views = shared(cx).await;
        let kind = &self.0;
        let notes = |f: &_, live: &str, obs: &_| kind.diff_notes(f, live, obs);
        let mut changes = compare_files(&files, &views, cx.masker, &notes);
        changes.extend(kind.extra_changes(&files, &views, cx.masker));
        let errors = views.errors_for(self.name(), &files);
        Plan::new(changes, errors, views)
    }

    fn waves(&self, cx: &Cx<'_>, plan: &Plan) -> Vec<Vec<StepPlan>> {
        match plan.state::<Arc<HostViews>>() {
            Some(views) => plan_waves(&self.0, cx.state, cx.rendered, views, &plan.changes),
            None => vec![],
        }
    }

    async fn apply_step(&self, cx: &Cx<'_>, plan: &Plan, step: &StepPlan) -> StepOutcome {
        let views = plan
            .state::<Arc<HostViews>>()
            .expect("a host target's plan holds its views");
        let files = step_files(&self.0, cx.rendered, &plan.changes, &step.id);
        let s = apply_host(&self.0, cx, views, &step.id, &files).await;
        StepOutcome {
            failed: s.status != StepStatus::Applied,
            summary: format!("{} {}", s.status.as_str(), s.message),
            step: Some(s),
            ..Default::default()
        }
    }

    fn skip(&self, step: &StepPlan, reason: &str) -> StepOutcome {
        StepOutcome {
            step: Some(Step {
                target: self.name().into(),
                host: step.id.clone(),
                files: step.objects.clone(),
                status: StepStatus::Skipped,
                message: reason.into(),
                notes: vec![],
            }),
            failed: true,
            ..Default::default()
        }
    }
}
