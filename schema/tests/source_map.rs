//! After loading, every document's origin and value positions point into the repo.

mod common;

use common::*;
use schema::load_files;

#[test]
fn origins_and_value_positions_point_into_the_files() {
    let state = load_files(&valid_repo()).unwrap_or_else(|d| panic!("{d}"));
    let lb = &state.balancers[0];
    assert_eq!(
        (lb.origin.file.as_str(), lb.origin.line, lb.origin.column),
        ("balancer/haproxy.yaml", 1, 1)
    );
    let text = BALANCER.as_bytes();
    let port = state
        .source_map
        .position(&lb.origin, "spec.backends[1].servers[0].port")
        .unwrap();
    assert_eq!((port.line, port.column), position_of(text, "30081", 1));
    let key = state
        .source_map
        .key_position(&lb.origin, "spec.backends[1].servers[0].port")
        .unwrap();
    assert_eq!((key.line, key.column), position_of(text, "port: 30081", 1));
    // A flow mapping's entries are indexed too.
    let role = state
        .source_map
        .position(&lb.origin, "spec.backends[0].serversFrom.role")
        .unwrap();
    assert_eq!((role.line, role.column), position_of(text, "worker", 1));
    // Absent (defaulted) values fall back to the nearest written ancestor.
    let weight = state
        .source_map
        .locate(&lb.origin, "spec.backends[1].servers[0].weight");
    assert_eq!(
        (weight.line, weight.column),
        position_of(text, "name: w1", 1)
    );
    assert_eq!(state.source_map.position(&lb.origin, "spec.nope"), None);
}

#[test]
fn later_documents_of_a_file_have_their_own_origin() {
    let state = load_files(&valid_repo()).unwrap_or_else(|d| panic!("{d}"));
    let cm = &state.manifests[1];
    assert_eq!(cm.kind(), "ConfigMap");
    // Line 5 is `---`; the document's first key is on line 6.
    assert_eq!((cm.origin.line, cm.origin.column), (6, 1));
    let data = state
        .source_map
        .position(&cm.origin, "data.LOG_LEVEL")
        .unwrap();
    assert_eq!(
        (data.file.as_str(), data.line, data.column),
        ("workloads/raw.yaml", 12, 14)
    );
    assert_eq!(state.source_map.documents().count(), 7);
}

#[test]
fn validate_rechecks_a_state_changed_in_memory() {
    let mut state = load_files(&valid_repo()).unwrap_or_else(|d| panic!("{d}"));
    assert!(schema::validate(&state).is_empty());
    let inv = state.inventory.as_mut().unwrap();
    let mut extra = inv.doc.spec.hosts[0].clone();
    extra.address = "10.77.0.30".into();
    inv.doc.spec.hosts.push(extra);
    let d = schema::validate(&state);
    assert_eq!(d.len(), 1, "{d}");
    let e = &d.0[0];
    assert!(e.message.contains("duplicate host name `gw`"), "{e}");
    // The new host was never written: the error points at the nearest written ancestor,
    // the `spec.hosts` list (its first `-`).
    assert_eq!(
        (e.file.as_str(), e.line, e.column),
        ("inventory.yaml", 11, 5)
    );
}
