//! The workloads plan as values: what `agent diff` prints ([`K8sPlan::changes`]) and
//! what `execute` needs to carry it out.

use super::order::ObjectRef;
use crate::mask::Masker;
use crate::plan::{Change, TargetError};
use kube::api::ApiResource;

/// One object's planned change plus what `execute` needs to carry it out.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub change: Change,
    pub reference: ObjectRef,
    /// The object to apply (labelled, annotated); `None` for deletes and leftovers.
    pub desired: Option<serde_json::Value>,
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// The result of observing: the changes (`diff` output) and what could not be observed.
#[derive(Debug, Clone, Default)]
pub struct K8sPlan {
    pub changes: Vec<Change>,
    pub errors: Vec<TargetError>,
    pub(crate) items: Vec<Planned>,
    /// Objects of the previous inventory, for `execute`.
    pub(crate) inventory: Vec<ObjectRef>,
    /// The inventory could be read: only then may it be rewritten and pruned from.
    pub(crate) inventory_read: bool,
    /// Every desired object, for the new inventory.
    pub(crate) declared: Vec<ObjectRef>,
    /// The caller's masker plus every Secret value of the desired objects.
    pub(crate) masker: Masker,
}

/// Server messages can quote what they were sent: notes and errors are masked too.
pub(crate) fn mask_findings(changes: &mut [Change], errors: &mut [TargetError], masker: &Masker) {
    for c in changes.iter_mut() {
        for n in c.notes.iter_mut() {
            *n = masker.mask(n);
        }
    }
    for e in errors.iter_mut() {
        e.message = masker.mask(&e.message);
    }
}
