//! Gateway checks: hosts with role `gateway`, virtual hosts, routes, redirects.

use super::{net, unique_names, Cx};
use crate::model::*;

pub(super) fn check(cx: &mut Cx) {
    let state = cx.state;
    unique_names(cx, "Gateway", &state.gateways);
    for g in &state.gateways {
        let doc = &g.origin;
        let spec = &g.doc.spec;
        for (i, h) in spec.hosts.iter().enumerate() {
            cx.host_ref(
                doc,
                &format!("spec.hosts[{i}]"),
                h,
                Role::Gateway,
                "gateway host",
            );
        }
        if spec.hosts.is_empty()
            && cx.hosts_known
            && state.hosts_with_role(Role::Gateway).next().is_none()
        {
            let hint = "give a host role `gateway` in the Inventory, or list `hosts:`".to_string();
            cx.error(doc, "spec", "no host to deploy this gateway on", Some(hint));
        }
        if spec.vhosts.is_empty() {
            cx.error(
                doc,
                "spec.vhosts",
                "the gateway has no virtual hosts",
                Some("add a `vhosts:` entry".into()),
            );
        }
        let keys = spec.vhosts.iter().enumerate().map(|(i, v)| {
            let port = v.port.unwrap_or(if v.tls.is_some() { 443 } else { 80 });
            (
                doc,
                format!("spec.vhosts[{i}].serverName"),
                format!("{}:{port}", v.server_name),
            )
        });
        cx.unique("virtual host", keys);
        for (i, v) in spec.vhosts.iter().enumerate() {
            vhost(cx, doc, &format!("spec.vhosts[{i}]"), v);
        }
    }
}

fn vhost(cx: &mut Cx, doc: &Origin, at: &str, v: &VirtualHost) {
    let name = v.server_name.strip_prefix("*.").unwrap_or(&v.server_name);
    if !net::is_address(name) {
        let hint = "a DNS name like `app.example.org` (or an IP address)".to_string();
        cx.error(
            doc,
            &format!("{at}.serverName"),
            format!("invalid server name `{}`", v.server_name),
            Some(hint),
        );
    }
    if let Some(p) = v.port {
        cx.port(doc, &format!("{at}.port"), p);
    }
    if v.redirect_http && v.tls.is_none() {
        let hint = "add `tls:` or drop `redirectHttp`".to_string();
        cx.warn(
            doc,
            &format!("{at}.redirectHttp"),
            "redirect to HTTPS on a virtual host without TLS",
            Some(hint),
        );
    }
    let paths = v
        .routes
        .iter()
        .enumerate()
        .map(|(j, r)| (doc, format!("{at}.routes[{j}].path"), r.path.clone()));
    cx.unique("route path", paths);
    for (j, r) in v.routes.iter().enumerate() {
        let rt = format!("{at}.routes[{j}]");
        if !r.path.starts_with('/') {
            let hint = format!("start it with `/`: `/{}`", r.path);
            cx.error(
                doc,
                &format!("{rt}.path"),
                format!("route path `{}` does not start with `/`", r.path),
                Some(hint),
            );
        }
        if !net::is_http_url(&r.upstream) {
            let hint = "an http(s) URL like `http://10.77.0.100/auth`".to_string();
            cx.error(
                doc,
                &format!("{rt}.upstream"),
                format!("upstream `{}` is not an http(s) URL", r.upstream),
                Some(hint),
            );
        }
    }
    for (j, r) in v.redirects.iter().enumerate() {
        if let Some(s) = r.status {
            if ![301, 302, 303, 307, 308].contains(&s) {
                let hint = "one of 301, 302, 303, 307, 308".to_string();
                cx.error(
                    doc,
                    &format!("{at}.redirects[{j}].status"),
                    format!("{s} is not a redirect status"),
                    Some(hint),
                );
            }
        }
    }
    for (j, h) in v.response_headers.iter().enumerate() {
        if h.action == HeaderAction::Edit && (h.value.is_none() || h.replacement.is_none()) {
            let hint = "`edit` needs `value` (a regex) and `replacement`".to_string();
            cx.error(
                doc,
                &format!("{at}.responseHeaders[{j}]"),
                "header edit without value or replacement",
                Some(hint),
            );
        }
    }
}
