//! The workloads as they run: each declared Deployment read from the API server and
//! judged as `kubectl rollout status` does ([`crate::targets::workloads::rollout_state`]):
//! `2/2 replicas available`, or what is missing.

use super::context::{Context, Section};
use crate::exec::Remote;
use crate::targets::workloads::{rollout_state, ObjectRef};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadLive {
    /// `Deployment/namespace/name`.
    pub object: String,
    pub healthy: bool,
    pub message: String,
}

async fn client(cx: &Context<'_, impl Remote>) -> Result<kube::Client, String> {
    let config = match cx.kubeconfig {
        Some(p) => {
            let kc = kube::config::Kubeconfig::read_from(p)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .map_err(|e| format!("{}: {e}", p.display()))?
        }
        None if std::env::var_os("KUBECONFIG").is_some() => {
            kube::Config::infer().await.map_err(|e| e.to_string())?
        }
        None => {
            return Err(
                "no cluster configured (`kubeconfig` in the agent config, or KUBECONFIG)".into(),
            )
        }
    };
    kube::Client::try_from(config).map_err(|e| e.to_string())
}

pub async fn collect<R: Remote>(cx: &Context<'_, R>) -> Section<WorkloadLive> {
    let deployments: Vec<ObjectRef> = cx
        .objects
        .iter()
        .filter_map(|o| ObjectRef::of(o).ok())
        .filter(|r| r.kind == "Deployment")
        .collect();
    if deployments.is_empty() {
        return Section::default();
    }
    let client = match client(cx).await {
        Ok(c) => c,
        Err(e) => return Section::failed(e),
    };
    let reads = deployments.iter().map(|r| {
        let api: Api<Deployment> =
            Api::namespaced(client.clone(), r.namespace.as_deref().unwrap_or("default"));
        async move {
            let object = r.display();
            let (healthy, message) = match api.get_opt(&r.name).await {
                Ok(Some(d)) => {
                    match rollout_state(&serde_json::to_value(d).expect("API objects serialise")) {
                        Ok(m) => (true, m),
                        Err(m) => (false, m),
                    }
                }
                Ok(None) => (false, "not found in the cluster".to_string()),
                Err(e) => (false, format!("cannot read it: {e}")),
            };
            WorkloadLive {
                object,
                healthy,
                message,
            }
        }
    });
    Section {
        items: futures::future::join_all(reads).await,
        error: None,
    }
}
