//! The PR check as a library function: snapshot → load → render → local checks.
//!
//! No SSH, no cluster, no Git (the snapshot is already taken). Every step that can run
//! runs, and every problem found is collected, so a PR author sees all of them at once.
//! The result is a plain value; `agent validate` only prints it.

use crate::localcheck;
use crate::render::{self, Rendered};
use crate::source::Snapshot;
use schema::{Diagnostic, Severity};
use serde::Serialize;

/// Outcome of one step of the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Passed,
    Failed,
    /// An earlier step failed, so this one could not run.
    NotRun,
}

/// Which steps ran and how they went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checks {
    /// Parsing and validating the documents.
    pub load: Step,
    /// Rendering configs, CIB fragments and Kubernetes objects.
    pub render: Step,
    /// `haproxy -c`, `apache2ctl -t`, `crm_verify` on the rendered output.
    pub local: Step,
    /// Local tools that are not installed here, so their checks were skipped.
    pub skipped_tools: Vec<String>,
}

/// Everything `agent validate` reports about one snapshot.
#[derive(Debug, Clone)]
pub struct Validation {
    pub commit: String,
    /// Every problem found, errors and warnings, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    pub checks: Checks,
    /// The rendered output, when rendering succeeded.
    pub rendered: Option<Rendered>,
}

impl Validation {
    /// Valid when no step found an error (warnings do not count).
    pub fn is_valid(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }
}

/// Runs the whole check on a snapshot.
pub fn validate(snapshot: &Snapshot) -> Validation {
    let mut checks = Checks {
        load: Step::NotRun,
        render: Step::NotRun,
        local: Step::NotRun,
        skipped_tools: Vec::new(),
    };
    let mut diagnostics = Vec::new();
    let mut rendered = None;
    match schema::load_files(&snapshot.files) {
        Err(diags) => {
            checks.load = Step::Failed;
            diagnostics.extend(diags.0);
        }
        Ok(state) => {
            checks.load = Step::Passed;
            match render::render(&state) {
                Err(e) => {
                    checks.render = Step::Failed;
                    diagnostics.push(render_diagnostic(&e));
                }
                Ok(r) => {
                    checks.render = Step::Passed;
                    let local = localcheck::check(&r);
                    let failed = local.problems.iter().any(Diagnostic::is_error);
                    checks.local = if failed { Step::Failed } else { Step::Passed };
                    checks.skipped_tools = local.skipped;
                    diagnostics.extend(local.problems);
                    rendered = Some(r);
                }
            }
        }
    }
    diagnostics.sort();
    Validation {
        commit: snapshot.commit.clone(),
        diagnostics,
        checks,
        rendered,
    }
}

fn render_diagnostic(e: &render::RenderError) -> Diagnostic {
    match e {
        render::RenderError::Invalid {
            source_doc,
            message,
        } => Diagnostic::error("", 0, 0, format!("{source_doc}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schema::SourceFile;

    fn snap(files: &[(&str, &str)]) -> Snapshot {
        Snapshot {
            commit: "c0ffee".into(),
            reference: "main".into(),
            origin: "test".into(),
            subdir: ".".into(),
            files: files
                .iter()
                .map(|(p, t)| SourceFile {
                    path: p.to_string(),
                    bytes: t.as_bytes().to_vec(),
                })
                .collect(),
            work_tree: None,
        }
    }

    #[test]
    fn load_errors_stop_before_rendering_and_are_all_reported() {
        let v = validate(&snap(&[
            (
                "a.yaml",
                "apiVersion: agent/v1\nkind: Nope\nmetadata: {name: x}\nspec: {}\n",
            ),
            ("b.yaml", "key: [unclosed\n"),
        ]));
        assert!(!v.is_valid());
        assert_eq!(v.checks.load, Step::Failed);
        assert_eq!(v.checks.render, Step::NotRun);
        assert_eq!(v.checks.local, Step::NotRun);
        let files: Vec<_> = v.errors().map(|d| d.file.as_str()).collect();
        assert_eq!(files, ["a.yaml", "b.yaml"]);
        assert_eq!(v.commit, "c0ffee");
        assert!(v.rendered.is_none());
    }
}
