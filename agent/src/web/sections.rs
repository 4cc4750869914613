//! The page's middle sections: per target (sync, drift with diffs, the last error and
//! what to do), HAProxy's per-server table, the Pacemaker cluster, the workloads.

use super::html::Html;
use super::page_data::{sync_label, PageData};
use crate::plan::Change;

/// What an operator should do about an error, by what it says.
pub fn what_to_do(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("host key") {
        "The host presented a different SSH key: check the host, then accept it deliberately with `agent trust HOST`."
    } else if m.contains("no cluster configured") || m.contains("kubeconfig") {
        "Set `kubeconfig:` in agent.yaml (or KUBECONFIG for the service), or set the workloads policy aside."
    } else if m.contains("cannot reach the cluster") {
        "The Kubernetes API does not answer: check the kubeconfig's server and credentials."
    } else if m.contains("rolled-back") || m.contains("rolled back") {
        "The new config failed its health check and the previous one was restored: fix the commit (see the diff), push again."
    } else if m.contains("rejected") || m.contains("refused") || m.contains("invalid") {
        "The host refused the rendered config before it went live: fix it in Git; `agent validate` shows the same check."
    } else if m.contains("skipped") {
        "Not attempted because an earlier step failed or the agent was stopping: it is retried next cycle."
    } else if m.contains("timed out")
        || m.contains("unreachable")
        || m.contains("connect")
        || m.contains("ssh")
    {
        "The host does not answer over SSH: check it is up and sshd runs; the agent retries with backoff."
    } else {
        "See `agent diff` on the deploy node for the full report."
    }
}

fn error_box(h: &mut Html<'_>, message: &str) {
    h.raw("<div class=\"error\"><div class=\"what\">")
        .text(message)
        .raw("</div><div class=\"todo\">→ ")
        .raw(what_to_do(message))
        .raw("</div></div>");
}

fn change(h: &mut Html<'_>, c: &Change, tag: &'static str) {
    h.raw("<div class=\"obj\"><span class=\"badge warn\">")
        .raw(tag)
        .raw("</span> <b>")
        .text(c.host.as_deref().unwrap_or("(cluster)"))
        .raw("</b> <span class=\"path\">")
        .text(&c.object)
        .raw("</span> <span class=\"mute\">")
        .text(c.action.as_str())
        .raw("</span>");
    for n in &c.notes {
        h.raw("<div class=\"mute\">note: ").text(n).raw("</div>");
    }
    if let Some(d) = &c.diff {
        h.diff(d);
    }
    h.raw("</div>");
}

pub fn targets(h: &mut Html<'_>, d: &PageData<'_>) {
    h.raw("<section><h2>Targets <small>Git → live, as of each target's last cycle</small></h2>");
    if d.status.targets.is_empty() {
        h.raw("<p class=\"empty\">No cycle has run yet.</p>");
    }
    for (name, t) in &d.status.targets {
        h.raw("<div class=\"target\"><div class=\"head\"><span class=\"tname\">")
            .text(name)
            .raw("</span>");
        let (l, c) = sync_label(t.sync);
        h.raw("<span class=\"badge ")
            .raw(c)
            .raw("\">")
            .raw(l)
            .raw("</span><span class=\"mute\">commit <code>")
            .text(&t.commit.chars().take(12).collect::<String>())
            .raw("</code> · ")
            .text(&super::page_data::ago(d.now, t.at))
            .raw("</span></div>");
        let changes: Vec<&Change> = d
            .last
            .map(|o| o.changes.iter().filter(|c| &c.target == name).collect())
            .unwrap_or_default();
        for f in &t.drift {
            match changes
                .iter()
                .find(|c| c.host == f.host && c.object == f.object)
            {
                Some(c) => change(h, c, "drift"),
                None => {
                    h.raw("<div class=\"obj\"><span class=\"badge warn\">drift</span> <b>")
                        .text(f.host.as_deref().unwrap_or("(cluster)"))
                        .raw("</b> <span class=\"path\">")
                        .text(&f.object)
                        .raw("</span></div>");
                }
            }
        }
        if let Some(o) = d.last {
            for c in changes.iter().filter(|c| {
                o.applied
                    .iter()
                    .any(|f| f.target == c.target && f.host == c.host && f.object == c.object)
            }) {
                change(h, c, "applied");
            }
        }
        for e in &t.errors {
            error_box(h, e);
        }
        h.raw("</div>");
    }
    if let Some(e) = &d.status.source_error {
        h.raw("<div class=\"target\"><div class=\"head\"><span class=\"tname\">source</span><span class=\"badge bad\">error</span></div>");
        error_box(h, &e.message);
        h.raw("</div>");
    }
    h.raw("</section>");
}

fn status_class(s: &str) -> &'static str {
    if s.starts_with("UP") || s == "OPEN" {
        "ok"
    } else if s.starts_with("MAINT")
        || s.starts_with("DRAIN")
        || s.starts_with("NOLB")
        || s == "no check"
    {
        "warn"
    } else {
        "bad"
    }
}

pub fn haproxy(h: &mut Html<'_>, d: &PageData<'_>) {
    h.raw("<section><h2>HAProxy <small>show stat on each balancer</small>");
    if let Some(url) = d.live.and_then(|l| l.stats_page.as_deref()) {
        h.raw("<small>· stats page: <span class=\"mono\">")
            .text(url)
            .raw("</span></small>");
    }
    h.raw("</h2>");
    let Some(live) = d.live else {
        h.raw("<p class=\"empty\">Not gathered yet.</p></section>");
        return;
    };
    if let Some(e) = &live.balancers.error {
        error_box(h, e);
    }
    for b in &live.balancers.items {
        h.raw("<h2><span>").text(&b.host).raw("</span>");
        if let Some(e) = &b.error {
            h.raw("<span class=\"badge bad\">no answer</span></h2>");
            error_box(h, e);
            continue;
        }
        if !b.running {
            h.raw("<span class=\"badge idle\">standby</span><small>HAProxy runs on the VIP holder only</small></h2>");
            continue;
        }
        h.raw("<span class=\"badge ok\">running</span></h2><table><tr><th>proxy / server</th><th>status</th><th>check</th><th class=\"num\">cur</th><th class=\"num\">max</th><th class=\"num\">total</th></tr>");
        // show stat lists a backend's servers before its BACKEND line: group each proxy
        // under its own line, in the order HAProxy lists the proxies.
        let mut proxies: Vec<&str> = vec![];
        for r in &b.rows {
            if !proxies.contains(&r.proxy.as_str()) {
                proxies.push(&r.proxy);
            }
        }
        let mut rows: Vec<_> = b.rows.iter().collect();
        rows.sort_by_key(|r| (proxies.iter().position(|p| *p == r.proxy), r.is_server()));
        for r in rows {
            let px = !r.is_server();
            h.raw(if px {
                "<tr class=\"px\"><td>"
            } else {
                "<tr><td>&nbsp;&nbsp;"
            });
            if px {
                h.text(&format!("{} {}", r.proxy, r.name.to_lowercase()));
            } else {
                h.text(&r.name);
            }
            h.raw("</td><td><span class=\"badge ")
                .raw(status_class(&r.status))
                .raw("\">")
                .text(&r.status)
                .raw("</span></td><td class=\"mono\">")
                .text(&r.check)
                .raw("</td><td class=\"num\">")
                .num(r.sessions)
                .raw("</td><td class=\"num\">")
                .num(r.max_sessions)
                .raw("</td><td class=\"num\">")
                .num(r.total_sessions)
                .raw("</td></tr>");
        }
        h.raw("</table>");
    }
    h.raw("</section>");
}

pub fn cluster(h: &mut Html<'_>, d: &PageData<'_>) {
    h.raw("<section><h2>Pacemaker cluster</h2>");
    let Some(live) = d.live else {
        h.raw("<p class=\"empty\">Not gathered yet.</p></section>");
        return;
    };
    if let Some(e) = &live.clusters.error {
        error_box(h, e);
    }
    for c in &live.clusters.items {
        h.raw("<p><b>")
            .text(&c.name)
            .raw("</b> <span class=\"mute\">crm_mon on ")
            .text(&c.answered_by)
            .raw("</span></p><p>");
        for (n, online) in &c.nodes {
            h.raw(if *online {
                "<span class=\"badge ok\">"
            } else {
                "<span class=\"badge bad\">"
            })
            .text(n)
            .raw(if *online { " online" } else { " OFFLINE" })
            .raw("</span> ");
        }
        h.raw("</p><table><tr><th>resource</th><th>role</th><th>running on</th></tr>");
        for r in &c.resources {
            let class = if r.failed {
                "bad"
            } else if r.nodes.is_empty() {
                "warn"
            } else {
                "ok"
            };
            h.raw("<tr><td class=\"mono\">")
                .text(&r.id)
                .raw("</td><td><span class=\"badge ")
                .raw(class)
                .raw("\">")
                .text(&r.role)
                .raw(if r.failed { " (failed)" } else { "" })
                .raw("</span></td><td>")
                .text(&r.nodes.join(", "))
                .raw("</td></tr>");
        }
        h.raw("</table>");
        if c.failed_actions.is_empty() {
            h.raw("<p class=\"mute\">No failed actions.</p>");
        } else {
            h.raw("<p><b>Failed actions</b></p>");
            for f in &c.failed_actions {
                error_box(h, f);
            }
        }
    }
    h.raw("</section>");
}

pub fn workloads(h: &mut Html<'_>, d: &PageData<'_>) {
    h.raw("<section><h2>Workloads <small>replicas available</small></h2>");
    let Some(live) = d.live else {
        h.raw("<p class=\"empty\">Not gathered yet.</p></section>");
        return;
    };
    if let Some(e) = &live.workloads.error {
        error_box(h, e);
    }
    if live.workloads.items.is_empty() && live.workloads.error.is_none() {
        h.raw("<p class=\"empty\">No Deployments declared.</p>");
    }
    if !live.workloads.items.is_empty() {
        h.raw("<table><tr><th>object</th><th>health</th></tr>");
        for w in &live.workloads.items {
            h.raw("<tr><td class=\"mono\">")
                .text(&w.object)
                .raw("</td><td><span class=\"badge ")
                .raw(if w.healthy { "ok" } else { "bad" })
                .raw("\">")
                .text(&w.message)
                .raw("</span></td></tr>");
        }
        h.raw("</table>");
    }
    h.raw("</section>");
}
