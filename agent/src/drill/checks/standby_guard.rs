//! The failover check's promise: a node it put in standby is always brought back.
//!
//! [`StandbyGuard::standby`] arms the guard *before* the command runs (the command may
//! take effect even when its answer is lost); [`StandbyGuard::undo`] brings the node
//! online, retrying through each cluster node, and disarms it. The check calls
//! `undo` on every path — success, its own failure, Ctrl-C/SIGTERM ([`interrupted`]) and
//! a panic (caught, undone, resumed). Dropping an armed guard (the future cancelled
//! from outside) still undoes, blocking the thread, on a multi-threaded runtime;
//! otherwise it says loudly which command to run. Only a SIGKILL of the agent leaves
//! the standby in place, and the next drill refuses to start until it is undone.

use crate::drill::cluster::set_standby;
use crate::exec::Remote;

pub struct StandbyGuard<'a, R: Remote> {
    remote: &'a R,
    /// Nodes to send the commands through, in order (the other node first).
    via: Vec<String>,
    node: String,
    armed: bool,
}

impl<'a, R: Remote> StandbyGuard<'a, R> {
    pub fn new(remote: &'a R, via: Vec<String>, node: &str) -> Self {
        StandbyGuard {
            remote,
            via,
            node: node.to_string(),
            armed: false,
        }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn armed(&self) -> bool {
        self.armed
    }

    /// Puts the node in standby (through the first `via` node that runs the command).
    pub async fn standby(&mut self) -> Result<String, String> {
        self.armed = true;
        self.each_via(true).await
    }

    /// Brings the node back online; disarms on success. A no-op when not armed.
    pub async fn undo(&mut self) -> Result<String, String> {
        if !self.armed {
            return Ok("nothing to undo".into());
        }
        let mut last = Err(String::new());
        for _ in 0..3 {
            last = self.each_via(false).await;
            if last.is_ok() {
                self.armed = false;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        last
    }

    async fn each_via(&self, standby: bool) -> Result<String, String> {
        let mut errors = Vec::new();
        for v in &self.via {
            match set_standby(self.remote, v, &self.node, standby).await {
                Ok(m) => return Ok(m),
                Err(e) => errors.push(e),
            }
        }
        Err(errors.join("; "))
    }
}

impl<R: Remote> Drop for StandbyGuard<'_, R> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let node = self.node.clone();
        let handle = tokio::runtime::Handle::try_current();
        let undone = match handle {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| h.block_on(self.undo())).is_ok()
            }
            _ => false,
        };
        if !undone {
            tracing::error!(
                node = %node,
                "the drill could not bring {node} back online: run `crm node online {node}` (or `pcs node unstandby {node}`)"
            );
            eprintln!(
                "error: {node} is still in standby: run `crm node online {node}` (or `pcs node unstandby {node}`)"
            );
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, with the signal's name.
pub async fn interrupted() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).ok();
    let term = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term => "SIGTERM",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{ExecOutput, RemoteError};
    use std::sync::Mutex;

    /// Records scripts; answers every one with success.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, String)>>);

    #[async_trait::async_trait]

    impl Remote for Recorder {
        async fn exec(
            &self,
            host: &str,
            script: &str,
            _: &[u8],
        ) -> Result<ExecOutput, RemoteError> {
            self.0.lock().unwrap().push((host.into(), script.into()));
            Ok(ExecOutput {
                stdout: b"crm\n".to_vec(),
                ..Default::default()
            })
        }
    }

    fn commands(r: &Recorder) -> Vec<String> {
        r.0.lock()
            .unwrap()
            .iter()
            .map(|(h, s)| {
                let cmd = if s.contains("crm node standby") {
                    "standby"
                } else {
                    "online"
                };
                format!("{h}: {cmd}")
            })
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_armed_guard_brings_the_node_back() {
        let r = Recorder::default();
        {
            let mut g = StandbyGuard::new(&r, vec!["ha2".into()], "ha1");
            g.standby().await.unwrap();
            assert!(g.armed());
        }
        assert_eq!(commands(&r), ["ha2: standby", "ha2: online"]);
    }

    #[tokio::test]
    async fn undo_disarms_and_runs_once() {
        let r = Recorder::default();
        let mut g = StandbyGuard::new(&r, vec!["ha2".into()], "ha1");
        assert_eq!(g.undo().await.unwrap(), "nothing to undo", "not armed yet");
        g.standby().await.unwrap();
        assert_eq!(g.undo().await.unwrap(), "crm on ha2");
        assert!(!g.armed());
        drop(g);
        assert_eq!(commands(&r), ["ha2: standby", "ha2: online"]);
    }

    #[tokio::test]
    async fn a_cancelled_check_is_still_undone_by_its_caller() {
        // The failover check's shape: the body is raced against a signal; when the
        // signal wins, the body is dropped and the guard is undone afterwards.
        let r = Recorder::default();
        let mut g = StandbyGuard::new(&r, vec!["ha2".into()], "ha1");
        let body = async {
            g.standby().await.unwrap();
            std::future::pending::<()>().await;
        };
        tokio::select! {
            _ = body => unreachable!(),
            _ = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
        }
        g.undo().await.unwrap();
        assert_eq!(commands(&r), ["ha2: standby", "ha2: online"]);
    }
}
