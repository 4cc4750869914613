//! Gateway checks for mod_alias mappings, `SetEnvIf`/`BrowserMatch` rules, OCSP
//! stapling and mod_macro definitions with their uses.

use super::apache_names::{env_setting_ok, macro_parameter_ok};
use super::cx::Cx;
use crate::model::*;

fn one_word(s: &str) -> bool {
    !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'')
}

/// The gateway's own settings: stapling cache, macros, uses.
pub(super) fn spec(cx: &mut Cx, doc: &Origin, spec: &GatewaySpec) {
    if let Some(c) = &spec.ssl_stapling_cache {
        let kinds = ["shmcb:", "dbm:", "dc:", "memcache:", "redis:", "socache:"];
        if !kinds.iter().any(|k| c.starts_with(k)) || !one_word(c) {
            let hint = "`shmcb:/var/run/apache2/stapling_cache(128000)` (or `dbm:PATH`, `dc:…`, `memcache:…`)".to_string();
            cx.error(
                doc,
                "spec.sslStaplingCache",
                format!("`{c}` is not an SSLStaplingCache of a known type"),
                Some(hint),
            );
        }
    }
    for (i, v) in spec.vhosts.iter().enumerate() {
        let stapling = v.tls.as_ref().and_then(|t| t.stapling) == Some(true);
        if stapling && spec.ssl_stapling_cache.is_none() {
            let hint = "add `sslStaplingCache: shmcb:/var/run/apache2/stapling_cache(128000)` to the gateway, unless the server's own configuration sets one".to_string();
            cx.warn(
                doc,
                &format!("spec.vhosts[{i}].tls.stapling"),
                "OCSP stapling without an `sslStaplingCache` (httpd refuses to start without one)",
                Some(hint),
            );
        }
    }
    macros(cx, doc, &spec.macros);
    for (i, u) in spec.uses.iter().enumerate() {
        let at = format!("spec.uses[{i}]");
        let Some(m) = spec
            .macros
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(&u.name))
        else {
            let names: Vec<&str> = spec.macros.iter().map(|m| m.name.as_str()).collect();
            let hint = if names.is_empty() {
                "define it under `macros:`".to_string()
            } else {
                format!("one of: {}", names.join(", "))
            };
            let msg = format!("`Use {}`: no macro `{}` in `macros`", u.name, u.name);
            cx.error(doc, &format!("{at}.macro"), msg, Some(hint));
            continue;
        };
        if m.parameters.len() != u.arguments.len() {
            let hint = format!(
                "one argument per parameter ({}): `Use {}{}`",
                m.parameters.join(", "),
                m.name,
                m.parameters
                    .iter()
                    .map(|p| format!(" {}", p.trim_start_matches(['$', '%', '@'])))
                    .collect::<String>()
            );
            let msg = format!(
                "macro `{}` takes {} argument(s), this `Use` gives {}",
                m.name,
                m.parameters.len(),
                u.arguments.len()
            );
            cx.error(doc, &format!("{at}.arguments"), msg, Some(hint));
        }
        for (j, a) in u.arguments.iter().enumerate() {
            if !one_word(a) {
                let hint = "one word without spaces or quotes (`example.org`)".to_string();
                let msg = format!("macro argument `{a}` is not one word");
                cx.error(doc, &format!("{at}.arguments[{j}]"), msg, Some(hint));
            }
        }
    }
}

fn macros(cx: &mut Cx, doc: &Origin, macros: &[Macro]) {
    for (i, m) in macros.iter().enumerate() {
        let at = format!("spec.macros[{i}]");
        if !one_word(&m.name) {
            let msg = format!("macro name `{}` is not one word", m.name);
            cx.error(doc, &format!("{at}.name"), msg, Some("like `VHost`".into()));
        }
        if let Some(j) = macros[..i]
            .iter()
            .position(|o| o.name.eq_ignore_ascii_case(&m.name))
        {
            let msg = format!(
                "macro `{}` is defined twice (also `macros[{j}]`; names are case-insensitive)",
                m.name
            );
            let hint = "rename one, or merge them".to_string();
            cx.error(doc, &format!("{at}.name"), msg, Some(hint));
        }
        let closes = |l: &str| {
            let l = l.trim().to_ascii_lowercase();
            l.starts_with("</macro") || l.starts_with("<macro ")
        };
        if m.body.lines().any(closes) {
            let msg = format!("the body of macro `{}` opens or closes a macro", m.name);
            let hint =
                "only the lines inside `<Macro>`…`</Macro>`, without them (macros do not nest)"
                    .to_string();
            cx.error(doc, &format!("{at}.body"), msg, Some(hint));
        }
        if m.body.trim().is_empty() {
            let hint = "the configuration lines the macro stands for".to_string();
            cx.warn(
                doc,
                &format!("{at}.body"),
                format!("macro `{}` is empty", m.name),
                Some(hint),
            );
        }
        for (j, p) in m.parameters.iter().enumerate() {
            let pat = format!("{at}.parameters[{j}]");
            if m.parameters[..j].contains(p) {
                let msg = format!("parameter `{p}` of macro `{}` is given twice", m.name);
                cx.error(doc, &pat, msg, Some("give each parameter once".into()));
            } else if !macro_parameter_ok(p) {
                let msg = format!(
                    "parameter `{p}` of macro `{}` does not start with `$`, `%` or `@`",
                    m.name
                );
                let hint = format!("`${}`: mod_macro replaces the name anywhere in the body, so a prefix keeps it from matching ordinary words", p.trim_start_matches(['$', '%', '@']));
                cx.warn(doc, &pat, msg, Some(hint));
            } else if !m.body.contains(p.as_str()) {
                let msg = format!(
                    "parameter `{p}` of macro `{}` is not used in its body",
                    m.name
                );
                cx.warn(
                    doc,
                    &pat,
                    msg,
                    Some(format!("use `{p}` in the body, or drop it")),
                );
            }
        }
    }
}

/// A virtual host's aliases and environment rules.
pub(super) fn vhost(cx: &mut Cx, doc: &Origin, at: &str, v: &VirtualHost) {
    for (j, a) in v.aliases.iter().enumerate() {
        let aat = format!("{at}.aliases[{j}]");
        let kind = a.kind.as_str();
        if a.url.is_empty() || (!a.kind.is_match() && !a.url.starts_with('/')) {
            let hint = if a.kind.is_match() {
                "a regex on the URL path, like `^/icons/(.*)$`".to_string()
            } else {
                format!("a URL path starting with `/`: `/{}`", a.url)
            };
            let msg = format!("{kind} URL `{}` is not a URL path", a.url);
            cx.error(doc, &format!("{aat}.url"), msg, Some(hint));
        }
        if a.to.trim().is_empty() {
            let hint = "a file-system path, like `/usr/share/doc/`".to_string();
            cx.error(
                doc,
                &format!("{aat}.to"),
                format!("{kind} to an empty path"),
                Some(hint),
            );
        } else if !a.kind.is_match() && a.url.ends_with('/') != a.to.ends_with('/') {
            let msg = format!(
                "`{}` and `{}`: one ends with `/`, the other does not (httpd then maps only some requests, or doubles a slash)",
                a.url, a.to
            );
            let hint = "end both with `/`, or neither".to_string();
            cx.warn(doc, &format!("{aat}.to"), msg, Some(hint));
        }
    }
    for (j, r) in v.set_env.iter().enumerate() {
        let rat = format!("{at}.setEnv[{j}]");
        if !one_word(&r.attribute) {
            let msg = format!("SetEnvIf attribute `{}` is not one word", r.attribute);
            let hint =
                "a request header (`User-Agent`, `Referer`) or `Remote_Addr`, `Request_URI`…"
                    .to_string();
            cx.error(doc, &format!("{rat}.attribute"), msg, Some(hint));
        }
        if r.pattern.is_empty() {
            let hint = "a regex on the attribute, like `MSIE [2-6]`".to_string();
            cx.error(
                doc,
                &format!("{rat}.match"),
                "empty SetEnvIf regex",
                Some(hint),
            );
        }
        if r.set.is_empty() {
            let hint = "at least one variable, like `set: [nokeepalive]`".to_string();
            cx.error(
                doc,
                &format!("{rat}.set"),
                "the rule sets no variable",
                Some(hint),
            );
        }
        for (k, s) in r.set.iter().enumerate() {
            if !env_setting_ok(s) {
                let hint = "`name` (set to 1), `name=value`, or `!name` (unset)".to_string();
                let msg = format!("`{s}` is not an environment variable setting");
                cx.error(doc, &format!("{rat}.set[{k}]"), msg, Some(hint));
            }
        }
    }
}
