//! `<Directory>`, `<Location>`, `<Files>`, `<Proxy>` (and `…Match`) sections of a virtual host →
//! [`PathSection`]s. A kind of section is typed all or nothing (httpd merges the
//! sections of one kind in file order, and untyped ones would be written after the
//! typed ones), and a section only when every directive in it has a typed field.

use super::normal::class_of;
use super::tokens::{Block, Node};
use schema::validate::apache_names::{options_problem, ORDERS, OVERRIDES};
use schema::validate::net;
use schema::{PathSection, SectionKind};

fn kind(b: &Block) -> Option<SectionKind> {
    Some(match b.name.to_ascii_lowercase().as_str() {
        "directory" => SectionKind::Directory,
        "directorymatch" => SectionKind::DirectoryMatch,
        "location" => SectionKind::Location,
        "locationmatch" => SectionKind::LocationMatch,
        "files" => SectionKind::Files,
        "filesmatch" => SectionKind::FilesMatch,
        "proxy" => SectionKind::Proxy,
        "proxymatch" => SectionKind::ProxyMatch,
        _ => return None,
    })
}

/// The sections of the classes in `classes` (`<directory>`...) that can be typed,
/// with the nodes they came from.
pub(super) fn sections<'n>(
    nodes: &[&'n Node],
    classes: &[&str],
) -> (Vec<PathSection>, Vec<&'n Node>) {
    let mut out = Vec::new();
    let mut used = Vec::new();
    for class in classes {
        let blocks: Vec<&Node> = nodes
            .iter()
            .copied()
            .filter(|n| class_of(n) == *class)
            .collect();
        let typed: Option<Vec<PathSection>> = blocks.iter().map(|n| section(n)).collect();
        if let Some(t) = typed {
            out.extend(t);
            used.extend(blocks);
        }
    }
    (out, used)
}

fn section(n: &Node) -> Option<PathSection> {
    let Node::Block(b) = n else { return None };
    let [path] = b.args.as_slice() else {
        return None;
    };
    let mut s = PathSection {
        kind: kind(b)?,
        path: path.clone(),
        options: Vec::new(),
        allow_override: Vec::new(),
        require: Vec::new(),
        order: None,
        allow_from: Vec::new(),
        deny_from: Vec::new(),
        ssl_options: Vec::new(),
        proxy_pass_reverse: Vec::new(),
        handler: None,
        balancer_members: Vec::new(),
        proxy_set: Vec::new(),
    };
    let proxy = matches!(s.kind, SectionKind::Proxy | SectionKind::ProxyMatch);
    if path.is_empty() {
        return None;
    }
    // Each single-valued directive at most once; the arguments one word each, unquoted.
    for c in &b.children {
        let Node::Directive(d) = c else { return None };
        if d.text.contains('\n') || d.args.is_empty() {
            return None;
        }
        let plain = d
            .args
            .iter()
            .all(|a| !a.is_empty() && !a.contains(|c: char| c.is_whitespace() || c == '"'));
        if !plain {
            return None;
        }
        let from = || (d.args.len() >= 2 && d.arg(0) == "from").then(|| d.args[1..].join(" "));
        match d.name.to_ascii_lowercase().as_str() {
            "options" if s.options.is_empty() && options_problem(&d.args).is_none() => {
                s.options = d.args.clone()
            }
            "allowoverride"
                if s.allow_override.is_empty()
                    && d.args.iter().all(|a| {
                        let n = a.split('=').next().unwrap_or_default().to_ascii_lowercase();
                        OVERRIDES.contains(&n.as_str())
                    }) =>
            {
                s.allow_override = d.args.clone()
            }
            "require" => s.require.push(d.args.join(" ")),
            "order"
                if s.order.is_none()
                    && d.args.len() == 1
                    && ORDERS.contains(&d.arg(0).to_ascii_lowercase().as_str()) =>
            {
                s.order = Some(d.arg(0).to_string())
            }
            "allow" => s.allow_from.push(from()?),
            "deny" => s.deny_from.push(from()?),
            "ssloptions" if s.ssl_options.is_empty() => s.ssl_options = d.args.clone(),
            "proxypassreverse" if d.args.len() == 1 && matches!(s.kind, SectionKind::Location) => {
                s.proxy_pass_reverse.push(d.arg(0).to_string())
            }
            "sethandler" if s.handler.is_none() && d.args.len() == 1 => {
                s.handler = Some(d.arg(0).to_string())
            }
            "balancermember"
                if proxy
                    && net::is_proxy_url(d.arg(0))
                    && d.args[1..].iter().all(|a| a.contains('=')) =>
            {
                s.balancer_members.push(d.args.join(" "))
            }
            "proxyset"
                if proxy && s.proxy_set.is_empty() && d.args.iter().all(|a| a.contains('=')) =>
            {
                s.proxy_set = d.args.clone()
            }
            _ => return None,
        }
    }
    Some(s)
}
