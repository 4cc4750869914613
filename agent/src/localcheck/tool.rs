//! What every local check shares: the outcome value, where the tools are, and the
//! helpers that run a tool and turn its complaint into a diagnostic on the repo.

use crate::rendered::{document_origin, ManagedFile, Rendered};
use schema::{DesiredState, Diagnostic};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

/// Outcome of the local checks: problems found, and the tools that were not installed.
#[derive(Debug, Default)]
pub struct LocalCheck {
    pub problems: Vec<Diagnostic>,
    /// Tools not installed here (their checks did not run).
    pub skipped: Vec<String>,
    /// What was checked, e.g. `haproxy -c: ha1,ha2:/etc/haproxy/haproxy.cfg`.
    pub checked: Vec<String>,
}

impl LocalCheck {
    pub(crate) fn merge(&mut self, other: LocalCheck) {
        self.problems.extend(other.problems);
        self.skipped.extend(other.skipped);
        self.checked.extend(other.checked);
    }
}

/// Where the tools are; `None` = not installed (the check is skipped).
#[derive(Debug, Clone, Default)]
pub struct Tools {
    pub haproxy: Option<PathBuf>,
    pub apache2ctl: Option<PathBuf>,
    /// The Debian configuration tree to stage (`/etc/apache2`).
    pub apache_conf: Option<PathBuf>,
    pub crm_verify: Option<PathBuf>,
    /// `OCF_ROOT` of the installed `resource-agents` (`/usr/lib/ocf`).
    pub ocf_root: Option<PathBuf>,
}

pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Files of one target grouped by identical content (and modules), in render order.
pub(crate) fn distinct<'a>(rendered: &'a Rendered, target: &str) -> Vec<Vec<&'a ManagedFile>> {
    let mut groups: BTreeMap<(&str, &[String]), Vec<&ManagedFile>> = BTreeMap::new();
    for f in rendered.files.iter().filter(|f| f.target == target) {
        groups
            .entry((f.content.as_str(), f.modules.as_slice()))
            .or_default()
            .push(f);
    }
    let mut v: Vec<_> = groups.into_values().collect();
    v.sort_by(|a, b| (&a[0].host, &a[0].path).cmp(&(&b[0].host, &b[0].path)));
    v
}

/// `ha1,ha2:/etc/haproxy/haproxy.cfg`
pub(crate) fn where_(group: &[&ManagedFile]) -> String {
    let hosts: Vec<_> = group.iter().map(|f| f.host.as_str()).collect();
    format!("{}:{}", hosts.join(","), group[0].path)
}

/// A tool's complaint about a file `source` (`Kind/name`) rendered: on the
/// document's file:line when the state is known, else naming it in the text.
pub(crate) fn diag(
    state: Option<&DesiredState>,
    source: &str,
    error: bool,
    message: String,
) -> Diagnostic {
    let origin = state.and_then(|s| document_origin(s, source));
    let (file, line, column, message) = match origin {
        Some(o) => (o.file, o.line, o.column, message),
        None => (String::new(), 0, 0, format!("{source}: {message}")),
    };
    let d = if error {
        Diagnostic::error(file, line, column, message)
    } else {
        Diagnostic::warning(file, line, column, message)
    };
    d.with_hint("`agent render` shows the rendered file with its line numbers")
}

/// Runs a tool; `Err` when it could not be started.
pub(crate) fn run(cmd: &mut Command) -> Result<(bool, String), String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

/// The rendered line `n` (1-based), trimmed, for messages.
pub(crate) fn rendered_line(content: &str, n: usize) -> Option<&str> {
    n.checked_sub(1)
        .and_then(|i| content.lines().nth(i))
        .map(str::trim)
}
