//! A CIB `<configuration>` in canonical form (see [`crate::import::semantic`]).
//!
//! Normalised because Pacemaker reads both forms alike: generated ids of attribute
//! sets, nvpairs and operations (the renderer writes pcs-style ids), attribute
//! order, nvpair order inside a set and the set an unconditional nvpair sits in,
//! operation order, `10s` vs `10000ms`, `inf` vs `INFINITY`, and the defaulted
//! order-constraint attributes (the element form is the cluster target's
//! [`canonical`]). `<status>` is state, not configuration: left out.

use crate::import::semantic::Normal;
use crate::targets::cluster::canon::canonical;
use crate::targets::cluster::xml::Elem;

/// The canonical form of a whole CIB (or `<cib-fragment>`-merged CIB).
pub fn normal(root: &Elem, origin: &str) -> Normal {
    let mut out = Normal::default();
    let conf = root.child("configuration").unwrap_or(root);
    for section in &conf.children {
        let s = section.name.as_str();
        match s {
            "crm_config" | "rsc_defaults" | "op_defaults" => {
                nvpair_section(&mut out, section, origin)
            }
            _ => {
                let mut items: Vec<String> = section.children.iter().map(canonical).collect();
                items.sort();
                for i in items {
                    out.push(format!("{s} | {i}"), origin.to_string());
                }
            }
        }
    }
    out.lines.sort_by(|a, b| a.text.cmp(&b.text));
    out
}

/// Unconditional sets flattened to `name=value`; sets with rules or scores kept whole.
fn nvpair_section(out: &mut Normal, section: &Elem, origin: &str) {
    let s = &section.name;
    let mut lines = Vec::new();
    for set in &section.children {
        let conditional =
            set.children.iter().any(|c| c.name != "nvpair") || set.attr("score").is_some();
        if conditional {
            lines.push(format!("{s} | {}", canonical(set)));
            continue;
        }
        for nv in set.all("nvpair") {
            lines.push(format!(
                "{s} | {}={}",
                nv.attr("name").unwrap_or(""),
                nv.attr("value").unwrap_or("")
            ));
        }
    }
    lines.sort();
    for l in lines {
        out.push(l, origin.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(x: &str) -> Vec<String> {
        normal(&Elem::parse(x).unwrap(), "f")
            .lines
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn generated_ids_and_spellings_do_not_count() {
        let a = r#"<cib><configuration><crm_config><cluster_property_set id="a"><nvpair id="x" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
            <resources><primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"><operations><op id="o1" name="monitor" interval="10s"/></operations></primitive></resources>
            <constraints><rsc_order id="o" first="a" then="b"/></constraints></configuration><status/></cib>"#;
        let b = r#"<cib><configuration><crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
            <resources><primitive type="IPaddr2" id="vip" class="ocf" provider="heartbeat"><operations><op id="vip-monitor-interval-10s" name="monitor" interval="10000ms"/></operations></primitive></resources>
            <constraints><rsc_order id="o" first="a" then="b" first-action="start" then-action="start" kind="Mandatory"/></constraints></configuration></cib>"#;
        assert_eq!(texts(a), texts(b));
        let g1 = r#"<cib><configuration><resources><group id="g"><primitive id="a" class="lsb" type="x"/><primitive id="b" class="lsb" type="y"/></group></resources></configuration></cib>"#;
        let g2 = g1.replace(
            r#"<primitive id="a" class="lsb" type="x"/><primitive id="b" class="lsb" type="y"/>"#,
            r#"<primitive id="b" class="lsb" type="y"/><primitive id="a" class="lsb" type="x"/>"#,
        );
        assert_ne!(texts(g1), texts(&g2), "group members start in order");
    }
}
