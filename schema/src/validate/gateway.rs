//! Gateway checks: hosts with role `gateway`, virtual hosts, routes, redirects.

use super::cx::{unique_names, Cx};
use super::net;
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
        if spec.vhosts.is_empty() && spec.raw.is_none() && spec.uses.is_empty() {
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
                match &v.server_name {
                    Some(n) => format!("{n}:{port}"),
                    None => format!("(vhost {i} without serverName):{port}"),
                },
            )
        });
        cx.unique("virtual host", keys);
        for (i, v) in spec.vhosts.iter().enumerate() {
            vhost(cx, doc, &format!("spec.vhosts[{i}]"), v);
        }
        super::gateway_parts::spec(cx, doc, spec);
    }
}

fn vhost(cx: &mut Cx, doc: &Origin, at: &str, v: &VirtualHost) {
    let name = v.server_name.as_deref().unwrap_or("");
    if v.server_name.is_some() && !net::is_server_name(name) {
        let hint = "a DNS name like `app.example.org` (or an IP address; letters, digits, `-`, `_` and dots)".to_string();
        cx.error(
            doc,
            &format!("{at}.serverName"),
            format!("invalid server name `{name}`"),
            Some(hint),
        );
    }
    if let Some(p) = v.port {
        cx.port(doc, &format!("{at}.port"), p);
    }
    super::gateway_site::check(cx, doc, at, v);
    super::gateway_parts::vhost(cx, doc, at, v);
    if v.redirect_http && v.server_name.is_none() {
        cx.error(
            doc,
            &format!("{at}.redirectHttp"),
            "redirect to HTTPS on a virtual host without serverName",
            Some("set `serverName`: the redirect goes to `https://<serverName>/`".into()),
        );
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
    if let Some(t) = &v.tls {
        tls(cx, doc, &format!("{at}.tls"), t);
    }
    let paths = v
        .routes
        .iter()
        .enumerate()
        .map(|(j, r)| (doc, format!("{at}.routes[{j}].path"), r.path.clone()));
    let excluded = v
        .no_proxy
        .iter()
        .enumerate()
        .map(|(j, p)| (doc, format!("{at}.noProxy[{j}]"), p.clone()));
    cx.unique("route path", paths.chain(excluded));
    for (j, p) in v.no_proxy.iter().enumerate() {
        if !p.starts_with('/') || p.chars().any(char::is_whitespace) {
            cx.error(
                doc,
                &format!("{at}.noProxy[{j}]"),
                format!("`{p}` is not a path to exclude from proxying"),
                Some("a path starting with `/` and without spaces, e.g. `/.well-known`".into()),
            );
        }
    }
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
        if !net::is_proxy_url(&r.upstream) {
            let hint = "an http(s) URL like `http://10.77.0.100/auth`, or ws(s):// for a WebSocket upstream".to_string();
            cx.error(
                doc,
                &format!("{rt}.upstream"),
                format!("upstream `{}` is not an http(s) or ws(s) URL", r.upstream),
                Some(hint),
            );
        }
        if let Some(s) = r.expect_status.filter(|s| !(100..=599).contains(s)) {
            cx.error(
                doc,
                &format!("{rt}.expectStatus"),
                format!("{s} is not an HTTP status"),
                Some("a status from 100 to 599, e.g. 200 or 401".to_string()),
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

/// Inline TLS material: a PEM certificate, a PEM private key (checked once decrypted;
/// an encrypted value checked without a key is skipped), and absolute paths to write them to.
fn tls(cx: &mut Cx, doc: &Origin, at: &str, t: &Tls) {
    let inline = [
        (
            "certificatePem",
            "certificate",
            &t.certificate_pem,
            &t.certificate,
        ),
        ("keyPem", "key", &t.key_pem, &t.key),
    ];
    for (field, path_field, pem, path) in inline {
        let Some(pem) = pem else { continue };
        if !path.starts_with('/') {
            cx.error(
                doc,
                &format!("{at}.{path_field}"),
                format!("`{path}` is not an absolute path, and `{field}` is written there"),
                Some(
                    "an absolute path on the gateway host, e.g. `/etc/ssl/private/site.key`".into(),
                ),
            );
        }
        if pem == ENCRYPTED_PLACEHOLDER {
            continue;
        }
        let problem = if field == "keyPem" {
            pem_problem(pem, |label| label.ends_with("PRIVATE KEY"), "a private key")
        } else {
            pem_problem(pem, |label| label == "CERTIFICATE", "a certificate")
        };
        if let Some((msg, hint)) = problem {
            cx.error(
                doc,
                &format!("{at}.{field}"),
                format!("`{field}` {msg}"),
                Some(hint),
            );
        }
    }
}

/// Why `pem` is not one PEM block whose label `ok` accepts, with a hint; `None` if it is.
fn pem_problem(pem: &str, ok: impl Fn(&str) -> bool, what: &str) -> Option<(String, String)> {
    let text = pem.trim();
    let label = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"));
    let hint = format!(
        "paste the whole PEM block of {what}, `-----BEGIN …-----` to `-----END …-----`, as a literal block (`|`)"
    );
    let Some(label) = label else {
        return Some((
            format!("is not PEM text (no `-----BEGIN …-----` line first): expected {what}"),
            hint,
        ));
    };
    if !ok(label) {
        return Some((format!("holds a PEM `{label}`, expected {what}"), hint));
    }
    let end = format!("-----END {label}-----");
    let body: Vec<&str> = text
        .lines()
        .skip(1)
        .take_while(|l| l.trim() != end)
        .collect();
    if !text.lines().any(|l| l.trim() == end) {
        return Some((format!("has no `{end}` line"), hint));
    }
    let base64 = |l: &&str| {
        l.trim()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
    };
    // Legacy encrypted keys carry `Proc-Type:`/`DEK-Info:` headers: not for a server.
    if body.is_empty() || !body.iter().all(base64) {
        return Some((
            format!(
                "has a `{label}` block that is not plain base64 (passphrase-protected or damaged?)"
            ),
            hint,
        ));
    }
    None
}
