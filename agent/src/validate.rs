//! The PR check as a library function: snapshot → load → render → local checks.
//!
//! No SSH, no cluster, no Git (the snapshot is already taken). Every step that can run
//! runs, and every problem found is collected, so a PR author sees all of them at once.
//! The result is a plain value; `agent validate` only prints it.

use crate::localcheck;
use crate::render::{self, Rendered};
use crate::secrets::{self, detect, Identity, Missing};
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
    /// Decrypted secret values: mask them in anything printed.
    pub secrets: Vec<String>,
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

/// The desired state of one snapshot, loaded and rendered: what `diff` and `apply` work on.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub state: schema::DesiredState,
    pub rendered: Rendered,
    /// Warnings found while loading (errors make [`prepare`] fail).
    pub warnings: Vec<Diagnostic>,
    /// Every decrypted secret value: give them to the masker
    /// ([`crate::secrets::masking::masker_for`]) before anything is printed or logged.
    pub secrets: Vec<String>,
}

/// The agent's keys and the plaintext policy, for loading a snapshot.
#[derive(Debug, Clone, Default)]
pub struct SecretOptions {
    /// Age identities to decrypt with (empty: none configured).
    pub identities: Vec<Identity>,
    /// Plaintext secrets found in the repo: warning or error (`validate` only).
    pub plaintext: detect::Policy,
}

impl SecretOptions {
    /// From the agent config (`secrets.ageIdentityFile`, `secrets.plaintextPolicy`)
    /// and the environment (`AGENT_AGE_IDENTITY`: key text or file path, wins over
    /// the file). What `validate`, `diff`, `apply` and `run` use.
    pub fn from_config(
        config: Option<&crate::config::Config>,
    ) -> Result<Self, secrets::SecretError> {
        let file = config.and_then(|c| c.secrets.age_identity_file.as_deref());
        let env = std::env::var("AGENT_AGE_IDENTITY").ok();
        let identity = Identity::configured(file, env.as_deref())?;
        let policy = config
            .map(|c| c.secrets.plaintext_policy)
            .unwrap_or_default();
        Ok(SecretOptions::new(identity, policy))
    }

    pub fn new(identity: Option<Identity>, plaintext: detect::Policy) -> Self {
        SecretOptions {
            identities: identity.into_iter().collect(),
            plaintext,
        }
    }
}

/// Loads and renders a snapshot without secrets (no local tool checks); a repo with
/// encrypted values fails. See [`prepare_with`].
pub fn prepare(snapshot: &Snapshot) -> Result<Prepared, Vec<Diagnostic>> {
    prepare_with(snapshot, &SecretOptions::default())
}

/// Decrypts (in memory), loads and renders a snapshot. `Err` holds every problem
/// found; an encrypted value that does not decrypt (no identity, wrong recipient,
/// tampered) is one of them, so nothing of that commit is applied.
pub fn prepare_with(
    snapshot: &Snapshot,
    keys: &SecretOptions,
) -> Result<Prepared, Vec<Diagnostic>> {
    let unsealed = secrets::unseal(&snapshot.files, &keys.identities, Missing::Error);
    if unsealed.has_errors() {
        return Err(unsealed.diagnostics);
    }
    // A loader or renderer message may quote a value: mask before handing it on.
    let masker = crate::secrets::masking::secret_masker(&unsealed.secrets);
    let masked = |ds: Vec<Diagnostic>| -> Vec<Diagnostic> {
        ds.into_iter()
            .map(|mut d| {
                d.message = masker.mask(&d.message);
                d
            })
            .collect()
    };
    let state = schema::load_files(&unsealed.files).map_err(|d| masked(d.0))?;
    let mut rendered = render::render(&state).map_err(|e| masked(vec![e.to_diagnostic(&state)]))?;
    protect_secret_files(&mut rendered, &unsealed.secrets);
    let mut warnings = state_warnings(&state);
    warnings.extend(unsealed.diagnostics);
    Ok(Prepared {
        state,
        rendered,
        warnings,
        secrets: unsealed.secrets,
    })
}

/// Files whose content holds a decrypted secret are written 0600 (and so are their
/// temp and backup copies on the host, which take the file's mode).
pub fn protect_secret_files(rendered: &mut Rendered, secrets: &[String]) {
    for f in &mut rendered.files {
        if secrets
            .iter()
            .any(|s| !s.is_empty() && f.content.contains(s.as_str()))
        {
            f.mode = 0o600;
        }
    }
}

/// What the loader found suspicious but valid (`DesiredState::warnings`).
fn state_warnings(state: &schema::DesiredState) -> Vec<Diagnostic> {
    state.warnings.iter().cloned().collect()
}

/// Runs the whole check on a snapshot without keys; see [`validate_with`].
pub fn validate(snapshot: &Snapshot, local_checks: bool) -> Validation {
    validate_with(snapshot, local_checks, &SecretOptions::default())
}

/// Runs the whole check on a snapshot; `local_checks` runs the real tools on the output.
/// Encrypted values are decrypted with `keys` (without an identity they are checked
/// as placeholders, with a warning); plaintext secrets are reported by policy.
pub fn validate_with(snapshot: &Snapshot, local_checks: bool, keys: &SecretOptions) -> Validation {
    let mut checks = Checks {
        load: Step::NotRun,
        render: Step::NotRun,
        local: Step::NotRun,
        skipped_tools: Vec::new(),
    };
    let mut diagnostics = Vec::new();
    let mut rendered = None;
    for f in &snapshot.files {
        if let Ok(text) = std::str::from_utf8(&f.bytes) {
            diagnostics.extend(detect::scan_text(&f.path, text, keys.plaintext));
        }
    }
    let unsealed = secrets::unseal(&snapshot.files, &keys.identities, Missing::Placeholder);
    diagnostics.extend(unsealed.diagnostics.iter().cloned());
    let loaded = if unsealed.has_errors() {
        Err(schema::Diagnostics(Vec::new()))
    } else {
        schema::load_files(&unsealed.files)
    };
    match loaded {
        Err(diags) => {
            checks.load = Step::Failed;
            diagnostics.extend(diags.0);
        }
        Ok(state) => {
            checks.load = Step::Passed;
            diagnostics.extend(state_warnings(&state));
            match render::render(&state) {
                Err(e) => {
                    checks.render = Step::Failed;
                    diagnostics.push(e.to_diagnostic(&state));
                }
                Ok(mut r) => {
                    checks.render = Step::Passed;
                    protect_secret_files(&mut r, &unsealed.secrets);
                    if local_checks {
                        let local = localcheck::check_repo(&state, &r);
                        let failed = local.problems.iter().any(Diagnostic::is_error);
                        checks.local = if failed { Step::Failed } else { Step::Passed };
                        checks.skipped_tools = local.skipped;
                        diagnostics.extend(local.problems);
                    }
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
        secrets: unsealed.secrets,
    }
}

/// Reads `root` as it is on disk (no Git revision), decrypts with `identities`,
/// loads and renders. `Err` holds every problem, a secret that does not decrypt
/// included. The rendered files still hold cleartext secrets: mask before printing
/// ([`crate::secrets::masking::secret_masker`] with [`Prepared::secrets`]).
pub fn prepare_dir(
    root: &std::path::Path,
    identities: &[crate::secrets::Identity],
) -> Result<Prepared, Vec<Diagnostic>> {
    let spec = crate::source::SourceSpec {
        location: root.display().to_string(),
        rev: None,
        subdir: None,
    };
    let snap =
        crate::source::snapshot(&spec, &crate::source::FetchOptions::new(None)).map_err(|e| {
            vec![Diagnostic::error(
                root.display().to_string(),
                0,
                0,
                e.to_string(),
            )]
        })?;
    let keys = SecretOptions {
        identities: identities.to_vec(),
        ..SecretOptions::default()
    };
    prepare_with(&snap, &keys)
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
        let v = validate(
            &snap(&[
                (
                    "a.yaml",
                    "apiVersion: agent/v1\nkind: Nope\nmetadata: {name: x}\nspec: {}\n",
                ),
                ("b.yaml", "key: [unclosed\n"),
            ]),
            true,
        );
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
