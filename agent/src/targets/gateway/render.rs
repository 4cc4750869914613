//! `Gateway` → one Apache httpd site file per gateway host.
//!
//! Where the file goes: by default straight into
//! `/etc/apache2/sites-enabled/<siteName>.conf`, not into `sites-available`
//! plus an `a2ensite` symlink. Debian's `apache2.conf` includes
//! `sites-enabled/*.conf` whether they are links or files, and one regular file
//! is one object to diff, stage, check and swap with a single atomic rename;
//! a file plus a link is two, with a window (after a crash) where they
//! disagree. "Enabled" is declared in Git: removing the document removes the
//! file. A host override (`apacheSite`) can still point anywhere else.
//!
//! Modules: the file's `modules` are the document's list plus every module a
//! rendered directive needs (`ssl` for TLS, `proxy`/`proxy_http` for routes,
//! `headers` for header edits, `alias` for redirects and aliases, `setenvif`,
//! `macro`), so a forgotten module
//! cannot make the check pass locally and fail on the host.
//!
//! TLS material given inline (`certificatePem`, `keyPem`) adds the certificate and
//! key files of [`super::tls`] on each host.

use crate::rendered::{header, source_name, target_hosts, ManagedFile, RenderError};
use schema::{
    DesiredState, Document, EncodedSlashes, GatewaySpec, HeaderAction, Host, Located, Route,
    VirtualHost,
};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The target's name (`Change.target`, `--target`, `policies:`).
pub const NAME: &str = "gateway";

pub const DEFAULT_DIR: &str = "/etc/apache2/sites-enabled";
/// Apache's own configuration root on Debian.
pub const CONF_ROOT: &str = "/etc/apache2";

/// The default check, run on the host: a private copy of `/etc/apache2` with the staged
/// site in the final file's place and the site's modules enabled, checked with
/// `apache2ctl -t` (`APACHE_CONFDIR`), then removed. The live tree is not touched, so a
/// site Apache rejects never goes live. A site outside `/etc/apache2` is checked in place
/// of nothing: plain `apache2ctl -t` on the live tree.
pub fn default_check(path: &str, modules: &[String]) -> String {
    let Some(rel) = path
        .strip_prefix(CONF_ROOT)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return "apache2ctl -t".into();
    };
    let enable = if modules.is_empty() {
        String::new()
    } else {
        format!(
            "APACHE_CONFDIR=\"$t\" a2enmod -q {} >/dev/null || {{ echo 'cannot enable modules: {}' >&2; exit 1; }}\n",
            modules.join(" "),
            modules.join(" ")
        )
    };
    format!(
        "t=$(mktemp -d /tmp/agent-apache-check.XXXXXX) || exit 1\n\
         trap 'rm -rf \"$t\"' EXIT\n\
         cp -a {CONF_ROOT}/. \"$t\"/ && mkdir -p \"$(dirname \"$t/{rel}\")\" && cp {{file}} \"$t/{rel}\" || exit 1\n\
         {enable}APACHE_CONFDIR=\"$t\" apache2ctl -t"
    )
}

/// The default reload: enable the site's modules (idempotent), then a graceful restart.
pub fn default_reload(modules: &[String]) -> String {
    if modules.is_empty() {
        "apache2ctl graceful".into()
    } else {
        format!(
            "a2enmod -q {} >/dev/null && apache2ctl graceful",
            modules.join(" ")
        )
    }
}

/// Renders the gateway document for each of its hosts.
pub fn render(
    state: &DesiredState,
    doc: &Located<Document<GatewaySpec>>,
) -> Result<Vec<ManagedFile>, RenderError> {
    let source = source_name(doc);
    let spec = &doc.doc.spec;
    let hosts = target_hosts(state, &spec.hosts, schema::Role::Gateway, &source)?;
    let site = spec
        .site_name
        .clone()
        .unwrap_or_else(|| format!("agent-{}", doc.doc.metadata.name));
    let mut modules: BTreeSet<String> = spec.modules.iter().cloned().collect();
    modules.extend(spec_modules(spec).into_iter().map(String::from));
    let mut body = header("#", &source, &doc.origin);
    let mut listens = BTreeSet::new();
    for v in &spec.vhosts {
        modules.extend(needed_modules(v).into_iter().map(String::from));
        let port = vhost_port(v);
        listens.insert(port);
        if v.redirect_http {
            listens.insert(80);
        }
    }
    // Debian's ports.conf already listens on 80, and on 443 once mod_ssl is on.
    for p in listens.iter().filter(|p| **p != 80 && **p != 443) {
        let _ = writeln!(body, "Listen {p}");
    }
    if let Some(c) = &spec.ssl_stapling_cache {
        let _ = writeln!(body, "SSLStaplingCache {c}");
    }
    if let Some(raw) = &spec.raw {
        body.push_str("\n# raw (verbatim from the document)\n");
        body.push_str(raw.trim_end());
        body.push('\n');
    }
    super::directives::write_macros(&mut body, spec);
    for v in &spec.vhosts {
        if v.redirect_http {
            write_redirect_vhost(&mut body, v);
        }
        write_vhost(&mut body, v);
    }
    let modules: Vec<String> = modules.into_iter().collect();
    let mut files = Vec::new();
    for h in hosts {
        files.push(file_for(h, &site, &body, &modules, &source));
        files.extend(super::tls::files(NAME, spec, h, &source)?);
    }
    Ok(files)
}

fn file_for(h: &Host, site: &str, body: &str, modules: &[String], source: &str) -> ManagedFile {
    let o = &h.overrides;
    let path = o
        .apache_site
        .clone()
        .unwrap_or_else(|| format!("{DEFAULT_DIR}/{site}.conf"));
    ManagedFile {
        host: h.name.clone(),
        target: NAME,
        path: path.clone(),
        content: body.to_string(),
        mode: 0o644,
        check: o
            .apache_check
            .clone()
            .unwrap_or_else(|| default_check(&path, modules)),
        reload: Some(
            o.apache_reload
                .clone()
                .unwrap_or_else(|| default_reload(modules)),
        ),
        modules: modules.to_vec(),
        source: source.to_string(),
        observe: String::new(),
    }
}

fn vhost_port(v: &VirtualHost) -> u16 {
    v.port.unwrap_or(if v.tls.is_some() { 443 } else { 80 })
}

/// Modules the gateway's own directives (outside the virtual hosts) need.
pub fn spec_modules(spec: &GatewaySpec) -> Vec<&'static str> {
    let mut m = Vec::new();
    if spec.ssl_stapling_cache.is_some() {
        m.push("ssl");
    }
    if !spec.macros.is_empty() || !spec.uses.is_empty() {
        m.push("macro");
    }
    m
}

pub use super::directives::quote;
use super::directives::{
    line, write_aliases, write_rewrites, write_sections, write_site_settings, write_tls_settings,
};
pub use super::modules::needed_modules;

fn names(out: &mut String, v: &VirtualHost) {
    if let Some(n) = &v.server_name {
        line(out, format!("ServerName {n}"));
    }
    for a in &v.server_aliases {
        line(out, format!("ServerAlias {a}"));
    }
}

fn write_redirect_vhost(out: &mut String, v: &VirtualHost) {
    out.push_str("\n<VirtualHost *:80>\n");
    names(out, v);
    let port = vhost_port(v);
    let target = if port == 443 {
        format!("https://{}/", v.server_name.as_deref().unwrap_or_default())
    } else {
        format!(
            "https://{}:{port}/",
            v.server_name.as_deref().unwrap_or_default()
        )
    };
    line(out, format!("Redirect permanent / {target}"));
    out.push_str("</VirtualHost>\n");
}

fn write_vhost(out: &mut String, v: &VirtualHost) {
    if v.addresses.is_empty() {
        let _ = writeln!(out, "\n<VirtualHost *:{}>", vhost_port(v));
    } else {
        let _ = writeln!(out, "\n<VirtualHost {}>", v.addresses.join(" "));
    }
    names(out, v);
    for (name, value) in [
        ("ServerAdmin", &v.server_admin),
        ("DocumentRoot", &v.document_root),
        ("ErrorLog", &v.error_log),
        ("LogLevel", &v.log_level),
    ] {
        if let Some(value) = value {
            line(out, format!("{name} {value}"));
        }
    }
    for c in &v.custom_logs {
        line(out, format!("CustomLog {c}"));
    }
    write_site_settings(out, v);
    if let Some(t) = &v.tls {
        line(out, "SSLEngine on");
        line(out, format!("SSLCertificateFile {}", t.certificate));
        line(out, format!("SSLCertificateKeyFile {}", t.key));
        if let Some(c) = &t.chain {
            line(out, format!("SSLCertificateChainFile {c}"));
        }
        write_tls_settings(out, t);
    }
    if !v.routes.is_empty() {
        line(out, "ProxyRequests Off");
    }
    // Without routes, Off is httpd's default: written only when On.
    match (v.proxy_preserve_host, v.routes.is_empty()) {
        (Some(false), false) => line(out, "ProxyPreserveHost Off"),
        (Some(true), _) | (None, false) => line(out, "ProxyPreserveHost On"),
        (Some(false) | None, true) => {}
    }
    if let Some(a) = v.allow_encoded_slashes {
        let a = match a {
            EncodedSlashes::On => "On",
            EncodedSlashes::Off => "Off",
            EncodedSlashes::NoDecode => "NoDecode",
        };
        line(out, format!("AllowEncodedSlashes {a}"));
    }
    for h in &v.request_headers {
        line(
            out,
            format!("RequestHeader set {} {}", h.name, quote(&h.value)),
        );
    }
    for h in &v.response_headers {
        line(out, response_header(h));
    }
    for c in &v.cache_control {
        let _ = writeln!(out, "    <LocationMatch {}>", quote(&c.path_match));
        line(
            out,
            format!("    Header set Cache-Control {}", quote(&c.value)),
        );
        out.push_str("    </LocationMatch>\n");
    }
    for r in &v.redirects {
        line(
            out,
            format!(
                "RedirectMatch {} {} {}",
                r.status.unwrap_or(302),
                quote(&r.path_match),
                quote(&r.to)
            ),
        );
    }
    write_aliases(out, v);
    write_sections(out, &v.sections);
    write_rewrites(out, &v.rewrites);
    for p in proxy_paths(v) {
        match p {
            ProxyPath::Route(r) => {
                line(out, proxy_pass(r));
                line(out, format!("ProxyPassReverse {} {}", r.path, r.upstream));
            }
            ProxyPath::Excluded(path) => line(out, format!("ProxyPass {path} !")),
        }
    }
    if let Some(raw) = &v.raw {
        line(out, "# raw (verbatim from the document)");
        for l in raw.trim_end().lines() {
            line(out, l);
        }
    }
    out.push_str("</VirtualHost>\n");
}

fn response_header(h: &schema::ResponseHeader) -> String {
    let always = if h.always { "always " } else { "" };
    let value = h.value.as_deref().unwrap_or_default();
    match h.action {
        HeaderAction::Unset => format!("Header {always}unset {}", h.name),
        HeaderAction::Edit => format!(
            "Header {always}edit {} {} {}",
            h.name,
            quote(value),
            quote(h.replacement.as_deref().unwrap_or_default())
        ),
        a => {
            let verb = match a {
                HeaderAction::Set => "set",
                HeaderAction::Append => "append",
                _ => "add",
            };
            format!("Header {always}{verb} {} {}", h.name, quote(value))
        }
    }
}

/// One `ProxyPass` line: a route, or a path excluded from proxying (`!`).
enum ProxyPath<'v> {
    Route(&'v Route),
    Excluded(&'v str),
}

impl ProxyPath<'_> {
    fn path(&self) -> &str {
        match self {
            ProxyPath::Route(r) => &r.path,
            ProxyPath::Excluded(p) => p,
        }
    }
}

/// Apache uses the first `ProxyPass` whose path matches, so longer (more
/// specific) paths must come first whatever order the document lists them in;
/// an exclusion is ordered with the routes, so it precedes the routes it carves
/// out of. The importer types a virtual host's `ProxyPass` lines only when they
/// are already in this order (`import/apache/vhost_parts.rs`).
fn proxy_paths(v: &schema::VirtualHost) -> Vec<ProxyPath<'_>> {
    let mut r: Vec<ProxyPath> = v.routes.iter().map(ProxyPath::Route).collect();
    r.extend(v.no_proxy.iter().map(|p| ProxyPath::Excluded(p)));
    r.sort_by(|a, b| {
        let (a, b) = (a.path(), b.path());
        b.len().cmp(&a.len()).then(a.cmp(b))
    });
    r
}

fn proxy_pass(r: &Route) -> String {
    let mut l = format!("ProxyPass {} {}", r.path, r.upstream);
    if let Some(x) = r.retry {
        let _ = write!(l, " retry={x}");
    }
    if let Some(x) = r.connect_timeout {
        let _ = write!(l, " connectiontimeout={x}");
    }
    if let Some(x) = r.timeout {
        let _ = write!(l, " timeout={x}");
    }
    l
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
