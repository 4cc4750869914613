//! `agent validate`: the PR check. Prints [`crate::validate::Validation`] for people
//! (`file:line:col: error: message` + `help:` lines + a summary) or as one JSON object.

use super::exit::Exit;
use super::format::Format;
use super::source_args::SourceArgs;
use crate::config::Config;
use crate::config::ConfigError;
use crate::source::{Snapshot, WORKING_TREE};
use crate::validate::{validate_with, SecretOptions, Validation};
use schema::Diagnostic;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Skip the local checks with the real tools (haproxy -c, apache2ctl -t, crm_verify).
    #[arg(long)]
    pub no_local_checks: bool,
}

pub fn run(args: &Args, config: Option<&Config>, format: Format) -> anyhow::Result<Exit> {
    let keys = secret_options(config)?;
    let snapshot = args.source.verified_snapshot(config, true)?;
    let validation = validate_with(&snapshot, !args.no_local_checks, &keys);
    let masker = crate::secrets::masking::secret_masker(&validation.secrets);
    match format {
        Format::Json => println!(
            "{}",
            masker.mask(&serde_json::to_string_pretty(&json(
                &snapshot,
                &validation
            ))?)
        ),
        Format::Text => print!("{}", masker.mask(&text(&snapshot, &validation))),
    }
    Ok(if validation.is_valid() {
        Exit::Ok
    } else {
        Exit::Invalid
    })
}

/// The agent's age identity (`AGENT_AGE_IDENTITY` over the config's
/// `secrets.ageIdentityFile`) and plaintext policy. A bad identity is a config error.
pub(super) fn secret_options(config: Option<&Config>) -> Result<SecretOptions, ConfigError> {
    SecretOptions::from_config(config).map_err(|e| {
        ConfigError::Invalid(Diagnostic::error("", 0, 0, e.to_string()).with_hint(
            "an age-keygen identity file: secrets.ageIdentityFile, or AGENT_AGE_IDENTITY (key text or path)",
        ))
    })
}

/// The stable JSON object: `{valid, commit, reference, source, path, errors, warnings,
/// checks, rendered}`. Diagnostic paths are relative to the repo subdirectory.
pub fn json(snapshot: &Snapshot, v: &Validation) -> serde_json::Value {
    let errors: Vec<&Diagnostic> = v.errors().collect();
    let warnings: Vec<&Diagnostic> = v.warnings().collect();
    let rendered = v.rendered.as_ref().map(|r| {
        serde_json::json!({
            "files": r.files.len(),
            "hosts": r.files.iter().map(|f| f.host.as_str()).collect::<BTreeSet<_>>(),
            "cibFragments": r.cib.len(),
            "objects": r.objects.len(),
        })
    });
    serde_json::json!({
        "valid": v.is_valid(),
        "commit": v.commit,
        "reference": snapshot.reference,
        "source": snapshot.origin,
        "path": snapshot.subdir,
        "errors": errors,
        "warnings": warnings,
        "checks": v.checks,
        "rendered": rendered,
    })
}

/// Human output; diagnostic paths are shown as the user can open them from here.
pub fn text(snapshot: &Snapshot, v: &Validation) -> String {
    let prefix = display_prefix(snapshot);
    let mut out = String::new();
    for d in &v.diagnostics {
        let mut shown = d.clone();
        if !shown.file.is_empty() && !prefix.is_empty() {
            shown.file = format!("{prefix}/{}", shown.file);
        }
        out.push_str(&format!("{shown}\n"));
    }
    if !v.checks.skipped_tools.is_empty() {
        out.push_str(&format!(
            "note: local checks skipped, not installed: {}\n",
            v.checks.skipped_tools.join(", ")
        ));
    }
    let what = describe(snapshot);
    let (errors, warnings) = (v.errors().count(), v.warnings().count());
    if v.is_valid() {
        let counts = v.rendered.as_ref().map_or(String::new(), |r| {
            let hosts: BTreeSet<_> = r.files.iter().map(|f| &f.host).collect();
            format!(
                ": {} for {}, {}, {}",
                plural(r.files.len(), "file"),
                plural(hosts.len(), "host"),
                plural(r.cib.len(), "CIB fragment"),
                plural(r.objects.len(), "Kubernetes object")
            )
        });
        let warn = if warnings > 0 {
            format!(" ({})", plural(warnings, "warning"))
        } else {
            String::new()
        };
        out.push_str(&format!("valid{warn}: {what}{counts}\n"));
    } else {
        out.push_str(&format!(
            "invalid: {}, {} in {what}\n",
            plural(errors, "error"),
            plural(warnings, "warning")
        ));
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `sample-repo` (directory) or `deploy` (subdirectory of a repository) or nothing.
fn display_prefix(snapshot: &Snapshot) -> String {
    let sub = (snapshot.subdir != ".").then_some(snapshot.subdir.as_str());
    let path = if snapshot.commit == WORKING_TREE {
        let base = Path::new(&snapshot.origin);
        match sub {
            Some(s) => base.join(s),
            None => base.to_path_buf(),
        }
    } else {
        sub.map(Path::new).unwrap_or(Path::new("")).to_path_buf()
    };
    let s = path.display().to_string();
    let s = s.strip_prefix("./").unwrap_or(&s).trim_end_matches('/');
    if s == "." {
        String::new()
    } else {
        s.to_string()
    }
}

/// "sample-repo (working tree)" or "file:///r at main (0123abcd…)".
fn describe(snapshot: &Snapshot) -> String {
    if snapshot.commit == WORKING_TREE {
        match &snapshot.work_tree {
            Some(wt) => format!(
                "{} (files on disk; Git work tree {} at {})",
                snapshot.origin,
                wt.root.display(),
                wt.head
                    .as_deref()
                    .map_or("no commit", |h| &h[..h.len().min(12)])
            ),
            None => format!("{} (files on disk)", snapshot.origin),
        }
    } else {
        format!(
            "{} at {} ({})",
            snapshot.origin, snapshot.reference, snapshot.commit
        )
    }
}
