//! What of a PR's render the preview may look at on the hosts: only files the base
//! branch already manages, on hosts of the base branch's inventory. Everything else
//! the PR renders (a new host, a file at a new path, e.g. an `overrides:` path or a
//! TLS key path pointing elsewhere) is never read on a host — a PR must not be able to
//! make the preview read, and print in a public comment, a file of its choosing — and
//! is shown as the PR renders it, a `create` against nothing.

use super::model::ObjectPreview;
use crate::mask::Masker;
use crate::rendered::Rendered;
use crate::textdiff::unified;
use std::collections::BTreeSet;

/// The confined render and the PR's files left out of it.
pub struct Confined {
    pub rendered: Rendered,
    /// (target, host, object) of each file not read.
    pub not_read: Vec<(String, String, ObjectPreview)>,
}

/// `head` restricted to what `base` manages on `base_hosts`.
pub fn confine(
    head: &Rendered,
    base: &Rendered,
    base_hosts: &BTreeSet<String>,
    masker: &Masker,
) -> Confined {
    let managed: BTreeSet<(&str, &str, &str)> = base
        .files
        .iter()
        .map(|f| (f.target, f.host.as_str(), f.path.as_str()))
        .collect();
    let mut rendered = head.clone();
    let mut not_read = Vec::new();
    rendered.files.retain(|f| {
        let known_host = base_hosts.contains(&f.host);
        if known_host && managed.contains(&(f.target, f.host.as_str(), f.path.as_str())) {
            return true;
        }
        let why = if known_host {
            "not read on the host: the base branch does not manage this path"
        } else {
            "new host: not contacted (not in the base branch's inventory)"
        };
        let label = format!("{}:{}", f.host, f.path);
        not_read.push((
            f.target.to_string(),
            f.host.clone(),
            ObjectPreview {
                object: f.path.clone(),
                action: "create".into(),
                apply_diff: unified("", &f.content, "/dev/null", &label, masker),
                notes: vec![why.into()],
                pr_diff: unified("", &f.content, "/dev/null", &label, masker),
                drift_diff: None,
                drifted: false,
            },
        ));
        false
    });
    Confined { rendered, not_read }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rendered::ManagedFile;

    fn file(host: &str, path: &str) -> ManagedFile {
        ManagedFile {
            host: host.into(),
            target: "gateway",
            path: path.into(),
            content: "x\n".into(),
            ..Default::default()
        }
    }

    #[test]
    fn new_hosts_and_new_paths_are_not_observed() {
        let base = Rendered {
            files: vec![file("gw", "/etc/apache2/sites-enabled/a.conf")],
            ..Default::default()
        };
        let head = Rendered {
            files: vec![
                file("gw", "/etc/apache2/sites-enabled/a.conf"),
                file("gw", "/etc/shadow"),
                file("gw2", "/etc/apache2/sites-enabled/a.conf"),
            ],
            ..Default::default()
        };
        let hosts: BTreeSet<String> = ["gw".to_string()].into();
        let c = confine(&head, &base, &hosts, &Masker::new("k"));
        assert_eq!(c.rendered.files.len(), 1);
        assert_eq!(c.not_read.len(), 2);
        assert!(c.not_read[0].2.notes[0].contains("does not manage this path"));
        assert!(c.not_read[1].2.notes[0].contains("not contacted"));
    }
}
