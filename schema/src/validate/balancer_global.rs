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

/// `userlists`: unique names, group references that exist, names HAProxy takes.
pub(super) fn userlists(cx: &mut Cx, doc: &Origin, lists: &[Userlist]) {
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.@".contains(c))
    };
    cx.unique(
        "userlist",
        lists
            .iter()
            .enumerate()
            .map(|(i, u)| (doc, format!("spec.userlists[{i}].name"), u.name.clone())),
    );
    for (i, u) in lists.iter().enumerate() {
        let at = format!("spec.userlists[{i}]");
        let groups: Vec<&str> = u.groups.iter().map(|g| g.name.as_str()).collect();
        let users: Vec<&str> = u.users.iter().map(|x| x.name.as_str()).collect();
        let names = [("name", &u.name)]
            .into_iter()
            .map(|(f, n)| (format!("{at}.{f}"), n.clone()))
            .chain(
                u.groups
                    .iter()
                    .enumerate()
                    .map(|(j, g)| (format!("{at}.groups[{j}].name"), g.name.clone())),
            )
            .chain(
                u.users
                    .iter()
                    .enumerate()
                    .map(|(j, x)| (format!("{at}.users[{j}].name"), x.name.clone())),
            );
        for (path, n) in names {
            if !word(&n) {
                cx.error(
                    doc,
                    &path,
                    format!("invalid name `{n}`"),
                    Some("letters, digits, `_`, `-`, `.`, `@`".into()),
                );
            }
        }
        for (j, g) in u.groups.iter().enumerate() {
            for (k, m) in g.users.iter().enumerate() {
                if !users.contains(&m.as_str()) {
                    cx.error(
                        doc,
                        &format!("{at}.groups[{j}].users[{k}]"),
                        format!(
                            "group `{}` lists `{m}`, which is not a user of userlist `{}`",
                            g.name, u.name
                        ),
                        Some(format!("users: {}", users.join(", "))),
                    );
                }
            }
        }
        for (j, x) in u.users.iter().enumerate() {
            if x.password.is_empty() || x.password.contains(char::is_whitespace) {
                cx.error(
                    doc,
                    &format!("{at}.users[{j}].password"),
                    format!("the password of `{}` is empty or has spaces", x.name),
                    Some("a crypt(3) hash like `$6$salt$…` (or clear text with `insecure: true`), one word".into()),
                );
            }
            for (k, g) in x.groups.iter().enumerate() {
                if !groups.contains(&g.as_str()) {
                    cx.error(
                        doc,
                        &format!("{at}.users[{j}].groups[{k}]"),
                        format!("group `{g}` is not declared in userlist `{}`", u.name),
                        Some("declare it under `groups:`".into()),
                    );
                }
            }
        }
    }
}

/// `caches`: unique names, sizes HAProxy takes.
pub(super) fn caches(cx: &mut Cx, doc: &Origin, caches: &[Cache]) {
    cx.unique(
        "cache",
        caches
            .iter()
            .enumerate()
            .map(|(i, c)| (doc, format!("spec.caches[{i}].name"), c.name.clone())),
    );
    for (i, c) in caches.iter().enumerate() {
        if !(1..=4095).contains(&c.total_max_size) {
            cx.error(
                doc,
                &format!("spec.caches[{i}].totalMaxSize"),
                format!(
                    "cache `{}`: total-max-size {} MB is out of range",
                    c.name, c.total_max_size
                ),
                Some("megabytes, 1-4095".into()),
            );
        }
        let total = u64::from(c.total_max_size) * 1024 * 1024;
        if let Some(m) = c.max_object_size.filter(|m| u64::from(*m) > total / 2) {
            cx.error(
                doc,
                &format!("spec.caches[{i}].maxObjectSize"),
                format!(
                    "cache `{}`: max-object-size {m} bytes is over half the cache",
                    c.name
                ),
                Some(format!(
                    "at most {} bytes (half of totalMaxSize)",
                    total / 2
                )),
            );
        }
    }
}

/// `peers` sections: unique names, peers named once with an `ADDRESS:PORT`; the
/// `localpeer` one of them.
pub(super) fn peers(cx: &mut Cx, doc: &Origin, spec: &BalancerSpec) {
    let sections = spec.peers.iter().enumerate();
    cx.unique(
        "peers section",
        sections.map(|(i, p)| (doc, format!("spec.peers[{i}].name"), p.name.clone())),
    );
    for (i, p) in spec.peers.iter().enumerate() {
        let list = p.peers.iter().enumerate();
        cx.unique(
            "peer",
            list.map(|(j, x)| {
                (
                    doc,
                    format!("spec.peers[{i}].peers[{j}].name"),
                    x.name.clone(),
                )
            }),
        );
        for (j, x) in p.peers.iter().enumerate() {
            if !super::net::is_peer_address(&x.address) {
                cx.error(
                    doc,
                    &format!("spec.peers[{i}].peers[{j}].address"),
                    format!("peer `{}`: `{}` is not ADDRESS:PORT", x.name, x.address),
                    Some("an IP or DNS name and a port 1-65535, e.g. `10.0.0.1:10000` or `[fd00::1]:10000`".into()),
                );
            }
        }
    }
    if let Some(l) = &spec.global.localpeer {
        let all: Vec<&str> = spec
            .peers
            .iter()
            .flat_map(|p| p.peers.iter().map(|x| x.name.as_str()))
            .collect();
        if !spec.peers.is_empty() && !all.contains(&l.as_str()) {
            cx.warn(
                doc,
                "spec.global.localpeer",
                format!("`localpeer {l}` names no peer of the `peers` sections"),
                Some(format!("one of: {}", all.join(", "))),
            );
        }
    }
}

/// `fcgi-app` sections: unique names, an absolute `docroot`.
pub(super) fn fcgi_apps(cx: &mut Cx, doc: &Origin, apps: &[FcgiApp]) {
    let list = apps.iter().enumerate();
    cx.unique(
        "fcgi-app",
        list.map(|(i, a)| (doc, format!("spec.fcgiApps[{i}].name"), a.name.clone())),
    );
    for (i, a) in apps.iter().enumerate() {
        super::cx::absolute(cx, doc, &format!("spec.fcgiApps[{i}].docroot"), &a.docroot);
    }
}
