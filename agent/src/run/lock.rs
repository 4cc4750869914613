//! One agent per state directory: an exclusive `flock` on `<stateDir>/agent.lock`, held
//! for the life of the process (the kernel releases it when the process dies, so a crash
//! leaves no stale lock). The file holds the holder's PID for the error message.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

pub const FILE: &str = "agent.lock";

/// Held while alive.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another agent is already running with state directory {} (lock {} held{})", dir.display(), path.display(), pid.as_ref().map(|p| format!(" by pid {p}")).unwrap_or_default())]
    Held {
        dir: PathBuf,
        path: PathBuf,
        pid: Option<String>,
    },
    #[error("cannot lock {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// Takes the lock without waiting; creates the state directory if needed.
pub fn acquire(dir: &Path) -> Result<InstanceLock, LockError> {
    let path = dir.join(FILE);
    let io = |cause| LockError::Io {
        path: path.clone(),
        cause,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    // SAFETY: flock on a file descriptor we own; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = Some(pid.trim().to_string()).filter(|p| !p.is_empty());
            return Err(LockError::Held {
                dir: dir.to_path_buf(),
                path,
                pid,
            });
        }
        return Err(io(err));
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    Ok(InstanceLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let first = acquire(&state).unwrap();
        // flock locks belong to the open file description: a second open in this
        // process conflicts just as another process would.
        let err = acquire(&state).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LockError::Held { .. }), "{msg}");
        assert!(msg.contains("another agent is already running"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        acquire(&state).expect("free again once the holder is gone");
    }
}
