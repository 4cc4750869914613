//! Balancer checks: hosts with role `balancer`, frontends, ACLs, backends, servers, durations.

use super::cx::{absolute, unique_names, Cx};
use super::frontend::{acls, binds, frontend, rules, stats_options};
use super::haproxy_names::{HTTP_CHECK, TIMEOUTS};
use super::net;
use crate::load::hints::closest;
use crate::model::*;
use std::collections::BTreeSet;

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
        super::balancer_global::check(cx, doc, &spec.global);
        super::balancer_global::userlists(cx, doc, &spec.userlists);
        super::balancer_global::caches(cx, doc, &spec.caches);
        super::balancer_global::peers(cx, doc, spec);
        super::balancer_global::fcgi_apps(cx, doc, &spec.fcgi_apps);
        super::balancer_defaults::check(cx, doc, spec);
        let named = spec.named_defaults.iter().enumerate();
        let all_defaults = std::iter::once(("spec.defaults".to_string(), &spec.defaults))
            .chain(named.map(|(i, d)| (format!("spec.namedDefaults[{i}]"), d)));
        for (at, d) in all_defaults {
            timeouts(cx, doc, &at, &d.timeouts);
            http_checks(cx, doc, &at, &d.http_check);
        }
        for (i, f) in spec.frontends.iter().enumerate() {
            timeouts(cx, doc, &format!("spec.frontends[{i}]"), &f.timeouts);
        }
        for (i, b) in spec.backends.iter().enumerate() {
            timeouts(cx, doc, &format!("spec.backends[{i}]"), &b.timeouts);
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
            if !be.binds.is_empty() {
                binds(cx, doc, &format!("{at}.binds"), &be.binds);
            } else if be.maxconn.is_some() {
                let hint = "set `maxconn` on the frontend, or give the backend `binds`".to_string();
                cx.error(
                    doc,
                    &format!("{at}.maxconn"),
                    format!("`maxconn` on backend `{}`, which does not listen", be.name),
                    Some(hint),
                );
            }
            if !used.contains(be.name.as_str()) && be.binds.is_empty() {
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
            timeouts(cx, doc, "spec.stats", &s.timeouts);
            if let Some(u) = &s.uri {
                absolute(cx, doc, "spec.stats.uri", u);
            }
            if let Some(r) = &s.refresh {
                cx.duration(doc, "spec.stats.refresh", r, false);
            }
        }
    }
}

fn backend(cx: &mut Cx, doc: &Origin, at: &str, b: &Backend) {
    if b.servers.is_empty() && b.servers_from.is_none() {
        let hint = "add `servers:` or `serversFrom: {role: worker, port: 30080}` (without any, HAProxy answers 503)".to_string();
        cx.warn(
            doc,
            &format!("{at}.name"),
            format!("backend `{}` has no servers", b.name),
            Some(hint),
        );
    }
    acls(cx, doc, at, &b.acls);
    stats_options(cx, doc, at, b.stats_uri.as_deref(), &b.stats);
    http_checks(cx, doc, at, &b.http_check);
    rules(cx, doc, at, "httpRequest", &b.http_request);
    rules(cx, doc, at, "httpResponse", &b.http_response);
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
        match s.port {
            Some(p) => cx.port(doc, &format!("{sat}.port"), p),
            None if s.address != "0.0.0.0" && s.address != "::" => {
                let hint = "give `port:` (HAProxy would connect to the port the client \
                            used), or use address `0.0.0.0` for a transparent next hop"
                    .to_string();
                cx.warn(
                    doc,
                    &format!("{sat}.address"),
                    format!("server `{}` has no port", s.name),
                    Some(hint),
                );
            }
            None => {}
        }
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

/// `timeouts` of a section: known names, valid durations.
fn timeouts(cx: &mut Cx, doc: &Origin, at: &str, map: &std::collections::BTreeMap<String, String>) {
    for (name, value) in map {
        let at = format!("{at}.timeouts.{name}");
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
}

/// `http-check` rules: a known directive first.
fn http_checks(cx: &mut Cx, doc: &Origin, at: &str, rules: &[String]) {
    for (j, r) in rules.iter().enumerate() {
        let first = r.split_whitespace().next().unwrap_or_default();
        if !HTTP_CHECK.contains(&first) {
            cx.error(
                doc,
                &format!("{at}.httpCheck[{j}]"),
                format!("`{r}` is not an http-check rule"),
                Some(format!(
                    "a rule starting with one of: {}",
                    HTTP_CHECK.join(", ")
                )),
            );
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
