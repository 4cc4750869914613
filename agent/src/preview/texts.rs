//! A render as comparable texts, keyed the way the change set names objects, so the
//! preview can diff the base's render against the PR's (pure, no host involved).

use crate::rendered::Rendered;
use crate::targets::workloads::order::ObjectRef;
use std::collections::BTreeMap;

/// (target, host, object): the key of a [`crate::plan::Change`].
pub type Key = (String, Option<String>, String);

/// Every artifact of `r` as text: files on hosts by path, Kubernetes objects as
/// `Kind/namespace/name`, each cluster's CIB fragment and each extra target as one
/// whole-target text.
pub fn texts(r: &Rendered) -> BTreeMap<Key, String> {
    let mut out = BTreeMap::new();
    for f in &r.files {
        out.insert(
            (f.target.to_string(), Some(f.host.clone()), f.path.clone()),
            f.content.clone(),
        );
    }
    for o in &r.objects {
        let name = ObjectRef::of(o)
            .map(|r| r.display())
            .unwrap_or_else(|_| "?".into());
        let text = serde_yaml::to_string(o).unwrap_or_default();
        out.insert(("workloads".into(), None, name), text);
    }
    for c in &r.cib {
        out.insert(
            (
                "cluster".into(),
                None,
                format!("CIB fragment {}", c.cluster),
            ),
            pretty_xml(&c.xml),
        );
    }
    for (target, v) in &r.extra {
        let text = serde_yaml::to_string(v).unwrap_or_default();
        out.insert((target.clone(), None, format!("{target} (rendered)")), text);
    }
    out
}

/// One element per line, so a diff of a fragment shows the element that changed.
fn pretty_xml(xml: &str) -> String {
    let mut s = xml.replace("><", ">\n<");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rendered::ManagedFile;

    #[test]
    fn files_are_keyed_like_changes() {
        let r = Rendered {
            files: vec![ManagedFile {
                host: "ha1".into(),
                target: "balancer",
                path: "/etc/haproxy/haproxy.cfg".into(),
                content: "global\n".into(),
                ..Default::default()
            }],
            objects: vec![
                serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}),
            ],
            ..Default::default()
        };
        let t = texts(&r);
        let k = (
            "balancer".to_string(),
            Some("ha1".to_string()),
            "/etc/haproxy/haproxy.cfg".to_string(),
        );
        assert_eq!(t[&k], "global\n");
        assert!(t.contains_key(&("workloads".to_string(), None, "Namespace/web".to_string())));
    }
}
