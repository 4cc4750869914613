use super::*;

fn run(text: &str) -> Imported<BalancerSpec> {
    import(
        &Source {
            host: Some("ha1"),
            path: "/etc/haproxy/haproxy.cfg",
            text,
        },
        "lab",
    )
}

const HAND: &str = "\
# written by hand
global
    log /dev/log local0
    chroot /var/lib/haproxy
    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners
    stats timeout 30s
    user haproxy
    group haproxy
    daemon
    tune.ssl.default-dh-param 2048

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 5s
    timeout client 50s
    timeout server 50s
    errorfile 503 /etc/haproxy/errors/503.http

frontend http_front
    bind *:80
    acl is_auth path_beg /auth
    http-request set-header X-Forwarded-Proto http
    use_backend auth_back if is_auth
    default_backend http_back

backend http_back
    balance roundrobin
    cookie JSESSIONID prefix nocache
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 2s rise 2 fall 3
    server w1 10.77.0.21:30080 check cookie w1
    server w2 10.77.0.22:30080 check cookie w2

backend auth_back
    server w1 10.77.0.21:30081 check inter 2s send-proxy
    server w2 10.77.0.22:30081 check inter 2s

listen stats
    bind *:8404
    stats enable
    stats uri /stats
    stats refresh 10s
    stats auth admin:s3cret
    stats realm Haproxy\\ Statistics

listen mysql
    bind *:3306
    mode tcp
    server db1 10.0.0.5:3306 check

peers mypeers
    peer lb1 10.0.0.1:10000
";

#[test]
fn a_hand_written_file_is_typed_and_means_the_same() {
    let out = run(HAND);
    let s = &out.spec;
    let sum = &out.summaries[0];
    assert!(sum.errors.is_empty(), "{:?}", sum.errors);
    assert_eq!(s.global.log, ["/dev/log local0"]);
    assert!(s.global.stats_socket.as_ref().unwrap().expose_fd_listeners);
    assert_eq!(s.global.extra, ["tune.ssl.default-dh-param 2048"]);
    assert_eq!(s.defaults.timeouts["client"], "50s");
    assert_eq!(s.defaults.errorfiles[&503], "/etc/haproxy/errors/503.http");
    assert_eq!(s.defaults.extra, Vec::<String>::new());
    assert_eq!(s.frontends[0].use_backends[0].backend, "auth_back");
    let b = &s.backends[0];
    assert_eq!(b.health_check.as_ref().unwrap().expect_status, Some(200));
    // `default-server` is folded into the servers after it (server_line.rs).
    assert!(b.extra.is_empty(), "{:?}", b.extra);
    assert_eq!(b.server_defaults.inter.as_deref(), Some("2s"));
    assert_eq!(
        b.servers[0].cookie, None,
        "cookie value = server name is the default"
    );
    let a = &s.backends[1];
    assert_eq!(a.server_defaults.inter.as_deref(), Some("2s"));
    assert_eq!(a.servers[0].extra.as_deref(), Some("send-proxy"));
    let st = s.stats.as_ref().unwrap();
    assert_eq!(st.auth.as_ref().unwrap().password, "s3cret");
    assert_eq!(st.extra, ["stats realm Haproxy\\ Statistics"]);
    assert!(out
        .secrets
        .contains(&"spec.stats.auth.password".to_string()));
    let mysql = &s.backends[2];
    assert_eq!(
        (mysql.name.as_str(), &mysql.binds[..]),
        ("mysql", &["*:3306".to_string()][..])
    );
    assert_eq!(s.raw, None, "peers and listen sections are typed");
    assert_eq!(
        (
            s.peers[0].name.as_str(),
            s.peers[0].peers[0].address.as_str()
        ),
        ("mypeers", "10.0.0.1:10000")
    );
    assert!(
        sum.items
            .iter()
            .all(|i| !i.what.contains("typed form differed")),
        "{}",
        sum.text()
    );
    // the check the importer made itself, done again here
    let rendered = super::super::verify::render_balancer(s).unwrap();
    let d = semantic::differences(
        &normal_text("live", HAND),
        &normal_text("rendered", &rendered),
    );
    assert!(d.is_empty(), "{d:#?}\n{rendered}");
    assert!(!rendered.contains("# written by hand"));
}

#[test]
fn a_second_defaults_keeps_everything_after_it_in_place() {
    let text = "defaults\n  mode http\nbackend a\n  server s 1.1.1.1:80\ndefaults\n  mode tcp\nbackend b\n  server s 1.1.1.2:80\n";
    let out = run(text);
    assert_eq!(out.spec.backends.len(), 1);
    let raw = out.spec.raw.as_deref().unwrap();
    assert!(
        raw.contains("mode tcp") && raw.contains("backend b"),
        "{raw}"
    );
    let rendered = super::super::verify::render_balancer(&out.spec).unwrap();
    assert!(
        semantic::differences(&normal_text("a", text), &normal_text("b", &rendered)).is_empty()
    );
}

#[test]
fn unreadable_lines_are_errors_with_their_line_and_are_kept() {
    let out = run("global\n  daemon\nbackend b\n  acl x \"open\n  server s 1.1.1.1:80\n");
    let e = &out.summaries[0].errors;
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].to_string(),
        "ha1:/etc/haproxy/haproxy.cfg:4: unterminated double quote: `acl x \"open` (kept verbatim)"
    );
    assert!(out.spec.raw.as_deref().unwrap().contains("acl x \"open"));
}

#[test]
fn a_section_with_an_if_block_is_kept_whole_and_the_rest_typed() {
    let text = "global\n    maxconn 100\n\ndefaults\n    mode http\n\nfrontend pub\n    bind :80\n.if feature(QUIC)\n    bind quic4@:443 ssl crt /x.pem\n.endif\n    default_backend web\n\nbackend web\n    server a 10.0.0.1:80\n";
    let out = run(text);
    let s = &out.spec;
    assert_eq!(s.global.maxconn, Some(100));
    assert!(s.frontends.is_empty());
    assert_eq!(s.backends[0].name, "web");
    let raw = s.raw.as_deref().unwrap();
    assert!(
        raw.contains("frontend pub") && raw.contains(".if feature(QUIC)") && raw.contains(".endif"),
        "{raw}"
    );
    assert!(out.summaries[0]
        .items
        .iter()
        .all(|i| !i.why.contains("typed form differed")));
    // A block in `global`, or one that crosses sections: the whole file stays verbatim.
    for text in [
        "global\n.if defined(X)\n    maxconn 100\n.endif\n\nbackend web\n    server a 10.0.0.1:80\n",
        "global\n    maxconn 100\n.if defined(X)\nbackend web\n    server a 10.0.0.1:80\n.endif\n",
    ] {
        let out = run(text);
        assert!(out.spec.backends.is_empty(), "{text}");
        assert!(out.spec.raw.as_deref().unwrap().contains("(the whole file)"));
    }
}

#[test]
fn stats_socket_options_are_unordered_and_user_is_typed() {
    let a = "global\n    stats socket /run/h.sock level admin mode 600 user haproxy expose-fd listeners\n";
    let b = "global\n    stats socket /run/h.sock mode 600 level admin user haproxy expose-fd listeners\n";
    let c = "global\n    stats socket /run/other.sock mode 600 level admin user haproxy expose-fd listeners\n";
    let d = |x: &str, y: &str| semantic::differences(&normal_text("a", x), &normal_text("b", y));
    assert!(d(a, b).is_empty());
    assert!(!d(a, c).is_empty());
    let out = run(&format!("{a}\nbackend web\n    server s 10.0.0.1:80\n"));
    let sock = out.spec.global.stats_socket.as_ref().unwrap();
    assert_eq!(
        (sock.user.as_deref(), sock.mode.as_deref()),
        (Some("haproxy"), Some("600"))
    );
}

/// The import, and that its render means what `text` means.
fn typed_and_same(text: &str) -> (BalancerSpec, String) {
    let out = run(text);
    assert!(
        out.summaries[0]
            .items
            .iter()
            .all(|i| !i.why.contains("typed form differed")),
        "{}",
        out.summaries[0].text()
    );
    let rendered = super::super::verify::render_balancer(&out.spec).unwrap();
    let d = semantic::differences(&normal_text("a", text), &normal_text("b", &rendered));
    assert!(d.is_empty(), "{d:#?}\n{rendered}");
    (out.spec, rendered)
}

#[test]
fn named_defaults_and_from_are_typed_in_order_and_implied_from_is_written_out() {
    let text = "defaults base\n    mode http\n    balance leastconn\n    timeout client 5s\n\
                defaults slow from base\n    timeout client 50s\n\
                frontend f from base\n    bind :80\n    default_backend b\n\
                backend b\n    server s 10.0.0.1:80\n\
                backend c from base\n    server s 10.0.0.2:80 foo\n    no-such-directive x y\n";
    let (s, rendered) = typed_and_same(text);
    let names: Vec<_> = s.named_defaults.iter().map(|d| d.name.as_deref()).collect();
    assert_eq!(names, [Some("base"), Some("slow")]);
    assert_eq!(s.named_defaults[1].from.as_deref(), Some("base"));
    assert_eq!(s.defaults, Default::default());
    assert_eq!(s.frontends[0].from.as_deref(), Some("base"));
    // `backend b` follows `defaults slow`: it inherits it, and says so.
    assert_eq!(s.backends[0].from.as_deref(), Some("slow"));
    assert_eq!(s.backends[0].balance, Some(schema::Balance::Leastconn));
    assert!(rendered.contains("\nbackend b from slow\n"), "{rendered}");
    assert!(s.raw.is_none() || !s.raw.as_deref().unwrap().contains("defaults"));
}

#[test]
fn a_raw_proxy_that_inherited_a_named_defaults_names_it() {
    // `peers` is not modelled, `listen stats from` neither: both verbatim at the end.
    let text = "defaults base\n    mode http\n    timeout client 5s\n\
                defaults other from base\n\
                frontend f from other\n    bind :80\n    default_backend b\n\
                backend b\n    server s 10.0.0.1:80\n\
                listen stats\n    bind :8404\n    stats uri /s\n";
    let (s, rendered) = typed_and_same(text);
    let raw = s.raw.as_deref().unwrap();
    assert!(raw.contains("listen stats from other\n"), "{raw}");
    assert!(
        rendered.contains("\ndefaults other from base\n"),
        "{rendered}"
    );
}

#[test]
fn a_single_named_defaults_without_from_keeps_its_name_as_defaults() {
    let text = "defaults web\n    mode http\nbackend b\n    server s 10.0.0.1:80\n";
    let (s, rendered) = typed_and_same(text);
    assert_eq!(s.defaults.name.as_deref(), Some("web"));
    assert!(s.named_defaults.is_empty() && s.backends[0].from.is_none());
    assert!(rendered.contains("\ndefaults web\n"), "{rendered}");
}

#[test]
fn a_transparent_next_hop_server_without_port_is_typed() {
    let text = "frontend f\n    bind :8080\n    mode http\n    default_backend b\n\
                backend b\n    mode http\n    http-request set-dst url_ip\n    server next-hop 0.0.0.0\n";
    let (s, rendered) = typed_and_same(text);
    let srv = &s.backends[0].servers[0];
    assert_eq!((srv.address.as_str(), srv.port), ("0.0.0.0", None));
    assert_eq!(s.frontends[0].default_backend.as_deref(), Some("b"));
    assert!(
        rendered.contains("    server next-hop 0.0.0.0\n"),
        "{rendered}"
    );
    assert!(s.raw.is_none(), "{:?}", s.raw);
}

#[test]
fn stats_lines_of_a_backend_are_typed_and_odd_ones_stay_extra() {
    let text = "backend st\n    mode http\n    acl ok src 10.0.0.1\n    stats enable\n    stats refresh 60\n\
                stats uri /\n    stats scope c1\n    stats scope c2\n    stats http-request allow if ok\n\
                stats http-request auth realm Stats\n    stats show-legends\n    stats realm \"Two words\"\n";
    let (s, _) = typed_and_same(text);
    let b = &s.backends[0];
    assert_eq!(b.stats_uri.as_deref(), Some("/"));
    assert_eq!(b.stats.refresh.as_deref(), Some("60"));
    assert_eq!(b.stats.scopes, ["c1", "c2"]);
    assert_eq!(b.stats.http_request, ["allow if ok", "auth realm Stats"]);
    assert!(b.stats.show_legends && !b.stats.hide_version);
    assert_eq!(b.stats.realm, None, "a quoted realm is kept as written");
    assert_eq!(b.extra, ["stats realm \"Two words\""]);
}

#[test]
fn no_log_monitor_uri_and_the_defaults_balance_are_typed() {
    let text = "defaults\n    mode http\n    balance leastconn\n\
                frontend h\n    bind :81\n    no log\n    monitor-uri /healthz\n    default_backend b\n\
                backend b\n    server s 10.0.0.1:80\n";
    let (s, rendered) = typed_and_same(text);
    assert_eq!(s.defaults.balance, Some(schema::Balance::Leastconn));
    let f = &s.frontends[0];
    assert!(f.no_log && f.extra.is_empty(), "{:?}", f.extra);
    assert_eq!(f.monitor_uri.as_deref(), Some("/healthz"));
    assert!(
        rendered.contains("    no log\n    monitor-uri /healthz\n"),
        "{rendered}"
    );
    // `no log` with `log` lines: order matters there, kept as written.
    let (s, _) = typed_and_same("frontend h\n    bind :81\n    log global\n    no log\n");
    assert!(!s.frontends[0].no_log && s.frontends[0].extra == ["no log"]);
}

#[test]
fn peers_sections_and_localpeer_are_typed_other_lines_kept_as_extra() {
    let text = "global\n    localpeer lb1\npeers mesh\n    peer lb1 10.0.0.1:10000\n    peer lb2 [fd00::2]:10000\n\
                server s1 10.0.0.3:10000\nbackend b\n    server s 10.0.0.1:80\n";
    let (s, rendered) = typed_and_same(text);
    assert_eq!(s.global.localpeer.as_deref(), Some("lb1"));
    let p = &s.peers[0];
    let peers: Vec<(&str, &str)> = p
        .peers
        .iter()
        .map(|x| (x.name.as_str(), x.address.as_str()))
        .collect();
    assert_eq!(
        peers,
        [("lb1", "10.0.0.1:10000"), ("lb2", "[fd00::2]:10000")]
    );
    assert_eq!(p.extra, ["server s1 10.0.0.3:10000"]);
    assert!(
        rendered.contains("\npeers mesh\n    peer lb1 10.0.0.1:10000\n"),
        "{rendered}"
    );
    assert!(s.raw.is_none());
}

#[test]
fn a_fcgi_app_is_typed_its_acls_kept_as_extra() {
    let text = "fcgi-app php\n    docroot /var/www\n    index index.php\n    log-stderr global\n\
                acl local hdr(host) -i localhost\nbackend b\n    server s 10.0.0.1:80\n";
    let (s, rendered) = typed_and_same(text);
    let a = &s.fcgi_apps[0];
    assert_eq!(
        (a.docroot.as_str(), a.index.as_deref()),
        ("/var/www", Some("index.php"))
    );
    assert_eq!(
        (&a.log_stderr[..], &a.extra[..]),
        (
            &["global".to_string()][..],
            &["acl local hdr(host) -i localhost".to_string()][..]
        )
    );
    assert!(
        rendered.contains("\nfcgi-app php\n    docroot /var/www\n"),
        "{rendered}"
    );
    // Without a docroot (HAProxy refuses it): the section stays verbatim.
    let out = run("fcgi-app php\n    index index.php\n");
    assert!(
        out.spec.fcgi_apps.is_empty() && out.spec.raw.as_deref().unwrap().contains("fcgi-app php")
    );
}

#[test]
fn default_server_lines_fold_into_the_servers_after_them() {
    let text = "defaults\n    mode tcp\n    timeout connect 4s\n    timeout client 30m\n    timeout server 30m\n\
                listen pg\n    bind *:5000\n    option httpchk\n    http-check expect status 200\n\
                \x20   server early 10.0.0.9:5432 check\n\
                \x20   default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions\n\
                \x20   server a 10.0.0.1:5432 maxconn 100 check port 8008\n\
                \x20   default-server inter 5s weight 7\n\
                \x20   server b 10.0.0.2:5432 maxconn 100 check port 8008 inter 1s\n";
    let (spec, rendered) = typed_and_same(text);
    let raw: Vec<_> = run(text).summaries[0]
        .items
        .iter()
        .filter(|i| i.fate == crate::import::summary::Fate::Raw)
        .map(|i| i.what.clone())
        .collect();
    assert!(raw.is_empty(), "{raw:?}");
    let b = &spec.backends[0];
    let early = rendered
        .lines()
        .find(|l| l.contains("server early"))
        .unwrap();
    assert!(
        !early.contains("inter") && !early.contains("on-marked-down"),
        "{early}"
    );
    let a = rendered.lines().find(|l| l.contains("server a ")).unwrap();
    assert!(
        a.contains("inter 3s") && a.contains("on-marked-down shutdown-sessions"),
        "{a}"
    );
    let sb = b.servers.iter().find(|s| s.name == "b").unwrap();
    assert_eq!(
        sb.weight,
        Some(7),
        "the later default-server adds its weight"
    );
    let bl = rendered.lines().find(|l| l.contains("server b ")).unwrap();
    assert!(
        bl.contains("inter 1s") && !bl.contains("inter 5s") && !bl.contains("inter 3s"),
        "the server's own wins: {bl}"
    );
    assert!(
        bl.contains("fall 3"),
        "the earlier line still applies: {bl}"
    );
    // `no-check` undoes a default: beyond the fold, the section stays as written.
    let text = "backend x\n    default-server check\n    server a 10.0.0.1:80 no-check\n";
    let out = run(text);
    assert!(out.spec.backends.is_empty(), "{:?}", out.spec.backends);
    assert!(
        out.summaries[0]
            .items
            .iter()
            .any(|i| i.fate == crate::import::summary::Fate::Raw && i.why.contains("`no-…`")),
        "{}",
        out.summaries[0].text()
    );
}
