//! A cache of *passed* local checks, so re-validating an unchanged render (the
//! usual case in a PR pipeline or an editor loop) does not re-run three tools.
//!
//! The key covers everything the outcome depends on: every rendered file (host,
//! path, content, modules), every CIB fragment, and each tool's identity (path,
//! size, modification time), plus the size and modification time of every file
//! under the staged Apache tree and the OCF agents' root. Only a clean pass is
//! stored (no problem, no skipped tool); a failure always runs the tools again.
//! `AGENT_NO_CHECK_CACHE=1` turns the cache off.

use super::tool::{LocalCheck, Tools};
use crate::rendered::Rendered;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Directory of the cache: `$XDG_CACHE_HOME/agent/checks` or `~/.cache/agent/checks`.
fn dir() -> Option<PathBuf> {
    if std::env::var_os("AGENT_NO_CHECK_CACHE").is_some_and(|v| v == "1") {
        return None;
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(base.join("agent").join("checks"))
}

fn stamp(h: &mut Sha256, p: &Path) {
    h.update(p.as_os_str().as_encoded_bytes());
    if let Ok(m) = std::fs::metadata(p) {
        h.update(m.len().to_le_bytes());
        if let Ok(t) = m.modified().and_then(|t| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map_err(std::io::Error::other)
        }) {
            h.update(t.as_nanos().to_le_bytes());
        }
    }
}

fn stamp_tree(h: &mut Sha256, root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        stamp(h, &p);
        if p.is_dir() && !p.is_symlink() {
            stamp_tree(h, &p);
        }
    }
}

fn key(rendered: &Rendered, tools: &Tools) -> String {
    let mut h = Sha256::new();
    h.update(b"agent-localcheck-v1\0");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for f in &rendered.files {
        for part in [
            f.host.as_str(),
            f.path.as_str(),
            f.content.as_str(),
            &f.modules.join(","),
        ] {
            h.update(part.len().to_le_bytes());
            h.update(part.as_bytes());
        }
    }
    for c in &rendered.cib {
        h.update(c.xml.len().to_le_bytes());
        h.update(c.xml.as_bytes());
    }
    for tool in [&tools.haproxy, &tools.apache2ctl, &tools.crm_verify]
        .into_iter()
        .flatten()
    {
        stamp(&mut h, tool);
    }
    for tree in [&tools.apache_conf, &tools.ocf_root].into_iter().flatten() {
        stamp_tree(&mut h, tree);
    }
    hex::encode(h.finalize())
}

/// The cached pass for this render and these tools, if any.
pub fn lookup(rendered: &Rendered, tools: &Tools) -> Option<LocalCheck> {
    let text = std::fs::read_to_string(dir()?.join(key(rendered, tools))).ok()?;
    Some(LocalCheck {
        checked: text.lines().map(|l| format!("{l} (cached)")).collect(),
        ..LocalCheck::default()
    })
}

/// Remembers a clean pass (anything else is not stored).
pub fn store(rendered: &Rendered, tools: &Tools, result: &LocalCheck) {
    if !result.problems.is_empty() || !result.skipped.is_empty() || result.checked.is_empty() {
        return;
    }
    let Some(dir) = dir() else { return };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let tmp = dir.join(format!(".{}.tmp", std::process::id()));
    if std::fs::write(&tmp, result.checked.join("\n")).is_ok() {
        let _ = std::fs::rename(&tmp, dir.join(key(rendered, tools)));
    }
}
