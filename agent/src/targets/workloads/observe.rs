//! Planning: for each desired object, GET the live one and ask the server what a
//! server-side apply would make of it (`dryRun=All`); compare both, normalised. The
//! inventory's objects Git no longer declares become deletes.

use super::client::{K8sTarget, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SOURCE_ANNOTATION, TARGET};
use super::error::{conflict_fields, is_not_found, K8sError};
use super::normalize::{
    mask_secret, prune_common, strip_server_fields, to_yaml, with_secret_values,
};
use super::order::{rank, ObjectRef};
use super::plan::{mask_findings, K8sPlan, Planned};
use crate::mask::Masker;
use crate::plan::{Action, Change, TargetError};
use crate::textdiff;
use kube::api::{ApiResource, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn to_value(o: impl serde::Serialize) -> Value {
    serde_json::to_value(o).expect("API objects serialise")
}

impl K8sTarget {
    /// `agent diff`: what `apply` would change. Read-only.
    pub async fn diff(&self, objects: &[Value], masker: &Masker) -> K8sPlan {
        self.plan(objects, masker).await
    }

    /// Observes every object and the inventory; never changes the cluster.
    pub async fn plan(&self, objects: &[Value], masker: &Masker) -> K8sPlan {
        let masker = with_secret_values(masker, objects);
        let mut desired: Vec<Value> = objects.iter().map(|o| self.prepare(o)).collect();
        desired.sort_by_key(|o| rank(o["kind"].as_str().unwrap_or_default()));
        let namespaces: BTreeSet<String> = desired
            .iter()
            .filter(|o| o["kind"] == "Namespace")
            .filter_map(|o| o["metadata"]["name"].as_str().map(String::from))
            .collect();
        let mut plan = K8sPlan::default();
        let mut skipped = 0;
        for o in desired {
            if skipped > 0 {
                plan.declared.extend(ObjectRef::of(&o).ok());
                skipped += 1;
                continue;
            }
            match self.observe_one(o.clone(), &masker, &namespaces).await {
                Ok(p) => {
                    plan.declared.push(p.reference.clone());
                    plan.items.push(p);
                }
                Err(e) => {
                    plan.declared.extend(ObjectRef::of(&o).ok());
                    plan.errors.push(e.to_target_error(TARGET));
                    skipped = usize::from(e.unreachable());
                }
            }
        }
        if skipped > 1 {
            plan.errors.push(TargetError {
                target: TARGET.into(),
                host: None,
                message: format!(
                    "{} more objects not observed: the cluster does not answer",
                    skipped - 1
                ),
                transient: true,
            });
        }
        if skipped == 0 {
            self.plan_prune(&mut plan, &masker).await;
        }
        for p in plan.items.iter_mut() {
            p.change.notes = p.change.notes.iter().map(|n| masker.mask(n)).collect();
        }
        plan.changes = plan.items.iter().map(|p| p.change.clone()).collect();
        mask_findings(&mut [], &mut plan.errors, &masker);
        plan.masker = masker;
        plan
    }

    /// Deletes for inventory objects Git no longer declares; without a readable
    /// inventory nothing is pruned (and `execute` leaves the inventory alone).
    async fn plan_prune(&self, plan: &mut K8sPlan, masker: &Masker) {
        match self.read_inventory().await {
            Ok(inventory) => {
                let leftovers: Vec<&ObjectRef> = inventory
                    .iter()
                    .filter(|r| !plan.declared.contains(r))
                    .collect();
                for r in leftovers {
                    // `declared` is also what the inventory keeps: objects that could not be
                    // looked at, and ours that prune may not touch, stay in it.
                    match self.observe_leftover(r, masker).await {
                        Ok(Some((p, keep))) => {
                            if keep {
                                plan.declared.push(r.clone());
                            }
                            plan.items.push(p);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            plan.declared.push(r.clone());
                            plan.errors.push(e.to_target_error(TARGET));
                        }
                    }
                }
                plan.inventory = inventory;
                plan.inventory_read = true;
            }
            Err(e) => plan.errors.push(e.to_target_error(TARGET)),
        }
    }

    /// Adds the ownership label and the source annotation.
    fn prepare(&self, o: &Value) -> Value {
        let mut o = o.clone();
        o["metadata"]["labels"][MANAGED_BY_LABEL] = json!(MANAGED_BY_VALUE);
        if o["metadata"]["annotations"]
            .get(SOURCE_ANNOTATION)
            .is_none()
        {
            o["metadata"]["annotations"][SOURCE_ANNOTATION] = json!(self.opts.source);
        }
        o
    }

    /// The REST resource of a kind, from discovery (cached per cycle and target).
    pub(crate) async fn resolve(&self, r: &ObjectRef) -> Result<(ApiResource, bool), K8sError> {
        let key = (r.api_version.clone(), r.kind.clone());
        if let Some(hit) = self.kinds.lock().expect("kinds lock").get(&key) {
            return Ok(hit.clone());
        }
        let (g, v) = r.group_version();
        let gvk = GroupVersionKind::gvk(g, v, &r.kind);
        let (ar, caps) = self
            .call(&r.display(), "discover", || {
                kube::discovery::pinned_kind(&self.client, &gvk)
            })
            .await?;
        let hit = (ar, caps.scope == Scope::Namespaced);
        self.kinds
            .lock()
            .expect("kinds lock")
            .insert(key, hit.clone());
        Ok(hit)
    }

    async fn observe_one(
        &self,
        mut o: Value,
        masker: &Masker,
        namespaces: &BTreeSet<String>,
    ) -> Result<Planned, K8sError> {
        let r0 = ObjectRef::of(&o).map_err(|message| K8sError::Invalid {
            object: format!(
                "{}/{}",
                o["kind"].as_str().unwrap_or("?"),
                o["metadata"]["name"].as_str().unwrap_or("?")
            ),
            message,
        })?;
        let (resource, namespaced) = self.resolve(&r0).await?;
        match (namespaced, r0.namespace.is_some()) {
            (true, false) => o["metadata"]["namespace"] = json!("default"),
            (false, true) => {
                o["metadata"].as_object_mut().map(|m| m.remove("namespace"));
            }
            _ => {}
        }
        let r = ObjectRef::of(&o).expect("checked above");
        let display = r.display();
        let api = self.api(&resource, r.namespace.as_deref());
        let live = self
            .call(&display, "get", || api.get_opt(&r.name))
            .await?
            .map(to_value);
        let mut notes = Vec::new();
        let mut pp = PatchParams::apply(&self.opts.field_manager).dry_run();
        pp.force = self.opts.force_conflicts;
        let patch = Patch::Apply(&o);
        let after = match self
            .call(&display, "dry-run apply", || {
                api.patch(&r.name, &pp, &patch)
            })
            .await
        {
            Ok(v) => to_value(v),
            Err(K8sError::Api { source, .. }) if conflict_fields(&source).is_some() => {
                let fields = conflict_fields(&source).unwrap_or_default();
                notes.push(format!("conflict with other field managers on {fields}: apply fails unless force_conflicts"));
                let forced = pp.clone().force();
                to_value(
                    self.call(&display, "dry-run apply", || {
                        api.patch(&r.name, &forced, &patch)
                    })
                    .await?,
                )
            }
            Err(K8sError::Api { source, .. })
                if is_not_found(&source)
                    && live.is_none()
                    && r.namespace.as_ref().is_some_and(|n| namespaces.contains(n)) =>
            {
                notes.push("its namespace is created first".into());
                o.clone()
            }
            Err(e) => return Err(e),
        };
        let created = live.is_none();
        let mut l = live.unwrap_or_else(|| json!({}));
        // A new object is shown as Git declares it, without the server's defaults.
        let mut a = if created { o.clone() } else { after };
        strip_server_fields(&mut l);
        strip_server_fields(&mut a);
        if !created {
            prune_common(&mut l, &mut a, &o);
        }
        mask_secret(&mut l, masker);
        mask_secret(&mut a, masker);
        let diff = textdiff::unified(
            &to_yaml(&l),
            &to_yaml(&a),
            &format!("live/{display}"),
            &format!("desired/{display}"),
            masker,
        );
        let action = match (created, &diff) {
            (true, _) => Action::Create,
            (false, Some(_)) => Action::Update,
            (false, None) => Action::Unchanged,
        };
        notes.extend(self.take_retry_notes(&display));
        Ok(Planned {
            change: Change {
                target: TARGET.into(),
                host: None,
                object: display,
                action,
                diff,
                notes,
            },
            reference: r,
            desired: Some(o),
            resource,
            namespaced,
        })
    }

    /// An inventory object Git no longer declares: a delete when it still exists and is ours.
    /// The flag says whether it stays in the inventory (ours, but prune is off).
    async fn observe_leftover(
        &self,
        r: &ObjectRef,
        masker: &Masker,
    ) -> Result<Option<(Planned, bool)>, K8sError> {
        let (resource, namespaced) = self.resolve(r).await?;
        let display = r.display();
        let api = self.api(&resource, r.namespace.as_deref().filter(|_| namespaced));
        let Some(live) = self
            .call(&display, "get", || api.get_opt(&r.name))
            .await?
            .map(to_value)
        else {
            return Ok(None);
        };
        let owned = live["metadata"]["labels"][MANAGED_BY_LABEL] == MANAGED_BY_VALUE;
        let mut l = live;
        strip_server_fields(&mut l);
        mask_secret(&mut l, masker);
        let (action, diff, note) = match (owned, self.opts.prune) {
            (true, true) => {
                let d = textdiff::unified(
                    &to_yaml(&l),
                    "",
                    &format!("live/{display}"),
                    "deleted",
                    masker,
                );
                (Action::Delete, d, "no longer declared in Git: pruned")
            }
            (true, false) => (
                Action::Unmanaged,
                None,
                "no longer declared in Git; prune is off",
            ),
            (false, _) => (
                Action::Unmanaged,
                None,
                "no longer declared in Git and not labelled as agent's: left alone",
            ),
        };
        let mut notes = vec![note.to_string()];
        notes.extend(self.take_retry_notes(&display));
        let planned = Planned {
            change: Change {
                target: TARGET.into(),
                host: None,
                object: display,
                action,
                diff,
                notes,
            },
            reference: r.clone(),
            desired: None,
            resource,
            namespaced,
        };
        Ok(Some((planned, owned && !self.opts.prune)))
    }
}
