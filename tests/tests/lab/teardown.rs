//! `lab down` leaves nothing behind.

use std::collections::BTreeSet;
use std::path::Path;

use agent_tests::{lab_or_skip, Lab};

#[test]
fn down_leaves_nothing_behind() {
    let lab = lab_or_skip!(Lab::fresh());
    let state = lab.state_dir().to_path_buf();
    let mut pids = Vec::new();
    let mut namespaces = BTreeSet::new();
    for host in lab.hosts().unwrap() {
        for file in ["holder.pid", "init.pid"] {
            let pid = std::fs::read_to_string(state.join("hosts").join(&host).join(file)).unwrap();
            pids.push(pid.trim().to_string());
        }
        for ns in ["net", "mnt", "pid", "uts", "ipc"] {
            let link =
                std::fs::read_link(format!("/proc/{}/ns/{ns}", pids.last().unwrap())).unwrap();
            namespaces.insert(link.display().to_string());
        }
    }
    assert_eq!(
        namespaces.len(),
        5 * lab.hosts().unwrap().len(),
        "hosts share namespaces"
    );

    lab.down().unwrap();
    assert!(!state.exists(), "{} still exists", state.display());
    assert!(
        !Path::new("/sys/class/net/lab0").exists(),
        "bridge lab0 still exists"
    );
    let links: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("vh-"))
        .collect();
    assert!(links.is_empty(), "veths left: {links:?}");
    for pid in &pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(") ").next().and_then(|s| s.chars().next());
        assert!(
            matches!(state, None | Some('Z')),
            "lab process {pid} still runs: {stat}"
        );
    }
    for proc_dir in std::fs::read_dir("/proc").unwrap().flatten() {
        for ns in ["net", "mnt", "pid", "uts", "ipc"] {
            if let Ok(link) = std::fs::read_link(proc_dir.path().join("ns").join(ns)) {
                let link = link.display().to_string();
                assert!(
                    !namespaces.contains(&link),
                    "{} holds lab namespace {link}",
                    proc_dir.path().display()
                );
            }
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let state_str = state.display().to_string();
    let left: Vec<&str> = mounts
        .lines()
        .filter(|l| l.contains(" lab-") || l.contains(&state_str))
        .collect();
    assert!(left.is_empty(), "mounts left: {left:?}");
    assert!(!lab.status());
}
