//! The page `/`: pure functions from values (the service's status, the last cycle's
//! outcome, the live view, a page of history) to HTML, all text through [`Html`].
//!
//! Top to bottom: a header (repo, commits, last and next cycle), the platform map
//! (gateway → VIP and its holder → balancers → workers, each with its state), per target
//! the sync state, drift with its masked diffs and the last error with what to do,
//! HAProxy's per-server view, the Pacemaker cluster, the workloads, and the history.
//! It refreshes itself every [`REFRESH_SECS`] with a plain `<meta http-equiv=refresh>`:
//! no script, so it works without JavaScript and under a CSP that forbids scripts.

use super::html::Html;
pub use super::page_data::{ago, sync_label, PageData};
use crate::mask::Masker;
use crate::outcome::StepStatus;
use crate::run::status::Sync;
use crate::run::Outcome;

pub const REFRESH_SECS: u32 = 5;

/// A host's state as the last cycle saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostState {
    InSync,
    Drifted,
    Failed,
    Unreachable,
    Unknown,
}

impl HostState {
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            HostState::InSync => ("in sync", "ok"),
            HostState::Drifted => ("drifted", "warn"),
            HostState::Failed => ("failed", "bad"),
            HostState::Unreachable => ("unreachable", "bad"),
            HostState::Unknown => ("not seen yet", "idle"),
        }
    }
}

/// From the last cycle: an error naming the host (transient: unreachable), a host step
/// that did not apply, drift left on it; else in sync.
pub fn host_state(host: &str, last: Option<&Outcome>) -> HostState {
    let Some(o) = last else {
        return HostState::Unknown;
    };
    let on = |h: &Option<String>| h.as_deref() == Some(host);
    if o.errors
        .iter()
        .any(|e| on(&e.host) && e.transient && !e.message.starts_with("skipped"))
    {
        return HostState::Unreachable;
    }
    let failed_step = o
        .steps
        .iter()
        .any(|s| s.host == host && !matches!(s.status, StepStatus::Applied | StepStatus::Skipped));
    if failed_step || o.errors.iter().any(|e| on(&e.host) && !e.transient) {
        return HostState::Failed;
    }
    if o.drift.iter().any(|f| on(&f.host)) {
        return HostState::Drifted;
    }
    HostState::InSync
}

fn short(c: &Option<String>) -> String {
    c.as_deref()
        .map_or("-".into(), |c| c.chars().take(12).collect())
}

fn badge(h: &mut Html<'_>, (label, class): (&'static str, &'static str)) {
    h.raw("<span class=\"badge ")
        .raw(class)
        .raw("\">")
        .raw(label)
        .raw("</span>");
}

/// The whole page.
pub fn index(d: &PageData<'_>, masker: &Masker) -> String {
    let mut h = Html::new(masker);
    h.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    h.raw("<meta http-equiv=\"refresh\" content=\"");
    h.num(REFRESH_SECS);
    h.raw("\"><title>agent — platform</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body>");
    header(&mut h, d);
    h.raw("<main>");
    platform(&mut h, d);
    super::sections::targets(&mut h, d);
    h.raw("<div class=\"grid\">");
    super::sections::haproxy(&mut h, d);
    h.raw("<div>");
    super::sections::cluster(&mut h, d);
    super::sections::workloads(&mut h, d);
    h.raw("</div></div>");
    super::history_html::list(&mut h, d);
    h.raw("</main></body></html>");
    h.finish()
}

fn header(h: &mut Html<'_>, d: &PageData<'_>) {
    let s = d.status;
    h.raw("<header><h1>agent</h1>");
    let worst = s.targets.values().map(|t| t.sync).max_by_key(|s| match s {
        Sync::Synced => 0,
        Sync::Drifted => 1,
        Sync::Failed => 2,
    });
    match worst {
        Some(w) => badge(h, sync_label(w)),
        None => badge(h, ("no cycle yet", "idle")),
    }
    if s.source_error.is_some() {
        badge(h, ("source error", "bad"));
    }
    let kv = |h: &mut Html<'_>, k: &'static str, v: &str| {
        h.raw("<span class=\"kv\">")
            .raw(k)
            .raw(" <b>")
            .text(v)
            .raw("</b></span>");
    };
    kv(h, "desired", &short(&s.commit_desired));
    kv(h, "applied", &short(&s.commit_applied));
    if let Some(c) = &s.last_cycle {
        let cause = c.cause.map_or("poll only", |c| c.as_str());
        kv(
            h,
            "last cycle",
            &format!("{} · {cause} · {} ms", ago(d.now, c.at), c.duration_ms),
        );
    }
    match s.next_run {
        Some(t) if t > d.now => kv(h, "next", &ago(d.now, t)),
        _ => kv(h, "next", "running now"),
    }
    kv(h, "repo", &s.repo);
    h.raw("</header>");
}

fn node(
    h: &mut Html<'_>,
    name: &str,
    addr: &str,
    state: HostState,
    extra: &mut dyn FnMut(&mut Html<'_>),
) {
    let (_, class) = state.label();
    let s = match class {
        "ok" => "s-ok",
        "warn" => "s-warn",
        "bad" => "s-bad",
        _ => "",
    };
    h.raw("<div class=\"node ")
        .raw(s)
        .raw("\"><div class=\"name\">")
        .text(name)
        .raw("</div><div class=\"addr\">")
        .text(addr)
        .raw("</div><div class=\"line\">");
    badge(h, state.label());
    extra(h);
    h.raw("</div></div>");
}

fn platform(h: &mut Html<'_>, d: &PageData<'_>) {
    h.raw("<section><h2>Platform");
    if let Some(l) = d.live {
        h.raw(" <small>live view ")
            .text(&ago(d.now, l.at))
            .raw("</small>");
    }
    h.raw("</h2>");
    let Some(live) = d.live else {
        h.raw("<p class=\"empty\">No live view yet: it is gathered after the first cycle.</p></section>");
        return;
    };
    let role = |r: &'static str| {
        live.hosts
            .iter()
            .filter(move |x| x.roles.iter().any(|y| y == r))
    };
    let cluster = live.clusters.items.first();
    let holder = cluster
        .and_then(|c| c.vip.as_ref())
        .and_then(|v| v.holder.clone());
    h.raw("<div class=\"map\"><div class=\"tier\"><h3>Gateway</h3>");
    for g in role("gateway") {
        node(
            h,
            &g.name,
            &g.address,
            host_state(&g.name, d.last),
            &mut |_| {},
        );
    }
    h.raw("</div><div class=\"arrow\">→</div><div class=\"tier\"><h3>Virtual IP</h3>");
    match cluster.and_then(|c| c.vip.as_ref()) {
        Some(v) => {
            h.raw("<div class=\"node vip ")
                .raw(if v.holder.is_some() { "s-ok" } else { "s-bad" })
                .raw("\"><div class=\"name\">")
                .text(&v.ip)
                .raw("</div><div class=\"addr\">resource ")
                .text(&v.id)
                .raw("</div><div class=\"line\">");
            match &v.holder {
                Some(n) => {
                    h.raw("held by <b>").text(n).raw("</b>");
                }
                None => badge(h, ("not held", "bad")),
            }
            h.raw("</div></div>");
        }
        None => {
            h.raw("<div class=\"empty\">")
                .text(live.clusters.error.as_deref().unwrap_or("no VIP declared"))
                .raw("</div>");
        }
    }
    h.raw("</div><div class=\"arrow\">→</div><div class=\"tier\"><h3>Balancers</h3>");
    for b in role("balancer") {
        let bl = live.balancers.items.iter().find(|x| x.host == b.name);
        let is_holder = holder.as_deref() == Some(b.name.as_str());
        node(
            h,
            &b.name,
            &b.address,
            host_state(&b.name, d.last),
            &mut |h| {
                if is_holder {
                    badge(h, ("VIP", "run"));
                }
                match bl {
                    Some(x) if x.error.is_some() => badge(h, ("HAProxy ?", "bad")),
                    Some(x) if x.running => {
                        let servers: Vec<_> = x.rows.iter().filter(|r| r.is_server()).collect();
                        let up = servers
                            .iter()
                            .filter(|r| r.status.starts_with("UP"))
                            .count();
                        h.raw("<span class=\"mute\">HAProxy ")
                            .num(up as u64)
                            .raw("/")
                            .num(servers.len() as u64)
                            .raw(" UP</span>");
                    }
                    Some(_) => {
                        h.raw("<span class=\"mute\">standby</span>");
                    }
                    None => {}
                }
            },
        );
    }
    h.raw("</div><div class=\"arrow\">→</div><div class=\"tier\"><h3>Workers</h3>");
    for w in role("worker") {
        let rows: Vec<_> = live
            .balancers
            .items
            .iter()
            .flat_map(|b| b.rows.iter())
            .filter(|r| r.is_server() && r.name == w.name)
            .collect();
        let state = if rows.is_empty() {
            HostState::Unknown
        } else if rows.iter().all(|r| r.status.starts_with("UP")) {
            HostState::InSync
        } else {
            HostState::Failed
        };
        let mut seen = std::collections::BTreeSet::new();
        h.raw("<div class=\"node ")
            .raw(match state {
                HostState::InSync => "s-ok",
                HostState::Failed => "s-bad",
                _ => "",
            })
            .raw("\"><div class=\"name\">")
            .text(&w.name)
            .raw("</div><div class=\"addr\">")
            .text(&w.address)
            .raw("</div><div class=\"line\">");
        for r in rows {
            if seen.insert((r.proxy.clone(), r.status.clone())) {
                let class = if r.status.starts_with("UP") {
                    "ok"
                } else if r.status.starts_with("MAINT") || r.status.starts_with("DRAIN") {
                    "warn"
                } else {
                    "bad"
                };
                h.raw("<span class=\"badge ")
                    .raw(class)
                    .raw("\">")
                    .text(&format!("{} {}", r.proxy, r.status))
                    .raw("</span>");
            }
        }
        if state == HostState::Unknown {
            h.raw("<span class=\"mute\">no HAProxy data</span>");
        }
        h.raw("</div></div>");
    }
    h.raw("</div></div></section>");
}
