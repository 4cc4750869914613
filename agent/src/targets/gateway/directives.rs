//! How the gateway renderer writes single directives: quoting, indentation, and the
//! virtual-host settings beyond proxying (logs, error documents, TLS protocol settings,
//! mod_rewrite rules). A leaf: [`super::render`] calls it.

use schema::{GatewaySpec, PathSection, Rewrite, ServerSignature, Tls, VirtualHost};

/// An Apache config argument: always double-quoted, `"` escaped. Backslashes
/// stay as written (Apache only unescapes `\"` inside quotes), so regexes such
/// as `\.css$` reach the regex engine unchanged.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}

/// One directive line, indented one level.
pub fn line(out: &mut String, text: impl AsRef<str>) {
    out.push_str("    ");
    out.push_str(text.as_ref());
    out.push('\n');
}

fn on_off(b: bool) -> &'static str {
    if b {
        "On"
    } else {
        "Off"
    }
}

/// `LogFormat`, `ServerSignature`, `ErrorDocument`.
pub fn write_site_settings(out: &mut String, v: &VirtualHost) {
    for f in &v.log_formats {
        match &f.nickname {
            Some(n) => line(out, format!("LogFormat {} {n}", quote(&f.format))),
            None => line(out, format!("LogFormat {}", quote(&f.format))),
        }
    }
    if let Some(s) = v.server_signature {
        let s = match s {
            ServerSignature::On => "On",
            ServerSignature::Off => "Off",
            ServerSignature::EMail => "EMail",
        };
        line(out, format!("ServerSignature {s}"));
    }
    for (code, target) in &v.error_documents {
        line(out, format!("ErrorDocument {code} {target}"));
    }
}

/// The TLS settings beyond the certificate files.
pub fn write_tls_settings(out: &mut String, t: &Tls) {
    if let Some(c) = &t.ca_certificate {
        line(out, format!("SSLCACertificateFile {c}"));
    }
    if let Some(p) = &t.protocol {
        line(out, format!("SSLProtocol {p}"));
    }
    if let Some(c) = &t.cipher_suite {
        line(out, format!("SSLCipherSuite {}", quote(c)));
    }
    if let Some(h) = t.honor_cipher_order {
        line(out, format!("SSLHonorCipherOrder {}", on_off(h)));
    }
    if let Some(c) = t.compression {
        line(out, format!("SSLCompression {}", on_off(c)));
    }
    if let Some(s) = t.stapling {
        line(out, format!("SSLUseStapling {}", on_off(s)));
    }
}

/// An argument bare when it is one plain word, else quoted (httpd reads both alike).
/// Also mod_rewrite's arguments: its own parser, unlike httpd's, keeps backslashes,
/// so a bare word is the only way to write one with a backslash unchanged.
fn word(s: &str) -> String {
    if s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\'')
    {
        quote(s)
    } else {
        s.to_string()
    }
}

/// `Alias`/`ScriptAlias` mappings and `SetEnvIf`/`BrowserMatch` rules, in order.
pub fn write_aliases(out: &mut String, v: &VirtualHost) {
    for a in &v.aliases {
        let l = format!("{} {} {}", a.kind.as_str(), quote(&a.url), quote(&a.to));
        line(out, l);
    }
    for r in &v.set_env {
        let nocase = if r.nocase { "NoCase" } else { "" };
        let mut l = if r.attribute.eq_ignore_ascii_case("user-agent") {
            format!("BrowserMatch{nocase} {}", quote(&r.pattern))
        } else {
            format!("SetEnvIf{nocase} {} {}", r.attribute, quote(&r.pattern))
        };
        for s in &r.set {
            l.push(' ');
            l.push_str(&word(s));
        }
        line(out, l);
    }
}

/// mod_macro definitions, then the `Use` lines (server level).
pub fn write_macros(out: &mut String, spec: &GatewaySpec) {
    for m in &spec.macros {
        let mut head = format!("\n<Macro {}", m.name);
        for p in &m.parameters {
            head.push(' ');
            head.push_str(p);
        }
        out.push_str(&head);
        out.push_str(">\n");
        for l in m.body.trim_end().lines() {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str("</Macro>\n");
    }
    if !spec.uses.is_empty() {
        out.push('\n');
    }
    for u in &spec.uses {
        let mut l = format!("Use {}", u.name);
        for a in &u.arguments {
            l.push(' ');
            l.push_str(a);
        }
        out.push_str(&l);
        out.push('\n');
    }
}

/// `RewriteEngine On` and every rule with its conditions, in order.
pub fn write_rewrites(out: &mut String, rewrites: &[Rewrite]) {
    if rewrites.is_empty() {
        return;
    }
    line(out, "RewriteEngine On");
    for r in rewrites {
        for c in &r.conditions {
            let mut l = format!("RewriteCond {} {}", word(&c.test), word(&c.pattern));
            if let Some(f) = &c.flags {
                l.push_str(&format!(" [{f}]"));
            }
            line(out, l);
        }
        let mut l = format!("RewriteRule {} {}", word(&r.pattern), word(&r.substitution));
        if let Some(f) = &r.flags {
            l.push_str(&format!(" [{f}]"));
        }
        line(out, l);
    }
}

/// `<Directory>`, `<Location>`, `<Files>` sections, in the document's order.
pub fn write_sections(out: &mut String, sections: &[PathSection]) {
    for s in sections {
        let kind = s.kind.as_str();
        out.push_str(&format!("    <{kind} {}>\n", quote(&s.path)));
        let mut inner = |text: String| line(out, format!("    {text}"));
        if !s.options.is_empty() {
            inner(format!("Options {}", s.options.join(" ")));
        }
        if !s.allow_override.is_empty() {
            inner(format!("AllowOverride {}", s.allow_override.join(" ")));
        }
        for r in &s.require {
            inner(format!("Require {r}"));
        }
        if let Some(o) = &s.order {
            inner(format!("Order {o}"));
        }
        for a in &s.allow_from {
            inner(format!("Allow from {a}"));
        }
        for d in &s.deny_from {
            inner(format!("Deny from {d}"));
        }
        if !s.ssl_options.is_empty() {
            inner(format!("SSLOptions {}", s.ssl_options.join(" ")));
        }
        for u in &s.proxy_pass_reverse {
            inner(format!("ProxyPassReverse {u}"));
        }
        if let Some(h) = &s.handler {
            inner(format!("SetHandler {h}"));
        }
        for m in &s.balancer_members {
            inner(format!("BalancerMember {m}"));
        }
        if !s.proxy_set.is_empty() {
            inner(format!("ProxySet {}", s.proxy_set.join(" ")));
        }
        out.push_str(&format!("    </{kind}>\n"));
    }
}
