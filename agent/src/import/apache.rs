//! Apache httpd site files → `Gateway` spec, one document per site file.
//!
//! Same shape as the other importers ([`import`], [`normal_text`]). Typed: virtual
//! hosts on `*:PORT` with a ServerName (aliases, TLS files, reverse-proxy routes,
//! header edits, cache rules, `RedirectMatch`, `Alias`, `SetEnvIf`, an HTTP→HTTPS
//! redirect vhost), their modules, `<IfModule>` wrappers whose module the agent
//! enables, `SSLStaplingCache`, and mod_macro definitions (the body as written) with
//! their `Use` lines. Kept verbatim,
//! with source lines: the rest of a vhost (its `raw`), server-level directives and
//! other vhosts (the gateway's `raw`, written before the typed vhosts; a raw vhost
//! that is the default of its address stays first). `Include`s stay `Include`s: the
//! included files remain on the host; when they were read (live), they are part of
//! the semantic comparison and listed in the summary.
//!
//! Every result is rendered and compared with the source in canonical form; if they
//! differ, the whole file is kept verbatim instead.

mod absorb;
mod builder;
mod macros;
mod modules;
pub(crate) mod normal;
mod select;
mod site;
mod tokens;
mod vhost;
mod vhost_parts;
mod vhost_sections;
mod vhost_site;

pub use normal::{normal_text, Ctx};
pub use site::{Includes, Site};

use super::doc::Imported;
use super::semantic;
use super::summary::Fate;
use builder::Builder;
use schema::GatewaySpec;
use std::collections::BTreeSet;
use tokens::Node;

/// The semantic differences between a live site (with what its includes read and the
/// host's modules) and a rendered one.
pub fn differences(
    live: &str,
    rendered: &str,
    includes: &Includes,
    enabled: Option<&BTreeSet<String>>,
) -> Vec<String> {
    let on = |m: &str| {
        modules::standard(m) && enabled.is_none_or(|e| e.contains(m) || modules::is_static(m))
    };
    let ctx = Ctx { module_on: &on };
    let inc = (!includes.is_empty()).then_some(includes);
    let a = normal::normal(&parse_with("live", live, inc, &mut Vec::new()), &ctx);
    let b = normal::normal(
        &parse_with("rendered", rendered, inc, &mut Vec::new()),
        &ctx,
    );
    semantic::differences(&a, &b)
}

/// Every `Include` argument in `text` (what the live reader must fetch).
pub fn include_patterns(path: &str, text: &str) -> Vec<String> {
    fn walk(nodes: &[Node], out: &mut Vec<String>) {
        for n in nodes {
            match n {
                Node::Include(d, _) => out.extend(d.args.first().cloned()),
                Node::Block(b) => walk(&b.children, out),
                Node::Directive(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&tokens::parse(path, text).0, &mut out);
    out
}

/// Parses `text` and attaches what its `Include`s read.
fn parse_with(
    path: &str,
    text: &str,
    includes: Option<&Includes>,
    errors: &mut Vec<(String, usize, String)>,
) -> Vec<Node> {
    fn attach(
        nodes: &mut [Node],
        inc: &Includes,
        depth: usize,
        errors: &mut Vec<(String, usize, String)>,
    ) {
        for n in nodes.iter_mut() {
            match n {
                Node::Include(d, files) if depth < 8 => {
                    let Some(found) = d.args.first().and_then(|p| inc.get(p)) else {
                        continue;
                    };
                    let mut parsed = Vec::new();
                    for (p, t) in found {
                        let (mut nodes, errs) = tokens::parse(p, t);
                        errors.extend(errs.into_iter().map(|(l, m)| (p.clone(), l, m)));
                        attach(&mut nodes, inc, depth + 1, errors);
                        parsed.push((p.clone(), nodes));
                    }
                    *files = Some(parsed);
                }
                Node::Block(b) => attach(&mut b.children, inc, depth, errors),
                _ => {}
            }
        }
    }
    let (mut nodes, errs) = tokens::parse(path, text);
    errors.extend(errs.into_iter().map(|(l, m)| (path.to_string(), l, m)));
    if let Some(inc) = includes {
        attach(&mut nodes, inc, 0, errors);
    }
    nodes
}

/// Imports one site file; never fails (what cannot be typed is kept verbatim).
pub fn import(site: &Site<'_>, name: &str) -> Imported<GatewaySpec> {
    let label = site.label();
    let mut errors = Vec::new();
    let nodes = parse_with(&label, site.text, site.includes, &mut errors);
    let on = |m: &str| site.module_on(m);
    let ctx = Ctx { module_on: &on };
    let live = normal::normal(&nodes, &ctx);
    let check = |out: &Imported<GatewaySpec>| -> Vec<String> {
        match super::verify::render_gateway(&out.spec) {
            Ok(text) => {
                let rendered = parse_with("rendered", &text, site.includes, &mut Vec::new());
                semantic::differences(&live, &normal::normal(&rendered, &ctx))
            }
            Err(e) => vec![format!("the typed form does not render: {e}")],
        }
    };
    let stem = site.path.rsplit('/').next().unwrap_or(site.path);
    let stem = stem.strip_suffix(".conf").unwrap_or(stem);
    let mut attempts = [true, false]
        .into_iter()
        .map(|absorb| Builder::new(site, &label, &nodes, &ctx, &errors).typed(absorb, stem));
    let first = attempts.next().expect("two attempts");
    let mut diffs = check(&first);
    let mut out = first;
    if !diffs.is_empty() {
        let second = attempts.next().expect("two attempts");
        let d2 = check(&second);
        if d2.is_empty() {
            out = second;
            diffs = d2;
        }
    }
    if !diffs.is_empty() {
        out = Builder::new(site, &label, &nodes, &ctx, &errors).all_raw(stem);
        for d in diffs.iter().take(5) {
            out.summaries[0].count(
                0,
                Fate::Raw,
                d.clone(),
                "typed form differed; whole file kept verbatim",
            );
        }
    }
    out.name = name.to_string();
    out
}

/// The file kept whole and verbatim (see [`super::haproxy::verbatim`]).
pub fn verbatim(site: &Site<'_>, name: &str) -> Imported<GatewaySpec> {
    let label = site.label();
    let mut errors = Vec::new();
    let nodes = parse_with(&label, site.text, site.includes, &mut errors);
    let on = |m: &str| site.module_on(m);
    let ctx = Ctx { module_on: &on };
    let stem = site.path.rsplit('/').next().unwrap_or(site.path);
    let mut out = Builder::new(site, &label, &nodes, &ctx, &errors)
        .all_raw(stem.strip_suffix(".conf").unwrap_or(stem));
    out.name = name.to_string();
    out
}

#[cfg(test)]
#[path = "apache_tests.rs"]
mod tests;
