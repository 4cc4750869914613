//! Balancer expectations: the statistics page answers on the VIP with the declared
//! credentials (and refuses a client without them), it lists every declared server of
//! every backend as UP, and every server answers its health check directly — so a
//! stopped worker is named even before HAProxy's own checks mark it down.
//!
//! Also the model-side facts other checks need: the servers a backend declares
//! (listed or derived from the inventory) and which backend serves a path.

use super::answered;
use crate::drill::probe::{Endpoint, Request, Scheme};
use crate::drill::report::Expectation;
use crate::drill::Drill;
use crate::exec::Remote;
use schema::{Backend, BalancerSpec, DesiredState};
use std::net::{IpAddr, SocketAddr};

/// A server as the backend declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredServer {
    pub name: String,
    pub address: String,
    /// None: the client's destination port (no port of its own to probe).
    pub port: Option<u16>,
    pub weight: u32,
    /// Takes no share of the load (`backup` or `disabled`).
    pub standby: bool,
}

/// Listed servers, then one per inventory host with `serversFrom.role` (render order).
pub fn declared_servers(state: &DesiredState, b: &Backend) -> Vec<DeclaredServer> {
    let default_weight = b.server_defaults.weight.unwrap_or(1);
    let mut out: Vec<DeclaredServer> = b
        .servers
        .iter()
        .map(|s| DeclaredServer {
            name: s.name.clone(),
            address: s.address.clone(),
            port: s.port,
            weight: s.weight.unwrap_or(default_weight),
            standby: s.backup || s.disabled,
        })
        .collect();
    if let Some(from) = &b.servers_from {
        out.extend(state.hosts_with_role(from.role).map(|h| DeclaredServer {
            name: h.name.clone(),
            address: h.address.clone(),
            port: Some(from.port),
            weight: default_weight,
            standby: false,
        }));
    }
    out
}

/// The backend a request for `path` on frontend port `port` lands in: the first
/// `use_backend` whose ACLs all hold (`path_beg`, `path`, `path_end`; `!` negates),
/// else the default backend. `None` when a rule uses a criterion not modelled here.
pub fn backend_for<'a>(spec: &'a BalancerSpec, port: u16, path: &str) -> Option<&'a Backend> {
    let fe = spec.frontends.iter().find(|f| {
        f.binds
            .iter()
            .any(|b| b.rsplit_once(':').and_then(|(_, p)| p.parse().ok()) == Some(port))
    })?;
    let acl = |name: &str| -> Option<bool> {
        let a = fe.acls.iter().find(|a| a.name == name)?;
        let mut words = a.condition.split_whitespace();
        let criterion = words.next()?;
        let mut values = words.filter(|w| !w.starts_with('-'));
        Some(match criterion {
            "path_beg" => values.any(|v| path.starts_with(v)),
            "path" => values.any(|v| path == v),
            "path_end" => values.any(|v| path.ends_with(v)),
            _ => return None,
        })
    };
    for u in &fe.use_backends {
        let mut all = true;
        for term in u.condition.split_whitespace() {
            let (neg, name) = match term.strip_prefix('!') {
                Some(n) => (true, n),
                None => (false, term),
            };
            all &= acl(name)? != neg;
        }
        if all {
            return spec.backends.iter().find(|b| b.name == u.backend);
        }
    }
    let name = fe.default_backend.as_deref()?;
    spec.backends.iter().find(|b| b.name == name)
}

pub async fn servers<R: Remote>(d: &Drill<'_, R>) -> Vec<Expectation> {
    let Some(b) = d.state.balancers.first() else {
        return vec![Expectation::skip(
            "balancer",
            "servers UP",
            "no Balancer declared",
        )];
    };
    let mut out = Vec::new();
    let csv = match &d.endpoints.stats {
        None => {
            out.push(Expectation::skip(
                "stats page",
                "answers on the VIP",
                "no stats page declared",
            ));
            None
        }
        Some(stats) => {
            let s = d.prober.send(&stats.request).await;
            let url = stats.request.endpoint.url();
            out.push(Expectation::new(
                format!("stats page {url}"),
                if stats.auth_declared {
                    "200 with the declared credentials"
                } else {
                    "200"
                },
                answered(&s),
                s.status() == Some(200),
            ));
            if stats.auth_declared {
                let mut anonymous = stats.request.clone();
                anonymous.basic_auth = None;
                let s = d.prober.send(&anonymous).await;
                out.push(Expectation::new(
                    format!("stats page {url} without credentials"),
                    "401",
                    answered(&s),
                    s.status() == Some(401),
                ));
            }
            let s = d.prober.send(&stats.csv).await;
            s.result.ok().filter(|a| a.status == 200).map(|a| a.body)
        }
    };
    for backend in &b.doc.spec.backends {
        for srv in declared_servers(d.state, backend) {
            if let Some(csv) = &csv {
                let status = csv_status(csv, &backend.name, &srv.name);
                out.push(Expectation::new(
                    format!("server {}/{} on the stats page", backend.name, srv.name),
                    "UP",
                    status.clone().unwrap_or_else(|| "not listed".into()),
                    status.is_some_and(|s| s.starts_with("UP")),
                ));
            }
            out.push(direct_check(d, backend, &srv).await);
        }
    }
    out
}

/// The server's own health check, asked directly (not through HAProxy).
async fn direct_check<R: Remote>(
    d: &Drill<'_, R>,
    backend: &Backend,
    srv: &DeclaredServer,
) -> Expectation {
    let what = match srv.port {
        Some(p) => format!("server {}/{} ({}:{p})", backend.name, srv.name, srv.address),
        None => format!("server {}/{} ({})", backend.name, srv.name, srv.address),
    };
    let Some(hc) = &backend.health_check else {
        return Expectation::skip(what, "answers its health check", "no healthCheck declared");
    };
    let Ok(ip) = srv.address.parse::<IpAddr>() else {
        return Expectation::skip(what, "answers its health check", "address is not an IP");
    };
    let Some(port) = srv.port else {
        return Expectation::skip(what, "answers its health check", "no port of its own");
    };
    let s = d
        .prober
        .send(&Request::get(Endpoint {
            scheme: Scheme::Http,
            host: srv.address.clone(),
            addr: SocketAddr::new(ip, port),
            path: hc.path.clone(),
        }))
        .await;
    let (goal, ok) = match hc.expect_status {
        Some(want) => (
            format!("{} answers {want}", hc.path),
            s.status() == Some(want),
        ),
        None => (format!("{} answers 200-399", hc.path), s.ok()),
    };
    Expectation::new(what, goal, answered(&s), ok)
}

/// The `status` column of HAProxy's CSV export for one server.
pub fn csv_status(csv: &str, backend: &str, server: &str) -> Option<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next()?.trim_start_matches("# ").split(',').collect();
    let col = header.iter().position(|h| *h == "status")?;
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&backend) && f.get(1) == Some(&server))
        .and_then(|f| f.get(col).map(|s| s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAL: &str = "
apiVersion: agent/v1
kind: Balancer
metadata: {name: b}
spec:
  frontends:
    - name: f
      binds: ['*:80']
      acls: [{name: is_auth, condition: path_beg /auth /login}]
      useBackends: [{backend: auth, if: is_auth}]
      defaultBackend: web
  backends:
    - {name: web, serverDefaults: {weight: 2}, servers: [{name: s1, address: 10.0.0.9, port: 8080, weight: 5}],
       serversFrom: {role: worker, port: 30080}}
    - {name: auth, servers: [{name: a1, address: 10.0.0.9, port: 9090, backup: true}]}
";

    fn spec() -> (DesiredState, BalancerSpec) {
        let s = crate::rendered::state_from(&[
            ("inv.yaml", crate::rendered::TEST_INVENTORY),
            ("b.yaml", BAL),
        ]);
        let spec = s.balancers[0].doc.spec.clone();
        (s, spec)
    }

    #[test]
    fn paths_find_their_backend() {
        let (_, spec) = spec();
        assert_eq!(backend_for(&spec, 80, "/auth/x").unwrap().name, "auth");
        assert_eq!(backend_for(&spec, 80, "/login").unwrap().name, "auth");
        assert_eq!(backend_for(&spec, 80, "/app/").unwrap().name, "web");
        assert!(
            backend_for(&spec, 81, "/app/").is_none(),
            "no frontend on 81"
        );
    }

    #[test]
    fn servers_come_from_the_list_and_the_inventory() {
        let (state, spec) = spec();
        let web = declared_servers(&state, &spec.backends[0]);
        let names: Vec<(&str, u32)> = web.iter().map(|s| (s.name.as_str(), s.weight)).collect();
        assert_eq!(names, [("s1", 5), ("w2", 2), ("w1", 2)], "inventory order");
        assert!(declared_servers(&state, &spec.backends[1])[0].standby);
    }

    #[test]
    fn the_csv_status_of_a_server_is_found() {
        let csv = "# pxname,svname,qcur,status,x\nweb,FRONTEND,,OPEN,\nweb,w1,0,UP,\nweb,w2,0,DOWN 1/3,\n";
        assert_eq!(csv_status(csv, "web", "w1").as_deref(), Some("UP"));
        assert_eq!(csv_status(csv, "web", "w2").as_deref(), Some("DOWN 1/3"));
        assert_eq!(csv_status(csv, "web", "w3"), None);
    }
}
