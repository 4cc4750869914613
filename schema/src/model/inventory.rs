//! `Inventory`: the hosts of the platform and how to reach them.

use super::node::NodeRegistration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The host label naming a host's shard: the group of hosts one agent (or one leader
/// of several, one Lease per shard) manages (`shard:` in agent.yaml).
pub const SHARD_LABEL: &str = "shard";

/// What a host is for. Targets pick their hosts by role unless a document names hosts explicitly.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Apache httpd gateway (TLS, context paths).
    Gateway,
    /// HAProxy balancer (and, usually, a Pacemaker node).
    Balancer,
    /// Kubernetes worker: balancer backends can be derived from these.
    Worker,
    /// Kubernetes control-plane node.
    ControlPlane,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Gateway => "gateway",
            Role::Balancer => "balancer",
            Role::Worker => "worker",
            Role::ControlPlane => "control-plane",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InventorySpec {
    /// Values every host inherits unless it sets its own.
    #[serde(default)]
    pub defaults: HostDefaults,
    pub hosts: Vec<Host>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HostDefaults {
    /// SSH user (default `root`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// SSH port (default 22).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Run privileged commands through `sudo -n` (for a non-root user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Host {
    /// Short host name, unique in the inventory (`gw`, `ha1`, `w1`...).
    pub name: String,
    /// IPv4/IPv6 address or DNS name the deploy node reaches it at.
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo: Option<bool>,
    /// Pinned SSH host key, as in known_hosts: `ssh-ed25519 AAAA...`. When absent the
    /// agent configuration's known_hosts must hold it (no trust on first use by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
    pub roles: Vec<Role>,
    /// Labels of the host, `key: value` (Kubernetes label syntax); `shard: NAME` puts
    /// the host in a shard.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Per-host overrides of managed paths and commands (non-standard layouts).
    #[serde(default, skip_serializing_if = "HostOverrides::is_empty")]
    pub overrides: HostOverrides,
    /// A worker's Kubernetes Node registration: labels and taints (target `nodes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeRegistration>,
}

impl Host {
    pub fn ssh_user<'a>(&'a self, defaults: &'a HostDefaults) -> &'a str {
        self.user
            .as_deref()
            .or(defaults.user.as_deref())
            .unwrap_or("root")
    }
    pub fn ssh_port(&self, defaults: &HostDefaults) -> u16 {
        self.port.or(defaults.port).unwrap_or(22)
    }
    pub fn use_sudo(&self, defaults: &HostDefaults) -> bool {
        self.sudo.or(defaults.sudo).unwrap_or(false)
    }
    /// The host's shard: its label `shard`.
    pub fn shard(&self) -> Option<&str> {
        self.labels.get(SHARD_LABEL).map(String::as_str)
    }
}

/// Overrides of where a target writes its file and how it validates and reloads it on one host.
/// In commands, `{file}` stands for the (staged) configuration file path.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HostOverrides {
    /// Default `/etc/haproxy/haproxy.cfg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub haproxy_config: Option<String>,
    /// Default `haproxy -c -f {file}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub haproxy_check: Option<String>,
    /// Default: a seamless reload of the running HAProxy (nothing when it is not running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub haproxy_reload: Option<String>,
    /// Default `/etc/apache2/sites-enabled/<siteName>.conf` (a file, not an a2ensite link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apache_site: Option<String>,
    /// Default `apache2ctl -t`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apache_check: Option<String>,
    /// Default `apache2ctl graceful`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apache_reload: Option<String>,
}

impl HostOverrides {
    pub fn is_empty(&self) -> bool {
        self == &HostOverrides::default()
    }
}
