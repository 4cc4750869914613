//! A Git server inside the lab: a bare repository on a lab host, reached over `ssh://`
//! with the lab's root key and pinned known_hosts, as `agent run` reaches a real one.
//!
//! [`GitServer::start`] creates the bare repository on the host (through `lab exec`, on
//! the host's own disk: its overlay, removed with the lab) and pushes a local clone of
//! `sample-repo/` ([`DesiredRepo`]) into it. Tests then edit and commit in
//! [`GitServer::local`] and [`GitServer::push`] (or [`GitServer::force_push`]) over SSH.
//! The host should be one the desired state does not manage (e.g. a spare worker), so
//! powering it off cuts Git and nothing else.

use std::process::{Command, Output};

use crate::agent_cli::DesiredRepo;
use crate::Lab;

/// Where the bare repository lives on its host.
pub const BARE_PATH: &str = "/var/lib/git/platform.git";

pub struct GitServer {
    lab: Lab,
    host: String,
    local: DesiredRepo,
}

impl GitServer {
    /// A bare repository on `host` holding the sample repo's first commit on `main`.
    /// Panics when the host cannot be prepared or the push fails.
    pub fn start(lab: &Lab, host: &str) -> GitServer {
        lab.exec_ok(
            host,
            &format!("rm -rf {BARE_PATH} && mkdir -p {BARE_PATH} && git init -q --bare -b main {BARE_PATH}"),
        )
        .unwrap_or_else(|e| panic!("cannot create the bare repository on {host}: {e}"));
        let server = GitServer {
            lab: lab.clone(),
            host: host.to_string(),
            local: DesiredRepo::from_sample(),
        };
        server
            .local
            .git(&["remote", "add", "origin", &server.url()]);
        server.push();
        server
    }

    /// `ssh://root@<address>/var/lib/git/platform.git`.
    pub fn url(&self) -> String {
        let addr = Lab::addr(&self.host).expect("a lab host");
        format!("ssh://root@{addr}{BARE_PATH}")
    }
    pub fn host(&self) -> &str {
        &self.host
    }
    /// The local clone to edit and commit in.
    pub fn local(&self) -> &DesiredRepo {
        &self.local
    }

    /// Pushes the local `main` (fast-forward); panics when the server refuses.
    pub fn push(&self) {
        let out = self.git_push(&["push", "-q", "origin", "main"]);
        assert!(
            out.status.success(),
            "git push: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Replaces the server's `main` with the local one even when history was rewritten.
    pub fn force_push(&self) {
        let out = self.git_push(&["push", "-q", "--force", "origin", "main"]);
        assert!(
            out.status.success(),
            "git push --force: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The commit the server's `main` points at, read on the host itself.
    pub fn head(&self) -> String {
        self.lab
            .exec_ok(
                &self.host,
                &format!("git --git-dir={BARE_PATH} rev-parse main"),
            )
            .unwrap_or_else(|e| panic!("cannot read the server's main: {e}"))
            .trim()
            .to_string()
    }

    fn git_push(&self, args: &[&str]) -> Output {
        let ssh = format!(
            "ssh -i {} -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5",
            self.lab.identity_file().display(),
            self.lab.known_hosts().display()
        );
        Command::new("git")
            .current_dir(self.local.dir())
            .env("GIT_SSH_COMMAND", ssh)
            .args(args)
            .output()
            .expect("git runs")
    }
}
