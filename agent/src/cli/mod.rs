//! Command-line interface: argument parsing and printing, nothing else.
//!
//! Each command parses its arguments and calls one library function (thin commands over a library):
//! `validate` → [`crate::validate::validate`], `render` → [`crate::render::render`].
//! Arguments and the config file are checked before any repository is fetched.
//! Errors become exit codes through one table ([`exit`]).

mod drill;
mod exit;
mod format;
mod history;
mod import;
mod import_args;
mod import_setup;
mod preview;
mod reconcile;
mod render;
mod run;
mod schema_cmd;
mod source_args;
mod status;
mod target_args;
mod trust;
mod validate;
mod via_service;

pub use exit::Exit;
pub use format::{Format, Output};

use crate::config::{Config, ConfigError};
use crate::source::SourceError;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// GitOps reconciliation agent for an on-premises platform: Apache gateway, HAProxy pair
/// with a Pacemaker VIP, Kubernetes workloads. Git is the single source of truth.
#[derive(Debug, Parser)]
#[command(name = "agent", version, after_help = exit::TABLE)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Output format on stdout (markdown: `agent drill` and `agent diff --base`).
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub log_format: Format,
    /// More logging (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The agent's configuration file (repo, SSH key, known_hosts...).
    #[arg(long, global = true, env = "AGENT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a desired-state repo: load, render, run local syntax checks. No SSH, no cluster.
    #[command(after_help = exit::TABLE)]
    Validate(validate::Args),
    /// Print what would be written where: per-host files, CIB fragments, Kubernetes objects.
    #[command(after_help = exit::TABLE)]
    Render(render::Args),
    /// Audit: what differs between Git and the hosts and the cluster, right now. Read-only.
    #[command(after_help = exit::TABLE)]
    Diff(via_service::DiffArgs),
    /// Converge: diff, then apply every change safely (validate, atomic swap, graceful
    /// reload, health check, rollback; standby balancer first).
    #[command(after_help = exit::TABLE)]
    Apply(reconcile::Args),
    /// Adopt a platform built by hand: read the hosts' Apache sites, haproxy.cfg, CIB and
    /// corosync.conf (and Kubernetes namespaces), or backup files with --from, and write
    /// a desired-state repo that means the same, with the round-trip proof.
    #[command(after_help = exit::TABLE)]
    Import(import_args::Args),
    /// Print the JSON Schema of a desired-state kind (for editors), or list the kinds.
    Schema(schema_cmd::Args),
    /// Record a host's SSH key (ssh-keyscan) in the configured known_hosts, after
    /// showing its fingerprint: the deliberate step after a host key changed.
    Trust(trust::Args),
    /// The service: poll the repo (config `repo:`), apply new commits, correct or report
    /// drift per target policy, serve /status, /metrics and the webhook. Stops cleanly on
    /// SIGTERM/SIGINT after the running cycle.
    Run(run::Args),
    /// What the running service reports (its /status endpoint, else its state file).
    Status(status::Args),
    /// The platform's acceptance test, measured: functional, balance, reload and (with
    /// --disruptive) failover checks against the desired state. Changes no configuration.
    #[command(after_help = exit::TABLE)]
    Drill(drill::Args),
    /// The history of cycles (`agent run`, and `agent apply` with a stateDir): list, or
    /// `agent history show ID` for one entry's diffs.
    History(history::Args),
    /// Print the version.
    Version,
}

/// Entry point of the binary: parse, run, map the outcome to an exit code.
pub fn main() -> std::process::ExitCode {
    // Like every Unix filter: a closed pipe (`agent render | head`) ends the process
    // quietly instead of a panic on the next write.
    // SAFETY: called first thing, before any thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            }
            .into();
        }
    };
    init_logging(&cli.global);
    // A few hundred SSH hosts need more descriptors than the usual soft limit (1024).
    if let Some((before, after)) = crate::rlimit::raise_nofile() {
        if before != after {
            tracing::debug!(
                before,
                after,
                "raised the open-file soft limit to the hard limit"
            );
        }
    }
    let format = cli.global.output.format().unwrap_or(Format::Text);
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            let exit = classify(&err);
            report_error(format, exit, &err);
            exit.into()
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Exit> {
    let known = crate::targets::registry::names();
    let config = cli
        .global
        .config
        .as_deref()
        .map(|p| Config::load_checked(p, &known))
        .transpose()?;
    if !matches!(cli.command, Command::Run(_)) {
        // `agent run` chooses its mask key once its state directory exists (cli/run.rs).
        crate::mask::key::init_for(config.as_ref());
    }
    let output = cli.global.output;
    if let Command::Drill(args) = &cli.command {
        return drill::run(args, config.as_ref(), output);
    }
    if let Command::Diff(args) = &cli.command {
        if args.base.is_some() {
            return preview::run(args, config.as_ref(), output);
        }
    }
    let Some(format) = output.format() else {
        eprintln!("error: --output markdown is only supported by `agent drill` and by the PR preview (`agent diff --rev PR --base BASE`)");
        return Ok(Exit::Usage);
    };
    match cli.command {
        Command::Validate(args) => validate::run(&args, config.as_ref(), format),
        Command::Render(args) => render::run(&args, config.as_ref(), format),
        Command::Diff(args) => reconcile::diff(&args, config.as_ref(), format, cli.global.verbose),
        Command::Apply(args) => reconcile::apply(&args, config.as_ref(), format),
        Command::Import(args) => import::run(&args, config.as_ref(), format),
        Command::Schema(args) => schema_cmd::run(&args, format),
        Command::Trust(args) => trust::run(&args, config.as_ref(), format),
        Command::Run(_) => run::run(cli.global.config.as_deref()),
        Command::Status(args) => status::run(&args, config.as_ref(), format),
        Command::History(args) => history::run(&args, config.as_ref(), format),
        Command::Drill(_) => unreachable!("handled above"),
        Command::Version => {
            let version = env!("CARGO_PKG_VERSION");
            match format {
                Format::Text => println!("agent {version}"),
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"name": "agent", "version": version})
                ),
            }
            Ok(Exit::Ok)
        }
    }
}

/// Which exit code an error means.
fn classify(err: &anyhow::Error) -> Exit {
    if err.downcast_ref::<SourceError>().is_some() {
        Exit::Source
    } else if err.downcast_ref::<ConfigError>().is_some() {
        Exit::Config
    } else if err.downcast_ref::<import::UsageError>().is_some() {
        Exit::Usage
    } else {
        Exit::Internal
    }
}

fn report_error(format: Format, exit: Exit, err: &anyhow::Error) {
    let kind = match exit {
        Exit::Source => "source",
        Exit::Config => "config",
        Exit::Usage => "usage",
        _ => "internal",
    };
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"error": {"kind": kind, "message": format!("{err:#}")}, "exitCode": exit.code()})
        ),
        Format::Text => eprintln!("error: {err:#}"),
    }
}

fn init_logging(global: &GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    let level = match global.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match global.log_format {
        Format::Json => builder.json().try_init(),
        Format::Text => builder.try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["agent", "validate", "repo", "--output", "json", "-vv"]).unwrap();
        assert_eq!(cli.global.output, Output::Json);
        assert_eq!(cli.global.verbose, 2);
    }

    #[test]
    fn path_and_repo_exclude_each_other() {
        let err =
            Cli::try_parse_from(["agent", "validate", "dir", "--repo", "file:///r"]).unwrap_err();
        assert!(err.use_stderr());
    }
}
