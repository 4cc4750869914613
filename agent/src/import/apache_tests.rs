use super::*;

fn run(text: &str) -> Imported<GatewaySpec> {
    import(
        &Site {
            host: Some("gw"),
            path: "/etc/apache2/sites-enabled/apps.conf",
            text,
            includes: None,
            enabled: None,
        },
        "apps",
    )
}

const HAND: &str = "\
# apps.lab, by hand
<VirtualHost *:80>
    ServerName apps.lab
    Redirect permanent / https://apps.lab/
</VirtualHost>

<IfModule mod_ssl.c>
<VirtualHost *:443>
    ServerName apps.lab
    ServerAdmin ops@apps.lab
    SSLEngine on
    SSLCertificateFile /etc/ssl/lab/gw.crt
    SSLCertificateKeyFile /etc/ssl/lab/gw.key
    ProxyRequests Off
    ProxyPreserveHost On
    RequestHeader set X-Forwarded-Proto \"https\"
    Header always edit Location ^http:// https://
    <Location /static>
        ProxyPass !
    </Location>
    RewriteEngine On
    RewriteRule ^/old/(.*)$ http://10.77.0.100/new/$1 [P,L]
    ProxyPass /auth http://10.77.0.100/auth retry=0
    ProxyPassReverse /auth http://10.77.0.100/auth
    ProxyPass / http://10.77.0.100/
    ProxyPassReverse / http://10.77.0.100/
    Include /etc/apache2/snippets/tls.conf
</VirtualHost>
</IfModule>
";

#[test]
fn a_hand_written_site_is_typed_and_means_the_same() {
    let out = run(HAND);
    let s = &out.spec;
    let sum = &out.summaries[0];
    assert!(sum.errors.is_empty(), "{:?}", sum.errors);
    assert!(
        sum.items
            .iter()
            .all(|i| !i.why.contains("typed form differed")),
        "{}",
        sum.text()
    );
    assert_eq!(s.vhosts.len(), 1, "{s:#?}");
    let v = &s.vhosts[0];
    assert!(v.redirect_http);
    assert_eq!(v.tls.as_ref().unwrap().key, "/etc/ssl/lab/gw.key");
    assert_eq!(v.routes.len(), 2);
    assert_eq!(v.server_admin.as_deref(), Some("ops@apps.lab"));
    assert_eq!(v.proxy_preserve_host, Some(true));
    assert_eq!(v.routes[0].retry, Some(0));
    assert_eq!(v.rewrites.len(), 1);
    assert_eq!(v.rewrites[0].substitution, "http://10.77.0.100/new/$1");
    assert_eq!(v.rewrites[0].flags.as_deref(), Some("P,L"));
    let raw = v.raw.as_deref().unwrap();
    assert!(
        !raw.contains("ServerAdmin")
            && !raw.contains("RewriteRule")
            && raw.contains("Include /etc/apache2/snippets/tls.conf"),
        "{raw}"
    );
    // mod_rewrite follows from the typed rules: the renderer enables it, the list need not.
    assert!(
        crate::targets::gateway::render::needed_modules(v).contains(&"rewrite")
            && !s.modules.contains(&"rewrite".to_string()),
        "{:?}",
        s.modules
    );
    let rendered = super::super::verify::render_gateway(s).unwrap();
    let d = semantic::differences(
        &normal_text("live", HAND),
        &normal_text("rendered", &rendered),
    );
    assert!(d.is_empty(), "{d:#?}\n{rendered}");
}

#[test]
fn a_catch_all_vhost_first_keeps_its_place() {
    // `ServerName $domain` (a mod_macro parameter) is no name the model takes: raw.
    let text = "<VirtualHost *:80>\n  ServerName $domain\n  DocumentRoot /var/www/html\n</VirtualHost>\n<VirtualHost *:80>\n  ServerName b.example\n</VirtualHost>\n";
    let out = run(text);
    assert_eq!(out.spec.vhosts.len(), 1);
    assert!(out.spec.raw.as_deref().unwrap().contains("DocumentRoot"));
    let rendered = super::super::verify::render_gateway(&out.spec).unwrap();
    assert!(
        semantic::differences(&normal_text("a", text), &normal_text("b", &rendered)).is_empty(),
        "{rendered}"
    );
    // the other way round: the typed one would move behind the raw default, so both stay raw
    let text = "<VirtualHost *:80>\n  ServerName b.example\n</VirtualHost>\n<VirtualHost *:80>\n  ServerName $domain\n  DocumentRoot /var/www/html\n</VirtualHost>\n";
    let out = run(text);
    assert!(out.spec.vhosts.is_empty());
}

#[test]
fn a_vhost_without_server_name_is_typed_in_its_place() {
    let text = "<VirtualHost *:80>\n  DocumentRoot /var/www/html\n</VirtualHost>\n<VirtualHost *:80>\n  ServerName b.example\n</VirtualHost>\n";
    let out = run(text);
    let v = &out.spec.vhosts;
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0].server_name.as_deref(), v[0].document_root.as_deref()),
        (None, Some("/var/www/html"))
    );
    assert!(out.spec.raw.is_none());
    let rendered = super::super::verify::render_gateway(&out.spec).unwrap();
    assert!(
        semantic::differences(&normal_text("a", text), &normal_text("b", &rendered)).is_empty(),
        "{rendered}"
    );
}

#[test]
fn parse_errors_name_the_line_and_the_rest_is_imported() {
    let out = run("<VirtualHost *:80>\n  ServerName a.example\n</Location>\n</VirtualHost>\n");
    assert_eq!(out.summaries[0].errors[0].line, 3);
    assert_eq!(out.summaries[0].errors[0].host.as_deref(), Some("gw"));
}

#[test]
fn exclusions_and_websocket_routes_are_typed() {
    let text = "\
<VirtualHost *:443>
    ServerName app.example.com
    SSLEngine on
    SSLCertificateFile /etc/ssl/a.crt
    SSLCertificateKeyFile /etc/ssl/a.key
    ProxyPreserveHost On
    ProxyRequests Off
    ProxyPass /.well-known !
    ProxyPass /ws/ ws://127.0.0.1:8080/ws/
    ProxyPass / http://127.0.0.1:8080/ retry=0 timeout=300
    ProxyPassReverse /ws/ ws://127.0.0.1:8080/ws/
    ProxyPassReverse / http://127.0.0.1:8080/
</VirtualHost>
";
    let out = run(text);
    assert_eq!(out.spec.vhosts.len(), 1, "{}", out.summaries[0].text());
    let v = &out.spec.vhosts[0];
    assert_eq!(v.no_proxy, ["/.well-known"]);
    assert_eq!(v.routes.len(), 2, "{v:#?}");
    assert_eq!(v.routes[0].upstream, "ws://127.0.0.1:8080/ws/");
    assert_eq!(v.routes[1].timeout, Some(300));
    assert!(v.raw.is_none(), "{:?}", v.raw);
    let rendered = super::super::verify::render_gateway(&out.spec).unwrap();
    let d = semantic::differences(
        &normal_text("live", text),
        &normal_text("rendered", &rendered),
    );
    assert!(d.is_empty(), "{d:#?}\n{rendered}");
}

#[test]
fn proxy_lines_the_renderer_would_reorder_or_unpair_stay_verbatim() {
    for (why, lines) in [
        (
            "an exclusion after the route it carves out of has no effect in httpd",
            "ProxyPass / http://u/\nProxyPassReverse / http://u/\nProxyPass /x !\n",
        ),
        (
            "a route without its reverse line",
            "ProxyPass /a http://u/a\nProxyPass / http://u/\nProxyPassReverse / http://u/\n",
        ),
        (
            "a reverse line for no route",
            "ProxyPass / http://u/\nProxyPassReverse / http://u/\nProxyPassReverse /b http://u/b\n",
        ),
        ("only an exclusion", "ProxyPass /x !\n"),
        (
            "reverse lines in another order than the routes",
            "ProxyPass /a http://u/a\nProxyPass / http://u/\nProxyPassReverse / http://u/\nProxyPassReverse /a http://u/a\n",
        ),
    ] {
        let text = format!("<VirtualHost *:80>\n  ServerName a.example\n{lines}</VirtualHost>\n");
        let out = run(&text);
        let v = &out.spec.vhosts[0];
        assert!(v.routes.is_empty() && v.no_proxy.is_empty(), "{why}: {v:#?}");
        assert!(v.raw.as_deref().unwrap().contains("ProxyPass"), "{why}");
    }
}

fn raw_items(out: &Imported<GatewaySpec>) -> Vec<String> {
    out.summaries[0]
        .items
        .iter()
        .filter(|i| i.fate == crate::import::summary::Fate::Raw)
        .map(|i| i.what.clone())
        .collect()
}

#[test]
fn aliases_env_rules_and_preserve_host_without_routes_are_typed_in_order() {
    let out = run("<VirtualHost *:80>
    ServerName docs.lab
    ProxyPreserveHost On
    ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/
    Alias /doc/ \"/usr/share/doc/\"
    AliasMatch ^/icons/(.*)$ /usr/share/icons/$1
    BrowserMatch \"MSIE [2-6]\" \\
        nokeepalive ssl-unclean-shutdown
    SetEnvIfNoCase Referer ^https?://spam\\. spam !trusted level=3
    <Location />
        ProxyPassReverse http://127.0.0.1:8181
    </Location>
</VirtualHost>
");
    assert!(raw_items(&out).is_empty(), "{}", out.summaries[0].text());
    let v = &out.spec.vhosts[0];
    assert_eq!(v.proxy_preserve_host, Some(true));
    assert!(v.routes.is_empty());
    let kinds: Vec<_> = v.aliases.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            schema::AliasKind::ScriptAlias,
            schema::AliasKind::Alias,
            schema::AliasKind::AliasMatch
        ]
    );
    assert_eq!(v.aliases[1].to, "/usr/share/doc/");
    assert_eq!(v.set_env.len(), 2);
    assert_eq!(v.set_env[0].attribute, "User-Agent");
    assert_eq!(v.set_env[0].pattern, "MSIE [2-6]");
    assert_eq!(v.set_env[0].set, ["nokeepalive", "ssl-unclean-shutdown"]);
    assert!(v.set_env[1].nocase);
    assert_eq!(v.set_env[1].set, ["spam", "!trusted", "level=3"]);
}

#[test]
fn an_alias_or_env_rule_the_model_cannot_hold_keeps_its_whole_class_raw() {
    let out = run("<VirtualHost *:80>
    ServerName docs.lab
    Alias /doc/ /usr/share/doc/
    Alias relative /srv/x
    BrowserMatch ^Mozilla
</VirtualHost>
");
    let v = &out.spec.vhosts[0];
    assert!(v.aliases.is_empty() && v.set_env.is_empty(), "{v:#?}");
    assert_eq!(
        raw_items(&out),
        [
            "Alias /doc/ /usr/share/doc/",
            "Alias relative /srv/x",
            "BrowserMatch ^Mozilla"
        ]
    );
}

#[test]
fn stapling_and_its_cache_are_typed() {
    let out = run(
        "SSLStaplingCache shmcb:/var/run/apache2/stapling_cache(128000)
<VirtualHost *:443>
    ServerName tls.lab
    SSLEngine on
    SSLCertificateFile /etc/ssl/a.crt
    SSLCertificateKeyFile /etc/ssl/a.key
    SSLUseStapling on
</VirtualHost>
",
    );
    assert!(raw_items(&out).is_empty(), "{}", out.summaries[0].text());
    assert_eq!(
        out.spec.ssl_stapling_cache.as_deref(),
        Some("shmcb:/var/run/apache2/stapling_cache(128000)")
    );
    assert_eq!(
        out.spec.vhosts[0].tls.as_ref().unwrap().stapling,
        Some(true)
    );
}

const MACROS: &str = "<Macro VHost $name $domain>
<VirtualHost *:80>
    ServerName $domain
    DocumentRoot /var/www/$name
</VirtualHost>
</Macro>
Use VHost one one.lab
Use vhost two two.lab
<VirtualHost *:80>
    ServerName typed.lab
</VirtualHost>
";

#[test]
fn macros_and_their_uses_are_typed_with_the_body_as_written() {
    let out = run(MACROS);
    let s = &out.spec;
    assert_eq!(s.macros.len(), 1, "{}", out.summaries[0].text());
    assert_eq!(s.macros[0].name, "VHost");
    assert_eq!(s.macros[0].parameters, ["$name", "$domain"]);
    assert_eq!(
        s.macros[0].body,
        "<VirtualHost *:80>\n    ServerName $domain\n    DocumentRoot /var/www/$name\n</VirtualHost>"
    );
    let uses: Vec<_> = s
        .uses
        .iter()
        .map(|u| (u.name.as_str(), u.arguments.join(" ")))
        .collect();
    assert_eq!(
        uses,
        [
            ("VHost", "one one.lab".to_string()),
            ("vhost", "two two.lab".to_string())
        ]
    );
    assert_eq!(s.vhosts.len(), 1);
    assert!(s.raw.is_none());
    // The body is still configuration text: counted as raw, the rest typed.
    assert_eq!(raw_items(&out).len(), 3, "{}", out.summaries[0].text());
}

#[test]
fn a_typed_vhost_before_a_use_stays_raw_so_it_keeps_its_place() {
    let out = run(&format!(
        "<VirtualHost *:80>\n    ServerName first.lab\n</VirtualHost>\n{MACROS}"
    ));
    let s = &out.spec;
    assert_eq!(s.uses.len(), 2, "{}", out.summaries[0].text());
    assert!(s
        .raw
        .as_deref()
        .unwrap_or("")
        .contains("ServerName first.lab"));
    let names: Vec<_> = s.vhosts.iter().map(|v| v.server_name.clone()).collect();
    assert_eq!(names, [Some("typed.lab".to_string())]);
}

#[test]
fn macros_stay_raw_when_a_use_does_not_match_a_definition() {
    // A use of a macro defined elsewhere, or with too few arguments.
    let undefined = "Use Elsewhere a\n<VirtualHost *:80>\n    ServerName b.lab\n</VirtualHost>\n";
    let short = MACROS.replace("Use VHost one one.lab", "Use VHost one");
    // Written before the macros, these would change what the uses make.
    let undef = format!("{MACROS}UndefMacro VHost\n");
    let define = format!("{MACROS}Define site other\n");
    // A macro inside a macro: its body could not be written back as one.
    let nested = MACROS.replace(
        "<VirtualHost *:80>\n    ServerName $domain",
        "<Macro Inner>\nServerName x\n</Macro>\n<VirtualHost *:80>\n    ServerName $domain",
    );
    for text in [undefined, &short, &undef, &define, &nested] {
        let out = run(text);
        assert!(
            out.spec.macros.is_empty() && out.spec.uses.is_empty(),
            "{text}"
        );
        assert!(
            out.spec.raw.as_deref().unwrap_or("").contains("Use "),
            "{text}"
        );
    }
}

#[test]
fn proxy_sections_balancers_and_handlers_are_typed() {
    let text = "\
<VirtualHost *:80>
    ServerName www.example.org
    <Proxy *>
        Require all granted
    </Proxy>
    <Proxy balancer://mycluster>
        BalancerMember http://10.0.0.11:8080 route=1
        BalancerMember http://10.0.0.12:8080 route=2
        ProxySet lbmethod=byrequests stickysession=JSESSIONID
    </Proxy>
    ProxyPass / balancer://mycluster/
    ProxyPassReverse / balancer://mycluster/
    <Location /server-status>
        SetHandler server-status
        Require ip 10.0.0.0/8
    </Location>
</VirtualHost>
";
    let out = run(text);
    assert!(raw_items(&out).is_empty(), "{}", out.summaries[0].text());
    let v = &out.spec.vhosts[0];
    let b = v
        .sections
        .iter()
        .find(|s| s.path == "balancer://mycluster")
        .unwrap();
    assert_eq!(b.balancer_members.len(), 2);
    assert_eq!(
        b.proxy_set,
        ["lbmethod=byrequests", "stickysession=JSESSIONID"]
    );
    assert_eq!(v.routes[0].upstream, "balancer://mycluster/");
    let status = v
        .sections
        .iter()
        .find(|s| s.path == "/server-status")
        .unwrap();
    assert_eq!(status.handler.as_deref(), Some("server-status"));
    let rendered = super::super::verify::render_gateway(&out.spec).unwrap();
    let d = semantic::differences(
        &normal_text("live", text),
        &normal_text("rendered", &rendered),
    );
    assert!(d.is_empty(), "{d:#?}\n{rendered}");
    // A member outside a <Proxy> section is no balancer: the class stays verbatim.
    let text = "<VirtualHost *:80>\n  ServerName a.example\n  <Location /x>\n    BalancerMember http://10.0.0.1:80\n  </Location>\n</VirtualHost>\n";
    assert!(run(text).spec.vhosts[0].sections.is_empty());
}
