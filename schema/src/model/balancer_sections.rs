//! The parts of a `Balancer` that are no proxy: `userlist` and `cache` sections, and
//! `peers` and `fcgi-app` sections, the TLS defaults of `global`; the statistics page settings a proxy
//! may carry.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `ssl-default-bind-*` or `ssl-default-server-*` settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SslDefaults {
    /// TLS 1.2 and older cipher list (`ECDHE-ECDSA-AES128-GCM-SHA256:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphers: Option<String>,
    /// TLS 1.3 cipher suites (`TLS_AES_128_GCM_SHA256:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphersuites: Option<String>,
    /// Options, e.g. `[ssl-min-ver TLSv1.2, no-tls-tickets]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// A `userlist`: the users and groups that `http_auth(NAME)` / `http_auth_group(NAME)`
/// ACLs check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Userlist {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<UserGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserGroup {
    pub name: String,
    /// Members (they may instead name the group in their `groups`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct User {
    pub name: String,
    /// A crypt(3) hash (`$6$...`), or with `insecure: true` the password itself; a
    /// secret either way: encrypt it with sops.
    pub password: String,
    /// `insecure-password`: `password` is the clear text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

/// A `cache` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cache {
    pub name: String,
    /// `total-max-size`: the cache's size in megabytes (1-4095).
    pub total_max_size: u32,
    /// `max-object-size`: the largest object cached, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_object_size: Option<u32>,
    /// `max-age`: seconds an object stays (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    /// `process-vary`: honour the `Vary` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_vary: Option<bool>,
}

/// `stats ...` settings of a frontend or backend serving the statistics page (any of
/// them turns the page on, `stats enable`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatsOptions {
    /// `stats refresh`: how often the page reloads itself (`10s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
    /// `stats realm`: the realm of the page's basic-auth prompt (one word).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// `stats scope`: the proxies the page shows, in order (none: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// `stats http-request` rules, in order, after the keyword (`allow if nagios`,
    /// `deny if guests`, `auth realm Stats`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_request: Vec<String>,
    /// `stats show-legends`: explain the page's columns.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub show_legends: bool,
    /// `stats show-modules`: show the modules' counters.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub show_modules: bool,
    /// `stats hide-version`: do not show HAProxy's version.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hide_version: bool,
}

impl StatsOptions {
    pub fn is_empty(&self) -> bool {
        self == &StatsOptions::default()
    }
}

/// A `peers` section: the HAProxy processes that share stick tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Peers {
    pub name: String,
    /// `peer NAME ADDRESS:PORT`, in order; the one for this process is the one
    /// `global.localpeer` (else the host name) names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<Peer>,
    /// Escape hatch: more lines of the section, verbatim (`server ...`, `bind ...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Peer {
    pub name: String,
    /// `ADDRESS:PORT` it listens on for the others (`10.0.0.1:10000`, `[fd00::1]:10000`).
    pub address: String,
}

/// A `fcgi-app` section: a FastCGI application that backends with `use-fcgi-app NAME`
/// talk to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FcgiApp {
    pub name: String,
    /// `docroot`: the application's document root on the FastCGI server (absolute).
    pub docroot: String,
    /// `index`: the script for URIs ending in `/` (`index.php`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// `log-stderr` lines, after the keyword (`global`): where the application's
    /// stderr messages go.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_stderr: Vec<String>,
    /// Escape hatch: more lines of the section, verbatim (`acl ...`, `set-param ...`,
    /// `pass-header ...`, `option ...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}
