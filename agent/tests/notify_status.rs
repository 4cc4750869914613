//! Commit status after apply: the HTTP exchange with a generic webhook, GitHub's
//! commit-status API and GitLab's, against a local server on 127.0.0.1 that checks each
//! request as those APIs document it (method, path, headers, JSON body). The real
//! services cannot be reached from here; this is the exchange they would see.
//!
//! - GitHub: `POST /repos/{owner}/{repo}/statuses/{sha}`, `Accept:
//!   application/vnd.github+json`, `Authorization: Bearer TOKEN`,
//!   `X-GitHub-Api-Version: 2022-11-28`, a User-Agent; body `state` (error, failure,
//!   pending, success), `description`, `context`.
//! - GitLab: `POST /projects/:id/statuses/:sha` (a path id URL-encoded),
//!   `PRIVATE-TOKEN: TOKEN`; `state` (pending, running, success, failed, canceled),
//!   `name`, `description`.
//! - webhook: `POST`, JSON, `X-Agent-Signature-256: sha256=HMAC-SHA256(key, body)`.

use agent::config::Config;
use agent::notify::event::{CommitState, Event};
use agent::notify::notifier::Notifier;
use agent::notify::request::signature;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// Serves on 127.0.0.1, records every request, answers 201 like both APIs do.
async fn server() -> (u16, Arc<Mutex<Vec<Seen>>>) {
    server_after(std::time::Duration::ZERO).await
}

/// [`server`], answering each request `delay` after reading it.
async fn server_after(delay: std::time::Duration) -> (u16, Arc<Mutex<Vec<Seen>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let n = s.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "connection closed mid-request");
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i;
                    }
                };
                let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
                let mut lines = head.split("\r\n");
                let mut first = lines.next().unwrap().split(' ');
                let (method, path) = (first.next().unwrap(), first.next().unwrap());
                assert_eq!(first.next(), Some("HTTP/1.1"));
                let headers: BTreeMap<String, String> = lines
                    .map(|l| l.split_once(": ").unwrap())
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                    .collect();
                let len: usize = headers["content-length"].parse().unwrap();
                let mut body = buf[head_end + 4..].to_vec();
                while body.len() < len {
                    let n = s.read(&mut chunk).await.unwrap();
                    body.extend_from_slice(&chunk[..n]);
                }
                log.lock().unwrap().push(Seen {
                    method: method.into(),
                    path: path.into(),
                    headers,
                    body,
                });
                tokio::time::sleep(delay).await;
                let reply = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
                s.write_all(reply.as_bytes()).await.unwrap();
            });
        }
    });
    (port, seen)
}

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

#[tokio::test]
async fn webhook_github_and_gitlab_get_the_documented_requests() {
    let (port, seen) = server().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hook.key"), "s3cret-key\n").unwrap();
    std::fs::write(dir.path().join("gh.token"), "ghp_TESTTOKEN\n").unwrap();
    std::fs::write(dir.path().join("gl.token"), "glpat-TESTTOKEN\n").unwrap();
    let yaml = format!(
        "notify:\n  webhook: {{url: 'http://127.0.0.1:{port}/hooks/agent', secretFile: hook.key}}\n  \
         github: {{api: 'http://127.0.0.1:{port}', repository: ops/platform, tokenFile: gh.token, context: agent/apply}}\n  \
         gitlab: {{api: 'http://127.0.0.1:{port}/api/v4', project: ops/platform, tokenFile: gl.token}}\n"
    );
    let path = dir.path().join("agent.yaml");
    std::fs::write(&path, &yaml).unwrap();
    let config = Config::load(&path).unwrap();
    let n = Notifier::new(config.notify).expect("receivers configured");

    for (state, gh, gl) in [
        (CommitState::Applying, "pending", "running"),
        (CommitState::Applied, "success", "success"),
        (CommitState::RolledBack, "failure", "failed"),
        (CommitState::Failed, "error", "failed"),
        (CommitState::Rejected, "error", "canceled"),
    ] {
        seen.lock().unwrap().clear();
        let ev = Event {
            commit: SHA.into(),
            state,
            description: "x".repeat(300),
        };
        let got = n.notify(&ev).await;
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|d| d.result == Ok(201)), "{got:?}");
        let seen = seen.lock().unwrap().clone();
        let by = |p: &str| {
            seen.iter()
                .find(|s| s.path == p)
                .unwrap_or_else(|| panic!("no request to {p}: {seen:?}"))
                .clone()
        };
        let json = |s: &Seen| serde_json::from_slice::<serde_json::Value>(&s.body).unwrap();

        let g = by(&format!("/repos/ops/platform/statuses/{SHA}"));
        assert_eq!(g.method, "POST");
        assert_eq!(g.headers["accept"], "application/vnd.github+json");
        assert_eq!(g.headers["authorization"], "Bearer ghp_TESTTOKEN");
        assert_eq!(g.headers["x-github-api-version"], "2022-11-28");
        assert!(g.headers["user-agent"].starts_with("agent/"));
        assert_eq!(g.headers["content-type"], "application/json");
        let b = json(&g);
        assert_eq!(b["state"], gh);
        assert_eq!(b["context"], "agent/apply");
        assert_eq!(b["description"].as_str().unwrap().chars().count(), 140);
        assert_eq!(b.as_object().unwrap().len(), 3, "{b}");

        let l = by(&format!("/api/v4/projects/ops%2Fplatform/statuses/{SHA}"));
        assert_eq!(l.method, "POST");
        assert_eq!(l.headers["private-token"], "glpat-TESTTOKEN");
        assert!(!l.headers.contains_key("authorization"));
        let b = json(&l);
        assert_eq!(b["state"], gl);
        assert_eq!(b["name"], "agent");
        assert!(b["description"].is_string());

        let w = by("/hooks/agent");
        assert_eq!(w.method, "POST");
        assert_eq!(w.headers["content-type"], "application/json");
        assert_eq!(w.headers["x-agent-event"], "commit-status");
        assert_eq!(
            w.headers["x-agent-signature-256"],
            signature(b"s3cret-key", &w.body),
            "the signature is the HMAC of the exact body sent"
        );
        let b = json(&w);
        assert_eq!(b["commit"], SHA);
        assert_eq!(b["state"], state.as_str());
        assert_eq!(b["description"], "x".repeat(300));
        // The token never travels to another receiver.
        assert!(!String::from_utf8_lossy(&w.body).contains("TESTTOKEN"));
        assert!(!w.headers.values().any(|v| v.contains("TESTTOKEN")));
    }
}

#[tokio::test]
async fn a_receiver_that_is_down_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hook.key"), "k\n").unwrap();
    // A port nobody listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let yaml = format!(
        "notify:\n  webhook: {{url: 'http://127.0.0.1:{port}/h', secretFile: hook.key}}\n  timeout: 2s\n"
    );
    let path = dir.path().join("agent.yaml");
    std::fs::write(&path, yaml).unwrap();
    let n = Notifier::new(Config::load(&path).unwrap().notify).unwrap();
    let got = n
        .notify(&Event {
            commit: SHA.into(),
            state: CommitState::Applied,
            description: "live".into(),
        })
        .await;
    assert!(got[0].result.is_err(), "{got:?}");
}

#[tokio::test]
async fn statuses_queued_at_shutdown_are_still_sent_in_order_within_the_grace() {
    use agent::notify::queue;
    use std::time::Duration;
    let (port, seen) = server_after(Duration::from_millis(300)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hook.key"), "k\n").unwrap();
    let yaml = format!(
        "notify:\n  webhook: {{url: 'http://127.0.0.1:{port}/h', secretFile: hook.key}}\n  timeout: 2s\n"
    );
    let path = dir.path().join("agent.yaml");
    std::fs::write(&path, yaml).unwrap();
    let config = Config::load(&path).unwrap();
    let ev = |state| Event {
        commit: SHA.into(),
        state,
        description: "d".into(),
    };
    let states = [
        CommitState::Applying,
        CommitState::Failed,
        CommitState::Applied,
    ];

    // Three events queued, then the service stops (its sender dropped): all of them
    // arrive, in order, although each answer takes 300 ms.
    let (tx, drain) = queue::start(Notifier::new(config.notify.clone()).unwrap());
    for s in states {
        tx.send(ev(s)).unwrap();
    }
    drop(tx);
    assert!(drain.finish(Duration::from_secs(10)).await);
    let got: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| serde_json::from_slice::<serde_json::Value>(&s.body).unwrap()["state"].to_string())
        .collect();
    assert_eq!(got, [r#""applying""#, r#""failed""#, r#""applied""#]);

    // A grace shorter than the receiver's answers: shutdown is not held up.
    seen.lock().unwrap().clear();
    let (tx, drain) = queue::start(Notifier::new(config.notify).unwrap());
    for s in states {
        tx.send(ev(s)).unwrap();
    }
    drop(tx);
    let t0 = std::time::Instant::now();
    assert!(!drain.finish(Duration::from_millis(400)).await);
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert!(seen.lock().unwrap().len() < 3);
}
