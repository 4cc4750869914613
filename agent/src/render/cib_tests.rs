use super::*;
use crate::render::{state_from, TEST_INVENTORY};

fn fragment(spec: &str) -> CibFragment {
    let doc = format!("apiVersion: agent/v1\nkind: HaCluster\nmetadata: {{name: c}}\nspec:\n  clusterName: c\n  nodes: [lb1, lb2]\n{spec}");
    let s = state_from(&[("inv.yaml", TEST_INVENTORY), ("c.yaml", &doc)]);
    render(&s.clusters[0])
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
    assert!(f.xml.contains("  <crm_config>\n  </crm_config>\n"));
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
    assert_eq!(esc("it's\n"), "it&apos;s&#10;");
}

#[test]
fn full_cib_holds_nodes_and_every_section() {
    let f = fragment(
        "  properties: {stonith-enabled: 'false'}\n  vip: {ip: 10.0.0.100, cidrNetmask: 24}\n",
    );
    let cib = full_cib(&f);
    assert!(cib.starts_with("<cib validate-with=\"pacemaker-3.0\""));
    assert!(cib.contains("    <nodes>\n      <node id=\"1\" uname=\"lb1\"/>\n      <node id=\"2\" uname=\"lb2\"/>\n    </nodes>\n"));
    assert!(
        cib.contains("    <crm_config>\n    <cluster_property_set id=\"cib-bootstrap-options\">"),
        "{cib}"
    );
    assert!(
        cib.contains("    <resources>\n    <primitive id=\"vip\""),
        "{cib}"
    );
    for s in ["constraints", "rsc_defaults"] {
        assert!(cib.contains(&format!("    <{s}>\n    </{s}>\n")), "{cib}");
    }
    assert!(!cib.contains("cib-fragment"));
}
