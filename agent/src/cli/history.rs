//! `agent history`: the cycles recorded in `<stateDir>/history.db`, newest first
//! (`--target`, `--since`, `--limit`), and `agent history show ID`: one entry with its
//! masked diffs. Read-only; works while the service runs (WAL readers do not block it).

use super::exit::Exit;
use super::format::Format;
use crate::config::Config;
use crate::history::{time, Entry, EntryState, Filter, History};
use anyhow::Context;
use std::fmt::Write;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub show: Option<Show>,
    /// Only entries where something happened to this target (a change, drift, an error).
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,
    /// Only entries since then: a duration ago (`30m`, `2h`, `7d`) or a UTC date
    /// (`2026-12-01`, `2026-12-01T10:00`).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// At most this many entries.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

#[derive(Debug, clap::Subcommand)]
pub enum Show {
    /// One entry with every change's diff, host step, error and health line.
    Show { id: i64 },
}

pub fn run(args: &Args, config: Option<&Config>, format: Format) -> anyhow::Result<Exit> {
    let dir = config.map_or_else(
        || std::path::PathBuf::from("/var/lib/agent"),
        |c| c.state_dir.clone(),
    );
    let h = History::open_existing(&dir)?;
    if let Some(Show::Show { id }) = args.show {
        let e = h.show(id)?;
        match format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&e)?),
            Format::Text => print!("{}", show_text(&e)),
        }
        return Ok(Exit::Ok);
    }
    let since_ms = args
        .since
        .as_deref()
        .map(|s| time::parse_since(s, time::now_ms()))
        .transpose()
        .map_err(anyhow::Error::msg)
        .context("--since")?;
    let f = Filter {
        target: args.target.clone(),
        since_ms,
        limit: args.limit,
        ..Default::default()
    };
    let entries = h.list(&f)?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"total": h.count(&f)?, "entries": entries})
            )?
        ),
        Format::Text => {
            for e in &entries {
                println!("{}", line(e));
            }
            if entries.is_empty() {
                println!("no entries");
            }
        }
    }
    Ok(Exit::Ok)
}

/// `#12  2026-12-02 03:04:05Z  drift    abcdef123456  balancer:ready ...`.
pub fn line(e: &Entry) -> String {
    let state = match e.state {
        EntryState::Finished => "",
        EntryState::Running => " RUNNING",
        EntryState::Interrupted => " INTERRUPTED",
    };
    let targets: Vec<String> = e
        .targets
        .iter()
        .map(|(t, r)| format!("{t}:{}", r.as_str()))
        .collect();
    let mut s = format!(
        "#{:<5} {} {:<7} {:<12}{state}  {}  {} applied, {} drift, {} failed",
        e.id,
        time::format_ms(e.started),
        e.cause.as_str(),
        e.commit.chars().take(12).collect::<String>(),
        targets.join(" "),
        e.applied,
        e.drift,
        e.errors
    );
    if let Some(ms) = e.duration_ms {
        let _ = write!(s, ", {ms} ms");
    }
    if e.repeats > 1 {
        let _ = write!(
            s,
            " (x{} until {})",
            e.repeats,
            e.finished.map(time::format_ms).unwrap_or_default()
        );
    }
    match e.source {
        crate::history::Source::Apply => s.push_str(" [agent apply]"),
        crate::history::Source::Drill => s.push_str(" [agent drill]"),
        crate::history::Source::Run => {}
    }
    s
}

pub fn show_text(e: &Entry) -> String {
    let mut o = format!("{}\ncommit {}\n", line(e), e.commit);
    if e.state == EntryState::Interrupted {
        o.push_str("interrupted: the agent was stopped mid-cycle; what it did is not recorded\n");
    }
    for i in &e.items {
        let _ = write!(
            o,
            "  {:<8} {:<9} {:<6} {} {}",
            i.kind.as_str(),
            i.target,
            i.host.as_deref().unwrap_or("(cluster)"),
            i.object,
            i.action
        );
        if !i.message.is_empty() {
            let _ = write!(o, ": {}", i.message);
        }
        o.push('\n');
        for n in &i.notes {
            let _ = writeln!(o, "      note: {n}");
        }
        if let Some(d) = &i.diff {
            for l in d.trim_end().lines() {
                let _ = writeln!(o, "      {l}");
            }
        }
    }
    o
}

/// `agent apply` writes its run into the history of the configured state directory
/// (the service's, when one runs there: the database takes concurrent writers). A
/// history that cannot be opened is a warning, never a failed apply.
pub struct ApplyRecord {
    history: History,
    id: i64,
    started: std::time::Instant,
}

impl ApplyRecord {
    pub fn begin(config: Option<&Config>, commit: &str) -> Option<ApplyRecord> {
        let c = config.filter(|c| c.history.enabled)?;
        let opened = History::open(&c.state_dir, c.history.retention()).and_then(|mut h| {
            let id = h.begin(
                crate::history::Source::Apply,
                crate::history::HistoryCause::Manual,
                commit,
            )?;
            Ok(ApplyRecord {
                history: h,
                id,
                started: std::time::Instant::now(),
            })
        });
        opened
            .map_err(|e| tracing::warn!("history: this apply is not recorded: {e}"))
            .ok()
    }

    pub fn finish(
        mut self,
        rep: &crate::outcome::ApplyReport,
        targets: Vec<String>,
        masker: &crate::mask::Masker,
    ) {
        let mut out = crate::run::Outcome {
            commit: rep.plan.commit.clone(),
            targets,
            ..Default::default()
        };
        crate::run::ssh::absorb_apply(&mut out, rep);
        let record = crate::history::Record::of(&out, masker, self.started.elapsed());
        if let Err(e) = self.history.finish(self.id, &record) {
            tracing::warn!("history: this apply is not recorded: {e}");
        }
    }
}
