use super::*;
use crate::render::{state_from, TEST_INVENTORY};

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
    let passes: Vec<_> = f
        .content
        .lines()
        .filter(|l| l.contains("ProxyPass "))
        .collect();
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
