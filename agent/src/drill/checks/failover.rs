//! `failover` (disruptive, only with `--disruptive`): the VIP holder is put in
//! standby through the cluster's own tool while two probes run (through the gateway,
//! and on the VIP directly). Measured: the outage (first failed to first good
//! request), where the VIP and the resources colocated with it went and whether
//! together, the stats page after the move; then the node is brought back online and
//! the placement is watched: with a declared `resource-stickiness` above 0 the
//! resources must stay where they are.
//!
//! Refuses to start unless the cluster is healthy (every node online, none in
//! standby, no failed actions, the VIP on one node). The standby is always undone
//! ([`StandbyGuard`]), also on Ctrl-C, SIGTERM, its own failure or a panic.

use super::failover_judge::{judge, stats_after_move, Moved};
use super::standby_guard::{interrupted, StandbyGuard};
use crate::drill::cluster::{self, ClusterView};
use crate::drill::report::{CheckName, CheckReport, Expectation};
use crate::drill::series::Periodic;
use crate::drill::Drill;
use crate::exec::Remote;
use futures::FutureExt;
use std::time::Duration;

pub async fn run<R: Remote>(d: &Drill<'_, R>) -> CheckReport {
    let goal = format!(
        "outage ≤ {:.1} s; moves together; fail-back per stickiness",
        d.opts.max_outage.as_secs_f64()
    );
    if !d.opts.disruptive {
        return CheckReport::refused(
            CheckName::Failover,
            goal,
            "disruptive: run with --disruptive",
        );
    }
    let (Some(c), Some(vip)) = (d.state.clusters.first(), d.vip_id()) else {
        let e = Expectation::skip("failover", "VIP moves", "no HaCluster with a VIP declared");
        return CheckReport::from_expectations(
            CheckName::Failover,
            goal,
            "nothing to fail over",
            vec![e],
        );
    };
    let spec = &c.doc.spec;
    let before = match cluster::view(d.remote, &spec.nodes).await {
        Ok(v) => v,
        Err(e) => {
            return CheckReport::refused(
                CheckName::Failover,
                goal,
                format!("cannot read the cluster: {e}"),
            )
        }
    };
    let problems = before.health_problems(&spec.nodes, &vip);
    if !problems.is_empty() {
        let why = format!("cluster not healthy, nothing done: {}", problems.join("; "));
        return CheckReport::refused(CheckName::Failover, goal, why);
    }
    let holder = before
        .status
        .holder(&vip)
        .expect("healthy means one holder")
        .to_string();
    let mut via: Vec<String> = spec
        .nodes
        .iter()
        .filter(|n| **n != holder)
        .cloned()
        .collect();
    via.push(holder.clone());
    let followers: Vec<String> = spec
        .constraints
        .colocations
        .iter()
        .filter(|c| c.with_rsc.as_deref() == Some(vip.as_str()) && !c.score.starts_with('-'))
        .filter_map(|c| c.rsc.clone())
        .collect();

    let gw_reqs: Vec<_> = d
        .endpoints
        .routes
        .iter()
        .map(|r| r.request.clone())
        .collect();
    let vip_reqs: Vec<_> = d
        .endpoints
        .routes
        .iter()
        .filter_map(|r| r.upstream.clone())
        .collect();
    let gw = Periodic::start(d.prober.clone(), gw_reqs, d.opts.probe_interval);
    let direct = Periodic::start(d.prober.clone(), vip_reqs, d.opts.probe_interval);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut guard = StandbyGuard::new(d.remote, via.clone(), &holder);
    let mut moved = Moved::default();
    let body = std::panic::AssertUnwindSafe(move_and_back(
        d, &vip, &followers, &via, &mut guard, &mut moved,
    ))
    .catch_unwind();
    let outcome = tokio::select! {
        r = body => r,
        sig = interrupted() => Ok(Err(format!("interrupted by {sig}"))),
    };
    let undo = guard.undo().await;
    drop(guard);
    let gw_samples = gw.stop().await;
    let vip_samples = direct.stop().await;
    let body_result = match outcome {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    judge(
        d,
        spec,
        &holder,
        &followers,
        moved,
        body_result,
        undo,
        &gw_samples,
        &vip_samples,
        goal,
    )
}

/// Standby, wait for the move, the stats page, online again, watch for a fail-back.
async fn move_and_back<R: Remote>(
    d: &Drill<'_, R>,
    vip: &str,
    followers: &[String],
    via: &[String],
    guard: &mut StandbyGuard<'_, R>,
    m: &mut Moved,
) -> Result<(), String> {
    let holder = guard.node().to_string();
    (d.progress)(&format!("drill: failover: {holder} to standby"));
    m.standby_at = d.prober.now();
    let how = guard.standby().await?;
    m.notes.push(format!("standby: {how}"));
    let moved = wait_view(d, via, |v| {
        let at = v.status.holder(vip);
        at.is_some_and(|n| n != holder) && followers.iter().all(|f| v.status.holder(f) == at)
    })
    .await;
    let view = moved.map_err(|last| {
        format!(
            "the VIP did not move within {:.0} s: {last}",
            d.opts.settle_timeout.as_secs_f64()
        )
    })?;
    m.moved_at = Some(d.prober.now());
    m.placement = std::iter::once(vip.to_string())
        .chain(followers.iter().cloned())
        .map(|id| (id.clone(), view.status.holder(&id).map(str::to_string)))
        .collect();
    m.stats = Some(stats_after_move(d).await);
    (d.progress)(&format!("drill: failover: {holder} back online"));
    m.online_at = Some(d.prober.now());
    m.undone = Some(guard.undo().await?);
    wait_view(d, via, |v| {
        v.status.online.contains(&holder) && !v.standby.contains(&holder)
    })
    .await
    .map_err(|last| format!("{holder} did not come back online: {last}"))?;
    tokio::time::sleep(d.opts.failback_watch).await;
    let last = cluster::view(d.remote, via).await?;
    m.final_vip = last.status.holder(vip).map(str::to_string);
    Ok(())
}

/// Polls crm_mon until `done` holds; `Err` carries the last placement seen.
async fn wait_view<R: Remote>(
    d: &Drill<'_, R>,
    via: &[String],
    done: impl Fn(&ClusterView) -> bool,
) -> Result<ClusterView, String> {
    let deadline = tokio::time::Instant::now() + d.opts.settle_timeout;
    loop {
        let last = match cluster::view(d.remote, via).await {
            Ok(v) if done(&v) => return Ok(v),
            Ok(v) => format!("online {:?}, standby {:?}", v.status.online, v.standby),
            Err(e) => e,
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(last);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
