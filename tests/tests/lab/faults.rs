//! Fault injection and restore, and a VIP failover measured by the probe.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_tests::{lab_or_skip, wait_until, Lab, Service};

use crate::{addr, curl};

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
    assert!(
        !lab.exec("w3", "true").unwrap().success,
        "w3 still runs commands"
    );
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
    let load = lab.start_load(&vip, Duration::from_secs(12), 8).unwrap();
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
    let load = load.wait().unwrap();
    println!("probe through the VIP: {report}");
    println!("wrk through the VIP: {load:?}");
    println!("MEASURED OUTAGE: {:.2} s", report.total_outage);
    assert!(moved, "vip and haproxy did not move to {other}");
    assert!(load.requests > 0, "wrk got no answer at all: {load:?}");
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
