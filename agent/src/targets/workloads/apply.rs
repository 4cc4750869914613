//! Carrying out a plan: widen the inventory, apply in kind order, prune in reverse
//! order, narrow the inventory to what is declared plus what failed to go, then wait
//! for rollouts. Each object's failure is reported; the others still proceed.

use super::client::{K8sTarget, TARGET};
use super::error::{conflict_fields, is_not_found, K8sError};
use super::health::ObjectHealth;
use super::order::ObjectRef;
use super::plan::{mask_findings, K8sPlan, Planned};
use crate::mask::Masker;
use crate::plan::{Action, Change, TargetError};
use futures::future::join_all;
use kube::api::{DeleteParams, Patch, PatchParams};
use std::collections::BTreeSet;

/// What `execute` did.
#[derive(Debug, Clone, Default)]
pub struct K8sApplyReport {
    /// The plan's changes; `notes` say what happened (applied, pruned, retries).
    pub changes: Vec<Change>,
    pub errors: Vec<TargetError>,
    pub health: Vec<ObjectHealth>,
}

impl K8sTarget {
    /// `agent apply`: plan, then carry the plan out.
    pub async fn apply(&self, objects: &[serde_json::Value], masker: &Masker) -> K8sApplyReport {
        let plan = self.plan(objects, masker).await;
        self.execute(plan).await
    }

    /// Performs `plan` (from [`K8sTarget::plan`] on this target).
    pub async fn execute(&self, plan: K8sPlan) -> K8sApplyReport {
        let mut report = K8sApplyReport {
            errors: plan.errors.clone(),
            ..Default::default()
        };
        let mut items = plan.items;
        let previous: BTreeSet<ObjectRef> = plan.inventory.into_iter().collect();
        let declared: BTreeSet<ObjectRef> = plan.declared.into_iter().collect();
        let widened: BTreeSet<ObjectRef> = previous.union(&declared).cloned().collect();
        // Without a readable inventory nothing may be forgotten or pruned: only apply.
        let inventory_ok = plan.inventory_read;
        if inventory_ok && widened != previous {
            if let Err(e) = self.write_inventory(&widened).await {
                report.errors.push(e.to_target_error(TARGET));
                report.changes = items.into_iter().map(|p| p.change).collect();
                mask_findings(&mut report.changes, &mut report.errors, &plan.masker);
                return report;
            }
        }
        for p in items
            .iter_mut()
            .filter(|p| matches!(p.change.action, Action::Create | Action::Update))
        {
            match self.apply_one(p).await {
                Ok(()) => p.change.notes.push("applied".into()),
                Err(e) => fail(p, e, &mut report.errors),
            }
            p.change
                .notes
                .extend(self.take_retry_notes(&p.change.object));
        }
        let mut kept = BTreeSet::new();
        let mut deletes: Vec<&mut Planned> = items
            .iter_mut()
            .filter(|p| p.change.action == Action::Delete)
            .collect();
        deletes.sort_by_key(|p| std::cmp::Reverse(p.reference.rank()));
        for p in deletes {
            if !inventory_ok {
                continue;
            }
            match self.delete_one(p).await {
                Ok(()) => p.change.notes.push("deleted".into()),
                Err(e) => {
                    kept.insert(p.reference.clone());
                    fail(p, e, &mut report.errors);
                }
            }
            p.change
                .notes
                .extend(self.take_retry_notes(&p.change.object));
        }
        let narrowed: BTreeSet<ObjectRef> = declared.union(&kept).cloned().collect();
        if inventory_ok && narrowed != widened {
            if let Err(e) = self.write_inventory(&narrowed).await {
                report.errors.push(e.to_target_error(TARGET));
            }
        }
        let rollouts = items
            .iter()
            .filter(|p| p.desired.is_some() && p.reference.kind == "Deployment");
        report.health = join_all(rollouts.map(|p| self.wait_rollout(p))).await;
        for h in report.health.iter().filter(|h| !h.healthy) {
            report.errors.push(TargetError {
                target: TARGET.into(),
                host: None,
                message: format!("{}: {}", h.object, h.message),
                transient: true,
            });
        }
        report.changes = items.into_iter().map(|p| p.change).collect();
        mask_findings(&mut report.changes, &mut report.errors, &plan.masker);
        report
    }

    async fn apply_one(&self, p: &Planned) -> Result<(), K8sError> {
        let desired = p
            .desired
            .as_ref()
            .expect("creates and updates carry the object");
        let api = self.api(&p.resource, p.reference.namespace.as_deref());
        let mut pp = PatchParams::apply(&self.opts.field_manager);
        pp.force = self.opts.force_conflicts;
        let object = &p.change.object;
        let patch = Patch::Apply(desired);
        match self
            .call(object, "apply", || {
                api.patch(&p.reference.name, &pp, &patch)
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(K8sError::Api { source, .. }) if conflict_fields(&source).is_some() => {
                Err(K8sError::Conflict {
                    object: object.clone(),
                    fields: conflict_fields(&source).unwrap_or_default(),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn delete_one(&self, p: &Planned) -> Result<(), K8sError> {
        let ns = p.reference.namespace.as_deref().filter(|_| p.namespaced);
        let api = self.api(&p.resource, ns);
        let dp = DeleteParams::background();
        match self
            .call(&p.change.object, "delete", || {
                api.delete(&p.reference.name, &dp)
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(K8sError::Api { source, .. }) if is_not_found(&source) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn fail(p: &mut Planned, e: K8sError, errors: &mut Vec<TargetError>) {
    p.change.notes.push(format!("failed: {e}"));
    errors.push(e.to_target_error(TARGET));
}
