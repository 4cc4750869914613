//! The normalised form two configurations are compared in: what they *mean*, not
//! how they are written.
//!
//! Each format reduces a file to a sequence of canonical lines, one per directive,
//! each prefixed with the section it belongs to (`backend app | server w1 …`), in a
//! canonical order: sections sorted where their order does not matter, directives
//! grouped by class, the order kept inside a class where the tool honours it
//! (`http-request` rules, `ProxyPass`, `RewriteRule`, servers…). Comments, blank
//! lines, whitespace, quoting, keyword case and values equal to the tool's default are
//! gone. Two files mean the same when their canonical lines are equal.
//!
//! Used by the import's round-trip proof (live ↔ rendered) and by `agent diff`, which
//! notes a change as "formatting only" when the two sides' forms are equal
//! ([`formatting_note`]).

/// One canonical line and where it came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    /// `file:line` of the directive.
    pub origin: String,
}

/// A configuration in canonical form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normal {
    pub lines: Vec<Line>,
}

impl Normal {
    pub fn push(&mut self, text: String, origin: String) {
        self.lines.push(Line { text, origin });
    }

    pub fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(|l| l.text.as_str()).collect()
    }
}

/// The differences from `live` to `rendered`: `- text (origin)` for what only the live
/// file has, `+ text (origin)` for what only the rendered one has. Empty: same meaning.
pub fn differences(live: &Normal, rendered: &Normal) -> Vec<String> {
    let (a, b) = (live.texts(), rendered.texts());
    let mut out = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &a, &b) {
        match op {
            similar::DiffOp::Equal { .. } => {}
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => out.extend(live.lines[old_index..old_index + old_len].iter().map(minus)),
            similar::DiffOp::Insert {
                new_index, new_len, ..
            } => out.extend(
                rendered.lines[new_index..new_index + new_len]
                    .iter()
                    .map(plus),
            ),
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                out.extend(live.lines[old_index..old_index + old_len].iter().map(minus));
                out.extend(
                    rendered.lines[new_index..new_index + new_len]
                        .iter()
                        .map(plus),
                );
            }
        }
    }
    out
}

fn minus(l: &Line) -> String {
    format!("- {} ({})", l.text, l.origin)
}

fn plus(l: &Line) -> String {
    format!("+ {} ({})", l.text, l.origin)
}

/// The note `agent diff` puts on a changed managed file whose live and desired
/// contents mean the same (`None` when a directive changes, or for files that are
/// not configuration, like TLS material). Apache `Include`s are compared as written:
/// the included files are not read here.
pub fn formatting_note(target: &str, path: &str, live: &str, desired: &str) -> Option<String> {
    let (a, b) = match target {
        "balancer" => (
            super::haproxy::normal_text(path, live),
            super::haproxy::normal_text(path, desired),
        ),
        "gateway" if path.ends_with(".conf") => (
            super::apache::normal_text(path, live),
            super::apache::normal_text(path, desired),
        ),
        _ => return None,
    };
    (a.lines
        .iter()
        .map(|l| &l.text)
        .eq(b.lines.iter().map(|l| &l.text)))
    .then(|| FORMATTING_ONLY.to_string())
}

/// The note on a file change that rewrites formatting only.
pub const FORMATTING_ONLY: &str = "formatting only: no directive changes";

/// The line `agent diff` adds under its summary when every pending file change is
/// formatting only: `apply would rewrite 3 files, no directive changes`.
pub fn formatting_summary(cs: &crate::plan::ChangeSet) -> Option<String> {
    let files: Vec<_> = cs
        .pending()
        .filter(|c| c.target == "gateway" || c.target == "balancer")
        .collect();
    let formatting = files
        .iter()
        .filter(|c| c.notes.iter().any(|n| n == FORMATTING_ONLY))
        .count();
    if formatting == 0 || formatting != cs.pending().count() {
        return None;
    }
    Some(format!(
        "apply would rewrite {formatting} file{}, no directive changes",
        if formatting == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(lines: &[&str]) -> Normal {
        let mut n = Normal::default();
        for (i, l) in lines.iter().enumerate() {
            n.push(l.to_string(), format!("f:{}", i + 1));
        }
        n
    }

    #[test]
    fn agent_diff_notes_formatting_only_rewrites() {
        use crate::plan::{Action, Change, ChangeSet};
        let live =
            "# by hand\nglobal\n\tdaemon\n\tmaxconn 10\nbackend b\n  server w1 1.2.3.4:80 check\n";
        let same = "global\n    maxconn 10\n    daemon\n\nbackend b\n    balance roundrobin\n    server w1 1.2.3.4:80 check\n";
        let other = same.replace("maxconn 10", "maxconn 20");
        let note = |d: &str| formatting_note("balancer", "/etc/haproxy/haproxy.cfg", live, d);
        assert_eq!(note(same).as_deref(), Some(FORMATTING_ONLY));
        assert_eq!(note(&other), None);
        let site = "<VirtualHost *:80>\n  ServerName a.example\n</VirtualHost>\n";
        let site2 = "# rendered\n<virtualhost *:80>\n    servername a.example\n</virtualhost>\n";
        assert!(
            formatting_note("gateway", "/etc/apache2/sites-enabled/a.conf", site, site2).is_some()
        );
        assert_eq!(
            formatting_note("gateway", "/etc/ssl/a.key", "x", "y"),
            None,
            "TLS material is not configuration"
        );
        let change = |notes: Vec<String>| Change {
            target: "balancer".into(),
            host: Some("ha1".into()),
            object: "/etc/haproxy/haproxy.cfg".into(),
            action: Action::Update,
            diff: None,
            notes,
        };
        let mut cs = ChangeSet {
            changes: vec![
                change(vec![FORMATTING_ONLY.into()]),
                change(vec![FORMATTING_ONLY.into()]),
            ],
            ..Default::default()
        };
        assert_eq!(
            formatting_summary(&cs).as_deref(),
            Some("apply would rewrite 2 files, no directive changes")
        );
        cs.changes.push(change(vec![]));
        assert_eq!(
            formatting_summary(&cs),
            None,
            "one real change: no such line"
        );
    }

    #[test]
    fn differences_name_both_sides() {
        let a = normal(&["global | daemon", "backend b | server w1 1.2.3.4:80"]);
        let b = normal(&["global | daemon", "backend b | server w1 1.2.3.5:80"]);
        assert!(differences(&a, &a).is_empty());
        assert_eq!(
            differences(&a, &b),
            [
                "- backend b | server w1 1.2.3.4:80 (f:2)",
                "+ backend b | server w1 1.2.3.5:80 (f:2)"
            ]
        );
    }
}
