//! The node-registration target through the engine, as `agent diff`/`apply` run it:
//! a worker's Node (registered beforehand, as a kubelet would) gets the labels and
//! taints of the inventory, keeps the kubelet's own, drift is shown and put back, a
//! label dropped from Git is removed only because it was the agent's, and a Node
//! changed between plan and patch is not overwritten. Runs against the API server
//! double, or the cluster in `KUBECONFIG` (it creates and deletes one Node object
//! named `agent-t-node-<pid>`).

mod k8s_support;

use agent::engine::{Desired, Engine, Selection};
use agent::exec::LocalShell;
use agent::plan::{Action, ChangeSet};
use k8s_support::Cluster;
use serde_json::{json, Value};

fn inventory(node: &str, labels: &str, taints: &str) -> schema::DesiredState {
    let yaml = format!(
        "apiVersion: agent/v1\nkind: Inventory\nmetadata: {{name: t}}\nspec:\n  hosts:\n    - name: w1\n      address: 10.0.0.21\n      roles: [worker]\n      node:\n        name: {node}\n        labels: {labels}\n        taints: {taints}\n"
    );
    let files = [schema::SourceFile {
        path: "inventory.yaml".into(),
        bytes: yaml.into_bytes(),
    }];
    schema::load_files(&files).unwrap_or_else(|d| panic!("inventory loads:\n{d}"))
}

struct Run {
    client: kube::Client,
}

impl Run {
    async fn engine_do(
        &self,
        state: &schema::DesiredState,
        apply: bool,
    ) -> (ChangeSet, Vec<String>) {
        let rendered = agent::render::render(state).expect("renders");
        let shell = LocalShell::default();
        let mut engine = Engine::new(&shell, state);
        engine.kube = Some(&self.client);
        engine.select = Selection::only(&["nodes"]).unwrap();
        let d = Desired {
            commit: "t",
            state,
            rendered: &rendered,
        };
        if apply {
            let rep = engine.apply(&d, &|_: &str| {}).await;
            let errors = rep
                .errors
                .iter()
                .chain(&rep.plan.errors)
                .map(|e| e.message.clone())
                .collect();
            (rep.plan, errors)
        } else {
            let cs = engine.diff(&d).await;
            let errors = cs.errors.iter().map(|e| e.message.clone()).collect();
            (cs, errors)
        }
    }
}

fn node_json(c: &Cluster, name: &str) -> Value {
    let (code, out) = c.kubectl(&["get", "node", name, "-o", "json"]);
    assert_eq!(code, 0, "{out}");
    serde_json::from_str(&out).expect("node JSON")
}

fn action(cs: &ChangeSet) -> Action {
    assert_eq!(cs.changes.len(), 1, "{:#?}", cs.changes);
    cs.changes[0].action
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_nodes_get_the_declared_labels_and_taints_and_keep_the_rest() {
    let c = Cluster::start("nodes").await;
    let name = format!("agent-t-node-{}", std::process::id());
    let (code, out) = c.kubectl_create(&json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {"taints": [{"key": "node.example/booting", "effect": "PreferNoSchedule"}]}}));
    assert_eq!(
        code, 0,
        "the Node is registered first (as the kubelet does): {out}"
    );
    let run = Run {
        client: agent::kubeapi::connect(Some(&c.kubeconfig))
            .await
            .expect("client"),
    };
    let want = inventory(
        &name,
        "{zone: eu-1, node-role.kubernetes.io/web: \"\"}",
        "[{key: dedicated, value: web, effect: NoSchedule}]",
    );

    let (cs, errors) = run.engine_do(&want, false).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(action(&cs), Action::Update);
    let diff = cs.changes[0].diff.clone().unwrap_or_default();
    assert!(
        diff.contains("+  zone: \"eu-1\"") && diff.contains("+  - dedicated=web:NoSchedule"),
        "{diff}"
    );

    let (_, errors) = run.engine_do(&want, true).await;
    assert!(errors.is_empty(), "{errors:?}");
    let live = node_json(&c, &name);
    assert_eq!(live["metadata"]["labels"]["zone"], "eu-1");
    assert_eq!(
        live["metadata"]["labels"]["kubernetes.io/hostname"],
        name.as_str(),
        "the kubelet's label stays"
    );
    let taints = live["spec"]["taints"].as_array().expect("taints").clone();
    assert!(
        taints
            .iter()
            .any(|t| t["key"] == "dedicated" && t["value"] == "web"),
        "{taints:?}"
    );
    assert!(
        taints.iter().any(|t| t["key"] == "node.example/booting"),
        "the other taint stays: {taints:?}"
    );
    assert_eq!(
        action(&run.engine_do(&want, false).await.0),
        Action::Unchanged,
        "idempotent"
    );

    // Drift by hand is shown, then put back.
    let (code, out) = c.kubectl(&["label", "node", &name, "zone=eu-2", "--overwrite"]);
    assert_eq!(code, 0, "{out}");
    let (cs, _) = run.engine_do(&want, false).await;
    assert_eq!(action(&cs), Action::Update);
    assert!(cs.changes[0]
        .diff
        .as_deref()
        .unwrap_or_default()
        .contains("-  zone: \"eu-2\""));
    run.engine_do(&want, true).await;
    assert_eq!(node_json(&c, &name)["metadata"]["labels"]["zone"], "eu-1");

    // A key dropped from Git goes, because it was ours; a label someone else set stays.
    let (code, out) = c.kubectl(&["label", "node", &name, "team=ops"]);
    assert_eq!(code, 0, "{out}");
    let fewer = inventory(&name, "{node-role.kubernetes.io/web: \"\"}", "[]");
    let (_, errors) = run.engine_do(&fewer, true).await;
    assert!(errors.is_empty(), "{errors:?}");
    let live = node_json(&c, &name);
    let labels = &live["metadata"]["labels"];
    assert!(labels.get("zone").is_none(), "{labels}");
    assert_eq!(labels["team"], "ops");
    assert_eq!(labels["node-role.kubernetes.io/web"], "");
    let taints = live["spec"]["taints"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !taints.iter().any(|t| t["key"] == "dedicated"),
        "{taints:?}"
    );
    assert!(
        taints.iter().any(|t| t["key"] == "node.example/booting"),
        "{taints:?}"
    );

    c.kubectl(&["delete", "node", &name, "--ignore-not-found"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unregistered_worker_is_reported_and_nothing_is_created() {
    let c = Cluster::start("nodes-absent").await;
    let name = format!("agent-t-absent-{}", std::process::id());
    let run = Run {
        client: agent::kubeapi::connect(Some(&c.kubeconfig))
            .await
            .expect("client"),
    };
    let want = inventory(&name, "{zone: a}", "[]");
    let (cs, errors) = run.engine_do(&want, true).await;
    assert!(cs.changes.is_empty(), "{:#?}", cs.changes);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("is not registered in the cluster")),
        "{errors:?}"
    );
    let (code, _) = c.kubectl(&["get", "node", &name]);
    assert_ne!(code, 0, "the agent never creates a Node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_changed_between_plan_and_patch_is_not_overwritten() {
    use agent::targets::nodes::target::Nodes;
    use agent::targets::target::{Cx, Target};
    let c = Cluster::start("nodes-race").await;
    let name = format!("agent-t-race-{}", std::process::id());
    let (code, out) =
        c.kubectl_create(&json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}));
    assert_eq!(code, 0, "{out}");
    let client = agent::kubeapi::connect(Some(&c.kubeconfig))
        .await
        .expect("client");
    let state = inventory(&name, "{zone: a}", "[]");
    let rendered = agent::render::render(&state).expect("renders");
    let (shell, masker) = (LocalShell::default(), agent::mask::Masker::new("k"));
    let cx = Cx {
        remote: &shell,
        commit: "t",
        state: &state,
        rendered: &rendered,
        masker: &masker,
        kube: Some(&client),
        settings: Default::default(),
        selected: &["nodes"],
        progress: &|_: &str| {},
        stop: None,
        fence: None,
        memo: Default::default(),
    };
    let plan = Nodes.plan(&cx).await;
    let step = Nodes.waves(&cx, &plan).remove(0).remove(0);
    // Someone labels the Node after the plan was made.
    let (code, out) = c.kubectl(&["label", "node", &name, "zone=b"]);
    assert_eq!(code, 0, "{out}");
    let o = Nodes.apply_step(&cx, &plan, &step).await;
    assert!(o.failed, "{o:?}");
    assert!(
        o.errors[0].transient
            && o.errors[0]
                .message
                .contains("changed since it was observed"),
        "{:?}",
        o.errors
    );
    assert_eq!(
        node_json(&c, &name)["metadata"]["labels"]["zone"],
        "b",
        "their edit stands"
    );
    c.kubectl(&["delete", "node", &name, "--ignore-not-found"]);
}
