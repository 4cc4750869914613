//! What each shard's render holds, from a whole render of a sharded repo.

use super::*;
use crate::rendered::state_from;

const INVENTORY: &str = "
apiVersion: agent/v1
kind: Inventory
metadata: {name: t}
spec:
  hosts:
    - {name: gw-a, address: 10.0.1.10, roles: [gateway], labels: {shard: a}}
    - {name: gw-b, address: 10.0.2.10, roles: [gateway], labels: {shard: b}}
    - {name: lb1, address: 10.0.2.11, roles: [balancer], labels: {shard: b}}
    - {name: lb2, address: 10.0.2.12, roles: [balancer], labels: {shard: b}}
    - {name: w1, address: 10.0.1.21, roles: [worker], labels: {shard: a},
       node: {labels: {zone: a}}}
    - {name: w2, address: 10.0.2.21, roles: [worker], labels: {shard: b},
       node: {labels: {zone: b}}}
    - {name: cp, address: 10.0.1.30, roles: [control-plane], labels: {shard: a}}
";

const DOCS: &str = "
apiVersion: agent/v1
kind: Gateway
metadata: {name: front}
spec:
  vhosts: [{serverName: a.example}]
---
apiVersion: agent/v1
kind: Balancer
metadata: {name: lb}
spec: {}
---
apiVersion: agent/v1
kind: HaCluster
metadata: {name: lb}
spec:
  clusterName: lb
  nodes: [lb1, lb2]
---
apiVersion: agent/v1
kind: App
metadata: {name: web, namespace: web}
spec:
  image: nginx:1.27
  containerPort: 80
";

fn prepared(inventory: &str) -> Prepared {
    let state = state_from(&[("inv.yaml", inventory), ("docs.yaml", DOCS)]);
    let rendered = crate::render::render(&state).expect("renders");
    Prepared {
        state,
        rendered,
        warnings: vec![],
        secrets: vec![],
    }
}

fn hosts(r: &Rendered) -> Vec<&str> {
    let mut h: Vec<&str> = r.files.iter().map(|f| f.host.as_str()).collect();
    h.dedup();
    h
}

fn node_hosts(r: &Rendered) -> Vec<String> {
    crate::targets::nodes::render::rendered(r)
        .into_iter()
        .map(|n| n.host)
        .collect()
}

#[test]
fn each_shard_holds_its_hosts_its_clusters_and_the_control_plane_shard_the_api() {
    let p = prepared(INVENTORY);
    let whole = &p.rendered;
    assert_eq!(hosts(whole), ["gw-a", "gw-b", "lb1", "lb2"]);
    assert!(!whole.objects.is_empty() && whole.cib.len() == 1);

    let a = scope(&p.state, whole, "a");
    assert_eq!(hosts(&a), ["gw-a"]);
    assert!(a.cib.is_empty(), "the cluster's nodes are in b");
    assert_eq!(
        a.objects, whole.objects,
        "cp is in a: a owns the Kubernetes API"
    );
    assert_eq!(node_hosts(&a), ["w1"]);
    assert_eq!(a.shard.as_deref(), Some("a"));

    let b = scope(&p.state, whole, "b");
    assert_eq!(hosts(&b), ["gw-b", "lb1", "lb2"]);
    assert_eq!(b.cib, whole.cib);
    assert!(b.objects.is_empty());
    assert_eq!(node_hosts(&b), ["w2"]);

    // Together the shards hold the whole render: nothing is lost, nothing doubled.
    let mut files = a.files.clone();
    files.extend(b.files.clone());
    files.sort_by(|x, y| (&x.host, &x.path).cmp(&(&y.host, &y.path)));
    assert_eq!(files, whole.files);
}

#[test]
fn without_a_control_plane_host_no_shard_owns_the_kubernetes_api() {
    let inv = INVENTORY.replace(
        "    - {name: cp, address: 10.0.1.30, roles: [control-plane], labels: {shard: a}}\n",
        "",
    );
    let p = prepared(&inv);
    assert!(!p.rendered.objects.is_empty());
    for s in ["a", "b"] {
        assert!(scope(&p.state, &p.rendered, s).objects.is_empty(), "{s}");
    }
}

#[test]
fn a_cluster_wide_extra_entry_goes_with_the_kubernetes_api() {
    let p = prepared(INVENTORY);
    let mut r = p.rendered.clone();
    r.extra
        .insert("other".into(), serde_json::json!({"setting": 1}));
    assert!(scope(&p.state, &r, "a").extra.contains_key("other"));
    let b = scope(&p.state, &r, "b");
    assert!(!b.extra.contains_key("other"));
    // An empty per-host part is left out, as the renderers leave out empty entries.
    let p = prepared(&INVENTORY.replace(",\n       node: {labels: {zone: b}}", ""));
    assert!(p.rendered.extra.contains_key("nodes"));
    assert!(!scope(&p.state, &p.rendered, "b")
        .extra
        .contains_key("nodes"));
}

#[test]
fn narrow_refuses_an_unknown_shard_and_an_agent_of_no_shard_is_warned() {
    let e = narrow(prepared(INVENTORY), Some("c")).unwrap_err();
    assert!(
        e.contains("shard `c`") && e.contains("the shards are: a, b"),
        "{e}"
    );
    let plain = INVENTORY
        .replace(", labels: {shard: a}", "")
        .replace(", labels: {shard: b}", "");
    let e = narrow(prepared(&plain), Some("a")).unwrap_err();
    assert!(e.contains("the inventory has no shards"), "{e}");

    let whole = narrow(prepared(INVENTORY), None).unwrap();
    assert_eq!(whole.rendered, prepared(INVENTORY).rendered);
    let w = unsharded_warning(&whole.state, None).expect("a warning");
    assert!(
        w.contains("sharded (a, b)") && w.contains("every host"),
        "{w}"
    );
    assert_eq!(unsharded_warning(&whole.state, Some("a")), None);
    assert_eq!(unsharded_warning(&prepared(&plain).state, None), None);

    let b = narrow(prepared(INVENTORY), Some("b")).unwrap();
    assert_eq!(hosts(&b.rendered), ["gw-b", "lb1", "lb2"]);
}

#[test]
fn the_live_view_of_a_shard_reads_only_its_hosts_and_clusters() {
    let p = prepared(INVENTORY);
    let a = live_state(&p.state, Some("a"));
    let names: Vec<&str> = a.hosts().iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["gw-a", "w1", "cp"]);
    assert!(a.clusters.is_empty());
    let b = live_state(&p.state, Some("b"));
    assert_eq!(b.clusters.len(), 1);
    assert_eq!(b.hosts_with_role(schema::Role::Balancer).count(), 2);
    assert_eq!(*live_state(&p.state, None), p.state);
}
