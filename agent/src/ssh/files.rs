//! File operations over the transport, one SSH round trip each: observe hashes (and
//! contents only where they differ), read, stage, commit with backup, restore, remove.
//!
//! Safety contract (DESIGN.md §4, rules 2 and 6): a file is written to a temp file in
//! its own directory and fsynced (`stage_file`), then renamed over the live file and the
//! directory fsynced (`commit_staged`). At every instant the live path holds either the
//! old or the new content, never a partial one; the old version stays available as
//! `<path>.agent-prev` until the next commit of that file.

use super::session::{ensure_success, Output};
use super::{script, HostSpec, Pool, SshError};

/// What to transfer for one observed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Only its hash.
    HashOnly,
    /// Its content, unless its hash is this one (the desired content's hash).
    UnlessHash([u8; 32]),
    /// Always its content.
    Always,
}

/// One observed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    Absent,
    /// Present; content not transferred (hash only, or equal to the expected hash).
    Hash {
        sha256: [u8; 32],
    },
    /// Present and transferred (its hash was checked against the content).
    Content {
        sha256: [u8; 32],
        content: Vec<u8>,
    },
}

impl Observed {
    pub fn sha256(&self) -> Option<[u8; 32]> {
        match self {
            Observed::Absent => None,
            Observed::Hash { sha256 } | Observed::Content { sha256, .. } => Some(*sha256),
        }
    }
}

/// A new version written next to its destination, not live yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    pub host: String,
    /// The live path it will replace.
    pub path: String,
    /// The temp file holding it (same directory as `path`).
    pub temp_path: String,
    /// SHA-256 of the staged bytes, as computed on the host (checked against ours).
    pub sha256: [u8; 32],
}

/// What a commit did with the previous version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Previous {
    /// Kept as `<path>.agent-prev` (roll back with `restore_backup`).
    Kept,
    /// There was none (roll back with `remove_file`).
    Absent,
    /// Overwritten without a backup (`keep_backup = false`).
    Replaced,
}

impl Pool {
    /// Hashes of many files in ONE round trip; `None` for absent files. A path that
    /// exists but cannot be read (a directory, no permission) fails the whole call.
    pub async fn observe_files(
        &self,
        host: &HostSpec,
        paths: &[&str],
    ) -> Result<Vec<(String, Option<[u8; 32]>)>, SshError> {
        let files: Vec<_> = paths.iter().map(|p| (*p, Fetch::HashOnly)).collect();
        let got = self.observe(host, &files).await?;
        Ok(paths
            .iter()
            .zip(got)
            .map(|(p, o)| (p.to_string(), o.sha256()))
            .collect())
    }

    /// Observe many files in ONE round trip, transferring content only as `Fetch` says
    /// (typically: only where the live hash differs from the desired one).
    pub async fn observe(
        &self,
        host: &HostSpec,
        files: &[(&str, Fetch)],
    ) -> Result<Vec<Observed>, SshError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        for (p, _) in files {
            script::split(p).map_err(|d| local(host, d))?;
        }
        let what = format!("observe {} file(s)", files.len());
        let out = self
            .script(host, &what, &script::observe(files), None)
            .await?;
        let paths: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
        script::parse_observe(&paths, &out.stdout).map_err(|detail| SshError::Protocol {
            host: host.name.clone(),
            detail,
        })
    }

    /// SHA-256 of one file, `None` when it does not exist.
    pub async fn file_sha256(
        &self,
        host: &HostSpec,
        path: &str,
    ) -> Result<Option<[u8; 32]>, SshError> {
        Ok(self.observe_files(host, &[path]).await?.remove(0).1)
    }

    /// Content of one file, `None` when it does not exist.
    pub async fn read_file(
        &self,
        host: &HostSpec,
        path: &str,
    ) -> Result<Option<Vec<u8>>, SshError> {
        script::split(path).map_err(|d| local(host, d))?;
        let what = format!("read {path}");
        let mut out = self
            .script(host, &what, &script::read(path), None)
            .await?
            .stdout;
        match out.first() {
            Some(b'A') if out.len() == 1 => Ok(None),
            Some(b'P') => {
                out.remove(0);
                Ok(Some(out))
            }
            _ => Err(SshError::Protocol {
                host: host.name.clone(),
                detail: format!("reading {path}: no presence marker"),
            }),
        }
    }

    /// Write `content` to a fresh temp file next to `path` (mode, optional `owner` as
    /// `user[:group]`), fsynced; the live file is untouched. One round trip; the content
    /// travels on stdin and its hash is verified on the host.
    pub async fn stage_file(
        &self,
        host: &HostSpec,
        path: &str,
        content: &[u8],
        mode: u32,
        owner: Option<&str>,
    ) -> Result<StagedFile, SshError> {
        use sha2::{Digest, Sha256};
        let sh = script::stage(path, mode, owner).map_err(|d| local(host, d))?;
        let out = self
            .script(host, &format!("stage {path}"), &sh, Some(content))
            .await?;
        let text = out.stdout_lossy();
        let (hash, temp) = text
            .trim_end_matches('\n')
            .split_once(' ')
            .ok_or_else(|| protocol(host, format!("staging {path}: answer {text:?}")))?;
        let mut sha256 = [0u8; 32];
        hex::decode_to_slice(hash, &mut sha256)
            .map_err(|_| protocol(host, format!("staging {path}: bad hash {hash:?}")))?;
        let staged = StagedFile {
            host: host.name.clone(),
            path: path.to_owned(),
            temp_path: temp.to_owned(),
            sha256,
        };
        if Sha256::digest(content).as_slice() != sha256 {
            let _ = self.remove_staged(host, &staged).await;
            return Err(protocol(
                host,
                format!("staging {path}: content corrupted in transit"),
            ));
        }
        Ok(staged)
    }

    /// Make a staged file live: atomic rename over `path`, directory fsynced. With
    /// `keep_backup`, the previous version becomes `<path>.agent-prev`. One round trip.
    pub async fn commit_staged(
        &self,
        host: &HostSpec,
        staged: &StagedFile,
        keep_backup: bool,
    ) -> Result<Previous, SshError> {
        let what = format!("commit {}", staged.path);
        let sh = script::commit(staged, keep_backup);
        let out = self.script(host, &what, &sh, None).await?;
        match out.stdout_lossy().trim() {
            "kept" => Ok(Previous::Kept),
            "absent" => Ok(Previous::Absent),
            "replaced" => Ok(Previous::Replaced),
            other => Err(protocol(
                host,
                format!("committing {}: answer {other:?}", staged.path),
            )),
        }
    }

    /// Put `<path>.agent-prev` back in place atomically. `Ok(false)` when there is no
    /// backup (nothing changed). One round trip.
    pub async fn restore_backup(&self, host: &HostSpec, path: &str) -> Result<bool, SshError> {
        let sh = script::restore(path).map_err(|d| local(host, d))?;
        let out = self
            .script(host, &format!("restore {path}"), &sh, None)
            .await?;
        match out.stdout_lossy().trim() {
            "restored" => Ok(true),
            "none" => Ok(false),
            other => Err(protocol(
                host,
                format!("restoring {path}: answer {other:?}"),
            )),
        }
    }

    /// Delete a staged temp file that will not be committed.
    pub async fn remove_staged(
        &self,
        host: &HostSpec,
        staged: &StagedFile,
    ) -> Result<(), SshError> {
        self.remove_file(host, &staged.temp_path).await
    }

    /// Remove staged temp files an interrupted apply left next to `path` (never the
    /// live file or its backup); returns how many were removed. One round trip.
    pub async fn cleanup_staged(&self, host: &HostSpec, path: &str) -> Result<usize, SshError> {
        let sh = script::cleanup_staged(path).map_err(|d| local(host, d))?;
        let out = self
            .script(
                host,
                &format!("clean up staged copies of {path}"),
                &sh,
                None,
            )
            .await?;
        let text = out.stdout_lossy();
        text.trim()
            .parse()
            .map_err(|_| protocol(host, format!("cleaning up {path}: answer {text:?}")))
    }

    /// Delete a file (no error when absent) and fsync its directory.
    pub async fn remove_file(&self, host: &HostSpec, path: &str) -> Result<(), SshError> {
        let sh = script::remove(path).map_err(|d| local(host, d))?;
        self.script(host, &format!("remove {path}"), &sh, None)
            .await
            .map(drop)
    }

    /// Run one internal `sh` script (with sudo when the host needs it); non-zero exit
    /// is `CommandFailed` naming `what` and carrying the script's stderr.
    async fn script(
        &self,
        host: &HostSpec,
        what: &str,
        sh: &str,
        input: Option<&[u8]>,
    ) -> Result<Output, SshError> {
        let line = script::wrap_sh(sh, host.sudo);
        let out = self.exec(host, &line, input, None).await?;
        ensure_success(host, what, out)
    }
}

fn local(host: &HostSpec, detail: String) -> SshError {
    SshError::Local {
        host: host.name.clone(),
        detail,
    }
}

fn protocol(host: &HostSpec, detail: String) -> SshError {
    SshError::Protocol {
        host: host.name.clone(),
        detail,
    }
}
