//! `agent drill`: the platform's acceptance test on demand. Thin: arguments, the
//! refusal of disruptive checks without `--disruptive` (before anything is read or
//! contacted), opening the desired state and SSH, printing the report
//! ([`crate::drill`] does the work).

use super::exit::Exit;
use super::format::Output;
use super::source_args::SourceArgs;
use crate::config::Config;
use crate::drill::report::{CheckName, DrillReport};
use crate::drill::{Drill, DrillOptions};
use crate::ssh::{Pool, SshRemote};
use crate::validate::prepare_with;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Checks to run, comma-separated (default: functional,balance,reload; with
    /// --disruptive and no --checks, failover too).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CHECKS")]
    pub checks: Vec<CheckName>,
    /// Allow checks that disturb the service on purpose (failover puts the VIP holder
    /// in standby, then brings it back).
    #[arg(long)]
    pub disruptive: bool,
    /// Kubernetes client configuration for the workload replicas
    /// (default: the agent config's `kubeconfig`, else $KUBECONFIG).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// balance: requests without cookies, each on a new connection.
    #[arg(long, default_value_t = 600, value_name = "N")]
    pub requests: usize,
    /// balance: clients that keep their cookie (5 requests each).
    #[arg(long, default_value_t = 10, value_name = "M")]
    pub sticky_clients: usize,
    /// reload, failover: one probe request every this many milliseconds.
    #[arg(long, default_value_t = 50, value_name = "MS")]
    pub probe_interval: u64,
    /// reload: how many times the whole HA-ordered reload sequence runs.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub reload_rounds: usize,
    /// One request's timeout in milliseconds: a slower answer counts as failed.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub request_timeout: u64,
    /// reload: one probe request's timeout in milliseconds (an Apache graceful restart
    /// may hold a new connection for up to about a second: late, not lost).
    #[arg(long, default_value_t = 3000, value_name = "MS")]
    pub reload_timeout: u64,
    /// failover: the outage goal in milliseconds.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub max_outage: u64,
}

impl Args {
    fn checks(&self) -> Vec<CheckName> {
        if !self.checks.is_empty() {
            return self.checks.clone();
        }
        let mut c = DrillOptions::default().checks;
        if self.disruptive {
            c.push(CheckName::Failover);
        }
        c
    }

    fn options(&self) -> DrillOptions {
        DrillOptions {
            checks: self.checks(),
            disruptive: self.disruptive,
            balance_requests: self.requests,
            sticky_clients: self.sticky_clients,
            probe_interval: Duration::from_millis(self.probe_interval.max(5)),
            reload_rounds: self.reload_rounds,
            max_outage: Duration::from_millis(self.max_outage),
            request_timeout: Duration::from_millis(self.request_timeout.max(10)),
            reload_timeout: Duration::from_millis(self.reload_timeout.max(10)),
            ..DrillOptions::default()
        }
    }
}

pub fn run(args: &Args, config: Option<&Config>, output: Output) -> anyhow::Result<Exit> {
    let refused: Vec<&str> = args
        .checks()
        .into_iter()
        .filter(|c| c.disruptive() && !args.disruptive)
        .map(CheckName::as_str)
        .collect();
    if !refused.is_empty() {
        let message = format!(
            "refused: {} disturbs the service on purpose (the VIP holder goes to standby); \
             run again with --disruptive to allow it. Nothing was run.",
            refused.join(", ")
        );
        match output {
            Output::Json => println!(
                "{}",
                serde_json::json!({"refused": refused, "message": message, "exitCode": Exit::Refused.code()})
            ),
            _ => eprintln!("agent drill: {message}"),
        }
        return Ok(Exit::Refused);
    }
    let keys = super::validate::secret_options(config)?;
    let snapshot = args.source.verified_snapshot(config, true)?;
    let prepared = match prepare_with(&snapshot, &keys) {
        Ok(p) => p,
        Err(diags) => {
            for d in &diags {
                eprintln!("{d}");
            }
            eprintln!("invalid desired state at {}: no drill", snapshot.commit);
            return Ok(Exit::Invalid);
        }
    };
    let masker = crate::secrets::masking::masker_for(&prepared.state, &prepared.secrets);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = std::time::Instant::now();
    let report = runtime.block_on(async {
        let remote = SshRemote::from_inventory(
            Pool::new(config.map(crate::ssh::SshConfig::from).unwrap_or_default()),
            &prepared.state,
        );
        let progress = |line: &str| {
            tracing::info!("{line}");
            if output == Output::Text {
                eprintln!("{line}");
            }
        };
        let mut drill = Drill::new(
            &remote,
            &prepared.state,
            &prepared.rendered,
            args.options(),
            &progress,
        );
        drill.k8s = kube_client(args, config, &prepared.rendered).await?;
        let report = drill.run(&snapshot.commit).await;
        remote.pool.close().await;
        anyhow::Ok(report)
    })?;
    record_in_history(config, &report, &masker, started.elapsed());
    let exit = if report.ok() {
        Exit::Ok
    } else {
        Exit::GoalMissed
    };
    let text = match output {
        Output::Json => serde_json::to_string_pretty(&report.json(exit.code()))? + "\n",
        Output::Markdown => report.markdown(),
        Output::Text => report.text(),
    };
    print!("{}", masker.mask(&text));
    Ok(exit)
}

/// A client for the workload replicas, when workloads are declared and a cluster is
/// configured; `None` otherwise (their goals are then shown as skipped).
async fn kube_client(
    args: &Args,
    config: Option<&Config>,
    rendered: &crate::rendered::Rendered,
) -> anyhow::Result<Option<kube::Client>> {
    let path = args
        .kubeconfig
        .clone()
        .or_else(|| config.and_then(|c| c.kubeconfig.clone()));
    if rendered.objects.is_empty() || (path.is_none() && std::env::var_os("KUBECONFIG").is_none()) {
        return Ok(None);
    }
    let config = match path {
        Some(p) => {
            let kc = kube::config::Kubeconfig::read_from(&p)?;
            kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?
        }
        None => kube::Config::infer().await?,
    };
    Ok(Some(kube::Client::try_from(config)?))
}

/// HISTORY HOOK (issue #14 → the SQLite history of `agent/src/history/`): store the
/// drill's report when a history is configured. No history exists in this build yet,
/// so nothing is stored; the report is only printed.
fn record_in_history(
    config: Option<&Config>,
    report: &DrillReport,
    masker: &crate::mask::Masker,
    took: std::time::Duration,
) {
    use crate::history::{History, HistoryCause, Item, ItemKind, Record, Source};
    let Some(c) = config.filter(|c| c.history.enabled) else {
        return;
    };
    let items = report
        .checks
        .iter()
        .map(|ck| Item {
            kind: ItemKind::Check,
            target: "drill".into(),
            host: None,
            object: ck.check.as_str().into(),
            action: ck.verdict.label().to_ascii_lowercase(),
            diff: None,
            notes: std::iter::once(format!("goal: {}", ck.goal))
                .chain(
                    ck.expectations
                        .iter()
                        .filter(|e| e.verdict != crate::drill::report::Verdict::Pass)
                        .map(|e| format!("{}: {} (goal {})", e.what, e.measured, e.goal)),
                )
                .collect(),
            message: ck.measured.clone(),
        })
        .collect();
    let record = Record::of_items(&report.commit, vec!["drill".into()], items, masker, took);
    let stored = History::open(&c.state_dir, c.history.retention()).and_then(|mut h| {
        let id = h.begin(Source::Drill, HistoryCause::Manual, &report.commit)?;
        h.finish(id, &record)
    });
    if let Err(e) = stored {
        tracing::warn!("history: this drill is not recorded: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command};
    use super::*;
    use crate::drill::report::{CheckReport, Expectation, Verdict};
    use clap::Parser;

    #[test]
    fn a_drill_is_recorded_in_the_history_masked() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = format!("stateDir: {}\n", dir.path().display());
        let config = Config::parse("agent.yaml", &yaml).unwrap();
        let mut masker = crate::mask::Masker::new("k");
        masker.add_secret("s3cr3t-stats");
        let report = DrillReport {
            commit: "c0ffee".into(),
            started_at: 0,
            corosync_token_ms: Some(1000),
            checks: vec![CheckReport {
                check: CheckName::Functional,
                goal: "every route answers".into(),
                measured: "21/22 hold".into(),
                verdict: Verdict::Fail,
                expectations: vec![Expectation::new(
                    "stats page with s3cr3t-stats",
                    "200",
                    "401",
                    false,
                )],
                seconds: 0.2,
                details: serde_json::Value::Null,
            }],
            requests: 30,
            notes: vec![],
        };
        record_in_history(
            Some(&config),
            &report,
            &masker,
            std::time::Duration::from_millis(5),
        );
        let h = crate::history::History::open_existing(dir.path()).unwrap();
        let entries = h
            .list(&crate::history::Filter {
                limit: 10,
                with_items: true,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e.source, crate::history::Source::Drill);
        assert_eq!(e.items[0].kind, crate::history::ItemKind::Check);
        assert_eq!(
            (e.items[0].object.as_str(), e.items[0].action.as_str()),
            ("functional", "fail")
        );
        let all = format!("{:?}", e.items);
        assert!(
            all.contains("21/22 hold") && !all.contains("s3cr3t-stats"),
            "{all}"
        );
    }

    fn args(argv: &[&str]) -> Args {
        let mut all = vec!["agent", "drill"];
        all.extend_from_slice(argv);
        match Cli::try_parse_from(all).unwrap().command {
            Command::Drill(a) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn failover_runs_only_when_asked_and_allowed() {
        use CheckName::*;
        assert_eq!(args(&[]).checks(), [Functional, Balance, Reload]);
        assert_eq!(
            args(&["--disruptive"]).checks(),
            [Functional, Balance, Reload, Failover]
        );
        assert_eq!(
            args(&["--checks", "failover,balance"]).checks(),
            [Failover, Balance]
        );
        let o = args(&[
            "--checks",
            "reload",
            "--probe-interval",
            "20",
            "--reload-rounds",
            "3",
        ])
        .options();
        assert_eq!((o.probe_interval.as_millis(), o.reload_rounds), (20, 3));
        // Refused before the config or the repository is even read.
        let exit = run(
            &args(&["--checks", "failover", "/nonexistent"]),
            None,
            Output::Text,
        )
        .unwrap();
        assert_eq!(exit, Exit::Refused);
    }

    #[test]
    fn markdown_is_accepted_for_the_drill_only() {
        let cli = Cli::try_parse_from(["agent", "drill", "--output", "markdown"]).unwrap();
        assert_eq!(cli.global.output, Output::Markdown);
        assert_eq!(Output::Markdown.format(), None);
    }
}
