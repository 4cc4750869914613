//! Local syntax checks of rendered files with the real tools (`haproxy -c`,
//! `apache2ctl -t`, `crm_verify`) on a staged tree, when the tools are installed.
//! Used by `agent validate` (the PR check): no SSH, no cluster.

use crate::render::Rendered;
use schema::Diagnostic;

/// Outcome of the local checks: problems found, and the tools that were not installed.
#[derive(Debug, Default)]
pub struct LocalCheck {
    pub problems: Vec<Diagnostic>,
    pub skipped: Vec<String>,
}

/// Runs every available local check on the rendered output.
pub fn check(rendered: &Rendered) -> LocalCheck {
    let _ = rendered;
    todo!("local checks")
}
