//! Building the CIB agent wants from the live one.
//!
//! Only owned objects are touched: declared properties/defaults (by name),
//! declared resources and constraints (by id), and — when the policy says so —
//! stray `cli-prefer-*`/`cli-ban-*` constraints. Everything else, including
//! the whole `<status>` section, is kept as it is, so the `crm_diff` between
//! live and desired holds exactly agent's changes. The same function restores a
//! previous state (rollback): the "source" is then the CIB observed before.

use super::cib::ConfigView;
use super::compare::is_stray;
use super::xml::Elem;

/// What agent owns in the CIB.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owned {
    pub properties: Vec<String>,
    pub rsc_defaults: Vec<String>,
    pub op_defaults: Vec<String>,
    pub resources: Vec<String>,
    pub constraints: Vec<String>,
}

impl Owned {
    /// Everything a fragment (or any CIB view) declares.
    pub fn of(view: &ConfigView) -> Owned {
        Owned {
            properties: view.properties.keys().cloned().collect(),
            rsc_defaults: view.rsc_defaults.keys().cloned().collect(),
            op_defaults: view.op_defaults.keys().cloned().collect(),
            resources: view.resources.keys().cloned().collect(),
            constraints: view.constraints.keys().cloned().collect(),
        }
    }
}

/// `live` with every owned object set as in `source` (a `<cib-fragment>` or a CIB),
/// or removed when `source` lacks it; strays removed when `remove_strays`.
/// The result's epoch is one above the live one (the patch then carries a version
/// bump, which the CIB manager requires).
pub fn merge(live: &Elem, source: &Elem, owned: &Owned, remove_strays: bool) -> Elem {
    let mut out = live.clone();
    let src_conf = source.child("configuration").unwrap_or(source);
    let conf = out.child_or_insert("configuration");
    merge_nvpairs(
        conf,
        src_conf,
        "crm_config",
        "cluster_property_set",
        "cib-bootstrap-options",
        &owned.properties,
    );
    merge_nvpairs(
        conf,
        src_conf,
        "rsc_defaults",
        "meta_attributes",
        "rsc_defaults-meta_attributes",
        &owned.rsc_defaults,
    );
    merge_nvpairs(
        conf,
        src_conf,
        "op_defaults",
        "meta_attributes",
        "op_defaults-meta_attributes",
        &owned.op_defaults,
    );
    merge_by_id(conf, src_conf, "resources", &owned.resources);
    merge_by_id(conf, src_conf, "constraints", &owned.constraints);
    if remove_strays {
        if let Some(c) = conf.child_mut("constraints") {
            c.children.retain(|e| !e.id().is_some_and(is_stray));
        }
    }
    let epoch = super::cib::CibVersion::of(live).epoch + 1;
    out.set_attr("epoch", &epoch.to_string());
    out.set_attr("num_updates", "0");
    out
}

fn find_nvpair<'a>(section: Option<&'a Elem>, name: &str) -> Option<&'a Elem> {
    section?
        .children
        .iter()
        .flat_map(|set| set.all("nvpair"))
        .find(|nv| nv.attr("name") == Some(name))
}

fn merge_nvpairs(
    conf: &mut Elem,
    src_conf: &Elem,
    section: &str,
    set_name: &str,
    default_set_id: &str,
    names: &[String],
) {
    let src = src_conf.child(section);
    for name in names {
        let wanted = find_nvpair(src, name);
        let live_section = conf.child_or_insert(section);
        let mut found = false;
        for set in live_section.children.iter_mut() {
            if let Some(i) = set
                .children
                .iter()
                .position(|nv| nv.name == "nvpair" && nv.attr("name") == Some(name.as_str()))
            {
                found = true;
                match wanted.and_then(|w| w.attr("value")) {
                    Some(v) => set.children[i].set_attr("value", v),
                    None => {
                        set.children.remove(i);
                    }
                }
            }
        }
        if found {
            continue;
        }
        let Some(wanted) = wanted else { continue };
        // Into the first set (pcs' habit: `cib-bootstrap-options`), created when missing.
        if !live_section.children.iter().any(|s| s.name == set_name) {
            let mut set = Elem::new(set_name);
            set.set_attr("id", default_set_id);
            live_section.children.push(set);
        }
        let set = live_section
            .children
            .iter_mut()
            .find(|s| s.name == set_name)
            .expect("ensured above");
        let set_id = set.id().unwrap_or(default_set_id).to_string();
        let mut nv = Elem::new("nvpair");
        nv.set_attr("id", wanted.id().unwrap_or(&format!("{set_id}-{name}")));
        nv.set_attr("name", name);
        nv.set_attr("value", wanted.attr("value").unwrap_or(""));
        set.children.push(nv);
    }
}

fn merge_by_id(conf: &mut Elem, src_conf: &Elem, section: &str, ids: &[String]) {
    let src = src_conf.child(section);
    let live = conf.child_or_insert(section);
    for id in ids {
        let wanted = src.and_then(|s| s.children.iter().find(|e| e.id() == Some(id.as_str())));
        let pos = live
            .children
            .iter()
            .position(|e| e.id() == Some(id.as_str()));
        match (pos, wanted) {
            (Some(i), Some(w)) => live.children[i] = w.clone(),
            (Some(i), None) => {
                live.children.remove(i);
            }
            (None, Some(w)) => live.children.push(w.clone()),
            (None, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE: &str = r#"<cib epoch="7" num_updates="3" admin_epoch="0"><configuration>
      <crm_config><cluster_property_set id="cib-bootstrap-options">
        <nvpair id="p1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
      <nodes/><resources><primitive id="other" class="lsb" type="cron"/></resources>
      <constraints><rsc_location id="cli-prefer-vip" rsc="vip" node="ha2" score="INFINITY"/></constraints>
    </configuration><status><node_state id="1"/></status></cib>"#;

    const FRAG: &str = r#"<cib-fragment>
      <crm_config><cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
        <nvpair id="cib-bootstrap-options-no-quorum-policy" name="no-quorum-policy" value="ignore"/>
      </cluster_property_set></crm_config>
      <rsc_defaults><meta_attributes id="rsc_defaults-meta_attributes">
        <nvpair id="rsc_defaults-meta_attributes-resource-stickiness" name="resource-stickiness" value="100"/>
      </meta_attributes></rsc_defaults>
      <resources><primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"/></resources>
      <constraints/></cib-fragment>"#;

    #[test]
    fn sets_owned_objects_and_keeps_the_rest() {
        let live = Elem::parse(LIVE).unwrap();
        let frag = Elem::parse(FRAG).unwrap();
        let owned = Owned::of(&ConfigView::of(&frag));
        let out = merge(&live, &frag, &owned, false);
        let view = ConfigView::of(&out);
        assert_eq!(view.properties["stonith-enabled"], "false");
        assert_eq!(view.properties["no-quorum-policy"], "ignore");
        assert_eq!(view.rsc_defaults["resource-stickiness"], "100");
        assert!(view.resources.contains_key("other") && view.resources.contains_key("vip"));
        assert!(view.constraints.contains_key("cli-prefer-vip"));
        assert_eq!(out.attr("epoch"), Some("8"));
        assert!(out.path("status/node_state").is_some(), "status kept");
        // The existing nvpair keeps its id (a patch then touches only the value).
        let nv = out
            .path("configuration/crm_config/cluster_property_set")
            .unwrap();
        assert_eq!(nv.children[0].id(), Some("p1"));
    }

    #[test]
    fn rollback_removes_what_the_previous_cib_lacked_and_strays_follow_policy() {
        let live = Elem::parse(LIVE).unwrap();
        let frag = Elem::parse(FRAG).unwrap();
        let owned = Owned::of(&ConfigView::of(&frag));
        let applied = merge(&live, &frag, &owned, true);
        assert!(!ConfigView::of(&applied)
            .constraints
            .contains_key("cli-prefer-vip"));
        let restored = merge(&applied, &live, &owned, false);
        let (a, b) = (ConfigView::of(&restored), ConfigView::of(&live));
        assert_eq!(
            (a.properties, a.rsc_defaults),
            (b.properties, b.rsc_defaults)
        );
        assert_eq!(
            a.resources.keys().collect::<Vec<_>>(),
            b.resources.keys().collect::<Vec<_>>()
        );
    }
}
