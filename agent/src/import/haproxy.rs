//! haproxy.cfg → `Balancer` spec.
//!
//! Place: one of the per-format importers of [`crate::import`] (same shape for
//! each: [`import`] a source text into an [`Imported`] spec, [`normal_text`] for the
//! semantic comparison). The balancer target's `import` once targets are one trait.
//!
//! What becomes typed: the first `global` section, the `defaults` sections (the
//! named ones and at most one unnamed one, see [`scope`]), frontends, backends
//! (servers, cookie, health check, server defaults shared by every server) and the
//! `listen stats` page, userlists, caches, peers, fcgi-apps. Everything else is copied
//! verbatim, with its source line, to the section's `extra` lines or, for whole sections (other `listen`s,
//! `resolvers`, a section holding `.if` blocks, everything from a `defaults` scope the
//! typed form cannot say on: a second unnamed `defaults`...), to `raw`, which the
//! renderer appends at the end of the file; HAProxy reads proxies in any order, a
//! `defaults` only affects what follows it, and a proxy kept there that inherited a
//! named section gets `from NAME` on its header, so the meaning is kept.
//!
//! A class of directives whose order matters (`use_backend`, `server`, `acl` rules)
//! is typed all or nothing, so the renderer's fixed order never reorders it. Every
//! result is checked: rendered and compared with the source in canonical form
//! ([`normal`]); if they differ, the whole file goes to `raw` instead, and the
//! summary says what the typed form got wrong.

mod backend;
mod frontend;
mod global;
pub(crate) mod normal;
mod rules;
mod scope;
mod servers;
mod stats;
mod tokens;
mod typed;
mod userlist;

pub use normal::{join, normal_text};

use super::doc::{Comments, Imported};
use super::semantic;
use super::summary::{Fate, FileSummary, Format};
use schema::BalancerSpec;
use tokens::{Config, Line, Section};

/// One source file to import.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The host it was read from (`None` offline).
    pub host: Option<&'a str>,
    pub path: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    pub fn label(&self) -> String {
        match self.host {
            Some(h) => format!("{h}:{}", self.path),
            None => self.path.to_string(),
        }
    }
}

/// Imports one haproxy.cfg; never fails (what cannot be typed is kept verbatim).
pub fn import(src: &Source<'_>, name: &str) -> Imported<BalancerSpec> {
    let cfg = tokens::parse(src.text);
    let live = normal::normal(&cfg, &src.label());
    let typed = Builder::new(src, &cfg).typed();
    let differences = match super::verify::render_balancer(&typed.spec) {
        Ok(text) => semantic::differences(&live, &normal_text("rendered", &text)),
        Err(e) => vec![format!("the typed form does not render: {e}")],
    };
    let mut out = if differences.is_empty() {
        typed
    } else {
        let mut raw = Builder::new(src, &cfg).all_raw();
        for d in differences.iter().take(5) {
            raw.summaries[0].count(
                0,
                Fate::Raw,
                d.clone(),
                "typed form differed; whole file kept verbatim",
            );
        }
        raw
    };
    out.name = name.to_string();
    out
}

/// The file kept whole and verbatim (what the typed import falls back to; the corpus
/// test checks the original file through it with the same tools).
pub fn verbatim(src: &Source<'_>, name: &str) -> Imported<BalancerSpec> {
    let cfg = tokens::parse(src.text);
    let mut out = Builder::new(src, &cfg).all_raw();
    out.name = name.to_string();
    out
}

/// Builds one spec from one parsed file.
pub(crate) struct Builder<'a> {
    pub cfg: &'a Config,
    pub label: String,
    pub summary: FileSummary,
    pub comments: Comments,
    pub secrets: Vec<String>,
    pub secret_values: Vec<String>,
    raw: Vec<String>,
    /// Proxy header line → the named defaults it inherits without a written `from`.
    implied_from: std::collections::BTreeMap<usize, String>,
}

impl<'a> Builder<'a> {
    fn new(src: &Source<'_>, cfg: &'a Config) -> Self {
        let mut summary = FileSummary::new(src.host, src.path, Format::Haproxy);
        for l in cfg
            .sections
            .iter()
            .flat_map(|s| std::iter::once(&s.header).chain(&s.lines))
        {
            if let Some(e) = &l.error {
                summary.error(l.no, format!("{e}: `{}` (kept verbatim)", l.raw.trim()));
            }
        }
        for l in &cfg.outside {
            summary.error(
                l.no,
                format!("`{}` is outside any section (kept verbatim)", l.text()),
            );
        }
        Builder {
            cfg,
            label: src.label(),
            summary,
            comments: Comments::default(),
            secrets: Vec::new(),
            secret_values: Vec::new(),
            raw: Vec::new(),
            implied_from: Default::default(),
        }
    }

    fn finish(self, spec: BalancerSpec) -> Imported<BalancerSpec> {
        let mut spec = spec;
        if !self.raw.is_empty() {
            spec.raw = Some(self.raw.join("\n"));
        }
        Imported {
            kind: "Balancer",
            name: String::new(),
            spec,
            comments: self.comments,
            secrets: self.secrets,
            secret_values: self.secret_values,
            summaries: vec![self.summary],
        }
    }

    /// Everything verbatim in `raw` (the fallback, and files with conditional blocks).
    fn all_raw(mut self) -> Imported<BalancerSpec> {
        let cfg = self.cfg;
        let all: Vec<&Line> = cfg
            .outside
            .iter()
            .chain(
                cfg.sections
                    .iter()
                    .flat_map(|s| std::iter::once(&s.header).chain(&s.lines)),
            )
            .collect();
        for l in &all {
            self.summary
                .count(l.no, Fate::Raw, l.text(), "whole file kept verbatim");
        }
        self.mark_raw_secrets(&all.iter().map(|l| (*l).clone()).collect::<Vec<_>>());
        self.raw.push(format!(
            "# imported verbatim from {} (the whole file)\n{}",
            self.label,
            cfg.verbatim(1, cfg.text_lines.len()).trim_end()
        ));
        self.comments.add(
            "spec.raw",
            format!(
                "The whole of {} verbatim: see IMPORT.md for why.",
                self.label
            ),
        );
        let spec = BalancerSpec {
            hosts: Vec::new(),
            global: schema::Global {
                daemon: Some(false),
                ..Default::default()
            },
            defaults: Default::default(),
            named_defaults: Vec::new(),
            frontends: Vec::new(),
            backends: Vec::new(),
            caches: Vec::new(),
            userlists: Vec::new(),
            peers: Vec::new(),
            fcgi_apps: Vec::new(),
            stats: None,
            raw: None,
        };
        self.finish(spec)
    }

    /// The typed import: typed sections first, the rest verbatim.
    fn typed(mut self) -> Imported<BalancerSpec> {
        let cfg = self.cfg;
        let conditional = conditional_sections(&cfg.sections);
        if conditional.is_none() || !cfg.outside.is_empty() {
            let why = if conditional.is_none() {
                "`.if` conditional blocks"
            } else {
                "lines outside any section"
            };
            self.summary
                .count(0, Fate::Raw, format!("the file uses {why}"), "not typed");
            return self.all_raw();
        }
        let plan = scope::plan(&cfg.sections);
        let split = plan.split;
        let mut spec = BalancerSpec {
            hosts: Vec::new(),
            global: Default::default(),
            defaults: Default::default(),
            named_defaults: Vec::new(),
            frontends: Vec::new(),
            backends: Vec::new(),
            caches: Vec::new(),
            userlists: Vec::new(),
            peers: Vec::new(),
            fcgi_apps: Vec::new(),
            stats: None,
            raw: None,
        };
        let region = &cfg.sections[..split];
        let globals: Vec<&Section> = region.iter().filter(|s| s.kind() == "global").collect();
        spec.global = self.global(&globals);
        for &i in &plan.named {
            let at = format!("spec.namedDefaults[{}]", spec.named_defaults.len());
            let d = self.defaults(&region[i], &at);
            spec.named_defaults.push(d);
        }
        if let Some(i) = plan.main {
            spec.defaults = self.defaults(&region[i], "spec.defaults");
        }
        self.implied_from = plan.from.clone();
        let inherited = |i: usize, key: &str| {
            scope::of_proxy(&cfg.sections, &plan, i)
                .and_then(|d| scope::inherited(&cfg.sections, d, key))
        };
        let conditional = conditional.unwrap_or_default();
        let why_if = "holds `.if` conditional blocks (the section is kept as written)";
        for (i, s) in region.iter().enumerate() {
            if conditional.contains(&i) {
                self.raw_section(s, why_if);
                continue;
            }
            match s.kind() {
                "backend" | "listen" if s.kind() == "backend" || s.name() != "stats" => {
                    let listen = s.kind() == "listen";
                    let index = spec.backends.len();
                    let balance = inherited(i, "balance");
                    match self.backend(s, index, balance.as_deref(), listen) {
                        Ok(mut b) => {
                            b.from = plan.from.get(&s.header.no).cloned();
                            spec.backends.push(b)
                        }
                        Err(why) => self.raw_section(s, &why),
                    }
                }
                "listen"
                    if s.name() == "stats"
                        && s.header.words.len() == 2
                        && spec.stats.is_none()
                        && !plan.from.contains_key(&s.header.no) =>
                {
                    match self.stats(s, inherited(i, "mode").as_deref()) {
                        Ok(st) => spec.stats = Some(st),
                        Err(why) => self.raw_section(s, &why),
                    }
                }
                "cache" => match self.cache(s) {
                    Ok(c) => spec.caches.push(c),
                    Err(why) => self.raw_section(s, &why),
                },
                "userlist" => match self.userlist(s, spec.userlists.len()) {
                    Ok(u) => spec.userlists.push(u),
                    Err(why) => self.raw_section(s, &why),
                },
                "fcgi-app" => match self.fcgi_app(s, spec.fcgi_apps.len(), &spec.fcgi_apps) {
                    Ok(a) => spec.fcgi_apps.push(a),
                    Err(why) => self.raw_section(s, &why),
                },
                "peers" => match self.peers(s, spec.peers.len(), &spec.peers) {
                    Ok(p) => spec.peers.push(p),
                    Err(why) => self.raw_section(s, &why),
                },
                "global" | "defaults" | "frontend" => {}
                other => {
                    let why = match other {
                        "listen" if plan.from.contains_key(&s.header.no) => {
                            "a stats page inheriting a named `defaults` (the typed page takes `defaults`)".to_string()
                        }
                        "listen" => "a second `listen stats` section".to_string(),
                        k => format!("`{k}` sections are not modelled"),
                    };
                    self.raw_section(s, &why);
                }
            }
        }
        let backends: Vec<String> = spec.backends.iter().map(|b| b.name.clone()).collect();
        for (_, s) in region
            .iter()
            .enumerate()
            .filter(|(i, s)| s.kind() == "frontend" && !conditional.contains(i))
        {
            match self.frontend(s, spec.frontends.len(), &backends, &spec.frontends) {
                Ok(mut f) => {
                    f.from = plan.from.get(&s.header.no).cloned();
                    spec.frontends.push(f)
                }
                Err(why) => self.raw_section(s, &why),
            }
        }
        for (i, s) in cfg.sections.iter().enumerate().skip(split) {
            let why = if i == split {
                "its `defaults` scope is beyond the typed form (a second unnamed `defaults`, \
                 a `from` naming no section above, or a proxy header with more than a name): \
                 it and every section after it keep their place at the end"
                    .to_string()
            } else {
                "follows a section kept at the end with its `defaults` scope".to_string()
            };
            self.raw_section(s, &why);
        }
        self.finish(spec)
    }

    /// A whole section, verbatim, into `raw`.
    fn raw_section(&mut self, s: &Section, why: &str) {
        let lines: Vec<Line> = std::iter::once(s.header.clone())
            .chain(s.lines.iter().cloned())
            .collect();
        for l in &lines {
            self.summary.count(l.no, Fate::Raw, l.text(), why);
        }
        self.mark_raw_secrets(&lines);
        let (from, to) = (s.header.no, s.last);
        let mut text = self.cfg.verbatim(from, to);
        // Kept at the end, after every `defaults`: the one it inherited is named.
        if let (Some(name), Ok(None)) = (self.implied_from.get(&from), scope::header_from(s)) {
            let end = s.header.words.last().map_or(0, |w| w.end);
            text.insert_str(end, &format!(" from {name}"));
        }
        self.raw.push(format!(
            "# {} {}: imported verbatim from {}:{from}-{to} ({why})\n{}",
            s.kind(),
            s.name(),
            self.label,
            text.trim_end()
        ));
        self.comments.add(
            "spec.raw",
            format!("{} {} ({}:{from}): {why}", s.kind(), s.name(), self.label),
        );
    }

    /// A raw text holding a password is a secret as a whole.
    fn mark_raw_secrets(&mut self, lines: &[Line]) {
        for l in lines {
            let w = l.texts();
            let secret = match w.as_slice() {
                ["stats", "auth", cred, ..] => cred.split_once(':').map(|(_, p)| p.to_string()),
                ["user", _, "insecure-password", p, ..] => Some(p.to_string()),
                ["user", _, "password", p, ..] => Some(p.to_string()),
                _ => None,
            };
            if let Some(p) = secret {
                self.secret_values.push(p);
                if !self.secrets.iter().any(|s| s == "spec.raw") {
                    self.secrets.push("spec.raw".into());
                }
            }
        }
    }

    /// Counts one line as typed, or as superseded by a later one of its class.
    pub(crate) fn typed_line(&mut self, l: &Line) {
        self.summary.count(l.no, Fate::Typed, l.text(), "");
    }

    pub(crate) fn superseded(&mut self, l: &Line, by: usize) {
        self.summary.count(
            l.no,
            Fate::Refused,
            l.text(),
            &format!("superseded by line {by}: HAProxy keeps the last one"),
        );
    }
}

/// Indexes of the proxy and other non-`global`/`defaults` sections holding `.if` blocks,
/// each block opened and closed inside the section; `None` when a block crosses a
/// section boundary or sits in `global` or `defaults` (the file is then kept whole).
fn conditional_sections(sections: &[Section]) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        let mut depth = 0i32;
        let mut any = false;
        for l in s.lines.iter().filter(|l| l.word(0).starts_with('.')) {
            any = true;
            match l.word(0) {
                ".if" => depth += 1,
                ".endif" => depth -= 1,
                ".elif" | ".else" => {}
                _ => return None,
            }
            if depth < 0 {
                return None;
            }
        }
        if depth != 0 || (any && matches!(s.kind(), "global" | "defaults")) {
            return None;
        }
        if any {
            out.push(i);
        }
    }
    Some(out)
}

#[cfg(test)]
#[path = "haproxy_tests.rs"]
mod tests;
