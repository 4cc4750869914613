//! Driving the real `agent` binary from the end-to-end suites (`tests/tests/hosts_*.rs`).
//!
//! - [`agent_bin`]: the workspace's `agent` binary, built once per test process with
//!   `cargo build` (a no-op when it is up to date), so a suite never runs a stale binary;
//! - [`DesiredRepo`]: a copy of `sample-repo/` in a real Git repository under the temp
//!   directory, read by the agent through `--repo file://…`, so tests can commit changes;
//! - [`Agent`]: one invocation (`diff`, `apply`, `render`) with the lab's agent config,
//!   its exit code and output; or a spawned child for kill tests;
//! - [`ApiDouble`]: the Kubernetes API server double in the background, stopped by PID.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The workspace root (the parent of this crate).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The profile directory this test binary was built into (`…/target/debug`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    // …/target/<profile>/deps/<test>-<hash>
    exe.parent()
        .and_then(Path::parent)
        .expect("test binaries live in <target>/<profile>/deps")
        .to_path_buf()
}

/// `agent` and `agent-apiserver-double`, built (once per process) into the target
/// directory this test was built into. Panics with cargo's output when the build fails.
pub fn agent_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let profile = profile_dir();
        let target = profile.parent().expect("profile dir has a parent");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut c = Command::new(cargo);
        c.current_dir(workspace_dir())
            .args(["build", "-q", "-p", "agent", "-p", "k8s-double", "--bins"])
            .env("CARGO_TARGET_DIR", target);
        // What cargo sets for a running test (package name, manifest dir, OUT_DIR...) is
        // tracked by some build scripts (ring's): passing it on would make this build and
        // the next `cargo test` invalidate each other's dependencies.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            let set_by_cargo = ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CFG_"]
                .iter()
                .any(|p| k.starts_with(p))
                || [
                    "CARGO_CRATE_NAME",
                    "CARGO_BIN_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                    "OUT_DIR",
                ]
                .contains(&k.as_ref());
            if set_by_cargo {
                c.env_remove(&key);
            }
        }
        if profile.file_name().is_some_and(|n| n == "release") {
            c.arg("--release");
        }
        let out = c.output().expect("cargo runs");
        assert!(
            out.status.success(),
            "building the agent binary failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = profile.join("agent");
        assert!(bin.exists(), "{} missing after the build", bin.display());
        bin
    })
}

/// A unique scratch directory under the temp dir, removed on drop.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "agent-e2e-{tag}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A Git repository holding a copy of `sample-repo/`, one commit to start with.
#[derive(Debug)]
pub struct DesiredRepo {
    scratch: Scratch,
}

impl DesiredRepo {
    pub fn from_sample() -> DesiredRepo {
        let scratch = Scratch::new("repo");
        let repo = DesiredRepo { scratch };
        let src = workspace_dir().join("sample-repo");
        let st = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", src.display()))
            .arg(repo.dir())
            .status()
            .expect("cp runs");
        assert!(st.success(), "copying sample-repo failed");
        repo.git(&["init", "-q", "-b", "main"]);
        repo.commit("sample-repo as shipped");
        repo
    }

    /// A Git repository holding a copy of `src` (hidden files included), one commit.
    pub fn from_dir(src: &Path) -> DesiredRepo {
        let repo = DesiredRepo {
            scratch: Scratch::new("repo"),
        };
        std::fs::create_dir_all(repo.dir()).expect("repo dir");
        let st = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", src.display()))
            .arg(repo.dir())
            .status()
            .expect("cp runs");
        assert!(st.success(), "copying {} failed", src.display());
        repo.git(&["init", "-q", "-b", "main"]);
        repo.commit("imported");
        repo
    }

    pub fn dir(&self) -> PathBuf {
        self.scratch.path().join("repo")
    }
    pub fn url(&self) -> String {
        format!("file://{}", self.dir().display())
    }
    /// Where the agent caches its clone of this repository.
    pub fn cache_dir(&self) -> PathBuf {
        self.scratch.path().join("cache")
    }

    /// Runs git in the repository; panics on failure; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let dir = self.dir();
        std::fs::create_dir_all(&dir).expect("repo dir");
        let out = Command::new("git")
            .current_dir(&dir)
            .args([
                "-c",
                "user.name=agent-e2e",
                "-c",
                "user.email=e2e@agent.lab",
            ])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Rewrites `file` (relative to the repo) with `f`; panics when nothing changed.
    /// A sops file is edited as `sops edit` does: `f` sees and changes its cleartext
    /// ([`crate::sops_edit`]), the file stays encrypted.
    pub fn edit(&self, file: &str, f: impl FnOnce(&str) -> String) {
        let path = self.dir().join(file);
        let old = std::fs::read_to_string(&path).expect("repo file readable");
        let new = crate::sops_edit::edit_text(file, &old, f)
            .unwrap_or_else(|e| panic!("cannot edit {file}: {e}"));
        assert_ne!(old, new, "edit of {file} changed nothing");
        std::fs::write(&path, new).expect("repo file writable");
    }

    /// Commits everything; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }
}

/// How one agent invocation ended.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("agent printed no JSON ({e}):\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?} after {:.1} s\n--- stdout\n{}--- stderr\n{}",
            self.code,
            self.elapsed.as_secs_f64(),
            self.stdout,
            self.stderr
        )
    }
}

/// Invocations of the agent against one lab and one repository.
#[derive(Debug, Clone)]
pub struct Agent {
    pub config: PathBuf,
    pub repo: String,
    pub cache: PathBuf,
    /// `--target` values; empty = every target.
    pub targets: Vec<String>,
    pub kubeconfig: Option<PathBuf>,
    /// An invocation running longer than this is killed and the test fails.
    pub timeout: Duration,
}

impl Agent {
    /// The host-level targets only (gateway, balancer, cluster): no Kubernetes API needed.
    pub fn hosts_only(config: &Path, repo: &DesiredRepo) -> Agent {
        Agent {
            config: config.to_path_buf(),
            repo: repo.url(),
            cache: repo.cache_dir(),
            targets: ["gateway", "balancer", "cluster"]
                .map(String::from)
                .to_vec(),
            kubeconfig: None,
            timeout: Duration::from_secs(180),
        }
    }

    /// The command line of `agent <cmd>` (with `extra` arguments), not started.
    pub fn command(&self, cmd: &str, extra: &[&str]) -> Command {
        let mut c = Command::new(agent_bin());
        c.arg(cmd)
            .arg("--config")
            .arg(&self.config)
            .arg("--repo")
            .arg(&self.repo)
            .arg("--cache-dir")
            .arg(&self.cache);
        if cmd != "render" {
            for t in &self.targets {
                c.arg("--target").arg(t);
            }
            if let Some(k) = &self.kubeconfig {
                c.arg("--kubeconfig").arg(k);
            }
        }
        c.args(extra)
            .env_remove("KUBECONFIG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Runs `agent <cmd> extra…` to the end (killed after [`Agent::timeout`]).
    pub fn run(&self, cmd: &str, extra: &[&str]) -> Run {
        let t = Instant::now();
        let mut child = self.command(cmd, extra).spawn().expect("agent starts");
        let mut out = child.stdout.take().expect("piped");
        let mut err = child.stderr.take().expect("piped");
        let o = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let e = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let status = loop {
            if let Some(st) = child.try_wait().expect("wait for agent") {
                break st;
            }
            if t.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                panic!("agent {cmd} ran longer than {:?}", self.timeout);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Run {
            code: status.code(),
            stdout: o.join().unwrap_or_default(),
            stderr: e.join().unwrap_or_default(),
            elapsed: t.elapsed(),
        }
    }

    pub fn diff(&self) -> Run {
        self.run("diff", &[])
    }
    pub fn apply(&self) -> Run {
        self.run("apply", &[])
    }

    /// The files the agent renders at `rev`: (host, path) → content, with the secrets
    /// in cleartext as they are written to the hosts (`agent render` masks them, so
    /// its output cannot be compared with a host's file). Rendered in-process by the
    /// agent's own library from `git archive` of `rev`, the repo's secrets decrypted
    /// with the lab's demo key ([`crate::sops_edit::demo_identity`]).
    pub fn rendered_files(
        &self,
        rev: &str,
    ) -> std::collections::BTreeMap<(String, String), String> {
        let repo = self
            .repo
            .strip_prefix("file://")
            .expect("tests drive a file:// repository");
        let tree = Scratch::new("render");
        let st = Command::new("sh")
            .arg("-c")
            .arg(r#"git -C "$1" archive --format=tar "$2" | tar -x -C "$3""#)
            .args(["sh", repo, rev])
            .arg(tree.path())
            .status()
            .expect("git archive runs");
        assert!(st.success(), "git archive {rev} of {repo} failed");
        let p = agent::validate::prepare_dir(tree.path(), &[crate::sops_edit::demo_identity()])
            .unwrap_or_else(|d| panic!("{rev} does not render: {d:?}"));
        p.rendered
            .files
            .into_iter()
            .map(|f| ((f.host, f.path), f.content))
            .collect()
    }

    /// Starts `agent <cmd> extra…` without waiting (for kill tests); output is discarded.
    pub fn spawn(&self, cmd: &str, extra: &[&str]) -> Child {
        self.command(cmd, extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("agent starts")
    }
}

/// The Kubernetes API server double (`agent-apiserver-double`) serving on 127.0.0.1,
/// stopped (by its PID) on drop. The lab's workers w1…w4 are registered as Nodes, as
/// in the cluster the lab's workers belong to.
pub struct ApiDouble {
    child: Child,
    kubeconfig: PathBuf,
    _dir: Scratch,
}

impl ApiDouble {
    pub fn start() -> ApiDouble {
        let bin = agent_bin().with_file_name("agent-apiserver-double");
        let dir = Scratch::new("kube");
        let kubeconfig = dir.path().join("kubeconfig");
        let child = Command::new(&bin)
            .arg("127.0.0.1:0")
            .arg(&kubeconfig)
            .args([
                "--node", "w1", "--node", "w2", "--node", "w3", "--node", "w4",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let t = Instant::now();
        while !kubeconfig.exists() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "the API double wrote no kubeconfig"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The file appears before it is complete at worst for an instant.
        std::thread::sleep(Duration::from_millis(50));
        ApiDouble {
            child,
            kubeconfig,
            _dir: dir,
        }
    }
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }
    /// The API server's URL, as its kubeconfig gives it (`http://127.0.0.1:PORT`).
    pub fn server(&self) -> String {
        let kc = std::fs::read_to_string(&self.kubeconfig).unwrap();
        kc.lines()
            .find_map(|l| l.trim().strip_prefix("server: "))
            .expect("a server in the kubeconfig")
            .to_string()
    }
    /// Creates namespace `name`, as an operator does (`kubectl create namespace`).
    pub fn create_namespace(&self, name: &str) {
        let body =
            format!(r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{name}"}}}}"#);
        let out = Command::new("curl")
            .args(["-sf", "-m", "5", "-X", "POST"])
            .args(["-H", "Content-Type: application/json", "-d"])
            .arg(&body)
            .arg(format!("{}/api/v1/namespaces", self.server()))
            .output()
            .expect("curl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for ApiDouble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The content of `path` on `host` (`None` when it does not exist), read through the
/// host's namespaces, not through the agent.
pub fn host_file(lab: &crate::Lab, host: &str, path: &str) -> Option<String> {
    let out = lab
        .exec(host, &format!("cat '{path}'"))
        .unwrap_or_else(|e| panic!("{host}: cannot read {path}: {e}"));
    out.success.then_some(out.stdout)
}

/// Managed files by (host, path) → content, as rendered or as live.
pub type Files = std::collections::BTreeMap<(String, String), String>;

/// The live content of every (host, path) in `files` (empty when missing).
pub fn live_files(lab: &crate::Lab, files: &Files) -> Files {
    files
        .keys()
        .map(|(h, p)| {
            (
                (h.clone(), p.clone()),
                host_file(lab, h, p).unwrap_or_default(),
            )
        })
        .collect()
}

/// `curl -sk` to the gateway as a browser would reach `https://apps.lab{path}`:
/// (success, HTTP status, body).
pub fn curl_gateway(path: &str) -> (bool, u16, String) {
    let out = Command::new("curl")
        .args(["-sk", "-m", "3", "--resolve", "apps.lab:443:10.77.0.10"])
        .args(["-w", "\n%{http_code}"])
        .arg(format!("https://apps.lab{path}"))
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        out.status.success(),
        code.trim().parse().unwrap_or(0),
        body.to_string(),
    )
}
