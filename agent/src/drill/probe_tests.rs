//! Tests of the prober: allow-list, budget, one connection per request.
use super::*;

fn endpoint(addr: &str) -> Endpoint {
    Endpoint {
        scheme: Scheme::Http,
        host: "apps.lab".into(),
        addr: addr.parse().unwrap(),
        path: "/app/".into(),
    }
}

#[test]
fn urls_and_host_headers_omit_default_ports() {
    let e = endpoint("10.0.0.1:80");
    assert_eq!(e.url(), "http://apps.lab/app/");
    assert_eq!(host_header(&e), "apps.lab");
    let e = endpoint("10.0.0.1:8404");
    assert_eq!(e.url(), "http://apps.lab:8404/app/");
    assert_eq!(host_header(&e), "apps.lab:8404");
}

#[test]
fn the_lab_worker_is_read_from_the_body() {
    assert_eq!(
        body_worker("host=w2 port=30080 path=/ session=x\n").as_deref(),
        Some("w2")
    );
    assert_eq!(body_worker("<html>"), None);
}

#[tokio::test]
async fn an_address_outside_the_allow_list_is_never_contacted() {
    // A listener the prober is not allowed to reach: it must see no connection.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let p = Prober::new(
        BTreeSet::from(["127.0.0.2".parse().unwrap()]),
        Duration::from_millis(200),
        Budget::new(10, Duration::from_secs(5)),
    );
    let s = p.send(&Request::get(endpoint(&addr.to_string()))).await;
    assert_eq!(s.result, Err(Failure::NotAllowed(addr)));
    let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
    assert!(accepted.is_err(), "the prober connected anyway");
    assert_eq!(p.budget().sent(), 0);
}

#[tokio::test]
async fn one_request_is_one_connection_and_its_answer_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let (mut c, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = c.read(&mut buf).await.unwrap();
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let body = "host=w1 port=30080 path=/app/\n";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=w1~a; Path=/\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            c.write_all(answer.as_bytes()).await.unwrap();
        }
        seen
    });
    let p = Prober::new(
        BTreeSet::from([addr.ip()]),
        Duration::from_secs(2),
        Budget::new(10, Duration::from_secs(5)),
    );
    let mut req = Request::get(endpoint(&addr.to_string()));
    req.basic_auth = Some(("admin".into(), "pw".into()));
    let a = p.send(&req).await;
    let b = p.send(&req).await;
    let seen = server.await.unwrap();
    let answer = a.result.unwrap();
    assert_eq!((answer.status, answer.worker.as_deref()), (200, Some("w1")));
    assert_eq!(answer.set_cookies, ["JSESSIONID=w1~a; Path=/"]);
    assert!(b.ok(), "the second request got its own connection");
    let first = seen[0].to_lowercase();
    assert!(first.starts_with("get /app/ http/1.1"), "{first}");
    assert!(
        first.contains(&format!("host: apps.lab:{}", addr.port())),
        "{first}"
    );
    assert!(
        first.contains("authorization: basic ywrtaw46chc="),
        "{first}"
    );
    assert!(first.contains("connection: close"), "{first}");
    assert!(a.start <= a.end && a.end <= b.start);
}

#[tokio::test]
async fn the_budget_caps_requests() {
    let p = Prober::new(
        BTreeSet::from(["127.0.0.1".parse().unwrap()]),
        Duration::from_millis(200),
        Budget::new(1, Duration::from_secs(5)),
    );
    // Port 9 (discard) is normally closed: refused or timeout, but sent.
    let first = p.send(&Request::get(endpoint("127.0.0.1:9"))).await;
    assert_ne!(first.result, Err(Failure::Budget));
    let second = p.send(&Request::get(endpoint("127.0.0.1:9"))).await;
    assert_eq!(second.result, Err(Failure::Budget));
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout_and_its_socket_is_closed() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut c, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let _ = c.read(&mut buf).await; // the request; no answer
                                        // After the prober's timeout its side closes: the read ends (0 bytes or reset).
        tokio::time::timeout(Duration::from_secs(2), c.read(&mut buf)).await
    });
    let p = Prober::new(
        BTreeSet::from([addr.ip()]),
        Duration::from_millis(200),
        Budget::new(10, Duration::from_secs(5)),
    );
    let s = p.send(&Request::get(endpoint(&addr.to_string()))).await;
    assert_eq!(s.result, Err(Failure::Timeout));
    assert!(s.end - s.start < 1.0, "{s:?}");
    let closed = server.await.unwrap();
    assert!(
        closed.is_ok(),
        "the prober kept the connection open after its timeout"
    );
}

#[tokio::test]
async fn a_late_answer_fails_the_prober_s_timeout_but_not_a_longer_one() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A server that answers each request 300 ms late, as Apache does for a connection
    // that waits in its listen queue during a graceful restart.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut c, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = c.read(&mut buf).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = c
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
                    .await;
            });
        }
    });
    let p = Prober::new(
        BTreeSet::from([addr.ip()]),
        Duration::from_millis(100),
        Budget::new(10, Duration::from_secs(5)),
    );
    let req = Request::get(endpoint(&addr.to_string()));
    let quick = p.send(&req).await;
    assert_eq!(quick.result, Err(Failure::Timeout));
    let patient = p.send_within(&req, Duration::from_secs(3)).await;
    assert_eq!(patient.status(), Some(200), "{:?}", patient.result);
    let took = patient.end - patient.start;
    assert!(took >= 0.29, "answered after the server's delay: {took}");
    assert!((crate::drill::series::slowest_ok(&[quick, patient]) - took).abs() < 1e-9);
}
