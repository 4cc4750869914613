//! The lab itself: hosts are separate machines, reachable only with pinned keys, start in
//! the base state, take faults and come back, fail over, and leave nothing behind.
//! Skipped (with a message) when not root or without namespaces; CI runs them all.
//! One binary, so one lab is shared by the looking tests (see `agent_tests::fixture`).

mod lab {
    mod base;
    mod faults;
    mod hosts;
    mod teardown;
}

use std::path::Path;
use std::process::Command;

use agent_tests::Lab;

/// `curl -s -m 2 ARGS…`: (exit status success, stdout).
pub(crate) fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-s", "-m", "2"])
        .args(args)
        .output()
        .expect("curl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

pub(crate) fn addr(host: &str) -> String {
    Lab::addr(host).unwrap().to_string()
}

pub(crate) fn ssh_with_known_hosts(
    lab: &Lab,
    known_hosts: &Path,
    ip: &str,
) -> std::process::Output {
    Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=yes",
        ])
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=3",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
        ])
        .arg("-i")
        .arg(lab.identity_file())
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .arg(format!("root@{ip}"))
        .arg("hostname")
        .output()
        .expect("ssh runs")
}
