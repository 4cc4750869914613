//! One lab: where its files are, its hosts' addresses, and the commands tests run on it.
//!
//! Every operation drives `tests/lab/lab` (or `ssh` with the lab's client files), so what a
//! test does is exactly what a person can type. Methods block until the command is done;
//! a failure carries the command and its stderr.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::error::LabError;
use crate::load::Load;
use crate::probe::{Probe, ProbeReport};

/// Default state directory; `LAB_STATE` overrides it (for the script too).
pub const DEFAULT_STATE: &str = "/srv/agent-lab";

/// The services `lab kill` can kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Haproxy,
    Apache2,
    Corosync,
    Pacemaker,
    Sshd,
    Worker,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Haproxy => "haproxy",
            Service::Apache2 => "apache2",
            Service::Corosync => "corosync",
            Service::Pacemaker => "pacemaker",
            Service::Sshd => "sshd",
            Service::Worker => "worker",
        }
    }
}

/// Exit status and output of a command run on a host.
#[derive(Debug, Clone)]
pub struct CmdOutput {
    pub success: bool,
    pub status: String,
    pub stdout: String,
    pub stderr: String,
}

/// A lab, addressed by its script and state directory. Cheap to create; it does not bring
/// anything up by itself (see [`Lab::shared`] and [`Lab::fresh`]).
#[derive(Debug, Clone)]
pub struct Lab {
    script: PathBuf,
    state: PathBuf,
}

impl Lab {
    /// The deploy node's address on the lab bridge.
    pub const BRIDGE_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
    /// The balancer pair's floating address (created by whoever configures the cluster).
    pub const VIP: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 100);
    /// The NodePorts the workers' stand-in server answers on.
    pub const WORKER_PORTS: [u16; 2] = [30080, 30081];

    /// The lab of this checkout, with `LAB_STATE` or the default state directory.
    pub fn from_env() -> Lab {
        let state = std::env::var_os("LAB_STATE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE));
        Lab {
            script: Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/lab"),
            state,
        }
    }

    pub fn script(&self) -> &Path {
        &self.script
    }
    pub fn state_dir(&self) -> &Path {
        &self.state
    }
    /// The agent configuration `up` writes (ssh identity, known_hosts, lab section).
    pub fn agent_config(&self) -> PathBuf {
        self.state.join("agent.yaml")
    }
    pub fn ssh_config(&self) -> PathBuf {
        self.state.join("ssh_config")
    }
    pub fn identity_file(&self) -> PathBuf {
        self.state.join("id_ed25519")
    }
    pub fn known_hosts(&self) -> PathBuf {
        self.state.join("known_hosts")
    }

    /// Address of a lab host: gw, ha1, ha2, or worker `wN` (10.77.0.20+N).
    pub fn addr(host: &str) -> Option<Ipv4Addr> {
        let last = match host {
            "gw" => 10,
            "ha1" => 11,
            "ha2" => 12,
            _ => {
                20 + host
                    .strip_prefix('w')?
                    .parse::<u8>()
                    .ok()
                    .filter(|n| *n >= 1 && *n <= 60)?
            }
        };
        Some(Ipv4Addr::new(10, 77, 0, last))
    }

    /// The hosts of the running lab, in `up` order (from its state directory).
    pub fn hosts(&self) -> Result<Vec<String>, LabError> {
        let path = self.state.join("hosts.list");
        let text = std::fs::read_to_string(&path).map_err(|source| LabError::State {
            path: path.display().to_string(),
            source,
        })?;
        Ok(text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(String::from)
            .collect())
    }

    /// `lab up` (tearing down any partial lab first); returns the agent.yaml path it printed.
    pub fn up(&self, workers: u8) -> Result<PathBuf, LabError> {
        let out = self.script_cmd(&["up", "--workers", &workers.to_string()])?;
        Ok(PathBuf::from(out.trim()))
    }
    /// `lab down`: everything the lab made is removed.
    pub fn down(&self) -> Result<(), LabError> {
        self.script_cmd(&["down"]).map(drop)
    }
    /// `lab status`: true only when every host answers over SSH.
    pub fn status(&self) -> bool {
        self.command(&["status"])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Run a shell command inside `host`'s namespaces (no SSH involved).
    pub fn exec(&self, host: &str, cmd: &str) -> Result<CmdOutput, LabError> {
        let mut c = self.command(&["exec", host, "/bin/sh", "-c", cmd]);
        run_output(&mut c, &self.script.display().to_string())
    }
    /// Run a shell command on `host` over SSH with the lab's key and pinned known_hosts.
    pub fn ssh(&self, host: &str, cmd: &str) -> Result<CmdOutput, LabError> {
        let mut c = Command::new("ssh");
        c.arg("-F").arg(self.ssh_config()).arg(host).arg(cmd);
        run_output(&mut c, "ssh")
    }
    /// [`Lab::exec`], requiring success; returns stdout.
    pub fn exec_ok(&self, host: &str, cmd: &str) -> Result<String, LabError> {
        self.exec(host, cmd)?.require(host, cmd)
    }
    /// [`Lab::ssh`], requiring success; returns stdout.
    pub fn ssh_ok(&self, host: &str, cmd: &str) -> Result<String, LabError> {
        self.ssh(host, cmd)?.require(host, cmd)
    }

    /// The node a Pacemaker resource runs on, asked on the first balancer node that is
    /// running (`None`: not running, or no node answers).
    pub fn locate(&self, resource: &str) -> Option<String> {
        ["ha1", "ha2"].iter().find_map(|node| {
            let out = self
                .exec(
                    node,
                    &format!("crm_resource --locate --resource {resource}"),
                )
                .ok()?;
            out.stdout
                .lines()
                .find_map(|l| l.split("running on: ").nth(1))
                .map(|n| n.trim().to_string())
        })
    }

    /// Kill the whole host at once, like pulling its power cord. Its files survive.
    pub fn poweroff(&self, host: &str) -> Result<(), LabError> {
        self.script_cmd(&["poweroff", host]).map(drop)
    }
    /// Cut the host's cable (the bridge side of its link goes down).
    pub fn link_down(&self, host: &str) -> Result<(), LabError> {
        self.script_cmd(&["link", host, "down"]).map(drop)
    }
    pub fn link_up(&self, host: &str) -> Result<(), LabError> {
        self.script_cmd(&["link", host, "up"]).map(drop)
    }
    /// SIGKILL one service on the host; fails when it is not running.
    pub fn kill_service(&self, host: &str, service: Service) -> Result<(), LabError> {
        self.script_cmd(&["kill", host, service.name()]).map(drop)
    }
    /// Boot the host if it is off, reconnect it, restart its base services.
    pub fn restore(&self, host: &str) -> Result<(), LabError> {
        self.script_cmd(&["restore", host]).map(drop)
    }
    /// Start one service again (HAProxy through its init script).
    pub fn restore_service(&self, host: &str, service: Service) -> Result<(), LabError> {
        self.script_cmd(&["restore", host, service.name()])
            .map(drop)
    }

    /// Probe `url` every 100 ms for `duration` (blocking) and analyse the result.
    pub fn probe(&self, url: &str, duration: Duration) -> Result<ProbeReport, LabError> {
        self.start_probe(url, duration, Duration::from_millis(100))?
            .wait()
    }
    /// Start a probe in the background, e.g. before injecting a fault; [`Probe::wait`] ends it.
    pub fn start_probe(
        &self,
        url: &str,
        duration: Duration,
        interval: Duration,
    ) -> Result<Probe, LabError> {
        Probe::start(&self.script, url, duration, interval, None)
    }
    /// [`Lab::start_probe`] with a per-request timeout other than the probe's 0.5 s (a
    /// request slower than `timeout` counts as failed).
    pub fn start_probe_with_timeout(
        &self,
        url: &str,
        duration: Duration,
        interval: Duration,
        timeout: Duration,
    ) -> Result<Probe, LabError> {
        Probe::start(&self.script, url, duration, interval, Some(timeout))
    }

    /// Start wrk against `url` for `duration` (whole seconds, at least 1) with `connections`
    /// keep-alive connections; [`Load::wait`] returns its summary.
    pub fn start_load(
        &self,
        url: &str,
        duration: Duration,
        connections: u16,
    ) -> Result<Load, LabError> {
        Load::start(&self.script, url, duration, connections)
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.script);
        c.args(args)
            .env("LAB_STATE", &self.state)
            // The fixture holds `<state>.lock` for the whole test process.
            .env("LAB_LOCK_HELD", "1")
            .stdin(Stdio::null());
        c
    }

    /// Run the lab script; on success return its stdout (its log goes to stderr).
    fn script_cmd(&self, args: &[&str]) -> Result<String, LabError> {
        let command = format!("lab {}", args.join(" "));
        let out = run_output(&mut self.command(args), &command)?;
        if out.success {
            Ok(out.stdout)
        } else {
            Err(LabError::Command {
                command,
                status: out.status,
                stderr: out.stderr,
            })
        }
    }
}

impl CmdOutput {
    fn require(self, host: &str, cmd: &str) -> Result<String, LabError> {
        if self.success {
            Ok(self.stdout)
        } else {
            Err(LabError::Host {
                host: host.to_string(),
                command: cmd.to_string(),
                status: self.status,
                stderr: self.stderr,
            })
        }
    }
}

fn run_output(c: &mut Command, program: &str) -> Result<CmdOutput, LabError> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|source| LabError::Spawn {
            program: program.to_string(),
            source,
        })?;
    Ok(CmdOutput {
        success: out.status.success(),
        status: out.status.to_string(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
