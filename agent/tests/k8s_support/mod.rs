//! Shared by the `k8s_*` suites: a cluster to test against — the in-memory API
//! server double, or a real cluster when `KUBECONFIG` is set — plus sample workloads
//! and a `kubectl` runner. Every test works in its own namespace and inventory and
//! removes both at the end, so the suites can share a real cluster.
#![allow(dead_code)]

use agent::mask::Masker;
use agent::targets::workloads::{K8sOptions, K8sTarget};
use k8s_double::apiserver::ApiServerDouble;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

pub const SECRET_VALUE: &str = "s3cr3t-Hunter2-value";
pub const SECRET_VALUE_2: &str = "n3w-s3cr3t-Value-77";

pub struct Cluster {
    /// `None` against a real cluster.
    pub double: Option<ApiServerDouble>,
    pub kubeconfig: PathBuf,
    pub namespace: String,
    pub inventory: String,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// `test` names the namespace (`agent-t-<test>`) and the inventory.
    pub async fn start(test: &str) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let (double, kubeconfig) = match std::env::var_os("KUBECONFIG") {
            Some(path) => (None, PathBuf::from(path)),
            None => {
                let d = ApiServerDouble::start().await.expect("double starts");
                let path = dir.path().join("kubeconfig");
                std::fs::write(&path, d.kubeconfig()).expect("write kubeconfig");
                (Some(d), path)
            }
        };
        Cluster {
            double,
            kubeconfig,
            namespace: format!("agent-t-{test}"),
            inventory: format!("agent-inventory-t-{test}"),
            _dir: dir,
        }
    }

    pub fn options(&self) -> K8sOptions {
        K8sOptions {
            inventory_name: self.inventory.clone(),
            source: "tests".into(),
            request_timeout: Duration::from_secs(5),
            backoff_base: Duration::from_millis(50),
            backoff_max: Duration::from_millis(400),
            rollout_timeout: Duration::from_secs(if self.double.is_some() { 5 } else { 180 }),
            poll_interval: Duration::from_millis(100),
            ..K8sOptions::default()
        }
    }

    pub async fn target(&self, opts: K8sOptions) -> K8sTarget {
        K8sTarget::connect(Some(&self.kubeconfig), opts)
            .await
            .expect("connect")
    }

    /// Runs kubectl against the cluster; returns (exit code, stdout + stderr).
    pub fn kubectl(&self, args: &[&str]) -> (i32, String) {
        let cache = self._dir.path().join("kubectl-cache");
        let out = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&cache)
            .args(args)
            .output()
            .expect("kubectl runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }

    /// A path in the test's own temporary directory (removed with the cluster).
    pub fn temp_path(&self, name: &str) -> PathBuf {
        self._dir.path().join(name)
    }

    /// Runs `kubectl create -f` on an object (JSON on stdin; generator commands such as
    /// `kubectl create configmap` send protobuf, which the double refuses with 415).
    pub fn kubectl_create(&self, object: &Value) -> (i32, String) {
        let path = self._dir.path().join("object.json");
        std::fs::write(&path, object.to_string()).expect("write object");
        self.kubectl(&["create", "-f", path.to_str().expect("utf-8 temp path")])
    }

    /// Removes the test's namespace and inventory (best effort, waits for the namespace).
    pub fn cleanup(&self) {
        let ns = self.namespace.as_str();
        self.kubectl(&[
            "delete",
            "namespace",
            ns,
            "--ignore-not-found",
            "--wait=true",
            "--timeout=120s",
        ]);
        self.kubectl(&[
            "-n",
            "agent-system",
            "delete",
            "configmap",
            &self.inventory,
            "--ignore-not-found",
        ]);
    }

    /// Namespace, ConfigMap, Secret, Deployment (2 replicas) and Service.
    pub fn workloads(&self) -> Vec<Value> {
        let ns = self.namespace.as_str();
        vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": ns},
                   "data": {"greeting": "hello"}}),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web-secret", "namespace": ns},
                   "type": "Opaque", "stringData": {"password": SECRET_VALUE}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
                   "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web"}},
                                         "spec": {"containers": [{"name": "web", "image": "registry.k8s.io/pause:3.10",
                                                                  "ports": [{"containerPort": 8080}]}]}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": ns},
                   "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
        ]
    }
}

pub fn masker() -> Masker {
    let mut m = Masker::new("test-key");
    m.add_secret(SECRET_VALUE);
    m
}
