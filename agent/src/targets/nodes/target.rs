//! Node registration as a [`Target`]: plan = GET each declared Node and
//! [`compare`] it; one step per Node = a merge patch guarded by the observed
//! resourceVersion (a Node changed since is left for the next cycle), then a GET
//! that must show the Node converged. Nodes are never created or deleted: the
//! kubelet registers them when a worker joins.

use super::compare::{compare, NodeDiff};
use super::render::{render, rendered, DesiredNode, NAME};
use crate::kubeapi::{is_not_found, retryable};
use crate::plan::{Action, Change, TargetError};
use crate::rendered::{RenderError, Rendered};
use crate::targets::target::{Cx, Plan, StepOutcome, StepPlan, Target};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use schema::DesiredState;

/// Labels and taints of the workers' Node objects.
pub struct Nodes;

fn error(message: String, transient: bool) -> TargetError {
    TargetError {
        target: NAME.into(),
        host: None,
        message,
        transient,
    }
}

fn api_error(node: &str, op: &str, e: &kube::Error) -> TargetError {
    error(format!("Node/{node}: {op}: {e}"), retryable(e))
}

/// One declared Node and what its plan found.
struct Planned {
    want: DesiredNode,
    diff: NodeDiff,
}

async fn get(api: &Api<Node>, node: &str) -> Result<Option<serde_json::Value>, TargetError> {
    match api.get(node).await {
        Ok(n) => Ok(Some(serde_json::to_value(n).expect("a Node serializes"))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(api_error(node, "get", &e)),
    }
}

#[async_trait]
impl Target for Nodes {
    fn name(&self) -> &'static str {
        NAME
    }

    fn uses_kube(&self, rendered: &Rendered) -> bool {
        rendered.extra.contains_key(NAME)
    }

    fn render(&self, state: &DesiredState, out: &mut Rendered) -> Result<(), RenderError> {
        let nodes = render(state);
        if !nodes.is_empty() {
            let v = serde_json::to_value(nodes).expect("plain data");
            out.extra.insert(NAME.into(), v);
        }
        Ok(())
    }

    async fn plan(&self, cx: &Cx<'_>) -> Plan {
        let wanted = rendered(cx.rendered);
        if wanted.is_empty() {
            return Plan::empty();
        }
        let Some(client) = cx.kube else {
            let msg = format!(
                "{} Node registration(s) declared but no cluster configured (set `kubeconfig` in the agent config or KUBECONFIG; or leave nodes out with --target)",
                wanted.len()
            );
            return Plan::new(vec![], vec![error(msg, false)], Vec::<Planned>::new());
        };
        let api: Api<Node> = Api::all(client.clone());
        let found = futures::future::join_all(wanted.iter().map(|w| get(&api, &w.node))).await;
        let (mut changes, mut errors, mut planned) = (vec![], vec![], vec![]);
        for (want, live) in wanted.into_iter().zip(found) {
            match live {
                Err(e) => errors.push(e),
                Ok(None) => errors.push(error(
                    format!(
                        "Node/{} (host {}) is not registered in the cluster: nothing to label until its kubelet joins",
                        want.node, want.host
                    ),
                    true,
                )),
                Ok(Some(node)) => {
                    let diff = compare(&node, &want);
                    let label_live = format!("Node/{} (live)", want.node);
                    let label_want = format!("Node/{} (desired, inventory host {})", want.node, want.host);
                    changes.push(Change {
                        target: NAME.into(),
                        host: Some(want.host.clone()),
                        object: format!("Node/{}", want.node),
                        action: if diff.patch.is_some() {
                            Action::Update
                        } else {
                            Action::Unchanged
                        },
                        diff: crate::textdiff::unified(
                            &diff.live_view,
                            &diff.want_view,
                            &label_live,
                            &label_want,
                            cx.masker,
                        ),
                        notes: vec![],
                    });
                    planned.push(Planned { want, diff });
                }
            }
        }
        Plan::new(changes, errors, planned)
    }

    fn waves(&self, _: &Cx<'_>, plan: &Plan) -> Vec<Vec<StepPlan>> {
        let steps: Vec<StepPlan> = plan
            .state::<Vec<Planned>>()
            .into_iter()
            .flatten()
            .filter(|p| p.diff.patch.is_some())
            .map(|p| StepPlan {
                target: NAME,
                id: p.want.node.clone(),
                host: Some(p.want.host.clone()),
                objects: vec![format!("Node/{}", p.want.node)],
                start: "label and taint".into(),
            })
            .collect();
        if steps.is_empty() {
            vec![]
        } else {
            vec![steps]
        }
    }

    async fn apply_step(&self, cx: &Cx<'_>, plan: &Plan, step: &StepPlan) -> StepOutcome {
        let planned = plan.state::<Vec<Planned>>().expect("a nodes plan");
        let Some(p) = planned.iter().find(|p| p.want.node == step.id) else {
            return StepOutcome::default();
        };
        let (Some(client), Some(patch)) = (cx.kube, &p.diff.patch) else {
            return StepOutcome::default();
        };
        let api: Api<Node> = Api::all(client.clone());
        let node = &p.want.node;
        let fail = |e: TargetError| StepOutcome {
            summary: e.message.clone(),
            errors: vec![e],
            failed: true,
            ..Default::default()
        };
        let pp = PatchParams {
            field_manager: Some("agent".into()),
            ..Default::default()
        };
        if let Err(e) = api.patch(node, &pp, &Patch::Merge(patch)).await {
            let mut te = api_error(node, "patch", &e);
            if matches!(&e, kube::Error::Api(s) if s.code == 409) {
                te.message = format!("Node/{node} changed since it was observed: not patched; the next cycle compares again");
                te.transient = true;
            }
            return fail(te);
        }
        // Health: the Node as read back must need no further change.
        match get(&api, node).await {
            Ok(Some(after)) if compare(&after, &p.want).patch.is_none() => {
                let mut applied = plan
                    .changes
                    .iter()
                    .find(|c| c.object == format!("Node/{node}"))
                    .cloned()
                    .into_iter()
                    .collect::<Vec<_>>();
                for c in &mut applied {
                    c.notes.push("labels and taints set".into());
                }
                StepOutcome {
                    applied,
                    summary: "labels and taints set".into(),
                    ..Default::default()
                }
            }
            Ok(_) => fail(error(
                format!("Node/{node}: patched, but reading it back does not show the declared labels and taints"),
                true,
            )),
            Err(e) => fail(e),
        }
    }
}
