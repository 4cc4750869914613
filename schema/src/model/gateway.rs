//! `Gateway`: the Apache httpd front door (virtual hosts, TLS, context routes).

use super::gateway_parts::{AliasRule, Macro, MacroUse, SetEnvRule};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatewaySpec {
    /// Hosts this gateway is deployed on; default: every inventory host with role `gateway`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Site file name: `/etc/apache2/sites-enabled/<siteName>.conf` (default `agent-<metadata.name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
    /// Apache modules the site needs (`ssl`, `proxy`, `proxy_http`, `headers`, `rewrite`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vhosts: Vec<VirtualHost>,
    /// `SSLStaplingCache` (server-wide; `shmcb:/var/run/apache2/stapling_cache(128000)`):
    /// where OCSP responses are cached for the vhosts with `tls.stapling`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_stapling_cache: Option<String>,
    /// mod_macro definitions (written before the `uses`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub macros: Vec<Macro>,
    /// mod_macro `Use` lines, in order (written after the `raw` lines, before the typed
    /// virtual hosts: a virtual host a macro makes comes first on its address).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<MacroUse>,
    /// Escape hatch: lines copied verbatim into the site file before the virtual hosts
    /// (server-level directives, virtual hosts the model cannot express).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VirtualHost {
    /// `ServerName`. Without one the virtual host answers only as the default of its
    /// address (httpd gives it the server's own name); it is then not probed by the
    /// health check or `agent drill`, which address virtual hosts by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// `ServerAlias` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_aliases: Vec<String>,
    /// `ServerAdmin` (an e-mail address or URL shown on error pages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_admin: Option<String>,
    /// `DocumentRoot`, as written (quotes included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_root: Option<String>,
    /// `ErrorLog` target, as written (`${APACHE_LOG_DIR}/error.log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_log: Option<String>,
    /// `LogLevel`, as written (`warn`, `info ssl:warn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    /// `CustomLog` lines, each the arguments as written (`${APACHE_LOG_DIR}/access.log combined`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_logs: Vec<String>,
    /// `LogFormat` definitions (a format string and the nickname `CustomLog` uses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_formats: Vec<LogFormat>,
    /// `ServerSignature`: the footer of server-generated pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_signature: Option<ServerSignature>,
    /// `ErrorDocument STATUS TARGET`: per HTTP error status (400-599), a local path
    /// (`/404.html`), a URL, or a quoted message, as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_documents: BTreeMap<u16, String>,
    /// Port of the `<VirtualHost *:PORT>` (default 443 with TLS, 80 without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The `<VirtualHost>` addresses, when not `*:PORT`: `10.2.3.4:443`,
    /// `_default_:443`, `*:80 [::]:80`... Each on the virtual host's port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
    /// Add a `*:80` virtual host that redirects every request to HTTPS.
    #[serde(default)]
    pub redirect_http: bool,
    /// `ProxyPreserveHost`: the client's `Host` header goes upstream. Default: On with
    /// `routes` (`ProxyRequests` is then always Off: this is a reverse proxy). Without
    /// routes (proxying by `sections` or `rewrites`) it is written only when On, since
    /// Off is httpd's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_preserve_host: Option<bool>,
    /// `AllowEncodedSlashes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_encoded_slashes: Option<EncodedSlashes>,
    /// `RequestHeader set NAME VALUE` (e.g. X-Forwarded-Proto https, X-Forwarded-Port 443).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_headers: Vec<HeaderSet>,
    /// Response header edits (`Header edit Location ^http:// https://`, `Header set ...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_headers: Vec<ResponseHeader>,
    /// `Cache-Control` for requests whose path matches a regex (static files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_control: Vec<CacheRule>,
    /// Context routes: path prefix → upstream URL (`ProxyPass` + `ProxyPassReverse`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// Paths that are never proxied (`ProxyPass PATH !`), e.g. `/.well-known` left to the
    /// gateway itself under a `/` route. Rendered among the routes, longest path first,
    /// so an exclusion precedes the routes it carves out of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_proxy: Vec<String>,
    /// `Alias`/`ScriptAlias` (and `…Match`) mappings, in order (the first that matches wins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<AliasRule>,
    /// `SetEnvIf`/`BrowserMatch` rules, in order (a later one overrides an earlier one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_env: Vec<SetEnvRule>,
    /// `RedirectMatch` rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<RedirectRule>,
    /// `<Directory>`, `<Location>` and `<Files>` sections with their access settings,
    /// in order within each kind (httpd merges sections of one kind in file order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<PathSection>,
    /// mod_rewrite rules, in order (rendered after `RewriteEngine On`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewrites: Vec<Rewrite>,
    /// Escape hatch: lines copied verbatim at the end of the virtual host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tls {
    /// `SSLCertificateFile` path on the gateway host.
    pub certificate: String,
    /// `SSLCertificateKeyFile` path on the gateway host.
    pub key: String,
    /// `SSLCertificateChainFile` path, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// `SSLCACertificateFile`: CAs for client certificates, a path on the gateway host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<String>,
    /// `SSLProtocol`, as written (`all -SSLv3 -TLSv1 -TLSv1.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// `SSLCipherSuite`, an OpenSSL cipher list (`HIGH:!aNULL:!MD5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<String>,
    /// `SSLHonorCipherOrder`: the server's cipher order wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_cipher_order: Option<bool>,
    /// `SSLCompression` (off by default; on allows CRIME attacks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<bool>,
    /// `SSLUseStapling`: staple OCSP responses (needs the gateway's `sslStaplingCache`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stapling: Option<bool>,
    /// The certificate itself (PEM, public): when given, agent writes it to
    /// `certificate` on every gateway host (mode 0644) before the site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_pem: Option<String>,
    /// The private key (PEM): a secret, so sops-encrypt it in the repo. When given,
    /// agent writes it to `key` on every gateway host (mode 0600) before the site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_pem: Option<String>,
}

/// The value an encrypted secret has when it was checked without a key
/// (`agent validate` with no age identity): checks of its content are skipped.
pub const ENCRYPTED_PLACEHOLDER: &str = "encrypted-not-decrypted";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum EncodedSlashes {
    On,
    Off,
    NoDecode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HeaderSet {
    pub name: String,
    pub value: String,
}

/// One `Header` directive on responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResponseHeader {
    pub action: HeaderAction,
    pub name: String,
    /// Value for `set`/`append`/`add`; regex for `edit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Replacement for `edit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// Use `Header always ...` (also on error responses and redirects).
    #[serde(default)]
    pub always: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HeaderAction {
    Set,
    Append,
    Add,
    Unset,
    Edit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CacheRule {
    /// Regex on the request path (`LocationMatch`), e.g. `\.(css|js|png|svg)$`.
    #[serde(rename = "match")]
    pub path_match: String,
    /// `Cache-Control` value, e.g. `public, max-age=86400`.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Route {
    /// Context path, starting with `/` (`/app`, `/auth`).
    pub path: String,
    /// Upstream URL (`http://10.77.0.100/auth`), usually the balancers' VIP.
    pub upstream: String,
    /// `connectiontimeout=` seconds on the ProxyPass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<u32>,
    /// `timeout=` seconds on the ProxyPass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// `retry=` seconds (0 = retry a failed upstream at once; good for a single VIP upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<u32>,
    /// The status `agent drill` expects from this route through the gateway (default:
    /// any success or redirect, 200-399). Not rendered into Apache's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RedirectRule {
    /// Regex on the request path.
    #[serde(rename = "match")]
    pub path_match: String,
    /// Target URL or path (may use `$1`...).
    pub to: String,
    /// HTTP status (301, 302, 303, 307, 308; default 302).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServerSignature {
    On,
    Off,
    EMail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LogFormat {
    /// The format string, e.g. `%h %l %u %t "%r" %>s %b`.
    pub format: String,
    /// The name `CustomLog` refers to (`common_forwarded`); none sets the default format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
}

/// One `RewriteRule` and the `RewriteCond`s before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rewrite {
    /// Conditions, all of which must hold (a condition with flag `OR` is ORed with the next).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<RewriteCondition>,
    /// Regex on the URL path, e.g. `^/old/(.*)$` (`!` negates).
    pub pattern: String,
    /// The new URL or path (`https://%{SERVER_NAME}%{REQUEST_URI}`), or `-` for none.
    pub substitution: String,
    /// Flags without brackets, comma-separated (`R=301,L`, `P,QSA,NE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RewriteCondition {
    /// The test string, e.g. `%{HTTPS}` or `%{REQUEST_FILENAME}`.
    pub test: String,
    /// What it must match: a regex, `!=on`, `-f`, `-d`...
    pub pattern: String,
    /// Flags without brackets (`NC`, `OR`, `NV`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<String>,
}

/// A `<Directory>`, `<Location>`, `<Files>` or `<Proxy>` section (or its `…Match`
/// form) and the access settings it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PathSection {
    pub kind: SectionKind,
    /// The directory, URL path or file name; a regex for the `…Match` kinds.
    pub path: String,
    /// `Options`: keywords (`Indexes`, `FollowSymLinks`, `None`...), all of them with
    /// `+`/`-` (changing the inherited set) or none (replacing it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// `AllowOverride`: what `.htaccess` files may change (`None`, `All`, `AuthConfig`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_override: Vec<String>,
    /// `Require` lines, each after the keyword (`all granted`, `ip 10.0.0.0/8`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<String>,
    /// `Order` of the Apache 2.2 access rules (mod_access_compat): `allow,deny`,
    /// `deny,allow` or `mutual-failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// `Allow from ...` lines, each the hosts after `from` (`all`, `10.0.0.0/8 ::1/128`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_from: Vec<String>,
    /// `Deny from ...` lines, each the hosts after `from`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_from: Vec<String>,
    /// `SSLOptions` (`+StdEnvVars`, `+ExportCertData`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssl_options: Vec<String>,
    /// `ProxyPassReverse URL` lines of a `<Location>` (the path is the section's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_pass_reverse: Vec<String>,
    /// `SetHandler` (`server-status`, `balancer-manager`, `none`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// `BalancerMember` lines of a `<Proxy balancer://NAME>` section, each its URL
    /// and parameters as written (`http://10.0.0.11:8080 route=1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub balancer_members: Vec<String>,
    /// `ProxySet` parameters of a `<Proxy>` section (`lbmethod=byrequests`,
    /// `stickysession=JSESSIONID`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_set: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SectionKind {
    Directory,
    DirectoryMatch,
    Location,
    LocationMatch,
    Files,
    FilesMatch,
    /// `<Proxy URL>`: settings for what is proxied to URL (`*`, `balancer://NAME`).
    Proxy,
    ProxyMatch,
}

impl SectionKind {
    /// The section's name in httpd's configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Directory => "Directory",
            SectionKind::DirectoryMatch => "DirectoryMatch",
            SectionKind::Location => "Location",
            SectionKind::LocationMatch => "LocationMatch",
            SectionKind::Files => "Files",
            SectionKind::FilesMatch => "FilesMatch",
            SectionKind::Proxy => "Proxy",
            SectionKind::ProxyMatch => "ProxyMatch",
        }
    }
}
