//! The Kubernetes API as every API-backed target reaches it: a client from a
//! kubeconfig, and kube's errors classified once (retry, not found, field-manager
//! conflict). A leaf: it knows no target.

use kube::Client;
use std::path::Path;

/// Why no client could be made.
#[derive(Debug, thiserror::Error)]
#[error("cluster config: {0}")]
pub struct ConnectError(pub String);

/// A client for the cluster: `kubeconfig` as an explicit file, else `KUBECONFIG`,
/// `~/.kube/config` or the in-cluster service account (kube's inference order).
/// kube's own retries are off: one retry policy, ours ([`K8sTarget::call`]),
/// observable and noted per object, not two stacked.
pub async fn connect(kubeconfig: Option<&Path>) -> Result<Client, ConnectError> {
    let mut config = match kubeconfig {
        Some(p) => {
            let kc = kube::config::Kubeconfig::read_from(p)
                .map_err(|e| ConnectError(format!("{}: {e}", p.display())))?;
            kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .map_err(|e| ConnectError(format!("{}: {e}", p.display())))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| ConnectError(e.to_string()))?,
    };
    config.default_retry = false;
    Client::try_from(config).map_err(|e| ConnectError(e.to_string()))
}

/// A failure a later attempt may not see: server errors, throttling, an optimistic
/// concurrency conflict (409 without field-manager causes), a broken connection.
pub fn retryable(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => match s.code {
            409 => !is_field_conflict(s),
            429 | 500 | 502 | 503 | 504 => true,
            _ => false,
        },
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// A server-side apply conflict with another field manager (needs `force`, not a retry).
pub fn is_field_conflict(s: &kube::core::Status) -> bool {
    s.details
        .as_ref()
        .is_some_and(|d| d.causes.iter().any(|c| c.reason == "FieldManagerConflict"))
}

/// `.spec.replicas (kubectl-patch)`, from a conflict's causes.
pub fn conflict_fields(e: &kube::Error) -> Option<String> {
    let kube::Error::Api(s) = e else { return None };
    if s.code != 409 || !is_field_conflict(s) {
        return None;
    }
    let causes = &s.details.as_ref()?.causes;
    Some(
        causes
            .iter()
            .map(|c| format!("{} ({})", c.field, c.message))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

pub fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
