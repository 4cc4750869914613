//! Balancer `global` checks beyond the runtime socket: durations, paths, TLS defaults.

use super::cx::Cx;
use super::haproxy_names::{default_path_ok, ssl_options};
use crate::model::*;

pub(super) fn check(cx: &mut Cx, doc: &Origin, g: &Global) {
    if let Some(t) = &g.hard_stop_after {
        cx.duration(doc, "spec.global.hardStopAfter", t, false);
    }
    if let Some(p) = g.default_path.as_deref().filter(|p| !default_path_ok(p)) {
        cx.error(
            doc,
            "spec.global.defaultPath",
            format!("`{p}` is not a default-path"),
            Some("`current`, `config`, `parent`, or `origin DIR`".into()),
        );
    }
    for (field, d) in [
        ("sslDefaultBind", &g.ssl_default_bind),
        ("sslDefaultServer", &g.ssl_default_server),
    ] {
        let Some(d) = d else { continue };
        for (j, o) in d.options.iter().enumerate() {
            let words: Vec<&str> = o.split_whitespace().collect();
            let ok = matches!(ssl_options(&words), Ok(v) if v.len() == 1);
            if !ok {
                let why = match ssl_options(&words) {
                    Err(e) => e,
                    Ok(_) => "give one option per entry".to_string(),
                };
                cx.error(
                    doc,
                    &format!("spec.global.{field}.options[{j}]"),
                    format!("`{o}`: {why}"),
                    Some("options like `ssl-min-ver TLSv1.2`, `no-tls-tickets`, `prefer-client-ciphers`".into()),
                );
            }
        }
        for (name, v) in [("ciphers", &d.ciphers), ("ciphersuites", &d.ciphersuites)] {
            if let Some(v) = v
                .as_deref()
                .filter(|v| v.is_empty() || v.contains(char::is_whitespace))
            {
                cx.error(
                    doc,
                    &format!("spec.global.{field}.{name}"),
                    format!("`{v}` is not one colon-separated cipher list"),
                    Some("like `ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256`".into()),
                );
            }
        }
    }
}
