//! Balancer `defaults` sections: names, and the `from` references of named sections,
//! of `defaults` and of proxies, as HAProxy 2.6 resolves them.
//!
//! The renderer writes `namedDefaults` in order, then `defaults`, then the proxies
//! (agent/src/targets/balancer/render.rs), so: a named section may take `from` only
//! of one above it; `defaults` and proxies of any named one; nothing of `defaults`
//! itself (HAProxy refuses a section both named by `from` and used implicitly by the
//! proxies that name none, and it is written after the named ones).

use super::cx::Cx;
use crate::load::hints::closest;
use crate::model::*;

/// A name HAProxy takes for a section: letters, digits, `-`, `_`, `.` and `:`.
fn name_ok(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

pub(super) fn check(cx: &mut Cx, doc: &Origin, spec: &BalancerSpec) {
    let mut declared: Vec<&str> = Vec::new();
    for (i, d) in spec.named_defaults.iter().enumerate() {
        let at = format!("spec.namedDefaults[{i}]");
        match d.name.as_deref() {
            None => cx.error(
                doc,
                &at,
                "a named defaults section without `name`",
                Some(
                    "give it `name: NAME` (proxies take it with `from: NAME`), or move its \
                     settings to `defaults`"
                        .into(),
                ),
            ),
            Some(n) => {
                name_ok_or_error(cx, doc, &format!("{at}.name"), n);
                if declared.contains(&n) {
                    cx.error(
                        doc,
                        &format!("{at}.name"),
                        format!("duplicate named defaults section `{n}`"),
                        Some("each must be unique: HAProxy refuses a `from` naming two".into()),
                    );
                }
            }
        }
        if let Some(f) = &d.from {
            from_ref(
                cx,
                doc,
                &format!("{at}.from"),
                f,
                &declared,
                spec,
                "above this one",
            );
        }
        if let Some(n) = d.name.as_deref() {
            declared.push(n);
        }
    }
    if let Some(n) = spec.defaults.name.as_deref() {
        name_ok_or_error(cx, doc, "spec.defaults.name", n);
    }
    if let Some(f) = &spec.defaults.from {
        from_ref(cx, doc, "spec.defaults.from", f, &declared, spec, "");
    }
    let proxies = spec
        .frontends
        .iter()
        .enumerate()
        .map(|(i, f)| (format!("spec.frontends[{i}].from"), &f.from))
        .chain(
            spec.backends
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("spec.backends[{i}].from"), &b.from)),
        );
    for (at, from) in proxies {
        if let Some(f) = from {
            from_ref(cx, doc, &at, f, &declared, spec, "");
        }
    }
}

fn name_ok_or_error(cx: &mut Cx, doc: &Origin, at: &str, n: &str) {
    if !name_ok(n) {
        cx.error(
            doc,
            at,
            format!("`{n}` is not a HAProxy section name"),
            Some("letters, digits, `-`, `_`, `.` and `:` only, e.g. `web-defaults`".into()),
        );
    }
}

/// `from: NAME` must name one of `declared` (the named sections it may take).
fn from_ref(
    cx: &mut Cx,
    doc: &Origin,
    at: &str,
    name: &str,
    declared: &[&str],
    spec: &BalancerSpec,
    place: &str,
) {
    if declared.contains(&name) {
        return;
    }
    let place = if place.is_empty() {
        String::new()
    } else {
        format!(" {place}")
    };
    let hint = if spec.defaults.name.as_deref() == Some(name) {
        "`defaults` is what proxies without `from` inherit and cannot be named by `from`: \
         move it to `namedDefaults`, or drop this `from`"
            .to_string()
    } else if let Some(later) = spec
        .named_defaults
        .iter()
        .position(|d| d.name.as_deref() == Some(name))
    {
        format!(
            "`{name}` is `namedDefaults[{later}]`, below this one; HAProxy reads `from` only \
             of a section above: move it up"
        )
    } else {
        match closest(name, declared.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None if declared.is_empty() => {
                "declare it under `namedDefaults:` (with `name:`)".to_string()
            }
            None => format!("named defaults{place}: {}", declared.join(", ")),
        }
    };
    cx.error(
        doc,
        at,
        format!("`from: {name}` names no named defaults section{place}"),
        Some(hint),
    );
}
