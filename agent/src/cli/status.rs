//! `agent status`: what the service reports, for humans (or `--output json`). Asks the
//! running service (`GET /status` on the config's `listen`); when it does not answer,
//! reads the state file it left in `stateDir` and says so.

use super::exit::Exit;
use super::format::Format;
use crate::config::Config;
use crate::run::status::{Status, Sync};
use anyhow::Context;
use std::fmt::Write;
use std::net::SocketAddr;

#[derive(Debug, clap::Args)]
pub struct Args {}

fn ask(listen: SocketAddr, auth: Option<String>) -> Option<Status> {
    // A wildcard listen address is reached on loopback.
    let addr = super::via_service::service_addr(listen);
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async {
        let req = crate::run::http::request(addr, "GET", "/status", &headers, b"");
        let (code, body) = tokio::time::timeout(std::time::Duration::from_secs(3), req)
            .await
            .ok()?
            .ok()?;
        (code == 200)
            .then(|| serde_json::from_str(&body).ok())
            .flatten()
    })
}

pub fn run(_args: &Args, config: Option<&Config>, format: Format) -> anyhow::Result<Exit> {
    let config = config
        .context("`agent status` needs --config FILE (or AGENT_CONFIG) to find the service")?;
    let (status, live) = match ask(config.listen, crate::web::auth::client_header(config)) {
        Some(s) => (s, true),
        None => {
            let s = Status::load(&config.state_dir).with_context(|| {
                format!(
                    "the service does not answer on {} and has no state file in {}",
                    config.listen,
                    config.state_dir.display()
                )
            })?;
            (s, false)
        }
    };
    match format {
        Format::Json => println!("{}", serde_json::json!({"live": live, "status": status})),
        Format::Text => print!("{}", text(&status, live)),
    }
    let failed = status.targets.values().any(|t| t.sync == Sync::Failed);
    Ok(if failed { Exit::TargetFailed } else { Exit::Ok })
}

fn ago(at: u64) -> String {
    let now = crate::run::status::unix_now();
    match now.checked_sub(at) {
        Some(s) => format!("{s}s ago"),
        None => format!("in {}s", at - now),
    }
}

/// The human rendering.
pub fn text(s: &Status, live: bool) -> String {
    let mut o = String::new();
    let short = |c: &Option<String>| {
        c.as_deref()
            .map_or("-".to_string(), |c| c.chars().take(12).collect())
    };
    if !live {
        let _ = writeln!(o, "service not answering: last state written by it");
    }
    let _ = writeln!(o, "repo      {}", s.repo);
    if let Some(shard) = &s.shard {
        let _ = writeln!(o, "shard     {shard} (only its hosts)");
    }
    let _ = writeln!(o, "seen      {}", short(&s.commit_seen));
    let _ = writeln!(o, "enforcing {}", short(&s.commit_desired));
    let _ = writeln!(o, "applied   {}", short(&s.commit_applied));
    if let Some(l) = &s.leadership {
        let role = match l.role {
            crate::lease::Role::Leader => "leader (applies)",
            crate::lease::Role::Follower => "follower (observes only)",
        };
        let holder = l.holder.as_deref().unwrap_or("nobody");
        let _ = writeln!(o, "lease     {} {role}; held by {holder}", l.lease);
    }
    for (name, t) in &s.targets {
        let sync = match t.sync {
            Sync::Synced => "synced",
            Sync::Drifted => "DRIFTED",
            Sync::Failed => "FAILED",
        };
        let commit: String = t.commit.chars().take(12).collect();
        let _ = writeln!(o, "  {name:<10} {sync:<8} {commit} ({})", ago(t.at));
        for d in &t.drift {
            let _ = writeln!(
                o,
                "    drift: {} {}",
                d.host.as_deref().unwrap_or("(cluster)"),
                d.object
            );
        }
        for e in &t.errors {
            let _ = writeln!(o, "    error: {e}");
        }
    }
    if let Some(c) = &s.last_cycle {
        let cause = c.cause.map_or("poll only", |c| c.as_str());
        let _ = writeln!(
            o,
            "last cycle {} ({cause}, {} ms): {} applied, {} drift, {} error(s)",
            ago(c.at),
            c.duration_ms,
            c.applied,
            c.drift,
            c.errors
        );
    }
    if let Some(t) = s.last_success {
        let _ = writeln!(o, "last success {}", ago(t));
    }
    if let Some(e) = &s.source_error {
        let _ = writeln!(o, "SOURCE {}: {}", ago(e.at), e.message);
    }
    if let Some(e) = &s.last_error {
        let _ = writeln!(o, "last error {}: {}", ago(e.at), e.message);
    }
    if s.consecutive_failures > 0 {
        let _ = writeln!(
            o,
            "failing: {} cycle(s) in a row, backing off",
            s.consecutive_failures
        );
    }
    match (s.next_run, live) {
        (Some(t), true) if t > crate::run::status::unix_now() => {
            let _ = writeln!(o, "next run {}", ago(t));
        }
        (_, true) => {
            let _ = writeln!(o, "next run: a cycle is running now");
        }
        _ => {}
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::status::{ErrorStatus, TargetStatus};
    use crate::run::Found;

    #[test]
    fn text_names_commits_targets_drift_and_source_problems() {
        let now = crate::run::status::unix_now();
        let mut s = Status {
            repo: "ssh://git@10.77.0.30/srv/platform.git main".into(),
            commit_seen: Some("1111111111112222".into()),
            commit_desired: Some("aaaaaaaaaaaabbbb".into()),
            source_error: Some(ErrorStatus {
                at: now,
                message: "commit 1111 not accepted: history rewritten".into(),
            }),
            ..Default::default()
        };
        s.targets.insert(
            "gateway".into(),
            TargetStatus {
                sync: Sync::Drifted,
                commit: "aaaaaaaaaaaabbbb".into(),
                drift: vec![Found {
                    target: "gateway".into(),
                    host: Some("gw".into()),
                    object: "/etc/apache2/sites-available/app.conf".into(),
                }],
                errors: vec![],
                at: now,
            },
        );
        let t = text(&s, false);
        assert!(t.starts_with("service not answering"), "{t}");
        assert!(t.contains("seen      111111111111\n"), "{t}");
        assert!(t.contains("enforcing aaaaaaaaaaaa\n"), "{t}");
        assert!(t.contains("applied   -\n"), "{t}");
        assert!(t.contains("  gateway    DRIFTED  aaaaaaaaaaaa"), "{t}");
        assert!(
            t.contains("    drift: gw /etc/apache2/sites-available/app.conf"),
            "{t}"
        );
        assert!(t.contains("SOURCE 0s ago: commit 1111 not accepted"), "{t}");
        assert!(!t.contains("next run"), "not live: no schedule shown\n{t}");
        assert!(!t.contains("lease"), "no election configured\n{t}");
        assert!(!t.contains("shard"), "no shard configured\n{t}");
        s.leadership = Some(crate::lease::Leadership {
            role: crate::lease::Role::Follower,
            lease: "agent-system/agent".into(),
            identity: "b".into(),
            holder: Some("a".into()),
            transitions: Some(2),
            reason: None,
        });
        s.shard = Some("eu-1".into());
        let t = text(&s, true);
        assert!(t.contains("shard     eu-1 (only its hosts)\n"), "{t}");
        assert!(
            t.contains("lease     agent-system/agent follower (observes only); held by a\n"),
            "{t}"
        );
    }
}
