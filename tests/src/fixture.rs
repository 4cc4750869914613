//! The lab as a test fixture: one per test process, shared or exclusive.
//!
//! - [`Lab::shared`]: tests that only look (or clean up after themselves) share one lab; it
//!   is brought up on first use (always from scratch: a lab left by an earlier, killed run
//!   is rebuilt) and torn down when the process exits (an `atexit` hook: the test harness
//!   leaves through `std::process::exit`, which skips destructors of statics).
//! - [`Lab::fresh`]: destructive tests get the lab to themselves, rebuilt for them; while a
//!   fresh lab is held no shared user runs, and the next shared user rebuilds it.
//! - Across processes (nextest runs each test in its own), an exclusive lock on
//!   `<state dir>.lock` is taken on first use and held until the process exits, so two
//!   processes never build or use two labs at once: the second one waits.
//!
//! Both return `None` — a counted skip (`test_skip::record`) — only when the process is not
//! root or the kernel refuses namespaces. Any other failure to build the lab panics.
//! `LAB_KEEP=1` leaves the lab up at exit, for a person to look at.

use std::fs::{File, OpenOptions, TryLockError};
use std::ops::Deref;
use std::process::Command;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::lab::Lab;

static FIXTURE: OnceLock<Result<Fixture, String>> = OnceLock::new();

struct Fixture {
    lab: Lab,
    /// The cross-process lock; held (open) until the process exits.
    _lock: File,
    /// Shared users read-lock, a fresh user write-locks.
    users: RwLock<()>,
    condition: Mutex<Condition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    /// Not built by this process yet (whatever is there may be a stale lab).
    Unknown,
    /// Built by this process for shared use.
    Up,
    /// A fresh user had it: rebuild before sharing again.
    Spoiled,
}

/// The shared lab; dereferences to [`Lab`].
pub struct SharedLab {
    _users: RwLockReadGuard<'static, ()>,
    lab: &'static Lab,
}

/// A lab for one destructive test; dereferences to [`Lab`].
pub struct FreshLab {
    _users: RwLockWriteGuard<'static, ()>,
    fixture: &'static Fixture,
}

impl Lab {
    /// The process's shared lab, up. `None` (a skip, reason printed) when the lab cannot
    /// run here at all; panics when it should run but does not come up.
    pub fn shared() -> Option<SharedLab> {
        let f = fixture()?;
        let users = f.users.read().unwrap_or_else(PoisonError::into_inner);
        let mut cond = f.condition.lock().unwrap_or_else(PoisonError::into_inner);
        if *cond != Condition::Up {
            rebuild(&f.lab, 2);
            *cond = Condition::Up;
        }
        Some(SharedLab {
            _users: users,
            lab: &f.lab,
        })
    }

    /// A freshly built lab for this test alone (no shared user runs meanwhile).
    pub fn fresh() -> Option<FreshLab> {
        Lab::fresh_with_workers(2)
    }

    /// [`Lab::fresh`] with workers w1…w`workers` (e.g. 3 to have a spare worker to register).
    pub fn fresh_with_workers(workers: u8) -> Option<FreshLab> {
        let f = fixture()?;
        let users = f.users.write().unwrap_or_else(PoisonError::into_inner);
        let mut cond = f.condition.lock().unwrap_or_else(PoisonError::into_inner);
        *cond = Condition::Spoiled;
        rebuild(&f.lab, workers);
        Some(FreshLab {
            _users: users,
            fixture: f,
        })
    }
}

impl Deref for SharedLab {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        self.lab
    }
}

impl Deref for FreshLab {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        &self.fixture.lab
    }
}

impl Drop for FreshLab {
    fn drop(&mut self) {
        *self
            .fixture
            .condition
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Condition::Spoiled;
    }
}

fn rebuild(lab: &Lab, workers: u8) {
    let t = std::time::Instant::now();
    if let Err(e) = lab.down().and_then(|()| lab.up(workers)) {
        panic!("the lab did not come up: {e}");
    }
    eprintln!(
        "lab up in {:.1} s ({})",
        t.elapsed().as_secs_f64(),
        lab.agent_config().display()
    );
}

fn fixture() -> Option<&'static Fixture> {
    match FIXTURE.get_or_init(init) {
        Ok(f) => Some(f),
        Err(reason) => {
            test_skip::record(&format!("the lab cannot run here: {reason}"));
            None
        }
    }
}

fn init() -> Result<Fixture, String> {
    if !is_root() {
        return Err("the lab needs root (CI runs as root)".into());
    }
    namespaces_available()?;
    let lab = Lab::from_env();
    let lock = take_process_lock(&lab);
    // SAFETY: registers a plain function with no arguments; atexit only stores the pointer.
    unsafe {
        atexit(teardown_at_exit);
    }
    Ok(Fixture {
        lab,
        _lock: lock,
        users: RwLock::new(()),
        condition: Mutex::new(Condition::Unknown),
    })
}

fn take_process_lock(lab: &Lab) -> File {
    let mut path = lab.state_dir().as_os_str().to_owned();
    path.push(".lock");
    if let Some(parent) = lab.state_dir().parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open the lab lock {}: {e}", path.display()));
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            eprintln!(
                "waiting for the lab: another test process holds {}",
                path.display()
            );
            file.lock()
                .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
        }
        Err(TryLockError::Error(e)) => panic!("cannot lock {}: {e}", path.display()),
    }
    file
}

extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn teardown_at_exit() {
    if let Some(Ok(f)) = FIXTURE.get() {
        if std::env::var_os("LAB_KEEP").is_some() {
            eprintln!(
                "LAB_KEEP set: the lab stays up ({})",
                f.lab.agent_config().display()
            );
        } else if let Err(e) = f.lab.down() {
            eprintln!("lab teardown failed: {e}");
        }
    }
}

/// Effective UID 0, from /proc (no libc binding needed).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
            .unwrap_or(false)
    })
}

/// The kinds of namespaces a lab host needs, tried once with `unshare`.
fn namespaces_available() -> Result<(), String> {
    let out = Command::new("unshare")
        .args([
            "--net", "--mount", "--pid", "--uts", "--ipc", "--fork", "true",
        ])
        .output()
        .map_err(|e| format!("cannot run unshare to test for namespaces: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "namespaces are unavailable: unshare: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
