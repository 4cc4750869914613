//! One remote command on an open master: a native-mux channel, stdin fed while the
//! output is read, the result as a plain [`Output`].

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::config::HostSpec;
use super::error::SshError;
use super::master::Master;

/// The result of a remote command that ran to completion (any exit status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit status; `None` when the remote process was killed by a signal.
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
    pub fn stdout_lossy(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_lossy(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

pub(crate) fn ensure_success(host: &HostSpec, what: &str, out: Output) -> Result<Output, SshError> {
    if out.success() {
        return Ok(out);
    }
    Err(SshError::CommandFailed {
        host: host.name.clone(),
        command: short(what),
        status: out.status,
        stderr: out.stderr_lossy(),
    })
}

/// `error: cause: cause...`, since openssh's top-level messages are generic.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// First line of a command, at most 80 characters, for logs and errors.
pub(crate) fn short(cmd: &str) -> String {
    let line = cmd.lines().next().unwrap_or("");
    let mut s: String = line.chars().take(80).collect();
    if s.len() < cmd.len() {
        s.push('…');
    }
    s
}

/// Open a session and run `line` to completion. A session the server refuses to open
/// (sshd frees a finished session slightly after its exit status reaches us, so a busy
/// host can briefly count more sessions than are running) never started the command,
/// so it is retried with a short backoff while the master is up.
pub(crate) async fn spawn_wait(
    master: &Master,
    line: &str,
    input: Option<&[u8]>,
) -> Result<Output, openssh::Error> {
    use openssh::Stdio;
    let mut backoff = Duration::from_millis(5);
    let mut tries = 0;
    let mut child = loop {
        tries += 1;
        let mut cmd = master.session().raw_command(line);
        cmd.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        match cmd.spawn().await {
            Ok(child) => break child,
            Err(e @ openssh::Error::SshMux(_)) if tries < 20 && master.is_alive() => {
                tracing::debug!(host = %master.spec.name, error = %error_chain(&e), "session refused; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(200));
            }
            Err(e) => return Err(e),
        }
    };
    let stdin = child.stdin().take();
    let write = async {
        if let (Some(mut w), Some(data)) = (stdin, input) {
            w.write_all(data).await.map_err(openssh::Error::ChildIo)?;
            w.shutdown().await.map_err(openssh::Error::ChildIo)?;
        }
        Ok::<_, openssh::Error>(())
    };
    // Feed stdin while reading the output, so neither side can fill a pipe and stall.
    let (written, out) = tokio::join!(write, child.wait_with_output());
    let out = match out {
        Ok(o) => Output {
            status: o.status.code(),
            stdout: o.stdout,
            stderr: o.stderr,
        },
        // Killed by a signal, or the link died: the mux protocol cannot tell them apart.
        Err(openssh::Error::RemoteProcessTerminated) if master.is_alive() => Output {
            status: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
        },
        Err(e) => return Err(e),
    };
    written?;
    Ok(out)
}
