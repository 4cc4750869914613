//! The proof printed at the end of every import: the new repo loads and validates
//! (`agent validate`'s own check, with the real `haproxy -c`, `apache2ctl -t`,
//! `crm_verify` where installed), and every rendered file means what the live one
//! means (the semantic comparison, per document and host). When the repo holds
//! encrypted values and the agent has a key, the written files themselves are
//! loaded too and must render exactly like their plain twins.

use super::assemble::Check;
use super::{apache, cib, corosync, haproxy, k8s, semantic, Built};
use crate::mask::Masker;
use crate::source::Snapshot;
use crate::targets::cluster::corosync::CorosyncWant;
use crate::targets::cluster::xml::Elem;
use crate::validate::{prepare_with, validate_with, SecretOptions, Step};
use schema::{Severity, SourceFile};
use serde::Serialize;

/// What the round trip found.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// The plain repo loaded, rendered and passed the local tool checks.
    pub valid: bool,
    /// Validation errors (file:line: message), masked.
    pub errors: Vec<String>,
    pub warnings: usize,
    /// What the real tools checked, and the tools not installed here.
    pub checked: String,
    pub skipped_tools: Vec<String>,
    /// Semantic differences in all documents (details in each file's summary).
    pub differences: usize,
    /// The encrypted files as written load and render the same (`None`: no key or no
    /// encrypted file).
    pub encrypted_ok: Option<bool>,
}

fn snapshot(files: Vec<SourceFile>) -> Snapshot {
    Snapshot {
        commit: "import".into(),
        reference: "import".into(),
        origin: "agent import".into(),
        subdir: ".".into(),
        files,
        work_tree: None,
    }
}

/// Runs the proof and records each document's differences in its summaries.
pub fn prove(built: &mut Built, keys: &SecretOptions) -> Proof {
    let mut masker = crate::secrets::masking::secret_masker(&built.secret_values());
    for v in built.secret_values() {
        masker.add_secret(v);
    }
    let files = built.files();
    let plain: Vec<SourceFile> = files
        .iter()
        .map(|f| SourceFile::new(f.path.clone(), f.plain.clone()))
        .collect();
    let mut proof = Proof::default();
    let v = validate_with(&snapshot(plain.clone()), true, &SecretOptions::default());
    proof.valid = v.is_valid() && v.checks.local != Step::Failed;
    proof.errors = v
        .errors()
        .map(|d| masker.mask(&with_source(&d.to_string(), built)))
        .collect();
    proof.warnings = v
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    proof.skipped_tools = v.checks.skipped_tools.clone();
    let prepared = match prepare_with(&snapshot(plain), &SecretOptions::default()) {
        Ok(p) => p,
        Err(_) => return proof,
    };
    let rendered = &prepared.rendered;
    proof.checked = format!(
        "{} host file(s), {} CIB fragment(s), {} Kubernetes object(s) rendered",
        rendered.files.len(),
        rendered.cib.len(),
        rendered.objects.len()
    );
    for e in &mut built.entries {
        let source = format!("{}/{}", e.kind, e.name);
        let mut diffs: Vec<String> = Vec::new();
        match &e.check {
            Check::Balancer(live) => {
                for (host, text) in live {
                    match rendered
                        .files
                        .iter()
                        .find(|f| f.source == source && &f.host == host)
                    {
                        Some(f) => diffs.extend(semantic::differences(
                            &haproxy::normal_text(&format!("{host} live"), text),
                            &haproxy::normal_text(&format!("{host} rendered"), &f.content),
                        )),
                        None => diffs.push(format!("nothing rendered for {host}")),
                    }
                }
            }
            Check::Gateway(live) => {
                for (host, text, includes, modules) in live {
                    match rendered
                        .files
                        .iter()
                        .find(|f| f.source == source && &f.host == host && !f.is_support())
                    {
                        Some(f) => diffs.extend(apache::differences(
                            text,
                            &f.content,
                            includes,
                            modules.as_ref(),
                        )),
                        None => diffs.push(format!("nothing rendered for {host}")),
                    }
                }
            }
            Check::Cluster {
                cib: live,
                corosync: texts,
            } => {
                let spec = prepared
                    .state
                    .clusters
                    .iter()
                    .find(|c| c.doc.metadata.name == e.name)
                    .map(|c| c.doc.spec.clone());
                match (spec, Elem::parse(live)) {
                    (Some(spec), Ok(live)) => {
                        diffs.extend(cib::differences(&live, &spec).unwrap_or_else(|m| vec![m]));
                        let want = CorosyncWant::from_spec(&spec).with_addresses(&prepared.state);
                        for (host, t) in texts {
                            diffs.extend(
                                corosync::differences(t, &want)
                                    .into_iter()
                                    .map(|d| format!("{host}: {d}")),
                            );
                        }
                    }
                    (None, _) => diffs.push("the cluster document did not load".into()),
                    (_, Err(m)) => diffs.push(format!("the live CIB is not XML: {m}")),
                }
            }
            Check::Workload(live) => {
                let (kind, name) = (live["kind"].as_str(), live["metadata"]["name"].as_str());
                let ns = live["metadata"]["namespace"].as_str();
                match rendered.objects.iter().find(|o| {
                    o["kind"].as_str() == kind
                        && o["metadata"]["name"].as_str() == name
                        && o["metadata"]["namespace"].as_str() == ns
                }) {
                    Some(o) if k8s::normalise(o) == *live => {}
                    Some(_) => diffs.push(format!("{source}: the rendered object differs")),
                    None => diffs.push(format!("{source}: not rendered")),
                }
            }
            Check::None => {}
        }
        let diffs: Vec<String> = diffs.into_iter().map(|d| masker.mask(&d)).collect();
        proof.differences += diffs.len();
        for s in &mut e.summaries {
            s.semantic_differences = Some(Vec::new());
        }
        if let Some(first) = e.summaries.first_mut() {
            first.semantic_differences = Some(diffs);
        }
    }
    proof.encrypted_ok = encrypted_check(&files, keys, rendered);
    proof
}

/// A tool's complaint quotes the rendered line (`` line 12 `bind :443 ssl crt x.pem` ``):
/// add where that line was read (host, file, line), so the fix goes where it belongs.
fn with_source(message: &str, built: &Built) -> String {
    let Some(quoted) = message
        .split('`')
        .nth(1)
        .map(str::trim)
        .filter(|q| q.len() > 3)
    else {
        return message.to_string();
    };
    for e in &built.entries {
        let texts: Vec<&String> = match &e.check {
            Check::Balancer(live) => live.iter().map(|(_, t)| t).take(1).collect(),
            Check::Gateway(live) => live.iter().map(|(_, t, _, _)| t).take(1).collect(),
            _ => Vec::new(),
        };
        for t in texts {
            if let Some(n) = t.lines().position(|l| l.trim() == quoted) {
                let from = e.summaries.first().map(|s| s.label()).unwrap_or_default();
                let (first, rest) = message.split_once('\n').unwrap_or((message, ""));
                let rest = if rest.is_empty() {
                    String::new()
                } else {
                    format!("\n{rest}")
                };
                return format!("{first} (the line comes from {from}:{}){rest}", n + 1);
            }
        }
    }
    message.to_string()
}

/// The files as written, decrypted with the agent's key, render like the plain twins.
fn encrypted_check(
    files: &[super::write::RepoFile],
    keys: &SecretOptions,
    plain: &crate::render::Rendered,
) -> Option<bool> {
    if keys.identities.is_empty() || !files.iter().any(|f| f.text != f.plain) {
        return None;
    }
    let written: Vec<SourceFile> = files
        .iter()
        .map(|f| SourceFile::new(f.path.clone(), f.text.clone()))
        .collect();
    Some(match prepare_with(&snapshot(written), keys) {
        Ok(p) => p
            .rendered
            .files
            .iter()
            .map(|f| (&f.host, &f.path, &f.content))
            .eq(plain.files.iter().map(|f| (&f.host, &f.path, &f.content))),
        Err(_) => false,
    })
}

/// A masker for everything printed about an import.
pub fn masker(built: &Built) -> Masker {
    crate::secrets::masking::secret_masker(&built.secret_values())
}
