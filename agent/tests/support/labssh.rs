//! [`Remote`] over the lab's own `ssh -F <lab ssh_config>` (pinned host keys, the lab's
//! client key): the library's targets driven against lab hosts without the agent's SSH
//! pool, so a suite tests one target at a time.
#![allow(dead_code)]

use agent::mask::Masker;
use agent::targets::cluster::{
    apply, diff, ApplyOptions, ApplyReport, ClusterError, ClusterJob, ClusterPlan, ClusterPolicy,
};
use agent::targets::remote::{sh_quote, ExecOutput, Remote, RemoteError};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Scripts over `ssh -F <lab ssh_config>`: pinned host keys, the lab's client key.
pub struct LabSsh {
    pub config: PathBuf,
}

impl Remote for LabSsh {
    async fn exec(
        &self,
        host: &str,
        script: &str,
        stdin: &[u8],
    ) -> Result<ExecOutput, RemoteError> {
        let err = |m: String| RemoteError {
            host: host.into(),
            message: m,
            transient: true,
        };
        let mut child = tokio::process::Command::new("ssh")
            .arg("-F")
            .arg(&self.config)
            .args(["-o", "ConnectTimeout=3", "-o", "BatchMode=yes", host])
            .arg(format!("sh -c {}", sh_quote(script)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| err(e.to_string()))?;
        let mut input = child.stdin.take().unwrap();
        let data = stdin.to_vec();
        let writer = tokio::spawn(async move {
            let _ = input.write_all(&data).await;
        });
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .map_err(|_| err("timed out".into()))?
            .map_err(|e| err(e.to_string()))?;
        let _ = writer.await;
        let status = out.status.code().unwrap_or(-1);
        if status == 255 {
            return Err(err(String::from_utf8_lossy(&out.stderr).into_owned()));
        }
        Ok(ExecOutput {
            status,
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

impl LabSsh {
    /// The cluster target's `diff` of `job` under `policy`.
    pub async fn cluster_diff(
        &self,
        job: &ClusterJob,
        policy: &ClusterPolicy,
    ) -> Result<ClusterPlan, ClusterError> {
        let masker = Masker::new("lab");
        diff(
            self,
            &job.access,
            &job.fragment,
            &job.corosync,
            policy,
            &masker,
        )
        .await
    }

    /// The cluster target's `apply` of `job` under `policy`.
    pub async fn cluster_apply(
        &self,
        job: &ClusterJob,
        policy: &ClusterPolicy,
        opts: &ApplyOptions,
    ) -> Result<ApplyReport, ClusterError> {
        let masker = Masker::new("lab");
        let (access, corosync) = (&job.access, &job.corosync);
        apply(self, access, &job.fragment, corosync, policy, &masker, opts).await
    }
}
