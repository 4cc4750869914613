//! Faults injected by the double (500, 409, slow answers, stuck rollouts, failing
//! deletes): retried with backoff, reported per object, never a crash, the other
//! objects still converge. Double only: a real cluster cannot be told to fail.

mod k8s_support;

use agent::plan::Action;
use agent::targets::workloads::K8sOptions;
use k8s_double::apiserver::{Fault, FaultAction, Method};
use k8s_support::{masker, Cluster};
use std::time::Duration;

fn fault(method: Method, uri: &str, action: FaultAction, times: usize) -> Fault {
    Fault {
        method: Some(method),
        uri_contains: uri.into(),
        action,
        times,
    }
}

async fn double(test: &str) -> Option<Cluster> {
    let c = Cluster::start(test).await;
    if c.double.is_none() {
        test_skip::record("KUBECONFIG is set: fault injection needs the API server double");
        return None;
    }
    Some(c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_conflicts_and_slow_answers_are_retried() {
    let Some(c) = double("retry").await else {
        return;
    };
    let d = c.double.as_ref().unwrap();
    let t = c
        .target(K8sOptions {
            request_timeout: Duration::from_millis(1000),
            ..c.options()
        })
        .await;
    d.inject(fault(
        Method::PATCH,
        "/deployments/web",
        FaultAction::Status(500),
        2,
    ));
    d.inject(fault(
        Method::PATCH,
        "/configmaps/web-config",
        FaultAction::Status(409),
        1,
    ));
    d.inject(fault(
        Method::GET,
        "/secrets/web-secret",
        FaultAction::Delay(Duration::from_millis(2500)),
        1,
    ));
    let report = t.apply(&c.workloads(), &masker()).await;
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    let notes = |obj: &str| {
        report
            .changes
            .iter()
            .find(|ch| ch.object.starts_with(obj))
            .unwrap()
            .notes
            .join("\n")
    };
    assert!(
        notes("Deployment/").contains("retry 2"),
        "{}",
        notes("Deployment/")
    );
    assert!(
        notes("Deployment/").contains("injected fault 500"),
        "{}",
        notes("Deployment/")
    );
    assert!(
        notes("ConfigMap/").contains("injected fault 409"),
        "{}",
        notes("ConfigMap/")
    );
    assert!(
        notes("Secret/").contains("no answer within 1000ms"),
        "{}",
        notes("Secret/")
    );
    let patches = d
        .requests()
        .iter()
        .filter(|r| r.starts_with("PATCH") && r.contains("/deployments/web"))
        .count();
    assert_eq!(patches, 4, "2 failed + dry run + apply");
    assert!(report
        .changes
        .iter()
        .all(|ch| ch.notes.iter().any(|n| n == "applied")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_object_is_reported_and_the_others_still_converge() {
    let Some(c) = double("persist").await else {
        return;
    };
    let d = c.double.as_ref().unwrap();
    let t = c.target(c.options()).await;
    let plan = t.diff(&c.workloads(), &masker()).await;
    d.inject(fault(
        Method::PATCH,
        "/services/web",
        FaultAction::Status(503),
        1000,
    ));
    let report = t.execute(plan).await;
    assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
    assert!(
        report.errors[0]
            .message
            .starts_with(&format!("Service/{}/web: apply", c.namespace)),
        "{:?}",
        report.errors
    );
    assert!(report.errors[0].transient);
    assert!(report.health.iter().all(|h| h.healthy));
    assert!(d.object("deployments", &c.namespace, "web").is_some());
    assert!(d.object("services", &c.namespace, "web").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollouts_are_waited_for_and_a_stuck_one_is_reported() {
    let Some(c) = double("rollout").await else {
        return;
    };
    let d = c.double.as_ref().unwrap();
    d.set_rollout_delay(Some(Duration::from_millis(400)));
    let t = c
        .target(K8sOptions {
            rollout_timeout: Duration::from_secs(5),
            ..c.options()
        })
        .await;
    let report = t.apply(&c.workloads(), &masker()).await;
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert_eq!(report.health.len(), 1);
    assert!(report.health[0].healthy, "{:?}", report.health);

    d.set_rollout_delay(None);
    let t = c
        .target(K8sOptions {
            rollout_timeout: Duration::from_millis(500),
            ..c.options()
        })
        .await;
    let mut objects = c.workloads();
    objects[3]["spec"]["template"]["spec"]["containers"][0]["image"] =
        "registry.k8s.io/pause:3.9".into();
    let report = t.apply(&objects, &masker()).await;
    assert!(!report.health[0].healthy);
    assert!(
        report.health[0].message.contains("generation 2"),
        "{:?}",
        report.health
    );
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0].message.contains("not rolled out"),
        "{:?}",
        report.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_that_fails_stays_in_the_inventory_and_is_retried_next_cycle() {
    let Some(c) = double("keep").await else {
        return;
    };
    let d = c.double.as_ref().unwrap();
    let opts = c.options();
    let attempts = opts.attempts as usize;
    let t = c.target(opts).await;
    assert!(t.apply(&c.workloads(), &masker()).await.errors.is_empty());
    let fewer: Vec<_> = c
        .workloads()
        .into_iter()
        .filter(|o| o["kind"] != "ConfigMap")
        .collect();
    d.inject(fault(
        Method::DELETE,
        "/configmaps/web-config",
        FaultAction::Status(500),
        attempts,
    ));
    let report = t.apply(&fewer, &masker()).await;
    assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
    let inventory = d
        .object("configmaps", "agent-system", &c.inventory)
        .unwrap();
    assert!(inventory["data"]["objects"]
        .as_str()
        .unwrap()
        .contains("web-config"));

    let report = t.apply(&fewer, &masker()).await;
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report
        .changes
        .iter()
        .any(|ch| ch.action == Action::Delete && ch.notes.contains(&"deleted".to_string())));
    assert!(d.object("configmaps", &c.namespace, "web-config").is_none());
    let inventory = d
        .object("configmaps", "agent-system", &c.inventory)
        .unwrap();
    assert!(!inventory["data"]["objects"]
        .as_str()
        .unwrap()
        .contains("web-config"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cluster_is_one_transient_error_not_one_per_object() {
    let Some(c) = double("down").await else {
        return;
    };
    let mut c = c;
    c.double = None; // stops the server: nothing listens on its port any more
    let t = c.target(c.options()).await;
    let plan = t.diff(&c.workloads(), &masker()).await;
    assert!(plan.changes.is_empty());
    assert_eq!(plan.errors.len(), 2, "{:#?}", plan.errors);
    assert!(plan.errors.iter().all(|e| e.transient));
    assert!(
        plan.errors[0]
            .message
            .starts_with(&format!("Namespace/{}", c.namespace)),
        "{:?}",
        plan.errors
    );
    assert!(
        plan.errors[1]
            .message
            .contains("4 more objects not observed"),
        "{:?}",
        plan.errors
    );
    let report = t.execute(plan).await;
    assert_eq!(
        report.errors.len(),
        2,
        "nothing attempted, nothing pruned: {:#?}",
        report.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_object_is_reported_by_name_and_the_rest_applies() {
    let Some(c) = double("invalid").await else {
        return;
    };
    let d = c.double.as_ref().unwrap();
    let t = c.target(c.options()).await;
    let mut objects = c.workloads();
    let mut bad = objects[3].clone();
    bad["metadata"]["name"] = "bad".into();
    bad["spec"].as_object_mut().unwrap().remove("selector");
    objects.push(bad);
    let widget = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "namespace": c.namespace}});
    objects.push(widget);
    let report = t.apply(&objects, &masker()).await;
    assert_eq!(report.errors.len(), 2, "{:#?}", report.errors);
    let w = report
        .errors
        .iter()
        .find(|e| e.message.starts_with("Widget/"))
        .unwrap();
    assert!(w.message.contains("discover") && !w.transient, "{w:?}");
    let e = report
        .errors
        .iter()
        .find(|e| e.message.starts_with("Deployment/"))
        .unwrap();
    assert!(
        e.message
            .starts_with(&format!("Deployment/{}/bad: dry-run apply", c.namespace)),
        "{e:?}"
    );
    assert!(e.message.contains("spec.selector") && !e.transient, "{e:?}");
    assert!(d.object("deployments", &c.namespace, "web").is_some());
    assert!(d.object("services", &c.namespace, "web").is_some());
}

#[test]
fn the_target_can_run_on_a_multi_threaded_runtime() {
    fn send<T: Send>(_: &T) {}
    async fn cycle(t: &agent::targets::workloads::K8sTarget, o: &[serde_json::Value]) {
        t.apply(o, &masker()).await;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let client =
        kube::Client::try_from(kube::Config::new("http://127.0.0.1:9".parse().unwrap())).unwrap();
    let t = agent::targets::workloads::K8sTarget::from_client(client, K8sOptions::default());
    let fut = cycle(&t, &[]);
    send(&fut);
}
