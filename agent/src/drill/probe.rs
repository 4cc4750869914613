//! The drill's own HTTP(S) prober: one request = one new TCP connection (and TLS
//! session), so every request sees the platform as a new client would — which node
//! holds the VIP now, which worker HAProxy picks now.
//!
//! Guarantees, enforced here at the lowest layer:
//! - it connects only to addresses in its allow-list, which [`super::endpoints`]
//!   builds from the desired state (inventory addresses, the VIP): names are never
//!   resolved through DNS, the Host header and SNI carry the virtual host's name;
//! - every request has a timeout, and a shared [`Budget`] caps the whole drill's
//!   request count and duration, so a drill cannot turn into a load test;
//! - results are plain values ([`Sample`]): start and end on one monotonic clock,
//!   status or failure, which worker answered (`X-Worker`, or the lab's `host=wN` body).
//!
//! TLS: the server's certificate chain is captured, not judged by a CA store — the
//! gateway expectation compares it with the certificate declared in Git; handshake
//! signatures are still verified with the provider's algorithms.

use super::tls;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

/// Bodies longer than this are cut (the drill reads names and statuses, not pages).
const BODY_LIMIT: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

/// Where one request goes: the address to connect to and the name it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    /// Host header and TLS server name (a virtual host's name, or the address).
    pub host: String,
    pub addr: SocketAddr,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Endpoint {
    /// As a person would type it (`https://apps.lab/app/`), the connect address aside.
    pub fn url(&self) -> String {
        let default = match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        };
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        let port = if self.addr.port() == default {
            String::new()
        } else {
            format!(":{}", self.addr.port())
        };
        format!("{scheme}://{}{port}{}", self.host, self.path)
    }
}

/// One request: where, and the headers a client adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub endpoint: Endpoint,
    /// `(user, password)` for HTTP basic authentication.
    pub basic_auth: Option<(String, String)>,
    /// A `Cookie` header value (`JSESSIONID=w1~abc`).
    pub cookie: Option<String>,
}

impl Request {
    pub fn get(endpoint: Endpoint) -> Request {
        Request {
            endpoint,
            basic_auth: None,
            cookie: None,
        }
    }
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    pub status: u16,
    /// Which worker answered: `X-Worker`, else the first `host=NAME` of the body.
    pub worker: Option<String>,
    pub location: Option<String>,
    /// `Set-Cookie` values, as sent.
    pub set_cookies: Vec<String>,
    pub body: String,
    /// DER of the server's end-entity certificate (HTTPS only).
    pub peer_certificate: Option<Vec<u8>>,
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The address is not one of the desired state's: nothing was sent.
    NotAllowed(SocketAddr),
    /// The drill's request budget (count or time) is spent: nothing was sent.
    Budget,
    Refused,
    Connect(String),
    Tls(String),
    Http(String),
    /// No complete answer within the request timeout.
    Timeout,
}

impl Failure {
    /// A short class name for tables (`refused`, `timeout`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::NotAllowed(_) => "not-allowed",
            Failure::Budget => "budget",
            Failure::Refused => "refused",
            Failure::Connect(_) => "connect",
            Failure::Tls(_) => "tls",
            Failure::Http(_) => "http",
            Failure::Timeout => "timeout",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NotAllowed(a) => write!(f, "{a} is not an address of the desired state"),
            Failure::Budget => f.write_str("the drill's request budget is spent"),
            Failure::Refused => f.write_str("connection refused"),
            Failure::Connect(m) => write!(f, "connect: {m}"),
            Failure::Tls(m) => write!(f, "TLS: {m}"),
            Failure::Http(m) => write!(f, "HTTP: {m}"),
            Failure::Timeout => f.write_str("timed out"),
        }
    }
}

/// One request's result. Times are seconds on the prober's clock ([`Prober::now`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub start: f64,
    pub end: f64,
    pub result: Result<Answer, Failure>,
}

impl Sample {
    /// Answered with a status below 400 (what a client counts as served).
    pub fn ok(&self) -> bool {
        self.status().is_some_and(|s| s < 400)
    }
    pub fn status(&self) -> Option<u16> {
        self.result.as_ref().ok().map(|a| a.status)
    }
    pub fn worker(&self) -> Option<&str> {
        self.result.as_ref().ok().and_then(|a| a.worker.as_deref())
    }
    /// `200`, `503`, `refused`, `timeout`…: what a table shows.
    pub fn outcome(&self) -> String {
        match &self.result {
            Ok(a) => a.status.to_string(),
            Err(f) => f.kind().to_string(),
        }
    }
}

/// Caps shared by every request of one drill.
#[derive(Debug)]
pub struct Budget {
    pub max_requests: u64,
    pub deadline: Instant,
    sent: AtomicU64,
}

impl Budget {
    pub fn new(max_requests: u64, max_time: Duration) -> Budget {
        Budget {
            max_requests,
            deadline: Instant::now() + max_time,
            sent: AtomicU64::new(0),
        }
    }
    fn take(&self) -> bool {
        Instant::now() < self.deadline
            && self.sent.fetch_add(1, Ordering::Relaxed) < self.max_requests
    }
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed).min(self.max_requests)
    }
}

/// Sends requests; cheap to share (`Arc`).
pub struct Prober {
    allowed: BTreeSet<IpAddr>,
    timeout: Duration,
    budget: Budget,
    tls: TlsConnector,
    epoch: Instant,
}

impl Prober {
    /// A prober that may connect to `allowed` only, `timeout` per request.
    pub fn new(allowed: BTreeSet<IpAddr>, timeout: Duration, budget: Budget) -> Prober {
        Prober {
            allowed,
            timeout,
            budget,
            tls: TlsConnector::from(Arc::new(tls::capturing_client_config())),
            epoch: Instant::now(),
        }
    }

    /// Seconds since this prober was made: the clock of every [`Sample`] and event.
    pub fn now(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    pub fn budget(&self) -> &Budget {
        &self.budget
    }
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allowed.contains(&ip)
    }

    /// Sends `req` on a new connection and waits for the whole answer (or the timeout).
    pub async fn send(&self, req: &Request) -> Sample {
        self.send_within(req, self.timeout).await
    }

    /// [`Prober::send`] with its own timeout (the reload check waits longer, see
    /// `DrillOptions::reload_timeout`).
    pub async fn send_within(&self, req: &Request, timeout: Duration) -> Sample {
        let start = self.now();
        let result = if !self.allows(req.endpoint.addr.ip()) {
            Err(Failure::NotAllowed(req.endpoint.addr))
        } else if !self.budget.take() {
            Err(Failure::Budget)
        } else {
            match tokio::time::timeout(timeout, self.exchange(req)).await {
                Ok(r) => r,
                Err(_) => Err(Failure::Timeout),
            }
        };
        Sample {
            start,
            end: self.now(),
            result,
        }
    }

    async fn exchange(&self, req: &Request) -> Result<Answer, Failure> {
        let tcp = TcpStream::connect(req.endpoint.addr)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::ConnectionRefused => Failure::Refused,
                _ => Failure::Connect(e.to_string()),
            })?;
        let _ = tcp.set_nodelay(true);
        match req.endpoint.scheme {
            Scheme::Http => http_exchange(tcp, req, None).await,
            Scheme::Https => {
                let name = ServerName::try_from(req.endpoint.host.clone())
                    .map_err(|e| Failure::Tls(format!("{}: {e}", req.endpoint.host)))?;
                let stream = self
                    .tls
                    .connect(name, tcp)
                    .await
                    .map_err(|e| Failure::Tls(e.to_string()))?;
                let cert = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.as_ref().to_vec());
                http_exchange(stream, req, cert).await
            }
        }
    }
}

async fn http_exchange<S>(
    stream: S,
    req: &Request,
    peer_certificate: Option<Vec<u8>>,
) -> Result<Answer, Failure>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let http = |e: hyper::Error| Failure::Http(e.to_string());
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(http)?;
    // The connection task ends with the exchange (`Connection: close`); the guard
    // aborts it when this future is dropped at the timeout, closing the socket.
    let conn = AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let mut builder = hyper::Request::get(req.endpoint.path.as_str())
        .header(hyper::header::HOST, host_header(&req.endpoint))
        .header(hyper::header::USER_AGENT, "agent-drill")
        .header(hyper::header::CONNECTION, "close");
    if let Some((user, password)) = &req.basic_auth {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        builder = builder.header(hyper::header::AUTHORIZATION, format!("Basic {token}"));
    }
    if let Some(c) = &req.cookie {
        builder = builder.header(hyper::header::COOKIE, c);
    }
    let request = builder
        .body(Empty::<Bytes>::new())
        .map_err(|e| Failure::Http(e.to_string()))?;
    let response = sender.send_request(request).await.map_err(http)?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let status = response.status().as_u16();
    let location = header("location");
    let x_worker = header("x-worker");
    let set_cookies = response
        .headers()
        .get_all(hyper::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let body = Limited::new(response.into_body(), BODY_LIMIT)
        .collect()
        .await
        .map_err(|e| Failure::Http(format!("reading the body: {e}")))?
        .to_bytes();
    drop(conn);
    let body = String::from_utf8_lossy(&body).into_owned();
    let worker = x_worker.or_else(|| body_worker(&body));
    Ok(Answer {
        status,
        worker,
        location,
        set_cookies,
        body,
        peer_certificate,
    })
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn host_header(e: &Endpoint) -> String {
    let default = match e.scheme {
        Scheme::Http => 80,
        Scheme::Https => 443,
    };
    if e.addr.port() == default {
        e.host.clone()
    } else {
        format!("{}:{}", e.host, e.addr.port())
    }
}

/// The lab's workers answer `host=wN port=P …`.
fn body_worker(body: &str) -> Option<String> {
    body.split_whitespace()
        .find_map(|w| w.strip_prefix("host="))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
