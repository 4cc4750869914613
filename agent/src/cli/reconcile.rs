//! `agent diff` and `agent apply`: Git → render → observe over SSH and the
//! Kubernetes API → change set → (apply) HA-aware rollout. Thin: argument and
//! output handling around [`crate::engine::Engine`].

use super::source_args::SourceArgs;
use super::{Exit, Format};
use crate::config::Config;
use crate::engine::{Desired, Engine, Selection};
use crate::plan::ChangeSet;
use crate::report;
use crate::ssh::{Pool, SshRemote};
use crate::targets::k8s::{K8sOptions, K8sTarget};
use crate::validate::{prepare_with, Prepared};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Only these targets (repeatable; default: all).
    #[arg(long = "target", value_enum, value_name = "TARGET")]
    pub targets: Vec<TargetArg>,
    /// Kubernetes client configuration for the workloads target
    /// (default: the agent config's `kubeconfig`, else $KUBECONFIG).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetArg {
    Gateway,
    Balancer,
    Cluster,
    Workloads,
}

impl Args {
    fn selection(&self) -> Selection {
        if self.targets.is_empty() {
            return Selection::default();
        }
        Selection {
            gateway: self.targets.contains(&TargetArg::Gateway),
            balancer: self.targets.contains(&TargetArg::Balancer),
            cluster: self.targets.contains(&TargetArg::Cluster),
            workloads: self.targets.contains(&TargetArg::Workloads),
        }
    }
}

/// Everything a cycle needs, opened from the arguments and the config.
struct Session {
    prepared: Prepared,
    commit: String,
    remote: SshRemote,
    k8s: Option<K8sTarget>,
    cluster_policy: crate::targets::cluster::ClusterPolicy,
}

impl Session {
    fn engine(&self, args: &Args) -> Engine<'_, SshRemote> {
        let mut engine =
            Engine::with_secrets(&self.remote, &self.prepared.state, &self.prepared.secrets);
        engine.k8s = self.k8s.as_ref();
        engine.select = args.selection();
        engine.cluster_policy = self.cluster_policy;
        engine
    }

    fn desired(&self) -> Desired<'_> {
        Desired {
            commit: &self.commit,
            state: &self.prepared.state,
            rendered: &self.prepared.rendered,
        }
    }
}

enum Opened {
    Ready(Box<Session>),
    Invalid(Exit),
}

/// `apply`: files on disk (no commit) are refused when signed commits are required.
async fn open(
    args: &Args,
    config: Option<&Config>,
    format: Format,
    apply: bool,
) -> anyhow::Result<Opened> {
    let keys = super::validate::secret_options(config)?;
    let snapshot = args.source.verified_snapshot(config, !apply)?;
    let prepared = match prepare_with(&snapshot, &keys) {
        Ok(p) => p,
        Err(diags) => {
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"valid": false, "commit": snapshot.commit, "errors": diags, "exitCode": Exit::Invalid.code()})
                ),
                Format::Text => {
                    for d in &diags {
                        eprintln!("{d}");
                    }
                    eprintln!(
                        "invalid desired state at {}: nothing was compared or changed",
                        snapshot.commit
                    );
                }
            }
            return Ok(Opened::Invalid(Exit::Invalid));
        }
    };
    let pool = Pool::new(ssh_config(config));
    let remote = SshRemote::from_inventory(pool, &prepared.state);
    let select = args.selection();
    let kubeconfig = args
        .kubeconfig
        .clone()
        .or_else(|| config.and_then(|c| c.kubeconfig.clone()));
    let wants_cluster = select.workloads && !prepared.rendered.objects.is_empty();
    let k8s = if wants_cluster && (kubeconfig.is_some() || std::env::var_os("KUBECONFIG").is_some())
    {
        Some(
            K8sTarget::connect(
                kubeconfig.as_deref(),
                K8sOptions {
                    source: snapshot.commit.clone(),
                    ..Default::default()
                },
            )
            .await?,
        )
    } else {
        None
    };
    Ok(Opened::Ready(Box::new(Session {
        commit: snapshot.commit.clone(),
        prepared,
        remote,
        k8s,
        cluster_policy: config.map(|c| c.cluster.policy()).unwrap_or_default(),
    })))
}

/// SSH settings from the agent config (defaults without one).
pub fn ssh_config(config: Option<&Config>) -> crate::ssh::SshConfig {
    let mut s = crate::ssh::SshConfig::default();
    if let Some(c) = config {
        s.identity_file = c.ssh.identity_file.clone();
        s.known_hosts = c.ssh.known_hosts.clone();
        s.user = c.ssh.user.clone();
        s.connect_timeout = c.ssh.connect_timeout;
        s.max_sessions_per_host = c.ssh.max_sessions_per_host as usize;
        s.kex_algorithms = c.ssh.kex_algorithms.clone();
        s.persist = c.ssh.persist;
        if s.persist.is_some() {
            s.control_dir = c
                .ssh
                .control_dir
                .clone()
                .unwrap_or_else(|| c.state_dir.join("ssh"));
        }
    }
    s
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

pub fn diff(
    args: &Args,
    config: Option<&Config>,
    format: Format,
    verbose: u8,
) -> anyhow::Result<Exit> {
    runtime()?.block_on(async {
        let s = match open(args, config, format, false).await? {
            Opened::Ready(s) => s,
            Opened::Invalid(e) => return Ok(e),
        };
        let (mut engine, d) = (s.engine(args), s.desired());
        engine.preview = verbose > 0;
        let cs = engine.diff(&d).await;
        s.remote.pool.close().await;
        match format {
            Format::Json => println!("{}", report::diff_json(&cs)),
            Format::Text => print!(
                "{}",
                report::diff_text(&cs, std::io::stdout().is_terminal(), verbose > 0)
            ),
        }
        Ok(exit_of(&cs))
    })
}

fn exit_of(cs: &ChangeSet) -> Exit {
    match cs.exit_code() {
        0 => Exit::Ok,
        1 => Exit::Differences,
        _ => Exit::TargetFailed,
    }
}

pub fn apply(args: &Args, config: Option<&Config>, format: Format) -> anyhow::Result<Exit> {
    runtime()?.block_on(async {
        let s = match open(args, config, format, true).await? {
            Opened::Ready(s) => s,
            Opened::Invalid(e) => return Ok(e),
        };
        let (engine, d) = (s.engine(args), s.desired());
        let progress = |line: &str| {
            tracing::info!(commit = %s.commit, "{line}");
            if format == Format::Text {
                eprintln!("{line}");
            }
        };
        let rep = engine.apply(&d, &progress).await;
        s.remote.pool.close().await;
        match format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&rep)?),
            Format::Text => print!("{}", report::apply_text(&rep)),
        }
        Ok(if rep.exit_code() == 0 {
            Exit::Ok
        } else {
            Exit::TargetFailed
        })
    })
}
