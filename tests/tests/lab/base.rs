//! The base state: the machines as they are before the agent touches them.

use agent_tests::{lab_or_skip, Lab};

use crate::{addr, curl};

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
