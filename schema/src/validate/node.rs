//! Checks of a host's `node:` registration: Kubernetes label keys and values,
//! taint keys and values, a Node name, and only on workers.

use super::cx::Cx;
use super::net;
use crate::model::{Host, Origin, Role};

/// A label (or taint) key: an optional DNS-subdomain prefix and `/`, then a name of
/// at most 63 characters — alphanumerics with `-`, `_` and `.` inside.
pub fn is_label_key(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| p.len() <= 253 && net::is_hostname(p));
    prefix_ok && !name.is_empty() && is_label_value(name)
}

/// A label value: empty, or at most 63 alphanumerics with `-`, `_`, `.` inside.
pub fn is_label_value(v: &str) -> bool {
    let b = v.as_bytes();
    v.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
        && b.first().is_none_or(u8::is_ascii_alphanumeric)
        && b.last().is_none_or(u8::is_ascii_alphanumeric)
}

pub(super) fn check(cx: &mut Cx, doc: &Origin, i: usize, h: &Host) {
    let Some(node) = &h.node else { return };
    let at = |f: &str| format!("spec.hosts[{i}].node.{f}");
    if !h.roles.contains(&Role::Worker) {
        let hint = "add `worker` to the host's roles, or remove `node:`".to_string();
        cx.error(
            doc,
            &format!("spec.hosts[{i}].node"),
            format!("`{}` has a Node registration but is not a worker", h.name),
            Some(hint),
        );
    }
    if let Some(n) = &node.name {
        if !net::is_hostname(n) || n.chars().any(|c| c.is_ascii_uppercase()) {
            let hint = "a lower-case DNS name, like `w1` or `w1.lab`".to_string();
            cx.error(
                doc,
                &at("name"),
                format!("invalid Node name `{n}`"),
                Some(hint),
            );
        }
    }
    for (k, v) in &node.labels {
        if !is_label_key(k) {
            let hint =
                "`name` or `prefix/name`: letters, digits, `-`, `_`, `.`; 63 at most".to_string();
            cx.error(
                doc,
                &at(&format!("labels.{k}")),
                format!("invalid label key `{k}`"),
                Some(hint),
            );
        } else if !is_label_value(v) {
            let hint = "63 characters at most: letters, digits, `-`, `_`, `.`, alphanumeric at both ends (quote it if YAML reads it as a number)".to_string();
            cx.error(
                doc,
                &at(&format!("labels.{k}")),
                format!("invalid label value `{v}`"),
                Some(hint),
            );
        }
    }
    for (j, t) in node.taints.iter().enumerate() {
        if !is_label_key(&t.key) {
            let hint = "like a label key: `dedicated` or `example.org/dedicated`".to_string();
            cx.error(
                doc,
                &at(&format!("taints[{j}].key")),
                format!("invalid taint key `{}`", t.key),
                Some(hint),
            );
        }
        if let Some(v) = t.value.as_deref().filter(|v| !is_label_value(v)) {
            let hint = "like a label value: 63 characters at most".to_string();
            cx.error(
                doc,
                &at(&format!("taints[{j}].value")),
                format!("invalid taint value `{v}`"),
                Some(hint),
            );
        }
        let twin = node.taints[..j]
            .iter()
            .any(|o| o.key == t.key && o.effect == t.effect);
        if twin {
            let hint = "one taint per key and effect".to_string();
            cx.error(
                doc,
                &at(&format!("taints[{j}]")),
                format!("duplicate taint `{}:{}`", t.key, t.effect.as_str()),
                Some(hint),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_and_values_follow_kubernetes() {
        assert!(is_label_key("zone") && is_label_key("node-role.kubernetes.io/web"));
        assert!(!is_label_key("-zone") && !is_label_key("a/b/") && !is_label_key(""));
        assert!(!is_label_key(&"x".repeat(64)));
        assert!(is_label_value("") && is_label_value("eu-1") && !is_label_value("a b"));
        assert!(!is_label_value("x-") && !is_label_value(&"y".repeat(64)));
    }
}
