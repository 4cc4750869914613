//! HaCluster resource checks: every primitive, template, group, clone and bundle
//! (class and agent, templates named, operations, containers), and the CIB ids
//! they declare.

use super::cx::Cx;
use crate::load::hints::closest;
use crate::model::*;
use std::net::IpAddr;

/// Roles Pacemaker knows (the old names too).
pub const ROLES: &[&str] = &[
    "Started",
    "Stopped",
    "Promoted",
    "Unpromoted",
    "Master",
    "Slave",
];
pub const ON_FAIL: &[&str] = &[
    "ignore", "block", "stop", "restart", "fence", "standby", "demote",
];
pub const REQUIRES: &[&str] = &["nothing", "quorum", "fencing", "unfencing"];

/// Ids of bundle port and storage mappings (declared or defaulted).
pub(super) fn mapping_ids(spec: &HaClusterSpec) -> Vec<(String, String)> {
    let mut ids = Vec::new();
    for (i, b) in spec.bundles.iter().enumerate() {
        let ports = b.network.iter().flat_map(|n| n.port_mappings.iter());
        for (j, m) in ports.enumerate() {
            let id = m.id.clone().unwrap_or_else(|| port_mapping_id(&b.id, m));
            ids.push((format!("spec.bundles[{i}].network.portMappings[{j}]"), id));
        }
        for (j, m) in b.storage.iter().enumerate() {
            let id = m.id.clone().unwrap_or_else(|| storage_mapping_id(&b.id, j));
            ids.push((format!("spec.bundles[{i}].storage[{j}]"), id));
        }
    }
    ids
}

pub(super) fn one_of(cx: &mut Cx, doc: &Origin, at: &str, set: &[&str], value: &str, what: &str) {
    if !set.contains(&value) {
        let hint = format!("one of {}", set.join(", "));
        cx.error(doc, at, format!("unknown {what} `{value}`"), Some(hint));
    }
}

pub(super) fn check(cx: &mut Cx, doc: &Origin, spec: &HaClusterSpec) {
    let templates: Vec<&str> = spec.templates.iter().map(|t| t.id.as_str()).collect();
    for (at, r) in spec.primitives() {
        primitive(cx, doc, &at, r, Some(&templates));
    }
    for (i, t) in spec.templates.iter().enumerate() {
        primitive(cx, doc, &format!("spec.templates[{i}]"), t, None);
    }
    for (i, g) in spec.groups.iter().enumerate() {
        group(cx, doc, &format!("spec.groups[{i}]"), g);
    }
    for (i, c) in spec.clones.iter().enumerate() {
        let at = format!("spec.clones[{i}]");
        match (&c.resource, &c.group) {
            (Some(_), Some(_)) | (None, None) => {
                let hint = "a clone holds one `resource:` or one `group:`".to_string();
                let msg = format!(
                    "clone `{}` needs exactly one of `resource` and `group`",
                    c.id
                );
                cx.error(doc, &at, msg, Some(hint));
            }
            (None, Some(g)) => group(cx, doc, &format!("{at}.group"), g),
            _ => {}
        }
    }
    for (i, b) in spec.bundles.iter().enumerate() {
        bundle(cx, doc, &format!("spec.bundles[{i}]"), b);
    }
}

fn group(cx: &mut Cx, doc: &Origin, at: &str, g: &Group) {
    if g.members.is_empty() {
        let hint = "list the group's primitives under `members:`".to_string();
        let msg = format!("group `{}` has no members", g.id);
        cx.error(doc, &format!("{at}.members"), msg, Some(hint));
    }
}

/// `templates`: the ids a primitive may name; `None` when `r` is itself a template.
fn primitive(cx: &mut Cx, doc: &Origin, at: &str, r: &Resource, templates: Option<&[&str]>) {
    match (&r.template, templates) {
        (Some(_), None) => {
            let hint = "remove `template`: a template cannot name another".to_string();
            let msg = format!("template `{}` names a template", r.id);
            cx.error(doc, &format!("{at}.template"), msg, Some(hint));
        }
        (Some(t), Some(known)) => {
            if !known.contains(&t.as_str()) {
                let hint = match closest(t, known.iter().copied()) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => "declare it under `templates:`".to_string(),
                };
                let msg = format!("template `{t}` is not declared in this cluster");
                cx.error(doc, &format!("{at}.template"), msg, Some(hint));
            }
            if r.class.is_some() || r.agent.is_some() || r.provider.is_some() {
                let hint = "remove `class`, `provider` and `type`: the template gives them";
                let msg = format!(
                    "resource `{}` has both a template and a class or type",
                    r.id
                );
                cx.error(doc, &format!("{at}.template"), msg, Some(hint.into()));
            }
        }
        (None, _) => agent(cx, doc, at, r),
    }
    for (j, op) in r.ops.iter().enumerate() {
        let at = format!("{at}.ops[{j}]");
        cx.duration(doc, &format!("{at}.interval"), &op.interval, true);
        for (k, v) in [("timeout", &op.timeout), ("startDelay", &op.start_delay)] {
            if let Some(v) = v {
                cx.duration(doc, &format!("{at}.{k}"), v, true);
            }
        }
        if let Some(role) = &op.role {
            one_of(cx, doc, &format!("{at}.role"), ROLES, role, "role");
        }
        if let Some(f) = &op.on_fail {
            one_of(cx, doc, &format!("{at}.onFail"), ON_FAIL, f, "onFail");
        }
        if let Some(q) = &op.requires {
            one_of(cx, doc, &format!("{at}.requires"), REQUIRES, q, "requires");
        }
        let same = r.ops[..j]
            .iter()
            .any(|o| o.name == op.name && o.interval == op.interval && o.role == op.role);
        if same {
            let hint = "each operation needs its own name and interval".to_string();
            let msg = format!(
                "operation {} interval {} of `{}` is declared twice",
                op.name, op.interval, r.id
            );
            cx.error(doc, &format!("{at}.interval"), msg, Some(hint));
        }
    }
}

fn agent(cx: &mut Cx, doc: &Origin, at: &str, r: &Resource) {
    let Some(class) = r.class else {
        let hint = "add `class:` (ocf, lsb, systemd, service, stonith...) or `template:`";
        cx.error(
            doc,
            at,
            format!("resource `{}` has no class", r.id),
            Some(hint.into()),
        );
        return;
    };
    if r.agent.as_deref().is_none_or(str::is_empty) {
        let hint = "add `type:`, the agent's name (`IPaddr2`, `haproxy`...)".to_string();
        cx.error(
            doc,
            at,
            format!("resource `{}` has no type", r.id),
            Some(hint),
        );
    }
    match (class, &r.provider) {
        (ResourceClass::Ocf, None) => {
            let hint = "add `provider: heartbeat` (or the agent's provider)".to_string();
            cx.error(
                doc,
                &format!("{at}.class"),
                format!("ocf resource `{}` has no provider", r.id),
                Some(hint),
            );
        }
        (class, Some(_)) if class != ResourceClass::Ocf => {
            let hint = "remove `provider`: only class `ocf` has providers".to_string();
            let msg = format!("{} resource `{}` has a provider", class.as_str(), r.id);
            cx.error(doc, &format!("{at}.provider"), msg, Some(hint));
        }
        _ => {}
    }
}

fn bundle(cx: &mut Cx, doc: &Origin, at: &str, b: &Bundle) {
    if b.container.image.trim().is_empty() {
        let hint = "the container image, e.g. `registry.example:5000/app:1.0`".to_string();
        let msg = format!("bundle `{}` has no image", b.id);
        cx.error(doc, &format!("{at}.container.image"), msg, Some(hint));
    }
    if let Some(n) = &b.network {
        let mut max = 128;
        if let Some(ip) = &n.ip_range_start {
            match ip.parse::<IpAddr>() {
                Ok(a) => max = if a.is_ipv4() { 32 } else { 128 },
                Err(_) => {
                    let hint = "an IP address like `192.168.100.200`".to_string();
                    let msg = format!("`{ip}` is not an IP address");
                    cx.error(doc, &format!("{at}.network.ipRangeStart"), msg, Some(hint));
                }
            }
        }
        if let Some(m) = n.host_netmask.filter(|m| *m > max) {
            let hint = format!("a prefix length 0-{max}");
            let msg = format!("netmask /{m} is out of range");
            cx.error(doc, &format!("{at}.network.hostNetmask"), msg, Some(hint));
        }
        for (j, m) in n.port_mappings.iter().enumerate() {
            let at = format!("{at}.network.portMappings[{j}]");
            port_mapping(cx, doc, &at, m);
        }
    }
    for (j, s) in b.storage.iter().enumerate() {
        if s.source_dir.is_some() == s.source_dir_root.is_some() {
            let hint = "`sourceDir` (one host path) or `sourceDirRoot` (one per replica)";
            let msg = "a storage mapping needs exactly one of `sourceDir` and `sourceDirRoot`";
            cx.error(doc, &format!("{at}.storage[{j}]"), msg, Some(hint.into()));
        }
    }
}

fn port_mapping(cx: &mut Cx, doc: &Origin, at: &str, m: &PortMapping) {
    match (&m.port, &m.range) {
        (Some(_), Some(_)) | (None, None) => {
            let hint = "`port: 80` (optionally with `internalPort`) or `range: 3000-3100`";
            let msg = "a port mapping needs exactly one of `port` and `range`";
            cx.error(doc, at, msg, Some(hint.into()));
        }
        (None, Some(r)) => {
            let ok = r.split_once('-').is_some_and(|(a, b)| {
                matches!((a.parse::<u16>(), b.parse::<u16>()), (Ok(a), Ok(b)) if 0 < a && a <= b)
            });
            if !ok {
                let hint = "FIRST-LAST, e.g. `3000-3100`".to_string();
                let msg = format!("`{r}` is not a port range");
                cx.error(doc, &format!("{at}.range"), msg, Some(hint));
            }
            if m.internal_port.is_some() {
                let hint = "remove `internalPort`, or map one `port`".to_string();
                let msg = "`internalPort` only goes with `port`";
                cx.error(doc, &format!("{at}.internalPort"), msg, Some(hint));
            }
        }
        (Some(p), None) => cx.port(doc, &format!("{at}.port"), *p),
    }
}
