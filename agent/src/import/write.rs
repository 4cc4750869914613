//! The imported repository on disk: the layout of `sample-repo/` (`inventory.yaml`,
//! `balancer/`, `gateway/`, `cluster/`, `workloads/<namespace>/`), every document
//! commented where the import made a choice, secrets encrypted per `.sops.yaml`
//! ([`sops`]), plus `IMPORT.md` (the summary), `.import/summary.json` and the
//! suggested agent configuration `.import/agent.yaml` (every target `observe`).
//!
//! Each file is produced twice: as written (secrets encrypted or placeholders) and
//! as a plain twin kept in memory only, which the round trip validates and renders.

pub mod sops;
mod yaml;

pub use sops::SopsConfig;
pub use yaml::to_yaml;

use super::doc::{Comments, Imported};
use serde_yaml::Value;
use std::path::Path;

/// One repo file.
#[derive(Debug, Clone)]
pub struct RepoFile {
    /// Repo-relative path.
    pub path: String,
    /// The text written to disk.
    pub text: String,
    /// The same with secrets in clear: never written, only validated in memory.
    pub plain: String,
    /// How the secrets of this file were handled, for the summary.
    pub secret_note: Option<String>,
}

/// A document file: header comment lines, the document, its secrets handled.
pub fn document<S: serde::Serialize>(
    path: &str,
    header: &[String],
    doc: &Imported<S>,
    sops: Option<&SopsConfig>,
    whence: &str,
) -> Result<RepoFile, String> {
    value_file(
        path,
        header,
        &doc.document(),
        &doc.comments,
        &doc.secrets,
        sops,
        whence,
    )
}

/// A YAML file from a value: header comment lines, comments by path, the `secrets`
/// (value paths, or bare keys for whole maps) encrypted or replaced by placeholders.
pub fn value_file(
    path: &str,
    header: &[String],
    value: &Value,
    comments: &Comments,
    secrets: &[String],
    sops: Option<&SopsConfig>,
    whence: &str,
) -> Result<RepoFile, String> {
    let head: String = header.iter().map(|l| format!("# {l}\n")).collect();
    let plain = format!("{head}{}", to_yaml(value, comments));
    let doc = Secrets { comments, secrets };
    if doc.secrets.is_empty() {
        return Ok(RepoFile {
            path: path.into(),
            text: plain.clone(),
            plain,
            secret_note: None,
        });
    }
    let recipients = sops.and_then(|s| s.recipients(path));
    match recipients {
        Some(r) => {
            let (enc, meta) = sops::encrypt(value, doc.secrets, r)?;
            let mut m = serde_yaml::Mapping::new();
            m.insert("sops".into(), meta);
            let block = serde_yaml::to_string(&Value::Mapping(m)).map_err(|e| e.to_string())?;
            let mut comments = doc.comments.clone();
            for s in doc.secrets {
                comments.add(
                    s.clone(),
                    "encrypted with sops (.sops.yaml); `sops edit` to change it".to_string(),
                );
            }
            let text = format!("{head}{}{block}", to_yaml(&enc, &comments));
            let note = format!(
                "{} secret value(s) encrypted with sops to {}",
                doc.secrets.len(),
                r.join(", ")
            );
            Ok(RepoFile {
                path: path.into(),
                text,
                plain,
                secret_note: Some(note),
            })
        }
        None => {
            let mut comments: Comments = doc.comments.clone();
            let v = sops::placeholders(value, doc.secrets, &mut comments, whence);
            let text = format!("{head}{}", to_yaml(&v, &comments));
            let note = format!(
                "{} secret value(s) NOT written (no .sops.yaml rule with age recipients for {path}): placeholder `{}`, put the value with `sops edit`",
                doc.secrets.len(),
                sops::PLACEHOLDER
            );
            Ok(RepoFile {
                path: path.into(),
                text,
                plain,
                secret_note: Some(note),
            })
        }
    }
}

struct Secrets<'a> {
    comments: &'a Comments,
    secrets: &'a [String],
}

/// Writes `files` under `dir` (creating directories), refusing to overwrite a
/// different existing file unless `force`.
pub fn write_all(dir: &Path, files: &[RepoFile], force: bool) -> std::io::Result<()> {
    for f in files {
        let target = dir.join(&f.path);
        if let Ok(existing) = std::fs::read_to_string(&target) {
            if existing != f.text
                && !force
                && !f.path.starts_with(".import/")
                && f.path != "IMPORT.md"
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!(
                        "{} exists and differs (use --force to overwrite)",
                        target.display()
                    ),
                ));
            }
        }
    }
    for f in files {
        let target = dir.join(&f.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = target.with_extension("import-tmp");
        std::fs::write(&tmp, &f.text)?;
        std::fs::rename(&tmp, &target)?;
    }
    Ok(())
}

/// The suggested agent configuration: the given one's connection settings, the new
/// repo, and every target on `observe` so nothing is corrected until the team says so.
pub fn suggested_config(repo: &Path, config: Option<&crate::config::Config>) -> String {
    let mut out = String::from(
        "# Suggested by `agent import`: copy to the deploy node (e.g. /etc/agent/agent.yaml).\n\
         # Every target starts on `observe`: `agent run` reports drift and changes nothing.\n\
         # Switch a target to `correct` once `agent diff` shows what you expect.\n",
    );
    out.push_str(&format!(
        "repo:\n  url: {}\n",
        quote(&repo.display().to_string())
    ));
    if let Some(c) = config {
        out.push_str("ssh:\n");
        if let Some(i) = &c.ssh.identity_file {
            out.push_str(&format!(
                "  identityFile: {}\n",
                quote(&i.display().to_string())
            ));
        }
        if let Some(k) = &c.ssh.known_hosts {
            out.push_str(&format!(
                "  knownHosts: {}\n",
                quote(&k.display().to_string())
            ));
        }
        out.push_str(&format!("  user: {}\n", quote(&c.ssh.user)));
        if let Some(k) = &c.kubeconfig {
            out.push_str(&format!(
                "kubeconfig: {}\n",
                quote(&k.display().to_string())
            ));
        }
        if let Some(a) = &c.secrets.age_identity_file {
            out.push_str(&format!(
                "secrets:\n  ageIdentityFile: {}\n",
                quote(&a.display().to_string())
            ));
        }
    }
    out.push_str("policies:\n  gateway: observe\n  balancer: observe\n  cluster: observe\n  workloads: observe\n");
    out
}

fn quote(s: &str) -> String {
    serde_yaml::to_string(s)
        .unwrap_or_default()
        .trim_end()
        .to_string()
}
