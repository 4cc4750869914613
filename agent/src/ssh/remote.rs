//! The SSH transport as the [`Remote`] the targets run their scripts through.

use super::config::HostSpec;
use super::error::SshError;
use super::pool::Pool;
use super::script;
use crate::exec::{ExecOutput, Remote, RemoteError};
use std::collections::HashMap;

/// Inventory host names mapped to how to reach them, over one [`Pool`].
#[derive(Clone)]
pub struct SshRemote {
    pub pool: Pool,
    hosts: HashMap<String, HostSpec>,
}

impl SshRemote {
    pub fn new(pool: Pool, hosts: impl IntoIterator<Item = HostSpec>) -> Self {
        SshRemote {
            pool,
            hosts: hosts.into_iter().map(|h| (h.name.clone(), h)).collect(),
        }
    }

    /// Every host of the inventory (user, port, sudo and pinned keys from it).
    pub fn from_inventory(pool: Pool, state: &schema::DesiredState) -> Self {
        let defaults = state
            .inventory
            .as_ref()
            .map(|i| i.doc.spec.defaults.clone())
            .unwrap_or_default();
        Self::new(
            pool,
            state
                .hosts()
                .iter()
                .map(|h| HostSpec::from_inventory(h, &defaults)),
        )
    }

    pub fn host(&self, name: &str) -> Option<&HostSpec> {
        self.hosts.get(name)
    }
}

impl From<SshError> for RemoteError {
    fn from(e: SshError) -> Self {
        RemoteError {
            host: e.host().to_string(),
            transient: e.is_transient(),
            message: e.to_string(),
        }
    }
}

#[async_trait::async_trait]
impl Remote for SshRemote {
    async fn exec(
        &self,
        host: &str,
        script_text: &str,
        stdin: &[u8],
    ) -> Result<ExecOutput, RemoteError> {
        let spec = self.hosts.get(host).ok_or_else(|| RemoteError {
            host: host.to_string(),
            message: "not in the inventory".into(),
            transient: false,
        })?;
        let line = script::wrap_sh(script_text, spec.sudo);
        let out = self.pool.exec(spec, &line, Some(stdin), None).await?;
        Ok(ExecOutput {
            status: out.status.unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}
