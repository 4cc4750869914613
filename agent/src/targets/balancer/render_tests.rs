use super::*;
use crate::rendered::{state_from, TEST_INVENTORY};

fn balancer(spec: &str) -> String {
    format!("apiVersion: agent/v1\nkind: Balancer\nmetadata: {{name: b}}\nspec:\n{spec}")
}

fn files(spec: &str) -> Vec<ManagedFile> {
    let s = state_from(&[("inv.yaml", TEST_INVENTORY), ("b.yaml", &balancer(spec))]);
    render(&s, &s.balancers[0]).unwrap()
}

const DERIVED: &str = "  backends:
    - name: web
      cookie: {name: JSESSIONID, mode: prefix, nocache: true}
      serversFrom: {role: worker, port: 30080}
";

#[test]
fn derived_servers_follow_inventory_order_and_role() {
    let f = &files(DERIVED)[0];
    let servers: Vec<_> = f
        .content
        .lines()
        .filter(|l| l.trim_start().starts_with("server "))
        .collect();
    assert_eq!(
        servers,
        [
            "    server w2 10.0.0.22:30080 check cookie w2",
            "    server w1 10.0.0.21:30080 check cookie w1"
        ]
    );
}

#[test]
fn adding_a_worker_adds_exactly_one_line() {
    let more =
        TEST_INVENTORY.to_string() + "    - {name: w3, address: 10.0.0.23, roles: [worker]}\n";
    let before = files(DERIVED).remove(0).content;
    let s = state_from(&[("inv.yaml", &more), ("b.yaml", &balancer(DERIVED))]);
    let after = render(&s, &s.balancers[0]).unwrap().remove(0).content;
    let b: Vec<_> = before.lines().collect();
    let a: Vec<_> = after.lines().collect();
    assert_eq!(a.len(), b.len() + 1);
    assert_eq!(a[..b.len()], b[..]);
    assert_eq!(a[b.len()], "    server w3 10.0.0.23:30080 check cookie w3");
}

#[test]
fn server_settings_without_cookie_or_check() {
    let f = &files(
        "  backends:
    - name: db
      mode: tcp
      balance: leastconn
      serverDefaults: {check: false, weight: 10}
      servers:
        - {name: a, address: 10.1.1.1, port: 5432, backup: true}
        - {name: b, address: 10.1.1.2, port: 5432, check: true, weight: 5, disabled: true}
",
    )[0];
    assert!(
        f.content.contains("    mode tcp\n    balance leastconn\n"),
        "{}",
        f.content
    );
    assert!(
        f.content
            .contains("    server a 10.1.1.1:5432 weight 10 backup\n"),
        "{}",
        f.content
    );
    assert!(
        f.content
            .contains("    server b 10.1.1.2:5432 weight 5 check disabled\n"),
        "{}",
        f.content
    );
    assert!(!f.content.contains("cookie"));
}

const TRANSFER: &str = "  global:
    statsSocket: {path: /run/haproxy/admin.sock, level: admin, exposeFdListeners: true}
";

#[test]
fn default_reload_goes_through_the_init_script_of_a_running_haproxy() {
    let f = &files("  {}\n")[0];
    assert_eq!(f.host, "lb1");
    assert_eq!(
        (f.path.as_str(), f.check.as_str()),
        (DEFAULT_PATH, DEFAULT_CHECK)
    );
    assert_eq!(
        f.reload.as_deref().unwrap(),
        "if /etc/init.d/haproxy status >/dev/null 2>&1; then /etc/init.d/haproxy reload; fi"
    );
}

#[test]
fn with_exposed_listeners_the_reload_takes_the_sockets_over() {
    let f = &files(TRANSFER)[0];
    let reload = f.reload.as_deref().unwrap();
    // Still guarded by the status Pacemaker's lsb monitor uses...
    assert!(
        reload.starts_with("if /etc/init.d/haproxy status >/dev/null 2>&1; then "),
        "{reload}"
    );
    // ...checks first, transfers the listeners, falls back to a plain -sf.
    assert!(
        reload.contains("haproxy -c -q -f /etc/haproxy/haproxy.cfg && {"),
        "{reload}"
    );
    assert!(reload.contains("-x /run/haproxy/admin.sock -sf $(cat /run/haproxy.pid) 2>/dev/null || haproxy -f /etc/haproxy/haproxy.cfg -p /run/haproxy.pid -D -sf $(cat /run/haproxy.pid); }"), "{reload}");
    // Never a start: that would bring HAProxy up on the standby node.
    assert!(!reload.contains("start"), "{reload}");
    let plain = &files("  global: {statsSocket: {path: /s.sock}}\n")[0];
    assert!(!plain.reload.as_deref().unwrap().contains("-x"));
}

#[test]
fn host_overrides_path_check_and_reload() {
    for (spec, x) in [("  {}\n", false), (TRANSFER, true)] {
        let f = &files(spec)[1];
        assert_eq!(f.host, "lb2");
        assert_eq!(f.path, "/opt/lb/haproxy.cfg");
        assert_eq!(f.check, "/opt/lb/check {file}");
        // No reload override: the same behaviour, pointed at the overridden file
        // and guarded by the pidfile (the init script does not know this path).
        let reload = f.reload.as_deref().unwrap();
        assert!(
            reload.starts_with("if [ -s /run/haproxy.pid ] && kill -0"),
            "{reload}"
        );
        assert!(
            reload.contains("haproxy -c -q -f /opt/lb/haproxy.cfg && "),
            "{reload}"
        );
        assert!(
            reload.contains("haproxy -f /opt/lb/haproxy.cfg -p /run/haproxy.pid -D -sf"),
            "{reload}"
        );
        assert_eq!(reload.contains("-x /run/haproxy/admin.sock"), x, "{reload}");
    }
    let inv = TEST_INVENTORY.replace(
        "haproxyConfig:",
        "haproxyReload: 'systemctl reload haproxy', haproxyConfig:",
    );
    let s = state_from(&[("inv.yaml", &inv), ("b.yaml", &balancer("  {}\n"))]);
    let f = &render(&s, &s.balancers[0]).unwrap()[1];
    assert_eq!(f.reload.as_deref(), Some("systemctl reload haproxy"));
}

#[test]
fn stats_auth_makes_the_file_private() {
    let plain = &files("  stats: {binds: ['*:8404']}\n")[0];
    assert_eq!(plain.mode, 0o644);
    assert!(plain.content.contains("    stats uri /stats\n"));
    let f =
        &files("  stats: {binds: ['*:8404'], auth: {user: u, password: p}, adminIf: LOCALHOST}\n")
            [0];
    assert_eq!(f.mode, 0o600);
    assert!(
        f.content
            .contains("    stats auth u:p\n    stats admin if LOCALHOST\n"),
        "{}",
        f.content
    );
}

#[test]
fn explicit_hosts_and_unknown_host() {
    assert_eq!(files("  hosts: [lb2]\n").len(), 1);
    let s = state_from(&[
        ("inv.yaml", TEST_INVENTORY),
        ("b.yaml", &balancer("  hosts: [nope]\n")),
    ]);
    let e = render(&s, &s.balancers[0]).unwrap_err().to_string();
    assert!(e.contains("Balancer/b") && e.contains("`nope`"), "{e}");
}

#[test]
fn global_without_daemon_and_raw_at_the_end() {
    let f = &files("  global: {daemon: false, maxconn: 4096, log: ['/dev/log local0']}\n  raw: |\n    userlist ops\n")[0];
    assert!(
        f.content
            .contains("global\n    log /dev/log local0\n    maxconn 4096\n\ndefaults"),
        "{}",
        f.content
    );
    assert!(
        f.content
            .ends_with("# raw (verbatim from the document)\nuserlist ops\n"),
        "{}",
        f.content
    );
}

#[test]
fn frontend_sections_in_a_fixed_order() {
    let f = &files(
        "  frontends:
    - name: fe
      binds: ['*:80', '*:8080']
      statsUri: /s
      httpRequest: ['set-header X-Forwarded-Proto http']
      acls: [{name: api, condition: path_beg /api}]
      useBackends: [{backend: api, if: api}]
      defaultBackend: web
",
    )[0];
    let fe = f.content.split("frontend fe\n").nth(1).unwrap();
    assert_eq!(
        fe,
        "    bind *:80\n    bind *:8080\n    stats enable\n    stats uri /s\n    acl api path_beg /api\n    \
         http-request set-header X-Forwarded-Proto http\n    use_backend api if api\n    default_backend web\n"
    );
}

#[test]
fn backend_rules_precede_servers_and_v6_addresses_get_brackets() {
    let f = &files(
        "  backends:
    - name: dev
      acls:
        - {name: auth_ok, condition: http_auth_group(customer1) dev}
        - {name: local, condition: src 10.0.0.0/8}
        - {name: local, condition: src 192.168.0.0/16}
      httpRequest: [auth if !auth_ok]
      httpResponse: [set-header X-Backend dev]
      servers:
        - {name: v6, address: 'fd00::4', port: 80, check: false}
",
    )[0];
    let body: Vec<&str> = f
        .content
        .lines()
        .skip_while(|l| *l != "backend dev")
        .collect();
    assert_eq!(
        body[2..8],
        [
            "    acl auth_ok http_auth_group(customer1) dev",
            "    acl local src 10.0.0.0/8",
            "    acl local src 192.168.0.0/16",
            "    http-request auth if !auth_ok",
            "    http-response set-header X-Backend dev",
            "    server v6 [fd00::4]:80",
        ]
    );
}

#[test]
fn global_limits_paths_and_tls_defaults() {
    let f = &files(
        "  global:
    uid: 200
    ulimitN: 16384
    hardStopAfter: 5m
    masterWorker: true
    defaultPath: config
    crtBase: /etc/ssl/private
    sslDefaultBind: {ciphersuites: 'TLS_AES_128_GCM_SHA256', options: [ssl-min-ver TLSv1.2, no-tls-tickets]}
",
    )[0];
    let global: Vec<&str> = f
        .content
        .lines()
        .skip_while(|l| *l != "global")
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        global[1..],
        [
            "    uid 200",
            "    ulimit-n 16384",
            "    hard-stop-after 5m",
            "    master-worker",
            "    default-path config",
            "    crt-base /etc/ssl/private",
            "    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256",
            "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
            "    daemon",
        ]
    );
}

#[test]
fn a_backend_with_binds_is_a_listen_section() {
    let f = &files(
        "  backends:
    - name: smtp
      binds: ['0.0.0.0:20025']
      maxconn: 2000
      mode: tcp
      servers: [{name: s1, address: 192.0.2.1, port: 25}]
",
    )[0];
    let body: Vec<&str> = f
        .content
        .lines()
        .skip_while(|l| !l.starts_with("listen "))
        .take(6)
        .collect();
    assert_eq!(
        body,
        [
            "listen smtp",
            "    bind 0.0.0.0:20025",
            "    mode tcp",
            "    maxconn 2000",
            "    balance roundrobin",
            "    server s1 192.0.2.1:25 check",
        ]
    );
}

#[test]
fn userlists_groups_first_and_the_file_private() {
    let f = &files(
        "  userlists:
    - name: customer1
      groups: [{name: adm, users: [tiger]}, {name: dev}]
      users:
        - {name: tiger, password: dog, insecure: true, groups: [dev]}
        - {name: boss, password: $6$k6y3o.eP$Jl}
",
    )[0];
    assert_eq!(f.mode, 0o600);
    let body: Vec<&str> = f
        .content
        .lines()
        .skip_while(|l| *l != "userlist customer1")
        .take(5)
        .collect();
    assert_eq!(
        body,
        [
            "userlist customer1",
            "    group adm users tiger",
            "    group dev",
            "    user tiger insecure-password dog groups dev",
            "    user boss password $6$k6y3o.eP$Jl",
        ]
    );
}

#[test]
fn http_check_rules_follow_the_health_check() {
    let f = &files(
        "  defaults: {httpCheck: [send-state]}
  backends:
    - name: web
      healthCheck: {path: /}
      httpCheck: [send hdr host haproxy.1wt.eu, expect status 200-399]
      servers: [{name: a, address: 10.0.0.1, port: 80}]
",
    )[0];
    let c = &f.content;
    let at = |t: &str| c.find(t).unwrap_or_else(|| panic!("{t} in {c}"));
    assert!(at("    http-check send-state\n") < at("backend web"));
    assert!(
        at("    option httpchk GET /\n") < at("    http-check send hdr host haproxy.1wt.eu\n")
            && at("    http-check send hdr host") < at("    http-check expect status 200-399\n")
    );
}

#[test]
fn cache_sections() {
    let f =
        &files("  caches: [{name: web, totalMaxSize: 200, maxAge: 3600, processVary: true}]\n")[0];
    assert!(
        f.content.contains(
            "\ncache web\n    total-max-size 200\n    max-age 3600\n    process-vary on\n"
        ),
        "{}",
        f.content
    );
}

#[test]
fn stats_page_limits_logs_and_timeouts() {
    let f = &files(
        "  stats: {binds: ['*:8404'], maxconn: 10, log: [global], timeouts: {client: 100s}}\n",
    )[0];
    assert!(
        f.content
            .contains("    maxconn 10\n    log global\n    timeout client 100s\n"),
        "{}",
        f.content
    );
}

#[test]
fn named_defaults_come_in_order_before_the_implicit_one_and_proxies_name_theirs() {
    let f = &files(
        "  namedDefaults:
    - {name: base, mode: http, timeouts: {client: 5s}}
    - {name: slow, from: base, timeouts: {client: 50s}}
  defaults: {from: base, retries: 2}
  frontends:
    - {name: web, from: slow, binds: ['*:80'], defaultBackend: app}
  backends:
    - name: app
      from: base
      servers: [{name: a, address: 10.1.1.1, port: 80}]
    - name: plain
      servers: [{name: b, address: 10.1.1.2, port: 80}]
",
    )[0];
    let headers: Vec<&str> = f
        .content
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && !l.is_empty())
        .collect();
    assert_eq!(
        headers,
        [
            "global",
            "defaults base",
            "defaults slow from base",
            "defaults from base",
            "frontend web from slow",
            "backend app from base",
            "backend plain",
        ]
    );
    assert!(f
        .content
        .contains("defaults slow from base\n    timeout client 50s\n"));
}

#[test]
fn a_server_without_port_is_written_without_one() {
    let f = &files(
        "  backends:
    - name: proxy
      serverDefaults: {check: false}
      servers: [{name: next-hop, address: 0.0.0.0}, {name: v6, address: '::1'}, {name: p, address: 10.0.0.1, port: 81}]
",
    )[0];
    let servers: Vec<&str> = f
        .content
        .lines()
        .filter(|l| l.trim_start().starts_with("server "))
        .collect();
    assert_eq!(
        servers,
        [
            "    server next-hop 0.0.0.0",
            "    server v6 [::1]",
            "    server p 10.0.0.1:81"
        ]
    );
}

#[test]
fn a_backend_serving_the_stats_page_writes_its_stats_lines_in_class_order() {
    let f = &files(
        "  backends:
    - name: st
      mode: http
      statsUri: /
      stats: {refresh: 60s, realm: Ops, scopes: [a, b], showLegends: true, httpRequest: [deny if x, auth realm S]}
      acls: [{name: x, condition: src 10.0.0.0/8}]
    - name: plain
      servers: [{name: p, address: 10.0.0.1, port: 81}]
",
    )[0];
    let text = &f.content;
    let at = text.find("backend st\n").unwrap();
    let body: Vec<&str> = text[at..]
        .lines()
        .filter(|l| l.starts_with("    stats "))
        .collect();
    assert_eq!(
        body,
        [
            "    stats enable",
            "    stats uri /",
            "    stats refresh 60s",
            "    stats realm Ops",
            "    stats scope a",
            "    stats scope b",
            "    stats show-legends",
            "    stats http-request deny if x",
            "    stats http-request auth realm S",
        ]
    );
    let acl = text.find("    acl x ").unwrap();
    assert!(
        acl < text.find("stats http-request").unwrap(),
        "ACLs before the rules naming them"
    );
    let plain = &text[text.find("backend plain\n").unwrap()..];
    assert!(!plain.contains("stats"), "{plain}");
}
