//! `agent run` as a child process of a test, against the lab and a [`GitServer`].
//!
//! [`RunAgent::start`] writes an agent config in a scratch directory (the lab's SSH key,
//! known_hosts and age identity; the repo URL; a short interval; its own state directory;
//! a free port on 127.0.0.1), starts `agent run -vv --log-format json` with its output in
//! `agent.log`, and waits for `/healthz`. The child is killed by its PID on drop, so a
//! failing test never leaves an agent running. `/status` and `/metrics` are read with curl.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::agent_cli::{agent_bin, Scratch};
use crate::{wait_until, Lab};

/// The settings of one service under test.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub url: String,
    /// Poll interval, e.g. `2s`.
    pub interval: String,
    /// Jitter, e.g. `200ms`.
    pub jitter: String,
    /// `correct` or `observe` for the balancer target (the others: `correct`).
    pub balancer_policy: String,
    /// The Kubernetes API (the sample repo declares workloads): e.g. an `ApiDouble`'s.
    pub kubeconfig: PathBuf,
    /// More agent.yaml lines, appended as they are (e.g. `leaderElection: {...}`).
    pub extra: String,
}

impl RunOptions {
    pub fn new(url: &str, kubeconfig: &Path) -> RunOptions {
        RunOptions {
            url: url.to_string(),
            interval: "2s".into(),
            jitter: "200ms".into(),
            balancer_policy: "correct".into(),
            kubeconfig: kubeconfig.to_path_buf(),
            extra: String::new(),
        }
    }
}

pub struct RunAgent {
    child: Child,
    port: u16,
    dir: Scratch,
}

impl RunAgent {
    /// Starts `agent run`; panics when it does not answer `/healthz` within 30 s.
    pub fn start(lab: &Lab, opts: &RunOptions) -> RunAgent {
        let dir = Scratch::new("run");
        let port = free_port();
        let config = dir.path().join("agent.yaml");
        std::fs::write(&config, config_text(lab, opts, dir.path(), port)).expect("write config");
        let child = spawn(dir.path());
        let mut agent = RunAgent { child, port, dir };
        agent.wait_up();
        agent
    }

    /// Starts the agent again (same config, state directory and log) after it exited.
    pub fn restart(&mut self) {
        assert!(self.exited().is_some(), "restart of a running agent");
        self.child = spawn(self.dir.path());
        self.wait_up();
    }

    fn wait_up(&mut self) {
        let up = wait_until(Duration::from_secs(30), || {
            self.get("/healthz").is_some() || self.exited().is_some()
        });
        assert!(
            up && self.exited().is_none(),
            "agent run did not come up:\n{}",
            self.log()
        );
    }

    /// `http://127.0.0.1:PORT{path}`: the listener (the page, the API), e.g. for a browser.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends SIGKILL: the agent dies at once, wherever it is (no cleanup).
    pub fn kill_9(&mut self) {
        let st = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(st.success(), "kill -KILL {} failed", self.child.id());
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("agent.yaml")
    }
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Everything the agent logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("agent.log")).unwrap_or_default()
    }

    /// `GET path` on the agent's listener: the body, `None` when it does not answer 2xx.
    pub fn get(&self, path: &str) -> Option<String> {
        let out = Command::new("curl")
            .args(["-sf", "-m", "3"])
            .arg(format!("http://127.0.0.1:{}{path}", self.port))
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `/status` as JSON; panics when the agent does not answer.
    pub fn status(&self) -> serde_json::Value {
        let body = self
            .get("/status")
            .unwrap_or_else(|| panic!("/status does not answer:\n{}", self.log()));
        serde_json::from_str(&body).expect("/status is JSON")
    }

    /// `/metrics`; panics when the agent does not answer.
    pub fn metrics(&self) -> String {
        self.get("/metrics")
            .unwrap_or_else(|| panic!("/metrics does not answer:\n{}", self.log()))
    }

    /// The value of the sample `name{labels}` (exactly as rendered) in `/metrics`; 0 when absent.
    pub fn metric(&self, sample: &str) -> f64 {
        metric_value(&self.metrics(), sample)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(st.success(), "kill -TERM {} failed", self.child.id());
    }

    /// The exit status once the agent has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("wait for agent run")
    }

    /// Waits up to `timeout` for the agent to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut st = None;
        wait_until(timeout, || {
            st = self.exited();
            st.is_some()
        });
        st
    }
}

impl Drop for RunAgent {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The value of `sample` (metric name with its labels, as rendered) in Prometheus text.
pub fn metric_value(text: &str, sample: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn config_text(lab: &Lab, o: &RunOptions, dir: &Path, port: u16) -> String {
    let age = Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/demo-age-key.txt");
    format!(
        "repo: {{url: \"{url}\", branch: main, path: ., timeout: 3s}}\n\
         interval: {interval}\njitter: {jitter}\n\
         ssh:\n  user: root\n  identityFile: {id}\n  knownHosts: {kh}\n  connectTimeout: 3s\n\
         secrets: {{ageIdentityFile: {age}}}\nkubeconfig: {kube}\n\
         policies: {{gateway: correct, balancer: {bal}, cluster: correct, workloads: correct}}\n\
         stateDir: {state}\nlisten: 127.0.0.1:{port}\n{extra}",
        url = o.url,
        interval = o.interval,
        jitter = o.jitter,
        id = lab.identity_file().display(),
        kh = lab.known_hosts().display(),
        age = age.display(),
        bal = o.balancer_policy,
        kube = o.kubeconfig.display(),
        state = dir.join("state").display(),
        extra = o.extra,
    )
}

/// `agent run` with `<dir>/agent.yaml`, appending its output to `<dir>/agent.log`.
fn spawn(dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("agent.log"))
        .expect("log file");
    Command::new(agent_bin())
        .args(["run", "-vv", "--log-format", "json", "--config"])
        .arg(dir.join("agent.yaml"))
        .env_remove("KUBECONFIG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("agent run starts")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}
