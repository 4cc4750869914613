//! A plain directory read from disk as a snapshot (commit [`WORKING_TREE`]).
//!
//! Used for `agent validate sample-repo` and PR checks on a checkout: what is on disk,
//! committed or not. What is read, and how much, is [`super::walk`]'s business (YAML
//! whole, small text files for the secret scan, nothing Git would ignore, bounded).
//! A directory without an Inventory or any `agent/v1` document is refused in one line
//! ([`SourceError::NotADesiredStateRepo`]) instead of one error per unrelated file.
//! Symbolic links to files are followed; links to directories are not (no cycles).

use super::types::{Snapshot, SourceError, WorkTree, WORKING_TREE};
use super::walk::{walk, Limits};
use std::path::Path;

pub(super) fn snapshot(root: &Path, location: &str, subdir: &str) -> Result<Snapshot, SourceError> {
    let unreadable = |cause| SourceError::Unreadable {
        location: location.to_string(),
        cause,
    };
    let base = if subdir == "." {
        root.to_path_buf()
    } else {
        root.join(subdir)
    };
    let meta = std::fs::metadata(&base).map_err(unreadable)?;
    if !meta.is_dir() {
        return Err(unreadable(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is not a directory", base.display()),
        )));
    }
    let walked = walk(&base, &Limits::default()).map_err(|cause| SourceError::Walk {
        location: location.to_string(),
        cause,
    })?;
    if !walked.has_agent_document {
        let path = std::fs::canonicalize(&base).unwrap_or(base.clone());
        let reason = match walked.yaml_files {
            0 => "no YAML file here".to_string(),
            n => format!("none of its {n} YAML files is an Inventory or an agent/v1 document"),
        };
        return Err(SourceError::NotADesiredStateRepo {
            location: location.to_string(),
            path,
            reason,
        });
    }
    let mut files = walked.files;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Snapshot {
        commit: WORKING_TREE.to_string(),
        reference: location.to_string(),
        origin: location.to_string(),
        subdir: subdir.to_string(),
        files,
        work_tree: enclosing_work_tree(&base),
    })
}

/// The Git work tree `dir` lies in, if any (best effort: no repository means `None`).
fn enclosing_work_tree(dir: &Path) -> Option<WorkTree> {
    let repo = git2::Repository::discover(dir).ok()?;
    let root = repo.workdir()?.to_path_buf();
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|oid| oid.to_string());
    Some(WorkTree { root, head })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_file_but_git_metadata() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("balancer")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join(".hidden")).unwrap();
        std::fs::write(root.join("inventory.yaml"), "kind: Inventory\n").unwrap();
        std::fs::write(root.join("balancer/haproxy.yaml"), "b: 2\n").unwrap();
        std::fs::write(root.join("README.md"), "text").unwrap();
        std::fs::write(root.join(".git/HEAD"), "x").unwrap();
        std::fs::write(root.join(".hidden/x.yaml"), "c: 3\n").unwrap();
        let snap = snapshot(root, "repo", ".").unwrap();
        let paths: Vec<_> = snap.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                ".hidden/x.yaml",
                "README.md",
                "balancer/haproxy.yaml",
                "inventory.yaml"
            ]
        );
        assert_eq!(snap.commit, WORKING_TREE);
        assert_eq!(snap.files[2].bytes, b"b: 2\n");
    }

    #[test]
    fn subdir_paths_are_relative_to_it() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("deploy/prod")).unwrap();
        std::fs::write(
            tmp.path().join("deploy/prod/a.yaml"),
            "apiVersion: agent/v1\n",
        )
        .unwrap();
        std::fs::write(tmp.path().join("top.yaml"), "t").unwrap();
        let snap = snapshot(tmp.path(), "repo", "deploy").unwrap();
        assert_eq!(snap.files.len(), 1);
        assert_eq!(snap.files[0].path, "prod/a.yaml");
        assert_eq!(snap.subdir, "deploy");
    }

    #[test]
    fn a_directory_without_agent_documents_is_one_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("docker-compose.yml"), "services: {}\n").unwrap();
        std::fs::write(tmp.path().join("ci.yaml"), "jobs: []\n").unwrap();
        let err = snapshot(tmp.path(), ".", ".").unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, SourceError::NotADesiredStateRepo { .. }),
            "{err:?}"
        );
        assert!(
            text.starts_with("not a desired-state repo: ")
                && text
                    .contains("none of its 2 YAML files is an Inventory or an agent/v1 document")
                && text.ends_with("; give PATH, --repo, or repo: in agent.yaml"),
            "{text}"
        );
        assert!(!text.contains('\n'), "one line: {text}");
        let empty = tempfile::tempdir().unwrap();
        let text = snapshot(empty.path(), ".", ".").unwrap_err().to_string();
        assert!(text.contains(": no YAML file here; give PATH"), "{text}");
    }

    #[test]
    fn missing_directory_is_unreadable() {
        let tmp = tempfile::tempdir().unwrap();
        let err = snapshot(&tmp.path().join("nope"), "nope", ".").unwrap_err();
        assert!(matches!(err, SourceError::Unreadable { .. }));
        assert!(err.to_string().starts_with("nope: cannot read"));
    }
}
