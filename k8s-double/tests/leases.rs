//! `coordination.k8s.io/v1` Leases through kube-rs, as leader election uses them:
//! create (409 AlreadyExists on a second create), get, list, PUT with the
//! resourceVersion precondition (409 Conflict when stale), watch. Against the double,
//! or against the real cluster `KUBECONFIG` points at (same assertions: the double must
//! answer like the real API server).

use futures::{StreamExt, TryStreamExt};
use k8s_double::apiserver::ApiServerDouble;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams, ObjectMeta, PostParams, WatchEvent, WatchParams};
use kube::Client;
use std::time::Duration;

const NS: &str = "agent-t-double-leases";

async fn client() -> (Option<ApiServerDouble>, Client) {
    match std::env::var_os("KUBECONFIG") {
        Some(_) => (None, Client::try_default().await.expect("cluster client")),
        None => {
            let d = ApiServerDouble::start().await.expect("double starts");
            let kc = kube::config::Kubeconfig::from_yaml(&d.kubeconfig()).expect("kubeconfig");
            let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .expect("config");
            (Some(d), Client::try_from(cfg).expect("client"))
        }
    }
}

fn lease(name: &str, holder: &str) -> Lease {
    Lease {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(holder.into()),
            lease_duration_seconds: Some(15),
            lease_transitions: Some(0),
            ..Default::default()
        }),
    }
}

fn code(e: &kube::Error) -> u16 {
    match e {
        kube::Error::Api(s) => s.code,
        other => panic!("expected an API error, got {other}"),
    }
}

#[tokio::test]
async fn leases_create_get_update_conflict_watch_list() {
    let (_double, client) = client().await;
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(NS.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let _ = nss.create(&PostParams::default(), &ns).await;
    let api: Api<Lease> = Api::namespaced(client.clone(), NS);
    let pp = PostParams::default();

    // Watch from "now", before the writes.
    let rv = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("a list resourceVersion");
    let mut events = api
        .watch(&WatchParams::default().timeout(10), &rv)
        .await
        .expect("watch")
        .boxed();

    let created = api.create(&pp, &lease("agent", "a")).await.expect("create");
    let rv1 = created.metadata.resource_version.clone().expect("rv");
    let again = api.create(&pp, &lease("agent", "b")).await.unwrap_err();
    assert_eq!(code(&again), 409, "a second create is AlreadyExists");

    let got = api.get("agent").await.expect("get");
    let spec = got.spec.clone().expect("spec");
    assert_eq!(spec.holder_identity.as_deref(), Some("a"));
    assert_eq!(spec.lease_duration_seconds, Some(15));

    // Renew with the current resourceVersion: accepted, a new resourceVersion.
    let mut renewed = got.clone();
    renewed.spec.as_mut().unwrap().renew_time =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
            k8s_openapi::jiff::Timestamp::now(),
        ));
    let renewed = api.replace("agent", &pp, &renewed).await.expect("renew");
    let rv2 = renewed.metadata.resource_version.clone().expect("rv");
    assert_ne!(rv1, rv2);

    // A takeover computed from the stale read loses: 409 Conflict, nothing written.
    let mut stale = got;
    stale.spec.as_mut().unwrap().holder_identity = Some("b".into());
    stale.spec.as_mut().unwrap().lease_transitions = Some(1);
    let lost = api.replace("agent", &pp, &stale).await.unwrap_err();
    assert_eq!(code(&lost), 409, "a stale resourceVersion is a Conflict");
    let now = api.get("agent").await.expect("get");
    assert_eq!(now.spec.unwrap().holder_identity.as_deref(), Some("a"));

    // The watch saw the creation and the renewal, in order, and not the lost write.
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let ev = tokio::time::timeout(Duration::from_secs(10), events.try_next())
            .await
            .expect("a watch event in time")
            .expect("watch stream")
            .expect("an event");
        match ev {
            WatchEvent::Added(l) => seen.push(("ADDED", l.metadata.resource_version.unwrap())),
            WatchEvent::Modified(l) => {
                seen.push(("MODIFIED", l.metadata.resource_version.unwrap()))
            }
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected watch event {other:?}"),
        }
    }
    assert_eq!(seen, vec![("ADDED", rv1), ("MODIFIED", rv2)]);

    let names: Vec<String> = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|l| l.metadata.name)
        .collect();
    assert_eq!(names, vec!["agent".to_string()]);
    // Namespaced: another namespace does not see it.
    let other: Api<Lease> = Api::namespaced(client.clone(), "agent-t-double-leases-other");
    assert_eq!(code(&other.get("agent").await.unwrap_err()), 404);

    let _ = api.delete("agent", &Default::default()).await;
    let _ = nss.delete(NS, &Default::default()).await;
}
