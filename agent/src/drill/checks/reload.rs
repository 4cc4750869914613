//! `reload`: the running services reload gracefully under a probe (one request every
//! 50 ms through the gateway) in HA order — the standby balancer(s), then the VIP
//! holder, then the gateway(s) — with the very commands `agent apply` uses
//! (`ManagedFile::reload`). Goal: no failed request.
//!
//! Configuration is never changed: a reload re-reads the live files, so before any
//! reload every managed file on those hosts must already equal Git's render (sha256),
//! and the gateway's declared modules must already be enabled (its reload command
//! runs `a2enmod` first); otherwise the check fails and reloads nothing.

use super::summary;
use crate::drill::report::{CheckName, CheckReport, Expectation};
use crate::drill::series::{self, Periodic};
use crate::drill::{cluster, Drill};
use crate::exec::{sh_quote, Remote};
use crate::rendered::ManagedFile;
use std::collections::BTreeMap;

const PIDFILE: &str = "/run/haproxy.pid";

struct Step<'f> {
    host: String,
    role: &'static str,
    files: Vec<&'f ManagedFile>,
}

pub async fn run<R: Remote>(d: &Drill<'_, R>) -> CheckReport {
    let goal = "0 failed requests during HA-ordered reloads";
    let steps = waves(d).await;
    let mut exp = Vec::new();
    if steps.is_empty() || d.endpoints.routes.is_empty() {
        exp.push(Expectation::skip(
            "reload",
            goal,
            "no managed services or no route to probe",
        ));
        return CheckReport::from_expectations(CheckName::Reload, goal, "nothing to reload", exp);
    }
    for s in &steps {
        exp.push(in_sync(d, s).await);
    }
    if exp
        .iter()
        .any(|e| e.verdict != crate::drill::report::Verdict::Pass)
    {
        let m = "hosts not in sync with Git: nothing reloaded (agent apply first)";
        return CheckReport::from_expectations(CheckName::Reload, goal, m, exp);
    }
    let requests: Vec<_> = d
        .endpoints
        .routes
        .iter()
        .map(|r| r.request.clone())
        .collect();
    let probe = Periodic::start_within(
        d.prober.clone(),
        requests,
        d.opts.probe_interval,
        d.opts.reload_timeout,
    );
    tokio::time::sleep(d.opts.reload_pause).await;
    let mut events = Vec::new();
    for round in 1..=d.opts.reload_rounds.max(1) {
        for s in &steps {
            (d.progress)(&format!(
                "drill: reload {} ({}), round {round}",
                s.host, s.role
            ));
            let start = d.prober.now();
            let r = reload(d, s).await;
            events.push(serde_json::json!({"host": s.host, "role": s.role, "round": round,
                "start": start, "end": d.prober.now(), "result": r.as_ref().map_err(|e| e.clone()).map(|(m, _)| m.clone())}));
            if round == 1 || r.is_err() {
                exp.push(step_expectation(s, round, &r, d.prober.now() - start));
            }
            tokio::time::sleep(d.opts.reload_pause).await;
        }
    }
    let samples = probe.stop().await;
    let t = series::tally(&samples);
    let outages = series::outages(&samples);
    let every = d.opts.probe_interval.as_millis();
    let measured = format!(
        "{} failed of {} requests (one every {every} ms, {:.1} s each); slowest answer {:.2} s",
        t.failed,
        t.requests,
        d.opts.reload_timeout.as_secs_f64(),
        series::slowest_ok(&samples)
    );
    let mut what = format!(
        "probe via the gateway, {} round(s)",
        d.opts.reload_rounds.max(1)
    );
    if let Some(o) = outages.first() {
        what.push_str(&format!(
            "; first failure at +{:.2} s: {}",
            o.start,
            o.outcomes.join(", ")
        ));
    }
    exp.push(Expectation::new(
        what,
        "0 failed",
        measured.clone(),
        t.failed == 0 && t.requests > 0,
    ));
    let mut r = CheckReport::from_expectations(
        CheckName::Reload,
        goal,
        format!("{measured}; {}", summary(&exp)),
        exp,
    );
    r.details = serde_json::json!({"tally": t, "outages": outages, "reloads": events});
    r
}

/// Balancers not holding the VIP, then the holder, then the gateways.
async fn waves<'f, R: Remote>(d: &Drill<'f, R>) -> Vec<Step<'f>> {
    let mut by_host: BTreeMap<(u8, String), Vec<&'f ManagedFile>> = BTreeMap::new();
    let holder = match d.vip_id() {
        Some(id) => cluster::view(d.remote, &d.cluster_nodes())
            .await
            .ok()
            .and_then(|v| v.status.holder(&id).map(str::to_string)),
        None => None,
    };
    for f in &d.rendered.files {
        let rank = match f.target {
            "balancer" if holder.as_deref() == Some(f.host.as_str()) => 1,
            "balancer" => 0,
            "gateway" => 2,
            // Other kinds have no reload of their own to exercise.
            _ => continue,
        };
        by_host.entry((rank, f.host.clone())).or_default().push(f);
    }
    by_host
        .into_iter()
        .map(|((rank, host), files)| Step {
            host,
            role: ["standby balancer", "VIP holder", "gateway"][rank as usize],
            files,
        })
        .collect()
}

async fn in_sync<R: Remote>(d: &Drill<'_, R>, s: &Step<'_>) -> Expectation {
    use sha2::Digest;
    let mut script = String::new();
    for f in &s.files {
        let p = sh_quote(&f.path);
        script.push_str(&format!(
            "if [ -r {p} ]; then printf '%s %s\\n' \"$(sha256sum < {p} | cut -d' ' -f1)\" {p}; else echo missing {p}; fi\n"
        ));
    }
    // The gateway's reload enables its modules first (a2enmod): they must be enabled
    // already, or the reload would change the running configuration.
    for m in s.files.iter().flat_map(|f| &f.modules) {
        let q = sh_quote(m);
        script.push_str(&format!(
            "a2query -q -m {q} 2>/dev/null || echo module-not-enabled {q}\n"
        ));
    }
    let what = format!("live files on {} ({})", s.host, s.role);
    let out = match d.remote.exec(&s.host, &script, b"").await {
        Ok(o) => o.stdout_str(),
        Err(e) => return Expectation::new(what, "equal to Git", e.to_string(), false),
    };
    let live: BTreeMap<&str, &str> = out
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(h, p)| (p, h)))
        .collect();
    let differing: Vec<&str> = s
        .files
        .iter()
        .filter(|f| {
            live.get(f.path.as_str()).copied()
                != Some(hex::encode(sha2::Sha256::digest(f.content.as_bytes()))).as_deref()
        })
        .map(|f| f.path.as_str())
        .collect();
    let modules: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("module-not-enabled "))
        .collect();
    let mut problems = Vec::new();
    if !differing.is_empty() {
        problems.push(format!("differs: {}", differing.join(", ")));
    }
    if !modules.is_empty() {
        problems.push(format!("modules not enabled: {}", modules.join(", ")));
    }
    let measured = if problems.is_empty() {
        format!("{} file(s) equal", s.files.len())
    } else {
        problems.join("; ")
    };
    Expectation::new(what, "equal to Git", measured, problems.is_empty())
}

/// Runs the host's reload command; `Ok((message, reloaded))`.
async fn reload<R: Remote>(d: &Drill<'_, R>, s: &Step<'_>) -> Result<(String, bool), String> {
    let Some(cmd) = s.files.iter().find_map(|f| f.reload.clone()) else {
        return Ok(("no reload command".into(), false));
    };
    let balancer = s.files.iter().any(|f| f.target == "balancer");
    let pid = if balancer {
        format!("cat {PIDFILE} 2>/dev/null")
    } else {
        "echo -".into()
    };
    let script = format!(
        "before=$({pid}); out=$({{ {cmd}; }} 2>&1); rc=$?; after=$({pid})\n\
         echo \"pids ${{before:-none}} ${{after:-none}}\"\n\
         [ $rc = 0 ] || printf '%s\\n' \"$out\" >&2\nexit $rc\n"
    );
    let out = d
        .remote
        .exec(&s.host, &script, b"")
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!("exit {}: {}", out.status, out.stderr_str().trim()));
    }
    let text = out.stdout_str();
    let pids: Vec<&str> = text
        .lines()
        .find_map(|l| l.strip_prefix("pids "))
        .unwrap_or("")
        .split(' ')
        .collect();
    Ok(match pids.as_slice() {
        ["-", "-"] => ("graceful reload done".into(), true),
        ["none", "none"] => ("not running here: nothing to reload".into(), false),
        [a, b] if a != b => (format!("reloaded: pid {a} → {b}"), true),
        [a, _] => (format!("pid {a} unchanged: not reloaded"), false),
        _ => (text.trim().to_string(), true),
    })
}

fn step_expectation(
    s: &Step<'_>,
    round: usize,
    r: &Result<(String, bool), String>,
    secs: f64,
) -> Expectation {
    let what = format!("reload {} ({}), round {round}", s.host, s.role);
    // The holder must really reload; a standby has nothing running to reload.
    let must_reload = s.role != "standby balancer";
    match r {
        Ok((m, reloaded)) => Expectation::new(
            what,
            "graceful reload",
            format!("{m} in {secs:.2} s"),
            *reloaded || !must_reload,
        ),
        Err(e) => Expectation::new(what, "graceful reload", e.clone(), false),
    }
}
