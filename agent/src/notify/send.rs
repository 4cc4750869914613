//! Sending one [`HttpRequest`]: `http://` or `https://` (rustls, the system's root
//! certificates, the host name verified), HTTP/1.1 through hyper, bounded by a timeout.

use super::request::HttpRequest;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// Parses `http(s)://host[:port]/path`; `Err` says what is wrong.
pub fn parse_url(url: &str) -> Result<Target, String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("{url}: not an http:// or https:// URL"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
            let port = p
                .parse()
                .map_err(|_| format!("{url}: port `{p}` is not a number"))?;
            (h, port)
        }
        _ => (authority, if tls { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok(Target {
        tls,
        host: host.trim_matches(['[', ']']).to_string(),
        port,
        path: path.to_string(),
    })
}

fn tls_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::warn!("notify: reading the system's root certificates: {e}");
            }
            let (added, _) = roots.add_parsable_certificates(found.certs);
            tracing::debug!(added, "notify: system root certificates");
            let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
            Arc::new(
                ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("ring supports the default protocol versions")
                    .with_root_certificates(roots)
                    .with_no_client_auth(),
            )
        })
        .clone()
}

async fn exchange<S>(io: S, t: &Target, req: &HttpRequest) -> Result<(u16, String), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(conn);
    let default_port = if t.tls { 443 } else { 80 };
    let host = if t.port == default_port {
        t.host.clone()
    } else {
        format!("{}:{}", t.host, t.port)
    };
    let mut b = hyper::Request::builder()
        .method(req.method)
        .uri(&t.path)
        .header("host", host);
    for (k, v) in &req.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let request = b
        .body(Full::new(Bytes::from(req.body.clone())))
        .map_err(|e| e.to_string())?;
    let out = async {
        let res = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let code = res.status().as_u16();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((code, String::from_utf8_lossy(&body).into_owned()))
    }
    .await;
    driver.abort();
    out
}

/// Sends `req`; the status code and body of the answer, or why there is none.
pub async fn send(req: &HttpRequest, timeout: Duration) -> Result<(u16, String), String> {
    let t = parse_url(&req.url)?;
    let work = async {
        let tcp = tokio::net::TcpStream::connect((t.host.as_str(), t.port))
            .await
            .map_err(|e| format!("{}:{}: {e}", t.host, t.port))?;
        if !t.tls {
            return exchange(tcp, &t, req).await;
        }
        let name = ServerName::try_from(t.host.clone()).map_err(|e| e.to_string())?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {}: {e}", t.host))?;
        exchange(tls, &t, req).await
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("no answer within {} s", timeout.as_secs()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split() {
        let t = parse_url("https://api.github.com/repos/o/r/statuses/abc").unwrap();
        assert_eq!(
            (t.tls, t.host.as_str(), t.port, t.path.as_str()),
            (true, "api.github.com", 443, "/repos/o/r/statuses/abc")
        );
        let t = parse_url("http://127.0.0.1:8080").unwrap();
        assert_eq!((t.tls, t.port, t.path.as_str()), (false, 8080, "/"));
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("http://h:x/").is_err());
    }
}
