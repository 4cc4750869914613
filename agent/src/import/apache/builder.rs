//! The typed import of one parsed site file (and its verbatim fallback).

use super::modules;
use super::normal::{self, Ctx};
use super::site::Site;
use super::tokens::{Block, Node};
use super::vhost;
use crate::import::doc::{Comments, Imported};
use crate::import::summary::{Fate, FileSummary, Format};
use schema::GatewaySpec;
use std::collections::{BTreeMap, BTreeSet};

pub(super) struct Builder<'a> {
    label: String,
    nodes: &'a [Node],
    ctx: &'a Ctx<'a>,
    summary: FileSummary,
    comments: Comments,
    modules: BTreeSet<String>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(
        site: &Site<'_>,
        label: &str,
        nodes: &'a [Node],
        ctx: &'a Ctx<'a>,
        errors: &[(String, usize, String)],
    ) -> Self {
        let mut summary = FileSummary::new(site.host, site.path, Format::Apache);
        for (file, line, msg) in errors {
            let (f, _) = (file, ());
            if f == label {
                summary.error(*line, msg.to_string());
            } else {
                summary.error(*line, format!("{f}: {msg}"));
            }
        }
        Builder {
            label: label.to_string(),
            nodes,
            ctx,
            summary,
            comments: Comments::default(),
            modules: BTreeSet::new(),
        }
    }

    fn finish(mut self, mut spec: GatewaySpec, stem: &str) -> Imported<GatewaySpec> {
        self.modules
            .retain(|m| !modules::DEBIAN_DEFAULT.contains(&m.as_str()) && !modules::is_static(m));
        for v in &spec.vhosts {
            for m in crate::targets::gateway::render::needed_modules(v) {
                self.modules.remove(m);
            }
        }
        for m in crate::targets::gateway::render::spec_modules(&spec) {
            self.modules.remove(m);
        }
        spec.modules = self.modules.into_iter().collect();
        spec.site_name = Some(stem.to_string());
        Imported {
            kind: "Gateway",
            name: String::new(),
            spec,
            comments: self.comments,
            secrets: Vec::new(),
            secret_values: Vec::new(),
            summaries: vec![self.summary],
        }
    }

    fn empty() -> GatewaySpec {
        GatewaySpec {
            hosts: Vec::new(),
            site_name: None,
            modules: Vec::new(),
            vhosts: Vec::new(),
            ssl_stapling_cache: None,
            macros: Vec::new(),
            uses: Vec::new(),
            raw: None,
        }
    }

    /// Counts every directive of `nodes` (recursively) as `fate`; included files' content
    /// is listed as left on the host.
    fn count(&mut self, nodes: &[&Node], fate: Fate, why: &str) {
        for n in nodes {
            let what = n.text().lines().next().unwrap_or("").trim().to_string();
            self.summary.count(n.line(), fate, what, why);
            match n {
                Node::Block(b) => {
                    let children: Vec<&Node> = b.children.iter().collect();
                    self.count(&children, fate, why);
                }
                Node::Include(d, Some(files)) => {
                    for (path, nodes) in files {
                        let inner: Vec<&Node> = nodes.iter().collect();
                        let why = format!(
                            "in {path}, included by line {}: stays on the host as it is",
                            d.line
                        );
                        self.count(&inner, Fate::Unmanaged, &why);
                    }
                }
                _ => {}
            }
        }
    }

    pub(super) fn all_raw(mut self, stem: &str) -> Imported<GatewaySpec> {
        let all: Vec<&Node> = self.nodes.iter().collect();
        self.count(&all, Fate::Raw, "whole file kept verbatim");
        modules::needed(self.nodes, &mut self.modules);
        let mut spec = Self::empty();
        let text: Vec<String> = self.nodes.iter().map(|n| dedent(n.text())).collect();
        spec.raw = Some(format!(
            "# imported verbatim from {} (the whole file)\n{}",
            self.label,
            text.join("\n")
        ));
        self.comments.add(
            "spec.raw",
            format!(
                "The whole of {} verbatim: see IMPORT.md for why.",
                self.label
            ),
        );
        self.finish(spec, stem)
    }

    pub(super) fn typed(mut self, absorb: bool, stem: &str) -> Imported<GatewaySpec> {
        let ctx = self.ctx;
        let nodes = normal::expand_modules(self.nodes, ctx);
        for (b, m) in vhost::unwrapped(self.nodes, ctx) {
            self.unwrapped(b, &m);
        }
        // Each vhost: typed, or why not.
        let mut results: Vec<(usize, Result<vhost::Typed, String>)> = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            if let Node::Block(b) = n {
                if b.is("VirtualHost") {
                    results.push((i, vhost::vhost(b, ctx)));
                }
            }
        }
        let mut redirect_of = if absorb {
            super::absorb::redirects(&nodes, &results)
        } else {
            BTreeMap::new()
        };
        // A `Use` may make virtual hosts: what is written after it stays after it.
        let last_use = nodes
            .iter()
            .rposition(|n| matches!(n, Node::Directive(d) if d.is("Use")));
        redirect_of.retain(|_, r| last_use.is_none_or(|u| u < *r));
        self.keep_defaults_first(&nodes, &mut results, &redirect_of);
        let typed_ports: BTreeSet<u16> = results
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .map(|t| {
                t.vhost
                    .port
                    .unwrap_or(if t.vhost.tls.is_some() { 443 } else { 80 })
            })
            .collect();
        let typed_vhost = |i: usize| {
            redirect_of.values().any(|r| *r == i)
                || results.iter().any(|(j, r)| *j == i && r.is_ok())
        };
        let macros_typed = super::macros::typeable(&nodes, typed_vhost);
        let stapling_caches = nodes
            .iter()
            .filter(|n| matches!(n, Node::Directive(d) if d.is("SSLStaplingCache")))
            .count();
        let mut spec = Self::empty();
        let mut raw_text = Vec::new();
        let mut listens = BTreeSet::new();
        for (i, n) in nodes.iter().enumerate() {
            if redirect_of.values().any(|r| *r == i) {
                self.count(&[n], Fate::Typed, "");
                continue;
            }
            let result = results.iter_mut().find(|(j, _)| *j == i).map(|(_, r)| r);
            match (n, result) {
                (Node::Block(b), Some(Ok(t))) => {
                    let mut v = t.vhost.clone();
                    v.redirect_http = redirect_of.contains_key(&i);
                    let at = format!("spec.vhosts[{}]", spec.vhosts.len());
                    self.comments.add(
                        at.clone(),
                        format!(
                            "{}:{} <VirtualHost {}>",
                            self.label,
                            b.line,
                            b.args.join(" ")
                        ),
                    );
                    if v.redirect_http {
                        self.comments.add(
                            format!("{at}.redirectHttp"),
                            format!(
                                "the *:80 vhost at line {} only redirected to https",
                                nodes[redirect_of[&i]].line()
                            ),
                        );
                    }
                    self.count(&[&header_only(b)], Fate::Typed, "");
                    let typed = t.typed.clone();
                    self.count(&typed, Fate::Typed, "");
                    let raw = t.raw.clone();
                    if !raw.is_empty() {
                        self.count(&raw, Fate::Raw, "not modelled in a virtual host");
                        modules::needed(
                            &raw.iter().map(|n| (*n).clone()).collect::<Vec<_>>(),
                            &mut self.modules,
                        );
                        let lines: Vec<String> = raw
                            .iter()
                            .map(|n| format!("# {}\n{}", n.origin(), dedent(n.text())))
                            .collect();
                        v.raw = Some(lines.join("\n"));
                        self.comments.add(format!("{at}.raw"), "directives the model does not type, in their order, each after its source line".to_string());
                    }
                    spec.vhosts.push(v);
                }
                (Node::Block(b), Some(Err(why))) => {
                    let why = format!("virtual host <VirtualHost {}>: {why}", b.args.join(" "));
                    self.raw_node(n, &why, &mut raw_text);
                }
                (Node::Directive(d), None)
                    if d.is("Listen")
                        && d.args.len() == 1
                        && d.arg(0)
                            .parse::<u16>()
                            .is_ok_and(|p| p != 80 && p != 443 && typed_ports.contains(&p))
                        && listens.insert(d.arg(0).to_string()) =>
                {
                    self.count(&[n], Fate::Typed, "");
                    self.comments.add("spec.vhosts", format!("`Listen {}` ({}:{}) is written by the agent for the vhost on that port", d.arg(0), self.label, d.line));
                }
                (Node::Block(b), None) if macros_typed && b.is("Macro") => {
                    let body = super::macros::body(b);
                    let m = super::macros::definition(b, dedent(&body)).expect("typeable");
                    self.count(&[&header_only(b)], Fate::Typed, "");
                    let inner: Vec<&Node> = b.children.iter().collect();
                    let why = "macro body, kept as written (mod_macro puts the arguments in)";
                    self.count(&inner, Fate::Raw, why);
                    modules::needed(&b.children, &mut self.modules);
                    let at = format!("spec.macros[{}]", spec.macros.len());
                    self.comments
                        .add(at, format!("{} <Macro {}>", n.origin(), b.args.join(" ")));
                    spec.macros.push(m);
                }
                (Node::Directive(d), None) if macros_typed && d.is("Use") => {
                    self.count(&[n], Fate::Typed, "");
                    spec.uses.extend(super::macros::use_line(d));
                }
                (Node::Directive(d), None)
                    if d.is("SSLStaplingCache") && d.args.len() == 1 && stapling_caches == 1 =>
                {
                    self.count(&[n], Fate::Typed, "");
                    spec.ssl_stapling_cache = Some(d.arg(0).to_string());
                }
                _ => self.raw_node(n, "server-level directive", &mut raw_text),
            }
        }
        if !raw_text.is_empty() {
            spec.raw = Some(raw_text.join("\n"));
        }
        self.finish(spec, stem)
    }

    fn raw_node(&mut self, n: &Node, why: &str, out: &mut Vec<String>) {
        self.count(&[n], Fate::Raw, why);
        modules::needed(std::slice::from_ref(n), &mut self.modules);
        out.push(format!("# {} ({why})\n{}", n.origin(), dedent(n.text())));
        self.comments
            .add("spec.raw", format!("{}: {why}", n.origin()));
    }

    fn unwrapped(&mut self, b: &Block, m: &str) {
        self.summary.count(
            b.line,
            Fate::Typed,
            format!("<IfModule {}>", b.args.join(" ")),
            "",
        );
        if !modules::is_static(m) {
            self.modules.insert(m.to_string());
        }
        self.comments.add(
            "spec.modules",
            format!(
                "<IfModule {}> at {}:{} unwrapped: the agent enables `{m}`",
                b.args.join(" "),
                self.label,
                b.line
            ),
        );
    }

    /// Raw vhosts are written before typed ones: a typed vhost before a raw one of the
    /// same address would take its place as that address's default, so it stays raw too;
    /// so does one before a `Use` (the macro's virtual hosts are written before it).
    fn keep_defaults_first(
        &mut self,
        nodes: &[&Node],
        results: &mut [(usize, Result<vhost::Typed, String>)],
        redirect_of: &BTreeMap<usize, usize>,
    ) {
        let addr = |i: usize| match nodes[i] {
            Node::Block(b) => normal::vhost_addr(b),
            _ => String::new(),
        };
        let absorbed: BTreeSet<usize> = redirect_of.values().copied().collect();
        let uses: Vec<usize> = (0..nodes.len())
            .filter(|i| matches!(nodes[*i], Node::Directive(d) if d.is("Use")))
            .collect();
        let raw_at: Vec<(usize, String)> = results
            .iter()
            .filter(|(i, r)| r.is_err() && !absorbed.contains(i))
            .map(|(i, _)| (*i, addr(*i)))
            .collect();
        for (i, r) in results.iter_mut() {
            let a = addr(*i);
            if let Some((j, _)) = raw_at.iter().rev().find(|(j, ra)| *ra == a && j > i) {
                if r.is_ok() {
                    *r = Err(format!("kept before the raw vhost at line {} of the same address (the first one is the default)", nodes[*j].line()));
                }
            } else if let Some(j) = uses.iter().find(|j| **j > *i).filter(|_| r.is_ok()) {
                *r = Err(format!("kept before the `Use` at line {} (a macro may make a virtual host of the same address; the first one is the default)", nodes[*j].line()));
            }
        }
    }
}

/// A block's opening line alone (for counting it).
fn header_only(b: &Block) -> Node {
    Node::Block(Block {
        children: Vec::new(),
        ..b.clone()
    })
}

/// A node's text with the indentation of its first line removed from every line.
fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| {
            if l.len() >= indent && l[..indent].trim().is_empty() {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
