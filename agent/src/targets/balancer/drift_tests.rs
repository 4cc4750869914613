//! The drift check's pure parts: comparison and correction plan.
use super::*;

const CFG: &str = "global
    stats socket /run/haproxy/admin.sock mode 660 level admin
defaults
    mode http
backend http_back
    balance roundrobin
    server w1 10.77.0.21:30080 check
    server w2 10.77.0.22:30080 weight 5 check
    server w3 10.77.0.23:30080 check disabled
listen stats
    bind *:8404
";

/// One `show servers state` line per (name, addr, admin, weight), backend http_back.
fn state(rows: &[(&str, &str, u32, u32)]) -> Vec<RuntimeServer> {
    let mut text = String::from("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord\n");
    for (i, (name, addr, admin, weight)) in rows.iter().enumerate() {
        // srv_op_state 0 (DOWN): a failing health check is not drift.
        text.push_str(&format!(
            "3 http_back {} {name} {addr} 0 {admin} {weight} {weight} 5 1 0 0 6 0 0 0 - 30080 -\n",
            i + 1
        ));
    }
    parse_state(&text).unwrap()
}

fn in_sync() -> Vec<(&'static str, &'static str, u32, u32)> {
    // w3: `disabled` in the file starts in CMAINT|FMAINT.
    vec![
        ("w1", "10.77.0.21", 0, 1),
        ("w2", "10.77.0.22", 0, 5),
        ("w3", "10.77.0.23", 5, 1),
    ]
}

fn notes(d: &[ServerDrift]) -> Vec<(String, Vec<String>)> {
    d.iter()
        .map(|s| (format!("{}/{}", s.backend, s.server), s.notes.clone()))
        .collect()
}

#[test]
fn a_runtime_equal_to_the_file_is_no_drift_even_with_servers_down() {
    let desired = parse(CFG);
    let running = state(&in_sync());
    assert_eq!(compare(&desired, &running), vec![]);
    assert_eq!(
        correction(&desired, &running),
        BalancerPath::Runtime {
            socket: "/run/haproxy/admin.sock".into(),
            ops: vec![]
        }
    );
    // Config-disabled, then `state ready` by the runtime path: CMAINT alone is ready.
    let mut rows = in_sync();
    rows[0].2 = 4;
    assert_eq!(compare(&desired, &state(&rows)), vec![]);
}

#[test]
fn weight_maintenance_drain_and_address_set_by_hand_are_reported_and_corrected() {
    let desired = parse(CFG);
    let mut rows = in_sync();
    rows[0] = ("w1", "10.77.0.99", 1, 10); // moved, weight 10, `state maint`
    rows[1].2 = 8; // `state drain`
    rows[2].2 = 4; // disabled in the file, set ready by hand
    let running = state(&rows);
    assert_eq!(
        notes(&compare(&desired, &running)),
        vec![
            (
                "http_back/w1".to_string(),
                vec![
                    "runtime address 10.77.0.99:30080 → 10.77.0.21:30080 (file says 10.77.0.21:30080)"
                        .to_string(),
                    "runtime weight 10 → 1 (file says 1)".into(),
                    "runtime state maint → ready (file says enabled)".into(),
                ]
            ),
            (
                "http_back/w2".into(),
                vec!["runtime state drain → ready (file says enabled)".into()]
            ),
            (
                "http_back/w3".into(),
                vec!["runtime state ready → maint (file says disabled)".into()]
            ),
        ]
    );
    let BalancerPath::Runtime { ops, .. } = correction(&desired, &running) else {
        panic!("runtime-capable")
    };
    let (b, s) = ("http_back".to_string(), |n: &str| n.to_string());
    for op in [
        ServerOp::Addr {
            backend: b.clone(),
            server: s("w1"),
            ip: "10.77.0.21".into(),
            port: 30080,
        },
        ServerOp::Weight {
            backend: b.clone(),
            server: s("w1"),
            from: 10,
            to: 1,
        },
        ServerOp::State {
            backend: b.clone(),
            server: s("w1"),
            disabled: false,
        },
        ServerOp::State {
            backend: b.clone(),
            server: s("w2"),
            disabled: false,
        },
        ServerOp::State {
            backend: b.clone(),
            server: s("w3"),
            disabled: true,
        },
    ] {
        assert!(ops.contains(&op), "{op:?} in {ops:?}");
    }
    assert_eq!(ops.len(), 5, "{ops:?}");
}

#[test]
fn servers_added_or_deleted_by_hand_are_reported_and_undone() {
    let desired = parse(CFG);
    let mut rows = in_sync();
    rows.remove(1); // w2 deleted by hand
    rows.push(("w9", "10.77.0.29", 0, 1)); // w9 added by hand
    let running = state(&rows);
    assert_eq!(
        notes(&compare(&desired, &running)),
        vec![
            (
                "http_back/w2".to_string(),
                vec![
                    "absent at runtime, the file declares it at 10.77.0.22:30080 (deleted by hand?)"
                        .to_string()
                ]
            ),
            (
                "http_back/w9".into(),
                vec![
                    "present at runtime at 10.77.0.29:30080, not in the file (added by hand?) → remove"
                        .into()
                ]
            ),
        ]
    );
    let BalancerPath::Runtime { ops, .. } = correction(&desired, &running) else {
        panic!("runtime-capable")
    };
    assert!(
        matches!(&ops[..], [ServerOp::Add { server: a, .. }, ServerOp::Del { server: d, .. }] if a == "w2" && d == "w9"),
        "{ops:?}"
    );
}

#[test]
fn servers_of_a_template_are_not_reported_or_removed() {
    let desired = parse(&CFG.replace(
        "    balance roundrobin\n",
        "    balance roundrobin\n    server-template t 2 app.example:80 check\n",
    ));
    let mut rows = in_sync();
    rows.push(("t1", "10.77.0.31", 0, 1));
    let running = state(&rows);
    assert_eq!(compare(&desired, &running), vec![]);
    assert!(matches!(
        correction(&desired, &running),
        BalancerPath::Runtime { ops, .. } if ops.is_empty()
    ));
}

#[test]
fn what_the_runtime_api_cannot_undo_is_a_reload() {
    // A static algorithm: weights are not runtime-capable.
    let desired = parse(&CFG.replace("roundrobin", "static-rr"));
    let mut rows = in_sync();
    rows[0].3 = 10;
    let path = correction(&desired, &state(&rows));
    assert!(
        matches!(&path, BalancerPath::Reload(why) if why.contains("static")),
        "{path:?}"
    );
    // A deleted server whose keywords a dynamic server cannot take.
    let desired = parse(&CFG.replace("weight 5 check", "weight 5 check cookie w2"));
    let mut rows = in_sync();
    rows.remove(1);
    assert!(matches!(
        correction(&desired, &state(&rows)),
        BalancerPath::Reload(_)
    ));
}

#[test]
fn a_file_change_that_leaves_a_drifted_backend_untouched_reloads() {
    let live = CFG.replace("weight 5 check", "weight 6 check");
    let path = file_path(&live, CFG, &[]);
    assert!(matches!(path, BalancerPath::Runtime { .. }), "{path:?}");
    assert!(matches!(
        file_path(&live, CFG, &["http_back".into()]),
        BalancerPath::Runtime { .. }
    ));
    let path = file_path(&live, CFG, &["other".into()]);
    assert!(
        matches!(&path, BalancerPath::Reload(why) if why.contains("backend other drifted")),
        "{path:?}"
    );
}

#[test]
fn the_observe_script_reads_the_state_only_where_haproxy_runs() {
    let s = observe_script("/run/haproxy/admin.sock");
    assert!(s.contains("kill -0"), "{s}");
    assert!(s.contains("[ -S \"$sock\" ]"), "{s}");
    assert!(s.contains("BLOCK haproxy.servers-state"), "{s}");
    assert!(
        s.trim_end().ends_with(':'),
        "never fails the observation: {s}"
    );
}
