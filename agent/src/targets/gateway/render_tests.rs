use super::*;
use crate::rendered::{state_from, TEST_INVENTORY};

fn files(spec: &str) -> Vec<ManagedFile> {
    let doc = format!("apiVersion: agent/v1\nkind: Gateway\nmetadata: {{name: g}}\nspec:\n{spec}");
    let s = state_from(&[("inv.yaml", TEST_INVENTORY), ("g.yaml", &doc)]);
    render(&s, &s.gateways[0]).unwrap()
}

#[test]
fn plain_vhost_defaults() {
    let f = &files("  vhosts: [{serverName: a.example}]\n")[0];
    assert_eq!(f.host, "gw");
    assert_eq!(f.path, "/etc/apache2/sites-enabled/agent-g.conf");
    assert_eq!(f.reload.as_deref(), Some("apache2ctl graceful"));
    // The check validates a staged copy of the tree with the site in its final place.
    assert!(
        f.check
            .contains("cp {file} \"$t/sites-enabled/agent-g.conf\""),
        "{}",
        f.check
    );
    assert!(
        f.check.ends_with("APACHE_CONFDIR=\"$t\" apache2ctl -t"),
        "{}",
        f.check
    );
    assert!(f.modules.is_empty(), "{:?}", f.modules);
    let body = f.content.split_once("\n\n").unwrap().1;
    // No routes: no proxy directives at all (mod_proxy need not be loaded).
    assert_eq!(
        body,
        "<VirtualHost *:80>\n    ServerName a.example\n</VirtualHost>\n"
    );
}

/// The `ProxyPass` lines of a rendered site, in order.
fn proxy_passes(content: &str) -> Vec<&str> {
    content
        .lines()
        .filter(|l| l.contains("ProxyPass "))
        .collect()
}

#[test]
fn longer_routes_come_first_whatever_the_document_order() {
    let f = &files(
        "  vhosts:
    - serverName: a
      routes:
        - {path: /a, upstream: 'http://u/a'}
        - {path: /a/api, upstream: 'http://api/', retry: 0}
        - {path: /b, upstream: 'http://u/b'}
",
    )[0];
    let passes = proxy_passes(&f.content);
    assert_eq!(
        passes,
        [
            "    ProxyPass /a/api http://api/ retry=0",
            "    ProxyPass /a http://u/a",
            "    ProxyPass /b http://u/b"
        ]
    );
    assert!(f
        .content
        .contains("    ProxyRequests Off\n    ProxyPreserveHost On\n"));
    assert_eq!(f.modules, ["proxy", "proxy_http"]);
}

#[test]
fn exclusions_sit_among_the_routes_by_length_and_ws_needs_wstunnel() {
    let f = &files(
        "  vhosts:
    - serverName: a
      noProxy: [/.well-known, /a/static]
      routes:
        - {path: /, upstream: 'http://u/'}
        - {path: /a, upstream: 'http://u/a'}
        - {path: /ws/, upstream: 'ws://u:8080/ws/'}
",
    )[0];
    let passes = proxy_passes(&f.content);
    assert_eq!(
        passes,
        [
            "    ProxyPass /.well-known !",
            "    ProxyPass /a/static !",
            "    ProxyPass /ws/ ws://u:8080/ws/",
            "    ProxyPass /a http://u/a",
            "    ProxyPass / http://u/"
        ]
    );
    assert!(!f.content.contains("ProxyPassReverse /.well-known"));
    assert_eq!(f.modules, ["proxy", "proxy_http", "proxy_wstunnel"]);
}

#[test]
fn values_are_quoted_and_quotes_escaped() {
    let f = &files(
        r#"  vhosts:
    - serverName: a
      requestHeaders: [{name: X-Note, value: 'say "hi"'}]
      responseHeaders:
        - {action: unset, name: Server, always: true}
        - {action: add, name: X-A, value: 'b c'}
      cacheControl: [{match: '\.css$', value: 'max-age=60'}]
"#,
    )[0];
    assert!(
        f.content
            .contains(r#"    RequestHeader set X-Note "say \"hi\"""#),
        "{}",
        f.content
    );
    assert!(f.content.contains("    Header always unset Server\n"));
    assert!(f.content.contains("    Header add X-A \"b c\"\n"));
    assert!(f.content.contains("    <LocationMatch \"\\.css$\">\n        Header set Cache-Control \"max-age=60\"\n    </LocationMatch>\n"), "{}", f.content);
    assert_eq!(f.modules, ["headers"]);
}

#[test]
fn tls_on_another_port_listens_and_redirects_there() {
    let f = &files(
        "  modules: [rewrite]
  vhosts:
    - serverName: a
      port: 8443
      redirectHttp: true
      tls: {certificate: /c.crt, key: /c.key, chain: /chain.crt}
",
    )[0];
    assert!(f.content.contains("\nListen 8443\n"), "{}", f.content);
    assert!(f
        .content
        .contains("    Redirect permanent / https://a:8443/\n"));
    assert!(f
        .content
        .contains("<VirtualHost *:8443>\n    ServerName a\n    SSLEngine on\n"));
    assert!(f
        .content
        .contains("    SSLCertificateChainFile /chain.crt\n"));
    assert_eq!(f.modules, ["alias", "rewrite", "ssl"]);
}

#[test]
fn site_name_host_override_and_raw() {
    let doc =
        "apiVersion: agent/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  siteName: portal\n  \
               vhosts: [{serverName: a, raw: \"# one\\nKeepAlive On\\n\"}]\n";
    let inv = TEST_INVENTORY.replace(
        "{name: gw, address: 10.0.0.10, roles: [gateway]}",
        "{name: gw, address: 10.0.0.10, roles: [gateway], overrides: {apacheSite: /etc/httpd/conf.d/p.conf, apacheReload: 'systemctl reload httpd'}}",
    );
    let s = state_from(&[("inv.yaml", &inv), ("g.yaml", doc)]);
    let f = &render(&s, &s.gateways[0]).unwrap()[0];
    assert_eq!(f.path, "/etc/httpd/conf.d/p.conf");
    assert_eq!(f.reload.as_deref(), Some("systemctl reload httpd"));
    assert!(
        f.content.ends_with(
            "    # raw (verbatim from the document)\n    # one\n    KeepAlive On\n</VirtualHost>\n"
        ),
        "{}",
        f.content
    );
    let default = files("  siteName: portal\n  vhosts: [{serverName: a}]\n");
    assert_eq!(default[0].path, "/etc/apache2/sites-enabled/portal.conf");
}

#[test]
fn redirect_match_default_status() {
    let f =
        &files("  vhosts: [{serverName: a, redirects: [{match: '^/old/(.*)$', to: '/new/$1'}]}]\n")
            [0];
    assert!(
        f.content
            .contains("    RedirectMatch 302 \"^/old/(.*)$\" \"/new/$1\"\n"),
        "{}",
        f.content
    );
}

#[test]
fn modules_are_enabled_in_the_staged_check_and_before_the_reload() {
    let f = &files(
        "  vhosts: [{serverName: a, routes: [{path: /x, upstream: 'http://10.77.0.100/x'}]}]\n",
    )[0];
    assert!(
        f.check
            .contains("APACHE_CONFDIR=\"$t\" a2enmod -q proxy proxy_http"),
        "{}",
        f.check
    );
    assert_eq!(
        f.reload.as_deref(),
        Some("a2enmod -q proxy proxy_http >/dev/null && apache2ctl graceful")
    );
}

#[test]
fn a_site_outside_etc_apache2_is_checked_in_place() {
    assert_eq!(default_check("/srv/www/site.conf", &[]), "apache2ctl -t");
}

/// A fresh self-signed pair from `openssl` (None where it is not installed).
fn openssl_pair(dir: &std::path::Path, name: &str) -> Option<(String, String)> {
    let (k, c) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.crt")),
    );
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=t", "-keyout"])
        .args([&k, &std::path::PathBuf::from("-out"), &c])
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?
        .success();
    ok.then(|| {
        (
            std::fs::read_to_string(c).unwrap(),
            std::fs::read_to_string(k).unwrap(),
        )
    })
}

fn tls_spec(cert: &str, key: &str) -> String {
    let block = |s: &str| {
        s.trim()
            .lines()
            .map(|l| format!("          {l}\n"))
            .collect::<String>()
    };
    format!(
        "  vhosts:
    - serverName: a
      tls:
        certificate: /etc/ssl/a.crt
        key: /etc/ssl/private/a.key
        certificatePem: |
{}        keyPem: |
{}",
        block(cert),
        block(key)
    )
}

const CERT: &str = "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nREVG\n-----END PRIVATE KEY-----";

#[test]
fn inline_tls_material_becomes_support_files_certificate_0644_key_0600() {
    let f = files(&tls_spec(CERT, KEY));
    let summary: Vec<_> = f
        .iter()
        .map(|f| (f.path.as_str(), format!("{:o}", f.mode), f.is_support()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "/etc/apache2/sites-enabled/agent-g.conf",
                "644".into(),
                false
            ),
            ("/etc/ssl/a.crt", "644".into(), true),
            ("/etc/ssl/private/a.key", "600".into(), true),
        ]
    );
    assert_eq!(f[1].content, format!("{CERT}\n"));
    assert_eq!(f[2].content, format!("{KEY}\n"));
    assert!(f[1].reload.is_none() && f[2].reload.is_none());
    assert!(f[1].modules.is_empty() && f[2].modules.is_empty());
    // The key's check holds the (public) certificate to compare with, never the key.
    assert!(
        f[2].check.contains("QUJD") && !f[2].check.contains("REVG"),
        "{}",
        f[2].check
    );
    // The site still names the paths.
    assert!(f[0]
        .content
        .contains("SSLCertificateKeyFile /etc/ssl/private/a.key"));
}

#[test]
fn paths_only_tls_renders_no_support_files() {
    let f = files("  vhosts: [{serverName: a, tls: {certificate: /c, key: /k}}]\n");
    assert_eq!(f.len(), 1);
}

#[test]
fn two_vhosts_may_share_material_only_with_the_same_content() {
    let one = tls_spec(CERT, KEY);
    let second = one
        .split_once("  vhosts:\n")
        .unwrap()
        .1
        .replace("serverName: a", "serverName: b");
    let f = files(&format!("{one}{second}"));
    assert_eq!(f.len(), 3, "shared files are written once");

    let other = second.replace("REVG", "R0hJ");
    let doc =
        format!("apiVersion: agent/v1\nkind: Gateway\nmetadata: {{name: g}}\nspec:\n{one}{other}");
    let s = state_from(&[("inv.yaml", TEST_INVENTORY), ("g.yaml", &doc)]);
    let e = render(&s, &s.gateways[0]).unwrap_err().to_string();
    assert!(
        e.contains("/etc/ssl/private/a.key") && e.contains("two different contents"),
        "{e}"
    );
}

/// The key's check, run as the apply runs it: passes for the certificate's own key,
/// rejects another key (a mismatched pair would make Apache's reload fail).
#[test]
fn key_check_rejects_a_key_that_does_not_match_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (Some((cert, key)), Some((_, other))) =
        (openssl_pair(dir.path(), "a"), openssl_pair(dir.path(), "b"))
    else {
        test_skip::skip!("openssl is not installed (bash tests/setup installs it)");
    };
    let run = |key: &str| {
        let f = files(&tls_spec(&cert, key)).remove(2);
        let staged = dir.path().join("staged.key");
        std::fs::write(&staged, &f.content).unwrap();
        let script = f.check.replace("{file}", &staged.display().to_string());
        std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap()
    };
    assert!(run(&key).status.success());
    let bad = run(&other);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("does not match"));
}

#[test]
fn site_settings_tls_settings_and_rewrites() {
    let f = &files(
        r#"  vhosts:
    - serverName: YOUR_SERVER_FQDN
      logFormats: [{format: '%h "%r" %>s', nickname: short}]
      customLogs: [/var/log/a.log short]
      serverSignature: Off
      errorDocuments: {404: /404.html, 503: '"Down for maintenance"'}
      tls:
        certificate: /c.pem
        key: /k.pem
        protocol: all -SSLv3
        cipherSuite: HIGH:!aNULL
        honorCipherOrder: true
        compression: false
      rewrites:
        - conditions: [{test: '%{HTTPS}', pattern: '!=on', flags: OR}, {test: '%{REQUEST_URI}', pattern: ^/up/.*}]
          pattern: .*
          substitution: https://%{SERVER_NAME}%{REQUEST_URI}
          flags: NE,R,L
"#,
    )[0];
    assert!(
        f.modules.contains(&"rewrite".to_string()),
        "{:?}",
        f.modules
    );
    let body: Vec<&str> = f
        .content
        .lines()
        .skip_while(|l| !l.starts_with("<VirtualHost"))
        .collect();
    assert_eq!(
        body,
        [
            "<VirtualHost *:443>",
            "    ServerName YOUR_SERVER_FQDN",
            "    CustomLog /var/log/a.log short",
            "    LogFormat \"%h \\\"%r\\\" %>s\" short",
            "    ServerSignature Off",
            "    ErrorDocument 404 /404.html",
            "    ErrorDocument 503 \"Down for maintenance\"",
            "    SSLEngine on",
            "    SSLCertificateFile /c.pem",
            "    SSLCertificateKeyFile /k.pem",
            "    SSLProtocol all -SSLv3",
            "    SSLCipherSuite \"HIGH:!aNULL\"",
            "    SSLHonorCipherOrder On",
            "    SSLCompression Off",
            "    RewriteEngine On",
            "    RewriteCond %{HTTPS} !=on [OR]",
            "    RewriteCond %{REQUEST_URI} ^/up/.*",
            "    RewriteRule .* https://%{SERVER_NAME}%{REQUEST_URI} [NE,R,L]",
            "</VirtualHost>",
        ]
    );
}

#[test]
fn sections_with_access_settings() {
    let f = &files(
        r#"  vhosts:
    - serverName: a.example
      sections:
        - {kind: directory, path: /usr/lib/cgi-bin, options: [+ExecCGI, -MultiViews], allowOverride: [None], order: "deny,allow", denyFrom: [all], allowFrom: [127.0.0.0/255.0.0.0 ::1/128]}
        - {kind: location, path: /, require: [all granted], proxyPassReverse: [http://127.0.0.1:8181]}
        - {kind: filesMatch, path: '\.(cgi|php)$', sslOptions: [+StdEnvVars]}
"#,
    )[0];
    for m in ["access_compat", "proxy", "ssl"] {
        assert!(f.modules.contains(&m.to_string()), "{m}: {:?}", f.modules);
    }
    let body: Vec<&str> = f
        .content
        .lines()
        .skip_while(|l| !l.starts_with("<VirtualHost"))
        .collect();
    assert_eq!(
        body[2..],
        [
            "    <Directory \"/usr/lib/cgi-bin\">",
            "        Options +ExecCGI -MultiViews",
            "        AllowOverride None",
            "        Order deny,allow",
            "        Allow from 127.0.0.0/255.0.0.0 ::1/128",
            "        Deny from all",
            "    </Directory>",
            "    <Location \"/\">",
            "        Require all granted",
            "        ProxyPassReverse http://127.0.0.1:8181",
            "    </Location>",
            "    <FilesMatch \"\\.(cgi|php)$\">",
            "        SSLOptions +StdEnvVars",
            "    </FilesMatch>",
            "</VirtualHost>",
        ]
    );
}

#[test]
fn vhost_addresses_replace_the_star_and_aim_the_probe() {
    let spec = "  vhosts:
    - serverName: a.example
      addresses: ['10.2.3.4:8443', '[::1]:8443']
      port: 8443
      routes: [{path: /, upstream: 'http://10.0.0.5/'}]
";
    let f = &files(spec)[0];
    assert!(
        f.content.contains("Listen 8443\n")
            && f.content
                .contains("\n<VirtualHost 10.2.3.4:8443 [::1]:8443>\n"),
        "{}",
        f.content
    );
    let s = state_from(&[
        ("inv.yaml", TEST_INVENTORY),
        (
            "g.yaml",
            &format!("apiVersion: agent/v1\nkind: Gateway\nmetadata: {{name: g}}\nspec:\n{spec}"),
        ),
    ]);
    let probe = super::super::health::gateway_probe_script(&s.gateways[0].doc.spec);
    assert!(
        probe.contains("--resolve a.example:8443:10.2.3.4 "),
        "{probe}"
    );
}

fn body_lines(f: &ManagedFile) -> Vec<&str> {
    f.content
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect()
}

#[test]
fn preserve_host_is_on_with_routes_and_written_without_them_only_when_given() {
    let with_routes =
        &files("  vhosts: [{serverName: a, routes: [{path: /, upstream: 'http://u/'}]}]\n")[0];
    assert!(with_routes.content.contains("    ProxyPreserveHost On\n"));
    let off = &files("  vhosts: [{serverName: a, proxyPreserveHost: false, routes: [{path: /, upstream: 'http://u/'}]}]\n")[0];
    assert!(
        off.content.contains("    ProxyPreserveHost Off\n"),
        "{}",
        off.content
    );
    let bare = &files("  vhosts: [{serverName: a}]\n")[0];
    assert!(!bare.content.contains("ProxyPreserveHost"));
    let given = &files("  vhosts: [{serverName: a, proxyPreserveHost: true}]\n")[0];
    assert!(given.content.contains("    ProxyPreserveHost On\n"));
    assert!(!given.content.contains("ProxyRequests"));
    assert_eq!(given.modules, ["proxy"], "mod_proxy holds the directive");
    let default_off = &files("  vhosts: [{serverName: a, proxyPreserveHost: false}]\n")[0];
    assert!(!default_off.content.contains("ProxyPreserveHost"));
    assert!(default_off.modules.is_empty(), "{:?}", default_off.modules);
}

#[test]
fn aliases_and_env_rules_are_written_in_order_with_their_modules() {
    let f = &files(
        "  vhosts:
    - serverName: a
      aliases:
        - {kind: scriptAlias, url: /cgi-bin/, to: /usr/lib/cgi-bin/}
        - {url: /doc/, to: /usr/share/doc/}
        - {kind: aliasMatch, url: '^/i/(.*)$', to: '/srv/i/$1'}
      setEnv:
        - {attribute: User-Agent, match: 'MSIE [2-6]', set: [nokeepalive, ssl-unclean-shutdown]}
        - {attribute: Referer, match: '^https?://spam', nocase: true, set: [spam, '!trusted', 'note=a b']}
",
    )[0];
    let lines = body_lines(f);
    let at = |s: &str| {
        lines
            .iter()
            .position(|l| *l == s)
            .unwrap_or_else(|| panic!("{s} in {lines:#?}"))
    };
    assert!(
        at("    ScriptAlias \"/cgi-bin/\" \"/usr/lib/cgi-bin/\"")
            < at("    Alias \"/doc/\" \"/usr/share/doc/\"")
    );
    at("    AliasMatch \"^/i/(.*)$\" \"/srv/i/$1\"");
    assert!(
        at("    BrowserMatch \"MSIE [2-6]\" nokeepalive ssl-unclean-shutdown")
            < at("    SetEnvIfNoCase Referer \"^https?://spam\" spam !trusted \"note=a b\"")
    );
    assert_eq!(f.modules, ["alias", "setenvif"]);
}

#[test]
fn macros_come_after_the_raw_lines_and_before_the_typed_vhosts() {
    let f = &files(
        "  sslStaplingCache: shmcb:/run/stapling(128000)
  raw: |
    ServerTokens Prod
  macros:
    - name: Site
      parameters: [$host]
      body: |
        <VirtualHost *:80>
            ServerName $host
        </VirtualHost>
  uses:
    - {macro: Site, arguments: [one.lab]}
  vhosts:
    - serverName: a
      tls: {certificate: /c, key: /k, stapling: true}
",
    )[0];
    let lines = body_lines(f);
    let at = |s: &str| {
        lines
            .iter()
            .position(|l| *l == s)
            .unwrap_or_else(|| panic!("{s} in {lines:#?}"))
    };
    assert!(at("SSLStaplingCache shmcb:/run/stapling(128000)") < at("ServerTokens Prod"));
    assert!(at("ServerTokens Prod") < at("<Macro Site $host>"));
    assert!(at("<Macro Site $host>") < at("    ServerName $host"));
    assert!(at("    ServerName $host") < at("</Macro>"));
    assert!(at("</Macro>") < at("Use Site one.lab"));
    assert!(at("Use Site one.lab") < at("<VirtualHost *:443>"));
    at("    SSLUseStapling On");
    assert_eq!(f.modules, ["macro", "ssl"]);
}

#[test]
fn a_balancer_section_renders_its_members_and_enables_its_modules() {
    let f = &files(
        "  vhosts:
    - serverName: a
      sections:
        - kind: proxy
          path: balancer://web
          balancerMembers: ['http://10.0.0.11:8080 route=1', 'http://10.0.0.12:8080 route=2']
          proxySet: [lbmethod=bybusyness, stickysession=JSESSIONID]
        - {kind: location, path: /status, handler: server-status, require: [ip 10.0.0.0/8]}
      routes:
        - {path: /, upstream: 'balancer://web/'}
",
    )[0];
    assert!(
        f.content.contains(
            "    <Proxy \"balancer://web\">\n        BalancerMember http://10.0.0.11:8080 route=1\n        BalancerMember http://10.0.0.12:8080 route=2\n        ProxySet lbmethod=bybusyness stickysession=JSESSIONID\n    </Proxy>\n"
        ),
        "{}",
        f.content
    );
    assert!(f
        .content
        .contains("        Require ip 10.0.0.0/8\n        SetHandler server-status\n"));
    assert!(f.content.contains("    ProxyPass / balancer://web/\n"));
    for m in [
        "proxy",
        "proxy_balancer",
        "lbmethod_bybusyness",
        "proxy_http",
    ] {
        assert!(f.modules.iter().any(|x| x == m), "{m}: {:?}", f.modules);
    }
    assert!(!f.modules.iter().any(|x| x == "lbmethod_byrequests"));
}
