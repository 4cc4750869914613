//! Host key fingerprints and `agent trust` recording, checked with OpenSSH's tools.

use agent::trust::hostkey::host_pattern;
use agent::trust::{fingerprint, record_host_key};
use std::path::Path;
use std::process::Command;

fn keygen(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read_to_string(path.with_extension("pub")).unwrap()
}

/// What `ssh-keygen -lf` says the fingerprint of the (first) key in `file` is.
fn ssh_keygen_fingerprint(file: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().nth(1).unwrap().to_string()
}

#[test]
fn fingerprints_match_ssh_keygen_for_keys_and_known_hosts_lines() {
    let dir = tempfile::tempdir().unwrap();
    let public = keygen(dir.path(), "gw");
    let expected = ssh_keygen_fingerprint(&dir.path().join("gw.pub"));
    assert!(expected.starts_with("SHA256:"));
    assert_eq!(fingerprint(&public).unwrap(), expected);
    let line = format!("[10.77.0.10]:22,gw {}", public.trim());
    assert_eq!(fingerprint(&line).unwrap(), expected);
    assert_eq!(
        fingerprint(&format!("@revoked gw {public}")).unwrap(),
        expected
    );
    assert!(fingerprint("gw ssh-ed25519").is_err());
    assert!(fingerprint("gw ssh-ed25519 !!notbase64").is_err());
}

#[test]
fn trust_replaces_only_that_hosts_entries_and_openssh_finds_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let old = keygen(dir.path(), "old");
    let new = keygen(dir.path(), "new");
    let other = keygen(dir.path(), "other");
    let kh = dir.path().join("known_hosts");
    let host = host_pattern("10.77.0.10", 2222);
    assert_eq!(host, "[10.77.0.10]:2222");
    let t = |k: &str| k.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    std::fs::write(
        &kh,
        format!(
            "# pinned by the lab\n{host} {}\n10.77.0.11 {}\n{host},gw {}\n",
            t(&old),
            t(&other),
            t(&old)
        ),
    )
    .unwrap();
    // What `ssh-keyscan -t ed25519 -p 2222 10.77.0.10` prints.
    let scan = format!(
        "# 10.77.0.10:2222 SSH-2.0-OpenSSH_10.0\n{host} {}\n",
        t(&new)
    );
    let rec = record_host_key(&kh, "10.77.0.10", 2222, "ssh-ed25519", &scan).unwrap();
    assert_eq!(rec.replaced, 2);
    assert_eq!(rec.fingerprint, fingerprint(&new).unwrap());
    let text = std::fs::read_to_string(&kh).unwrap();
    assert!(text.contains("# pinned by the lab") && text.contains(&t(&other)));
    assert!(!text.contains(&t(&old)), "{text}");

    let found = Command::new("ssh-keygen")
        .args(["-F", &host, "-f"])
        .arg(&kh)
        .output()
        .unwrap();
    assert!(found.status.success());
    let found = String::from_utf8(found.stdout).unwrap();
    assert!(found.contains(&t(&new)), "{found}");

    let err = record_host_key(&kh, "10.77.0.12", 22, "ssh-ed25519", &scan).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no ssh-ed25519 key for 10.77.0.12 in the ssh-keyscan output"
    );
}

#[test]
fn trust_creates_a_missing_known_hosts_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "w1");
    let kh = dir.path().join("sub-known_hosts");
    let scan = format!("10.77.0.21 {}", key);
    let rec = record_host_key(&kh, "10.77.0.21", 22, "ssh-ed25519", &scan).unwrap();
    assert_eq!((rec.host.as_str(), rec.replaced), ("10.77.0.21", 0));
    assert_eq!(ssh_keygen_fingerprint(&kh), rec.fingerprint);
}

#[test]
fn a_changed_pinned_key_names_host_and_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let pinned = keygen(dir.path(), "pinned");
    let presented = keygen(dir.path(), "presented");
    assert!(agent::trust::check_pinned("gw", &pinned, &format!("[gw]:22 {pinned}")).is_ok());
    let err = agent::trust::check_pinned("gw", &pinned, &presented).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("host key of gw changed"), "{msg}");
    assert!(msg.contains(&fingerprint(&presented).unwrap()), "{msg}");
    assert!(msg.contains(&fingerprint(&pinned).unwrap()), "{msg}");
    assert!(msg.contains("agent trust gw"), "{msg}");
}
