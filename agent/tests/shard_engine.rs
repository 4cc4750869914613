//! Sharding through the engine, as `agent diff`/`apply` run it after
//! `shard::narrow`: the agent of a shard contacts, compares and writes only the
//! hosts labelled with its shard, its clusters, and the Kubernetes API only when the
//! control plane is in its shard. The hosts are directories on this machine (the
//! inventory's `overrides:` point each host's files into its own directory), the
//! scripts are the real ones run by `sh`, and every host the engine contacts is
//! recorded.

use agent::engine::{Desired, Engine, Selection};
use agent::exec::{ExecOutput, LocalShell, Remote, RemoteError};
use agent::plan::ChangeSet;
use agent::validate::Prepared;
use async_trait::async_trait;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

/// Runs every script locally and remembers which host it was for.
#[derive(Default)]
struct Recorder {
    shell: LocalShell,
    hosts: Mutex<BTreeSet<String>>,
}

#[async_trait]
impl Remote for Recorder {
    async fn exec(
        &self,
        host: &str,
        script: &str,
        stdin: &[u8],
    ) -> Result<ExecOutput, RemoteError> {
        self.hosts.lock().unwrap().insert(host.to_string());
        self.shell.exec(host, script, stdin).await
    }
}

impl Recorder {
    fn contacted(&self) -> Vec<String> {
        std::mem::take(&mut *self.hosts.lock().unwrap())
            .into_iter()
            .collect()
    }
}

/// Gateways gw-a1, gw-a2 (shard a, with the control plane cp), gw-b1 and the
/// balancer pair lb1, lb2 (shard b); a Gateway on every gateway, a Balancer and an
/// HaCluster on the pair, an App.
fn repo(dir: &Path) -> Vec<schema::SourceFile> {
    let gw = |name: &str, ip: &str, shard: &str| {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        format!(
            "    - {{name: {name}, address: {ip}, roles: [gateway], labels: {{shard: {shard}}},\n       \
             overrides: {{apacheSite: {}/site.conf, apacheCheck: 'true', apacheReload: 'true'}}}}\n",
            d.display()
        )
    };
    let lb = |name: &str, ip: &str| {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        format!(
            "    - {{name: {name}, address: {ip}, roles: [balancer], labels: {{shard: b}},\n       \
             overrides: {{haproxyConfig: {}/haproxy.cfg, haproxyCheck: 'true', haproxyReload: 'true'}}}}\n",
            d.display()
        )
    };
    let inventory = format!(
        "apiVersion: agent/v1\nkind: Inventory\nmetadata: {{name: t}}\nspec:\n  hosts:\n{}{}{}{}{}    \
         - {{name: cp, address: 10.0.1.30, roles: [control-plane], labels: {{shard: a}}}}\n",
        gw("gw-a1", "10.0.1.10", "a"),
        gw("gw-a2", "10.0.1.11", "a"),
        gw("gw-b1", "10.0.2.10", "b"),
        lb("lb1", "10.0.2.11"),
        lb("lb2", "10.0.2.12"),
    );
    let docs = "\
apiVersion: agent/v1
kind: Gateway
metadata: {name: front}
spec:
  vhosts: [{serverName: app.example}]
---
apiVersion: agent/v1
kind: Balancer
metadata: {name: lb}
spec:
  frontends: [{name: f, binds: ['127.0.0.1:18080'], defaultBackend: b}]
  backends: [{name: b, servers: [{name: s1, address: 127.0.0.1, port: 18081}]}]
---
apiVersion: agent/v1
kind: HaCluster
metadata: {name: lb}
spec:
  clusterName: lb
  nodes: [lb1, lb2]
---
apiVersion: agent/v1
kind: App
metadata: {name: web, namespace: web}
spec:
  image: nginx:1.27
  containerPort: 80
";
    [("inventory.yaml", inventory.as_str()), ("docs.yaml", docs)]
        .iter()
        .map(|(p, t)| schema::SourceFile::new(p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

fn prepared(dir: &Path, shard: Option<&str>) -> Prepared {
    let state = schema::load_files(&repo(dir)).unwrap_or_else(|d| panic!("loads:\n{d}"));
    let rendered = agent::render::render(&state).expect("renders");
    let p = Prepared {
        state,
        rendered,
        warnings: vec![],
        secrets: vec![],
    };
    agent::shard::narrow(p, shard).expect("a known shard")
}

fn hosts_of(cs: &ChangeSet) -> BTreeSet<String> {
    cs.changes
        .iter()
        .filter_map(|c| c.host.clone())
        .chain(cs.errors.iter().filter_map(|e| e.host.clone()))
        .collect()
}

fn targets_with_errors(cs: &ChangeSet) -> BTreeSet<&str> {
    cs.errors.iter().map(|e| e.target.as_str()).collect()
}

async fn diff(remote: &Recorder, p: &Prepared) -> ChangeSet {
    let engine = Engine::new(remote, &p.state);
    let d = Desired {
        commit: "c1",
        state: &p.state,
        rendered: &p.rendered,
    };
    engine.diff(&d).await
}

#[tokio::test]
async fn a_shards_diff_contacts_and_reports_only_its_hosts_and_its_shared_state() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = Recorder::default();

    let a = prepared(tmp.path(), Some("a"));
    let cs = diff(&remote, &a).await;
    assert_eq!(remote.contacted(), ["gw-a1", "gw-a2"]);
    assert_eq!(cs.shard.as_deref(), Some("a"));
    assert_eq!(
        hosts_of(&cs),
        BTreeSet::from(["gw-a1".into(), "gw-a2".into()])
    );
    // Shard a holds the control plane: its agent owns the workloads (here: no cluster
    // configured, so an error of that target), and no CIB.
    let errs = targets_with_errors(&cs);
    assert!(
        errs.contains("workloads") && !errs.contains("cluster"),
        "{:#?}",
        cs.errors
    );
    let text = agent::report::diff_text(&cs, false, false);
    assert!(text.contains("shard a: only its hosts"), "{text}");

    let b = prepared(tmp.path(), Some("b"));
    let cs = diff(&remote, &b).await;
    assert_eq!(remote.contacted(), ["gw-b1", "lb1", "lb2"]);
    // The cluster on lb1/lb2 is b's (its CIB is read from its nodes, which fails here:
    // no Pacemaker on this machine); the Kubernetes API is not b's at all.
    let errs = targets_with_errors(&cs);
    assert!(
        errs.contains("cluster") && !errs.contains("workloads"),
        "{:#?}",
        cs.errors
    );
    assert!(hosts_of(&cs)
        .iter()
        .all(|h| ["gw-b1", "lb1", "lb2"].contains(&h.as_str())));

    // Without a shard: every host, as before sharding.
    let all = prepared(tmp.path(), None);
    diff(&remote, &all).await;
    assert_eq!(
        remote.contacted(),
        ["gw-a1", "gw-a2", "gw-b1", "lb1", "lb2"]
    );
}

#[tokio::test]
async fn a_shards_apply_writes_only_its_hosts() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = Recorder::default();
    let site = |h: &str| tmp.path().join(h).join("site.conf");

    let a = prepared(tmp.path(), Some("a"));
    let mut engine = Engine::new(&remote, &a.state);
    engine.select = Selection::only(&["gateway"]).unwrap();
    let d = Desired {
        commit: "c1",
        state: &a.state,
        rendered: &a.rendered,
    };
    let rep = engine.apply(&d, &|_: &str| {}).await;
    assert_eq!(remote.contacted(), ["gw-a1", "gw-a2"]);
    let stepped: BTreeSet<&str> = rep.steps.iter().map(|s| s.host.as_str()).collect();
    assert_eq!(
        stepped,
        BTreeSet::from(["gw-a1", "gw-a2"]),
        "{:#?}",
        rep.steps
    );
    assert!(rep.exit_code() == 0, "{}", agent::report::apply_text(&rep));
    assert!(site("gw-a1").exists() && site("gw-a2").exists());
    assert!(
        !site("gw-b1").exists(),
        "shard b's host was written by shard a"
    );
    let text = agent::report::apply_text(&rep);
    assert!(text.contains("(commit c1, shard a)"), "{text}");

    // Shard b's agent, afterwards: only gw-b1 changes; a's hosts are not even read.
    let b = prepared(tmp.path(), Some("b"));
    let mut engine = Engine::new(&remote, &b.state);
    engine.select = Selection::only(&["gateway"]).unwrap();
    let d = Desired {
        commit: "c1",
        state: &b.state,
        rendered: &b.rendered,
    };
    let before = std::fs::read(site("gw-a1")).unwrap();
    let rep = engine.apply(&d, &|_: &str| {}).await;
    assert_eq!(remote.contacted(), ["gw-b1"]);
    assert!(rep.exit_code() == 0, "{}", agent::report::apply_text(&rep));
    assert!(site("gw-b1").exists());
    assert_eq!(std::fs::read(site("gw-a1")).unwrap(), before);
}
