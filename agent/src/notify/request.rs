//! The HTTP request of each receiver, exactly as its API documents it (pure):
//!
//! - webhook: `POST <url>`, `Content-Type: application/json`, `X-Agent-Event:
//!   commit-status`, `X-Agent-Signature-256: sha256=<hex HMAC-SHA256 of the body>`;
//!   body `{"commit","state","description","agent"}`;
//! - GitHub: `POST {api}/repos/{owner}/{repo}/statuses/{sha}`, `Accept:
//!   application/vnd.github+json`, `Authorization: Bearer <token>`,
//!   `X-GitHub-Api-Version: 2022-11-28`, a `User-Agent` (GitHub requires one); body
//!   `{"state","description","context"}`, state success|failure|error|pending,
//!   description at most 140 characters;
//! - GitLab: `POST {api}/projects/:id/statuses/:sha` (`:id` the number or the
//!   URL-encoded path), `PRIVATE-TOKEN: <token>`; JSON body `{"state","name",
//!   "description"}`, state success|failed|canceled|running|pending.

use super::event::Event;
use crate::config::{GithubNotify, GitlabNotify};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn user_agent() -> String {
    format!("agent/{}", env!("CARGO_PKG_VERSION"))
}

fn json(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).expect("a JSON value serializes")
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn webhook(url: &str, key: &[u8], ev: &Event) -> HttpRequest {
    let body = json(serde_json::json!({
        "commit": ev.commit,
        "state": ev.state.as_str(),
        "description": ev.description,
        "agent": user_agent(),
    }));
    HttpRequest {
        method: "POST",
        url: url.to_string(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("user-agent".into(), user_agent()),
            ("x-agent-event".into(), "commit-status".into()),
            ("x-agent-signature-256".into(), signature(key, &body)),
        ],
        body,
    }
}

pub fn github(cfg: &GithubNotify, token: &str, ev: &Event) -> HttpRequest {
    let body = json(serde_json::json!({
        "state": ev.state.github(),
        "description": ev.short_description(140),
        "context": cfg.context,
    }));
    HttpRequest {
        method: "POST",
        url: format!(
            "{}/repos/{}/statuses/{}",
            cfg.api.trim_end_matches('/'),
            cfg.repository.trim_matches('/'),
            ev.commit
        ),
        headers: vec![
            ("accept".into(), "application/vnd.github+json".into()),
            ("authorization".into(), format!("Bearer {token}")),
            ("x-github-api-version".into(), "2022-11-28".into()),
            ("user-agent".into(), user_agent()),
            ("content-type".into(), "application/json".into()),
        ],
        body,
    }
}

/// A project path as GitLab wants it in a URL (`group/sub/project` → `group%2Fsub%2Fproject`).
fn project_id(project: &str) -> String {
    let mut out = String::new();
    for b in project.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn gitlab(cfg: &GitlabNotify, token: &str, ev: &Event) -> HttpRequest {
    let body = json(serde_json::json!({
        "state": ev.state.gitlab(),
        "name": cfg.name,
        "description": ev.short_description(255),
    }));
    HttpRequest {
        method: "POST",
        url: format!(
            "{}/projects/{}/statuses/{}",
            cfg.api.trim_end_matches('/'),
            project_id(&cfg.project),
            ev.commit
        ),
        headers: vec![
            ("private-token".into(), token.to_string()),
            ("user-agent".into(), user_agent()),
            ("content-type".into(), "application/json".into()),
        ],
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_and_signatures_are_hex_hmacs() {
        assert_eq!(project_id("group/sub project"), "group%2Fsub%20project");
        assert_eq!(project_id("42"), "42");
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
