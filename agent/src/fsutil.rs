//! Atomic writes of local files (the deploy node's own state: `status.json`,
//! `last-good.json`, known_hosts, identity files, the mask key). A leaf module: std and
//! tempfile only.
//!
//! The one recipe (docs/architecture.md, safety rule 2, for local files): a temporary file in the same
//! directory (so the rename cannot cross filesystems), created with its final mode (a
//! file holding a secret is never briefly readable by others), written, fsynced, then
//! renamed over the target (or linked, for [`create_new`]), then the directory fsynced
//! so the rename itself survives a crash. A crash leaves the old file or the new one,
//! never half of either, and no partial temporary file under the target's name.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Replaces `path` with `bytes`, atomically, as a file of mode `mode` (e.g. `0o600`).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = parent(path);
    let tmp = staged(dir, bytes, mode)?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Creates `path` with `bytes` (mode `mode`) only if it does not exist, atomically: the
/// complete file appears under its name or nothing does. `Ok(false)`: another writer
/// got there first (its file is left as it is; read it).
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<bool> {
    let dir = parent(path);
    let tmp = staged(dir, bytes, mode)?;
    match tmp.persist_noclobber(path) {
        Ok(_) => sync_dir(dir).map(|()| true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e.error),
    }
}

/// The permission bits of `path`, or `default` when it does not exist (a rewrite keeps
/// the mode someone gave the file).
pub fn mode_or(path: &Path, default: u32) -> u32 {
    std::fs::metadata(path).map_or(default, |m| m.permissions().mode() & 0o7777)
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A fsynced temporary file in `dir` holding `bytes`, already of mode `mode`.
fn staged(dir: &Path, bytes: &[u8], mode: u32) -> std::io::Result<tempfile::NamedTempFile> {
    // tempfile creates 0600 (O_EXCL); the final mode is set before any byte is written.
    let mut tmp = tempfile::Builder::new()
        .prefix(".agent-tmp.")
        .tempfile_in(dir)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_with_the_given_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("status.json");
        write_atomic(&p, b"one", 0o644).unwrap();
        write_atomic(&p, b"two", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(mode_or(&p, 0), 0o600);
        assert_eq!(names(dir.path()), ["status.json"]);
    }

    #[test]
    fn a_rewrite_can_keep_the_existing_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("known_hosts");
        assert_eq!(mode_or(&p, 0o644), 0o644, "absent: the default");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"new", mode_or(&p, 0o644)).unwrap();
        assert_eq!(mode_or(&p, 0), 0o640);
    }

    #[test]
    fn create_new_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mask.key");
        assert!(create_new(&p, b"first", 0o600).unwrap());
        assert!(!create_new(&p, b"second", 0o600).unwrap());
        assert_eq!(std::fs::read(&p).unwrap(), b"first");
        assert_eq!(mode_or(&p, 0), 0o600);
        assert_eq!(names(dir.path()), ["mask.key"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_nothing_half_written() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("absent/file");
        assert!(write_atomic(&p, b"x", 0o600).is_err());
        assert!(!dir.path().join("absent").exists());
    }
}
