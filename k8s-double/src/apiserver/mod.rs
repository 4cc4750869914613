//! An in-memory Kubernetes API server double, speaking the real REST protocol for
//! the subset the agent (kube-rs) and `kubectl get/apply --server-side/diff/delete` use.
//!
//! Why it exists: no API server can run on the build machines (README, "What is real
//! and what is a test double"). Tests start it in-process on 127.0.0.1 (one per
//! test, port 0) and can inject faults and inspect state; the
//! `agent-apiserver-double` binary serves it for the lab demo and manual `kubectl` use.
//!
//! Served: discovery (`/api`, `/apis`, group versions, `/version`, `/openapi/v3`),
//! GET/LIST (label and field selectors), WATCH (resourceVersion replay, then live),
//! POST, PUT (resourceVersion precondition), PATCH (apply-patch with `fieldManager`,
//! `force`, `dryRun=All` and field-manager conflicts; merge and strategic merge
//! treated as JSON merge patch), DELETE (a namespace turns Terminating, then its
//! contents and itself go), the `/scale` subresource, `Status` bodies for
//! 400/403/404/409/415/422, and `Table` answers for `kubectl get`. Writes without
//! `fieldManager` are owned by the User-Agent's name, as on the real server.
//! Not served: protobuf bodies (415), JSON patch, `/status`, auth, TLS, finalizers,
//! aggregated discovery (clients fall back to per-group discovery).

mod request;
mod resources;
mod server;
pub mod ssa;
mod store;
mod verbs;
mod watch;
mod write;

pub use hyper::Method;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::net::TcpListener;

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status code and a `Status` body (500 InternalError, 409 Conflict).
    Status(u16),
    /// Wait, then serve the request normally (a slow server; a client timeout fires first).
    Delay(Duration),
}

/// A rule: the next `times` requests whose method matches and whose URI contains
/// `uri_contains` get `action`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Option<Method>,
    pub uri_contains: String,
    pub action: FaultAction,
    pub times: usize,
}

#[derive(Debug)]
pub(crate) struct Shared {
    store: Mutex<store::Store>,
    faults: Mutex<Vec<Fault>>,
    requests: Mutex<Vec<String>>,
    /// `Some(0)`: Deployments report rolled out on every write; `Some(d)`: after `d`; `None`: never.
    ready_after: Mutex<Option<Duration>>,
    me: Weak<Shared>,
}

impl Shared {
    fn me(&self) -> Arc<Shared> {
        self.me
            .upgrade()
            .expect("the server holds the shared state")
    }
    fn log(&self, line: String) {
        self.requests.lock().expect("log lock").push(line);
    }
    fn ready_after(&self) -> Option<Duration> {
        *self.ready_after.lock().expect("config lock")
    }
    fn take_fault(&self, method: &Method, uri: &str) -> Option<FaultAction> {
        let mut faults = self.faults.lock().expect("fault lock");
        let f = faults.iter_mut().find(|f| {
            f.times > 0
                && f.method.as_ref().is_none_or(|m| m == method)
                && uri.contains(&f.uri_contains)
        })?;
        f.times -= 1;
        Some(f.action)
    }
}

/// A running double. Dropping it stops the server.
#[derive(Debug)]
pub struct ApiServerDouble {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl ApiServerDouble {
    /// Serves on 127.0.0.1 on a free port, Deployments rolled out immediately.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0".parse().expect("literal address")).await
    }

    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new_cyclic(|me| Shared {
            store: Mutex::new(store::Store::default()),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            ready_after: Mutex::new(Some(Duration::ZERO)),
            me: me.clone(),
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| server::handle(s.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
        Ok(ApiServerDouble { addr, shared, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig (context `double`, namespace `default`) pointing at this server.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: double\n  cluster:\n    server: {}\n\
             users:\n- name: double\n  user:\n    token: double\ncontexts:\n- name: double\n  context:\n    \
             cluster: double\n    user: double\n    namespace: default\ncurrent-context: double\n",
            self.url()
        )
    }

    pub fn inject(&self, fault: Fault) {
        self.shared.faults.lock().expect("fault lock").push(fault);
    }

    /// How long the simulated Deployment controller takes to finish a rollout (`None`: never).
    pub fn set_rollout_delay(&self, d: Option<Duration>) {
        *self.shared.ready_after.lock().expect("config lock") = d;
    }

    /// Every request served so far, as `METHOD uri`.
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().expect("log lock").clone()
    }

    /// Registers a Node named `name` as a kubelet joining the cluster does (Ready,
    /// with the kubelet's `kubernetes.io/hostname` label): the lab's workers are
    /// nodes of the cluster the double stands in for.
    pub fn register_node(&self, name: &str) {
        let rt = resources::TYPES
            .iter()
            .find(|t| t.kind == "Node")
            .expect("the double serves Nodes");
        let t = request::Target {
            rt,
            namespace: None,
            name: None,
            subresource: None,
        };
        let body = serde_json::json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let q = [("fieldManager".to_string(), "kubelet".to_string())].into();
        let mut store = self.shared.store.lock().expect("store lock");
        write::create(&mut store, &t, body, &q, true);
    }

    /// The stored object (with managedFields), if any. `namespace` is `""` for cluster-scoped.
    pub fn object(&self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let store = self.shared.store.lock().expect("store lock");
        store
            .objects
            .get(&(plural.into(), namespace.into(), name.into()))
            .map(store::Store::view)
    }
}

impl Drop for ApiServerDouble {
    fn drop(&mut self) {
        self.task.abort();
    }
}
