use super::*;
use crate::rendered::state_from;

const APP: &str = "apiVersion: agent/v1
kind: App
metadata: {name: kc, namespace: auth, labels: {team: id}}
spec:
  image: kc:1
  replicas: 2
  containerPort: 8080
  env:
    - {name: A, value: '1'}
    - name: B
      secretKeyRef: {name: s, key: k}
    - name: C
      configMapKeyRef: {name: cm, key: k}
  service: {type: NodePort, nodePort: 30081}
  spreadAcrossNodes: true
";

#[test]
fn objects_come_in_apply_order_keeping_repo_order_within_a_group() {
    let raw = "apiVersion: v1\nkind: Service\nmetadata: {name: s1}\n---\n\
               apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\n---\n\
               apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c1}\n---\n\
               apiVersion: v1\nkind: Namespace\nmetadata: {name: auth}\n---\n\
               apiVersion: v1\nkind: Secret\nmetadata: {name: c2}\n";
    let s = state_from(&[("workloads/raw.yaml", raw), ("workloads/app.yaml", APP)]);
    let got: Vec<String> = render(&s)
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "Namespace/auth",
            "ConfigMap/c1",
            "Secret/c2",
            "Deployment/kc",
            "Service/s1",
            "Service/kc",
            "NetworkPolicy/np"
        ]
    );
}

#[test]
fn raw_manifests_keep_their_labels_and_gain_the_ownership_label() {
    let raw =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {a: b}}\ndata: {x: y}\n";
    let s = state_from(&[("workloads/c.yaml", raw)]);
    let o = &render(&s)[0];
    assert_eq!(
        o["metadata"]["labels"],
        serde_json::json!({"a": "b", MANAGED_BY: "agent"})
    );
    assert_eq!(o["data"]["x"], "y");
}

#[test]
fn app_renders_spread_deployment_and_node_port_service() {
    let s = state_from(&[("workloads/app.yaml", APP)]);
    let objs = render_app(&s.apps[0]);
    let (d, svc) = (&objs[0], &objs[1]);
    assert_eq!(d["metadata"]["namespace"], "auth");
    assert_eq!(d["metadata"]["labels"]["team"], "id");
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(
        d["spec"]["selector"]["matchLabels"],
        serde_json::json!({NAME_LABEL: "kc"})
    );
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(
        pod["topologySpreadConstraints"][0]["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(pod["topologySpreadConstraints"][0]["maxSkew"], 1);
    assert_eq!(
        pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
            ["podAffinityTerm"]["topologyKey"],
        "kubernetes.io/hostname"
    );
    let env = &pod["containers"][0]["env"];
    assert_eq!(env[0], serde_json::json!({"name": "A", "value": "1"}));
    assert_eq!(
        env[1]["valueFrom"]["secretKeyRef"],
        serde_json::json!({"name": "s", "key": "k"})
    );
    assert_eq!(env[2]["valueFrom"]["configMapKeyRef"]["name"], "cm");
    assert_eq!(svc["spec"]["type"], "NodePort");
    // Service port defaults to the container port.
    assert_eq!(svc["spec"]["ports"][0]["port"], 8080);
    assert_eq!(svc["spec"]["ports"][0]["nodePort"], 30081);
    assert_eq!(
        svc["spec"]["selector"],
        d["spec"]["selector"]["matchLabels"]
    );
}

#[test]
fn minimal_app_is_one_unspread_deployment_in_default() {
    let app = "apiVersion: agent/v1\nkind: App\nmetadata: {name: m}\nspec: {image: m:1, containerPort: 80}\n";
    let s = state_from(&[("workloads/m.yaml", app)]);
    let objs = render_app(&s.apps[0]);
    assert_eq!(objs.len(), 1);
    assert_eq!(objs[0]["metadata"]["namespace"], "default");
    assert_eq!(objs[0]["spec"]["replicas"], 1);
    let pod = objs[0]["spec"]["template"]["spec"].as_object().unwrap();
    assert_eq!(pod.keys().collect::<Vec<_>>(), ["containers"]);
}
