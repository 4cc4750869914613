//! Reading a CIB (or a rendered `<cib-fragment>`) into a normalised view.
//!
//! Normalisation removes what Pacemaker and pcs spell differently without a
//! difference in meaning: generated ids of nvpairs/ops/sets, attribute order,
//! `10s` vs `10000ms` intervals, `inf` vs `INFINITY` scores, defaulted order
//! actions. Two elements compare equal exactly when their normalised views do.

use super::xml::Elem;
use std::collections::BTreeMap;

/// The `(admin_epoch, epoch, num_updates)` triple Pacemaker orders CIB versions by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct CibVersion {
    pub admin_epoch: u64,
    pub epoch: u64,
    pub num_updates: u64,
}

impl CibVersion {
    pub fn of(root: &Elem) -> CibVersion {
        let n = |k: &str| root.attr(k).and_then(|v| v.parse().ok()).unwrap_or(0);
        CibVersion {
            admin_epoch: n("admin_epoch"),
            epoch: n("epoch"),
            num_updates: n("num_updates"),
        }
    }
}

impl std::fmt::Display for CibVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}.{}",
            self.admin_epoch, self.epoch, self.num_updates
        )
    }
}

/// The configuration sections agent compares, keyed the way Git declares them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigView {
    /// `crm_config` nvpairs by name (all cluster property sets).
    pub properties: BTreeMap<String, String>,
    /// `rsc_defaults` meta attribute nvpairs by name.
    pub rsc_defaults: BTreeMap<String, String>,
    /// `op_defaults` meta attribute nvpairs by name.
    pub op_defaults: BTreeMap<String, String>,
    /// Top-level resources (primitive, group, clone...) by id.
    pub resources: BTreeMap<String, Elem>,
    /// Constraints by id.
    pub constraints: BTreeMap<String, Elem>,
}

impl ConfigView {
    /// Reads a full CIB (`<cib><configuration>…`) or a `<cib-fragment>`.
    pub fn of(root: &Elem) -> ConfigView {
        let conf = root.child("configuration").unwrap_or(root);
        let nvpairs = |section: &str| -> BTreeMap<String, String> {
            conf.child(section)
                .into_iter()
                .flat_map(|s| s.children.iter())
                .flat_map(|set| set.all("nvpair"))
                .filter_map(|nv| Some((nv.attr("name")?.into(), nv.attr("value")?.into())))
                .collect()
        };
        let by_id = |section: &str| -> BTreeMap<String, Elem> {
            conf.child(section)
                .into_iter()
                .flat_map(|s| s.children.iter())
                .filter_map(|e| Some((e.id()?.to_string(), e.clone())))
                .collect()
        };
        ConfigView {
            properties: nvpairs("crm_config"),
            rsc_defaults: nvpairs("rsc_defaults"),
            op_defaults: nvpairs("op_defaults"),
            resources: by_id("resources"),
            constraints: by_id("constraints"),
        }
    }
}

/// Node names of a CIB's `<nodes>` section.
pub fn node_names(root: &Elem) -> Vec<String> {
    root.path("configuration/nodes")
        .into_iter()
        .flat_map(|n| n.all("node"))
        .filter_map(|n| n.attr("uname").map(str::to_string))
        .collect()
}

/// A primitive resource as compared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Primitive {
    /// `ocf:heartbeat:IPaddr2`, `lsb:haproxy` (or the element name for groups/clones).
    pub agent: String,
    pub params: BTreeMap<String, String>,
    pub meta: BTreeMap<String, String>,
    pub ops: Vec<Op>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub name: String,
    /// As written (for messages).
    pub interval: String,
    /// Milliseconds when parseable (for comparing).
    pub interval_ms: Option<u64>,
    /// Other attributes (timeout, role, on-fail...), ids excluded.
    pub attrs: BTreeMap<String, String>,
}

impl Op {
    pub fn same_interval(&self, other: &Op) -> bool {
        match (self.interval_ms, other.interval_ms) {
            (Some(a), Some(b)) => a == b,
            _ => self.interval == other.interval,
        }
    }
}

/// `class:provider:type` of a primitive element (`class:type` without provider).
pub fn agent_of(e: &Elem) -> String {
    let parts = [e.attr("class"), e.attr("provider"), e.attr("type")];
    parts.into_iter().flatten().collect::<Vec<_>>().join(":")
}

impl Primitive {
    pub fn of(e: &Elem) -> Primitive {
        let nv = |section: &str| -> BTreeMap<String, String> {
            e.all(section)
                .flat_map(|s| s.all("nvpair"))
                .filter_map(|nv| Some((nv.attr("name")?.into(), nv.attr("value")?.into())))
                .collect()
        };
        let ops = e
            .child("operations")
            .into_iter()
            .flat_map(|o| o.all("op"))
            .map(|op| {
                let interval = op.attr("interval").unwrap_or("0").to_string();
                Op {
                    name: op.attr("name").unwrap_or("").to_string(),
                    interval_ms: interval_ms(&interval),
                    interval,
                    attrs: op
                        .attrs
                        .iter()
                        .filter(|(k, _)| !matches!(k.as_str(), "id" | "name" | "interval"))
                        .cloned()
                        .collect(),
                }
            })
            .collect();
        let agent = if e.name == "primitive" {
            agent_of(e)
        } else {
            e.name.clone()
        };
        Primitive {
            agent,
            params: nv("instance_attributes"),
            meta: nv("meta_attributes"),
            ops,
        }
    }
}

/// Pacemaker interval/timeout text to milliseconds: `10` and `10s` are 10 s;
/// `ms`, `m`/`min`, `h` suffixes and ISO 8601 `PT…` durations as Pacemaker reads them.
pub fn interval_ms(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(iso) = t.strip_prefix("PT").or_else(|| t.strip_prefix("pt")) {
        let mut total = 0u64;
        let mut num = String::new();
        for c in iso.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let n: u64 = num.parse().ok()?;
            num.clear();
            total += n * match c.to_ascii_uppercase() {
                'H' => 3_600_000,
                'M' => 60_000,
                'S' => 1000,
                _ => return None,
            };
        }
        return num.is_empty().then_some(total);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..split].parse().ok()?;
    let factor = match t[split..].trim() {
        "" | "s" | "sec" => 1000,
        "ms" | "msec" => 1,
        "m" | "min" => 60_000,
        "h" | "hr" => 3_600_000,
        "us" | "usec" => return Some(n / 1000),
        _ => return None,
    };
    Some(n * factor)
}

/// A score as Pacemaker reads it: `inf`, `+INFINITY` → `INFINITY`.
pub fn normal_score(s: &str) -> String {
    match s.trim().to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => "INFINITY".into(),
        "-inf" | "-infinity" => "-INFINITY".into(),
        other => other.trim_start_matches('+').to_string(),
    }
}

/// A constraint's meaning: attributes without `id`, with defaults filled in, and any
/// nested rules/sets as XML with their generated ids removed.
pub fn constraint_view(e: &Elem) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> =
        e.attrs.iter().filter(|(k, _)| k != "id").cloned().collect();
    if let Some(score) = m.get_mut("score") {
        *score = normal_score(score);
    }
    if e.name == "rsc_order" {
        m.entry("kind".into()).or_insert_with(|| "Mandatory".into());
        let first = m
            .entry("first-action".into())
            .or_insert_with(|| "start".into())
            .clone();
        m.entry("then-action".into()).or_insert(first);
    }
    for (i, child) in e.children.iter().enumerate() {
        m.insert(format!("<{i}>"), strip_ids(child).to_xml());
    }
    m.insert("<element>".into(), e.name.clone());
    m
}

/// Without generated ids; a `resource_ref`'s id is the resource it names: kept.
fn strip_ids(e: &Elem) -> Elem {
    let mut c = e.clone();
    if e.name != "resource_ref" {
        c.attrs.retain(|(k, _)| k != "id");
    }
    c.children = e.children.iter().map(strip_ids).collect();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_in_every_spelling() {
        for (t, ms) in [
            ("10", 10_000),
            ("10s", 10_000),
            ("10000ms", 10_000),
            ("1min", 60_000),
            ("PT1M10S", 70_000),
            ("0", 0),
        ] {
            assert_eq!(interval_ms(t), Some(ms), "{t}");
        }
        assert_eq!(interval_ms("ten"), None);
    }

    #[test]
    fn order_defaults_and_scores_normalise() {
        let a = Elem::parse(r#"<rsc_order id="o1" first="vip" then="haproxy"/>"#).unwrap();
        let b = Elem::parse(
            r#"<rsc_order id="o2" first="vip" first-action="start" then="haproxy" then-action="start" kind="Mandatory"/>"#,
        )
        .unwrap();
        assert_eq!(constraint_view(&a), constraint_view(&b));
        let c =
            Elem::parse(r#"<rsc_colocation id="c" rsc="a" with-rsc="b" score="inf"/>"#).unwrap();
        assert_eq!(constraint_view(&c)["score"], "INFINITY");
    }

    #[test]
    fn a_set_member_is_meaning_and_a_set_id_is_not() {
        let a = Elem::parse(r#"<rsc_colocation id="c" score="INFINITY"><resource_set id="s1"><resource_ref id="a"/><resource_ref id="b"/></resource_set></rsc_colocation>"#).unwrap();
        let b = Elem::parse(r#"<rsc_colocation id="c" score="INFINITY"><resource_set id="c_set"><resource_ref id="a"/><resource_ref id="b"/></resource_set></rsc_colocation>"#).unwrap();
        let c = Elem::parse(r#"<rsc_colocation id="c" score="INFINITY"><resource_set id="s1"><resource_ref id="a"/><resource_ref id="z"/></resource_set></rsc_colocation>"#).unwrap();
        assert_eq!(constraint_view(&a), constraint_view(&b));
        assert_ne!(constraint_view(&a), constraint_view(&c));
    }

    #[test]
    fn primitive_ignores_generated_ids() {
        let a = Elem::parse(r#"<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
            <instance_attributes id="x"><nvpair id="x1" name="ip" value="10.0.0.1"/></instance_attributes>
            <operations><op id="o" name="monitor" interval="10s"/></operations></primitive>"#).unwrap();
        let b = Elem::parse(r#"<primitive type="IPaddr2" id="vip" class="ocf" provider="heartbeat">
            <instance_attributes id="y"><nvpair id="y1" name="ip" value="10.0.0.1"/></instance_attributes>
            <operations><op id="p" name="monitor" interval="10s"/></operations></primitive>"#).unwrap();
        let (pa, pb) = (Primitive::of(&a), Primitive::of(&b));
        assert_eq!(pa.agent, "ocf:heartbeat:IPaddr2");
        assert_eq!(pa, pb);
    }
}
