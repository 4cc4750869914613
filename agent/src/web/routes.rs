//! Requests → values → responses for the view's routes. Reads copy what they need out of
//! the shared state (a few locks held for microseconds); `/api/diff` is the only route
//! that does work, and it hands that to the service loop (see [`DiffJob`]).

use crate::history::{Entry, Filter};
use crate::run::service::Shared;
use crate::run::{DiffAnswer, DiffJob, DiffRequest};
use serde_json::json;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// Entries per page of history.
pub const PER_PAGE: u32 = 20;

/// (status code, content type, body).
pub type Reply = (u16, &'static str, Vec<u8>);

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

pub fn query(q: Option<&str>) -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in url_pairs(q.unwrap_or("")) {
        m.entry(k).or_default().push(v);
    }
    m
}

fn url_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    q.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (decode(k), decode(v))
    })
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = || {
            std::str::from_utf8(b.get(i + 1..i + 3)?)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        };
        match (b[i], hex()) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(v)) => {
                out.push(v);
                i += 2;
            }
            (c, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn first<'a>(q: &'a HashMap<String, Vec<String>>, k: &str) -> Option<&'a str> {
    q.get(k).and_then(|v| v.first()).map(String::as_str)
}

fn history_page(shared: &Shared, f: &Filter) -> Result<(Vec<Entry>, u64), String> {
    let Some(h) = &shared.history else {
        return Ok((vec![], 0));
    };
    let h = h.lock().expect("history lock");
    let list = h.list(f).map_err(|e| e.to_string())?;
    let total = h.count(f).map_err(|e| e.to_string())?;
    Ok((list, total))
}

/// `/`: the page.
pub fn index(shared: &Shared, q: &HashMap<String, Vec<String>>) -> Reply {
    let page = first(q, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1u32)
        .max(1);
    let filter = Filter {
        limit: PER_PAGE,
        offset: (page - 1) * PER_PAGE,
        with_items: true,
        ..Default::default()
    };
    let (history, total) = history_page(shared, &filter).unwrap_or_else(|e| {
        tracing::warn!("web: cannot read the history: {e}");
        (vec![], 0)
    });
    let status = shared.status();
    let view = shared.view.lock().expect("view lock").clone();
    let data = super::page::PageData {
        status: &status,
        last: view.last.as_ref(),
        live: view.live.as_ref(),
        history: &history,
        total,
        page,
        per_page: PER_PAGE,
        now: crate::run::status::unix_now(),
    };
    (
        200,
        HTML,
        super::page::index(&data, &view.masker).into_bytes(),
    )
}

/// `/history/ID`.
pub fn entry(shared: &Shared, id: &str) -> Reply {
    let masker = shared.view.lock().expect("view lock").masker.clone();
    let found = id.parse::<i64>().ok().and_then(|id| {
        shared
            .history
            .as_ref()?
            .lock()
            .expect("history lock")
            .show(id)
            .ok()
    });
    match found {
        Some(e) => (
            200,
            HTML,
            super::history_html::entry_page(&e, &masker).into_bytes(),
        ),
        None => (
            404,
            "text/plain; charset=utf-8",
            b"no such history entry\n".to_vec(),
        ),
    }
}

/// `/api/status`: the status, the last cycle's outcome (masked items) and the live view.
pub fn api_status(shared: &Shared) -> Reply {
    let view = shared.view.lock().expect("view lock").clone();
    let last = view
        .last
        .as_ref()
        .map(|o| crate::history::Record::of(o, &view.masker, std::time::Duration::ZERO).items);
    let body = json!({"status": shared.status(), "lastCycle": last, "live": view.live});
    (200, JSON, mask_json(&body, &view.masker))
}

/// `/api/history?target=T&since=D&limit=N&offset=N&items=1`, or `?id=N` for one entry.
pub fn api_history(shared: &Shared, q: &HashMap<String, Vec<String>>) -> Reply {
    let masker = shared.view.lock().expect("view lock").masker.clone();
    if let Some(id) = first(q, "id") {
        let e = id.parse::<i64>().ok().and_then(|id| {
            shared
                .history
                .as_ref()?
                .lock()
                .expect("history lock")
                .show(id)
                .ok()
        });
        return match e {
            Some(e) => (200, JSON, mask_json(&json!(e), &masker)),
            None => (404, JSON, br#"{"error":"no such history entry"}"#.to_vec()),
        };
    }
    let since = match first(q, "since")
        .map(|s| crate::history::time::parse_since(s, crate::history::time::now_ms()))
    {
        Some(Err(e)) => {
            return (
                400,
                JSON,
                serde_json::to_vec(&json!({"error": e})).expect("json"),
            )
        }
        Some(Ok(ms)) => Some(ms),
        None => None,
    };
    let f = Filter {
        target: first(q, "target").map(String::from),
        since_ms: since,
        limit: first(q, "limit")
            .and_then(|n| n.parse().ok())
            .unwrap_or(50)
            .min(1000),
        offset: first(q, "offset").and_then(|n| n.parse().ok()).unwrap_or(0),
        with_items: first(q, "items") == Some("1"),
    };
    match history_page(shared, &f) {
        Ok((entries, total)) => (
            200,
            JSON,
            mask_json(&json!({"total": total, "entries": entries}), &masker),
        ),
        Err(e) => (
            500,
            JSON,
            serde_json::to_vec(&json!({"error": e})).expect("json"),
        ),
    }
}

/// Every JSON answer is masked once more as a whole (the values already are).
fn mask_json(v: &serde_json::Value, masker: &crate::mask::Masker) -> Vec<u8> {
    masker
        .mask(&serde_json::to_string_pretty(v).expect("plain data"))
        .into_bytes()
}

/// `/api/diff?target=T&preview=1&commit=C`: a fresh diff, computed by the service loop
/// between cycles with its warm connections. 409 when `commit` is given and is not the
/// commit the service enforces; 503 when it enforces none yet.
pub async fn api_diff(
    shared: &Shared,
    jobs: Option<&mpsc::Sender<DiffJob>>,
    q: &HashMap<String, Vec<String>>,
) -> Reply {
    let Some(jobs) = jobs else {
        return (
            404,
            JSON,
            br#"{"error":"diffs are not served here"}"#.to_vec(),
        );
    };
    let targets: Vec<String> = q.get("target").cloned().unwrap_or_default();
    let req = DiffRequest {
        targets,
        preview: first(q, "preview") == Some("1"),
        commit: first(q, "commit").map(String::from),
    };
    let (reply, answer) = oneshot::channel();
    if jobs.send(DiffJob { req, reply }).await.is_err() {
        return (
            503,
            JSON,
            br#"{"error":"the service is stopping"}"#.to_vec(),
        );
    }
    let masker = shared.view.lock().expect("view lock").masker.clone();
    match answer.await {
        Ok(DiffAnswer::Done(cs)) => {
            let body = json!({"repo": shared.status().repo, "commit": cs.commit, "changeSet": cs});
            (200, JSON, mask_json(&body, &masker))
        }
        Ok(DiffAnswer::Mismatch { enforced }) => (
            409,
            JSON,
            serde_json::to_vec(
                &json!({"error": "the service enforces another commit", "commit": enforced}),
            )
            .expect("json"),
        ),
        Ok(DiffAnswer::NoCommit) => (
            503,
            JSON,
            br#"{"error":"the service enforces no commit yet"}"#.to_vec(),
        ),
        Ok(DiffAnswer::BadRequest(e)) => (
            400,
            JSON,
            serde_json::to_vec(&json!({"error": e})).expect("json"),
        ),
        Err(_) => (
            503,
            JSON,
            br#"{"error":"the service is stopping"}"#.to_vec(),
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_strings_are_decoded() {
        let q = super::query(Some(
            "target=balancer&target=gateway&since=2026-12-01%2010%3A00&x=a+b&bad=%zz",
        ));
        assert_eq!(q["target"], ["balancer", "gateway"]);
        assert_eq!(q["since"], ["2026-12-01 10:00"]);
        assert_eq!(q["x"], ["a b"]);
        assert_eq!(q["bad"], ["%zz"]);
    }
}
