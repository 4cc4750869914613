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
pub mod tool;

pub use tool::{find_tool, LocalCheck, Tools};

use crate::rendered::Rendered;
use schema::{DesiredState, Diagnostic};
use std::path::Path;

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
