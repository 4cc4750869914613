//! Workload expectations: every declared Deployment (raw manifests and `App`s, as
//! rendered) reports at least its declared replicas available, read from the
//! cluster's API. Without a configured cluster the goal is shown as skipped.

use crate::drill::report::Expectation;
use crate::drill::Drill;
use crate::exec::Remote;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use serde_json::Value;

pub async fn replicas<R: Remote>(d: &Drill<'_, R>) -> Vec<Expectation> {
    let declared: Vec<(&str, &str, i64)> = d
        .rendered
        .objects
        .iter()
        .filter(|o| o["kind"] == "Deployment" && o["apiVersion"] == "apps/v1")
        .map(|o| {
            (
                o["metadata"]["namespace"].as_str().unwrap_or("default"),
                o["metadata"]["name"].as_str().unwrap_or_default(),
                o["spec"]["replicas"].as_i64().unwrap_or(1),
            )
        })
        .collect();
    if declared.is_empty() {
        return vec![];
    }
    let Some(client) = &d.k8s else {
        return declared
            .iter()
            .map(|(ns, name, want)| {
                Expectation::skip(
                    format!("Deployment/{ns}/{name}"),
                    format!("{want} replicas available"),
                    "no Kubernetes cluster configured (kubeconfig, --kubeconfig or KUBECONFIG)",
                )
            })
            .collect();
    };
    let mut out = Vec::new();
    for (ns, name, want) in declared {
        let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
        let what = format!("Deployment/{ns}/{name}");
        let goal = format!("{want} replicas available");
        let got = tokio::time::timeout(d.opts.request_timeout * 5, api.get(name)).await;
        out.push(match got {
            Ok(Ok(dep)) => {
                let v = serde_json::to_value(&dep).unwrap_or(Value::Null);
                let available = v["status"]["availableReplicas"].as_i64().unwrap_or(0);
                Expectation::new(
                    what,
                    goal,
                    format!("{available}/{want} available"),
                    available >= want,
                )
            }
            Ok(Err(e)) => Expectation::new(what, goal, e.to_string(), false),
            Err(_) => Expectation::new(what, goal, "the API did not answer", false),
        });
    }
    out
}
