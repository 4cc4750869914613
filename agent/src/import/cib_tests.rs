use super::*;
use schema::ResourceClass;

const CIB: &str = r#"<cib validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="o1" name="stonith-enabled" value="true"/>
        <nvpair id="o2" name="dc-version" value="2.1.5"/>
        <nvpair id="o3" name="cluster-name" value="lab"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="ha1"/>
      <node id="2" uname="ha2"/>
    </nodes>
    <resources>
      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="vip-ia">
          <nvpair id="vip-ip" name="ip" value="10.77.0.100"/>
          <nvpair id="vip-mask" name="cidr_netmask" value="24"/>
        </instance_attributes>
        <operations><op id="vip-mon" name="monitor" interval="10s"/></operations>
      </primitive>
      <primitive id="fence-ha1" class="stonith" type="fence_ipmilan">
        <instance_attributes id="f-ia">
          <nvpair id="f-ip" name="ip" value="10.0.9.1"/>
          <nvpair id="f-pw" name="password" value="hunter2"/>
        </instance_attributes>
      </primitive>
      <group id="web">
        <primitive id="haproxy" class="lsb" type="haproxy"/>
      </group>
    </resources>
    <constraints>
      <rsc_colocation id="web-with-vip" rsc="web" with-rsc="vip" score="INFINITY"/>
      <rsc_location id="cli-prefer-vip" rsc="vip" node="ha1" score="INFINITY"/>
      <rsc_location id="loc-fence" rsc="fence-ha1" node="ha2" score="-INFINITY"/>
    </constraints>
  </configuration>
  <status/>
</cib>
"#;

#[test]
fn a_cib_is_typed_raw_or_left_alone_and_means_the_same() {
    let out = import(
        &CibSource {
            host: Some("ha1"),
            path: "cibadmin -Q",
            text: CIB,
            cluster_name: None,
            node_addresses: None,
        },
        "lab",
    );
    let s = &out.spec;
    assert_eq!(s.cluster_name, "lab");
    assert_eq!(s.nodes, ["ha1", "ha2"]);
    assert_eq!(s.properties.keys().collect::<Vec<_>>(), ["stonith-enabled"]);
    assert_eq!(s.vip.as_ref().unwrap().ip, "10.77.0.100");
    assert_eq!(s.resources[0].class, Some(ResourceClass::Stonith));
    assert_eq!(out.secrets, ["spec.resources[0].params.password"]);
    assert_eq!(s.groups[0].id, "web");
    assert_eq!(s.groups[0].members[0].agent.as_deref(), Some("haproxy"));
    assert_eq!(s.constraints.locations[0].id, "loc-fence");
    assert_eq!(
        s.constraints.colocations[0].with_rsc.as_deref(),
        Some("vip"),
        "a colocation of a typed group is typed"
    );
    assert!(s.raw.is_empty(), "{:?}", s.raw);
    let sum = &out.summaries[0];
    assert!(sum
        .items
        .iter()
        .any(|i| i.what.contains("cli-prefer-vip") && i.fate == Fate::Unmanaged));
    let live = Elem::parse(CIB).unwrap();
    assert_eq!(differences(&live, s).unwrap(), Vec::<String>::new());
}

#[test]
fn not_xml_is_an_error_with_a_line() {
    let out = import(
        &CibSource {
            host: None,
            path: "cib.xml",
            text: "<cib>\n<configuration>\n",
            cluster_name: None,
            node_addresses: None,
        },
        "c",
    );
    assert_eq!(out.summaries[0].errors.len(), 1);
    assert!(out.summaries[0].errors[0].message.starts_with("not a CIB"));
}

#[test]
fn operation_defaults_are_typed_and_merge_like_resource_defaults() {
    let cib = CIB.replace(
        "    <nodes>",
        "    <op_defaults>\n      <meta_attributes id=\"op-options\">\n        <nvpair id=\"op-options-timeout\" name=\"timeout\" value=\"240s\"/>\n      </meta_attributes>\n    </op_defaults>\n    <nodes>",
    );
    let src = CibSource {
        host: None,
        path: "cib.xml",
        text: &cib,
        cluster_name: None,
        node_addresses: None,
    };
    let out = import(&src, "lab");
    assert_eq!(out.spec.operation_defaults["timeout"], "240s");
    let live = Elem::parse(&cib).unwrap();
    assert_eq!(differences(&live, &out.spec).unwrap(), Vec::<String>::new());
    // A different value is a difference (the merge writes the declared one).
    let mut spec = out.spec.clone();
    spec.operation_defaults
        .insert("timeout".into(), "60s".into());
    let d = differences(&live, &spec).unwrap();
    assert!(
        d.iter().any(|l| l.contains("op_defaults | timeout=60s")),
        "{d:?}"
    );
}

#[test]
fn a_password_anywhere_in_a_typed_resource_is_a_secret() {
    let cib = CIB.replace(
        "<primitive id=\"haproxy\" class=\"lsb\" type=\"haproxy\"/>",
        "<primitive id=\"haproxy\" class=\"lsb\" type=\"haproxy\"><operations><op id=\"m\" name=\"monitor\" interval=\"10s\"><instance_attributes id=\"mi\"><nvpair id=\"mp\" name=\"check_password\" value=\"s3cret\"/></instance_attributes></op></operations></primitive>",
    );
    let src = CibSource {
        host: None,
        path: "cib.xml",
        text: &cib,
        cluster_name: None,
        node_addresses: None,
    };
    let out = import(&src, "lab");
    assert_eq!(
        out.secrets,
        [
            "spec.resources[0].params.password",
            "spec.groups[0].members[0].ops[0].params.check_password"
        ]
    );
    assert_eq!(out.secret_values, ["hunter2", "s3cret"]);
}

#[test]
fn a_colocation_by_rack_without_influence_is_typed_and_means_the_same() {
    let cib = CIB.replace(
        "<rsc_colocation id=\"web-with-vip\" rsc=\"web\" with-rsc=\"vip\" score=\"INFINITY\"/>",
        "<rsc_colocation id=\"web-with-vip\" rsc=\"web\" with-rsc=\"vip\" score=\"500\" node-attribute=\"rack\" influence=\"false\" rsc-role=\"Started\"/>",
    );
    let src = CibSource {
        host: None,
        path: "cib.xml",
        text: &cib,
        cluster_name: None,
        node_addresses: None,
    };
    let out = import(&src, "lab");
    let c = &out.spec.constraints.colocations[0];
    assert_eq!(
        (
            c.node_attribute.as_deref(),
            c.influence,
            c.rsc_role.as_deref()
        ),
        (Some("rack"), Some(false), Some("Started"))
    );
    let live = Elem::parse(&cib).unwrap();
    assert_eq!(differences(&live, &out.spec).unwrap(), Vec::<String>::new());
    assert!(out.spec.raw.is_empty());
}

#[test]
fn a_legacy_master_is_a_typed_clone_written_back_as_master() {
    let cib = CIB.replace(
        "      <group id=\"web\">",
        "      <master id=\"ms-drbd\"><meta_attributes id=\"ms-m\"><nvpair id=\"ms-m1\" name=\"master-max\" value=\"1\"/></meta_attributes>\n        <primitive id=\"drbd\" class=\"ocf\" provider=\"linbit\" type=\"drbd\"><instance_attributes id=\"d-i\"><nvpair id=\"d-i1\" name=\"drbd_resource\" value=\"r0\"/></instance_attributes></primitive></master>\n      <group id=\"web\">",
    );
    let src = CibSource {
        host: None,
        path: "cib.xml",
        text: &cib,
        cluster_name: None,
        node_addresses: None,
    };
    let out = import(&src, "lab");
    let c = &out.spec.clones[0];
    assert!(c.master);
    assert_eq!(c.resource.as_ref().unwrap().params["drbd_resource"], "r0");
    let live = Elem::parse(&cib).unwrap();
    assert_eq!(differences(&live, &out.spec).unwrap(), Vec::<String>::new());
    assert!(out.spec.raw.is_empty(), "{:?}", out.spec.raw);
}
