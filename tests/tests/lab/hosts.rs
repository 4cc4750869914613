//! Hosts are separate machines, reachable over SSH only with their pinned keys.

use std::path::Path;
use std::process::Command;

use agent_tests::{lab_or_skip, Lab};

use crate::{addr, ssh_with_known_hosts};

#[test]
fn hosts_are_separate_machines() {
    let lab = lab_or_skip!(Lab::shared());
    for host in lab.hosts().unwrap() {
        let out = lab
            .exec_ok(
                &host,
                "hostname; cat /etc/hostname; ip -4 -o addr show dev eth0",
            )
            .unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            &lines[..2],
            [host.as_str(), host.as_str()],
            "{host}: hostname and /etc/hostname"
        );
        assert!(
            lines[2].contains(&format!("inet {}/24", addr(&host))),
            "{host}: {}",
            lines[2]
        );
    }
    // Files: /etc and /tmp of ha1 are ha1's own, not ha2's and not this machine's.
    let marker = format!("lab-marker-{}", std::process::id());
    lab.exec_ok(
        "ha1",
        &format!("echo ha1 >/etc/{marker}; echo ha1 >/tmp/{marker}"),
    )
    .unwrap();
    assert_eq!(
        lab.exec_ok("ha1", &format!("cat /etc/{marker}")).unwrap(),
        "ha1\n"
    );
    assert!(
        !lab.exec(
            "ha2",
            &format!("test -e /etc/{marker} || test -e /tmp/{marker}")
        )
        .unwrap()
        .success
    );
    assert!(
        !Path::new("/etc").join(&marker).exists(),
        "ha1's /etc leaked to the machine"
    );
    lab.exec_ok("ha1", &format!("rm /etc/{marker} /tmp/{marker}"))
        .unwrap();
    // Processes: each host sees only its own (ha1's corosync is invisible on w1).
    assert!(lab.exec("ha1", "pgrep -x corosync").unwrap().success);
    assert!(!lab.exec("w1", "pgrep -x corosync").unwrap().success);
    // Network: the lab subnet only, no way out.
    assert!(
        !lab.exec("w1", "ip route get 1.1.1.1").unwrap().success,
        "w1 has a route out"
    );
    // A clean root home: this machine's ~/.bashrc (pyenv) does not run on lab hosts.
    assert!(!lab
        .exec_ok("gw", "cat /root/.bashrc")
        .unwrap()
        .contains("pyenv"));
}

#[test]
fn hosts_answer_ssh_with_pinned_keys() {
    let lab = lab_or_skip!(Lab::shared());
    let text = std::fs::read_to_string(lab.agent_config()).unwrap();
    let cfg: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let path = |v: &serde_yaml::Value| v.as_str().map(std::path::PathBuf::from);
    assert_eq!(cfg["ssh"]["user"].as_str(), Some("root"));
    assert_eq!(path(&cfg["ssh"]["identityFile"]), Some(lab.identity_file()));
    assert_eq!(path(&cfg["ssh"]["knownHosts"]), Some(lab.known_hosts()));
    assert_eq!(
        path(&cfg["lab"]["stateDir"]),
        Some(lab.state_dir().to_path_buf())
    );
    assert_eq!(cfg["lab"]["bridge"].as_str(), Some("lab0"));
    assert!(
        lab.status(),
        "lab status must succeed when every host answers"
    );
    for host in lab.hosts().unwrap() {
        assert_eq!(
            lab.ssh_ok(&host, "hostname").unwrap().trim(),
            host,
            "by name through ssh_config"
        );
        // By address, with only the files agent.yaml names: what the agent will do.
        let out = ssh_with_known_hosts(&lab, &lab.known_hosts(), &addr(&host));
        assert!(
            out.status.success(),
            "{host}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), host);
    }
}

#[test]
fn wrong_host_key_is_refused() {
    let lab = lab_or_skip!(Lab::shared());
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("other");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(&key)
        .status();
    assert!(made.unwrap().success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    let known = dir.path().join("known_hosts");
    std::fs::write(
        &known,
        format!("{},ha1 {}\n", addr("ha1"), public.join(" ")),
    )
    .unwrap();

    let out = ssh_with_known_hosts(&lab, &known, &addr("ha1"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "ssh accepted a host key that is not ha1's"
    );
    assert!(
        out.stdout.is_empty(),
        "the command ran despite the wrong key"
    );
    assert!(stderr.contains("Host key verification failed"), "{stderr}");
    // The same command with the lab's pinned key works: the key was the only difference.
    assert!(ssh_with_known_hosts(&lab, &lab.known_hosts(), &addr("ha1"))
        .status
        .success());
}
