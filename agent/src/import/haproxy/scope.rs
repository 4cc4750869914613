//! Which `defaults` section each proxy inherits, and how the typed form says it.
//!
//! HAProxy: a proxy inherits the last `defaults` section above it, or the named one
//! its header gives with `from NAME` (2.4+); a `defaults` section may itself start
//! from an earlier named one. The renderer writes `namedDefaults` in order, then
//! `defaults`, then the proxies (agent/src/targets/balancer/render.rs), so the typed
//! form holds: every named section (`namedDefaults`), at most one unnamed one
//! (`defaults`, what proxies without `from` inherit), and a `from` on each proxy
//! that inherits a named section, written or implied by its place in the file.

use super::tokens::Section;
use std::collections::BTreeMap;

/// How the sections of one file map onto the typed defaults.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Sections from this index on stay verbatim, in their order, at the end.
    pub split: usize,
    /// The section typed as `defaults`.
    pub main: Option<usize>,
    /// The named sections typed as `namedDefaults`, in file order.
    pub named: Vec<usize>,
    /// Header line of a proxy → the named defaults it inherits (written or implied).
    pub from: BTreeMap<usize, String>,
}

/// `NAME` of a `defaults NAME ...` header.
pub(crate) fn defaults_name(s: &Section) -> Option<&str> {
    let w = s.header.word(1);
    (s.header.words.len() > 1 && w != "from").then_some(w)
}

/// The `from NAME` of a section header, or `Err` for any other header argument.
pub(crate) fn header_from(s: &Section) -> Result<Option<&str>, ()> {
    let skip = if s.kind() == "defaults" {
        1 + usize::from(defaults_name(s).is_some())
    } else {
        2
    };
    let w = s.header.texts();
    match &w[skip.min(w.len())..] {
        [] => Ok(None),
        ["from", name] => Ok(Some(name)),
        _ => Err(()),
    }
}

/// Plans a file (see [`Plan`]).
pub(crate) fn plan(sections: &[Section]) -> Plan {
    let any_from = sections
        .iter()
        .any(|s| matches!(header_from(s), Ok(Some(_))));
    let mut p = Plan {
        split: sections.len(),
        ..Plan::default()
    };
    if !any_from {
        p.split = region_without_from(sections);
        p.main = sections[..p.split]
            .iter()
            .position(|s| s.kind() == "defaults");
        return p;
    }
    // The defaults a proxy without `from` would inherit here: none, or a section.
    let mut current: Option<usize> = None;
    let mut nothing_inherited = false;
    let mut names: Vec<&str> = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        let Ok(from) = header_from(s) else {
            p.split = i;
            return p;
        };
        if s.kind() == "defaults" {
            if from.is_some_and(|f| !names.contains(&f)) {
                p.split = i;
                return p;
            }
            match defaults_name(s) {
                Some(n) if names.contains(&n) => {
                    p.split = i;
                    return p;
                }
                Some(n) => {
                    names.push(n);
                    p.named.push(i);
                    current = Some(i);
                }
                None => {
                    let empty = s.lines.is_empty() && from.is_none();
                    if p.main.is_some() || (nothing_inherited && !empty) {
                        p.split = i;
                        return p;
                    }
                    p.main = Some(i);
                    current = (!empty).then_some(i);
                }
            }
        } else if s.is_proxy() {
            match (from, current) {
                (Some(f), _) => {
                    p.from.insert(s.header.no, f.to_string());
                }
                (None, None) => nothing_inherited = true,
                (None, Some(d)) if Some(d) == p.main => {}
                (None, Some(d)) => {
                    let name = defaults_name(&sections[d]).expect("a named one");
                    p.from.insert(s.header.no, name.to_string());
                }
            }
        }
    }
    p
}

/// Without any `from`: the first section that must stay verbatim to keep its `defaults`
/// scope (a second `defaults`, or a non-empty first one that proxies precede), or a
/// proxy header with more than a name.
fn region_without_from(sections: &[Section]) -> usize {
    let mut seen_defaults = false;
    let mut proxy_before = false;
    for (i, s) in sections.iter().enumerate() {
        if s.kind() == "defaults" {
            if seen_defaults || (proxy_before && !s.lines.is_empty()) {
                return i;
            }
            seen_defaults = true;
        } else if s.is_proxy() {
            if s.header.words.len() > 2 {
                return i;
            }
            if !seen_defaults {
                proxy_before = true;
            }
        }
    }
    sections.len()
}

/// The last `key` line's arguments that the defaults section `d` hands on, following
/// its `from` chain.
pub(crate) fn inherited(sections: &[Section], d: usize, key: &str) -> Option<String> {
    let s = &sections[d];
    if let Some(l) = s.lines.iter().rev().find(|l| l.word(0) == key) {
        return Some(l.texts()[1..].join(" "));
    }
    let parent = header_from(s).ok().flatten()?;
    let p = sections[..d]
        .iter()
        .rposition(|x| x.kind() == "defaults" && defaults_name(x) == Some(parent))?;
    inherited(sections, p, key)
}

/// The defaults section the proxy `i` inherits in the typed form.
pub(crate) fn of_proxy(sections: &[Section], plan: &Plan, i: usize) -> Option<usize> {
    match plan.from.get(&sections[i].header.no) {
        Some(name) => sections[..i]
            .iter()
            .rposition(|x| x.kind() == "defaults" && defaults_name(x) == Some(name)),
        None => plan.main,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tokens::parse;
    use super::*;

    fn plan_of(text: &str) -> Plan {
        plan(&parse(text).sections)
    }

    #[test]
    fn proxies_get_the_named_defaults_they_follow_or_name() {
        let p = plan_of(
            "global\ndefaults base\n  mode http\ndefaults slow from base\n  timeout client 9s\n\
             frontend f\n  bind :80\nbackend b from base\n  server s 1.1.1.1:80\n",
        );
        assert_eq!(p.split, 5);
        assert_eq!(p.main, None);
        assert_eq!(p.named, [1, 2]);
        let from: Vec<(usize, &str)> = p.from.iter().map(|(l, n)| (*l, n.as_str())).collect();
        assert_eq!(from, [(6, "slow"), (8, "base")]);
    }

    #[test]
    fn one_unnamed_defaults_is_main_and_a_second_ends_the_typed_region() {
        let text = "defaults a\n  mode http\ndefaults\n  mode tcp\nfrontend f from a\n\
                    backend b\ndefaults\n  retries 2\nbackend c\n";
        let p = plan_of(text);
        assert_eq!(
            (p.main, p.named.as_slice(), p.split),
            (Some(1), &[0][..], 4)
        );
        assert_eq!(p.from.len(), 1, "backend b inherits `defaults`: no from");
    }

    #[test]
    fn a_from_to_an_unknown_or_later_section_stays_verbatim() {
        let p = plan_of("defaults x from y\ndefaults y\nfrontend f from y\n");
        assert_eq!(p.split, 0);
        let p = plan_of("defaults y\ndefaults y\nfrontend f from y\n");
        assert_eq!(
            p.split, 1,
            "two sections of one name: HAProxy's `from` is ambiguous"
        );
    }

    #[test]
    fn a_proxy_inheriting_nothing_before_an_unnamed_defaults_ends_the_region() {
        let p = plan_of("backend b\ndefaults a\nfrontend f from a\ndefaults\n  mode http\n");
        assert_eq!(p.split, 3);
        let p = plan_of("defaults a\nfrontend f from a\nbackend b\ndefaults\n  mode http\n");
        assert_eq!(
            (p.split, p.main),
            (4, Some(3)),
            "backend b is given `from a`"
        );
        assert_eq!(p.from.get(&3).map(String::as_str), Some("a"));
    }

    #[test]
    fn inherited_values_follow_the_from_chain() {
        let cfg = parse("defaults a\n  balance leastconn\ndefaults b from a\n  mode http\n");
        assert_eq!(
            inherited(&cfg.sections, 1, "balance").as_deref(),
            Some("leastconn")
        );
        assert_eq!(inherited(&cfg.sections, 1, "mode").as_deref(), Some("http"));
        assert_eq!(inherited(&cfg.sections, 0, "mode"), None);
    }
}
