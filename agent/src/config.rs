//! The agent's own configuration file on the deploy node (`agent.yaml`).
//!
//! Not part of the desired-state repo: it says where that repo is, how to reach hosts
//! (SSH key, pinned host keys) and the cluster, what to do about drift, and where the
//! agent keeps its state. Parsed strictly: unknown fields are rejected, and every error is
//! a [`Diagnostic`] pointing at file, line and column. Relative paths in the file are
//! resolved against the file's directory, so a config can travel with its keys.
//!
//! ```yaml
//! repo: { url: ssh://git@10.77.0.30/srv/platform.git, branch: main, path: . }
//! interval: 30s
//! jitter: 3s
//! ssh: { identityFile: id_ed25519, knownHosts: known_hosts, user: root,
//!        kexAlgorithms: curve25519-sha256, persist: 10m, controlDir: /run/agent/ssh }
//! kubeconfig: /etc/agent/kubeconfig
//! policies: { gateway: correct, balancer: correct, cluster: observe, workloads: correct }
//! stateDir: /var/lib/agent
//! listen: 127.0.0.1:9440
//! secrets: { ageIdentityFile: age.key, plaintextPolicy: deny }
//! trust:
//!   requireSignedCommits: true
//!   allowedSigners: [{ principal: ops@example.org, key: "ssh-ed25519 AAAA…" }]
//! driftInterval: 5m          # agent run: drift sweep at most this often (default: every cycle)
//! allowForcePush: false      # agent run: refuse non-fast-forward history
//! webhookSecretFile: hook.secret
//! cluster: { strayConstraints: report, corosync: report }   # or remove / reload
//! history: { maxAge: 30d, maxEntries: 5000 }   # agent run / apply: <stateDir>/history.db
//! web: { authFile: web.token }   # required when listen is not loopback
//! leaderElection: { lease: agent, namespace: agent-system, duration: 15s, renew: 10s }
//! shard: eu-1                # only the hosts labelled shard: eu-1; Lease agent-eu-1
//! ```

mod cluster;
mod defaults;
mod duration;
mod ha;
mod notify;
mod rollout;
mod view;

pub use cluster::{ClusterConfig, CorosyncPolicy, StrayConstraints};
pub use duration::parse as parse_duration;
pub use ha::LeaderElectionConfig;
pub use notify::{GithubNotify, GitlabNotify, NotifyConfig, WebhookNotify};
pub use rollout::{RolloutConfig, DEFAULT_CONCURRENCY};
pub use view::{HistoryConfig, WebConfig};

use schema::Diagnostic;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole configuration, defaults filled in.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    /// The desired-state repository. Needed by `agent run`; one-shot commands can take
    /// the repo from the command line instead.
    #[serde(default)]
    pub repo: Option<RepoConfig>,
    /// Time between polls of the repository (default 30s).
    #[serde(default = "defaults::thirty_seconds", with = "duration")]
    #[schemars(with = "duration::DurationText")]
    pub interval: Duration,
    /// Random extra delay added to each interval, up to this much (default: interval / 10).
    #[serde(default, with = "duration::option")]
    #[schemars(with = "Option<duration::DurationText>")]
    pub jitter: Option<Duration>,
    #[serde(default)]
    pub ssh: SshConfig,
    /// Kubeconfig for the workloads target (default: `$KUBECONFIG`, then in-cluster).
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
    #[serde(default)]
    pub policies: Policies,
    /// Status file, lock and Git cache (default `/var/lib/agent`).
    #[serde(default = "defaults::default_state_dir")]
    pub state_dir: PathBuf,
    /// Address for `/status`, `/healthz`, `/metrics` and the webhook (default 127.0.0.1:9440).
    #[serde(default = "defaults::default_listen")]
    pub listen: SocketAddr,
    /// Decrypting the repo's secrets, and what plaintext secrets in the repo mean.
    #[serde(default)]
    pub secrets: SecretsConfig,
    /// Which commits the agent accepts (signatures).
    #[serde(default)]
    pub trust: TrustConfig,
    /// `agent run`: sweep for drift at most this often when no new commit arrived
    /// (default: on every cycle).
    #[serde(default, with = "duration::option")]
    #[schemars(with = "Option<duration::DurationText>")]
    pub drift_interval: Option<Duration>,
    /// `agent run`: accept a branch whose new head does not descend from the last
    /// applied commit (default false: a force-push is refused and reported).
    #[serde(default)]
    pub allow_force_push: bool,
    /// `agent run`: file holding the shared secret of `POST /hooks/git` (HMAC-SHA256,
    /// `X-Hub-Signature-256`). Without it the webhook is disabled.
    #[serde(default)]
    pub webhook_secret_file: Option<PathBuf>,
    /// What the cluster target may do beyond the CIB ids Git declares.
    #[serde(default)]
    pub cluster: ClusterConfig,
    /// The history of cycles in `<stateDir>/history.db` (`agent history`, the web page).
    #[serde(default)]
    pub history: HistoryConfig,
    /// The web view and API of `agent run`: credentials.
    #[serde(default)]
    pub web: WebConfig,
    /// `agent run`: report each commit's outcome (webhook, GitHub, GitLab statuses).
    #[serde(default)]
    pub notify: NotifyConfig,
    /// `agent run`: share the work with other agents through a Kubernetes Lease; only
    /// the holder applies, the others observe (README, "High availability of the agent").
    #[serde(default)]
    pub leader_election: Option<LeaderElectionConfig>,
    /// How many independent hosts a rollout changes at once after its canary.
    #[serde(default)]
    pub rollout: RolloutConfig,
    /// Manage only the inventory hosts labelled `shard: NAME` (and what lies wholly in
    /// that shard: its clusters; the Kubernetes API when the control plane is in it).
    /// With `leaderElection:`, the Lease is `<lease>-<shard>` (README, "Sharding").
    #[serde(default)]
    pub shard: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretsConfig {
    /// The agent's age identity file (`age-keygen` output; keep it 0600). Without it,
    /// encrypted values cannot be decrypted: `validate` warns, `diff`/`apply` refuse.
    #[serde(default)]
    pub age_identity_file: Option<PathBuf>,
    /// Plaintext secrets found in the repo: `warn` (default) or `deny` (validation fails).
    #[serde(default)]
    pub plaintext_policy: crate::secrets::detect::Policy,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustConfig {
    /// Refuse any commit not signed by a key below (default false).
    #[serde(default)]
    pub require_signed_commits: bool,
    /// SSH signing keys allowed to sign commits.
    #[serde(default)]
    pub allowed_signers: Vec<AllowedSigner>,
    /// Full PGP fingerprints allowed to sign commits (checked with gpg).
    #[serde(default)]
    pub allowed_gpg_fingerprints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowedSigner {
    /// Who this is (e-mail or name), shown in reports.
    pub principal: String,
    /// The public key, `ssh-ed25519 AAAA… [comment]`.
    pub key: String,
}

impl TrustConfig {
    /// The allow-list in the form [`crate::trust::verify_commit`] takes.
    pub fn allow_list(&self) -> crate::trust::AllowList {
        crate::trust::AllowList {
            ssh: self
                .allowed_signers
                .iter()
                .map(|s| crate::trust::AllowedSshKey {
                    principal: s.principal.clone(),
                    key: s.key.clone(),
                })
                .collect(),
            gpg_fingerprints: self
                .allowed_gpg_fingerprints
                .iter()
                .map(|f| f.replace(' ', "").to_ascii_uppercase())
                .collect(),
            gnupg_home: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RepoConfig {
    /// `ssh://`, `https://`, `file://` URL or a local path.
    pub url: String,
    /// Branch to follow (default `main`).
    #[serde(default = "defaults::default_branch")]
    pub branch: String,
    /// Subdirectory holding the desired state (default `.`).
    #[serde(default = "defaults::default_path")]
    pub path: String,
    /// Give up on a fetch after this long (default 60s).
    #[serde(default = "defaults::sixty_seconds", with = "duration")]
    #[schemars(with = "duration::DurationText")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SshConfig {
    /// Private key used for hosts and for `ssh://` repositories.
    #[serde(default)]
    pub identity_file: Option<PathBuf>,
    /// Pinned host keys (OpenSSH known_hosts format). No trust on first use.
    #[serde(default)]
    pub known_hosts: Option<PathBuf>,
    /// Login user when the inventory names none (default `root`).
    #[serde(default = "defaults::default_user")]
    pub user: String,
    /// (default 10s)
    #[serde(default = "defaults::ten_seconds", with = "duration")]
    #[schemars(with = "duration::DurationText")]
    pub connect_timeout: Duration,
    /// Commands run at once on one host; keep below sshd's MaxSessions (10). Default 8.
    #[serde(default = "defaults::eight")]
    pub max_sessions_per_host: u32,
    /// OpenSSH `KexAlgorithms`, e.g. `curve25519-sha256`: a much cheaper handshake than
    /// OpenSSH 9's default post-quantum hybrid (default: the ssh client's list).
    #[serde(default)]
    pub kex_algorithms: Option<String>,
    /// Keep SSH connections open this long after their last use, across agent runs
    /// (`ControlPersist`). Saves a handshake per host and run; the ssh processes outlive
    /// the agent. Default: none (connections die with the agent).
    #[serde(default, with = "duration::option")]
    #[schemars(with = "Option<duration::DurationText>")]
    pub persist: Option<Duration>,
    /// Where persistent connections keep their sockets (default `<stateDir>/ssh`;
    /// created 0700; keep it short, socket paths are limited to ~107 bytes).
    #[serde(default)]
    pub control_dir: Option<PathBuf>,
}

impl Default for SshConfig {
    fn default() -> Self {
        SshConfig {
            identity_file: None,
            known_hosts: None,
            user: defaults::default_user(),
            connect_timeout: defaults::ten_seconds(),
            max_sessions_per_host: defaults::eight(),
            kex_algorithms: None,
            persist: None,
            control_dir: None,
        }
    }
}

/// What to do with a target whose live state differs from Git.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Converge it (the default).
    #[default]
    Correct,
    /// Only report the drift.
    Observe,
}

/// `policies:`: target name (`gateway`, `balancer`, `cluster`, `workloads`, …) →
/// policy. A target not listed is corrected. Names are checked against the
/// registered targets by [`Config::check_targets`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Policies(pub BTreeMap<String, Policy>);

impl Policies {
    /// The policy of `target` (`correct` unless configured).
    pub fn of(&self, target: &str) -> Policy {
        self.0.get(target).copied().unwrap_or_default()
    }

    /// The same policies with `target` set to `policy`.
    pub fn with(mut self, target: &str, policy: Policy) -> Policies {
        self.0.insert(target.to_string(), policy);
        self
    }
}

/// The JSON Schema (draft-07) of `agent.yaml`, generated from the types above so it
/// cannot drift from what the parser accepts (`agent schema config`; committed as
/// `schema/json/agent-config.schema.json`, kept fresh by a test). Durations are
/// strings like `30s`; relative paths are resolved against the file's directory.
/// `targets` (the registered target names) are the keys `policies:` accepts.
pub fn json_schema(targets: &[&str]) -> serde_json::Value {
    let mut v = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Config>()
        .to_value();
    if let Some(p) = v.pointer_mut("/definitions/Policies") {
        p["propertyNames"] = serde_json::json!({ "enum": targets });
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert("title".into(), "agent configuration (agent.yaml)".into());
        obj.insert(
            "description".into(),
            "The deploy node's settings for agent: where the desired-state repo is, how to \
             reach hosts and the cluster, what to do about drift, where state is kept."
                .into(),
        );
    }
    v
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read agent config {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostic),
}

impl Config {
    /// Reads, parses and checks the file at `path`, resolving relative paths against its directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        let mut config = Config::parse(&path.display().to_string(), &text)?;
        config.resolve_paths(path.parent().unwrap_or(Path::new(".")));
        Ok(config)
    }

    /// Parses and checks configuration text; `file` names it in diagnostics.
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let config: Config = if text.trim().is_empty() {
            serde_yaml::from_str("{}")
        } else {
            serde_yaml::from_str(text)
        }
        .map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            let message = e.to_string();
            // serde_yaml appends " at line L column C"; the position is already in front.
            let message = message.split(" at line ").next().unwrap_or(&message);
            ConfigError::Invalid(Diagnostic::error(file, line, column, message))
        })?;
        config.check(file, text)?;
        Ok(config)
    }

    /// The jitter to use: as configured, or a tenth of the interval.
    pub fn jitter(&self) -> Duration {
        self.jitter.unwrap_or(self.interval / 10)
    }

    /// Checks serde cannot express; positions found by the key's first occurrence.
    fn check(&self, file: &str, text: &str) -> Result<(), ConfigError> {
        let fail = |key: &str, message: String, hint: &str| {
            let (line, column) = locate(text, key);
            Err(ConfigError::Invalid(
                Diagnostic::error(file, line, column, message).with_hint(hint),
            ))
        };
        if self.interval.is_zero() {
            return fail(
                "interval",
                "interval must be positive".into(),
                "e.g. `interval: 30s`",
            );
        }
        if self.jitter() >= self.interval {
            return fail(
                "jitter",
                format!(
                    "jitter ({:?}) must be shorter than interval ({:?})",
                    self.jitter(),
                    self.interval
                ),
                "e.g. a tenth of the interval",
            );
        }
        let max = self.ssh.max_sessions_per_host;
        if !(1..=64).contains(&max) {
            return fail(
                "maxSessionsPerHost",
                format!("maxSessionsPerHost must be between 1 and 64, not {max}"),
                "keep it below sshd's MaxSessions (10 by default); 8 is the default",
            );
        }
        if let Some((key, message, hint)) = self.leader_election.as_ref().and_then(|l| l.problem())
        {
            return fail(key, message, hint);
        }
        if let Some((message, hint)) = self.rollout.problem() {
            return fail("concurrency", message, hint);
        }
        if let Some((key, message, hint)) =
            ha::shard_problem(self.shard.as_deref(), self.leader_election.as_ref())
        {
            return fail(key, message, hint);
        }
        if let Some(repo) = &self.repo {
            if repo.url.trim().is_empty() {
                return fail(
                    "url",
                    "repo.url is empty".into(),
                    "an ssh://, https://, file:// URL or a path",
                );
            }
        }
        Ok(())
    }

    /// Checks that every target `policies:` names is one of `known` (the registered
    /// targets); `text` is the file's content, for the position.
    pub fn check_targets(&self, file: &str, text: &str, known: &[&str]) -> Result<(), ConfigError> {
        let Some(bad) = self
            .policies
            .0
            .keys()
            .find(|k| !known.contains(&k.as_str()))
        else {
            return Ok(());
        };
        let (line, column) = locate(text, bad);
        let hint = format!("the targets are {}", known.join(", "));
        Err(ConfigError::Invalid(
            Diagnostic::error(
                file,
                line,
                column,
                format!("policies: unknown target `{bad}`"),
            )
            .with_hint(hint),
        ))
    }

    /// [`Config::load`] and [`Config::check_targets`].
    pub fn load_checked(path: &Path, known: &[&str]) -> Result<Config, ConfigError> {
        let config = Config::load(path)?;
        let text = std::fs::read_to_string(path).unwrap_or_default();
        config.check_targets(&path.display().to_string(), &text, known)?;
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        self.ssh.identity_file.as_mut().map(abs);
        self.ssh.known_hosts.as_mut().map(abs);
        self.ssh.control_dir.as_mut().map(abs);
        self.kubeconfig.as_mut().map(abs);
        self.secrets.age_identity_file.as_mut().map(abs);
        self.webhook_secret_file.as_mut().map(abs);
        self.web.auth_file.as_mut().map(abs);
        self.notify.resolve_paths(abs);
        abs(&mut self.state_dir);
        if let Some(repo) = &mut self.repo {
            let is_url = repo.url.contains("://");
            if !is_url && Path::new(&repo.url).is_relative() {
                repo.url = base.join(&repo.url).display().to_string();
            }
        }
    }
}

/// (line, column) of the first `key:` in the text, 1-based; (0, 0) when absent.
fn locate(text: &str, key: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        if let Some(col) = line.find(&format!("{key}:")) {
            let before = &line[..col];
            if before.trim().is_empty() || before.trim_end().ends_with(['{', ',', '-']) {
                return (i + 1, col + 1);
            }
        }
    }
    (0, 0)
}

#[cfg(test)]
mod tests;
