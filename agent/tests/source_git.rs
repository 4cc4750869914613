//! The Git source against real repositories made with the `git` CLI in temp dirs:
//! branch, tag and commit selection, `file://` URLs through the cache, subdirectories,
//! missing revisions, and a second fetch seeing a new commit.

#[path = "support/git.rs"]
mod gitcli;
use agent::source::{snapshot, FetchOptions, SourceError, SourceSpec, WORKING_TREE};
use gitcli::git;
use std::path::Path;

fn commit_file(dir: &Path, path: &str, content: &str, msg: &str) -> String {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, content).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

/// main: c1 (a.yaml=v1, deploy/prod/p.yaml), c2 (a.yaml=v2), tag v1 at c1; branch dev: c3.
struct Fixture {
    _tmp: tempfile::TempDir,
    repo: std::path::PathBuf,
    cache: std::path::PathBuf,
    c1: String,
    c2: String,
    c3: String,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::create_dir_all(repo.join("deploy/prod")).unwrap();
    std::fs::write(repo.join("deploy/prod/p.yaml"), "prod\n").unwrap();
    let c1 = commit_file(&repo, "a.yaml", "v1\n", "first");
    git(&repo, &["tag", "v1"]);
    let c2 = commit_file(&repo, "a.yaml", "v2\n", "second");
    git(&repo, &["checkout", "-q", "-b", "dev"]);
    let c3 = commit_file(&repo, "a.yaml", "dev\n", "on dev");
    git(&repo, &["checkout", "-q", "main"]);
    let cache = tmp.path().join("cache");
    Fixture {
        repo,
        cache,
        c1,
        c2,
        c3,
        _tmp: tmp,
    }
}

fn spec(location: &str, rev: Option<&str>, subdir: Option<&str>) -> SourceSpec {
    SourceSpec {
        location: location.to_string(),
        rev: rev.map(str::to_string),
        subdir: subdir.map(str::to_string),
    }
}

fn content<'a>(snap: &'a agent::source::Snapshot, path: &str) -> &'a str {
    let f = snap.files.iter().find(|f| f.path == path).expect(path);
    std::str::from_utf8(&f.bytes).unwrap()
}

fn url(f: &Fixture) -> String {
    format!("file://{}", f.repo.display())
}

#[test]
fn file_url_selects_branch_tag_and_commit() {
    let f = fixture();
    let opts = FetchOptions::new(Some(f.cache.clone()));
    let main = snapshot(&spec(&url(&f), Some("main"), None), &opts).unwrap();
    assert_eq!(main.commit, f.c2);
    assert_eq!(main.reference, "main");
    assert_eq!(content(&main, "a.yaml"), "v2\n");
    let dev = snapshot(&spec(&url(&f), Some("dev"), None), &opts).unwrap();
    assert_eq!(
        (dev.commit.as_str(), content(&dev, "a.yaml")),
        (f.c3.as_str(), "dev\n")
    );
    let tag = snapshot(&spec(&url(&f), Some("v1"), None), &opts).unwrap();
    assert_eq!(
        (tag.commit.as_str(), content(&tag, "a.yaml")),
        (f.c1.as_str(), "v1\n")
    );
    let by_id = snapshot(&spec(&url(&f), Some(&f.c1), None), &opts).unwrap();
    assert_eq!(by_id.commit, f.c1);
    let short = snapshot(&spec(&url(&f), Some(&f.c3[..10]), None), &opts).unwrap();
    assert_eq!(short.commit, f.c3);
    // No rev: the remote's HEAD (its checked-out branch, main).
    let head = snapshot(&spec(&url(&f), None, None), &opts).unwrap();
    assert_eq!(head.commit, f.c2);
    assert!(
        f.cache.read_dir().unwrap().count() == 1,
        "one cache repo per URL"
    );
}

#[test]
fn subdirectory_only_and_relative_paths() {
    let f = fixture();
    let opts = FetchOptions::new(Some(f.cache.clone()));
    let snap = snapshot(&spec(&url(&f), Some("main"), Some("deploy")), &opts).unwrap();
    let paths: Vec<_> = snap.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["prod/p.yaml"]);
    let err = snapshot(&spec(&url(&f), Some("main"), Some("nope")), &opts).unwrap_err();
    assert!(matches!(err, SourceError::NoSuchSubdir { .. }), "{err}");
    assert!(err.to_string().contains("`nope`"), "{err}");
}

#[test]
fn missing_revision_names_it_and_what_exists() {
    let f = fixture();
    let opts = FetchOptions::new(Some(f.cache.clone()));
    let err = snapshot(&spec(&url(&f), Some("release-9"), None), &opts).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::RevisionNotFound { .. }), "{msg}");
    assert!(
        msg.contains(&url(&f)) && msg.contains("`release-9`"),
        "{msg}"
    );
    assert!(
        msg.contains("dev") && msg.contains("main") && msg.contains("v1"),
        "{msg}"
    );
    assert!(!err.is_transient());
}

#[test]
fn fetching_again_sees_a_new_commit() {
    let f = fixture();
    let opts = FetchOptions::new(Some(f.cache.clone()));
    let before = snapshot(&spec(&url(&f), Some("main"), None), &opts).unwrap();
    let c4 = commit_file(&f.repo, "b.yaml", "new\n", "third");
    let after = snapshot(&spec(&url(&f), Some("main"), None), &opts).unwrap();
    assert_eq!(before.commit, f.c2);
    assert_eq!(after.commit, c4);
    assert_eq!(content(&after, "b.yaml"), "new\n");
    assert!(
        !before.files.iter().any(|f| f.path == "b.yaml"),
        "snapshots are independent"
    );
}

#[test]
fn unreachable_url_is_a_transient_fetch_error() {
    let f = fixture();
    let opts = FetchOptions::new(Some(f.cache.clone()));
    let missing = format!("file://{}/does-not-exist", f.repo.display());
    let err = snapshot(&spec(&missing, Some("main"), None), &opts).unwrap_err();
    assert!(matches!(err, SourceError::Fetch { .. }), "{err}");
    assert!(err.to_string().contains("does-not-exist"), "{err}");
    assert!(err.is_transient());
}

#[test]
fn local_repository_path_with_rev_reads_git_not_disk() {
    let f = fixture();
    std::fs::write(f.repo.join("a.yaml"), "uncommitted\n").unwrap();
    let location = f.repo.display().to_string();
    let opts = FetchOptions::new(Some(f.cache.clone()));
    let tagged = snapshot(&spec(&location, Some("v1"), None), &opts).unwrap();
    assert_eq!(
        (tagged.commit.as_str(), content(&tagged, "a.yaml")),
        (f.c1.as_str(), "v1\n")
    );
    // Without a rev, a work tree is read from disk, and says which work tree it is
    // (a desired-state repo: it has an Inventory).
    std::fs::write(f.repo.join("inventory.yaml"), "kind: Inventory\n").unwrap();
    let disk = snapshot(&spec(&location, None, None), &opts).unwrap();
    assert_eq!(disk.commit, WORKING_TREE);
    assert_eq!(content(&disk, "a.yaml"), "uncommitted\n");
    let wt = disk.work_tree.expect("inside a work tree");
    assert_eq!(wt.head.as_deref(), Some(f.c2.as_str()));
    assert_eq!(
        wt.root.canonicalize().unwrap(),
        f.repo.canonicalize().unwrap()
    );
    assert!(!f.cache.exists(), "local paths need no cache");
}

#[test]
fn plain_directory_outside_git_has_no_work_tree() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("x.yaml"), "apiVersion: agent/v1\n").unwrap();
    let opts = FetchOptions::new(Some(tmp.path().join("cache")));
    let snap = snapshot(&spec(&tmp.path().display().to_string(), None, None), &opts).unwrap();
    assert_eq!(snap.commit, WORKING_TREE);
    assert_eq!(snap.files.len(), 1);
    // /tmp may itself sit inside a work tree on some machines; only check consistency.
    if let Some(wt) = snap.work_tree {
        assert!(tmp.path().starts_with(&wt.root));
    }
}

/// `git init --bare` points HEAD at a branch nobody pushed (the lab's Git server does
/// this): fetching must still work for the branches that exist.
#[test]
fn remote_with_dangling_head_still_serves_its_branches() {
    let f = fixture();
    let bare = f.repo.parent().unwrap().join("server.git");
    git(
        f.repo.parent().unwrap(),
        &[
            "init",
            "-q",
            "--bare",
            "--initial-branch=trunk",
            bare.to_str().unwrap(),
        ],
    );
    git(&f.repo, &["push", "-q", bare.to_str().unwrap(), "main"]);
    let opts = FetchOptions::new(Some(f.cache.clone()));
    let url = format!("file://{}", bare.display());
    let snap = snapshot(&spec(&url, Some("main"), None), &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(snap.commit, f.c2);
    let err = snapshot(&spec(&url, None, None), &opts).unwrap_err();
    assert!(matches!(err, SourceError::RevisionNotFound { .. }), "{err}");
}
