//! The election loop against the API server double (real HTTP, real resourceVersion
//! conflicts), or the real cluster `KUBECONFIG` points at: one leader, takeover after expiry, fencing on the renew deadline and
//! on `leaseTransitions`, release.

use super::*;
use k8s_double::apiserver::{ApiServerDouble, Fault, FaultAction, Method};
use k8s_openapi::api::core::v1::Namespace;

const NS: &str = "agent-t-leases";

/// The double, or the real cluster `KUBECONFIG` points at (then `double` is `None`);
/// `lease` is this test's own Lease (removed first, in case a run left it behind).
struct Env {
    double: Option<ApiServerDouble>,
    client: kube::Client,
    lease: String,
}

async fn cluster(test: &str) -> Env {
    let (double, client) = match std::env::var_os("KUBECONFIG") {
        Some(_) => (None, crate::kubeapi::connect(None).await.expect("cluster")),
        None => {
            let d = ApiServerDouble::start().await.expect("double");
            let kc = kube::config::Kubeconfig::from_yaml(&d.kubeconfig()).expect("kubeconfig");
            let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .expect("config");
            (Some(d), kube::Client::try_from(cfg).expect("client"))
        }
    };
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(NS.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    // Already there on a shared cluster: fine.
    let _ = Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await;
    let lease = format!("agent-{test}");
    let _ = lease_api(&client).delete(&lease, &Default::default()).await;
    Env {
        double,
        client,
        lease,
    }
}

impl Env {
    fn elector(&self, who: &str) -> Elector {
        self.elector_on(&self.lease, who)
    }

    fn elector_on(&self, lease: &str, who: &str) -> Elector {
        Elector::new(
            self.client.clone(),
            Params {
                name: lease.into(),
                namespace: NS.into(),
                identity: who.into(),
                duration: Duration::from_secs(1),
                renew: Duration::from_millis(300),
            },
        )
    }

    async fn done(self) {
        let _ = lease_api(&self.client)
            .delete(&self.lease, &Default::default())
            .await;
    }
}

fn lease_api(client: &kube::Client) -> Api<Lease> {
    Api::namespaced(client.clone(), NS)
}

#[tokio::test]
async fn one_leader_then_the_follower_takes_over_an_expired_lease() {
    let env = cluster("takeover").await;
    let (a, b) = (env.elector("a"), env.elector("b"));
    assert!(
        a.round().await,
        "the first agent creates the lease and leads"
    );
    assert!(!b.round().await);
    assert!(a.may_start().is_ok());
    let why = b.may_start().unwrap_err();
    assert!(why.contains("held by a"), "{why}");
    let v = b.view();
    assert_eq!(
        (v.role, v.holder.as_deref(), v.transitions),
        (Role::Follower, Some("a"), Some(0))
    );
    assert_eq!(a.view().role, Role::Leader);

    // a renews: b keeps following, however long that goes on.
    for _ in 0..5 {
        a.round().await;
        b.round().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(a.is_leader() && !b.is_leader());

    // a stops renewing (killed): after the duration a fences itself, without any I/O,
    // and b, having seen the lease unchanged that long, takes it over.
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let why = a.may_start().unwrap_err();
    assert!(why.contains("not renewed"), "{why}");
    assert!(b.round().await, "b takes the expired lease");
    assert!(b.is_leader());
    let l = lease_api(&env.client)
        .get(&env.lease)
        .await
        .unwrap()
        .spec
        .unwrap();
    assert_eq!(
        (l.holder_identity.as_deref(), l.lease_transitions),
        (Some("b"), Some(1))
    );
    // a comes back: it reads the new holder and follows.
    assert!(!a.round().await);
    assert!(a.may_start().unwrap_err().contains("held by b"));
    env.done().await;
}

#[tokio::test]
async fn a_leader_that_cannot_renew_stops_within_the_duration() {
    let env = cluster("deadline").await;
    let Some(d) = &env.double else {
        test_skip::record("KUBECONFIG is set: failing renewals need the API server double");
        return;
    };
    let a = env.elector("a");
    assert!(a.round().await);
    d.inject(Fault {
        method: Some(Method::PUT),
        uri_contains: format!("/leases/{}", env.lease),
        action: FaultAction::Status(500),
        times: 100,
    });
    let started = Instant::now();
    while a.is_leader() {
        a.round().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            started.elapsed() < Duration::from_millis(1200),
            "still leading"
        );
    }
    let v = a.view();
    assert_eq!(v.role, Role::Follower);
    assert!(v.reason.unwrap().contains("500"));
    env.done().await;
}

#[tokio::test]
async fn a_change_of_lease_transitions_fences_the_holder() {
    let env = cluster("transitions").await;
    let a = env.elector("a");
    assert!(a.round().await);
    // Someone took the lease and gave it back to the same identity meanwhile: a's
    // tenure ended, so it must not go on as if nothing happened.
    let api = lease_api(&env.client);
    let mut l = api.get(&env.lease).await.unwrap();
    l.spec.as_mut().unwrap().lease_transitions = Some(7);
    l.metadata.managed_fields = None;
    api.replace(&env.lease, &PostParams::default(), &l)
        .await
        .unwrap();
    // The next round sees it: the old tenure is over; a new one starts (a new cycle).
    assert!(
        a.round().await,
        "a re-acquires, as a new tenure with transitions 7"
    );
    assert_eq!(a.view().transitions, Some(7));
    assert!(a.is_leader());
    env.done().await;
}

#[tokio::test]
async fn racing_agents_get_exactly_one_leader() {
    let env = cluster("race").await;
    let agents: Vec<Elector> = (0..4).map(|i| env.elector(&format!("r{i}"))).collect();
    let won = futures::future::join_all(agents.iter().map(|e| e.round())).await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    assert_eq!(agents.iter().filter(|e| e.is_leader()).count(), 1);
    env.done().await;
}

#[tokio::test]
async fn a_released_lease_is_taken_over_at_once() {
    let env = cluster("release").await;
    let (a, b) = (env.elector("a"), env.elector("b"));
    assert!(a.round().await);
    assert!(!b.round().await);
    a.release().await;
    assert!(!a.is_leader());
    assert!(b.round().await, "no wait for expiry after a release");
    env.done().await;
}

#[tokio::test]
async fn the_loop_calls_back_on_leadership_and_stops_when_done() {
    let env = cluster("loop").await;
    let a = env.elector("a");
    let (tx, rx) = tokio::sync::watch::channel(false);
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = calls.clone();
    let task = tokio::spawn(a.clone().run(
        move || {
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        },
        rx,
    ));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(a.is_leader());
    tx.send(true).unwrap();
    task.await.unwrap();
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "once per tenure"
    );
    env.done().await;
}

/// The Lease an agent of `shard` takes part in, as `agent run` names it from agent.yaml.
fn shard_lease(lease: &str, shard: &str) -> String {
    let yaml = format!("shard: {shard}\nleaderElection: {{lease: {lease}, namespace: {NS}}}\n");
    let c = crate::config::Config::parse("agent.yaml", &yaml).expect("config");
    c.leader_election.unwrap().lease_name(c.shard.as_deref())
}

#[tokio::test]
async fn two_shards_hold_two_leases_at_once_and_never_wait_for_each_other() {
    let env = cluster("shards").await;
    let (la, lb) = (shard_lease(&env.lease, "a"), shard_lease(&env.lease, "b"));
    assert_eq!(la, format!("{}-a", env.lease));
    let api = lease_api(&env.client);
    for l in [&la, &lb] {
        let _ = api.delete(l, &Default::default()).await;
    }
    let (a1, a2) = (env.elector_on(&la, "a1"), env.elector_on(&la, "a2"));
    let (b1, b2) = (env.elector_on(&lb, "b1"), env.elector_on(&lb, "b2"));
    assert!(a1.round().await, "a1 leads shard a");
    assert!(b1.round().await, "b1 leads shard b while a1 leads a");
    assert!(!a2.round().await && !b2.round().await);
    // Both leaders may write at the same time: each fence asks only its own Lease.
    assert!(a1.may_start().is_ok() && b1.may_start().is_ok());
    assert!(a2.may_start().unwrap_err().contains("held by a1"));
    assert!(b2.may_start().unwrap_err().contains("held by b1"));
    assert_eq!(a1.view().lease, format!("{NS}/{la}"));
    for (l, holder) in [(&la, "a1"), (&lb, "b1")] {
        let spec = api.get(l).await.unwrap().spec.unwrap();
        assert_eq!(spec.holder_identity.as_deref(), Some(holder));
    }
    // Shard a's leader goes: its follower takes over; shard b is not disturbed.
    a1.release().await;
    assert!(a2.round().await, "a2 takes shard a's lease at once");
    // b1 renews (a renewal is not a new tenure) and still leads; b2 still follows.
    assert!(!b1.round().await && b1.is_leader() && b1.may_start().is_ok());
    assert!(!b2.round().await && !b2.is_leader());
    for l in [&la, &lb] {
        let _ = api.delete(l, &Default::default()).await;
    }
    env.done().await;
}
