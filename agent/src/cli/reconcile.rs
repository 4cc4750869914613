//! `agent diff` and `agent apply`: Git → render → observe over SSH and the
//! Kubernetes API → change set → (apply) HA-aware rollout. Thin: argument and
//! output handling around [`crate::engine::Engine`].

use super::exit::Exit;
use super::format::Format;
pub use super::target_args::Args;
use crate::config::Config;
use crate::engine::{Desired, Engine};
use crate::kubeapi::connect;
use crate::plan::ChangeSet;
use crate::report;
use crate::ssh::{Pool, SshConfig, SshRemote};
use crate::targets::target::Settings;
use crate::validate::{prepare_with, Prepared};
use std::io::IsTerminal;

/// Everything a cycle needs, opened from the arguments and the config.
struct Session {
    prepared: Prepared,
    commit: String,
    remote: SshRemote,
    kube: Option<kube::Client>,
    settings: Settings,
}

impl Session {
    fn engine(&self, args: &Args) -> Engine<'_> {
        let mut engine =
            Engine::with_secrets(&self.remote, &self.prepared.state, &self.prepared.secrets);
        engine.kube = self.kube.as_ref();
        engine.select = args.selection();
        engine.settings = self.settings;
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
/// `snapshot`: already read (the automatic `--via-service` check read it).
async fn open(
    args: &Args,
    config: Option<&Config>,
    format: Format,
    apply: bool,
    snapshot: Option<crate::source::Snapshot>,
) -> anyhow::Result<Opened> {
    let keys = super::validate::secret_options(config)?;
    let snapshot = match snapshot {
        Some(s) => s,
        None => args.source.verified_snapshot(config, !apply)?,
    };
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
    let shard = config.and_then(|c| c.shard.as_deref());
    if let Some(w) = crate::shard::unsharded_warning(&prepared.state, shard) {
        tracing::warn!("{w}");
    }
    // The one place a shard applies: everything after sees only the shard's render.
    let prepared = match crate::shard::narrow(prepared, shard) {
        Ok(p) => p,
        Err(why) => {
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"commit": snapshot.commit, "shard": shard, "error": why, "exitCode": Exit::Config.code()})
                ),
                Format::Text => eprintln!("error: {why}: nothing was compared or changed"),
            }
            return Ok(Opened::Invalid(Exit::Config));
        }
    };
    let pool = Pool::new(config.map(SshConfig::from).unwrap_or_default());
    let remote = SshRemote::from_inventory(pool, &prepared.state);
    let select = args.selection();
    let kubeconfig = args
        .kubeconfig
        .clone()
        .or_else(|| config.and_then(|c| c.kubeconfig.clone()));
    let wants_cluster = select.uses_kube(&prepared.rendered);
    let kube =
        if wants_cluster && (kubeconfig.is_some() || std::env::var_os("KUBECONFIG").is_some()) {
            Some(connect(kubeconfig.as_deref()).await?)
        } else {
            None
        };
    Ok(Opened::Ready(Box::new(Session {
        commit: snapshot.commit.clone(),
        prepared,
        remote,
        kube,
        settings: Settings {
            cluster: config.map(|c| c.cluster).unwrap_or_default(),
            preview: false,
            rollout: config.map(|c| c.rollout).unwrap_or_default(),
        },
    })))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn print_diff(cs: &ChangeSet, format: Format, verbose: u8) -> Exit {
    match format {
        Format::Json => println!("{}", report::diff_json(cs)),
        Format::Text => print!(
            "{}",
            report::diff_text(cs, std::io::stdout().is_terminal(), verbose > 0)
        ),
    }
    exit_of(cs)
}

pub fn diff(
    via: &super::via_service::DiffArgs,
    config: Option<&Config>,
    format: Format,
    verbose: u8,
) -> anyhow::Result<Exit> {
    use super::via_service::{ask, may_ask};
    use std::time::Duration;
    let args = &via.common;
    let targets: Vec<&str> = args.targets.iter().map(String::as_str).collect();
    runtime()?.block_on(async {
        if via.via_service {
            let config = config.ok_or_else(|| anyhow::anyhow!("--via-service needs --config FILE (or AGENT_CONFIG) to find the service"))?;
            let cs = ask(config, &targets, verbose > 0, None, Duration::from_secs(3), Duration::from_secs(600)).await?;
            return Ok(print_diff(&cs, format, verbose));
        }
        let mut snapshot = None;
        if let Some(c) = config.filter(|_| may_ask(via, config)) {
            let snap = args.source.verified_snapshot(config, true)?;
            match ask(c, &targets, verbose > 0, Some(&snap.commit), Duration::from_millis(300), Duration::from_secs(600)).await {
                Ok(cs) => {
                    tracing::info!(commit = %snap.commit, "diff computed by the running service (its warm connections)");
                    return Ok(print_diff(&cs, format, verbose));
                }
                Err(e) => tracing::info!("diffing directly: {e}"),
            }
            snapshot = Some(snap);
        }
        let s = match open(args, config, format, false, snapshot).await? {
            Opened::Ready(s) => s,
            Opened::Invalid(e) => return Ok(e),
        };
        let (mut engine, d) = (s.engine(args), s.desired());
        engine.settings.preview = verbose > 0;
        let cs = engine.diff(&d).await;
        s.remote.pool.close().await;
        Ok(print_diff(&cs, format, verbose))
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
        let s = match open(args, config, format, true, None).await? {
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
        let record = super::history::ApplyRecord::begin(config, &s.commit);
        let rep = engine.apply(&d, &progress).await;
        if let Some(r) = record {
            r.finish(&rep, args.target_names(), &engine.masker);
        }
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
