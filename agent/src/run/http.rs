//! The service's HTTP listener: `GET /status` (JSON), `GET /healthz`, `GET /metrics`
//! (Prometheus text), `POST /hooks/git` (a push webhook: starts a cycle now), and the
//! central view ([`crate::web`]): the page `/`, `/history/ID`, `/api/status`,
//! `/api/history`, `/api/diff`.
//!
//! With credentials configured (required off loopback, see [`crate::web::auth`]) every
//! route but `/healthz`, `/style.css` and the webhook asks for them: 401 and no data
//! without. Every answer carries the usual security headers (a CSP without scripts or
//! inline styles, no framing, no sniffing, no referrer, no caching).
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
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Notify};

const MAX_BODY: usize = 1 << 20;

/// What the handlers need.
pub struct App {
    pub shared: Arc<Shared>,
    pub trigger: Arc<Notify>,
    /// The webhook's shared secret; `None` disables `/hooks/git`.
    pub secret: Option<Vec<u8>>,
    /// Required on the page, `/status`, `/metrics`, `/api/*` when set.
    pub auth: Option<crate::web::auth::Credentials>,
    /// Where `/api/diff` sends its work (the service loop); `None`: not served.
    pub diffs: Option<mpsc::Sender<super::DiffJob>>,
}

/// The headers on every answer.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
];

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
    let mut r = Response::builder()
        .status(code)
        .header("content-type", content_type);
    for (k, v) in SECURITY_HEADERS {
        r = r.header(*k, *v);
    }
    r.body(Full::new(body.into()))
        .expect("static response parts")
}

fn view((code, content_type, body): crate::web::routes::Reply) -> Response<Full<Bytes>> {
    reply(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        content_type,
        body,
    )
}

/// Routes that show data, and so ask for the credentials when there are any.
fn protected(path: &str) -> bool {
    matches!(path, "/" | "/status" | "/metrics")
        || path.starts_with("/api/")
        || path.starts_with("/history/")
}

async fn handle(
    app: Arc<App>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = "text/plain; charset=utf-8";
    let path = req.uri().path().to_string();
    if let Some(auth) = app.auth.as_ref().filter(|_| protected(&path)) {
        let given = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if !auth.check(given) {
            let mut r = reply(StatusCode::UNAUTHORIZED, text, "authentication required\n");
            r.headers_mut().insert(
                "www-authenticate",
                hyper::header::HeaderValue::from_static("Basic realm=\"agent\", charset=\"UTF-8\""),
            );
            return Ok(r);
        }
    }
    let q = crate::web::routes::query(req.uri().query());
    Ok(match (req.method().as_str(), path.as_str()) {
        ("GET", "/healthz") => reply(StatusCode::OK, text, "ok\n"),
        ("GET", "/") => view(crate::web::routes::index(&app.shared, &q)),
        ("GET", "/style.css") => reply(
            StatusCode::OK,
            "text/css; charset=utf-8",
            crate::web::style::CSS,
        ),
        ("GET", "/api/status") => view(crate::web::routes::api_status(&app.shared)),
        ("GET", "/api/history") => view(crate::web::routes::api_history(&app.shared, &q)),
        ("GET", "/api/diff") => {
            view(crate::web::routes::api_diff(&app.shared, app.diffs.as_ref(), &q).await)
        }
        ("GET", p) if p.starts_with("/history/") => view(crate::web::routes::entry(
            &app.shared,
            &p["/history/".len()..],
        )),
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
                app.shared
                    .webhook
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                app.trigger.notify_one();
                reply(StatusCode::ACCEPTED, text, "fetch scheduled\n")
            } else {
                tracing::warn!("webhook: bad or missing signature, ignored");
                reply(StatusCode::UNAUTHORIZED, text, "bad signature\n")
            }
        }
        (
            _,
            "/healthz" | "/status" | "/metrics" | "/hooks/git" | "/" | "/api/status"
            | "/api/history" | "/api/diff",
        ) => reply(StatusCode::METHOD_NOT_ALLOWED, text, "method not allowed\n"),
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

/// One HTTP/1.1 request with hyper's client (chunked or not, the body is decoded), for
/// `agent status`, `agent diff --via-service` and the tests. Returns the status code
/// and the body.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let io = std::io::Error::other;
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(io)?;
    let driver = tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let res = sender.send_request(req).await.map_err(io);
    let out = match res {
        Ok(res) => {
            let code = res.status().as_u16();
            let body = res.into_body().collect().await.map_err(io)?.to_bytes();
            Ok((code, String::from_utf8_lossy(&body).into_owned()))
        }
        Err(e) => Err(e),
    };
    driver.abort();
    out
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
