//! The options that say where the desired state comes from, shared by `validate` and
//! `render`: a directory, or a repository URL at a revision, or the config file's repo.

use crate::config::Config;
use crate::source::{self, FetchOptions, Snapshot, SourceError, SourceSpec};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// Directory holding the desired state, read as it is on disk
    /// (default: the config file's repo, else the current directory).
    #[arg(value_name = "PATH", conflicts_with = "repo")]
    pub dir: Option<PathBuf>,
    /// Repository to read instead: file://, ssh:// or https:// URL, or a local repository path.
    #[arg(long, value_name = "URL")]
    pub repo: Option<String>,
    /// Branch, tag or commit to read (default: the remote's HEAD; with PATH, read PATH's
    /// repository at this revision instead of the files on disk).
    #[arg(long, value_name = "REV")]
    pub rev: Option<String>,
    /// Subdirectory of the repository holding the desired state.
    #[arg(long = "path", value_name = "SUB")]
    pub subdir: Option<String>,
    /// Where fetched repositories are cached (default $XDG_CACHE_HOME/agent).
    #[arg(long, env = "AGENT_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Give up fetching after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

impl SourceArgs {
    /// What to read: the command line first, then the config file, then `.`.
    pub fn spec(&self, config: Option<&Config>) -> SourceSpec {
        let from_config = config.and_then(|c| c.repo.as_ref());
        if let Some(dir) = &self.dir {
            return SourceSpec {
                location: dir.display().to_string(),
                rev: self.rev.clone(),
                subdir: self.subdir.clone(),
            };
        }
        if let Some(repo) = &self.repo {
            return SourceSpec {
                location: repo.clone(),
                rev: self.rev.clone(),
                subdir: self.subdir.clone(),
            };
        }
        match from_config {
            Some(r) => SourceSpec {
                location: r.url.clone(),
                rev: Some(self.rev.clone().unwrap_or_else(|| r.branch.clone())),
                subdir: Some(self.subdir.clone().unwrap_or_else(|| r.path.clone())),
            },
            None => SourceSpec {
                location: ".".into(),
                rev: self.rev.clone(),
                subdir: self.subdir.clone(),
            },
        }
    }

    /// Cache, timeout and SSH credentials: command line over config file over defaults.
    pub fn fetch_options(&self, config: Option<&Config>) -> FetchOptions {
        let mut opts = FetchOptions::new(self.cache_dir.clone());
        if let Some(c) = config {
            opts.identity_file = c.ssh.identity_file.clone();
            opts.known_hosts = c.ssh.known_hosts.clone();
            opts.user = Some(c.ssh.user.clone());
            if let Some(r) = &c.repo {
                opts.timeout = r.timeout;
            }
        }
        if let Some(secs) = self.timeout {
            opts.timeout = Duration::from_secs(secs);
        }
        opts
    }

    pub fn snapshot(&self, config: Option<&Config>) -> Result<Snapshot, SourceError> {
        let spec = self.spec(config);
        tracing::info!(location = %spec.location, rev = ?spec.rev, "reading desired state");
        let snap = source::snapshot(&spec, &self.fetch_options(config))?;
        tracing::info!(commit = %snap.commit, files = snap.files.len(), "snapshot taken");
        Ok(snap)
    }

    /// [`Self::snapshot`], then the signed-commit gate of the config's `trust` section
    /// ([`source::verify`]). `files_on_disk_ok`: a directory read from disk (no commit)
    /// passes unchecked (`validate`, `diff`); otherwise it is refused when signatures
    /// are required (`apply`).
    pub fn verified_snapshot(
        &self,
        config: Option<&Config>,
        files_on_disk_ok: bool,
    ) -> Result<Snapshot, SourceError> {
        let snap = self.snapshot(config)?;
        let Some(trust) = config.map(|c| &c.trust) else {
            return Ok(snap);
        };
        if files_on_disk_ok && snap.commit == source::WORKING_TREE {
            if trust.require_signed_commits {
                tracing::warn!("files on disk: commit signatures not checked");
            }
            return Ok(snap);
        }
        let repo = source::repo_path(&self.spec(config), &self.fetch_options(config));
        source::verify(&snap, trust, &repo)?;
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(dir: Option<&str>, repo: Option<&str>, rev: Option<&str>) -> SourceArgs {
        SourceArgs {
            dir: dir.map(PathBuf::from),
            repo: repo.map(str::to_string),
            rev: rev.map(str::to_string),
            subdir: None,
            cache_dir: None,
            timeout: None,
        }
    }

    #[test]
    fn command_line_wins_over_config_which_wins_over_cwd() {
        let config = Config::parse(
            "c.yaml",
            "repo: {url: ssh://h/r.git, branch: prod, path: deploy}\n",
        )
        .unwrap();
        let s = args(Some("sample-repo"), None, None).spec(Some(&config));
        assert_eq!((s.location.as_str(), s.rev), ("sample-repo", None));
        let s = args(None, Some("file:///r"), Some("v1")).spec(Some(&config));
        assert_eq!(
            (s.location.as_str(), s.rev.as_deref()),
            ("file:///r", Some("v1"))
        );
        let s = args(None, None, None).spec(Some(&config));
        assert_eq!(s.location, "ssh://h/r.git");
        assert_eq!(
            (s.rev.as_deref(), s.subdir.as_deref()),
            (Some("prod"), Some("deploy"))
        );
        let s = args(None, None, None).spec(None);
        assert_eq!((s.location.as_str(), s.rev), (".", None));
    }

    #[test]
    fn ssh_settings_come_from_config() {
        let config = Config::parse(
            "c.yaml",
            "repo: {url: ssh://h/r.git, timeout: 5s}\nssh: {identityFile: /k, knownHosts: /kh, user: git}\n",
        )
        .unwrap();
        let o = args(None, None, None).fetch_options(Some(&config));
        assert_eq!(o.identity_file, Some(PathBuf::from("/k")));
        assert_eq!(o.known_hosts, Some(PathBuf::from("/kh")));
        assert_eq!(o.user.as_deref(), Some("git"));
        assert_eq!(o.timeout, Duration::from_secs(5));
        let mut a = args(None, None, None);
        a.timeout = Some(2);
        assert_eq!(
            a.fetch_options(Some(&config)).timeout,
            Duration::from_secs(2)
        );
    }
}
