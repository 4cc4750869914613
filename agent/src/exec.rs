//! The one primitive every host-level target needs: run a shell script on a
//! host, with bytes on stdin, and get its exit status and output. A leaf module:
//! it knows nothing of targets, SSH or the desired state.
//!
//! Targets compose their observe/apply steps as small POSIX `sh` scripts so each
//! step is one round trip. [`LocalShell`] runs the same scripts on this machine
//! (tests, and a managed host that is the deploy node itself); the SSH transport
//! (`crate::ssh::SshRemote`) implements the trait for real hosts. The trait is
//! object-safe, so targets take `&dyn Remote`.

use async_trait::async_trait;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// What a script printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutput {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.status == 0
    }
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Failure to run a script at all (the script's own non-zero exit is not an error here).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host}: {message}")]
pub struct RemoteError {
    pub host: String,
    pub message: String,
    /// Unreachable/timeout (retry later) as opposed to e.g. a host key mismatch.
    pub transient: bool,
}

/// Runs scripts on inventory hosts.
#[async_trait]
pub trait Remote: Send + Sync {
    /// Runs `script` with `sh -c` on `host` (as root, via sudo when the host needs it),
    /// feeding `stdin`. Returns once the script exited.
    async fn exec(&self, host: &str, script: &str, stdin: &[u8])
        -> Result<ExecOutput, RemoteError>;
}

/// Runs scripts on this machine, for every host name (tests, and local hosts).
#[derive(Debug, Clone)]
pub struct LocalShell {
    pub timeout: Duration,
}

impl Default for LocalShell {
    fn default() -> Self {
        LocalShell {
            timeout: Duration::from_secs(60),
        }
    }
}

#[async_trait]
impl Remote for LocalShell {
    async fn exec(
        &self,
        host: &str,
        script: &str,
        stdin: &[u8],
    ) -> Result<ExecOutput, RemoteError> {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c").arg(script);
        run_piped(host, cmd, stdin, self.timeout).await
    }
}

/// Runs `cmd` with `stdin` fed to it and its output collected, killed after `timeout`
/// (then a transient error naming `host`). The process's own exit status is returned,
/// whatever it is; an error only when it could not run.
pub async fn run_piped(
    host: &str,
    mut cmd: tokio::process::Command,
    stdin: &[u8],
    timeout: Duration,
) -> Result<ExecOutput, RemoteError> {
    let err = |m: String| RemoteError {
        host: host.to_string(),
        message: m,
        transient: false,
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            err(format!(
                "cannot start {:?}: {e}",
                cmd.as_std().get_program()
            ))
        })?;
    let mut input = child.stdin.take().expect("stdin is piped");
    let data = stdin.to_vec();
    let writer = tokio::spawn(async move {
        // The script may exit without reading all of stdin: a broken pipe is fine.
        let _ = input.write_all(&data).await;
    });
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| RemoteError {
            host: host.to_string(),
            message: "script timed out".into(),
            transient: true,
        })?
        .map_err(|e| err(format!("script failed to run: {e}")))?;
    let _ = writer.await;
    Ok(ExecOutput {
        status: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// Quotes `s` as one word for POSIX sh (one quoting rule for the whole agent).
pub fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:@,%".contains(&b))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_shell_feeds_stdin_and_reports_status() {
        let out = LocalShell::default()
            .exec("h", "cat; echo err >&2; exit 3", b"in")
            .await
            .unwrap();
        assert_eq!(
            (out.status, out.stdout_str(), out.stderr_str()),
            (3, "in".into(), "err\n".into())
        );
    }

    #[test]
    fn quoting_survives_the_shell() {
        assert_eq!(
            sh_quote("/etc/haproxy/haproxy.cfg"),
            "/etc/haproxy/haproxy.cfg"
        );
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }
}
