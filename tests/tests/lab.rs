//! The lab itself: hosts are separate machines, reachable only with pinned keys, start in
//! the base state, take faults and come back, fail over, and leave nothing behind.
//! Skipped (with a message) when not root or without namespaces; CI runs them all.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_tests::{lab_or_skip, wait_until, Lab, Service};

/// `curl -s -m 2 ARGS…`: (exit status success, stdout).
fn curl(args: &[&str]) -> (bool, String) {
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

fn addr(host: &str) -> String {
    Lab::addr(host).unwrap().to_string()
}

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

fn ssh_with_known_hosts(lab: &Lab, known_hosts: &Path, ip: &str) -> std::process::Output {
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

#[test]
fn base_state_has_no_managed_configuration() {
    let lab = lab_or_skip!(Lab::shared());
    // Cluster: membership up, token 1000 ms, stonith off, nothing configured.
    let mon = lab.exec_ok("ha1", "crm_mon -1 --output-as=xml").unwrap();
    assert_eq!(mon.matches("online=\"true\"").count(), 2, "{mon}");
    assert_eq!(
        lab.exec_ok("ha2", "cibadmin -Q -o resources")
            .unwrap()
            .trim(),
        "<resources/>"
    );
    assert_eq!(
        lab.exec_ok("ha2", "cibadmin -Q -o constraints")
            .unwrap()
            .trim(),
        "<constraints/>"
    );
    let stonith = lab
        .exec_ok("ha1", "crm_attribute -t crm_config -n stonith-enabled -q")
        .unwrap();
    assert_eq!(stonith.trim(), "false");
    assert!(lab
        .exec_ok("ha1", "corosync-cmapctl -g totem.token")
        .unwrap()
        .trim()
        .ends_with("= 1000"));
    let stock = std::fs::read_to_string("/etc/haproxy/haproxy.cfg").unwrap();
    for ha in ["ha1", "ha2"] {
        assert_eq!(
            lab.exec_ok(ha, "sysctl -n net.ipv4.ip_nonlocal_bind")
                .unwrap()
                .trim(),
            "1"
        );
        assert_eq!(
            lab.exec_ok(ha, "cat /etc/haproxy/haproxy.cfg").unwrap(),
            stock,
            "{ha}: stock haproxy.cfg"
        );
        assert!(
            !lab.exec(ha, "pgrep -x haproxy").unwrap().success,
            "{ha}: HAProxy is a cluster resource"
        );
    }
    assert!(!stock.contains("\nfrontend") && !stock.contains("\nbackend"));
    // Gateway: Apache running, no site enabled, the TLS material in place.
    assert!(lab.exec("gw", "pgrep -x apache2").unwrap().success);
    assert_eq!(
        lab.exec_ok("gw", "ls -A /etc/apache2/sites-enabled")
            .unwrap(),
        ""
    );
    lab.exec_ok(
        "gw",
        "openssl x509 -noout -checkend 0 -in /etc/ssl/lab/gw.crt && test -s /etc/ssl/lab/gw.key",
    )
    .unwrap();
    // Workers: both NodePorts answer with host and port, and keep the session cookie.
    for w in ["w1", "w2"] {
        for port in Lab::WORKER_PORTS {
            let url = format!("http://{}:{port}/app", addr(w));
            let (ok, first) = curl(&["-i", &url]);
            assert!(
                ok && first.contains(&format!("host={w} port={port} path=/app")),
                "{first}"
            );
            let cookie = first
                .lines()
                .find_map(|l| l.strip_prefix("Set-Cookie: JSESSIONID="))
                .and_then(|v| v.split(';').next())
                .unwrap_or_else(|| panic!("no JSESSIONID set: {first}"));
            let (ok, again) = curl(&["-i", "-b", &format!("JSESSIONID={cookie}"), &url]);
            assert!(
                ok && again.contains(&format!("session={cookie}")),
                "{again}"
            );
            assert!(
                !again.contains("Set-Cookie"),
                "a known session gets no new cookie: {again}"
            );
            assert_eq!(
                curl(&[&format!("http://{}:{port}/healthz", addr(w))]).1,
                "ok\n"
            );
        }
    }
}

#[test]
fn faults_are_injected_and_restored() {
    let lab = lab_or_skip!(Lab::fresh_with_workers(3));
    let w1 = format!("http://{}:30080/", addr("w1"));
    // The probe outlasts the restart by several seconds: a busy machine may need a while
    // to start Python, and the outage must be seen to close.
    let probe = lab
        .start_probe(&w1, Duration::from_secs(6), Duration::from_millis(100))
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    lab.kill_service("w1", Service::Worker).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    lab.restore_service("w1", Service::Worker).unwrap();
    assert!(
        wait_until(Duration::from_secs(3), || curl(&[&w1]).0),
        "w1's worker did not come back"
    );
    let report = probe.wait().unwrap();
    println!("worker killed and restarted: {report}");
    assert_eq!(report.outages.len(), 1, "{report}");
    assert!(!report.outages[0].open && report.failed >= 1, "{report}");
    assert!(
        report.outages[0]
            .kinds
            .contains_key("ConnectionRefusedError"),
        "{report}"
    );
    assert!(
        lab.kill_service("gw", Service::Haproxy).is_err(),
        "gw runs no HAProxy"
    );

    let w3 = format!("http://{}:30080/healthz", addr("w3"));
    lab.link_down("w3").unwrap();
    assert!(!curl(&["-m", "1", &w3]).0, "w3 answers with its cable cut");
    lab.link_up("w3").unwrap();
    assert!(wait_until(Duration::from_secs(5), || curl(&[&w3]).0));

    // Power off: the host is gone; booted again it keeps its disk, not its /tmp.
    lab.exec_ok("w3", "echo kept >/etc/lab-disk; echo gone >/tmp/lab-tmp")
        .unwrap();
    lab.poweroff("w3").unwrap();
    assert!(!lab.status(), "status succeeds with w3 off");
    assert!(lab.exec("w3", "true").unwrap().success.eq(&false));
    assert!(!curl(&["-m", "1", &w3]).0);
    lab.restore("w3").unwrap();
    assert!(lab.status());
    assert_eq!(lab.ssh_ok("w3", "cat /etc/lab-disk").unwrap(), "kept\n");
    assert!(!lab.ssh("w3", "test -e /tmp/lab-tmp").unwrap().success);
    assert!(wait_until(Duration::from_secs(5), || curl(&[&w3]).0));
}

const HAPROXY_CFG: &str = "global
    daemon
    stats socket /run/haproxy/admin.sock mode 660 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe_vip
    bind 10.77.0.100:80
    http-response set-header X-LB NODE
    default_backend be_workers
backend be_workers
    balance roundrobin
    option httpchk GET /healthz
    server w1 10.77.0.21:30080 check inter 1s
    server w2 10.77.0.22:30080 check inter 1s
";

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn vip_moves_when_its_holder_powers_off() {
    let lab = lab_or_skip!(Lab::fresh());
    for ha in ["ha1", "ha2"] {
        let cfg = HAPROXY_CFG.replace("NODE", ha);
        let cmd = format!("cat >/etc/haproxy/haproxy.cfg <<'EOF'\n{cfg}EOF\nhaproxy -c -q -f /etc/haproxy/haproxy.cfg");
        lab.ssh_ok(ha, &cmd).unwrap();
    }
    lab.ssh_ok(
        "ha1",
        "pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.77.0.100 cidr_netmask=24 op monitor interval=10s \
         && pcs resource create haproxy lsb:haproxy op monitor interval=10s \
         && pcs constraint colocation add haproxy with vip INFINITY \
         && pcs constraint order start vip then start haproxy",
    )
    .unwrap();
    let vip = format!("http://{}/", Lab::VIP);
    assert!(
        wait_until(Duration::from_secs(30), || curl(&[&vip]).0),
        "no answer through the VIP"
    );
    let holder = lab.locate("vip").expect("vip is running");
    let other = if holder == "ha1" { "ha2" } else { "ha1" };

    let probe = lab
        .start_probe(&vip, Duration::from_secs(12), Duration::from_millis(100))
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let fault = unix_now();
    lab.poweroff(&holder).unwrap();
    let moved = wait_until(Duration::from_secs(30), || {
        lab.locate("vip").as_deref() == Some(other)
            && lab.locate("haproxy").as_deref() == Some(other)
    });
    let moved_after = unix_now() - fault;
    let report = probe.wait().unwrap();
    println!("failover {holder} -> {other}: Pacemaker shows vip+haproxy on {other} {moved_after:.2} s after the power-off");
    println!("probe through the VIP: {report}");
    println!("MEASURED OUTAGE: {:.2} s", report.total_outage);
    assert!(moved, "vip and haproxy did not move to {other}");
    let eth0 = lab.exec_ok(other, "ip -4 -o addr show dev eth0").unwrap();
    assert!(
        eth0.contains(&format!("inet {}/24", Lab::VIP)),
        "{other}: {eth0}"
    );
    let served: BTreeSet<&str> = report.served_by.keys().map(String::as_str).collect();
    assert_eq!(served, BTreeSet::from([holder.as_str(), other]), "{report}");
    assert!(
        report.outages.iter().all(|o| !o.open),
        "still failing at the end: {report}"
    );
    assert!(
        report.outages.iter().all(|o| o.start >= fault - 0.5),
        "failures before the fault: {report}"
    );
    assert!(report.failed > 0 && report.total_outage < 10.0, "{report}");
}

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
