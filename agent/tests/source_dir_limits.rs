//! The wrong directory must not take the machine down (README "Directory sources"):
//! `agent validate` of a checkout holding gigabytes of build output reads only its
//! YAML, and `agent diff` in a directory that is not a desired-state repo says so in
//! one line, exit 3. The gigabytes are sparse files: they cost no disk and no time to
//! make, and would cost gigabytes of memory only if the agent read them.
//!
//! The bounds below are generous ceilings that reading the files would exceed many
//! times over, not measurements (those are in the README).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sparse(path: &Path, len: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

/// Runs `cmd` to the end; returns (exit code, stdout, stderr, max RSS in KiB, elapsed).
// The child is reaped by wait4 (which also yields its rusage), not by Child::wait.
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command) -> (i32, String, String, i64, Duration) {
    let start = Instant::now();
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("agent starts");
    let pid = child.id() as libc::pid_t;
    // Read both pipes on threads so the child never blocks on a full pipe.
    let (mut out, mut err) = (child.stdout.unwrap(), child.stderr.unwrap());
    let t_out = std::thread::spawn(move || std::io::read_to_string(&mut out).unwrap());
    let t_err = std::thread::spawn(move || std::io::read_to_string(&mut err).unwrap());
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; wait4 reaps our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4");
    let elapsed = start.elapsed();
    let code = std::process::ExitStatus::from_raw(status)
        .code()
        .unwrap_or(-1);
    (
        code,
        t_out.join().unwrap(),
        t_err.join().unwrap(),
        usage.ru_maxrss,
        elapsed,
    )
}

fn agent() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_agent"));
    c.env_remove("AGENT_CONFIG")
        .env_remove("AGENT_AGE_IDENTITY");
    c
}

#[test]
fn validate_of_a_checkout_with_gigabytes_of_build_output_reads_only_its_yaml() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("checkout");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-repo");
    let st = Command::new("cp")
        .arg("-a")
        .arg(&sample)
        .arg(&repo)
        .status()
        .unwrap();
    assert!(st.success());
    // A Cargo build tree (CACHEDIR.TAG): 300 binaries of 8 MiB, YAML inside too.
    std::fs::create_dir_all(repo.join("target/debug")).unwrap();
    std::fs::write(
        repo.join("target/CACHEDIR.TAG"),
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    )
    .unwrap();
    for i in 0..300 {
        sparse(&repo.join(format!("target/debug/deps/bin-{i}")), 8 << 20);
    }
    sparse(&repo.join("target/debug/generated.yaml"), 2 << 30);
    // Ignored by .gitignore, outside any Git repository: a 4 GiB YAML file.
    std::fs::write(repo.join(".gitignore"), "/out/\n").unwrap();
    sparse(&repo.join("out/dump.yaml"), 4 << 30);
    // Not ignored at all: big non-YAML files are never opened.
    for i in 0..50 {
        sparse(&repo.join(format!("dist/image-{i}.tar")), 64 << 20);
    }
    let (code, out, err, rss_kib, elapsed) =
        run_measured(agent().args(["validate", "--no-local-checks"]).arg(&repo));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("valid"), "{out}");
    eprintln!("validate: {elapsed:?}, max RSS {} MiB", rss_kib / 1024);
    assert!(
        rss_kib < 100 * 1024,
        "max RSS {rss_kib} KiB: the tree was read"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn a_yaml_file_over_the_limit_is_one_error_naming_the_limit_and_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("inventory.yaml"), "kind: Inventory\n").unwrap();
    sparse(&tmp.path().join("generated/all.yaml"), 1 << 30);
    let (code, out, err, rss_kib, _) = run_measured(agent().arg("validate").arg(tmp.path()));
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains("all.yaml: YAML file of 1073741824 bytes, more than 8388608 per file"),
        "{err}"
    );
    assert!(rss_kib < 100 * 1024, "{rss_kib} KiB");
}

#[test]
fn diff_in_a_directory_that_is_not_a_desired_state_repo_is_one_line_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("docker-compose.yml"),
        "services: {web: {image: x}}\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("other-project/.github")).unwrap();
    std::fs::write(d.join("other-project/.github/ci.yaml"), "on: push\n").unwrap();
    std::fs::write(d.join("other-project/values.yaml"), "replicas: 3\n").unwrap();
    sparse(&d.join("other-project/build/app.bin"), 1 << 30);
    let (code, out, err, _, _) = run_measured(agent().arg("diff").current_dir(d));
    assert_eq!(code, 3, "{out}{err}");
    let canonical = std::fs::canonicalize(d).unwrap();
    assert_eq!(
        err,
        format!(
            "error: not a desired-state repo: {}: none of its 3 YAML files is an Inventory \
             or an agent/v1 document; give PATH, --repo, or repo: in agent.yaml\n",
            canonical.display()
        )
    );
    assert_eq!(out, "");
}
