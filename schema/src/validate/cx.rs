//! Shared state and helpers of one validation run: every check reports through
//! [`Cx`], which places the diagnostic on the value it concerns.

use super::net;
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::hints::closest;
use crate::model::*;
use std::collections::HashMap;

/// Shared state and helpers of one validation run.
pub(crate) struct Cx<'a> {
    pub state: &'a DesiredState,
    pub diags: Diagnostics,
    /// False when the inventory is missing: host references cannot be checked.
    pub hosts_known: bool,
}

impl Cx<'_> {
    fn diag(&mut self, mut d: Diagnostic, doc: &Origin, path: &str, hint: Option<String>) {
        let at = self.state.source_map.locate(doc, path);
        d.file = at.file;
        d.line = at.line;
        d.column = at.column;
        d.hint = hint;
        self.diags.push(d);
    }

    /// An error at the value `path` of the document starting at `doc`.
    pub fn error(
        &mut self,
        doc: &Origin,
        path: &str,
        msg: impl Into<String>,
        hint: Option<String>,
    ) {
        self.diag(Diagnostic::error("", 0, 0, msg), doc, path, hint);
    }

    pub fn warn(&mut self, doc: &Origin, path: &str, msg: impl Into<String>, hint: Option<String>) {
        self.diag(Diagnostic::warning("", 0, 0, msg), doc, path, hint);
    }

    /// Checks that `name` is an inventory host holding `role`.
    pub fn host_ref(&mut self, doc: &Origin, path: &str, name: &str, role: Role, what: &str) {
        if !self.hosts_known {
            return;
        }
        match self.state.host(name) {
            None => {
                let names = self.state.hosts().iter().map(|h| h.name.as_str());
                let hint = match closest(name, names) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!(
                        "declare `{name}` in the Inventory, or use one of: {}",
                        self.host_names()
                    ),
                };
                self.error(
                    doc,
                    path,
                    format!("{what} `{name}` is not an inventory host"),
                    Some(hint),
                );
            }
            Some(h) if !h.roles.contains(&role) => {
                let msg = format!("{what} `{name}` does not have role `{}`", role.as_str());
                let hint = format!(
                    "add `{}` to the roles of `{name}` in the Inventory",
                    role.as_str()
                );
                self.error(doc, path, msg, Some(hint));
            }
            Some(_) => {}
        }
    }

    fn host_names(&self) -> String {
        let v: Vec<_> = self.state.hosts().iter().map(|h| h.name.as_str()).collect();
        v.join(", ")
    }

    /// Reports every repeated name after its first occurrence.
    /// Items: (document, path of the name value, name).
    pub fn unique<'n>(
        &mut self,
        what: &str,
        items: impl IntoIterator<Item = (&'n Origin, String, String)>,
    ) {
        let mut seen: HashMap<String, Origin> = HashMap::new();
        for (doc, path, name) in items {
            let here = self.state.source_map.locate(doc, &path);
            match seen.get(&name) {
                Some(first) => {
                    let hint = format!("first declared at {first}; each must be unique");
                    self.error(doc, &path, format!("duplicate {what} `{name}`"), Some(hint));
                }
                None => {
                    seen.insert(name, here);
                }
            }
        }
    }

    /// `what` must be a duration of `syntax` (HAProxy or Pacemaker).
    pub fn duration(&mut self, doc: &Origin, path: &str, value: &str, pacemaker: bool) {
        let (ok, hint) = if pacemaker {
            (
                net::is_pcmk_duration(value),
                "a number with an optional unit: `10s`, `500ms`, `1min`",
            )
        } else {
            (
                net::is_haproxy_duration(value),
                "a number with an optional unit us, ms, s, m, h or d: `5s`, `500ms`",
            )
        };
        if !ok {
            self.error(
                doc,
                path,
                format!("`{value}` is not a duration"),
                Some(hint.into()),
            );
        }
    }

    pub fn port(&mut self, doc: &Origin, path: &str, port: u16) {
        if port == 0 {
            self.error(
                doc,
                path,
                "port 0 is not a usable port",
                Some("a TCP port is 1-65535".into()),
            );
        }
    }
}

/// `metadata.name` must be set and unique per kind; `namespace` only means something for Apps.
pub(crate) fn unique_names<S>(cx: &mut Cx, kind: &str, docs: &[Located<Document<S>>]) {
    for d in docs {
        if d.doc.metadata.name.trim().is_empty() {
            let hint = format!("name the {kind}, like `name: main`");
            cx.error(
                &d.origin,
                "metadata.name",
                "empty `metadata.name`",
                Some(hint),
            );
        }
        if d.doc.metadata.namespace.is_some() {
            let hint = "remove it: only Apps live in a namespace".to_string();
            cx.warn(
                &d.origin,
                "metadata.namespace",
                format!("`namespace` is ignored on a {kind}"),
                Some(hint),
            );
        }
    }
    let items = docs.iter().map(|d| {
        (
            &d.origin,
            "metadata.name".to_string(),
            d.doc.metadata.name.clone(),
        )
    });
    cx.unique(&format!("{kind} name"), items);
}

/// `p` must be an absolute path.
pub(crate) fn absolute(cx: &mut Cx, doc: &Origin, path: &str, p: &str) {
    if !p.starts_with('/') {
        cx.error(
            doc,
            path,
            format!("`{p}` does not start with `/`"),
            Some(format!("`/{p}`")),
        );
    }
}
