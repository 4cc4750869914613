use super::*;
use crate::run::{Cause, Found, Outcome};

async fn start(secret: Option<&[u8]>) -> (SocketAddr, Arc<App>, watch::Sender<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Arc::new(App {
        shared: Arc::new(Shared::default()),
        trigger: Arc::new(Notify::new()),
        secret: secret.map(<[u8]>::to_vec),
        auth: None,
        diffs: None,
    });
    let (stop, rx) = watch::channel(false);
    tokio::spawn(serve(listener, app.clone(), rx));
    (addr, app, stop)
}

#[tokio::test]
async fn status_healthz_and_metrics() {
    let (addr, app, _stop) = start(None).await;
    {
        let mut st = app.shared.status.lock().unwrap();
        st.commit_seen = Some("abc123".into());
        st.record(&Outcome {
            commit: "abc123".into(),
            targets: vec!["gateway".into()],
            drift: vec![Found {
                target: "gateway".into(),
                host: Some("gw".into()),
                object: "/etc/apache2/sites-available/x.conf".into(),
            }],
            ..Default::default()
        });
    }
    app.shared.metrics.lock().unwrap().record(
        Cause::Corrective,
        &Outcome {
            targets: vec!["gateway".into()],
            ..Default::default()
        },
    );
    assert_eq!(
        request(addr, "GET", "/healthz", &[], b"").await.unwrap(),
        (200, "ok\n".into())
    );
    let (code, body) = request(addr, "GET", "/status", &[], b"").await.unwrap();
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["commitSeen"], "abc123");
    assert_eq!(v["targets"]["gateway"]["sync"], "drifted");
    assert_eq!(v["targets"]["gateway"]["drift"][0]["host"], "gw");
    let (code, body) = request(addr, "GET", "/metrics", &[], b"").await.unwrap();
    assert_eq!(code, 200);
    assert!(
        body.contains("# TYPE agent_cycle_duration_seconds histogram"),
        "{body}"
    );
    assert!(
        body.contains("agent_drift_objects{target=\"gateway\"} 0"),
        "{body}"
    );
    assert_eq!(
        request(addr, "GET", "/nope", &[], b"").await.unwrap().0,
        404
    );
    assert_eq!(
        request(addr, "POST", "/status", &[], b"").await.unwrap().0,
        405
    );
}

#[tokio::test]
async fn webhook_triggers_only_with_the_right_signature() {
    let (addr, app, _stop) = start(Some(b"s3cret")).await;
    let body = br#"{"ref":"refs/heads/main"}"#;
    let good = sign(b"s3cret", body);
    let wrong = sign(b"other", body);
    for headers in [
        vec![],
        vec![("x-hub-signature-256", wrong.as_str())],
        vec![("x-hub-signature-256", "sha256=zz")],
    ] {
        let (code, _) = request(addr, "POST", "/hooks/git", &headers, body)
            .await
            .unwrap();
        assert_eq!(code, 401, "{headers:?}");
    }
    // Nothing was triggered so far: a permit would make this resolve immediately.
    let pending =
        tokio::time::timeout(std::time::Duration::from_millis(50), app.trigger.notified()).await;
    assert!(pending.is_err(), "a rejected webhook must not trigger");
    let (code, _) = request(
        addr,
        "POST",
        "/hooks/git",
        &[("X-Hub-Signature-256", &good)],
        body,
    )
    .await
    .unwrap();
    assert_eq!(code, 202);
    app.trigger.notified().await;
    // A body signed for different content is refused.
    let (code, _) = request(
        addr,
        "POST",
        "/hooks/git",
        &[("x-hub-signature-256", &good)],
        b"{}",
    )
    .await
    .unwrap();
    assert_eq!(code, 401);
}

#[tokio::test]
async fn webhook_disabled_without_a_secret() {
    let (addr, _app, _stop) = start(None).await;
    let (code, body) = request(addr, "POST", "/hooks/git", &[], b"{}")
        .await
        .unwrap();
    assert_eq!(code, 404, "{body}");
}

#[test]
fn signature_matches_githubs_documented_example() {
    // From GitHub's "Validating webhook deliveries" documentation.
    let sig = sign(b"It's a Secret to Everybody", b"Hello, World!");
    assert_eq!(
        sig,
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
    assert!(verify(
        b"It's a Secret to Everybody",
        b"Hello, World!",
        Some(&sig)
    ));
}

#[tokio::test]
async fn with_credentials_every_data_route_is_401_without_them_and_headers_are_set() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Arc::new(App {
        shared: Arc::new(Shared::default()),
        trigger: Arc::new(Notify::new()),
        secret: None,
        auth: Some(crate::web::auth::Credentials::new("tok")),
        diffs: None,
    });
    app.shared.status.lock().unwrap().repo = "secret-repo-name".into();
    let (_stop, rx) = watch::channel(false);
    tokio::spawn(serve(listener, app.clone(), rx));
    for path in [
        "/",
        "/status",
        "/metrics",
        "/api/status",
        "/api/history",
        "/api/diff",
        "/history/1",
    ] {
        let (code, body) = request(addr, "GET", path, &[], b"").await.unwrap();
        assert_eq!(
            (code, body.as_str()),
            (401, "authentication required\n"),
            "{path}"
        );
        let (code, _) = request(addr, "GET", path, &[("authorization", "Bearer nope")], b"")
            .await
            .unwrap();
        assert_eq!(code, 401, "{path}");
    }
    assert_eq!(
        request(addr, "GET", "/healthz", &[], b"").await.unwrap().0,
        200
    );
    let ok = [("authorization", "Bearer tok")];
    let (code, body) = request(addr, "GET", "/status", &ok, b"").await.unwrap();
    assert_eq!(code, 200);
    assert!(body.contains("secret-repo-name"));
    let (code, page) = request(addr, "GET", "/", &ok, b"").await.unwrap();
    assert_eq!(code, 200);
    assert!(
        page.starts_with("<!doctype html>") && page.contains("No cycle has run yet"),
        "{page}"
    );
    let (code, body) = request(addr, "GET", "/api/history", &ok, b"")
        .await
        .unwrap();
    assert_eq!((code, body.contains("\"total\": 0")), (200, true), "{body}");
    let r = reply(StatusCode::OK, "text/plain", "x");
    for (k, _) in SECURITY_HEADERS {
        assert!(r.headers().contains_key(*k), "{k}");
    }
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
}
