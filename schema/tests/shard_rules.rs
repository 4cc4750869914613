//! Host labels and the sharding rules, on the valid lab repo: every host in a shard,
//! an HaCluster's nodes (the balancers' HA pair) in one shard, the control plane in one
//! shard, and what each shard owns (`shards`, `shard_of`, `kube_shard`).

mod common;

use common::*;
use schema::{load_files, Diagnostic};

/// The lab inventory with `shard` labels on gw, ha1, ha2, w1, w2 (in that order).
fn sharded(shards: [&str; 5]) -> String {
    let mut inv = INVENTORY.to_string();
    for (host, shard) in ["gw", "ha1", "ha2", "w1", "w2"].iter().zip(shards) {
        if shard.is_empty() {
            continue;
        }
        let from = format!("    - name: {host}\n");
        let to = format!("{from}      labels: {{shard: {shard}}}\n");
        inv = inv.replacen(&from, &to, 1);
    }
    inv
}

fn with_inventory(inv: &str, extra: &[(&str, &str)]) -> Vec<schema::SourceFile> {
    let mut texts: Vec<(String, Vec<u8>)> = valid_texts()
        .into_iter()
        .filter(|(p, _)| p != "inventory.yaml")
        .collect();
    texts.push(("inventory.yaml".into(), inv.as_bytes().to_vec()));
    for (p, t) in extra {
        texts.push((p.to_string(), t.as_bytes().to_vec()));
    }
    to_files(texts)
}

fn errors(files: &[schema::SourceFile]) -> Vec<Diagnostic> {
    match load_files(files) {
        Ok(_) => vec![],
        Err(d) => d.errors().cloned().collect(),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    position_of(text.as_bytes(), needle, 1).0
}

#[test]
fn a_consistently_sharded_repo_loads_and_says_who_owns_what() {
    let inv = sharded(["edge", "lb", "lb", "edge", "web"]);
    let s = load_files(&with_inventory(&inv, &[])).expect("valid");
    assert_eq!(
        s.shards().into_iter().collect::<Vec<_>>(),
        ["edge", "lb", "web"]
    );
    assert_eq!(s.shard_of("ha2"), Some("lb"));
    assert_eq!(s.shard_of("nope"), None);
    // No control-plane host: no shard owns the Kubernetes API.
    assert_eq!(s.kube_shard(), None);
    let cp = inv.replace(
        "    - name: w2\n",
        "    - name: cp1\n      address: 10.77.0.30\n      roles: [control-plane]\n      labels: {shard: web}\n    - name: w2\n",
    );
    let s = load_files(&with_inventory(&cp, &[])).expect("valid");
    assert_eq!(s.kube_shard(), Some("web"));
}

#[test]
fn once_one_host_has_a_shard_every_host_needs_one() {
    let inv = sharded(["edge", "lb", "lb", "", "web"]);
    let e = errors(&with_inventory(&inv, &[]));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        (e[0].file.as_str(), e[0].line),
        ("inventory.yaml", line_of(&inv, "name: w1"))
    );
    assert!(
        e[0].message.contains("host `w1` has no `shard` label"),
        "{}",
        e[0]
    );
    let hint = e[0].hint.as_deref().unwrap_or_default();
    assert!(
        hint.contains("edge, lb, web") && hint.contains("labels: {shard: NAME}"),
        "{hint}"
    );
}

#[test]
fn the_nodes_of_a_cluster_must_share_a_shard() {
    let inv = sharded(["edge", "lb", "other", "edge", "edge"]);
    let e = errors(&with_inventory(&inv, &[]));
    assert_eq!(e.len(), 1, "{e:?}");
    let ha = valid_texts()
        .into_iter()
        .find(|(p, _)| p == "cluster/lb.yml")
        .map(|(_, t)| String::from_utf8(t).unwrap())
        .unwrap();
    let (line, col) = position_of(ha.as_bytes(), "ha2", 1);
    assert_eq!(
        (e[0].file.as_str(), e[0].line, e[0].column),
        ("cluster/lb.yml", line, col)
    );
    assert!(
        e[0].message
            .contains("node `ha2` is in shard `other`, `ha1` in shard `lb`"),
        "{}",
        e[0]
    );
    // The balancer running on the pair is named: its rollout is one node at a time.
    let hint = e[0].hint.as_deref().unwrap_or_default();
    assert!(
        hint.contains("one CIB") && hint.contains("HA pair of Balancer/"),
        "{hint}"
    );
}

#[test]
fn the_control_plane_lies_in_one_shard() {
    let inv = sharded(["a", "b", "b", "a", "a"]).replace(
        "    - name: w2\n",
        "    - name: cp1\n      address: 10.77.0.30\n      roles: [control-plane]\n      labels: {shard: a}\n    - name: cp2\n      address: 10.77.0.31\n      roles: [control-plane]\n      labels: {shard: b}\n    - name: w2\n",
    );
    let e = errors(&with_inventory(&inv, &[]));
    assert_eq!(e.len(), 1, "{e:?}");
    let (line, _) = position_of(inv.as_bytes(), "shard: b}\n    - name: w2", 1);
    assert_eq!(e[0].line, line, "{}", e[0]);
    assert!(
        e[0].message
            .contains("control-plane host `cp2` is in shard `b`, `cp1` in shard `a`"),
        "{}",
        e[0]
    );
    assert!(e[0]
        .hint
        .as_deref()
        .unwrap_or_default()
        .contains("Kubernetes API"));
}

#[test]
fn labels_follow_the_kubernetes_syntax_and_a_shard_has_a_name() {
    for (labels, word) in [
        ("{-bad: x}", "invalid label key `-bad`"),
        ("{zone: 'a b'}", "invalid label value `a b`"),
        ("{shard: ''}", "empty shard name"),
    ] {
        let inv = INVENTORY.replacen(
            "    - name: gw\n",
            &format!("    - name: gw\n      labels: {labels}\n"),
            1,
        );
        let e = errors(&with_inventory(&inv, &[]));
        assert!(
            e.iter()
                .any(|d| d.message.contains(word) && d.line == line_of(&inv, "labels:")),
            "{labels}: {e:?}"
        );
    }
    // Not a shard: any other valid label is only data.
    let inv = INVENTORY.replacen(
        "    - name: gw\n",
        "    - name: gw\n      labels: {site: lab-a, example.org/rack: r1}\n",
        1,
    );
    let s = load_files(&with_inventory(&inv, &[])).expect("valid");
    assert!(s.shards().is_empty());
    assert_eq!(s.host("gw").unwrap().labels["site"], "lab-a");
}
