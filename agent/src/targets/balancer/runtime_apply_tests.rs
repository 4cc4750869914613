//! The runtime path's pure parts: reading `show servers state`, the check against the
//! file, and the command script.
use super::*;
use crate::targets::balancer::cfg::parse_state;

const STATE: &str = "1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 b 1 s1 10.0.0.1 2 0 50 1 1 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0
3 b 2 s2 10.0.0.2 2 4 5 5 0 1 0 2 6 0 0 0 - 8080 - 0 0 - - 0
3 b 3 s3 10.0.0.3 0 1 1 1 0 1 0 0 2 0 0 0 - 8080 - 0 0 - - 0
4 other 1 x 10.9.9.9 2 0 1 1 1 1 0 2 0 0 0 0 - 1 - 0 0 - - 0
";

fn weight_op() -> Vec<ServerOp> {
    vec![ServerOp::Weight {
        backend: "b".into(),
        server: "s1".into(),
        from: 1,
        to: 50,
    }]
}

#[test]
fn state_columns_are_read_by_name() {
    let s = parse_state(STATE).unwrap();
    assert_eq!(s.len(), 4);
    assert_eq!(
        (s[0].name.as_str(), s[0].weight, s[0].port, s[1].admin_state),
        ("s1", 50, 8080, 4)
    );
    assert!(!s[1].in_maintenance(), "config-disabled, then set ready");
    assert!(s[2].in_maintenance(), "a dynamic server not yet ready");
    assert!(parse_state("2\n# x\n").is_err());
}

#[test]
fn verify_compares_servers_weights_addresses_and_states_of_touched_backends() {
    let cfg = |s3: &str| {
        format!("backend b\n    server s1 10.0.0.1:8080 weight 50\n    server s2 10.0.0.2:8080 weight 5\n{s3}backend other\n    server y 10.9.9.9:1\n")
    };
    // `other` differs (x vs y) but was not touched; s3 is in maintenance as declared.
    verify(
        &cfg("    server s3 10.0.0.3:8080 disabled\n"),
        &weight_op(),
        STATE,
    )
    .unwrap();
    let e = verify(&cfg("    server s3 10.0.0.3:8080\n"), &weight_op(), STATE).unwrap_err();
    assert!(e.contains("b/s3 admin state 0x1 (want ready)"), "{e}");
    let e = verify(&cfg(""), &weight_op(), STATE).unwrap_err();
    assert!(e.contains("b/s3 still present"), "{e}");
    let e = verify(
        &cfg("    server s3 10.0.0.4:8080 weight 2 disabled\n    server s4 10.0.0.5:1\n"),
        &weight_op(),
        STATE,
    )
    .unwrap_err();
    for part in [
        "b/s3 at 10.0.0.3:8080",
        "b/s3 weight 1 (want 2)",
        "b/s4 missing",
    ] {
        assert!(e.contains(part), "{part}: {e}");
    }
}

#[test]
fn the_script_judges_every_reply_and_adds_in_maintenance_first() {
    let s = script(
        "/run/a.sock",
        &[ServerOp::Add {
            backend: "b".into(),
            server: "w3".into(),
            ip: "10.0.0.23".into(),
            port: 30080,
            args: vec!["check".into()],
            check: true,
            disabled: false,
        }],
    );
    let add = s.find("'add server b/w3 10.0.0.23:30080 check'").unwrap();
    let health = s.find("'enable health b/w3'").unwrap();
    let ready = s.find("'set server b/w3 state ready'").unwrap();
    assert!(add < health && health < ready, "{s}");
    assert!(s.contains("'New server registered.') ;;"), "{s}");
    assert!(s.trim_end().ends_with("cli 'show servers state'"), "{s}");
}
