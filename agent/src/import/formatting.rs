//! "Formatting only": the note `agent diff` puts on a managed file whose live and
//! desired texts mean the same. A leaf of the import code the targets may use: it
//! reaches the canonical forms ([`super::haproxy::normal`], [`super::apache::normal`])
//! directly, never the importers (which render, and so depend on the targets).

/// The note `agent diff` puts on a changed managed file whose live and desired
/// contents mean the same (`None` when a directive changes, or for files that are
/// not configuration, like TLS material). Apache `Include`s are compared as written:
/// the included files are not read here.
pub fn formatting_note(target: &str, path: &str, live: &str, desired: &str) -> Option<String> {
    let (a, b) = match target {
        "balancer" => (
            super::haproxy::normal::normal_text(path, live),
            super::haproxy::normal::normal_text(path, desired),
        ),
        "gateway" if path.ends_with(".conf") => (
            super::apache::normal::normal_text(path, live),
            super::apache::normal::normal_text(path, desired),
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
}
