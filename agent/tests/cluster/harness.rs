//! A two-node "cluster" in a CIB file, driven by the real Pacemaker tools.
//!
//! `CIB_file` makes cibadmin/crm_mon/crm_diff work on a file; after every script
//! the [`Sim`] remote lets `crm_simulate` execute the pending transition with
//! both nodes up and quorum, so crm_mon then shows resources started the way
//! the policy engine places them. Nodes can be marked unreachable, and a hook
//! can edit the CIB just before a given script runs (a concurrent `pcs` user).

#![allow(dead_code)]

use agent::exec::{ExecOutput, LocalShell, Remote, RemoteError};
use agent::mask::Masker;
use agent::targets::cluster::cib::{CibVersion, ConfigView};
use agent::targets::cluster::xml::Elem;
use agent::targets::cluster::{
    apply, diff, ApplyOptions, ApplyReport, ClusterAccess, ClusterError, ClusterPlan,
    ClusterPolicy, CorosyncWant,
};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

pub const FRAGMENT: &str = include_str!("fragment.xml");
pub const COROSYNC: &str = include_str!("corosync.conf");

pub struct Lab {
    _dir: tempfile::TempDir,
    pub cib: PathBuf,
    pub access: ClusterAccess,
}

impl Lab {
    /// An empty CIB with nodes ha1 and ha2, and the lab's corosync.conf.
    pub fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let cib = dir.path().join("cib.xml");
        let coro = dir.path().join("corosync.conf");
        std::fs::write(&coro, COROSYNC).unwrap();
        let access = ClusterAccess::cib_file(
            vec!["ha1".into(), "ha2".into()],
            cib.to_str().unwrap(),
            coro.to_str().unwrap(),
        );
        let lab = Lab {
            _dir: dir,
            cib,
            access,
        };
        lab.sh("cibadmin --empty > \"$CIB_file\"");
        lab.sh(r#"cibadmin --create -o nodes --xml-text '<node id="1" uname="ha1"/>'"#);
        lab.sh(r#"cibadmin --create -o nodes --xml-text '<node id="2" uname="ha2"/>'"#);
        lab
    }

    /// Runs `cmd` with the lab's CIB_file; panics (with the output) on failure.
    pub fn sh(&self, cmd: &str) -> String {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{}\n{cmd}", self.access.prelude))
            .output()
            .expect("sh runs (are the Pacemaker CLI tools installed?)");
        assert!(
            out.status.success(),
            "{cmd}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn root(&self) -> Elem {
        Elem::parse(&std::fs::read_to_string(&self.cib).unwrap()).unwrap()
    }
    pub fn version(&self) -> CibVersion {
        CibVersion::of(&self.root())
    }
    /// The CIB epoch and `<configuration>`: what "the live CIB was not touched" compares.
    pub fn configuration(&self) -> (u64, Option<Elem>) {
        let root = self.root();
        (
            CibVersion::of(&root).epoch,
            root.child("configuration").cloned(),
        )
    }
    pub fn view(&self) -> ConfigView {
        ConfigView::of(&self.root())
    }
    pub fn sim(&self) -> Sim {
        Sim {
            inner: LocalShell::default(),
            cib: self.cib.clone(),
            settle: true,
            down: vec![],
            hook: Mutex::new(None),
        }
    }
}

impl Lab {
    /// `diff` of the standard fragment and corosync settings under `policy`.
    pub async fn diff_with(
        &self,
        sim: &Sim,
        policy: &ClusterPolicy,
    ) -> Result<ClusterPlan, ClusterError> {
        let want = corosync_want();
        diff(sim, &self.access, &fragment(), &want, policy, &masker()).await
    }

    /// `apply` of `frag` (standard corosync settings, fast timeouts) under `policy`.
    pub async fn apply_with(
        &self,
        sim: &Sim,
        frag: &Elem,
        policy: &ClusterPolicy,
    ) -> Result<ApplyReport, ClusterError> {
        let want = corosync_want();
        apply(sim, &self.access, frag, &want, policy, &masker(), &fast()).await
    }
}

pub fn fragment() -> Elem {
    Elem::parse(FRAGMENT).unwrap()
}

pub fn corosync_want() -> CorosyncWant {
    CorosyncWant {
        cluster_name: Some("lab".into()),
        nodes: vec!["ha1".into(), "ha2".into()],
        token: Some(3000),
        transport: Some("knet".into()),
        two_node: Some(true),
        addresses: Default::default(),
    }
}

pub fn masker() -> Masker {
    Masker::new("cluster-tests")
}

pub fn fast() -> ApplyOptions {
    ApplyOptions {
        attempts: 3,
        settle_timeout: Duration::from_secs(5),
        poll: Duration::from_millis(100),
    }
}

/// LocalShell plus a simulated cluster that settles after every script.
pub struct Sim {
    inner: LocalShell,
    cib: PathBuf,
    /// Run `crm_simulate` after every script (false: nothing ever starts).
    pub settle: bool,
    /// Hosts that answer with a transient connection error.
    pub down: Vec<String>,
    /// `(trigger, command)`: run `command` (with CIB_file) once, just before the first
    /// script containing `trigger`.
    pub hook: Mutex<Option<(String, String)>>,
}

impl Sim {
    pub fn before_next(&self, trigger: &str, command: &str) {
        *self.hook.lock().unwrap() = Some((trigger.into(), command.into()));
    }

    /// Lets the "cluster" react to a hand edit now (as a running cluster would).
    pub fn settle(&self) {
        let cib = self.cib.to_str().unwrap();
        let script = format!(
            "crm_simulate -x {cib} -S --quorum=1 --node-up ha1 --node-up ha2 -O {cib}.sim \
             >/dev/null 2>&1 && mv {cib}.sim {cib}"
        );
        let ok = Command::new("sh").arg("-c").arg(script).status().unwrap();
        assert!(ok.success(), "crm_simulate settles the CIB file");
    }
}

#[async_trait::async_trait]

impl Remote for Sim {
    async fn exec(
        &self,
        host: &str,
        script: &str,
        stdin: &[u8],
    ) -> Result<ExecOutput, RemoteError> {
        if self.down.iter().any(|d| d == host) {
            return Err(RemoteError {
                host: host.into(),
                message: "connection refused".into(),
                transient: true,
            });
        }
        let hook = {
            let mut h = self.hook.lock().unwrap();
            match h.as_ref() {
                Some((trigger, _)) if script.contains(trigger.as_str()) => h.take(),
                _ => None,
            }
        };
        if let Some((_, cmd)) = hook {
            let cib = self.cib.to_str().unwrap();
            let ok = Command::new("sh")
                .arg("-c")
                .arg(format!("CIB_file={cib}; export CIB_file\n{cmd}"))
                .status()
                .unwrap();
            assert!(ok.success(), "hook {cmd}");
        }
        let out = self.inner.exec(host, script, stdin).await;
        if self.settle {
            self.settle();
        }
        out
    }
}
