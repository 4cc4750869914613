//! `haproxy -c -f` on each distinct rendered haproxy.cfg.

use super::tool::{diag, distinct, rendered_line, run, where_, LocalCheck, Tools};
use crate::rendered::{ManagedFile, Rendered};
use crate::targets::balancer::render::NAME as BALANCER;
use schema::DesiredState;
use schema::Diagnostic;
use std::path::Path;
use std::process::Command;

pub(super) fn check(
    rendered: &Rendered,
    tools: &Tools,
    base: &Path,
    state: Option<&DesiredState>,
) -> LocalCheck {
    let mut out = LocalCheck::default();
    let groups = distinct(rendered, BALANCER);
    if groups.is_empty() {
        return out;
    }
    let Some(haproxy) = &tools.haproxy else {
        out.skipped.push("haproxy".into());
        return out;
    };
    for (i, group) in groups.iter().enumerate() {
        let f = group[0];
        let staged = base.join(format!("haproxy-{i}.cfg"));
        let at = where_(group);
        if let Err(e) = std::fs::write(&staged, &f.content) {
            out.problems.push(diag(
                state,
                &f.source,
                false,
                format!("haproxy -c did not run for {at}: {e}"),
            ));
            continue;
        }
        out.checked.push(format!("haproxy -c: {at}"));
        match run(Command::new(haproxy).arg("-c").arg("-f").arg(&staged)) {
            Err(e) => out.problems.push(diag(
                state,
                &f.source,
                false,
                format!("haproxy -c did not run for {at}: {e}"),
            )),
            Ok((ok, text)) => {
                let staged_name = staged.to_string_lossy().into_owned();
                out.problems
                    .extend(haproxy_messages(&text, ok, &staged_name, f, &at, state));
            }
        }
    }
    out
}

/// `[ALERT] (123) : config : parsing [/tmp/x.cfg:5] : unknown keyword ...` → diagnostics.
fn haproxy_messages(
    text: &str,
    ok: bool,
    staged: &str,
    f: &ManagedFile,
    at: &str,
    state: Option<&DesiredState>,
) -> Vec<Diagnostic> {
    let mut v = Vec::new();
    for l in text.lines() {
        let error = l.starts_with("[ALERT]");
        if !error && !l.starts_with("[WARNING]") {
            continue;
        }
        // Summary lines repeat what the specific ones said.
        if l.contains("Error(s) found in configuration file") || l.contains("Fatal errors found") {
            continue;
        }
        let msg = l.splitn(3, " : ").nth(2).unwrap_or(l).trim();
        let msg = msg.strip_prefix("config : ").unwrap_or(msg);
        let lineno = msg
            .find(&format!("[{staged}:"))
            .and_then(|p| msg[p + staged.len() + 2..].split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        let msg = msg.replace(staged, at);
        // The line is quoted below; drop haproxy's own `parsing [file:N] : `.
        let msg = match msg
            .strip_prefix("parsing [")
            .and_then(|r| r.split_once("] : "))
        {
            Some((_, rest)) => rest.to_string(),
            None => msg,
        };
        let text = match lineno.and_then(|n| rendered_line(&f.content, n).map(|t| (n, t))) {
            Some((n, t)) => format!("haproxy -c rejects {at} line {n} `{t}`: {msg}"),
            None => format!("haproxy -c on {at}: {msg}"),
        };
        v.push(diag(state, &f.source, error, text));
    }
    if !ok && !v.iter().any(Diagnostic::is_error) {
        let msg = text.replace(staged, at);
        v.push(diag(
            state,
            &f.source,
            true,
            format!("haproxy -c rejects {at}: {}", msg.trim()),
        ));
    }
    v
}
