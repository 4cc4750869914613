//! `Balancer`: the HAProxy configuration shared by the balancer pair.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::balancer_sections::{Cache, FcgiApp, Peers, SslDefaults, StatsOptions, Userlist};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BalancerSpec {
    /// Hosts this balancer runs on; default: every inventory host with role `balancer`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub global: Global,
    /// The `defaults` section of every proxy that names none with `from`; written
    /// after `namedDefaults`, so it is the last one before the proxies.
    #[serde(default)]
    pub defaults: Defaults,
    /// Named `defaults` sections (HAProxy 2.4+), in order: a frontend or backend (or a
    /// later named section, or `defaults`) takes one with `from: NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named_defaults: Vec<Defaults>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frontends: Vec<Frontend>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<Backend>,
    /// `cache` sections: HTTP response caches that `http-request cache-use NAME` and
    /// `http-response cache-store NAME` rules use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caches: Vec<Cache>,
    /// `userlist` sections: users and groups for `http_auth(NAME)` ACLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userlists: Vec<Userlist>,
    /// `fcgi-app` sections: FastCGI applications.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fcgi_apps: Vec<FcgiApp>,
    /// `peers` sections: HAProxy processes sharing stick tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<Peers>,
    /// A `listen stats` section serving the statistics page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatsPage>,
    /// Escape hatch: text appended verbatim at the end of haproxy.cfg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Global {
    /// `log` targets, e.g. `/dev/log local0`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chroot: Option<String>,
    /// `pidfile` (the agent's reload passes `-p /run/haproxy.pid` whatever it says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pidfile: Option<String>,
    /// The runtime API socket (`stats socket`); the agent uses it for health checks and
    /// reload-free server changes, so it should be declared with `level: admin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats_socket: Option<StatsSocket>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxconn: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Run as a daemon (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemon: Option<bool>,
    /// `uid`: numeric user id to run as (`user` names one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// `gid`: numeric group id to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// `ulimit-n`: the file-descriptor limit (computed from `maxconn` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ulimit_n: Option<u32>,
    /// `localpeer`: this process's name in `peers` sections (default: the host name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localpeer: Option<String>,
    /// `nbthread`: worker threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbthread: Option<u32>,
    /// `hard-stop-after`: how long old processes may finish after a reload (`5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_stop_after: Option<String>,
    /// `master-worker` mode.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub master_worker: bool,
    /// `strict-limits`: refuse to start when a limit cannot be set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict_limits: bool,
    /// `default-path` for relative file names: `current`, `config`, `parent`, `origin DIR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_path: Option<String>,
    /// `ca-base`: directory of relative CA file names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_base: Option<String>,
    /// `crt-base`: directory of relative certificate file names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crt_base: Option<String>,
    /// TLS defaults of every `bind` line (`ssl-default-bind-*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_default_bind: Option<SslDefaults>,
    /// TLS defaults of every `server` line (`ssl-default-server-*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_default_server: Option<SslDefaults>,
    /// Extra lines for the `global` section, verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatsSocket {
    pub path: String,
    /// Octal file mode, e.g. `"660"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<SocketLevel>,
    /// Owner of the socket file (`user haproxy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Group of the socket file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `expose-fd listeners`: lets a reload take over listening sockets without dropping connections.
    #[serde(default)]
    pub expose_fd_listeners: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SocketLevel {
    User,
    Operator,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Defaults {
    /// `defaults NAME`: required in `namedDefaults`; on `defaults` only a label (no
    /// `from` may name it: HAProxy refuses a section used both ways).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `from NAME`: start from that named defaults section (one listed before this one
    /// in `namedDefaults`) instead of HAProxy's built-in defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// `log global` etc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// `option NAME` lines (`httplog`, `dontlognull`, `redispatch`, `forwardfor`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxconn: Option<u32>,
    /// `balance`: the algorithm of backends that set none (they write theirs out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Balance>,
    /// `timeout NAME VALUE` (connect, client, server, http-request, queue, check...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timeouts: BTreeMap<String, String>,
    /// `errorfile CODE FILE`: the response HAProxy sends for that status.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errorfiles: BTreeMap<u16, String>,
    /// `http-check ...` rules of every backend's HTTP check, in order, after the keyword
    /// (`send-state`, `disable-on-404`, `expect status 200-399`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_check: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Http,
    Tcp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Frontend {
    pub name: String,
    /// `from NAME`: the named defaults section (`namedDefaults`) this frontend inherits
    /// instead of `defaults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `bind` addresses, e.g. `*:80` or `10.77.0.100:80` (none: HAProxy warns, the
    /// frontend listens nowhere).
    #[serde(default)]
    pub binds: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxconn: Option<u32>,
    /// `log` lines (`global`, `/dev/log local0`), after the keyword.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    /// `no log`: log nothing, not even what `defaults` says (no `log` lines then).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_log: bool,
    /// `monitor-uri`: a path HAProxy itself answers 200 on (a load balancer's own
    /// health check), before any rule or backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_uri: Option<String>,
    /// `timeout NAME VALUE` for this frontend (client, http-request, http-keep-alive...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timeouts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Serve the statistics page on this frontend under this URI (`stats uri`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats_uri: Option<String>,
    /// More settings of the statistics page this frontend serves.
    #[serde(default, skip_serializing_if = "StatsOptions::is_empty")]
    pub stats: StatsOptions,
    /// Named ACLs (`acl NAME CRITERION VALUES`); a name given on several entries is the
    /// OR of them, as in HAProxy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acls: Vec<Acl>,
    /// `http-request ...` rules, verbatim after the keyword.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_request: Vec<String>,
    /// `http-response ...` rules, verbatim after the keyword.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_response: Vec<String>,
    /// ACL-based routing: `use_backend BACKEND if CONDITION`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub use_backends: Vec<UseBackend>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_backend: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Acl {
    pub name: String,
    /// The criterion and its values, e.g. `path_beg /auth`.
    pub condition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UseBackend {
    pub backend: String,
    /// Condition using ACL names, e.g. `is_auth` or `!is_static`.
    #[serde(rename = "if")]
    pub condition: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Backend {
    pub name: String,
    /// `from NAME`: the named defaults section (`namedDefaults`) this backend inherits
    /// instead of `defaults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `bind` addresses: the backend listens itself and is written as a `listen`
    /// section (a frontend and its backend in one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binds: Vec<String>,
    /// `maxconn` of a listening backend (one with `binds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxconn: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Load-balancing algorithm (default roundrobin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Balance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fullconn: Option<u32>,
    /// `log` lines, after the keyword.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// `timeout NAME VALUE` for this backend (connect, server, queue, check...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timeouts: BTreeMap<String, String>,
    /// Serve the statistics page on this backend under this URI (`stats uri`), e.g.
    /// for a frontend that routes `/stats` here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats_uri: Option<String>,
    /// More settings of the statistics page this backend serves.
    #[serde(default, skip_serializing_if = "StatsOptions::is_empty")]
    pub stats: StatsOptions,
    /// Cookie-based stickiness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<Cookie>,
    /// HTTP health check (`option httpchk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// More `http-check ...` rules, in order, after the keyword (`send hdr host x`,
    /// `expect status 200-399`), written after the health check's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_check: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Named ACLs for this backend's rules (`acl NAME CRITERION VALUES`); a name given on
    /// several entries is the OR of them, as in HAProxy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acls: Vec<Acl>,
    /// `http-request ...` rules, in order, verbatim after the keyword (`auth realm x if !ok`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_request: Vec<String>,
    /// `http-response ...` rules, in order, verbatim after the keyword.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_response: Vec<String>,
    /// Settings applied to every server of this backend unless the server overrides them.
    #[serde(default)]
    pub server_defaults: ServerDefaults,
    /// Servers listed explicitly (none: HAProxy answers 503, e.g. a backend that only
    /// serves `http-request` replies or is filled at run time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    /// Servers derived from the inventory: one per host with this role, on this port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers_from: Option<ServersFrom>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Balance {
    Roundrobin,
    Leastconn,
    Source,
    #[serde(rename = "static-rr")]
    StaticRr,
    First,
    Random,
    Uri,
}

impl Balance {
    /// The keyword after `balance` in haproxy.cfg.
    pub fn as_str(self) -> &'static str {
        match self {
            Balance::Roundrobin => "roundrobin",
            Balance::Leastconn => "leastconn",
            Balance::Source => "source",
            Balance::StaticRr => "static-rr",
            Balance::First => "first",
            Balance::Random => "random",
            Balance::Uri => "uri",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cookie {
    /// Cookie name (`JSESSIONID`, `SERVERID`).
    pub name: String,
    pub mode: CookieMode,
    #[serde(default)]
    pub nocache: bool,
    #[serde(default)]
    pub indirect: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CookieMode {
    Insert,
    Prefix,
    Rewrite,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HealthCheck {
    /// Request path, e.g. `/healthz`.
    pub path: String,
    /// HTTP method (default GET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `http-check expect status N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServerDefaults {
    /// Health-check the servers (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<bool>,
    /// `inter`: interval between checks, e.g. `2s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rise: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fall: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxconn: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Server {
    pub name: String,
    /// IP address (IPv6 without brackets) or DNS name; `0.0.0.0` (with no port) is a
    /// transparent next hop: the destination the request names (`http-request set-dst`).
    pub address: String,
    /// None: the port the client connected to (or the one `http-request set-dst-port`
    /// sets); the server is then not health-checked on a port of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<bool>,
    /// Cookie value for stickiness (default: the server name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    #[serde(default)]
    pub backup: bool,
    #[serde(default)]
    pub disabled: bool,
    /// Escape hatch: more server options, verbatim, appended to the `server` line
    /// (`ssl verify none`, `send-proxy`, `on-marked-down shutdown-sessions`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServersFrom {
    /// Inventory role whose hosts become servers (normally `worker`).
    pub role: super::inventory::Role,
    /// Port on every such host (the Kubernetes NodePort).
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatsPage {
    /// `bind` addresses, e.g. `*:8404`.
    pub binds: Vec<String>,
    /// Default `/stats`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
    /// `stats auth USER:PASSWORD` (the password should come from an encrypted secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<StatsAuth>,
    /// `stats admin if ...` condition, e.g. `LOCALHOST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_if: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxconn: Option<u32>,
    /// `log` lines of the page, after the keyword (`global`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    /// `timeout NAME VALUE` of the page (client, server, connect...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timeouts: BTreeMap<String, String>,
    /// Escape hatch: more lines for the `listen stats` section, verbatim
    /// (`stats realm ...`, `stats hide-version`, `maxconn 10`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatsAuth {
    pub user: String,
    pub password: String,
}
