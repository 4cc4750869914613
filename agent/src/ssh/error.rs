//! The one error type of the SSH transport. Every variant names the host; connection
//! failures are classified from the ssh client's own log, so a caller can tell a host
//! that is down (retry with backoff) from one that must be fixed by an operator.

use std::time::Duration;

/// A failed SSH operation on one host.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SshError {
    #[error("{host}: cannot resolve the address: {detail}")]
    Resolve { host: String, detail: String },
    #[error("{host}: connection refused: {detail}")]
    Refused { host: String, detail: String },
    #[error("{host}: network unreachable: {detail}")]
    Unreachable { host: String, detail: String },
    #[error("{host}: authentication failed: {detail}")]
    Auth { host: String, detail: String },
    #[error("{host}: HOST KEY MISMATCH, the server presented {} which is not the pinned key; refusing to connect (if the change is expected, check the fingerprint and run `agent trust {host}`)", fingerprint.as_deref().unwrap_or("an unknown key"))]
    HostKeyMismatch {
        host: String,
        /// Fingerprint of the key the server presented (`SHA256:...`), when ssh printed it.
        fingerprint: Option<String>,
        detail: String,
    },
    #[error("{host}: no pinned host key for this host (strict host key checking): {detail}")]
    HostKeyUnknown { host: String, detail: String },
    #[error("{host}: timed out after {after:?} while {during}")]
    Timeout {
        host: String,
        during: &'static str,
        after: Duration,
    },
    /// The link died, or the server would not open a session on a live link.
    #[error("{host}: connection lost: {detail}")]
    Disconnected { host: String, detail: String },
    #[error("{host}: `{command}` failed ({}): {}", status.map_or("killed by a signal".to_owned(), |s| format!("exit status {s}")), stderr.trim())]
    CommandFailed {
        host: String,
        /// The command, shortened to its first line (file contents travel on stdin, never here).
        command: String,
        /// Exit status; `None` when the remote process was killed by a signal.
        status: Option<i32>,
        stderr: String,
    },
    #[error("{host}: unexpected answer from the remote side: {detail}")]
    Protocol { host: String, detail: String },
    #[error("{host}: local failure: {detail}")]
    Local { host: String, detail: String },
}

impl SshError {
    /// The inventory name of the host this error is about.
    pub fn host(&self) -> &str {
        match self {
            SshError::Resolve { host, .. }
            | SshError::Refused { host, .. }
            | SshError::Unreachable { host, .. }
            | SshError::Auth { host, .. }
            | SshError::HostKeyMismatch { host, .. }
            | SshError::HostKeyUnknown { host, .. }
            | SshError::Timeout { host, .. }
            | SshError::Disconnected { host, .. }
            | SshError::CommandFailed { host, .. }
            | SshError::Protocol { host, .. }
            | SshError::Local { host, .. } => host,
        }
    }

    /// `true` when the host may simply be down or slow (retry later with backoff);
    /// `false` when retrying cannot help until someone changes something (keys,
    /// credentials, the command, the agent's machine).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SshError::Resolve { .. }
                | SshError::Refused { .. }
                | SshError::Unreachable { .. }
                | SshError::Timeout { .. }
                | SshError::Disconnected { .. }
        )
    }

    /// Classify a failed master start-up from the ssh client's log (`ssh -E`).
    pub(crate) fn from_ssh_log(host: &str, log: &str, connect_timeout: Duration) -> SshError {
        let host = host.to_owned();
        // The last meaningful lines carry the cause; keep them for the operator.
        let detail = log
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('@'))
            .collect::<Vec<_>>()
            .join(" | ");
        let detail = if detail.is_empty() {
            "ssh exited without a message".to_owned()
        } else {
            detail
        };
        let has = |s: &str| log.contains(s);
        if has("REMOTE HOST IDENTIFICATION HAS CHANGED")
            || has("Host key for") && has("has changed")
        {
            return SshError::HostKeyMismatch {
                host,
                fingerprint: presented_fingerprint(log),
                detail,
            };
        }
        if has("Host key verification failed") || has("host key is known for") {
            return SshError::HostKeyUnknown { host, detail };
        }
        if has("Could not resolve hostname") || has("Name or service not known") {
            return SshError::Resolve { host, detail };
        }
        if has("Connection refused") {
            return SshError::Refused { host, detail };
        }
        if has("Network is unreachable") || has("No route to host") {
            return SshError::Unreachable { host, detail };
        }
        if has("timed out") || has("Connection timed out") {
            return SshError::Timeout {
                host,
                during: "connecting",
                after: connect_timeout,
            };
        }
        if has("Permission denied") || has("Too many authentication failures") {
            return SshError::Auth { host, detail };
        }
        SshError::Disconnected { host, detail }
    }
}

/// The `SHA256:...` fingerprint ssh prints after "key sent by the remote host is".
fn presented_fingerprint(log: &str) -> Option<String> {
    let after = log.split("sent by the remote host is").nth(1)?;
    after
        .split_whitespace()
        .next()
        .map(|f| f.trim_end_matches('.').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGED: &str = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
The fingerprint for the ED25519 key sent by the remote host is
SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU.
Host key verification failed.
";

    #[test]
    fn changed_key_is_a_mismatch_with_the_presented_fingerprint() {
        let e = SshError::from_ssh_log("ha1", CHANGED, Duration::ZERO);
        match &e {
            SshError::HostKeyMismatch { fingerprint, .. } => assert_eq!(
                fingerprint.as_deref(),
                Some("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")
            ),
            other => panic!("{other:?}"),
        }
        assert!(!e.is_transient());
        assert!(e.to_string().starts_with("ha1: HOST KEY MISMATCH"));
    }

    #[test]
    fn classifies_common_client_messages() {
        let cases = [
            ("ssh: Could not resolve hostname x.invalid: Name or service not known", "Resolve"),
            ("ssh: connect to host 127.0.0.1 port 1: Connection refused", "Refused"),
            ("Connection timed out during banner exchange", "Timeout"),
            ("root@127.0.0.1: Permission denied (publickey).", "Auth"),
            ("No ED25519 host key is known for [h]:22 and you have requested strict checking.\nHost key verification failed.", "HostKeyUnknown"),
            ("ssh: connect to host 10.0.0.1 port 22: No route to host", "Unreachable"),
            ("Connection closed by 127.0.0.1 port 22", "Disconnected"),
        ];
        for (log, want) in cases {
            let e = SshError::from_ssh_log("gw", log, Duration::ZERO);
            let got = format!("{e:?}");
            assert!(got.starts_with(want), "{log:?} -> {got}");
            assert_eq!(e.host(), "gw");
        }
    }
}
