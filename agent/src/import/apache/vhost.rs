//! One `<VirtualHost>` → a typed [`VirtualHost`], its untyped directives kept in
//! order as the vhost's `raw`. Classes whose order matters (`Header`,
//! `RequestHeader`, `Redirect*`, `<Location*>`, `ProxyPass*`) are typed all or nothing.

use super::normal::{class_of, expand_modules, unwraps, Ctx};
use super::select::{bare, directives};
use super::tokens::{Block, Directive, Node};
use super::vhost_parts::{cache_rule, redirect, response_header, routes, set_env};
use schema::validate::apache_names::vhost_address;
use schema::validate::net;
use schema::{EncodedSlashes, HeaderSet, Tls, VirtualHost};

/// A typed virtual host and what could not be typed (in file order).
pub struct Typed<'n> {
    pub vhost: VirtualHost,
    pub typed: Vec<&'n Node>,
    pub raw: Vec<&'n Node>,
}

/// The `*:PORT` of a virtual host header, when it is that simple.
pub fn star_port(b: &Block) -> Option<u16> {
    match b.args.as_slice() {
        [a] => a.strip_prefix("*:")?.parse().ok().filter(|p| *p > 0),
        _ => None,
    }
}

/// The IfModule blocks inside `nodes` that `ctx` replaces by their content.
pub fn unwrapped<'n>(nodes: &'n [Node], ctx: &Ctx<'_>) -> Vec<(&'n Block, String)> {
    let mut out = Vec::new();
    for n in nodes {
        if let Node::Block(b) = n {
            if let Some(m) = unwraps(b, ctx) {
                out.push((b, m));
            }
            out.extend(unwrapped(&b.children, ctx));
        }
    }
    out
}

/// The port every address of a `<VirtualHost>` shares, and the addresses when they
/// are not just `*:PORT`.
fn addresses(b: &Block) -> Option<(u16, Vec<String>)> {
    if let Some(p) = star_port(b) {
        return Some((p, Vec::new()));
    }
    let ports: Vec<u16> = b
        .args
        .iter()
        .map(|a| vhost_address(a).map(|(_, p)| p))
        .collect::<Option<_>>()?;
    let port = *ports.first()?;
    ports
        .iter()
        .all(|p| *p == port)
        .then(|| (port, b.args.clone()))
}

pub fn vhost<'n>(b: &'n Block, ctx: &Ctx<'_>) -> Result<Typed<'n>, String> {
    let (port, addresses) =
        addresses(b).ok_or("its addresses are not `HOST:PORT`, all on one port")?;
    let nodes: Vec<&Node> = expand_modules(&b.children, ctx);
    let names = directives(&nodes, |d| d.is("ServerName"));
    let server_name = match names.as_slice() {
        [d] if d.args.len() == 1 && net::is_server_name(d.arg(0)) => Some(d.arg(0).to_string()),
        [] => None,
        _ => return Err("a ServerName the model does not take".into()),
    };
    let mut typed: Vec<&Directive> = names.clone();
    let aliases = directives(&nodes, |d| d.is("ServerAlias"));
    typed.extend(&aliases);
    let mut v = VirtualHost {
        server_name,
        server_aliases: aliases
            .iter()
            .flat_map(|d| d.args.iter().cloned())
            .collect(),
        server_admin: None,
        document_root: None,
        error_log: None,
        log_level: None,
        custom_logs: Vec::new(),
        log_formats: Vec::new(),
        server_signature: None,
        error_documents: Default::default(),
        port: None,
        addresses,
        tls: None,
        redirect_http: false,
        proxy_preserve_host: None,
        allow_encoded_slashes: None,
        request_headers: Vec::new(),
        response_headers: Vec::new(),
        cache_control: Vec::new(),
        routes: Vec::new(),
        no_proxy: Vec::new(),
        aliases: Vec::new(),
        set_env: Vec::new(),
        redirects: Vec::new(),
        sections: Vec::new(),
        rewrites: Vec::new(),
        raw: None,
    };
    for (name, slot) in [
        ("ServerAdmin", &mut v.server_admin),
        ("DocumentRoot", &mut v.document_root),
        ("ErrorLog", &mut v.error_log),
        ("LogLevel", &mut v.log_level),
    ] {
        if let [d] = directives(&nodes, |d| d.is(name)).as_slice() {
            if let Some(a) = args_text(d).filter(|_| d.args.len() == 1 || name == "LogLevel") {
                *slot = Some(a);
                typed.push(d);
            }
        }
    }
    let logs = directives(&nodes, |d| d.is("CustomLog"));
    if let Some(l) = logs
        .iter()
        .map(|d| args_text(d))
        .collect::<Option<Vec<_>>>()
    {
        v.custom_logs = l;
        typed.extend(&logs);
    }
    if let Some((mut tls, used)) = tls(&nodes) {
        typed.extend(used);
        typed.extend(super::vhost_site::tls_settings(&nodes, &mut tls));
        v.tls = Some(tls);
    }
    typed.extend(super::vhost_site::settings(&nodes, &mut v));
    let default_port = if v.tls.is_some() { 443 } else { 80 };
    if port != default_port {
        v.port = Some(port);
    }
    if let Some(r) = routes(&nodes) {
        v.routes = r.routes;
        v.no_proxy = r.no_proxy;
        v.proxy_preserve_host = Some(r.preserve_host);
        typed.extend(r.used);
    } else if let [d] = directives(&nodes, |d| d.is("ProxyPreserveHost")).as_slice() {
        // Without routes (proxying by `<Location>` or a rewrite `[P]`): as written.
        let on = match d.args.as_slice() {
            [a] if a.eq_ignore_ascii_case("on") => Some(true),
            [a] if a.eq_ignore_ascii_case("off") => Some(false),
            _ => None,
        };
        if on.is_some() {
            v.proxy_preserve_host = on;
            typed.push(d);
        }
    }
    if let Some((a, used)) = super::vhost_parts::aliases(&nodes) {
        v.aliases = a;
        typed.extend(used);
    }
    if let Some((r, used)) = set_env(&nodes) {
        v.set_env = r;
        typed.extend(used);
    }
    let slashes = directives(&nodes, |d| d.is("AllowEncodedSlashes"));
    if let [d] = slashes.as_slice() {
        let a = match d.arg(0).to_ascii_lowercase().as_str() {
            "on" => Some(EncodedSlashes::On),
            "off" => Some(EncodedSlashes::Off),
            "nodecode" => Some(EncodedSlashes::NoDecode),
            _ => None,
        };
        if let (Some(a), 1) = (a, d.args.len()) {
            v.allow_encoded_slashes = Some(a);
            typed.push(d);
        }
    }
    let req = directives(&nodes, |d| d.is("RequestHeader"));
    let req_typed: Option<Vec<HeaderSet>> = req
        .iter()
        .map(|d| {
            (d.args.len() == 3 && d.arg(0).eq_ignore_ascii_case("set") && bare(d.arg(1))).then(
                || HeaderSet {
                    name: d.arg(1).into(),
                    value: d.arg(2).into(),
                },
            )
        })
        .collect();
    if let Some(h) = req_typed {
        v.request_headers = h;
        typed.extend(&req);
    }
    let resp = directives(&nodes, |d| d.is("Header"));
    if let Some(h) = resp
        .iter()
        .map(|d| response_header(d))
        .collect::<Option<Vec<_>>>()
    {
        v.response_headers = h;
        typed.extend(&resp);
    }
    let redirects = directives(&nodes, |d| {
        [
            "Redirect",
            "RedirectMatch",
            "RedirectPermanent",
            "RedirectTemp",
        ]
        .iter()
        .any(|n| d.is(n))
    });
    if let Some(r) = redirects
        .iter()
        .map(|d| redirect(d))
        .collect::<Option<Vec<_>>>()
    {
        v.redirects = r;
        typed.extend(&redirects);
    }
    let mut typed_nodes: Vec<&Node> = nodes
        .iter()
        .copied()
        .filter(|n| matches!(n, Node::Directive(d) if typed.iter().any(|t| std::ptr::eq(*t, d))))
        .collect();
    let locations: Vec<&Node> = nodes
        .iter()
        .copied()
        .filter(|n| class_of(n) == "<location>")
        .collect();
    let mut classes = vec!["<directory>", "<files>", "<proxy>"];
    if let Some(c) = locations
        .iter()
        .map(|n| cache_rule(n))
        .collect::<Option<Vec<_>>>()
    {
        v.cache_control = c;
        typed_nodes.extend(&locations);
    } else {
        classes.push("<location>");
    }
    let (sections, used) = super::vhost_sections::sections(&nodes, &classes);
    v.sections = sections;
    typed_nodes.extend(used);
    let raw: Vec<&Node> = nodes
        .iter()
        .copied()
        .filter(|n| !typed_nodes.iter().any(|t| std::ptr::eq(*t, *n)))
        .collect();
    Ok(Typed {
        vhost: v,
        typed: typed_nodes,
        raw,
    })
}

/// A one-line directive's arguments exactly as written.
fn args_text(d: &Directive) -> Option<String> {
    if d.text.contains('\n') || d.args.is_empty() {
        return None;
    }
    Some(d.text[d.name.len()..].trim().to_string())
}

fn tls<'n>(nodes: &[&'n Node]) -> Option<(Tls, Vec<&'n Directive>)> {
    let one = |name: &str| -> Option<Option<&'n Directive>> {
        match directives(nodes, |d| d.is(name)).as_slice() {
            [] => Some(None),
            [d] if d.args.len() == 1 => Some(Some(*d)),
            _ => None,
        }
    };
    let engine = one("SSLEngine")??;
    if !engine.arg(0).eq_ignore_ascii_case("on") {
        return None;
    }
    let cert = one("SSLCertificateFile")??;
    let key = one("SSLCertificateKeyFile")??;
    let chain = one("SSLCertificateChainFile")?;
    let mut used = vec![engine, cert, key];
    used.extend(chain);
    let tls = Tls {
        certificate: cert.arg(0).into(),
        key: key.arg(0).into(),
        chain: chain.map(|c| c.arg(0).to_string()),
        ca_certificate: None,
        protocol: None,
        cipher_suite: None,
        honor_cipher_order: None,
        compression: None,
        stapling: None,
        certificate_pem: None,
        key_pem: None,
    };
    Some((tls, used))
}
