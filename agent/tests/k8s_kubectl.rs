//! Fidelity of the API server double, checked with a client nobody here wrote:
//! Debian's `kubectl` must `get`, `apply --server-side`, `diff --server-side`,
//! `rollout status` (WATCH) and `delete` against it, and print the API's errors.
//! Against a real cluster (`KUBECONFIG` set) the same steps must hold there.

mod k8s_support;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_support::Cluster;
use kube::api::{Api, PostParams, WatchEvent, WatchParams};
use serde_json::Value;

fn manifest(objects: &[Value]) -> String {
    objects
        .iter()
        .map(|o| serde_yaml::to_string(o).unwrap())
        .collect::<Vec<_>>()
        .join("---\n")
}

fn write(c: &Cluster, name: &str, text: &str) -> String {
    let path = c.temp_path(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_gets_applies_diffs_watches_and_deletes() {
    let c = Cluster::start("kubectl").await;
    let ns = c.namespace.clone();
    let mut objects = c.workloads();
    let file = write(&c, "v1.yaml", &manifest(&objects));

    let (code, out) = c.kubectl(&["apply", "--server-side", "-f", &file]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("serverside-applied").count(), 5, "{out}");

    let (code, out) = c.kubectl(&["-n", &ns, "get", "deployments"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.lines().any(|l| l.starts_with("web ")), "{out}");
    let (code, out) = c.kubectl(&[
        "-n",
        &ns,
        "get",
        "configmaps",
        "-l",
        "app.kubernetes.io/managed-by!=agent",
        "-o",
        "name",
    ]);
    assert_eq!(
        (code, out.trim()),
        (0, "configmap/web-config"),
        "label selector"
    );
    let (code, out) = c.kubectl(&[
        "-n",
        &ns,
        "rollout",
        "status",
        "deployment/web",
        "--timeout=60s",
    ]);
    assert_eq!(code, 0, "rollout status watches: {out}");
    assert!(out.contains("successfully rolled out"), "{out}");

    let (code, out) = c.kubectl(&["diff", "--server-side", "-f", &file]);
    assert_eq!(code, 0, "no differences after apply: {out}");
    objects[3]["spec"]["replicas"] = 3.into();
    let file2 = write(&c, "v2.yaml", &manifest(&objects));
    let (code, out) = c.kubectl(&["diff", "--server-side", "-f", &file2]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("-  replicas: 2") && out.contains("+  replicas: 3"),
        "{out}"
    );
    let (code, out) = c.kubectl(&["apply", "--server-side", "-f", &file2]);
    assert_eq!(code, 0, "{out}");
    let (_, out) = c.kubectl(&[
        "-n",
        &ns,
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(out.trim(), "3");

    let (code, out) = c.kubectl(&["-n", &ns, "get", "configmap", "nope"]);
    assert_ne!(code, 0);
    assert!(
        out.contains("NotFound") && out.contains("configmaps \"nope\" not found"),
        "{out}"
    );
    let mut bad = objects[3].clone();
    bad["metadata"]["name"] = "bad".into();
    bad["spec"].as_object_mut().unwrap().remove("selector");
    let (code, out) = c.kubectl(&[
        "apply",
        "--server-side",
        "-f",
        &write(&c, "bad.yaml", &manifest(&[bad])),
    ]);
    assert_ne!(code, 0);
    assert!(
        out.contains("is invalid") && out.contains("spec.selector"),
        "422 with causes: {out}"
    );

    let (code, out) = c.kubectl(&["delete", "-f", &file]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
    let (code, _) = c.kubectl(&["get", "namespace", &ns]);
    assert_ne!(code, 0, "namespace gone");
    c.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_replays_changes_after_a_resource_version() {
    let c = Cluster::start("watch").await;
    let ns = c.namespace.clone();
    let (code, out) = c.kubectl_create(&c.workloads()[0]);
    assert_eq!(code, 0, "{out}");
    let client = kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(&c.kubeconfig).unwrap(),
            &Default::default(),
        )
        .await
        .unwrap(),
    )
    .unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client, &ns);
    let mut cm: ConfigMap = serde_json::from_value(c.workloads()[1].clone()).unwrap();
    let created = api.create(&PostParams::default(), &cm).await.unwrap();
    let rv = created.metadata.resource_version.clone().unwrap();
    cm.data = Some([("greeting".to_string(), "changed".to_string())].into());
    cm.metadata.resource_version = Some(rv.clone());
    api.replace("web-config", &PostParams::default(), &cm)
        .await
        .unwrap();
    // A stale resourceVersion is refused with 409 Conflict.
    let stale = api
        .replace("web-config", &PostParams::default(), &cm)
        .await
        .unwrap_err();
    assert!(
        matches!(&stale, kube::Error::Api(s) if s.code == 409),
        "{stale:?}"
    );

    let wp = WatchParams::default().timeout(5);
    let events: Vec<_> = api
        .watch(&wp, &rv)
        .await
        .unwrap()
        .take(1)
        .try_collect()
        .await
        .unwrap();
    match &events[0] {
        WatchEvent::Modified(o) => assert_eq!(o.data.as_ref().unwrap()["greeting"], "changed"),
        other => panic!("expected the replayed modification, got {other:?}"),
    }
    c.cleanup();
}
