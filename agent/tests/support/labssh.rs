//! [`Remote`] over the lab's own `ssh -F <lab ssh_config>` (pinned host keys, the lab's
//! client key): the library's targets driven against lab hosts without the agent's SSH
//! pool, so a suite tests one target at a time.
#![allow(dead_code)]

use agent::exec::{run_piped, sh_quote, ExecOutput, Remote, RemoteError};
use agent::mask::Masker;
use agent::targets::cluster::{
    apply, diff, ApplyOptions, ApplyReport, ClusterError, ClusterJob, ClusterPlan, ClusterPolicy,
};
use std::path::PathBuf;
use std::time::Duration;

/// Scripts over `ssh -F <lab ssh_config>`: pinned host keys, the lab's client key.
pub struct LabSsh {
    pub config: PathBuf,
}

#[async_trait::async_trait]

impl Remote for LabSsh {
    async fn exec(
        &self,
        host: &str,
        script: &str,
        stdin: &[u8],
    ) -> Result<ExecOutput, RemoteError> {
        let mut ssh = tokio::process::Command::new("ssh");
        ssh.arg("-F")
            .arg(&self.config)
            .args(["-o", "ConnectTimeout=3", "-o", "BatchMode=yes", host])
            .arg(format!("sh -c {}", sh_quote(script)));
        let out = run_piped(host, ssh, stdin, Duration::from_secs(60)).await?;
        if out.status == 255 {
            return Err(RemoteError {
                host: host.into(),
                message: out.stderr_str(),
                transient: true,
            });
        }
        Ok(out)
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
