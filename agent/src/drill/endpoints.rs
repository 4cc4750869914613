//! What the drill may talk to, derived from the desired state only: the gateway's
//! routes and redirects (connecting to the gateway hosts' inventory addresses, with the
//! virtual host's name as Host header and SNI), the HAProxy stats page on the VIP, and
//! the allow-list of addresses the prober enforces (inventory addresses and VIPs).
//! Nothing here is resolved through DNS.

use super::probe::{Endpoint, Request, Scheme};
use schema::{DesiredState, Role};
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

/// One gateway route on one gateway host.
#[derive(Debug, Clone)]
pub struct RouteProbe {
    pub gateway: String,
    pub vhost: String,
    /// The route's path as declared (`/app`).
    pub path: String,
    pub request: Request,
    /// The declared `expectStatus`; `None`: any status 200–399.
    pub expect_status: Option<u16>,
    /// The route's upstream as an endpoint when it is an address of the desired state
    /// (the VIP): probed directly, it shows the balancers without the gateway.
    pub upstream: Option<Request>,
}

/// `redirectHttp: true`: plain HTTP on port 80 must send the client to HTTPS.
#[derive(Debug, Clone)]
pub struct RedirectProbe {
    pub gateway: String,
    pub vhost: String,
    pub request: Request,
    /// `https://<serverName>`: what the `Location` must start with.
    pub location_prefix: String,
}

/// The HAProxy statistics page on the VIP.
#[derive(Debug, Clone)]
pub struct StatsProbe {
    /// With the declared credentials (when declared).
    pub request: Request,
    /// The CSV export (`<uri>;csv`), same credentials.
    pub csv: Request,
    pub auth_declared: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    pub routes: Vec<RouteProbe>,
    pub redirects: Vec<RedirectProbe>,
    pub stats: Option<StatsProbe>,
    /// Every address the prober may connect to.
    pub allowed: BTreeSet<IpAddr>,
    /// Things that could not be probed, and why (a host name instead of an address…).
    pub notes: Vec<String>,
}

/// The first declared VIP (the balancer pair's address).
pub fn vip(state: &DesiredState) -> Option<IpAddr> {
    state
        .clusters
        .iter()
        .find_map(|c| c.doc.spec.vip.as_ref())
        .and_then(|v| v.ip.parse().ok())
}

pub fn endpoints(state: &DesiredState) -> Endpoints {
    let mut e = Endpoints::default();
    for h in state.hosts() {
        match h.address.parse::<IpAddr>() {
            Ok(ip) => {
                e.allowed.insert(ip);
            }
            Err(_) => e.notes.push(format!(
                "{}: address `{}` is not an IP address; the drill resolves no names and does not probe it",
                h.name, h.address
            )),
        }
    }
    let vip = vip(state);
    e.allowed.extend(vip);
    gateway_endpoints(state, &mut e);
    if let (Some(vip), Some(b)) = (vip, state.balancers.first()) {
        e.stats = stats_probe(&b.doc.spec, vip);
    }
    e
}

fn gateway_endpoints(state: &DesiredState, e: &mut Endpoints) {
    for g in &state.gateways {
        let spec = &g.doc.spec;
        let hosts: Vec<&schema::Host> = if spec.hosts.is_empty() {
            state.hosts_with_role(Role::Gateway).collect()
        } else {
            spec.hosts.iter().filter_map(|n| state.host(n)).collect()
        };
        for h in hosts {
            let Ok(ip) = h.address.parse::<IpAddr>() else {
                continue;
            };
            for v in &spec.vhosts {
                // Probes address a virtual host by name: one without a name is skipped.
                let Some(name) = v.server_name.clone() else {
                    continue;
                };
                let tls = v.tls.is_some();
                let port = v.port.unwrap_or(if tls { 443 } else { 80 });
                let scheme = if tls { Scheme::Https } else { Scheme::Http };
                for r in &v.routes {
                    if r.upstream.starts_with("ws") && r.expect_status.is_none() {
                        e.notes.push(format!(
                            "route {}{} on {} goes to a WebSocket upstream: a plain GET is not its handshake, so it is not probed (declare `expectStatus` to probe it)",
                            name, r.path, h.name
                        ));
                        continue;
                    }
                    let path = if r.path.ends_with('/') {
                        r.path.clone()
                    } else {
                        format!("{}/", r.path)
                    };
                    e.routes.push(RouteProbe {
                        gateway: h.name.clone(),
                        vhost: name.clone(),
                        path: r.path.clone(),
                        request: Request::get(Endpoint {
                            scheme,
                            host: name.clone(),
                            addr: SocketAddr::new(ip, port),
                            path,
                        }),
                        expect_status: r.expect_status,
                        upstream: upstream(&r.upstream, &e.allowed),
                    });
                }
                if tls && v.redirect_http {
                    e.redirects.push(RedirectProbe {
                        gateway: h.name.clone(),
                        vhost: name.clone(),
                        request: Request::get(Endpoint {
                            scheme: Scheme::Http,
                            host: name.clone(),
                            addr: SocketAddr::new(ip, 80),
                            path: "/".into(),
                        }),
                        location_prefix: format!("https://{name}"),
                    });
                }
            }
        }
    }
}

/// `http://10.77.0.100/app` → a request to that address, when it is an allowed one.
fn upstream(url: &str, allowed: &BTreeSet<IpAddr>) -> Option<Request> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr: SocketAddr = match authority.parse::<IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, 80),
        Err(_) => authority.parse().ok()?,
    };
    if !allowed.contains(&addr.ip()) {
        return None;
    }
    let path = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    Some(Request::get(Endpoint {
        scheme: Scheme::Http,
        host: authority.to_string(),
        addr,
        path,
    }))
}

fn stats_probe(spec: &schema::BalancerSpec, vip: IpAddr) -> Option<StatsProbe> {
    let stats = spec.stats.as_ref()?;
    let port = stats
        .binds
        .iter()
        .find_map(|b| b.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()))?;
    let uri = stats.uri.clone().unwrap_or_else(|| "/stats".into());
    let auth = stats
        .auth
        .as_ref()
        .map(|a| (a.user.clone(), a.password.clone()));
    let at = |path: String| Request {
        endpoint: Endpoint {
            scheme: Scheme::Http,
            host: vip.to_string(),
            addr: SocketAddr::new(vip, port),
            path,
        },
        basic_auth: auth.clone(),
        cookie: None,
    };
    Some(StatsProbe {
        request: at(uri.clone()),
        csv: at(format!("{uri};csv")),
        auth_declared: auth.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_on_allowed_addresses_become_requests() {
        let allowed = BTreeSet::from(["10.77.0.100".parse().unwrap()]);
        let r = upstream("http://10.77.0.100/app", &allowed).unwrap();
        assert_eq!(r.endpoint.url(), "http://10.77.0.100/app/");
        assert_eq!(r.endpoint.addr.port(), 80);
        let r = upstream("http://10.77.0.100:8080", &allowed).unwrap();
        assert_eq!(r.endpoint.path, "/");
        assert_eq!(r.endpoint.addr.port(), 8080);
        assert!(upstream("http://10.9.9.9/x", &allowed).is_none());
        assert!(upstream("http://name.example/x", &allowed).is_none());
    }
}
