//! The virtual-host settings beyond proxying, each class typed all or nothing:
//! `LogFormat`, `ServerSignature`, `ErrorDocument`, the TLS protocol settings and
//! mod_rewrite rules. Only values the gateway validation accepts are typed
//! ([`schema::validate::apache_names`]).

use super::select::directives;
use super::tokens::{Directive, Node};
use schema::validate::apache_names::{
    error_document_ok, ssl_protocol_ok, unknown_flags, REWRITE_COND_FLAGS, REWRITE_RULE_FLAGS,
};
use schema::{LogFormat, Rewrite, RewriteCondition, ServerSignature, Tls, VirtualHost};

/// Fills `v` with what can be typed; returns the directives it used.
pub(super) fn settings<'n>(nodes: &[&'n Node], v: &mut VirtualHost) -> Vec<&'n Directive> {
    let mut used = Vec::new();
    let formats = directives(nodes, |d| d.is("LogFormat"));
    let typed: Option<Vec<LogFormat>> = formats
        .iter()
        .map(|d| match d.args.as_slice() {
            [f] if !f.is_empty() => Some(LogFormat {
                format: f.clone(),
                nickname: None,
            }),
            [f, n] if !f.is_empty() => Some(LogFormat {
                format: f.clone(),
                nickname: Some(n.clone()),
            }),
            _ => None,
        })
        .collect();
    if let Some(t) = typed {
        v.log_formats = t;
        used.extend(&formats);
    }
    if let [d] = directives(nodes, |d| d.is("ServerSignature")).as_slice() {
        let s = match d.args.as_slice() {
            [a] if a.eq_ignore_ascii_case("on") => Some(ServerSignature::On),
            [a] if a.eq_ignore_ascii_case("off") => Some(ServerSignature::Off),
            [a] if a.eq_ignore_ascii_case("email") => Some(ServerSignature::EMail),
            _ => None,
        };
        if s.is_some() {
            v.server_signature = s;
            used.push(*d);
        }
    }
    let docs = directives(nodes, |d| d.is("ErrorDocument"));
    let typed: Option<Vec<(u16, String)>> = docs.iter().map(|d| error_document(d)).collect();
    if let Some(t) = typed {
        // The map is written in status order: typed only when the file has that order.
        if t.windows(2).all(|w| w[0].0 < w[1].0) {
            v.error_documents = t.into_iter().collect();
            used.extend(&docs);
        }
    }
    if let Some(r) = rewrites(nodes) {
        v.rewrites = r.0;
        used.extend(r.1);
    }
    used
}

fn error_document(d: &Directive) -> Option<(u16, String)> {
    if d.text.contains('\n') || d.args.len() < 2 {
        return None;
    }
    let code: u16 = d.arg(0).parse().ok().filter(|c| (400..=599).contains(c))?;
    let rest = d.text[d.name.len()..].trim_start();
    let target = rest.strip_prefix(d.arg(0))?.trim().to_string();
    error_document_ok(&target).then_some((code, target))
}

/// The TLS settings beyond the certificate files, each one directive or left alone.
pub(super) fn tls_settings<'n>(nodes: &[&'n Node], t: &mut Tls) -> Vec<&'n Directive> {
    let mut used = Vec::new();
    let one = |name: &str| match directives(nodes, |d| d.is(name)).as_slice() {
        [d] if !d.args.is_empty() => Some(*d),
        _ => None,
    };
    let flag = |d: &Directive| match d.args.as_slice() {
        [a] if a.eq_ignore_ascii_case("on") => Some(true),
        [a] if a.eq_ignore_ascii_case("off") => Some(false),
        _ => None,
    };
    if let Some(d) = one("SSLCACertificateFile").filter(|d| d.args.len() == 1) {
        t.ca_certificate = Some(d.arg(0).to_string());
        used.push(d);
    }
    if let Some(d) = one("SSLProtocol").filter(|d| ssl_protocol_ok(&d.args.join(" "))) {
        t.protocol = Some(d.args.join(" "));
        used.push(d);
    }
    if let Some(d) = one("SSLCipherSuite").filter(|d| d.args.len() == 1 && !d.arg(0).is_empty()) {
        t.cipher_suite = Some(d.arg(0).to_string());
        used.push(d);
    }
    if let Some((d, f)) = one("SSLHonorCipherOrder").and_then(|d| Some((d, flag(d)?))) {
        t.honor_cipher_order = Some(f);
        used.push(d);
    }
    if let Some((d, f)) = one("SSLCompression").and_then(|d| Some((d, flag(d)?))) {
        t.compression = Some(f);
        used.push(d);
    }
    if let Some((d, f)) = one("SSLUseStapling").and_then(|d| Some((d, flag(d)?))) {
        t.stapling = Some(f);
        used.push(d);
    }
    used
}

/// `RewriteEngine On` first, then conditions and rules ending with a rule; every
/// argument one word without quotes (so it is written back as it was read).
fn rewrites<'n>(nodes: &[&'n Node]) -> Option<(Vec<Rewrite>, Vec<&'n Directive>)> {
    let all = directives(nodes, |d| {
        d.name.to_ascii_lowercase().starts_with("rewrite")
    });
    let (engine, rest) = all.split_first()?;
    if !engine.is("RewriteEngine")
        || engine.args.len() != 1
        || !engine.arg(0).eq_ignore_ascii_case("on")
    {
        return None;
    }
    let plain = |s: &str| {
        !s.is_empty()
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '\'')
    };
    let flags = |d: &Directive, known: &[&str]| -> Option<Option<String>> {
        match d.args.get(2) {
            None => Some(None),
            Some(f) => {
                let inner = f.strip_prefix('[')?.strip_suffix(']')?;
                (unknown_flags(inner, known).is_empty() && !inner.is_empty())
                    .then(|| Some(inner.to_string()))
            }
        }
    };
    let mut out = Vec::new();
    let mut conditions = Vec::new();
    for d in rest {
        if d.text.contains('\n')
            || !(2..=3).contains(&d.args.len())
            || !d.args.iter().all(|a| plain(a))
        {
            return None;
        }
        if d.is("RewriteCond") {
            conditions.push(RewriteCondition {
                test: d.arg(0).into(),
                pattern: d.arg(1).into(),
                flags: flags(d, REWRITE_COND_FLAGS)?,
            });
        } else if d.is("RewriteRule") {
            out.push(Rewrite {
                conditions: std::mem::take(&mut conditions),
                pattern: d.arg(0).into(),
                substitution: d.arg(1).into(),
                flags: flags(d, REWRITE_RULE_FLAGS)?,
            });
        } else {
            return None;
        }
    }
    (conditions.is_empty() && !out.is_empty()).then_some((out, all))
}
