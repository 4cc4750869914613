//! The classifier over real renders: a balancer document is rendered before and
//! after one model edit, and the pair is classified.

use super::*;
use crate::rendered::{state_from, TEST_INVENTORY};
use crate::targets::balancer::render as haproxy;

const GLOBAL: &str = "  global:
    statsSocket: {path: /run/haproxy/admin.sock, level: admin}
";

/// A backend `web` without cookie (dynamic servers in 2.6 cannot carry one).
const WEB: &str = "  backends:
    - name: web
      balance: roundrobin
      healthCheck: {path: /healthz}
      serverDefaults: {check: true, inter: 2s, rise: 2, fall: 3}
      servers:
        - {name: s1, address: 10.1.1.1, port: 8080}
      serversFrom: {role: worker, port: 30080}
";

fn render(inventory: &str, spec: &str) -> String {
    let doc = format!("apiVersion: agent/v1\nkind: Balancer\nmetadata: {{name: b}}\nspec:\n{spec}");
    let s = state_from(&[("inv.yaml", inventory), ("b.yaml", &doc)]);
    haproxy::render(&s, &s.balancers[0])
        .unwrap()
        .remove(0)
        .content
}

fn base() -> String {
    render(TEST_INVENTORY, &format!("{GLOBAL}{WEB}"))
}

fn with(spec_edit: impl Fn(&str) -> String) -> String {
    render(TEST_INVENTORY, &spec_edit(&format!("{GLOBAL}{WEB}")))
}

fn ops(live: &str, desired: &str) -> Vec<ServerOp> {
    match classify(live, desired) {
        BalancerPath::Runtime { socket, ops } => {
            assert_eq!(socket, "/run/haproxy/admin.sock");
            ops
        }
        BalancerPath::Reload(why) => panic!("expected runtime, got reload: {why}"),
    }
}

fn reload_reason(live: &str, desired: &str) -> String {
    match classify(live, desired) {
        BalancerPath::Reload(why) => why,
        other => panic!("expected reload, got {other:?}"),
    }
}

#[test]
fn a_weight_change_is_one_runtime_command() {
    let after = with(|s| s.replace("port: 8080}", "port: 8080, weight: 50}"));
    assert_eq!(
        ops(&base(), &after),
        [ServerOp::Weight {
            backend: "web".into(),
            server: "s1".into(),
            from: 1,
            to: 50
        }]
    );
    assert_eq!(
        classify(&base(), &after).describe(),
        "runtime API: weight web/s1 1→50, no reload"
    );
}

#[test]
fn a_new_worker_is_added_at_run_time_with_its_health_check() {
    let more = format!("{TEST_INVENTORY}    - {{name: w3, address: 10.0.0.23, roles: [worker]}}\n");
    let after = render(&more, &format!("{GLOBAL}{WEB}"));
    assert_eq!(
        ops(&base(), &after),
        [ServerOp::Add {
            backend: "web".into(),
            server: "w3".into(),
            ip: "10.0.0.23".into(),
            port: 30080,
            args: "check inter 2s rise 2 fall 3"
                .split(' ')
                .map(String::from)
                .collect(),
            check: true,
            disabled: false,
        }]
    );
}

#[test]
fn a_removed_worker_and_a_disabled_server_go_at_run_time_removal_last() {
    let fewer = TEST_INVENTORY.replace(
        "    - {name: w2, address: 10.0.0.22, roles: [worker]}\n",
        "",
    );
    let after = render(
        &fewer,
        &format!("{GLOBAL}{WEB}").replace("port: 8080}", "port: 8080, disabled: true}"),
    );
    assert_eq!(
        ops(&base(), &after),
        [
            ServerOp::State {
                backend: "web".into(),
                server: "s1".into(),
                disabled: true
            },
            ServerOp::Del {
                backend: "web".into(),
                server: "w2".into()
            }
        ]
    );
    // And back: enabling is `state ready`.
    assert!(matches!(
        ops(&after, &base()).as_slice(),
        [ServerOp::Add { server, .. }, ServerOp::State { disabled: false, .. }] if server == "w2"
    ));
}

#[test]
fn an_address_change_to_an_ip_is_runtime_a_hostname_is_not() {
    let after = with(|s| s.replace("10.1.1.1, port: 8080", "10.1.1.9, port: 8081"));
    assert_eq!(
        ops(&base(), &after),
        [ServerOp::Addr {
            backend: "web".into(),
            server: "s1".into(),
            ip: "10.1.1.9".into(),
            port: 8081
        }]
    );
    let named = with(|s| s.replace("10.1.1.1", "app.example"));
    assert!(reload_reason(&base(), &named).contains("not an IP:port"));
}

#[test]
fn comment_only_changes_need_neither_command_nor_reload() {
    let edited = base().replace("\nbackend web\n", "\n# hand note\nbackend web\n");
    assert_eq!(ops(&edited, &base()), []);
}

#[test]
fn anything_outside_servers_reloads() {
    let cases = [
        (
            "balance",
            with(|s| s.replace("roundrobin", "leastconn")),
            "balance",
        ),
        (
            "defaults",
            with(|s| format!("{s}  defaults: {{retries: 5}}\n")),
            "defaults",
        ),
        (
            "check parameters",
            with(|s| s.replace("rise: 2", "rise: 4")),
            "settings other than weight/state",
        ),
        (
            "a new backend",
            with(|s| {
                format!("{s}    - {{name: other, servers: [{{name: x, address: 10.2.2.2, port: 1}}]}}\n")
            }),
            "sections",
        ),
    ];
    for (what, after, reason) in cases {
        let why = reload_reason(&base(), &after);
        assert!(why.contains(reason), "{what}: {why}");
    }
}

#[test]
fn cookie_backends_reload_when_a_server_is_added_but_not_for_weights() {
    let cookie = |s: &str| {
        s.replace(
            "balance: roundrobin",
            "balance: roundrobin\n      cookie: {name: JSESSIONID, mode: prefix}",
        )
    };
    let before = with(cookie);
    let more = format!("{TEST_INVENTORY}    - {{name: w3, address: 10.0.0.23, roles: [worker]}}\n");
    let after = render(&more, &cookie(&format!("{GLOBAL}{WEB}")));
    assert!(reload_reason(&before, &after).contains("`cookie`"));
    let heavier = with(|s| cookie(s).replace("port: 8080}", "port: 8080, weight: 3}"));
    assert_eq!(ops(&before, &heavier).len(), 1);
}

#[test]
fn static_algorithms_reload_for_weights_and_server_lists_but_not_for_state() {
    let source = |s: &str| s.replace("roundrobin", "source");
    let before = with(source);
    let heavier = with(|s| source(s).replace("port: 8080}", "port: 8080, weight: 3}"));
    assert!(reload_reason(&before, &heavier).contains("static"));
    let disabled = with(|s| source(s).replace("port: 8080}", "port: 8080, disabled: true}"));
    assert_eq!(ops(&before, &disabled).len(), 1);
}

#[test]
fn no_admin_socket_means_reload() {
    let plain = render(TEST_INVENTORY, WEB);
    let heavier = render(
        TEST_INVENTORY,
        &WEB.replace("port: 8080}", "port: 8080, weight: 3}"),
    );
    assert!(reload_reason(&plain, &heavier).contains("no `stats socket`"));
    let operator = |s: &str| {
        format!("  global:\n    statsSocket: {{path: /run/a.sock, level: operator}}\n{s}")
    };
    assert!(reload_reason(
        &render(TEST_INVENTORY, &operator(WEB)),
        &render(
            TEST_INVENTORY,
            &operator(&WEB.replace("port: 8080}", "port: 8080, weight: 3}"))
        )
    )
    .contains("level admin"));
}

#[test]
fn default_server_in_scope_blocks_adding_and_reorders_reload() {
    let ds = |s: &str| {
        s.replace(
            "      healthCheck",
            "      extra: [\"default-server maxconn 10\"]\n      healthCheck",
        )
    };
    let more = format!("{TEST_INVENTORY}    - {{name: w3, address: 10.0.0.23, roles: [worker]}}\n");
    let why = reload_reason(&with(ds), &render(&more, &ds(&format!("{GLOBAL}{WEB}"))));
    assert!(why.contains("default-server"), "{why}");
    let swapped = TEST_INVENTORY.replace(
        "    - {name: w2, address: 10.0.0.22, roles: [worker]}\n    - {name: w1, address: 10.0.0.21, roles: [worker]}\n",
        "    - {name: w1, address: 10.0.0.21, roles: [worker]}\n    - {name: w2, address: 10.0.0.22, roles: [worker]}\n",
    );
    assert_ne!(swapped, TEST_INVENTORY);
    let why = reload_reason(&base(), &render(&swapped, &format!("{GLOBAL}{WEB}")));
    assert!(why.contains("reordered"), "{why}");
}
