//! The inventory: which objects agent applied, kept in the cluster as a ConfigMap
//! (`agent-system/agent-inventory`, key `objects`, a sorted JSON list of [`ObjectRef`]s)
//! so prune works after a restart and from another deploy node.

use super::client::{K8sTarget, MANAGED_BY_LABEL, MANAGED_BY_VALUE};
use super::error::K8sError;
use super::order::ObjectRef;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Patch, PatchParams};
use kube::Api;
use serde_json::json;
use std::collections::BTreeSet;

const KEY: &str = "objects";

impl K8sTarget {
    fn inventory_label(&self) -> String {
        format!(
            "ConfigMap/{}/{}",
            self.opts.inventory_namespace, self.opts.inventory_name
        )
    }

    /// The stored inventory; empty when there is none yet.
    pub(crate) async fn read_inventory(&self) -> Result<Vec<ObjectRef>, K8sError> {
        let api: Api<ConfigMap> =
            Api::namespaced(self.client.clone(), &self.opts.inventory_namespace);
        let label = self.inventory_label();
        let cm = self
            .call(&label, "get", || api.get_opt(&self.opts.inventory_name))
            .await?;
        let Some(text) = cm.and_then(|c| c.data).and_then(|mut d| d.remove(KEY)) else {
            return Ok(Vec::new());
        };
        serde_json::from_str(&text).map_err(|e| K8sError::Invalid {
            object: label,
            message: format!("{KEY}: {e}"),
        })
    }

    /// Replaces the stored inventory (creating its namespace on first use).
    pub(crate) async fn write_inventory(&self, refs: &BTreeSet<ObjectRef>) -> Result<(), K8sError> {
        let ns = &self.opts.inventory_namespace;
        let pp = PatchParams::apply(&self.opts.field_manager).force();
        let labels = json!({ MANAGED_BY_LABEL: MANAGED_BY_VALUE });
        let nsapi: Api<Namespace> = Api::all(self.client.clone());
        let ns_obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}});
        let patch = Patch::Apply(&ns_obj);
        self.call(&format!("Namespace/{ns}"), "apply", || {
            nsapi.patch(ns, &pp, &patch)
        })
        .await?;
        let list: Vec<&ObjectRef> = refs.iter().collect();
        let text = serde_json::to_string_pretty(&list).expect("refs serialise");
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": self.opts.inventory_name, "namespace": ns, "labels": labels},
            "data": { KEY: text }});
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), ns);
        let label = self.inventory_label();
        let patch = Patch::Apply(&cm);
        self.call(&label, "apply", || {
            api.patch(&self.opts.inventory_name, &pp, &patch)
        })
        .await?;
        Ok(())
    }
}
