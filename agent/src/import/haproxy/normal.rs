//! haproxy.cfg in canonical form (see [`crate::import::semantic`]).
//!
//! What is normalised, each time because HAProxy itself reads both forms alike:
//! - every `global` section is one; a proxy is tagged with the content of the
//!   `defaults` section it follows or names with `from` (an empty one counts as
//!   none), a `defaults … from NAME` with its own content and its parent's tag: what
//!   sections are named does not count, only what they hold;
//! - directives are grouped by class (`option httplog`, `timeout client`, `acl x`,
//!   `http-request`, `server`…) with file order kept inside a class; HAProxy
//!   evaluates each kind of rule in a fixed phase whatever their relative position;
//! - for single-valued directives (`mode`, `balance`, `timeout X`, `option X`…) only
//!   the last one counts;
//! - `mode` (default tcp, or the defaults') and, in backends, `balance` (default
//!   roundrobin, or the defaults') are made explicit;
//! - `stats enable` is implied by any other `stats` line of a proxy;
//! - `option httpchk URI` means `option httpchk OPTIONS URI`;
//! - the `keyword value` options of a `stats socket` are unordered;
//! - `default-server` settings are folded into the servers that follow them, and a
//!   server's options are sorted, `no-X` cancelling `X`.

use super::scope::{defaults_name, header_from};
use super::servers::canonical_options;
use super::tokens::{Config, Line, Section};
use crate::import::semantic::Normal;
use std::collections::BTreeMap;

/// The defaults a proxy inherits.
#[derive(Debug, Clone, Default)]
struct Inherited {
    tag: String,
    mode: Option<String>,
    balance: Option<String>,
    default_server: Vec<Vec<String>>,
}

/// The canonical form of a parsed file; `file` names the origins.
pub fn normal(cfg: &Config, file: &str) -> Normal {
    let mut inherited = Inherited::default();
    // Named `defaults` sections so far, for `from NAME`.
    let mut named: BTreeMap<String, Inherited> = BTreeMap::new();
    let mut global = Vec::new();
    let mut out = Normal::default();
    // Conditional-block lines (`.if`…`.endif`) and lines outside any section, in order:
    // where they sit relative to section headers is all that can be compared.
    for l in cfg
        .outside
        .iter()
        .chain(cfg.sections.iter().flat_map(|s| &s.lines))
        .filter(|l| l.word(0).starts_with('.') || cfg.outside.contains(l))
    {
        out.push(
            format!(
                "(conditional or outside any section) | {}",
                join(&words_of(l))
            ),
            format!("{file}:{}", l.no),
        );
    }
    let mut sections: BTreeMap<(u8, String), Vec<(String, String)>> = BTreeMap::new();
    for (i, s) in cfg.sections.iter().enumerate() {
        let origin = |l: &Line| format!("{file}:{}", l.no);
        match s.kind() {
            "global" => global.extend(
                s.lines
                    .iter()
                    .filter(|l| !l.word(0).starts_with('.'))
                    .map(|l| (socket_options_sorted(words_of(l)), origin(l))),
            ),
            "defaults" => {
                let mut lines = canonical_lines(s, &Inherited::default(), false);
                let parent = match header_from(s) {
                    Ok(Some(f)) => Some(named_or_missing(&named, f)),
                    _ => None,
                };
                if let Some(p) = parent.as_ref().filter(|p| !p.tag.is_empty()) {
                    lines.insert(0, (format!("from [{}]", p.tag), s.header.no));
                }
                inherited = defaults_of(s, &lines, parent.as_ref());
                if let Some(n) = defaults_name(s) {
                    named.insert(n.to_string(), inherited.clone());
                }
                if !inherited.tag.is_empty() {
                    let key = (1, format!("defaults [{}]", inherited.tag));
                    let body = lines
                        .into_iter()
                        .map(|(t, l)| (t, format!("{file}:{l}")))
                        .collect();
                    sections.entry(key).or_insert(body);
                }
            }
            _ => {
                let from = header_from(s).ok().flatten().filter(|_| s.is_proxy());
                let inherited = match from {
                    Some(f) => named_or_missing(&named, f),
                    None => inherited.clone(),
                };
                let label = if s.is_proxy() && !inherited.tag.is_empty() {
                    format!("{} {} [{}]", s.kind(), s.name(), inherited.tag)
                } else {
                    format!("{} {}", s.kind(), s.name())
                };
                // `from NAME` is in the tag: what the named section holds, not its name.
                let args = if from.is_some() { 4 } else { 2 };
                let header_args = s.header.texts()[args.min(s.header.words.len())..].join(" ");
                let label = if header_args.is_empty() {
                    label
                } else {
                    format!("{label} {header_args}")
                };
                let mut body: Vec<(String, String)> = canonical_lines(s, &inherited, s.is_proxy())
                    .into_iter()
                    .map(|(t, l)| (t, format!("{file}:{l}")))
                    .collect();
                let mut key = (2, label);
                while sections.contains_key(&key) {
                    key.1.push_str(&format!(" #{i}"));
                }
                body.insert(0, (String::new(), origin(&s.header)));
                sections.insert(key, body);
            }
        }
    }
    for (t, o) in sort_by_class(global, true) {
        out.push(format!("global | {t}"), o);
    }
    for ((_, label), body) in sections {
        for (t, o) in body {
            if t.is_empty() {
                out.push(label.clone(), o);
            } else {
                out.push(format!("{label} | {t}"), o);
            }
        }
    }
    out
}

/// `stats socket PATH` options are unordered `keyword value` pairs: sorted, when every
/// one is a pair HAProxy reads that way.
fn socket_options_sorted(w: Vec<String>) -> Vec<String> {
    const PAIRS: &[&str] = &["mode", "level", "user", "group", "uid", "gid", "expose-fd"];
    if w.len() < 3 || w[0] != "stats" || w[1] != "socket" || !(w.len() - 3).is_multiple_of(2) {
        return w;
    }
    let mut pairs: Vec<&[String]> = w[3..].chunks(2).collect();
    if !pairs.iter().all(|p| PAIRS.contains(&p[0].as_str())) {
        return w;
    }
    pairs.sort();
    w[..3].iter().cloned().chain(pairs.concat()).collect()
}

fn words_of(l: &Line) -> Vec<String> {
    if l.error.is_some() {
        return vec![format!("(unreadable) {}", l.raw.trim())];
    }
    l.words.iter().map(|w| w.text.clone()).collect()
}

/// A class key: directives of one class keep their relative order.
fn class(w: &[String]) -> String {
    let first = w.first().map(String::as_str).unwrap_or("");
    match (first, w.get(1).map(String::as_str)) {
        ("no", Some("option")) => format!("option {}", w.get(2).map(String::as_str).unwrap_or("")),
        (
            "option" | "timeout" | "stats" | "acl" | "errorfile" | "tcp-request" | "tcp-response",
            Some(x),
        ) => {
            format!("{first} {x}")
        }
        _ => first.to_string(),
    }
}

/// Classes where only the last directive counts.
fn single_valued(class: &str) -> bool {
    class.starts_with("option ")
        || class.starts_with("timeout ")
        || matches!(
            class,
            "mode"
                | "balance"
                | "maxconn"
                | "retries"
                | "fullconn"
                | "default_backend"
                | "cookie"
                | "log-format"
                | "unique-id-format"
                | "unique-id-header"
                | "chroot"
                | "user"
                | "group"
                | "uid"
                | "gid"
                | "pidfile"
                | "nbthread"
                | "hash-type"
                | "description"
                | "stats uri"
                | "stats realm"
                | "stats refresh"
                | "stats timeout"
                | "daemon"
                | "stats enable"
                | "stats hide-version"
                | "http-reuse"
                | "id"
                | "backlog"
        )
}

/// Stable sort by class, keeping only the last of single-valued classes.
fn sort_by_class(lines: Vec<(Vec<String>, String)>, last_wins: bool) -> Vec<(String, String)> {
    let mut keyed: Vec<(String, Vec<String>, String)> =
        lines.into_iter().map(|(w, o)| (class(&w), w, o)).collect();
    if last_wins {
        let mut seen = std::collections::BTreeSet::new();
        let mut kept = Vec::new();
        for (c, w, o) in keyed.into_iter().rev() {
            if single_valued(&c) && !seen.insert(c.clone()) {
                continue;
            }
            kept.push((c, w, o));
        }
        kept.reverse();
        keyed = kept;
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, w, o)| (join(&w), o)).collect()
}

/// Words joined by spaces, each word with blanks or quotes shown quoted.
pub fn join(w: &[String]) -> String {
    w.iter()
        .map(|x| {
            if x.is_empty() || x.chars().any(|c| c.is_whitespace() || c == '"') {
                format!("{x:?}")
            } else {
                x.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A section's directives in canonical form: `(text, line number)`.
fn canonical_lines(s: &Section, inh: &Inherited, proxy: bool) -> Vec<(String, usize)> {
    let mut lines: Vec<(Vec<String>, String)> = Vec::new();
    let mut default_server = inh.default_server.clone();
    for l in s.lines.iter().filter(|l| !l.word(0).starts_with('.')) {
        let mut w = words_of(l);
        let no = l.no.to_string();
        match w.first().map(String::as_str) {
            Some("default-server") if proxy => {
                default_server.push(w[1..].to_vec());
                continue;
            }
            Some("server") if proxy && w.len() >= 3 => {
                let mut opts: Vec<String> = default_server.iter().flatten().cloned().collect();
                opts.extend(w[3..].iter().cloned());
                w.truncate(3);
                w.extend(canonical_options(&opts));
            }
            Some("option") if w.get(1).map(String::as_str) == Some("httpchk") => match w.len() {
                2 => w.extend(["OPTIONS".to_string(), "/".to_string()]),
                3 => w.insert(2, "OPTIONS".to_string()),
                _ => {}
            },
            _ => {}
        }
        lines.push((w, no));
    }
    if proxy {
        let has = |lines: &[(Vec<String>, String)], k: &str| {
            lines
                .iter()
                .any(|(w, _)| w.first().map(String::as_str) == Some(k))
        };
        if !has(&lines, "mode") {
            let m = inh.mode.clone().unwrap_or_else(|| "tcp".into());
            lines.push((vec!["mode".into(), m], s.header.no.to_string()));
        }
        if s.kind() != "frontend" && !has(&lines, "balance") {
            let b = inh.balance.clone().unwrap_or_else(|| "roundrobin".into());
            let mut w = vec!["balance".to_string()];
            w.extend(b.split(' ').map(String::from));
            lines.push((w, s.header.no.to_string()));
        }
        let stats = lines.iter().any(|(w, _)| {
            w.first().map(String::as_str) == Some("stats")
                && !matches!(
                    w.get(1).map(String::as_str),
                    Some("enable" | "socket" | "timeout" | "bind-process")
                )
        });
        if stats
            && !lines
                .iter()
                .any(|(w, _)| w.len() == 2 && w[0] == "stats" && w[1] == "enable")
        {
            lines.push((
                vec!["stats".into(), "enable".into()],
                s.header.no.to_string(),
            ));
        }
    }
    sort_by_class(lines, true)
        .into_iter()
        .map(|(t, n)| (t, n.parse().unwrap_or(0)))
        .collect()
}

/// The named defaults section `name`, or one standing for a missing one.
fn named_or_missing(named: &BTreeMap<String, Inherited>, name: &str) -> Inherited {
    named.get(name).cloned().unwrap_or_else(|| Inherited {
        tag: format!("no defaults section {name}"),
        ..Inherited::default()
    })
}

/// What a defaults section hands on (over what its `from` parent hands on), tagged by
/// its canonical content (which names the parent's tag).
fn defaults_of(s: &Section, lines: &[(String, usize)], parent: Option<&Inherited>) -> Inherited {
    let last = |k: &str| {
        s.lines
            .iter()
            .rev()
            .find(|l| l.word(0) == k)
            .map(|l| l.texts()[1..].join(" "))
    };
    let text: Vec<&str> = lines.iter().map(|(t, _)| t.as_str()).collect();
    let tag = if text.is_empty() {
        String::new()
    } else {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(text.join("\n").as_bytes())[..4])
    };
    let base = parent.cloned().unwrap_or_default();
    let mut default_server = base.default_server;
    default_server.extend(
        s.lines
            .iter()
            .filter(|l| l.word(0) == "default-server")
            .map(|l| l.texts()[1..].iter().map(|w| w.to_string()).collect()),
    );
    Inherited {
        tag,
        mode: last("mode").or(base.mode),
        balance: last("balance").or(base.balance),
        default_server,
    }
}

/// The canonical form of a haproxy.cfg text.
pub fn normal_text(path: &str, text: &str) -> Normal {
    normal(&super::tokens::parse(text), path)
}

#[cfg(test)]
mod tests {
    use super::super::tokens::parse;
    use super::*;

    fn texts(cfg: &str) -> Vec<String> {
        normal(&parse(cfg), "f")
            .lines
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn same_meaning_same_form() {
        let a = "global\n  daemon\n  maxconn 10\ndefaults\n  mode http\n  timeout client 5s\n  timeout connect 1s\n\
                 backend b\n  default-server inter 2s\n  server w1 1.2.3.4:80 check\n  option httpchk /h\n";
        let b = "global\n  maxconn 10\n  daemon\ndefaults\n  timeout connect 1s\n  mode http\n  timeout client 5s\n\
                 backend b\n  balance roundrobin\n  mode http\n  option httpchk OPTIONS /h\n  server w1 1.2.3.4:80 inter 2s check\n";
        assert_eq!(texts(a), texts(b));
    }

    #[test]
    fn order_inside_a_class_and_defaults_scope_matter() {
        let a = "frontend f\n  http-request deny if A\n  http-request allow\n";
        let b = "frontend f\n  http-request allow\n  http-request deny if A\n";
        assert_ne!(texts(a), texts(b));
        let c = "defaults\n  mode http\nbackend b\n  server s 1.1.1.1:80\n";
        let d = "backend b\n  server s 1.1.1.1:80\ndefaults\n  mode http\n";
        assert_ne!(texts(c), texts(d));
        let e = "defaults\nbackend b\n  server s 1.1.1.1:80\n";
        let f = "backend b\n  server s 1.1.1.1:80\n";
        assert_eq!(
            texts(e),
            texts(f),
            "an empty defaults section changes nothing"
        );
    }

    #[test]
    fn from_inherits_what_the_named_section_holds_whatever_its_name_or_place() {
        let a = "defaults base\n  mode http\ndefaults\nfrontend f from base\n  bind :80\n";
        let b = "defaults other\n  mode http\ndefaults\nfrontend f from other\n  bind :80\n";
        let c = "defaults base\n  mode http\nfrontend f\n  bind :80\n";
        assert_eq!(texts(a), texts(b));
        assert_eq!(
            texts(a),
            texts(c),
            "a named section followed is one named by from"
        );
        let d = "defaults base\n  mode http\ndefaults\n  mode tcp\nfrontend f\n  bind :80\n";
        assert_ne!(texts(a), texts(d), "without from, the last defaults counts");
        let e = "defaults base\n  mode tcp\ndefaults x from base\nbackend b from x\n";
        let f = "defaults base\n  mode http\ndefaults x from base\nbackend b from x\n";
        assert_ne!(
            texts(e),
            texts(f),
            "a change in the parent reaches the child's users"
        );
        assert!(
            texts(f).iter().any(|t| t.ends_with("| mode http")),
            "{:?}",
            texts(f)
        );
    }
}
