//! HTTP plumbing: routing a request to discovery, OpenAPI or a verb; fault
//! injection; the simulated Deployment and namespace controllers.

use super::request::{self, status, Target};
use super::resources;
use super::store::{rolled_out_status, Key};
use super::{verbs, watch, write, FaultAction, Shared};
use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::Value;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

fn reply(code: u16, v: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(v.to_string())).boxed_unsync())
        .expect("static response parts are valid")
}

pub async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut q = request::query(req.uri().query());
    // Like the real server: a plain write without fieldManager is owned by the client's name.
    let agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown");
    let agent = agent.split('/').next().unwrap_or("unknown").to_string();
    q.entry("defaultManager".into()).or_insert(agent);
    shared.log(format!("{method} {}", req.uri()));
    if let Some(action) = shared.take_fault(&method, req.uri().to_string().as_str()) {
        match action {
            FaultAction::Status(code) => {
                let reason = if code == 409 {
                    "Conflict"
                } else {
                    "InternalError"
                };
                let msg = format!("injected fault {code} for {method} {path}");
                return Ok(reply(code, &status(code, reason, &msg)));
            }
            FaultAction::Delay(d) => tokio::time::sleep(d).await,
        }
    }
    let accept = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let ctype = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(reply(400, &status(400, "BadRequest", "unreadable body"))),
    };
    if let Some(v) = fixed(&path) {
        return Ok(match v {
            Some(v) => reply(200, &v),
            None => reply(
                404,
                &status(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                ),
            ),
        });
    }
    let t = match request::target(&path) {
        Some(Ok(t)) => t,
        Some(Err(s)) => return Ok(reply(404, &s)),
        None => {
            return Ok(reply(
                404,
                &status(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                ),
            ))
        }
    };
    if t.subresource.as_deref().is_some_and(|s| s != "scale") {
        let msg = "only the scale subresource is served by the double";
        return Ok(reply(404, &status(404, "NotFound", msg)));
    }
    if method == Method::GET
        && t.name.is_none()
        && q.get("watch").is_some_and(|w| w == "true" || w == "1")
    {
        return Ok(watch::watch(&shared, &t, q));
    }
    if !body.is_empty() && (ctype.contains("protobuf") || ctype.contains("cbor")) {
        // As a server without that codec answers; client-go then falls back to JSON.
        let msg = format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/apply-patch+yaml, application/merge-patch+json; got {ctype}");
        return Ok(reply(415, &status(415, "UnsupportedMediaType", &msg)));
    }
    let parsed = if body.is_empty() {
        Ok(Value::Null)
    } else {
        serde_yaml::from_slice::<Value>(&body)
    };
    let Ok(payload) = parsed else {
        return Ok(reply(
            400,
            &status(
                400,
                "BadRequest",
                "the request body is neither JSON nor YAML",
            ),
        ));
    };
    let (code, v) = dispatch(&shared, &method, &t, &ctype, payload, &q);
    let v = if code < 300 && accept.contains("as=Table") {
        watch::table(&t, &v)
    } else {
        v
    };
    Ok(reply(code, &v))
}

/// Discovery, version and OpenAPI: `Some(None)` = a known prefix with nothing there.
fn fixed(path: &str) -> Option<Option<Value>> {
    let p = path.trim_end_matches('/');
    Some(match p {
        "/version" => Some(resources::version()),
        "/api" => Some(resources::core_versions()),
        "/apis" => Some(resources::group_list()),
        "/api/v1" => resources::resource_list("", "v1"),
        "/openapi/v3" => Some(resources::openapi_index()),
        "/openapi/v2" => None,
        _ => {
            if let Some(gv) = p.strip_prefix("/openapi/v3/") {
                resources::openapi_group(gv)
            } else {
                match p.split('/').collect::<Vec<_>>().as_slice() {
                    ["", "apis", g, v] => resources::resource_list(g, v),
                    ["", "apis", _] => None,
                    _ => return None,
                }
            }
        }
    })
}

fn dispatch(
    shared: &Shared,
    method: &Method,
    t: &Target,
    ctype: &str,
    payload: Value,
    q: &BTreeMap<String, String>,
) -> verbs::Reply {
    let ready_now = shared.ready_after() == Some(Duration::ZERO);
    let mut store = shared.store.lock().expect("store lock");
    let name = t.name.clone();
    let out = match (method, name.as_deref()) {
        (m, Some(n)) if t.subresource.is_some() => {
            verbs::scale(&mut store, t, n, m.as_str(), &payload, q, ready_now)
        }
        (&Method::GET, None) => verbs::list(&store, t, q),
        (&Method::GET, Some(n)) => verbs::get(&store, t, n),
        (&Method::POST, None) => write::create(&mut store, t, payload, q, ready_now),
        (&Method::PUT, Some(n)) => write::replace(&mut store, t, n, payload, q, ready_now),
        (&Method::PATCH, Some(n)) if ctype.starts_with("application/apply-patch") => {
            write::apply(&mut store, t, n, payload, q, ready_now)
        }
        (&Method::PATCH, Some(n))
            if ctype.starts_with("application/merge-patch")
                || ctype.starts_with("application/strategic-merge-patch") =>
        {
            write::patch_merge(&mut store, t, n, &payload, q, ready_now)
        }
        (&Method::PATCH, Some(_)) => (
            415,
            status(
                415,
                "UnsupportedMediaType",
                &format!("the body of the request was in an unknown format: {ctype}"),
            ),
        ),
        (&Method::DELETE, Some(n)) => verbs::delete(&mut store, t, n, q),
        _ => (
            405,
            status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ),
        ),
    };
    if t.rt.kind == "Namespace"
        && *method == Method::DELETE
        && out.0 < 300
        && !q.contains_key("dryRun")
    {
        if let Some(n) = name.clone() {
            let shared = shared.me();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                verbs::finish_namespace(&mut shared.store.lock().expect("store lock"), &n);
            });
        }
    }
    let written = out.0 < 300 && *method != Method::GET && !q.contains_key("dryRun");
    if written && t.rt.kind == "Deployment" && !ready_now {
        if let (Some(d), Some(n)) = (shared.ready_after(), name) {
            let key: Key = (
                t.rt.plural.into(),
                t.namespace.clone().unwrap_or_default(),
                n,
            );
            spawn_rollout(shared.me(), key, d);
        }
    }
    drop(store);
    out
}

/// The Deployment controller, slowed down: marks the rollout finished after `delay`.
fn spawn_rollout(shared: Arc<Shared>, key: Key, delay: Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let mut store = shared.store.lock().expect("store lock");
        let Some(s) = store.objects.get(&key).cloned() else {
            return;
        };
        let mut o = s.object;
        let st = rolled_out_status(&o);
        if o["status"] == st {
            return;
        }
        o["status"] = st;
        store.write(key, o, s.managers);
    });
}
