//! `agent trust HOST`: the one deliberate way a host's (new) SSH key becomes trusted.
//!
//! Reads the inventory from the same source as `validate`, asks the host for its
//! ed25519 key (`ssh-keyscan`), shows the fingerprint next to what the configured
//! known_hosts holds, and records it (atomically, replacing that host's entries) only
//! with `--yes` or after a "yes" typed on a terminal. Exit 0: recorded or already
//! trusted; 1: not recorded (no confirmation); 6: the host could not be scanned.

use super::exit::Exit;
use super::format::Format;
use super::source_args::SourceArgs;
use crate::config::{Config, ConfigError};
use crate::secrets::{unseal, Missing};
use crate::trust::hostkey::{fingerprint, host_pattern, record_host_key};
use schema::Diagnostic;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::Command;

const KEY_TYPE: &str = "ssh-ed25519";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Inventory name of the host.
    pub host: String,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Record without asking.
    #[arg(long)]
    pub yes: bool,
    /// known_hosts file to update (default: the agent config's ssh.knownHosts).
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Give up on the scan after this many seconds.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    pub scan_timeout: u64,
}

pub fn run(args: &Args, config: Option<&Config>, format: Format) -> anyhow::Result<Exit> {
    let known_hosts = args
        .known_hosts
        .clone()
        .or_else(|| config.and_then(|c| c.ssh.known_hosts.clone()))
        .ok_or_else(|| {
            ConfigError::Invalid(
                Diagnostic::error("", 0, 0, "no known_hosts file to record the key in")
                    .with_hint("set ssh.knownHosts in the agent config, or pass --known-hosts"),
            )
        })?;
    let snapshot = args.source.snapshot(config)?;
    // Only the inventory is needed: encrypted values stay encrypted (placeholders).
    let files = unseal(&snapshot.files, &[], Missing::Placeholder).files;
    let state = match schema::load_files(&files) {
        Ok(s) => s,
        Err(d) => {
            for d in d.0 {
                eprintln!("{d}");
            }
            return Ok(Exit::Invalid);
        }
    };
    let Some(host) = state.hosts().iter().find(|h| h.name == args.host) else {
        let names: Vec<_> = state.hosts().iter().map(|h| h.name.as_str()).collect();
        eprintln!(
            "error: no host `{}` in the inventory (hosts: {})",
            args.host,
            names.join(", ")
        );
        return Ok(Exit::Usage);
    };
    let defaults = &state
        .inventory
        .as_ref()
        .expect("has hosts")
        .doc
        .spec
        .defaults;
    let (addr, port) = (host.address.as_str(), host.ssh_port(defaults));
    let pattern = host_pattern(addr, port);
    let scan = match keyscan(addr, port, args.scan_timeout) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: ssh-keyscan of {pattern} failed: {e}", args.host);
            return Ok(Exit::TargetFailed);
        }
    };
    let presented = scan
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() >= 3 && f[1] == KEY_TYPE)
        .map(|f| format!("{} {}", f[1], f[2]));
    let Some(presented) = presented else {
        eprintln!(
            "error: {}: {pattern} presented no {KEY_TYPE} key",
            args.host
        );
        return Ok(Exit::TargetFailed);
    };
    let new_fp = fingerprint(&presented)?;
    let known = known_fingerprints(&known_hosts, &pattern);
    let already = known.contains(&new_fp);
    let say = |line: String| {
        if format == Format::Text {
            println!("{line}");
        }
    };
    say(format!(
        "{} ({pattern}) presents {KEY_TYPE} {new_fp}",
        args.host
    ));
    match known.as_slice() {
        [] => say(format!(
            "{} has no entry for {pattern}",
            known_hosts.display()
        )),
        fps => say(format!(
            "{} holds for {pattern}: {}",
            known_hosts.display(),
            fps.join(", ")
        )),
    }
    if let Some(pin) = &host.host_key {
        if fingerprint(pin).ok().as_deref() != Some(new_fp.as_str()) {
            say(format!(
                "note: the inventory pins hostKey of {} to another key; update it in Git too",
                args.host
            ));
        }
    }
    let recorded = if already {
        say("already trusted; nothing to do".into());
        true
    } else if args.yes || confirm(&args.host, &new_fp)? {
        let r = record_host_key(&known_hosts, addr, port, KEY_TYPE, &scan)?;
        say(format!(
            "recorded {} for {} in {} (replaced {} old entr{})",
            r.fingerprint,
            r.host,
            known_hosts.display(),
            r.replaced,
            if r.replaced == 1 { "y" } else { "ies" }
        ));
        true
    } else {
        say("not recorded (confirm with --yes)".into());
        false
    };
    if format == Format::Json {
        println!(
            "{}",
            serde_json::json!({
                "host": args.host, "address": pattern, "fingerprint": new_fp,
                "known": known, "recorded": recorded && !already, "trusted": recorded,
            })
        );
    }
    Ok(if recorded {
        Exit::Ok
    } else {
        Exit::Differences
    })
}

/// `ssh-keyscan -t ed25519 -p PORT ADDR` output.
fn keyscan(addr: &str, port: u16, timeout: u64) -> Result<String, String> {
    let out = Command::new("ssh-keyscan")
        .args(["-T", &timeout.max(1).to_string(), "-t", "ed25519", "-p"])
        .arg(port.to_string())
        .arg(addr)
        .output()
        .map_err(|e| format!("cannot run ssh-keyscan: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.trim().is_empty() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(if err.trim().is_empty() {
            "no answer".into()
        } else {
            err.trim().to_string()
        });
    }
    Ok(text)
}

/// Fingerprints of the plain entries naming `pattern` in `known_hosts`.
fn known_fingerprints(known_hosts: &std::path::Path, pattern: &str) -> Vec<String> {
    let text = std::fs::read_to_string(known_hosts).unwrap_or_default();
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with('#')
                && !t.starts_with('|')
                && t.split_whitespace()
                    .next()
                    .is_some_and(|h| h.split(',').any(|h| h == pattern))
        })
        .filter_map(|l| fingerprint(l).ok())
        .collect()
}

/// Asks on the terminal; `false` without one.
fn confirm(host: &str, fp: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("trust {fp} for {host}? type yes to record: ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}
