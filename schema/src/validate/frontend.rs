//! Balancer frontend checks: binds, ACLs, routing to declared backends.

use super::cx::absolute;
use super::cx::Cx;
use super::haproxy_names::PREDEFINED_ACLS;
use super::net;
use crate::load::hints::closest;
use crate::model::*;
use std::collections::BTreeSet;

pub(super) fn frontend<'a>(
    cx: &mut Cx,
    doc: &Origin,
    at: &str,
    f: &'a Frontend,
    backends: &[&str],
    used: &mut BTreeSet<&'a str>,
) {
    if f.binds.is_empty() {
        let hint = "add a bind like `*:80`, or make it a backend".to_string();
        cx.warn(
            doc,
            &format!("{at}.name"),
            format!("frontend `{}` has no bind address", f.name),
            Some(hint),
        );
    } else {
        binds(cx, doc, &format!("{at}.binds"), &f.binds);
    }
    stats_options(cx, doc, at, f.stats_uri.as_deref(), &f.stats);
    if let Some(u) = &f.monitor_uri {
        absolute(cx, doc, &format!("{at}.monitorUri"), u);
    }
    if f.no_log && !f.log.is_empty() {
        cx.error(
            doc,
            &format!("{at}.noLog"),
            format!("frontend `{}` has both `noLog` and `log` lines", f.name),
            Some(
                "drop `noLog` to log to the `log` targets, or the `log` lines to log nothing"
                    .into(),
            ),
        );
    }
    acls(cx, doc, at, &f.acls);
    rules(cx, doc, at, "httpRequest", &f.http_request);
    rules(cx, doc, at, "httpResponse", &f.http_response);
    let declared: Vec<&str> = f.acls.iter().map(|a| a.name.as_str()).collect();
    let mut backend_ref = |cx: &mut Cx, path: String, name: &'a str| {
        used.insert(name);
        if !backends.contains(&name) {
            let hint = match closest(name, backends.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None if backends.is_empty() => "declare it under `backends:`".to_string(),
                None => format!("declared backends: {}", backends.join(", ")),
            };
            cx.error(
                doc,
                &path,
                format!("backend `{name}` is not declared"),
                Some(hint),
            );
        }
    };
    if let Some(d) = &f.default_backend {
        backend_ref(cx, format!("{at}.defaultBackend"), d);
    }
    for (j, u) in f.use_backends.iter().enumerate() {
        backend_ref(cx, format!("{at}.useBackends[{j}].backend"), &u.backend);
        for acl in acl_names(&u.condition) {
            if !declared.contains(&acl) && !PREDEFINED_ACLS.contains(&acl) {
                let hint = match closest(acl, declared.iter().copied()) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("declare it under `acls:` of frontend `{}`", f.name),
                };
                let path = format!("{at}.useBackends[{j}].if");
                cx.error(
                    doc,
                    &path,
                    format!("ACL `{acl}` is not declared"),
                    Some(hint),
                );
            }
        }
    }
    if f.default_backend.is_none() && f.use_backends.is_empty() && f.stats_uri.is_none() {
        let hint = "set `defaultBackend`".to_string();
        cx.warn(
            doc,
            &format!("{at}.name"),
            format!("frontend `{}` routes to no backend", f.name),
            Some(hint),
        );
    }
}

/// ACL names HAProxy takes, non-empty conditions; a name repeated on entries that are
/// not one after the other is refused (HAProxy ORs them, which the list then hides).
pub(super) fn acls(cx: &mut Cx, doc: &Origin, at: &str, acls: &[Acl]) {
    for (j, a) in acls.iter().enumerate() {
        let ok = !a.name.is_empty()
            && a.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c));
        if !ok {
            let hint = "letters, digits, `_`, `-`, `.` and `:`, like `is_static`".to_string();
            cx.error(
                doc,
                &format!("{at}.acls[{j}].name"),
                format!("invalid ACL name `{}`", a.name),
                Some(hint),
            );
        }
        if a.condition.split_whitespace().next().is_none() {
            let hint = "a criterion and its values, like `path_beg /static`".to_string();
            cx.error(
                doc,
                &format!("{at}.acls[{j}].condition"),
                format!("ACL `{}` has an empty condition", a.name),
                Some(hint),
            );
        }
        let earlier = acls[..j].iter().rposition(|b| b.name == a.name);
        if earlier.is_some_and(|e| e + 1 != j) {
            let hint = format!(
                "entries of one name are ORed: list every `{}` entry one after the other",
                a.name
            );
            cx.error(
                doc,
                &format!("{at}.acls[{j}].name"),
                format!("duplicate ACL `{}` away from its first entries", a.name),
                Some(hint),
            );
        }
    }
}

/// `http-request` / `http-response` rules: an action first (`set-header`, `deny`...).
pub(super) fn rules(cx: &mut Cx, doc: &Origin, at: &str, field: &str, rules: &[String]) {
    for (j, r) in rules.iter().enumerate() {
        let action = r.split_whitespace().next().unwrap_or_default();
        let ok = !action.is_empty()
            && action
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_(),.".contains(c));
        if !ok {
            let hint = "the rule after the keyword, starting with its action, like `set-header X-Forwarded-Proto https`".to_string();
            cx.error(
                doc,
                &format!("{at}.{field}[{j}]"),
                format!("`{r}` does not start with an HAProxy action"),
                Some(hint),
            );
        }
    }
}

/// Named ACLs in a condition: words other than operators, negations and `{ anonymous }` ACLs.
fn acl_names(cond: &str) -> Vec<&str> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for w in cond.split_whitespace() {
        match w {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            "||" | "or" | "!" => {}
            _ if depth == 0 => {
                let name = w.trim_start_matches('!');
                if !name.is_empty() {
                    out.push(name);
                }
            }
            _ => {}
        }
    }
    out
}

/// `bind` addresses: `ADDRESS:PORT` (address may be empty or `*`), a UNIX socket path, or `proto@...`.
pub(super) fn binds(cx: &mut Cx, doc: &Origin, path: &str, binds: &[String]) {
    if binds.is_empty() {
        cx.error(
            doc,
            path,
            "no bind address",
            Some("add one, like `*:80`".into()),
        );
    }
    for (i, b) in binds.iter().enumerate() {
        let addr = b.split_whitespace().next().unwrap_or_default();
        if addr.starts_with('/') || addr.contains('@') {
            continue;
        }
        let ok = addr.rsplit_once(':').is_some_and(|(host, port)| {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port_ok = port
                .split('-')
                .all(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
            port_ok && (host.is_empty() || host == "*" || net::is_address(host))
        });
        if !ok {
            let hint =
                "`ADDRESS:PORT` with a port 1-65535, like `*:80` or `10.77.0.100:80`".to_string();
            cx.error(
                doc,
                &format!("{path}[{i}]"),
                format!("invalid bind `{b}`"),
                Some(hint),
            );
        }
    }
}

/// `statsUri` and `stats` of a frontend or backend: a path, a duration, one-word
/// realm and scopes, `stats http-request` actions HAProxy knows.
pub(super) fn stats_options(
    cx: &mut Cx,
    doc: &Origin,
    at: &str,
    uri: Option<&str>,
    s: &StatsOptions,
) {
    if let Some(u) = uri {
        absolute(cx, doc, &format!("{at}.statsUri"), u);
    }
    if let Some(r) = &s.refresh {
        cx.duration(doc, &format!("{at}.stats.refresh"), r, false);
    }
    let words = s
        .realm
        .iter()
        .map(|r| (format!("{at}.stats.realm"), r, "realm"));
    let scopes = s.scopes.iter().enumerate();
    let words = words.chain(scopes.map(|(j, x)| (format!("{at}.stats.scopes[{j}]"), x, "scope")));
    for (path, w, what) in words.collect::<Vec<_>>() {
        if w.is_empty()
            || w.chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '\\')
        {
            cx.error(
                doc,
                &path,
                format!("stats {what} `{w}` is not one plain word"),
                Some(format!(
                    "one word without blanks, quotes or backslashes, e.g. `{}`",
                    if what == "realm" {
                        "Statistics"
                    } else {
                        "web_back"
                    }
                )),
            );
        }
    }
    for (j, r) in s.http_request.iter().enumerate() {
        let first = r.split_whitespace().next().unwrap_or_default();
        if !["allow", "deny", "auth"].contains(&first) {
            cx.error(
                doc,
                &format!("{at}.stats.httpRequest[{j}]"),
                format!("`{r}` is not a stats http-request rule"),
                Some(
                    "`allow [if COND]`, `deny [if COND]` or `auth [realm REALM] [if COND]`".into(),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::acl_names;

    #[test]
    fn acl_names_skip_operators_and_anonymous_acls() {
        assert_eq!(
            acl_names("is_auth !is_static || { path_beg /x } or LOCALHOST"),
            ["is_auth", "is_static", "LOCALHOST"]
        );
    }
}
