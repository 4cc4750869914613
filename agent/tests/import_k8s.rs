//! Issue #12, workloads: objects created by hand (`kubectl create`) are imported as
//! manifests, normalised (no status, no server-owned metadata, no cluster IPs), the
//! Secret's values encrypted, the repo validates and renders the same objects, and the
//! agent's own diff against the cluster then changes nothing but its ownership label and
//! source annotation.
//! Runs against the API server double, or the cluster in `KUBECONFIG`.

mod k8s_support;

use agent::import::{self, write::SopsConfig, Parts, Sources};
use agent::secrets::Identity;
use agent::validate::SecretOptions;
use k8s_support::{masker, Cluster, SECRET_VALUE};

fn key() -> Identity {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/lab/demo-age-key.txt");
    Identity::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_made_by_hand_become_manifests_that_change_nothing() {
    let c = Cluster::start("import").await;
    for o in c.workloads() {
        let (code, out) = c.kubectl_create(&o);
        assert_eq!(code, 0, "kubectl create: {out}");
    }
    let t = c.target(c.options()).await;
    let live = import::k8s::list(t.client(), std::slice::from_ref(&c.namespace))
        .await
        .unwrap();
    let kinds: Vec<&str> = live.iter().filter_map(|o| o["kind"].as_str()).collect();
    for k in ["Namespace", "ConfigMap", "Secret", "Deployment", "Service"] {
        assert!(kinds.contains(&k), "{k} listed: {kinds:?}");
    }

    let sops = SopsConfig::parse(&SopsConfig::text_for(&key().recipients()[0])).unwrap();
    let sources = Sources {
        k8s: live,
        ..Default::default()
    };
    let parts = Parts {
        gateway: false,
        balancer: false,
        cluster: false,
        workloads: true,
    };
    let mut built = import::build(&sources, None, Some(&sops), parts).unwrap();
    let keys = SecretOptions::new(Some(key()), Default::default());
    let proof = import::roundtrip::prove(&mut built, &keys);
    assert!(proof.valid, "{:?}", proof.errors);
    assert_eq!(
        proof.differences,
        0,
        "{:#?}",
        built.summaries().collect::<Vec<_>>()
    );
    assert_eq!(proof.encrypted_ok, Some(true));
    let files = built.files();
    let secret = files
        .iter()
        .find(|f| f.path.ends_with("secret-web-secret.yaml"))
        .expect("the Secret is written");
    assert!(
        secret.text.contains("ENC[AES256_GCM") && !secret.text.contains(SECRET_VALUE),
        "{}",
        secret.text
    );
    let service = files
        .iter()
        .find(|f| f.path.ends_with("service-web.yaml"))
        .unwrap();
    assert!(
        !service.text.contains("clusterIP:") && !service.text.contains("resourceVersion"),
        "{}",
        service.text
    );

    // The agent's own comparison of the imported manifests with the cluster.
    let plain: Vec<schema::SourceFile> = files
        .iter()
        .map(|f| schema::SourceFile::new(f.path.clone(), f.plain.clone()))
        .collect();
    let snap = agent::source::Snapshot {
        commit: "i".into(),
        reference: "i".into(),
        origin: "i".into(),
        subdir: ".".into(),
        files: plain,
        work_tree: None,
    };
    let prepared = agent::validate::prepare_with(&snap, &SecretOptions::default()).unwrap();
    let plan = t.diff(&prepared.rendered.objects, &masker()).await;
    assert!(plan.errors.is_empty(), "{:#?}", plan.errors);
    for ch in &plan.changes {
        assert!(
            !matches!(
                ch.action,
                agent::plan::Action::Create | agent::plan::Action::Delete
            ),
            "{ch:#?}"
        );
        let changed: Vec<&str> = ch
            .diff
            .as_deref()
            .unwrap_or("")
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
            })
            .collect();
        // The agent's ownership bookkeeping (label and source annotation) is all that changes.
        let bookkeeping = |l: &str| {
            let t = l.trim_start_matches(['+', '-']).trim();
            t.starts_with("app.kubernetes.io/managed-by:")
                || t.starts_with("agent/")
                || matches!(
                    t,
                    "labels:" | "annotations:" | "labels: {}" | "annotations: {}"
                )
        };
        assert!(
            changed.iter().all(|l| bookkeeping(l)),
            "{}: more than the agent's bookkeeping changes: {changed:#?}",
            ch.object
        );
    }
    c.cleanup();
}
