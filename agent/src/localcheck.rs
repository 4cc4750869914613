//! Local syntax checks of rendered files with the real tools (`haproxy -c`,
//! `apache2ctl -t`, `crm_verify`) on a staged tree, when the tools are installed.
//! Used by `agent validate` (the PR check): no SSH, no cluster.
//!
//! Guarantees: nothing outside a private temporary directory is written (the
//! Apache check runs on a copy of `/etc/apache2` whose run, lock and log
//! directories point into that copy, with TLS file paths rewritten to
//! placeholder files in the copy only). A tool that is not installed is
//! listed in [`LocalCheck::skipped`], never an error. A tool's complaint
//! becomes a [`Diagnostic`] on the repo document that produced the file,
//! naming the host, the rendered file, its line and the tool's message.
//! Identical files (the same haproxy.cfg on both balancers) are checked once;
//! the three tools run in parallel.

mod apache;
mod cache;
mod crm;
mod haproxy;
mod ocf;

use crate::render::{document_origin, ManagedFile, Rendered, TargetKind};
use schema::{DesiredState, Diagnostic};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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
    fn merge(&mut self, other: LocalCheck) {
        self.problems.extend(other.problems);
        self.skipped.extend(other.skipped);
        self.checked.extend(other.checked);
    }
}

/// Runs every available local check on the rendered output. Problems name
/// the document (`Balancer/lab`) in their message; use [`check_repo`] to have
/// them point at the document's file and line.
pub fn check(rendered: &Rendered) -> LocalCheck {
    cached(rendered, None)
}

/// [`check`], with every problem placed on the repo document (file:line)
/// that produced the failing file.
pub fn check_repo(state: &DesiredState, rendered: &Rendered) -> LocalCheck {
    cached(rendered, Some(state))
}

/// The checks, or their cached clean pass for an identical render and toolset.
fn cached(rendered: &Rendered, state: Option<&DesiredState>) -> LocalCheck {
    let tools = Tools::from_path();
    if let Some(hit) = cache::lookup(rendered, &tools) {
        return hit;
    }
    let result = check_with(rendered, &tools, state);
    cache::store(rendered, &tools, &result);
    result
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

impl Tools {
    /// Looks the tools up in `PATH` (and the sbin directories, which a
    /// non-root CI user's `PATH` often lacks).
    pub fn from_path() -> Tools {
        let conf = Path::new("/etc/apache2");
        Tools {
            haproxy: find_tool("haproxy"),
            apache2ctl: find_tool("apache2ctl"),
            apache_conf: conf.join("apache2.conf").is_file().then(|| conf.into()),
            crm_verify: find_tool("crm_verify"),
            ocf_root: ocf::installed_root(),
        }
    }
}

pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// [`check`] with explicit tool locations (tests use this to simulate missing tools).
pub fn check_with(rendered: &Rendered, tools: &Tools, state: Option<&DesiredState>) -> LocalCheck {
    let mut out = LocalCheck::default();
    let dir = match tempfile::Builder::new().prefix("agent-check-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            out.problems.push(Diagnostic::warning(
                "",
                0,
                0,
                format!("local checks did not run: cannot create a temporary directory: {e}"),
            ));
            return out;
        }
    };
    let base = dir.path();
    let (h, a, c, o) = std::thread::scope(|s| {
        let h = s.spawn(|| haproxy::check(rendered, tools, base, state));
        let a = s.spawn(|| apache::check(rendered, tools, base, state));
        let c = s.spawn(|| crm::check(rendered, tools, base, state));
        let o = s.spawn(|| ocf::check(rendered, tools, state));
        (h.join(), a.join(), c.join(), o.join())
    });
    for part in [h, a, c, o] {
        out.merge(part.unwrap_or_default());
    }
    out
}

/// Files of one target grouped by identical content (and modules), in render order.
fn distinct(rendered: &Rendered, target: TargetKind) -> Vec<Vec<&ManagedFile>> {
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
fn where_(group: &[&ManagedFile]) -> String {
    let hosts: Vec<_> = group.iter().map(|f| f.host.as_str()).collect();
    format!("{}:{}", hosts.join(","), group[0].path)
}

/// A tool's complaint about a file `source` (`Kind/name`) rendered: on the
/// document's file:line when the state is known, else naming it in the text.
fn diag(state: Option<&DesiredState>, source: &str, error: bool, message: String) -> Diagnostic {
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
fn run(cmd: &mut Command) -> Result<(bool, String), String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

/// The rendered line `n` (1-based), trimmed, for messages.
fn rendered_line(content: &str, n: usize) -> Option<&str> {
    n.checked_sub(1)
        .and_then(|i| content.lines().nth(i))
        .map(str::trim)
}
