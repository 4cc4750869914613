//! Inventory checks: exactly one inventory, unique host names and addresses, valid values.

use super::cx::Cx;
use super::net;

pub(super) fn check(cx: &mut Cx) {
    let Some(inv) = &cx.state.inventory else {
        cx.diags.push(
            crate::diag::Diagnostic::error("", 0, 0, "the repository has no `Inventory`")
                .with_hint(
                    "add one document `kind: Inventory` listing the hosts (e.g. inventory.yaml)",
                ),
        );
        return;
    };
    super::cx::unique_names(cx, "Inventory", std::slice::from_ref(inv));
    let doc = &inv.origin;
    let spec = &inv.doc.spec;
    if spec.hosts.is_empty() {
        cx.error(
            doc,
            "spec.hosts",
            "the inventory has no hosts",
            Some("list at least one host".into()),
        );
    }
    if let Some(p) = spec.defaults.port {
        cx.port(doc, "spec.defaults.port", p);
    }
    let names = spec
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (doc, format!("spec.hosts[{i}].name"), h.name.clone()));
    cx.unique("host name", names);
    let addresses = spec
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| net::is_address(&h.address))
        .map(|(i, h)| (doc, format!("spec.hosts[{i}].address"), h.address.clone()));
    cx.unique("host address", addresses);
    for (i, h) in spec.hosts.iter().enumerate() {
        let at = |f: &str| format!("spec.hosts[{i}].{f}");
        if !net::is_hostname(&h.name) {
            let hint = "letters, digits and `-`, like `ha1`".to_string();
            cx.error(
                doc,
                &at("name"),
                format!("invalid host name `{}`", h.name),
                Some(hint),
            );
        }
        if !net::is_address(&h.address) {
            let hint = "an IPv4/IPv6 address (`10.77.0.11`) or a DNS name".to_string();
            cx.error(
                doc,
                &at("address"),
                format!("invalid host address `{}`", h.address),
                Some(hint),
            );
        }
        if let Some(p) = h.port {
            cx.port(doc, &at("port"), p);
        }
        if let Some(k) = &h.host_key {
            let mut parts = k.split_whitespace();
            let ok = parts
                .next()
                .is_some_and(|t| t.starts_with("ssh-") || t.starts_with("ecdsa-"))
                && parts.next().is_some_and(|b| b.len() >= 16);
            if !ok {
                let hint = "the key as in known_hosts, without the host: `ssh-ed25519 AAAA...`"
                    .to_string();
                cx.error(
                    doc,
                    &at("hostKey"),
                    "host key is not an SSH public key",
                    Some(hint),
                );
            }
        }
        super::node::check(cx, doc, i, h);
        super::shard::labels(cx, doc, i, h);
        if h.roles.is_empty() {
            let hint = "add roles (gateway, balancer, worker, control-plane) or remove the host"
                .to_string();
            cx.warn(
                doc,
                &at("roles"),
                format!("host `{}` has no roles: nothing will manage it", h.name),
                Some(hint),
            );
        }
    }
}
