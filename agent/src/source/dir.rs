//! A plain directory read from disk as a snapshot (commit [`WORKING_TREE`]).
//!
//! Used for `agent validate sample-repo` and PR checks on a checkout: what is on disk,
//! committed or not. Every regular file is kept (the loader decides what it reads), except
//! the `.git` directory, which is Git's bookkeeping and never part of a commit's tree.
//! Symbolic links to files are followed; links to directories are not (no cycles).

use super::{Snapshot, SourceError, WorkTree, WORKING_TREE};
use schema::SourceFile;
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
    let mut files = Vec::new();
    collect(&base, &base, &mut files).map_err(unreadable)?;
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

fn collect(base: &Path, dir: &Path, out: &mut Vec<SourceFile>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                collect(base, &path, out)?;
            }
            continue;
        }
        // Follow a symlink only when it leads to a regular file.
        if kind.is_symlink() && !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        if kind.is_file() || kind.is_symlink() {
            let rel = path.strip_prefix(base).unwrap_or(&path);
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let bytes = std::fs::read(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            out.push(SourceFile { path: rel, bytes });
        }
    }
    Ok(())
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
        std::fs::write(root.join("inventory.yaml"), "a: 1\n").unwrap();
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
        std::fs::write(tmp.path().join("deploy/prod/a.yaml"), "a").unwrap();
        std::fs::write(tmp.path().join("top.yaml"), "t").unwrap();
        let snap = snapshot(tmp.path(), "repo", "deploy").unwrap();
        assert_eq!(snap.files.len(), 1);
        assert_eq!(snap.files[0].path, "prod/a.yaml");
        assert_eq!(snap.subdir, "deploy");
    }

    #[test]
    fn missing_directory_is_unreadable() {
        let tmp = tempfile::tempdir().unwrap();
        let err = snapshot(&tmp.path().join("nope"), "nope", ".").unwrap_err();
        assert!(matches!(err, SourceError::Unreadable { .. }));
        assert!(err.to_string().starts_with("nope: cannot read"));
    }
}
