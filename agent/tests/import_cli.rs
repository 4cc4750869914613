//! `agent import` offline, as a user runs it: the files it writes, what it prints for
//! bad input (host/file/line, the rest still imported) and its exit codes.

use std::path::Path;
use std::process::Command;

fn agent(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_agent"))
        .args(args)
        .env_remove("AGENT_CONFIG")
        .env_remove("AGENT_AGE_IDENTITY")
        .output()
        .expect("agent runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = "global\n    daemon\ndefaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\nfrontend f\n    bind *:80\n    default_backend b\nbackend b\n    server s1 192.0.2.30:8080 check\nlisten stats\n    bind *:8404\n    stats uri /stats\n    stats auth admin:t0p-s3cret\n";

#[test]
fn an_offline_import_writes_a_repo_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("haproxy.cfg");
    std::fs::write(&cfg, GOOD).unwrap();
    let out = dir.path().join("repo");
    let from = format!("haproxy={}", cfg.display());
    let (code, stdout, stderr) =
        agent(&["import", "--out", out.to_str().unwrap(), "--from", &from]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("semantic comparison: no difference"),
        "{stdout}"
    );
    for f in [
        "inventory.yaml",
        "balancer/haproxy.yaml",
        "IMPORT.md",
        ".import/summary.json",
        ".import/agent.yaml",
    ] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    // No key and no .sops.yaml: the password is a placeholder, never written in clear.
    let b = std::fs::read_to_string(out.join("balancer/haproxy.yaml")).unwrap();
    assert!(
        b.contains("password: REPLACE-ME") && !b.contains("t0p-s3cret"),
        "{b}"
    );
    for f in ["IMPORT.md", ".import/summary.json"] {
        assert!(
            !std::fs::read_to_string(out.join(f))
                .unwrap()
                .contains("t0p-s3cret"),
            "{f}"
        );
    }
    assert!(!stdout.contains("t0p-s3cret"), "{stdout}");
    let (code, stdout, stderr) = agent(&["validate", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn bad_input_is_reported_with_its_line_and_the_rest_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    // An Apache file with a broken nesting: reported with its line, the vhost still
    // imported; the repo validates, so the exit is 7 (written, but input refused).
    let site = dir.path().join("site.conf");
    std::fs::write(
        &site,
        "<VirtualHost *:80>\n  ServerName a.example\n</Location>\n</VirtualHost>\n",
    )
    .unwrap();
    let out = dir.path().join("repo");
    let (code, stdout, _) = agent(&[
        "import",
        "--out",
        out.to_str().unwrap(),
        "--from",
        &format!("apache={}", site.display()),
    ]);
    assert_eq!(code, 9, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "error: {}:3: `</Location>` closes `<VirtualHost>` opened at line 1",
            site.display()
        )),
        "{stdout}"
    );
    assert!(out.join("gateway/site.yaml").is_file());
    // A haproxy.cfg line HAProxy cannot read: reported with its line, kept verbatim; the
    // real `haproxy -c` refuses the render as it refuses the original, so the exit is 2
    // and the tool's complaint names the source line too.
    let cfg = dir.path().join("haproxy.cfg");
    std::fs::write(
        &cfg,
        GOOD.replace(
            "    default_backend b\n",
            "    acl x \"unterminated\n    default_backend b\n",
        ),
    )
    .unwrap();
    let out = dir.path().join("repo2");
    let (code, stdout, _) = agent(&[
        "import",
        "--out",
        out.to_str().unwrap(),
        "--from",
        &format!("haproxy={}", cfg.display()),
    ]);
    assert!(
        stdout.contains(&format!(
            "error: {}:10: unterminated double quote",
            cfg.display()
        )),
        "{stdout}"
    );
    assert!(out.join("balancer/haproxy.yaml").is_file());
    if agent::localcheck::find_tool("haproxy").is_some() {
        assert_eq!(code, 2, "{stdout}");
        assert!(
            stdout.contains(&format!("(the line comes from {}:10)", cfg.display())),
            "{stdout}"
        );
    } else {
        eprintln!("SKIP: haproxy is not installed: the tool check did not run");
    }
}

#[test]
fn unreadable_files_and_bad_arguments_have_their_exit_codes() {
    let (code, _, stderr) = agent(&[
        "import",
        "--out",
        "/tmp/never-written",
        "--from",
        "haproxy=/nonexistent/haproxy.cfg",
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("/nonexistent/haproxy.cfg"), "{stderr}");
    let (code, _, stderr) = agent(&["import", "--from", "nginx=x.conf"]);
    assert_eq!(code, 64, "{stderr}");
    assert!(stderr.contains("unknown kind `nginx`"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = agent(&["import", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(code, 3, "live import without an inventory: {stderr}");
    assert!(stderr.contains("agent import inventory"), "{stderr}");
    let (code, _, _) = agent(&[
        "import",
        "inventory",
        "--out",
        dir.path().to_str().unwrap(),
        "--hosts",
        "gw=10.0.0.10,ha1=10.0.0.11,w1=10.0.0.21/worker",
    ]);
    assert_eq!(code, 0);
    let inv = std::fs::read_to_string(dir.path().join("inventory.yaml")).unwrap();
    assert!(
        inv.contains("{name: gw, address: 10.0.0.10, roles: [gateway]}")
            && inv.contains("{name: ha1, address: 10.0.0.11, roles: [balancer]}"),
        "{inv}"
    );
    let (code, _, stderr) = agent(&[
        "import",
        "inventory",
        "--out",
        dir.path().to_str().unwrap(),
        "--hosts",
        "db=10.0.0.5",
    ]);
    assert_eq!(code, 64, "no role guessed: {stderr}");
}

/// The secrets import writes are regular sops files: the real `sops` 3.11 decrypts them
/// (MAC checked) to the value read from the config. Skipped when sops is not installed.
#[test]
fn the_real_sops_decrypts_what_import_encrypted() {
    let Some(sops) = agent::localcheck::find_tool("sops") else {
        eprintln!("SKIP: sops is not installed (tests/tools/install-sops.sh)");
        return;
    };
    let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/lab/demo-age-key.txt");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("haproxy.cfg");
    std::fs::write(&cfg, GOOD).unwrap();
    let out = dir.path().join("repo");
    let run = Command::new(env!("CARGO_BIN_EXE_agent"))
        .args([
            "import",
            "--out",
            out.to_str().unwrap(),
            "--from",
            &format!("haproxy={}", cfg.display()),
        ])
        .env("AGENT_AGE_IDENTITY", &key)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    assert!(
        out.join(".sops.yaml").is_file(),
        "a .sops.yaml for the agent's identity"
    );
    let file = out.join("balancer/haproxy.yaml");
    assert!(!std::fs::read_to_string(&file)
        .unwrap()
        .contains("t0p-s3cret"));
    let dec = Command::new(sops)
        .args(["decrypt", file.to_str().unwrap()])
        .env("SOPS_AGE_KEY_FILE", &key)
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .output()
        .unwrap();
    assert!(
        dec.status.success(),
        "{}",
        String::from_utf8_lossy(&dec.stderr)
    );
    assert!(String::from_utf8_lossy(&dec.stdout).contains("password: t0p-s3cret"));
}
