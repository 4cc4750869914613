//! The workloads target converging sample objects: apply, then diff is empty; drift
//! made with kubectl shows and is corrected; prune removes exactly what left Git; no
//! Secret value ever appears in the output. Runs against the double, or the cluster
//! in `KUBECONFIG`.

mod k8s_support;

use agent::mask::Masker;
use agent::plan::Action;
use agent::targets::workloads::{K8sApplyReport, K8sOptions, K8sPlan};
use k8s_support::{masker, Cluster, SECRET_VALUE, SECRET_VALUE_2};

fn actions(plan: &K8sPlan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.object.clone(), c.action))
        .collect()
}

fn pending(plan: &K8sPlan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.action.is_change())
        .map(|c| c.object.clone())
        .collect()
}

fn assert_clean(report: &K8sApplyReport) {
    assert!(report.errors.is_empty(), "errors: {:#?}", report.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_workloads_diff_clean_and_drift_is_shown_then_restored() {
    let c = Cluster::start("drift").await;
    let ns = c.namespace.clone();
    let t = c
        .target(K8sOptions {
            force_conflicts: true,
            ..c.options()
        })
        .await;
    let objects = c.workloads();

    let first = t.diff(&objects, &masker()).await;
    assert!(first.errors.is_empty(), "{:#?}", first.errors);
    assert!(
        first.changes.iter().all(|ch| ch.action == Action::Create),
        "{:#?}",
        actions(&first)
    );
    assert_eq!(
        first.changes[0].object,
        format!("Namespace/{ns}"),
        "namespaces first"
    );

    let report = t.apply(&objects, &masker()).await;
    assert_clean(&report);
    assert_eq!(report.health.len(), 1);
    assert!(report.health[0].healthy, "{:?}", report.health);

    let again = t.diff(&objects, &masker()).await;
    assert!(again.errors.is_empty(), "{:#?}", again.errors);
    assert_eq!(
        pending(&again),
        Vec::<String>::new(),
        "in sync after apply: {:#?}",
        again.changes
    );

    let (code, out) = c.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=5"]);
    assert_eq!(code, 0, "{out}");

    let drift = t.diff(&objects, &masker()).await;
    assert_eq!(pending(&drift), vec![format!("Deployment/{ns}/web")]);
    let d = drift
        .changes
        .iter()
        .find(|ch| ch.action == Action::Update)
        .and_then(|ch| ch.diff.clone())
        .unwrap();
    assert!(
        d.contains("-  replicas: 5") && d.contains("+  replicas: 2"),
        "{d}"
    );
    assert!(
        !d.contains("resourceVersion") && !d.contains("managedFields") && !d.contains("status:"),
        "{d}"
    );

    assert_clean(&t.apply(&objects, &masker()).await);
    let (_, replicas) = c.kubectl(&[
        "-n",
        &ns,
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas.trim(), "2");
    assert_eq!(
        pending(&t.diff(&objects, &masker()).await),
        Vec::<String>::new()
    );

    // A new image: the container shows, without the fields the server defaulted in it.
    let mut newer = objects.clone();
    newer[3]["spec"]["template"]["spec"]["containers"][0]["image"] =
        "registry.k8s.io/pause:3.9".into();
    let plan = t.diff(&newer, &masker()).await;
    let d = plan.changes.iter().find_map(|ch| ch.diff.clone()).unwrap();
    assert!(
        d.contains("+      - image: registry.k8s.io/pause:3.9"),
        "{d}"
    );
    assert!(
        !d.contains("imagePullPolicy") && !d.contains("terminationMessage"),
        "{d}"
    );
    c.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_force_a_field_owned_by_another_manager_is_reported_not_taken() {
    let c = Cluster::start("conflict").await;
    let ns = c.namespace.clone();
    let t = c.target(c.options()).await;
    let objects = c.workloads();
    assert_clean(&t.apply(&objects, &masker()).await);
    let (code, out) = c.kubectl(&[
        "-n",
        &ns,
        "patch",
        "deployment",
        "web",
        "-p",
        r#"{"spec":{"replicas":4}}"#,
    ]);
    assert_eq!(code, 0, "{out}");

    let plan = t.diff(&objects, &masker()).await;
    let ch = plan
        .changes
        .iter()
        .find(|ch| ch.object == format!("Deployment/{ns}/web"))
        .unwrap();
    assert_eq!(ch.action, Action::Update);
    assert!(
        ch.notes
            .iter()
            .any(|n| n.contains(".spec.replicas") && n.contains("kubectl-patch")),
        "{:?}",
        ch.notes
    );

    let report = t.execute(plan).await;
    assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
    assert!(
        report.errors[0].message.contains(".spec.replicas") && !report.errors[0].transient,
        "{:?}",
        report.errors[0]
    );
    let (_, replicas) = c.kubectl(&[
        "-n",
        &ns,
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas.trim(), "4", "not forced");
    c.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_an_object_from_git_prunes_it_and_only_it() {
    let c = Cluster::start("prune").await;
    let ns = c.namespace.clone();
    let t = c.target(c.options()).await;
    let objects = c.workloads();
    assert_clean(&t.apply(&objects, &masker()).await);
    // Someone else's object in the same namespace: never agent's to delete.
    let hand_made = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "hand-made", "namespace": ns}, "data": {"a": "b"}});
    let (code, out) = c.kubectl_create(&hand_made);
    assert_eq!(code, 0, "{out}");

    let fewer: Vec<_> = objects
        .iter()
        .filter(|o| o["kind"] != "ConfigMap")
        .cloned()
        .collect();
    let plan = t.diff(&fewer, &masker()).await;
    assert_eq!(
        pending(&plan),
        vec![format!("ConfigMap/{ns}/web-config")],
        "{:#?}",
        actions(&plan)
    );
    let report = t.execute(plan).await;
    assert_clean(&report);

    let (code, _) = c.kubectl(&["-n", &ns, "get", "configmap", "web-config"]);
    assert_ne!(code, 0, "pruned");
    for (kind, name) in [
        ("configmap", "hand-made"),
        ("secret", "web-secret"),
        ("deployment", "web"),
        ("service", "web"),
    ] {
        let (code, out) = c.kubectl(&["-n", &ns, "get", kind, name]);
        assert_eq!(code, 0, "{kind}/{name} must survive: {out}");
    }
    let (_, inv) = c.kubectl(&[
        "-n",
        "agent-system",
        "get",
        "configmap",
        &c.inventory,
        "-o",
        "jsonpath={.data.objects}",
    ]);
    assert!(
        !inv.contains("web-config") && inv.contains("web-secret"),
        "{inv}"
    );
    assert_eq!(
        pending(&t.diff(&fewer, &masker()).await),
        Vec::<String>::new()
    );
    c.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_value_appears_in_any_diff_or_apply_output() {
    let c = Cluster::start("secrets").await;
    let ns = c.namespace.clone();
    // A masker that knows no secret: the target itself must hide Secret values.
    let bare = Masker::new("k");
    let t = c.target(c.options()).await;
    let mut objects = c.workloads();
    let mut output = String::new();
    let mut record =
        |plan: &dyn std::fmt::Debug, json: String| output.push_str(&format!("{plan:?}\n{json}\n"));

    let p = t.diff(&objects, &bare).await;
    record(&p.changes, serde_json::to_string(&p.changes).unwrap());
    let r = t.apply(&objects, &bare).await;
    record(&r, serde_json::to_string(&r.changes).unwrap());
    // The value changes in Git: the key shows as changed, neither value shows.
    objects[2]["stringData"]["password"] = serde_json::json!(SECRET_VALUE_2);
    let p = t.diff(&objects, &bare).await;
    let ch = p
        .changes
        .iter()
        .find(|ch| ch.object == format!("Secret/{ns}/web-secret"))
        .unwrap();
    assert_eq!(ch.action, Action::Update);
    assert!(
        ch.diff.as_deref().unwrap_or("").contains("password: "),
        "{:?}",
        ch.diff
    );
    record(&p.changes, serde_json::to_string(&p.changes).unwrap());
    let r = t.apply(&objects, &bare).await;
    record(&r, serde_json::to_string(&r.changes).unwrap());
    // Removed from Git: the delete's diff shows the live object, masked.
    let r = t.apply(&objects[..2], &bare).await;
    record(&r, serde_json::to_string(&r.changes).unwrap());
    assert!(r
        .changes
        .iter()
        .any(|ch| ch.action == Action::Delete && ch.object.starts_with("Secret/")));

    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    for v in [SECRET_VALUE, SECRET_VALUE_2] {
        assert!(!output.contains(v), "plain secret leaked");
        assert!(!output.contains(&b64.encode(v)), "base64 secret leaked");
    }
    assert!(output.contains("***"), "masked tokens are shown");
    c.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_prune_off_a_leftover_is_reported_kept_and_pruned_once_allowed() {
    let c = Cluster::start("noprune").await;
    let ns = c.namespace.clone();
    let objects = c.workloads();
    let t = c
        .target(K8sOptions {
            prune: false,
            ..c.options()
        })
        .await;
    assert_clean(&t.apply(&objects, &masker()).await);
    let fewer: Vec<_> = objects
        .iter()
        .filter(|o| o["kind"] != "Service")
        .cloned()
        .collect();
    let report = t.apply(&fewer, &masker()).await;
    assert_clean(&report);
    let leftover = report
        .changes
        .iter()
        .find(|ch| ch.object == format!("Service/{ns}/web"))
        .unwrap();
    assert_eq!(leftover.action, Action::Unmanaged);
    assert!(
        leftover.notes.iter().any(|n| n.contains("prune is off")),
        "{:?}",
        leftover.notes
    );
    assert_eq!(
        c.kubectl(&["-n", &ns, "get", "service", "web"]).0,
        0,
        "kept"
    );

    let t = c.target(c.options()).await;
    let plan = t.diff(&fewer, &masker()).await;
    assert_eq!(
        pending(&plan),
        vec![format!("Service/{ns}/web")],
        "still in the inventory"
    );
    assert_clean(&t.execute(plan).await);
    assert_ne!(
        c.kubectl(&["-n", &ns, "get", "service", "web"]).0,
        0,
        "pruned"
    );
    c.cleanup();
}
