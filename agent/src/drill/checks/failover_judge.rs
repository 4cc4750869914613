//! The failover check's verdicts: the outage windows of each probe in the move phase
//! and after the return, placement, the stats page on the new node, the undo, and
//! the fail-back against the declared stickiness.

use super::summary;
use crate::drill::expect;
use crate::drill::probe::Sample;
use crate::drill::report::{CheckName, CheckReport, Expectation};
use crate::drill::series::{self, Outage};
use crate::drill::Drill;
use crate::exec::Remote;
use schema::HaClusterSpec;
use std::time::Duration;

/// What the move phase saw (prober clock).
#[derive(Debug, Default)]
pub(super) struct Moved {
    pub(super) standby_at: f64,
    pub(super) moved_at: Option<f64>,
    /// Node of the VIP and of each colocated resource after the move.
    pub(super) placement: Vec<(String, Option<String>)>,
    pub(super) stats: Option<Expectation>,
    pub(super) online_at: Option<f64>,
    pub(super) final_vip: Option<String>,
    /// How the move phase brought the node back (when it got that far).
    pub(super) undone: Option<String>,
    pub(super) notes: Vec<String>,
}

/// The stats page on the VIP, on its new node: answers, lists the servers UP (HAProxy
/// has just started there: a few tries).
pub(super) async fn stats_after_move<R: Remote>(d: &Drill<'_, R>) -> Expectation {
    let Some(stats) = &d.endpoints.stats else {
        return Expectation::skip(
            "stats page after the move",
            "answers",
            "no stats page declared",
        );
    };
    let mut measured = String::new();
    for _ in 0..15 {
        let s = d.prober.send(&stats.csv).await;
        if let Ok(a) = &s.result {
            let rows: Vec<&str> = a.body.lines().filter(|l| !l.starts_with('#')).collect();
            let servers = rows
                .iter()
                .filter(|l| {
                    !l.contains(",FRONTEND,")
                        && !l.contains(",BACKEND,")
                        && !l.starts_with("stats,")
                })
                .count();
            let up = rows
                .iter()
                .filter(|l| {
                    !l.contains(",FRONTEND,")
                        && !l.contains(",BACKEND,")
                        && !l.starts_with("stats,")
                })
                .filter(|l| l.split(',').any(|f| f == "UP"))
                .count();
            measured = format!("{} with {up}/{servers} servers UP", a.status);
            if a.status == 200 && servers > 0 && up == servers {
                return Expectation::new(
                    "stats page after the move",
                    "200, every server UP",
                    measured,
                    true,
                );
            }
        } else {
            measured = expect::answered(&s);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Expectation::new(
        "stats page after the move",
        "200, every server UP",
        measured,
        false,
    )
}

/// Outage windows of the move phase: failures from the standby on, before the node is online.
fn window(samples: &[Sample], from: f64, to: f64) -> Vec<Outage> {
    series::outages(samples)
        .into_iter()
        .filter(|o| o.start >= from - 0.2 && o.start < to)
        .collect()
}

fn describe(o: &[Outage]) -> (f64, String) {
    let total: f64 = o.iter().map(Outage::duration).sum();
    if o.is_empty() {
        return (0.0, "0.00 s (no failed request)".into());
    }
    let failed: usize = o.iter().map(|w| w.failed).sum();
    let kinds: Vec<String> = o.iter().flat_map(|w| w.outcomes.clone()).collect();
    let open = if o.iter().any(|w| w.open) {
        ", still failing at the end"
    } else {
        ""
    };
    (
        total,
        format!("{total:.2} s ({failed} failed: {}{open})", kinds.join(", ")),
    )
}

#[allow(clippy::too_many_arguments)]
pub(super) fn judge<R: Remote>(
    d: &Drill<'_, R>,
    spec: &HaClusterSpec,
    holder: &str,
    followers: &[String],
    m: Moved,
    body: Result<(), String>,
    undo: Result<String, String>,
    gw: &[Sample],
    direct: &[Sample],
    goal: String,
) -> CheckReport {
    let max = d.opts.max_outage.as_secs_f64();
    let end = m.online_at.unwrap_or(f64::MAX);
    let mut exp = vec![Expectation::new(
        "cluster before",
        "healthy",
        "healthy",
        true,
    )];
    if let Err(e) = &body {
        exp.push(Expectation::new("failover", "completes", e.clone(), false));
    }
    let (gw_outage, gw_text) = describe(&window(gw, m.standby_at, end));
    exp.push(Expectation::new(
        "outage through the gateway",
        format!("≤ {max:.1} s"),
        gw_text,
        gw_outage <= max && !gw.is_empty(),
    ));
    if !direct.is_empty() {
        let (o, t) = describe(&window(direct, m.standby_at, end));
        exp.push(Expectation::new(
            "outage on the VIP directly",
            format!("≤ {max:.1} s"),
            t,
            o <= max,
        ));
    }
    if let Some(at) = m.moved_at {
        let vip_node = m.placement.first().and_then(|p| p.1.clone());
        let where_ = m
            .placement
            .iter()
            .map(|(id, n)| format!("{id} on {}", n.as_deref().unwrap_or("-")))
            .collect::<Vec<_>>()
            .join(", ");
        let together = m.placement.iter().all(|(_, n)| n == &vip_node);
        exp.push(Expectation::new(
            format!("VIP and {} moved off {holder}", followers.join(", ")),
            "together, to another node",
            format!("{where_}, {:.2} s after the standby", at - m.standby_at),
            together && vip_node.as_deref().is_some_and(|n| n != holder),
        ));
    }
    exp.extend(m.stats);
    exp.push(match &undo {
        Ok(how) => {
            let how = m.undone.clone().unwrap_or_else(|| how.clone());
            Expectation::new(format!("{holder} back online"), "standby undone", how, true)
        }
        Err(e) => Expectation::new(
            format!("{holder} back online"),
            "standby undone",
            format!("FAILED: {e}; run `crm node online {holder}`"),
            false,
        ),
    });
    if let (Some(online), Some(new)) = (m.online_at, m.placement.first().and_then(|p| p.1.clone()))
    {
        let sticky = expect::cluster::stickiness(spec);
        let final_vip = m.final_vip.clone().unwrap_or_else(|| "-".into());
        let what = format!(
            "placement {:.0} s after {holder} is back",
            d.opts.failback_watch.as_secs_f64()
        );
        exp.push(if sticky > 0 {
            Expectation::new(
                what,
                format!("stays on {new} (resource-stickiness {sticky})"),
                format!("VIP on {final_vip}"),
                final_vip == new,
            )
        } else {
            Expectation::skip(
                what,
                "no stickiness declared: either node",
                format!("VIP on {final_vip}"),
            )
        });
        let (o, t) = describe(&window(gw, online, f64::MAX));
        let allowed = if sticky > 0 { 0.0 } else { max };
        exp.push(Expectation::new(
            "outage through the gateway after the return",
            format!("≤ {allowed:.1} s"),
            t,
            o <= allowed,
        ));
    }
    let headline = format!("gateway outage {gw_outage:.2} s; {}", summary(&exp));
    let mut r = CheckReport::from_expectations(CheckName::Failover, goal, headline, exp);
    r.details = serde_json::json!({
        "holder": holder, "standbyAt": m.standby_at, "movedAt": m.moved_at, "onlineAt": m.online_at,
        "placement": m.placement, "finalVip": m.final_vip, "notes": m.notes,
        "gateway": {"tally": series::tally(gw), "outages": series::outages(gw)},
        "vip": {"tally": series::tally(direct), "outages": series::outages(direct)},
    });
    r
}
