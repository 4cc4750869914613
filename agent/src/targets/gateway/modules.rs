//! The Apache modules a virtual host's directives need: enabled with `a2enmod` in the
//! staged check and before the reload (see `render.rs`).

use schema::{SectionKind, VirtualHost};

/// Modules the directives of one virtual host need.
pub fn needed_modules(v: &VirtualHost) -> Vec<&'static str> {
    let mut m = Vec::new();
    if v.tls.is_some() {
        m.push("ssl");
    }
    if !v.routes.is_empty() || !v.no_proxy.is_empty() {
        m.push("proxy");
        if v.routes.iter().any(|r| r.upstream.starts_with("http")) {
            m.push("proxy_http");
        }
        if v.routes.iter().any(|r| r.upstream.starts_with("ws")) {
            m.push("proxy_wstunnel");
        }
    }
    if !v.request_headers.is_empty()
        || !v.response_headers.is_empty()
        || !v.cache_control.is_empty()
    {
        m.push("headers");
    }
    if v.redirect_http || !v.redirects.is_empty() || !v.aliases.is_empty() {
        m.push("alias");
    }
    if !v.rewrites.is_empty() {
        m.push("rewrite");
    }
    if !v.set_env.is_empty() {
        m.push("setenvif");
    }
    let sections = |f: fn(&schema::PathSection) -> bool| v.sections.iter().any(f);
    if sections(|s| s.order.is_some() || !s.allow_from.is_empty() || !s.deny_from.is_empty()) {
        m.push("access_compat");
    }
    if sections(|s| !s.ssl_options.is_empty()) && !m.contains(&"ssl") {
        m.push("ssl");
    }
    if (sections(|s| !s.proxy_pass_reverse.is_empty() || proxy_kind(s))
        || v.proxy_preserve_host == Some(true))
        && !m.contains(&"proxy")
    {
        m.push("proxy");
    }
    balancer_modules(v, &mut m);
    m
}

fn proxy_kind(s: &schema::PathSection) -> bool {
    matches!(s.kind, SectionKind::Proxy | SectionKind::ProxyMatch)
}

/// mod_proxy_balancer and the lbmethod module each `<Proxy balancer://…>` section
/// names (`ProxySet lbmethod=…`, default `byrequests`), and what its members speak.
fn balancer_modules(v: &VirtualHost, m: &mut Vec<&'static str>) {
    let members: Vec<&str> = v
        .sections
        .iter()
        .flat_map(|s| s.balancer_members.iter().map(String::as_str))
        .collect();
    let routed = v
        .routes
        .iter()
        .any(|r| r.upstream.starts_with("balancer://"));
    if members.is_empty() && !routed {
        return;
    }
    let mut add = |name: &'static str| {
        if !m.contains(&name) {
            m.push(name);
        }
    };
    add("proxy_balancer");
    let mut methods: Vec<&str> = v
        .sections
        .iter()
        .filter(|s| !s.balancer_members.is_empty() || s.path.starts_with("balancer://"))
        .map(|s| {
            s.proxy_set
                .iter()
                .find_map(|p| p.strip_prefix("lbmethod="))
                .unwrap_or("byrequests")
        })
        .collect();
    if methods.is_empty() {
        methods.push("byrequests");
    }
    for method in methods {
        if let Some(module) = LBMETHODS
            .iter()
            .find(|(n, _)| *n == method)
            .map(|(_, m)| *m)
        {
            add(module);
        }
    }
    if members.iter().any(|u| u.starts_with("http")) {
        add("proxy_http");
    }
    if members.iter().any(|u| u.starts_with("ws")) {
        add("proxy_wstunnel");
    }
}

/// httpd's load-balancing methods and their modules.
pub const LBMETHODS: &[(&str, &str)] = &[
    ("byrequests", "lbmethod_byrequests"),
    ("bytraffic", "lbmethod_bytraffic"),
    ("bybusyness", "lbmethod_bybusyness"),
    ("heartbeat", "lbmethod_heartbeat"),
];
