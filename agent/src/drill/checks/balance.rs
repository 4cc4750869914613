//! `balance`: N requests through the gateway without cookies, each on a new
//! connection, counted per worker and compared with the declared weights (goal
//! within ±5 percentage points for `roundrobin`); with cookie stickiness, M clients
//! that keep their cookie must each stay on one worker.
//!
//! Each route is followed to the backend HAProxy gives it ([`backend_for`]), so the
//! expected shares are that backend's servers and weights. The answering worker is
//! read from the answer (`X-Worker`, or the lab's `host=wN` body).

use super::summary;
use crate::drill::endpoints::RouteProbe;
use crate::drill::expect::balancer::{backend_for, declared_servers, DeclaredServer};
use crate::drill::probe::{Request, Sample};
use crate::drill::report::{CheckName, CheckReport, Expectation};
use crate::drill::{series, Drill};
use crate::exec::Remote;
use schema::{Backend, Balance};
use std::collections::BTreeMap;

const TOLERANCE_PP: f64 = 5.0;

pub async fn run<R: Remote>(d: &Drill<'_, R>) -> CheckReport {
    let goal = format!("shares ±{TOLERANCE_PP} pp of the weights; sticky clients stay");
    let targets = targets(d);
    if targets.is_empty() {
        let e = Expectation::skip(
            "balance",
            "shares per worker",
            "no route leads to a backend with two or more servers",
        );
        return CheckReport::from_expectations(
            CheckName::Balance,
            goal,
            "nothing to balance",
            vec![e],
        );
    }
    let per = (d.opts.balance_requests / targets.len()).max(1);
    let mut exp = Vec::new();
    let mut details = Vec::new();
    let mut headline = Vec::new();
    for (route, backend, servers) in &targets {
        let reqs = vec![route.request.clone(); per];
        let samples = series::batch(&d.prober, &reqs, d.opts.concurrency).await;
        let (e, counts) = shares(d, route, backend, servers, &samples);
        headline.push(format!(
            "{}: {}",
            backend.name,
            counts
                .iter()
                .map(|(w, n)| format!("{w} {:.1}%", pct(*n, per)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        details.push(serde_json::json!({"route": route.request.endpoint.url(), "backend": backend.name, "requests": per, "byWorker": counts}));
        exp.extend(e);
        if let Some(cookie) = &backend.cookie {
            exp.push(sticky(d, route, &cookie.name).await);
        }
    }
    let mut r = CheckReport::from_expectations(
        CheckName::Balance,
        goal,
        format!("{} ({})", headline.join("; "), summary(&exp)),
        exp,
    );
    r.details = serde_json::json!({ "routes": details });
    r
}

type Target<'r> = (&'r RouteProbe, &'r Backend, Vec<DeclaredServer>);

/// One route per backend that has two or more servers taking load.
fn targets<'r, R: Remote>(d: &'r Drill<'_, R>) -> Vec<Target<'r>> {
    let Some(b) = d.state.balancers.first() else {
        return vec![];
    };
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for r in &d.endpoints.routes {
        let Some(up) = &r.upstream else { continue };
        let Some(backend) = backend_for(&b.doc.spec, up.endpoint.addr.port(), &up.endpoint.path)
        else {
            continue;
        };
        let servers: Vec<DeclaredServer> = declared_servers(d.state, backend)
            .into_iter()
            .filter(|s| !s.standby && s.weight > 0)
            .collect();
        if servers.len() >= 2 && !seen.contains(&&backend.name) {
            seen.push(&backend.name);
            out.push((r, backend, servers));
        }
    }
    out
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

/// The server a worker name stands for: same name, or the inventory host of that name
/// at the server's address.
fn server_of<'s>(
    d: &Drill<'_, impl Remote>,
    servers: &'s [DeclaredServer],
    worker: &str,
) -> Option<&'s DeclaredServer> {
    servers.iter().find(|s| s.name == worker).or_else(|| {
        let addr = &d.state.host(worker)?.address;
        servers.iter().find(|s| &s.address == addr)
    })
}

fn shares<R: Remote>(
    d: &Drill<'_, R>,
    route: &RouteProbe,
    backend: &Backend,
    servers: &[DeclaredServer],
    samples: &[Sample],
) -> (Vec<Expectation>, BTreeMap<String, usize>) {
    let n = samples.len();
    let mut counts: BTreeMap<String, usize> = servers.iter().map(|s| (s.name.clone(), 0)).collect();
    let (mut failed, mut unknown) = (BTreeMap::<String, usize>::new(), 0usize);
    for s in samples {
        if !s.ok() {
            *failed.entry(s.outcome()).or_default() += 1;
        } else if let Some(srv) = s.worker().and_then(|w| server_of(d, servers, w)) {
            *counts.entry(srv.name.clone()).or_default() += 1;
        } else {
            unknown += 1;
        }
    }
    let answered = n - failed.values().sum::<usize>();
    let mut measured = format!("{answered}/{n} answered");
    if !failed.is_empty() {
        measured.push_str(&format!(
            " ({})",
            failed
                .iter()
                .map(|(k, v)| format!("{v}× {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if unknown > 0 {
        measured.push_str(&format!(", {unknown} from no declared server"));
    }
    let mut out = vec![Expectation::new(
        format!(
            "{n} requests via {} → {}",
            route.request.endpoint.url(),
            backend.name
        ),
        "all answered by declared servers",
        measured,
        failed.is_empty() && unknown == 0,
    )];
    let total: u32 = servers.iter().map(|s| s.weight).sum();
    let roundrobin = matches!(backend.balance, None | Some(Balance::Roundrobin));
    for s in servers {
        let want = s.weight as f64 * 100.0 / total as f64;
        let got = pct(counts.get(&s.name).copied().unwrap_or(0), n);
        let what = format!("share of {}/{} (weight {})", backend.name, s.name, s.weight);
        let goal = format!("{want:.1}% ± {TOLERANCE_PP}");
        let measured = format!("{got:.1}% ({})", counts.get(&s.name).copied().unwrap_or(0));
        out.push(if roundrobin {
            Expectation::new(what, goal, measured, (got - want).abs() <= TOLERANCE_PP)
        } else {
            Expectation::skip(
                what,
                goal,
                format!("{measured}; no share goal for this algorithm"),
            )
        });
    }
    (out, counts)
}

/// M clients, each sending K requests and keeping the cookie it was given.
async fn sticky<R: Remote>(d: &Drill<'_, R>, route: &RouteProbe, cookie: &str) -> Expectation {
    let clients = d.opts.sticky_clients.max(1);
    let k = d.opts.sticky_requests.max(2);
    let one = |i: usize| async move {
        let first = d.prober.send(&route.request).await;
        let Some(jar) = first
            .result
            .as_ref()
            .ok()
            .and_then(|a| a.set_cookies.iter().find_map(|c| cookie_pair(c, cookie)))
        else {
            return Err(format!(
                "client {i}: no {cookie} cookie ({})",
                crate::drill::expect::answered(&first)
            ));
        };
        let mut workers = vec![first.worker().unwrap_or("?").to_string()];
        let req = Request {
            cookie: Some(jar),
            ..route.request.clone()
        };
        for _ in 1..k {
            let s = d.prober.send(&req).await;
            workers.push(if s.ok() {
                s.worker().unwrap_or("?").to_string()
            } else {
                s.outcome()
            });
        }
        Ok(workers)
    };
    let results = futures::future::join_all((1..=clients).map(one)).await;
    let mut stayed: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(w) if w.iter().all(|x| x == &w[0]) && w[0] != "?" => {
                *stayed.entry(w[0].clone()).or_default() += 1
            }
            Ok(w) => problems.push(format!("client {}: {}", i + 1, w.join("→"))),
            Err(e) => problems.push(e),
        }
    }
    let held = stayed.values().sum::<usize>();
    let mut measured = format!(
        "{held}/{clients} stayed ({})",
        stayed
            .iter()
            .map(|(w, n)| format!("{w}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !problems.is_empty() {
        measured.push_str(&format!("; {}", problems.join("; ")));
    }
    Expectation::new(
        format!(
            "{clients} clients × {k} requests keeping {cookie} via {}",
            route.request.endpoint.url()
        ),
        "each stays on one worker",
        measured,
        problems.is_empty(),
    )
}

/// `JSESSIONID=w1~abc; Path=/` → `JSESSIONID=w1~abc` when the name matches.
fn cookie_pair(set_cookie: &str, name: &str) -> Option<String> {
    let pair = set_cookie.split(';').next()?.trim();
    let (n, _) = pair.split_once('=')?;
    (n == name).then(|| pair.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_cookie_is_kept() {
        assert_eq!(
            cookie_pair("JSESSIONID=w1~abc; Path=/", "JSESSIONID").as_deref(),
            Some("JSESSIONID=w1~abc")
        );
        assert_eq!(cookie_pair("OTHER=1", "JSESSIONID"), None);
    }
}
