//! The service's view of the source: take a snapshot of the followed branch, decide
//! whether it becomes the desired state, and remember the last one that did.
//!
//! A new head is accepted only when it descends from the accepted commit (unless
//! `allowForcePush`) and its desired state loads and renders. The accepted snapshot is
//! kept in memory and in `<stateDir>/last-good.json` (written atomically), so a restarted
//! agent enforces it even while Git is unreachable. This module is the service's only
//! user of [`crate::source`]; everything after it works on the accepted value.

use super::status::write_atomic;
use super::{PollError, Polled};
use crate::config::TrustConfig;
use crate::source::{self, FetchOptions, Snapshot, SourceSpec, WORKING_TREE};
use crate::validate::{prepare_with, Prepared, SecretOptions};
use base64::Engine as _;
use schema::SourceFile;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const LAST_GOOD: &str = "last-good.json";

/// A snapshot that passed the checks, with its loaded and rendered state.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub snapshot: Snapshot,
    pub prepared: Prepared,
}

pub struct GitWatch {
    pub spec: SourceSpec,
    pub opts: FetchOptions,
    pub allow_force_push: bool,
    pub state_dir: PathBuf,
    /// The agent's age identities: encrypted values are decrypted in memory only.
    pub keys: SecretOptions,
    /// Signed-commit policy: an unsigned or unknown-key commit is refused (the last
    /// good commit stays enforced).
    pub trust: TrustConfig,
    /// `shard:` of agent.yaml (read at start): an accepted commit's render is narrowed
    /// to it ([`crate::shard::narrow`]); a commit no host of which carries it is refused.
    pub shard: Option<String>,
}

impl GitWatch {
    /// Fetches and decides (blocking: run it off the async threads). On `New`, the new
    /// accepted snapshot is returned and already saved as the last known good.
    pub fn poll(
        &self,
        current: Option<&Accepted>,
    ) -> (Result<Polled, PollError>, Option<Accepted>) {
        let snap = match source::snapshot(&self.spec, &self.opts) {
            Ok(s) => s,
            Err(e) => {
                let err = PollError {
                    transient: e.is_transient(),
                    message: e.to_string(),
                };
                return (Err(err), None);
            }
        };
        let commit = snap.commit.clone();
        if let Some(cur) = current {
            let same = if commit == WORKING_TREE {
                cur.snapshot.files == snap.files
            } else {
                cur.snapshot.commit == commit
            };
            if same {
                return (Ok(Polled::Unchanged { commit }), None);
            }
            if commit != WORKING_TREE
                && cur.snapshot.commit != WORKING_TREE
                && !self.allow_force_push
            {
                match source::descends_from(&self.spec, &self.opts, &commit, &cur.snapshot.commit) {
                    Ok(true) => {}
                    Ok(false) => {
                        let reason = format!(
                            "history rewritten: {commit} does not descend from the applied {} (force-push refused; set allowForcePush: true to accept)",
                            cur.snapshot.commit
                        );
                        return (Ok(Polled::Rejected { commit, reason }), None);
                    }
                    Err(e) => {
                        let err = PollError {
                            transient: false,
                            message: e.to_string(),
                        };
                        return (Err(err), None);
                    }
                }
            }
        }
        if commit != WORKING_TREE {
            let repo = source::repo_path(&self.spec, &self.opts);
            if let Err(e) = source::verify(&snap, &self.trust, &repo) {
                let reason = e.to_string();
                return (Ok(Polled::Rejected { commit, reason }), None);
            }
        }
        let prepared = match prepare_with(&snap, &self.keys) {
            Ok(p) => p,
            Err(diags) => {
                let first = diags.first().map(|d| d.to_string()).unwrap_or_default();
                let reason = format!(
                    "invalid desired state ({} error(s)); first: {first}",
                    diags.len()
                );
                return (Ok(Polled::Rejected { commit, reason }), None);
            }
        };
        let prepared = match self.narrow(prepared) {
            Ok(p) => p,
            Err(reason) => return (Ok(Polled::Rejected { commit, reason }), None),
        };
        if let Err(e) = save(&self.state_dir, &snap) {
            tracing::warn!("cannot save the last known good commit: {e}");
        }
        let accepted = Accepted {
            snapshot: snap,
            prepared,
        };
        (Ok(Polled::New { commit }), Some(accepted))
    }

    /// The last known good snapshot saved by an earlier run, if it still loads.
    pub fn restore(&self) -> Option<Accepted> {
        let snap = load(&self.state_dir).ok()?;
        let prepared = prepare_with(&snap, &self.keys).ok()?;
        let prepared = self.narrow(prepared).ok()?;
        Some(Accepted {
            snapshot: snap,
            prepared,
        })
    }
}

impl GitWatch {
    /// The shard's part of a loaded commit (the whole commit without `shard:`).
    fn narrow(&self, prepared: Prepared) -> Result<Prepared, String> {
        let shard = self.shard.as_deref();
        if let Some(w) = crate::shard::unsharded_warning(&prepared.state, shard) {
            tracing::warn!("{w}");
        }
        crate::shard::narrow(prepared, shard)
    }
}

#[derive(Serialize, Deserialize)]
struct Saved {
    commit: String,
    reference: String,
    origin: String,
    subdir: String,
    /// path → base64 of the bytes.
    files: Vec<(String, String)>,
}

fn save(dir: &Path, s: &Snapshot) -> std::io::Result<()> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let saved = Saved {
        commit: s.commit.clone(),
        reference: s.reference.clone(),
        origin: s.origin.clone(),
        subdir: s.subdir.clone(),
        files: s
            .files
            .iter()
            .map(|f| (f.path.clone(), b64.encode(&f.bytes)))
            .collect(),
    };
    std::fs::create_dir_all(dir)?;
    write_atomic(
        &dir.join(LAST_GOOD),
        &serde_json::to_vec(&saved).map_err(std::io::Error::other)?,
    )
}

fn load(dir: &Path) -> std::io::Result<Snapshot> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let saved: Saved = serde_json::from_slice(&std::fs::read(dir.join(LAST_GOOD))?)
        .map_err(std::io::Error::other)?;
    let mut files = Vec::new();
    for (path, data) in saved.files {
        let bytes = b64.decode(data).map_err(std::io::Error::other)?;
        files.push(SourceFile { path, bytes });
    }
    Ok(Snapshot {
        commit: saved.commit,
        reference: saved.reference,
        origin: saved.origin,
        subdir: saved.subdir,
        files,
        work_tree: None,
    })
}
