//! The service's HTTP listener: `GET /status` (JSON), `GET /healthz`, `GET /metrics`
//! (Prometheus text), `POST /hooks/git` (a push webhook: starts a cycle now).
//!
//! The webhook is authenticated like GitHub's: `X-Hub-Signature-256: sha256=<hex of
//! HMAC-SHA256(secret, body)>`, compared in constant time; a missing or wrong signature is
//! 401 and triggers nothing. Without a configured secret the webhook answers 404. Bodies
//! above 1 MiB are refused. Reads never block the loop: they copy the shared status.

use super::service::Shared;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

const MAX_BODY: usize = 1 << 20;

/// What the handlers need.
pub struct App {
    pub shared: Arc<Shared>,
    pub trigger: Arc<Notify>,
    /// The webhook's shared secret; `None` disables `/hooks/git`.
    pub secret: Option<Vec<u8>>,
}

/// Serves until `shutdown` turns true. Each connection is its own task.
pub async fn serve(listener: TcpListener, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let (tcp, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("status listener: accept failed: {e}");
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let app = app.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(app.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}

fn reply(code: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(code)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("static response parts")
}

async fn handle(
    app: Arc<App>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = "text/plain; charset=utf-8";
    let path = req.uri().path().to_string();
    Ok(match (req.method().as_str(), path.as_str()) {
        ("GET", "/healthz") => reply(StatusCode::OK, text, "ok\n"),
        ("GET", "/status") => {
            let json = serde_json::to_vec_pretty(&app.shared.status()).expect("plain data");
            reply(StatusCode::OK, "application/json", json)
        }
        ("GET", "/metrics") => {
            let m = app.shared.metrics.lock().expect("metrics lock").render();
            reply(StatusCode::OK, "text/plain; version=0.0.4", m)
        }
        ("POST", "/hooks/git") => {
            let Some(secret) = &app.secret else {
                return Ok(reply(
                    StatusCode::NOT_FOUND,
                    text,
                    "webhook disabled (no webhookSecretFile)\n",
                ));
            };
            let sig = req
                .headers()
                .get("x-hub-signature-256")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    return Ok(reply(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        text,
                        "body too large\n",
                    ))
                }
            };
            if verify(secret, &body, sig.as_deref()) {
                tracing::info!("webhook: push notification accepted, fetching now");
                app.trigger.notify_one();
                reply(StatusCode::ACCEPTED, text, "fetch scheduled\n")
            } else {
                tracing::warn!("webhook: bad or missing signature, ignored");
                reply(StatusCode::UNAUTHORIZED, text, "bad signature\n")
            }
        }
        (_, "/healthz" | "/status" | "/metrics" | "/hooks/git") => {
            reply(StatusCode::METHOD_NOT_ALLOWED, text, "method not allowed\n")
        }
        _ => reply(StatusCode::NOT_FOUND, text, "not found\n"),
    })
}

/// `sha256=<hex>` over `body` with `secret`, checked in constant time.
pub fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// The header value a sender computes (for tests and tooling).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A minimal HTTP/1.1 client for `agent status` and the tests: one request, the
/// connection closed after it. Returns the status code and body.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes()).await?;
    tcp.write_all(body).await?;
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let bad = || std::io::Error::other(format!("not an HTTP response from {addr}"));
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(bad)?;
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(bad)?;
    Ok((code, body.to_string()))
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
