use super::*;
use crate::rendered::{state_from, TEST_INVENTORY};

fn fragment(spec: &str) -> CibFragment {
    let doc = format!("apiVersion: agent/v1\nkind: HaCluster\nmetadata: {{name: c}}\nspec:\n  clusterName: c\n  nodes: [lb1, lb2]\n{spec}");
    let s = state_from(&[("inv.yaml", TEST_INVENTORY), ("c.yaml", &doc)]);
    render(&s.clusters[0]).unwrap()
}

#[test]
fn vip_follows_pcs_naming() {
    let f = fragment("  vip: {ip: 10.0.0.100, cidrNetmask: 24}\n");
    assert!(f
        .xml
        .contains("<primitive id=\"vip\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">"));
    assert!(f
        .xml
        .contains("<nvpair id=\"vip-instance_attributes-ip\" name=\"ip\" value=\"10.0.0.100\"/>"));
    assert!(f
        .xml
        .contains("<op id=\"vip-monitor-interval-10s\" name=\"monitor\" interval=\"10s\"/>"));
    assert!(
        !f.xml.contains("nic"),
        "no nic: IPaddr2 finds the interface"
    );
    assert_eq!(f.ids, ["vip"]);
    // Nothing declared, nothing owned: the sets stay empty.
    assert!(!f.xml.contains("cluster_property_set"));
    assert!(f.xml.contains("  <crm_config/>\n"), "{}", f.xml);
}

#[test]
fn every_declared_id_is_owned_and_sorted() {
    let f = fragment(
        "  properties: {stonith-enabled: 'false'}
  resourceDefaults: {resource-stickiness: '100'}
  resources:
    - id: svc
      class: systemd
      provider: ignored-for-systemd
      type: haproxy
      params: {config: /etc/x}
      meta: {target-role: Started}
      ops: [{name: start, interval: 0s, timeout: 30s}]
  constraints:
    colocations: [{id: col, rsc: svc, withRsc: svc, score: INFINITY}]
    orders: [{id: ord, first: svc, then: svc}]
    locations: [{id: loc, rsc: svc, node: lb1, score: '50'}]
",
    );
    assert_eq!(
        f.ids,
        [
            "cib-bootstrap-options-stonith-enabled",
            "col",
            "loc",
            "ord",
            "rsc_defaults-meta_attributes-resource-stickiness",
            "svc"
        ]
    );
    assert!(
        f.xml
            .contains("<primitive id=\"svc\" class=\"systemd\" type=\"haproxy\">"),
        "{}",
        f.xml
    );
    assert!(f.xml.contains("<meta_attributes id=\"svc-meta_attributes\">\n        <nvpair id=\"svc-meta_attributes-target-role\""));
    assert!(f.xml.contains(
        "<op id=\"svc-start-interval-0s\" name=\"start\" interval=\"0s\" timeout=\"30s\"/>"
    ));
    // No kind given: Pacemaker's default (Mandatory), attribute left out as pcs does.
    assert!(f.xml.contains("<rsc_order id=\"ord\" first=\"svc\" then=\"svc\" first-action=\"start\" then-action=\"start\"/>"));
    assert!(f
        .xml
        .contains("<rsc_location id=\"loc\" rsc=\"svc\" node=\"lb1\" score=\"50\"/>"));
}

#[test]
fn values_are_xml_escaped() {
    let f = fragment("  properties: {cluster-name: 'a<b & \"c\"'}\n");
    assert!(
        f.xml.contains("value=\"a&lt;b &amp; &quot;c&quot;\""),
        "{}",
        f.xml
    );
    let back = Elem::parse(&f.xml).unwrap();
    let nv = back.path("crm_config/cluster_property_set/nvpair").unwrap();
    assert_eq!(
        nv.attr("value"),
        Some("a<b & \"c\""),
        "one escaper, round trip"
    );
}

#[test]
fn full_cib_holds_nodes_and_every_section() {
    let f = fragment(
        "  properties: {stonith-enabled: 'false'}\n  vip: {ip: 10.0.0.100, cidrNetmask: 24}\n",
    );
    let cib = Elem::parse(&full_cib(&f).unwrap()).unwrap();
    assert_eq!(cib.name, "cib");
    assert_eq!(cib.attr("validate-with"), Some("pacemaker-3.0"));
    let config = cib.child("configuration").unwrap();
    let names: Vec<&str> = config.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "crm_config",
            "nodes",
            "resources",
            "constraints",
            "rsc_defaults"
        ]
    );
    let nodes: Vec<_> = config
        .child("nodes")
        .unwrap()
        .all("node")
        .map(|n| n.attr("uname").unwrap())
        .collect();
    assert_eq!(nodes, ["lb1", "lb2"]);
    assert!(config.path("crm_config/cluster_property_set").is_some());
    assert_eq!(
        config.path("resources/primitive").unwrap().id(),
        Some("vip")
    );
    assert!(cib.child("status").is_some());
    assert!(full_cib(&CibFragment {
        xml: "<not".into(),
        ..f
    })
    .is_err());
}

#[test]
fn containers_rules_sets_and_tickets_render_as_pacemaker_reads_them() {
    let f = fragment(
        "  clones:
    - id: db-clone
      meta: {promotable: 'true'}
      group:
        id: db
        members:
          - {id: db1, class: ocf, provider: pacemaker, type: Stateful, ops: [{name: monitor, interval: 10s, role: Promoted, onFail: block, params: {OCF_CHECK_LEVEL: '10'}}]}
  bundles:
    - id: web
      container: {runtime: podman, image: 'img:1', replicas: 2}
      network: {controlPort: 3121, portMappings: [{port: 80}]}
      storage: [{sourceDir: /srv, targetDir: /srv, options: ro}]
  constraints:
    locations:
      - id: db-where
        rsc: db-clone
        rules: [{score: '100', role: Promoted, expressions: [{attribute: disk, operation: eq, value: ssd}, {date: {operation: date_spec, spec: {hours: 9-16}}}]}]
    colocations:
      - {id: together, score: INFINITY, sets: [{resources: [web, db-clone], sequential: false}]}
    tickets:
      - {id: t, ticket: site-a, rsc: db-clone, lossPolicy: demote}
",
    );
    for piece in [
        "<clone id=\"db-clone\"><meta_attributes id=\"db-clone-meta_attributes\">",
        "<group id=\"db\"><primitive id=\"db1\" class=\"ocf\" provider=\"pacemaker\" type=\"Stateful\">",
        "<op id=\"db1-monitor-interval-10s\" name=\"monitor\" interval=\"10s\" role=\"Promoted\" on-fail=\"block\">",
        "<nvpair id=\"db1-monitor-interval-10s-instance_attributes-OCF_CHECK_LEVEL\" name=\"OCF_CHECK_LEVEL\" value=\"10\"/>",
        "<podman image=\"img:1\" replicas=\"2\"/>",
        "<port-mapping id=\"web-port-map-80\" port=\"80\"/>",
        "<storage-mapping id=\"web-storage-map\" source-dir=\"/srv\" target-dir=\"/srv\" options=\"ro\"/>",
        "<rule id=\"db-where-rule\" score=\"100\" role=\"Promoted\">",
        "<expression id=\"db-where-rule-expr\" attribute=\"disk\" operation=\"eq\" value=\"ssd\"/>",
        "<date_spec id=\"db-where-rule-expr-1-datespec\" hours=\"9-16\"/>",
        "<resource_set id=\"together_set\" sequential=\"false\"><resource_ref id=\"web\"/><resource_ref id=\"db-clone\"/>",
        "<rsc_ticket id=\"t\" ticket=\"site-a\" rsc=\"db-clone\" loss-policy=\"demote\"/>",
    ] {
        // Compared without the indentation between elements.
        let flat: String = f.xml.lines().map(str::trim).collect();
        assert!(flat.contains(piece), "{piece}\n{}", f.xml);
    }
    assert_eq!(f.ids, ["db-clone", "db-where", "t", "together", "web"]);
}
