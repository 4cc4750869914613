//! Balancer checks: hosts with role `balancer`, frontends, ACLs, backends, servers, durations.

use super::{net, unique_names, Cx};
use crate::load::hints::closest;
use crate::model::*;
use std::collections::BTreeSet;

const TIMEOUTS: &[&str] = &[
    "check",
    "client",
    "client-fin",
    "connect",
    "http-keep-alive",
    "http-request",
    "queue",
    "server",
    "server-fin",
    "tarpit",
    "tunnel",
];

/// ACLs HAProxy predefines; usable in conditions without declaring them.
const PREDEFINED_ACLS: &[&str] = &[
    "FALSE",
    "HTTP",
    "HTTP_1.0",
    "HTTP_1.1",
    "HTTP_2.0",
    "HTTP_3.0",
    "HTTP_CONTENT",
    "HTTP_URL_ABS",
    "HTTP_URL_SLASH",
    "HTTP_URL_STAR",
    "LOCALHOST",
    "METH_CONNECT",
    "METH_DELETE",
    "METH_GET",
    "METH_HEAD",
    "METH_OPTIONS",
    "METH_POST",
    "METH_PUT",
    "METH_TRACE",
    "RDP_COOKIE",
    "REQ_CONTENT",
    "TRUE",
    "WAIT_END",
];

pub(super) fn check(cx: &mut Cx) {
    let state = cx.state;
    unique_names(cx, "Balancer", &state.balancers);
    for b in &state.balancers {
        let doc = &b.origin;
        let spec = &b.doc.spec;
        for (i, h) in spec.hosts.iter().enumerate() {
            cx.host_ref(
                doc,
                &format!("spec.hosts[{i}]"),
                h,
                Role::Balancer,
                "balancer host",
            );
        }
        if spec.hosts.is_empty()
            && cx.hosts_known
            && state.hosts_with_role(Role::Balancer).next().is_none()
        {
            let hint = "give hosts role `balancer` in the Inventory, or list `hosts:`".to_string();
            cx.error(
                doc,
                "spec",
                "no host to deploy this balancer on",
                Some(hint),
            );
        }
        if let Some(t) = &spec.global.stats_timeout {
            cx.duration(doc, "spec.global.statsTimeout", t, false);
        }
        for (name, value) in &spec.defaults.timeouts {
            let at = format!("spec.defaults.timeouts.{name}");
            if !TIMEOUTS.contains(&name.as_str()) {
                let hint = match closest(name, TIMEOUTS.iter().copied()) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("one of: {}", TIMEOUTS.join(", ")),
                };
                cx.error(
                    doc,
                    &at,
                    format!("unknown HAProxy timeout `{name}`"),
                    Some(hint),
                );
            }
            cx.duration(doc, &at, value, false);
        }
        let fronts = spec.frontends.iter().enumerate();
        cx.unique(
            "frontend",
            fronts.map(|(i, f)| (doc, format!("spec.frontends[{i}].name"), f.name.clone())),
        );
        let backs = spec.backends.iter().enumerate();
        cx.unique(
            "backend",
            backs.map(|(i, b)| (doc, format!("spec.backends[{i}].name"), b.name.clone())),
        );
        let names: Vec<&str> = spec.backends.iter().map(|b| b.name.as_str()).collect();
        let mut used = BTreeSet::new();
        for (i, f) in spec.frontends.iter().enumerate() {
            frontend(
                cx,
                doc,
                &format!("spec.frontends[{i}]"),
                f,
                &names,
                &mut used,
            );
        }
        for (i, be) in spec.backends.iter().enumerate() {
            let at = format!("spec.backends[{i}]");
            backend(cx, doc, &at, be);
            if !used.contains(be.name.as_str()) {
                let hint =
                    "route to it with `defaultBackend` or `useBackends`, or remove it".to_string();
                cx.warn(
                    doc,
                    &format!("{at}.name"),
                    format!("backend `{}` is used by no frontend", be.name),
                    Some(hint),
                );
            }
        }
        if let Some(s) = &spec.stats {
            binds(cx, doc, "spec.stats.binds", &s.binds);
            if let Some(u) = &s.uri {
                absolute(cx, doc, "spec.stats.uri", u);
            }
            if let Some(r) = &s.refresh {
                cx.duration(doc, "spec.stats.refresh", r, false);
            }
        }
    }
}

fn frontend<'a>(
    cx: &mut Cx,
    doc: &Origin,
    at: &str,
    f: &'a Frontend,
    backends: &[&str],
    used: &mut BTreeSet<&'a str>,
) {
    binds(cx, doc, &format!("{at}.binds"), &f.binds);
    if let Some(u) = &f.stats_uri {
        absolute(cx, doc, &format!("{at}.statsUri"), u);
    }
    let acls = f.acls.iter().enumerate();
    cx.unique(
        "ACL",
        acls.map(|(j, a)| (doc, format!("{at}.acls[{j}].name"), a.name.clone())),
    );
    let declared: Vec<&str> = f.acls.iter().map(|a| a.name.as_str()).collect();
    let mut backend_ref = |cx: &mut Cx, path: String, name: &'a str| {
        used.insert(name);
        if !backends.contains(&name) {
            let hint = match closest(name, backends.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None if backends.is_empty() => "declare it under `backends:`".to_string(),
                None => format!("declared backends: {}", backends.join(", ")),
            };
            cx.error(
                doc,
                &path,
                format!("backend `{name}` is not declared"),
                Some(hint),
            );
        }
    };
    if let Some(d) = &f.default_backend {
        backend_ref(cx, format!("{at}.defaultBackend"), d);
    }
    for (j, u) in f.use_backends.iter().enumerate() {
        backend_ref(cx, format!("{at}.useBackends[{j}].backend"), &u.backend);
        for acl in acl_names(&u.condition) {
            if !declared.contains(&acl) && !PREDEFINED_ACLS.contains(&acl) {
                let hint = match closest(acl, declared.iter().copied()) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("declare it under `acls:` of frontend `{}`", f.name),
                };
                let path = format!("{at}.useBackends[{j}].if");
                cx.error(
                    doc,
                    &path,
                    format!("ACL `{acl}` is not declared"),
                    Some(hint),
                );
            }
        }
    }
    if f.default_backend.is_none() && f.use_backends.is_empty() && f.stats_uri.is_none() {
        let hint = "set `defaultBackend`".to_string();
        cx.warn(
            doc,
            &format!("{at}.name"),
            format!("frontend `{}` routes to no backend", f.name),
            Some(hint),
        );
    }
}

/// Named ACLs in a condition: words other than operators, negations and `{ anonymous }` ACLs.
fn acl_names(cond: &str) -> Vec<&str> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for w in cond.split_whitespace() {
        match w {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            "||" | "or" | "!" => {}
            _ if depth == 0 => {
                let name = w.trim_start_matches('!');
                if !name.is_empty() {
                    out.push(name);
                }
            }
            _ => {}
        }
    }
    out
}

fn backend(cx: &mut Cx, doc: &Origin, at: &str, b: &Backend) {
    if b.servers.is_empty() && b.servers_from.is_none() {
        let hint = "add `servers:` or `serversFrom: {role: worker, port: 30080}`".to_string();
        cx.error(
            doc,
            &format!("{at}.name"),
            format!("backend `{}` has no servers", b.name),
            Some(hint),
        );
    }
    let sd = &b.server_defaults;
    if let Some(i) = &sd.inter {
        cx.duration(doc, &format!("{at}.serverDefaults.inter"), i, false);
    }
    weight(cx, doc, &format!("{at}.serverDefaults.weight"), sd.weight);
    if let Some(h) = &b.health_check {
        absolute(cx, doc, &format!("{at}.healthCheck.path"), &h.path);
        if let Some(s) = h.expect_status.filter(|s| !(100..600).contains(s)) {
            let hint = "an HTTP status 100-599".to_string();
            cx.error(
                doc,
                &format!("{at}.healthCheck.expectStatus"),
                format!("{s} is not an HTTP status"),
                Some(hint),
            );
        }
    }
    let servers = b.servers.iter().enumerate();
    cx.unique(
        "server",
        servers.map(|(j, s)| (doc, format!("{at}.servers[{j}].name"), s.name.clone())),
    );
    for (j, s) in b.servers.iter().enumerate() {
        let sat = format!("{at}.servers[{j}]");
        if !net::is_address(&s.address) {
            let hint = "an IP address or DNS name".to_string();
            cx.error(
                doc,
                &format!("{sat}.address"),
                format!("invalid server address `{}`", s.address),
                Some(hint),
            );
        }
        cx.port(doc, &format!("{sat}.port"), s.port);
        weight(cx, doc, &format!("{sat}.weight"), s.weight);
    }
    if let Some(sf) = &b.servers_from {
        cx.port(doc, &format!("{at}.serversFrom.port"), sf.port);
        if cx.hosts_known && cx.state.hosts_with_role(sf.role).next().is_none() {
            let role = sf.role.as_str();
            let hint = format!("give hosts role `{role}` in the Inventory");
            let msg = format!(
                "no inventory host has role `{role}`: backend `{}` gets no servers from it",
                b.name
            );
            cx.warn(doc, &format!("{at}.serversFrom.role"), msg, Some(hint));
        }
    }
}

fn weight(cx: &mut Cx, doc: &Origin, path: &str, w: Option<u32>) {
    if let Some(w) = w.filter(|w| *w > 256) {
        cx.error(
            doc,
            path,
            format!("weight {w} is out of range"),
            Some("HAProxy weights are 0-256".into()),
        );
    }
}

fn absolute(cx: &mut Cx, doc: &Origin, path: &str, p: &str) {
    if !p.starts_with('/') {
        cx.error(
            doc,
            path,
            format!("`{p}` does not start with `/`"),
            Some(format!("`/{p}`")),
        );
    }
}

/// `bind` addresses: `ADDRESS:PORT` (address may be empty or `*`), a UNIX socket path, or `proto@...`.
fn binds(cx: &mut Cx, doc: &Origin, path: &str, binds: &[String]) {
    if binds.is_empty() {
        cx.error(
            doc,
            path,
            "no bind address",
            Some("add one, like `*:80`".into()),
        );
    }
    for (i, b) in binds.iter().enumerate() {
        let addr = b.split_whitespace().next().unwrap_or_default();
        if addr.starts_with('/') || addr.contains('@') {
            continue;
        }
        let ok = addr.rsplit_once(':').is_some_and(|(host, port)| {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port_ok = port
                .split('-')
                .all(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
            port_ok && (host.is_empty() || host == "*" || net::is_address(host))
        });
        if !ok {
            let hint =
                "`ADDRESS:PORT` with a port 1-65535, like `*:80` or `10.77.0.100:80`".to_string();
            cx.error(
                doc,
                &format!("{path}[{i}]"),
                format!("invalid bind `{b}`"),
                Some(hint),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::acl_names;

    #[test]
    fn acl_names_skip_operators_and_anonymous_acls() {
        assert_eq!(
            acl_names("is_auth !is_static || { path_beg /x } or LOCALHOST"),
            ["is_auth", "is_static", "LOCALHOST"]
        );
    }
}
