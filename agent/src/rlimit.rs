//! The open-file limit. Every SSH host costs the agent descriptors (its master's
//! pipes, one child per command in flight), so a fleet of a few hundred hosts
//! exceeds the soft limit of 1024 that systemd and most shells give a process. The
//! hard limit is what the administrator allows; the soft one is only a default, and
//! raising it to the hard one is what long-running network daemons do at start.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; the (before, after) soft values,
/// or `None` when the limit cannot be read or set (then nothing changed).
pub fn raise_nofile() -> Option<(libc::rlim_t, libc::rlim_t)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    let before = lim.rlim_cur;
    if lim.rlim_cur >= lim.rlim_max {
        return Some((before, before));
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: as above; raising the soft limit up to the hard one needs no privilege.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return None;
    }
    Some((before, lim.rlim_cur))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: valid pointer; lowering the soft limit is always allowed.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
            let hard = lim.rlim_max;
            lim.rlim_cur = hard.min(512);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
            let (before, after) = super::raise_nofile().unwrap();
            assert_eq!(before, hard.min(512));
            assert_eq!(after, hard);
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
            assert_eq!(lim.rlim_cur, hard);
        }
    }
}
