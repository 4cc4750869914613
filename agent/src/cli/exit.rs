//! Exit codes: one table for every command, printed in `--help` and the README.
//!
//! 1 is reserved for "differences found" (`agent diff`), like `diff(1)` and
//! `kubectl diff`; errors start at 2 so a script can tell "changed" from "broken".

use std::process::ExitCode;

/// The exit status of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Valid, in sync, done.
    Ok = 0,
    /// `agent diff`: differences found (reserved).
    Differences = 1,
    /// The desired state is invalid (validation, rendering or local tool checks failed).
    Invalid = 2,
    /// The desired state could not be read: path unreadable, repo unreachable, revision missing.
    Source = 3,
    /// The agent's configuration file is unreadable or invalid.
    Config = 4,
    /// Any other failure (a bug, or output could not be written).
    Internal = 5,
    /// A host, the cluster or a target could not be observed or changed (unreachable,
    /// config rejected on the host, reload or health check failed and rolled back).
    TargetFailed = 6,
    /// `agent drill`: a goal was missed (a check failed or refused to start).
    GoalMissed = 7,
    /// `agent drill`: a disruptive check was asked for without `--disruptive`; nothing ran.
    Refused = 8,
    /// `agent import`: the repo was written, but some input was unreadable or refused,
    /// or the round trip found a semantic difference (the summary says which).
    Incomplete = 9,
    /// Bad command-line arguments.
    Usage = 64,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// The table shown at the end of `agent --help` (keep in step with README.md).
pub const TABLE: &str = "\
Exit codes:
  0   success: valid / in sync
  1   differences found (agent diff)
  2   invalid desired state (validation, rendering or local checks failed)
  3   source error: path unreadable, repository unreachable, revision not found, commit refused (unsigned or signed by a key not allowed)
  4   agent config file unreadable or invalid, or its shard: is carried by no inventory host
  5   internal error
  6   a host or target failed: unreachable, rejected, rolled back (the rest was still done)
  7   agent drill: a goal was missed (a check failed, or refused to start on an unhealthy cluster)
  8   agent drill: a disruptive check was asked for without --disruptive (nothing was run)
  9   agent import: repo written, but input was unreadable or refused, or the round trip found a difference
  64  usage error (bad arguments)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_every_code() {
        let all = [
            Exit::Ok,
            Exit::Differences,
            Exit::Invalid,
            Exit::Source,
            Exit::Config,
            Exit::Internal,
            Exit::TargetFailed,
            Exit::GoalMissed,
            Exit::Refused,
            Exit::Incomplete,
            Exit::Usage,
        ];
        for e in all {
            let line = format!("\n  {:<3} ", e.code());
            assert!(TABLE.contains(&line), "{e:?} missing from the table");
        }
    }
}
