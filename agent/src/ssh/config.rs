//! Settings of the SSH transport (`SshConfig`, from the agent's config file) and the
//! description of one target host (`HostSpec`, built by callers from the Inventory).

use std::path::PathBuf;
use std::time::Duration;

/// How the agent connects to hosts. One value per agent process; shared by every host.
#[derive(Debug, Clone)]
pub struct SshConfig {
    /// Private key used for every host (`ssh -i`, with `IdentitiesOnly=yes`).
    /// `None`: the ssh client's defaults / agent (`SSH_AUTH_SOCK`).
    pub identity_file: Option<PathBuf>,
    /// known_hosts file holding pinned host keys. Host keys pinned in the inventory
    /// (`HostSpec::host_key`) are checked in addition. The system-wide known_hosts and
    /// `~/.ssh/config` are never read, so only what the operator configured counts.
    pub known_hosts: Option<PathBuf>,
    /// User for hosts whose `HostSpec::user` is `None`.
    pub user: String,
    /// TCP connect plus SSH banner exchange (`ConnectTimeout`); the whole master
    /// start-up (including authentication) is bounded by twice this value.
    pub connect_timeout: Duration,
    /// Default bound on one remote command, from session open to exit status.
    pub command_timeout: Duration,
    /// Concurrent sessions per host. Keep it below sshd's `MaxSessions` (default 10):
    /// beyond it the server refuses new channels and commands fail.
    pub max_sessions_per_host: usize,
    /// A master connection unused for this long is closed (the next command reopens it).
    pub idle_timeout: Duration,
    /// Directory for control sockets and master logs (a private sub-directory is created
    /// per connection). Keep the path short: Unix socket paths are limited to 108 bytes.
    pub control_dir: PathBuf,
    /// `true` (the default): a host whose key is not pinned is refused
    /// (`StrictHostKeyChecking=yes`). `false`: trust on first use
    /// (`accept-new`: an unknown key is recorded in `known_hosts`, a changed key is
    /// still refused). Only set it to `false` when the operator asked for it.
    pub strict_host_keys: bool,
    /// `KexAlgorithms` for the client, e.g. `curve25519-sha256` (about 60 ms less
    /// client CPU per connection than OpenSSH 9's default post-quantum hybrid, measured
    /// here). `None`: the ssh client's default list.
    pub kex_algorithms: Option<String>,
    /// `Some(d)`: masters are detached (`ControlPersist=d`), their sockets live at a
    /// stable path per host directly in `control_dir` (created `0700`), they are left
    /// running when the pool closes and reused by the next process whose socket check
    /// succeeds. Saves the handshake per host and run; costs ssh processes that outlive
    /// the agent. `None` (default): every master is the agent's child and dies with it.
    pub persist: Option<Duration>,
    /// `ServerAliveInterval`: a silent link is declared dead after 3 missed probes.
    pub keepalive_interval: Duration,
}

impl Default for SshConfig {
    fn default() -> Self {
        SshConfig {
            identity_file: None,
            known_hosts: None,
            user: "root".to_owned(),
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(120),
            max_sessions_per_host: 8,
            idle_timeout: Duration::from_secs(300),
            control_dir: std::env::temp_dir(),
            strict_host_keys: true,
            kex_algorithms: None,
            persist: None,
            keepalive_interval: Duration::from_secs(15),
        }
    }
}

/// One host the transport talks to. `name` identifies it in the pool, in errors and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// Inventory name (`gw`, `ha1`, ...).
    pub name: String,
    /// Address or DNS name.
    pub address: String,
    pub port: u16,
    /// `None`: `SshConfig::user`.
    pub user: Option<String>,
    /// Wrap every command in `sudo -n` (non-root user with passwordless sudo).
    pub sudo: bool,
    /// Pinned host key as in known_hosts (`ssh-ed25519 AAAA...`), if the inventory has one.
    pub host_key: Option<String>,
}

impl HostSpec {
    /// A host reached as `root` on port 22 without sudo; adjust the fields as needed.
    pub fn new(name: impl Into<String>, address: impl Into<String>) -> Self {
        HostSpec {
            name: name.into(),
            address: address.into(),
            port: 22,
            user: None,
            sudo: false,
            host_key: None,
        }
    }

    /// The inventory's view of a host: its user, port and sudo, or the inventory defaults.
    pub fn from_inventory(host: &schema::Host, defaults: &schema::HostDefaults) -> Self {
        HostSpec {
            name: host.name.clone(),
            address: host.address.clone(),
            port: host.ssh_port(defaults),
            user: Some(host.ssh_user(defaults).to_owned()),
            sudo: host.use_sudo(defaults),
            host_key: host.host_key.clone(),
        }
    }

    /// The host as it is named in known_hosts: `addr` on port 22, `[addr]:port` otherwise.
    pub fn known_hosts_name(&self) -> String {
        if self.port == 22 {
            self.address.clone()
        } else {
            format!("[{}]:{}", self.address, self.port)
        }
    }
}

impl From<&crate::config::Config> for SshConfig {
    /// The transport settings of an agent config (`ssh:`, `stateDir` for persistent
    /// control sockets); defaults for what it leaves out.
    fn from(c: &crate::config::Config) -> Self {
        let mut s = SshConfig {
            identity_file: c.ssh.identity_file.clone(),
            known_hosts: c.ssh.known_hosts.clone(),
            user: c.ssh.user.clone(),
            connect_timeout: c.ssh.connect_timeout,
            max_sessions_per_host: c.ssh.max_sessions_per_host as usize,
            kex_algorithms: c.ssh.kex_algorithms.clone(),
            persist: c.ssh.persist,
            ..SshConfig::default()
        };
        if s.persist.is_some() {
            s.control_dir = c
                .ssh
                .control_dir
                .clone()
                .unwrap_or_else(|| c.state_dir.join("ssh"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hosts_name_brackets_non_default_ports() {
        let mut h = HostSpec::new("ha1", "10.77.0.11");
        assert_eq!(h.known_hosts_name(), "10.77.0.11");
        h.port = 2222;
        assert_eq!(h.known_hosts_name(), "[10.77.0.11]:2222");
    }

    #[test]
    fn default_cap_stays_below_sshd_max_sessions() {
        assert!(SshConfig::default().max_sessions_per_host < 10);
        assert!(SshConfig::default().strict_host_keys);
        assert!(
            SshConfig::default().persist.is_none(),
            "masters die with the agent by default"
        );
    }
}
