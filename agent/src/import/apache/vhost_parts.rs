//! The parts of a virtual host typed as a whole class: proxy routes, response
//! headers, redirects, cache rules, aliases, `SetEnvIf`/`BrowserMatch` rules.

use super::select::{bare, directives};
use super::tokens::{Directive, Node};
use schema::validate::apache_names::env_setting_ok;
use schema::validate::net;
use schema::{
    AliasKind, AliasRule, CacheRule, HeaderAction, RedirectRule, ResponseHeader, Route, SetEnvRule,
};

/// The proxy routes of a virtual host.
pub(super) struct Routes<'n> {
    pub routes: Vec<Route>,
    /// `ProxyPass PATH !` exclusions.
    pub no_proxy: Vec<String>,
    pub preserve_host: bool,
    pub used: Vec<&'n Directive>,
}

/// `ProxyPass` + `ProxyPassReverse` pairs (each reverse line names its route's path
/// and URL, in the routes' order) and `ProxyPass PATH !` exclusions, when the `ProxyPass`
/// lines are in the order the renderer writes them (longest path first, see
/// `targets/gateway/render.rs`), with only `retry`, `connectiontimeout`, `timeout`
/// parameters. Anything else keeps the whole class verbatim.
pub(super) fn routes<'n>(nodes: &[&'n Node]) -> Option<Routes<'n>> {
    let pass = directives(nodes, |d| d.is("ProxyPass"));
    if pass.is_empty() || !directives(nodes, |d| d.is("ProxyPassMatch")).is_empty() {
        return None;
    }
    let reverse = directives(nodes, |d| d.is("ProxyPassReverse"));
    let requests = directives(nodes, |d| d.is("ProxyRequests"));
    if requests
        .iter()
        .any(|d| !d.arg(0).eq_ignore_ascii_case("off"))
    {
        return None;
    }
    let mut routes = Vec::new();
    let mut no_proxy = Vec::new();
    let mut order = Vec::new();
    for p in &pass {
        let (path, url) = (p.arg(0), p.arg(1));
        if !path.starts_with('/') {
            return None;
        }
        order.push(path);
        if url == "!" && p.args.len() == 2 {
            no_proxy.push(path.to_string());
            continue;
        }
        if !net::is_proxy_url(url) {
            return None;
        }
        let mut route = Route {
            path: path.into(),
            upstream: url.into(),
            connect_timeout: None,
            timeout: None,
            retry: None,
            expect_status: None,
        };
        for kv in &p.args[2..] {
            let (k, val) = kv.split_once('=')?;
            let n: u32 = val.parse().ok()?;
            let slot = match k.to_ascii_lowercase().as_str() {
                "retry" => &mut route.retry,
                "connectiontimeout" => &mut route.connect_timeout,
                "timeout" => &mut route.timeout,
                _ => return None,
            };
            if slot.replace(n).is_some() {
                return None;
            }
        }
        routes.push(route);
    }
    if routes.is_empty() {
        return None;
    }
    // Every route has its own reverse line, in the routes' order (httpd tries the
    // reverse lines in order too), and there is no other.
    if reverse.len() != routes.len()
        || routes
            .iter()
            .zip(&reverse)
            .any(|(r, d)| d.args != [r.path.as_str(), r.upstream.as_str()])
    {
        return None;
    }
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    if sorted != order || sorted.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let preserve = directives(nodes, |d| d.is("ProxyPreserveHost"));
    let on = match preserve.as_slice() {
        [] => false,
        [d] if d.args.len() == 1 => match d.arg(0).to_ascii_lowercase().as_str() {
            "on" => true,
            "off" => false,
            _ => return None,
        },
        _ => return None,
    };
    let mut used: Vec<&Directive> = pass
        .into_iter()
        .chain(reverse)
        .chain(requests)
        .chain(preserve)
        .collect();
    used.dedup_by(|a, b| std::ptr::eq(*a, *b));
    Some(Routes {
        routes,
        no_proxy,
        preserve_host: on,
        used,
    })
}

pub(super) fn response_header(d: &Directive) -> Option<ResponseHeader> {
    let mut a: &[String] = &d.args;
    let mut always = false;
    match a.first().map(|x| x.to_ascii_lowercase()).as_deref() {
        Some("always") => {
            always = true;
            a = &a[1..];
        }
        Some("onsuccess") => a = &a[1..],
        _ => {}
    }
    let action = match a.first()?.to_ascii_lowercase().as_str() {
        "set" => HeaderAction::Set,
        "append" => HeaderAction::Append,
        "add" => HeaderAction::Add,
        "unset" => HeaderAction::Unset,
        "edit" => HeaderAction::Edit,
        _ => return None,
    };
    let name = a.get(1).filter(|n| bare(n))?.clone();
    let (value, replacement) = match (action, &a[2..]) {
        (HeaderAction::Unset, []) => (None, None),
        (HeaderAction::Edit, [re, rep]) => (Some(re.clone()), Some(rep.clone())),
        (HeaderAction::Set | HeaderAction::Append | HeaderAction::Add, [v])
            if !v.starts_with("env=") && !v.starts_with("expr=") =>
        {
            (Some(v.clone()), None)
        }
        _ => return None,
    };
    Some(ResponseHeader {
        action,
        name,
        value,
        replacement,
        always,
    })
}

pub(super) fn redirect(d: &Directive) -> Option<RedirectRule> {
    if !d.is("RedirectMatch") {
        return None;
    }
    let (status, rest) = match d.arg(0).to_ascii_lowercase().as_str() {
        "permanent" => (Some(301), &d.args[1..]),
        "temp" => (Some(302), &d.args[1..]),
        "seeother" => (Some(303), &d.args[1..]),
        s if s.parse::<u16>().is_ok() => (s.parse().ok(), &d.args[1..]),
        _ => (None, &d.args[..]),
    };
    if status.is_some_and(|s| ![301, 302, 303, 307, 308].contains(&s)) {
        return None;
    }
    match rest {
        [re, to] => Some(RedirectRule {
            path_match: re.clone(),
            to: to.clone(),
            status,
        }),
        _ => None,
    }
}

pub(super) fn cache_rule(n: &Node) -> Option<CacheRule> {
    let Node::Block(b) = n else { return None };
    if !b.is("LocationMatch") || b.args.len() != 1 {
        return None;
    }
    match b.children.as_slice() {
        [Node::Directive(d)]
            if d.is("Header")
                && d.args.len() == 3
                && d.arg(0).eq_ignore_ascii_case("set")
                && d.arg(1).eq_ignore_ascii_case("Cache-Control")
                && d.arg(1) == "Cache-Control" =>
        {
            Some(CacheRule {
                path_match: b.args[0].clone(),
                value: d.arg(2).into(),
            })
        }
        _ => None,
    }
}

/// Every `Alias`, `AliasMatch`, `ScriptAlias`, `ScriptAliasMatch`, in order, when each
/// is `URL PATH` as validation takes it (a plain URL path starts with `/`).
pub(super) fn aliases<'n>(nodes: &[&'n Node]) -> Option<(Vec<AliasRule>, Vec<&'n Directive>)> {
    let kind = |d: &Directive| {
        [
            AliasKind::Alias,
            AliasKind::AliasMatch,
            AliasKind::ScriptAlias,
            AliasKind::ScriptAliasMatch,
        ]
        .into_iter()
        .find(|k| d.is(k.as_str()))
    };
    let all = directives(nodes, |d| kind(d).is_some());
    let rules = all
        .iter()
        .map(|d| {
            let k = kind(d)?;
            match d.args.as_slice() {
                [url, to] if !to.is_empty() && (k.is_match() || url.starts_with('/')) => {
                    Some(AliasRule {
                        kind: k,
                        url: url.clone(),
                        to: to.clone(),
                    })
                }
                _ => None,
            }
        })
        .collect::<Option<Vec<_>>>()?;
    (!rules.is_empty()).then_some((rules, all))
}

/// Every `SetEnvIf`, `SetEnvIfNoCase`, `BrowserMatch`, `BrowserMatchNoCase`, in order,
/// when each sets variables validation takes (`name`, `name=value`, `!name`).
pub(super) fn set_env<'n>(nodes: &[&'n Node]) -> Option<(Vec<SetEnvRule>, Vec<&'n Directive>)> {
    let forms = [
        ("SetEnvIf", false, false),
        ("SetEnvIfNoCase", false, true),
        ("BrowserMatch", true, false),
        ("BrowserMatchNoCase", true, true),
    ];
    let form = |d: &Directive| forms.into_iter().find(|(n, _, _)| d.is(n));
    let all = directives(nodes, |d| form(d).is_some());
    let rules = all
        .iter()
        .map(|d| {
            let (_, browser, nocase) = form(d)?;
            let (attribute, rest) = if browser {
                ("User-Agent".to_string(), &d.args[..])
            } else {
                let (a, rest) = d.args.split_first()?;
                (a.clone(), rest)
            };
            let (pattern, set) = rest.split_first()?;
            let ok = bare(&attribute)
                && !pattern.is_empty()
                && !set.is_empty()
                && set.iter().all(|s| env_setting_ok(s));
            ok.then(|| SetEnvRule {
                attribute,
                pattern: pattern.clone(),
                nocase,
                set: set.to_vec(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    (!rules.is_empty()).then_some((rules, all))
}
