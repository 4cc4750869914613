//! Remote repositories (`file://`, `ssh://`, `https://`): fetched into a bare cache
//! repository, then read like a local one.
//!
//! Guarantees: one cache repository per URL under the cache directory (reused, so a poll
//! only transfers new objects); every fetch updates all branches (pruning deleted ones) and
//! tags, and the remote's `HEAD`; a fetch gives up after the configured timeout; `ssh://`
//! host keys must be pinned in a known_hosts file (no trust on first use).

use super::git;
use super::known_hosts::KnownHosts;
use super::types::{FetchOptions, Snapshot, SourceError, SourceSpec};
use git2::{
    AutotagOption, CertificateCheckStatus, Cred, CredentialType, FetchPrune, RemoteCallbacks,
    Repository,
};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::time::Instant;

const REFSPECS: &[&str] = &[
    "+refs/heads/*:refs/remotes/origin/*",
    "+refs/tags/*:refs/tags/*",
    "+HEAD:refs/remotes/origin/HEAD",
];

pub(super) fn snapshot(
    spec: &SourceSpec,
    subdir: &str,
    opts: &FetchOptions,
) -> Result<Snapshot, SourceError> {
    let url = spec.location.as_str();
    let repo = open_cache(&opts.cache_dir, url)?;
    fetch(&repo, url, opts)?;
    let rev = spec.rev.as_deref().unwrap_or("HEAD");
    let oid = git::resolve(&repo, url, rev, &["refs/remotes/origin/", "refs/tags/"])?;
    git::read_commit(&repo, url, oid, rev, subdir)
}

/// `<cache>/<last path segment>-<16 hex of sha256(url)>.git`: readable and collision-free.
pub(crate) fn cache_path(cache_dir: &Path, url: &str) -> PathBuf {
    let digest = hex::encode(Sha256::digest(url.as_bytes()));
    let name: String = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("repo")
        .trim_end_matches(".git")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    cache_dir.join(format!("{name}-{}.git", &digest[..16]))
}

fn open_cache(cache_dir: &Path, url: &str) -> Result<Repository, SourceError> {
    let path = cache_path(cache_dir, url);
    let cache_err = |cause: String| SourceError::Cache {
        location: url.to_string(),
        cache: path.clone(),
        cause,
    };
    if let Ok(repo) = Repository::open_bare(&path) {
        return Ok(repo);
    }
    std::fs::create_dir_all(cache_dir).map_err(|e| cache_err(e.to_string()))?;
    Repository::init_bare(&path).map_err(|e| cache_err(e.message().to_string()))
}

fn fetch(repo: &Repository, url: &str, opts: &FetchOptions) -> Result<(), SourceError> {
    let ssh = ssh_target(url);
    let known_hosts = match (&ssh, &opts.known_hosts) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(SourceError::NoKnownHosts {
                location: url.to_string(),
            })
        }
        (Some(_), Some(path)) => {
            Some(
                KnownHosts::load(path).map_err(|cause| SourceError::KnownHosts {
                    location: url.to_string(),
                    cause,
                })?,
            )
        }
    };
    let timeout_ms = i32::try_from(opts.timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: these set process-wide libgit2 options; no other Git operation runs
    // concurrently while a snapshot is being taken (one source poll at a time).
    unsafe {
        let _ = git2::opts::set_server_connect_timeout_in_milliseconds(timeout_ms);
        let _ = git2::opts::set_server_timeout_in_milliseconds(timeout_ms);
    }
    let deadline = Instant::now() + opts.timeout;
    let timed_out = Cell::new(false);
    let rejected_host = RefCell::new(None::<String>);
    let auth_attempts = Cell::new(0u32);

    let mut callbacks = RemoteCallbacks::new();
    let in_time = || {
        let ok = Instant::now() < deadline;
        timed_out.set(!ok);
        ok
    };
    callbacks.transfer_progress(|_| in_time());
    callbacks.sideband_progress(|_| in_time());
    callbacks.credentials(|_url, url_user, allowed| {
        auth_attempts.set(auth_attempts.get() + 1);
        if auth_attempts.get() > 3 {
            return Err(git2::Error::from_str("authentication failed (key refused)"));
        }
        let user = url_user.or(opts.user.as_deref()).unwrap_or("git");
        if allowed.contains(CredentialType::USERNAME) {
            Cred::username(user)
        } else if allowed.contains(CredentialType::SSH_KEY) {
            match &opts.identity_file {
                Some(key) => Cred::ssh_key(user, None, key, None),
                None => Cred::ssh_key_from_agent(user),
            }
        } else {
            Cred::default()
        }
    });
    callbacks.certificate_check(|cert, host| match cert.as_hostkey() {
        // TLS certificates: libgit2's own verification against the system CA store.
        None => Ok(CertificateCheckStatus::CertificatePassthrough),
        Some(hostkey) => {
            let port = ssh.as_ref().map_or(22, |t| t.1);
            let trusted = match (&known_hosts, hostkey.hostkey()) {
                (Some(kh), Some(key)) => kh.trusts(host, port, key),
                _ => false,
            };
            if trusted {
                Ok(CertificateCheckStatus::CertificateOk)
            } else {
                *rejected_host.borrow_mut() = Some(host.to_string());
                Err(git2::Error::from_str("host key not trusted"))
            }
        }
    });

    let mut fetch_opts = git2::FetchOptions::new();
    fetch_opts
        .remote_callbacks(callbacks)
        .prune(FetchPrune::On)
        .download_tags(AutotagOption::All);
    let mut remote = repo.remote_anonymous(url).map_err(|e| fetch_err(url, &e))?;
    let result = remote.fetch(REFSPECS, Some(&mut fetch_opts), None);
    drop(fetch_opts);
    match result {
        Ok(()) => Ok(()),
        Err(_) if timed_out.get() || Instant::now() >= deadline => Err(SourceError::Timeout {
            location: url.to_string(),
            timeout: opts.timeout,
        }),
        Err(e) => match rejected_host.into_inner() {
            Some(host) => Err(SourceError::HostKeyNotTrusted {
                location: url.to_string(),
                host,
                known_hosts: opts
                    .known_hosts
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            }),
            None => Err(fetch_err(url, &e)),
        },
    }
}

fn fetch_err(url: &str, e: &git2::Error) -> SourceError {
    SourceError::Fetch {
        location: url.to_string(),
        cause: e.message().to_string(),
    }
}

/// For `ssh://[user@]host[:port]/path`: (host, port). `None` for other schemes.
pub(crate) fn ssh_target(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("ssh") {
        return None;
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = hostport.strip_prefix('[') {
        let (host, tail) = v6.split_once(']')?;
        let port = tail
            .strip_prefix(':')
            .and_then(|p| p.parse().ok())
            .unwrap_or(22);
        return Some((host.to_string(), port));
    }
    match hostport.split_once(':') {
        Some((host, port)) => Some((host.to_string(), port.parse().ok()?)),
        None => Some((hostport.to_string(), 22)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_targets_parse() {
        assert_eq!(
            ssh_target("ssh://git@10.77.0.30/srv/repo.git"),
            Some(("10.77.0.30".into(), 22))
        );
        assert_eq!(ssh_target("ssh://h:2222/r"), Some(("h".into(), 2222)));
        assert_eq!(
            ssh_target("ssh://u@[::1]:2200/r"),
            Some(("::1".into(), 2200))
        );
        assert_eq!(ssh_target("https://h/r"), None);
        assert_eq!(ssh_target("ssh://h:notaport/r"), None);
    }

    #[test]
    fn cache_paths_are_distinct_per_url() {
        let a = cache_path(Path::new("/c"), "ssh://h/srv/platform.git");
        let b = cache_path(Path::new("/c"), "ssh://other/srv/platform.git");
        assert_ne!(a, b);
        assert!(a
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("platform-"));
        assert_eq!(a, cache_path(Path::new("/c"), "ssh://h/srv/platform.git"));
    }

    #[test]
    fn ssh_without_known_hosts_is_refused_before_connecting() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = SourceSpec {
            location: "ssh://git@127.0.0.1:1/nothing.git".into(),
            rev: None,
            subdir: None,
        };
        let opts = FetchOptions::new(Some(tmp.path().to_path_buf()));
        let err = snapshot(&spec, ".", &opts).unwrap_err();
        assert!(matches!(err, SourceError::NoKnownHosts { .. }), "{err}");
    }
}
