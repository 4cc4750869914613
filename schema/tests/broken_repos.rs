//! Table-driven: the valid lab repo with exactly one mistake each, and what the loader must say.
//!
//! Each case names the file, the exact line and column (given as "where this text is in the
//! broken file", or as numbers), words the message must contain and, where there is one, a
//! word of the hint. A single mistake must give exactly one error.

mod common;

use common::*;
use schema::{load_files, Diagnostic, Diagnostics, Severity};
use Edit::*;

/// Where the diagnostic must point.
#[derive(Debug, Clone, Copy)]
enum At {
    /// The `n`-th occurrence of this text in the reported file (after the edit).
    Text(&'static str, usize),
    /// Explicit line and column.
    Pos(usize, usize),
}

struct Case {
    name: &'static str,
    edits: &'static [Edit],
    file: &'static str,
    at: At,
    words: &'static [&'static str],
    hint: Option<&'static str>,
}

const fn case(
    name: &'static str,
    edits: &'static [Edit],
    file: &'static str,
    at: At,
    words: &'static [&'static str],
    hint: Option<&'static str>,
) -> Case {
    Case {
        name,
        edits,
        file,
        at,
        words,
        hint,
    }
}

const INV: &str = "inventory.yaml";
const GW: &str = "gateway/front.yaml";
const LB: &str = "balancer/haproxy.yaml";
const HA: &str = "cluster/lb.yml";
const APPF: &str = "workloads/keycloak.yaml";
const RAWF: &str = "workloads/raw.yaml";

const CASES: &[Case] = &[
    // --- YAML and file level ---
    case("yaml syntax: unclosed flow sequence", &[Replace(GW, "hosts: [gw]", "hosts: [gw")], GW,
        At::Pos(7, 10), &["YAML syntax error"], Some("indentation")),
    case("yaml syntax: tab indentation", &[Replace(INV, "    user: root", "\tuser: root")], INV,
        At::Pos(8, 2), &["YAML syntax error", "tabs"], None),
    case("file that is not YAML at all", &[Add("notes.yaml", "@@@ this is not yaml\n")], "notes.yaml",
        At::Pos(1, 1), &["YAML syntax error"], None),
    case("document that is not a mapping", &[Add("list.yaml", "- a\n- b\n")], "list.yaml",
        At::Pos(1, 1), &["must be a mapping"], Some("apiVersion")),
    case("non-UTF-8 file", &[AddBytes("bad.yaml", b"# ok\nkind: \xff\n")], "bad.yaml",
        At::Pos(2, 7), &["not valid UTF-8", "0xff", "offset 11"], Some("UTF-8")),
    case("empty repo", &[RemoveAll], "", At::Pos(0, 0), &["no documents"], Some("Inventory")),
    case("repo of comments only", &[RemoveAll, Add("a.yaml", "# nothing\n---\n# here\n")], "",
        At::Pos(0, 0), &["no documents"], None),
    // --- types and fields ---
    case("wrong type: string for a port", &[Replace(INV, "port: 22", "port: twenty")], INV,
        At::Text("twenty", 1), &["invalid type", "spec.defaults.port"], Some("1-65535")),
    case("wrong type: scalar for a list", &[Replace(HA, "nodes: [ha1, ha2]", "nodes: ha1")], HA,
        At::Text("ha1", 1), &["spec.nodes", "expected a sequence"], Some("list")),
    case("unknown field with suggestion", &[Replace(INV, "address: 10.77.0.11", "adress: 10.77.0.11")], INV,
        At::Text("adress", 1), &["unknown field `adress`", "spec.hosts[1]"], Some("did you mean `address`?")),
    case("unknown field at top level", &[Replace(GW, "spec:", "specs:")], GW,
        At::Text("specs", 1), &["unknown field `specs`"], Some("did you mean `spec`?")),
    case("unknown enum value", &[Replace(LB, "balance: roundrobin", "balance: roundrobn")], LB,
        At::Text("roundrobn", 1), &["unknown value `roundrobn`"], Some("did you mean `roundrobin`?")),
    case("missing required field", &[Replace(HA, "  clusterName: lb\n", "")], HA,
        At::Text("nodes", 1), &["missing required field `clusterName`", "`spec`"], Some("clusterName")),
    case("missing metadata.name", &[Replace(GW, "  name: front\n", "  labels: {a: b}\n")], GW,
        At::Text("labels", 1), &["missing required field `name`", "`metadata`"], None),
    case("unknown kind", &[Replace(LB, "kind: Balancer", "kind: Balancr")], LB,
        At::Text("Balancr", 1), &["unknown kind `Balancr`"], Some("did you mean `Balancer`?")),
    case("wrong apiVersion", &[Replace(GW, "apiVersion: agent/v1", "apiVersion: agent/v2")], GW,
        At::Text("agent/v2", 1), &["unsupported apiVersion `agent/v2`"], Some("agent/v1")),
    case("missing apiVersion", &[Replace(HA, "apiVersion: agent/v1\n", "")], HA,
        At::Pos(1, 1), &["missing required field `apiVersion`"], Some("agent/v1")),
    case("port above 65535", &[Replace(LB, "port: 30081", "port: 70000")], LB,
        At::Text("70000", 1), &["70000 is out of range", "servers[0].port"], Some("1-65535")),
    case("netmask above 255 (u8)", &[Replace(HA, "cidrNetmask: 24", "cidrNetmask: 300")], HA,
        At::Text("300", 1), &["300 is out of range"], Some("0-32")),
    // --- manifests ---
    case("manifest outside workloads/", &[Add("balancer/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n")],
        "balancer/deploy.yaml", At::Text("apps/v1", 1), &["Kubernetes manifest outside workloads/"], Some("workloads/")),
    case("manifest without metadata.name", &[Replace(RAWF, "  name: settings\n", "  labels: {a: b}\n")], RAWF,
        At::Text("labels", 1), &["without `metadata.name`"], Some("metadata")),
    case("manifest with a key given twice", &[Replace(RAWF, "  LOG_LEVEL: info\n", "  LOG_LEVEL: info\n  LOG_LEVEL: debug\n")], RAWF,
        At::Text("LOG_LEVEL", 2), &["duplicate key `LOG_LEVEL` in `data`"], Some("line 12")),
    case("manifest without kind", &[Replace(RAWF, "kind: Namespace\n", "")], RAWF,
        At::Pos(1, 1), &["missing required field `kind`"], None),
    case("duplicate manifest", &[Add("workloads/more.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: keycloak\n  name: settings\n")],
        "workloads/more.yaml", At::Text("settings", 1), &["duplicate manifest", "ConfigMap keycloak/settings"], Some("workloads/raw.yaml:9:")),
    case("manifest that an App also generates", &[Add("workloads/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: keycloak\n  namespace: keycloak\n")],
        "workloads/svc.yaml", At::Text("keycloak", 1), &["also generated by an App"], Some("rename")),
    // --- inventory ---
    case("no inventory", &[Remove(INV)], "", At::Pos(0, 0), &["no `Inventory`"], Some("kind: Inventory")),
    case("two inventories", &[Add("more/inv.yaml", "apiVersion: agent/v1\nkind: Inventory\nmetadata: {name: b}\nspec: {hosts: []}\n")],
        "more/inv.yaml", At::Text("Inventory", 1), &["second `Inventory`"], Some("inventory.yaml:2:1")),
    case("duplicate host name", &[Replace(INV, "name: w2", "name: w1")], INV,
        At::Text("w1", 2), &["duplicate host name `w1`"], Some("inventory.yaml:20:13")),
    case("duplicate host address", &[Replace(INV, "10.77.0.22", "10.77.0.21")], INV,
        At::Text("10.77.0.21", 2), &["duplicate host address `10.77.0.21`"], Some("first declared")),
    case("invalid host address", &[Replace(INV, "10.77.0.10", "10.77.0.256")], INV,
        At::Text("10.77.0.256", 1), &["invalid host address `10.77.0.256`"], Some("IPv4")),
    case("ssh port 0", &[Replace(INV, "port: 22", "port: 0")], INV,
        At::Text("0\n", 1), &["port 0"], Some("1-65535")),
    // --- inline TLS material ---
    case("tls keyPem that is not PEM", &[Replace(GW, "key: /etc/ssl/private/app.key", "key: /etc/ssl/private/app.key\n        keyPem: hunter2")], GW,
        At::Text("hunter2", 1), &["`keyPem` is not PEM text", "private key"], Some("-----BEGIN")),
    case("tls keyPem holding a certificate", &[Replace(GW, "key: /etc/ssl/private/app.key", "key: /etc/ssl/private/app.key\n        keyPem: \"-----BEGIN CERTIFICATE-----\\nQUJD\\n-----END CERTIFICATE-----\\n\"")], GW,
        At::Text("\"-----BEGIN", 1), &["`keyPem` holds a PEM `CERTIFICATE`", "expected a private key"], Some("whole PEM block")),
    case("tls certificatePem holding a private key", &[Replace(GW, "key: /etc/ssl/private/app.key", "key: /etc/ssl/private/app.key\n        certificatePem: \"-----BEGIN PRIVATE KEY-----\\nQUJD\\n-----END PRIVATE KEY-----\\n\"")], GW,
        At::Text("\"-----BEGIN", 1), &["`certificatePem` holds a PEM `PRIVATE KEY`", "expected a certificate"], None),
    case("tls keyPem without its END line", &[Replace(GW, "key: /etc/ssl/private/app.key", "key: /etc/ssl/private/app.key\n        keyPem: \"-----BEGIN EC PRIVATE KEY-----\\nQUJD\\n\"")], GW,
        At::Text("\"-----BEGIN", 1), &["`keyPem` has no `-----END EC PRIVATE KEY-----` line"], None),
    case("tls keyPem written to a relative path", &[Replace(GW, "key: /etc/ssl/private/app.key", "key: app.key\n        keyPem: \"-----BEGIN PRIVATE KEY-----\\nQUJD\\n-----END PRIVATE KEY-----\\n\"")], GW,
        At::Text("app.key", 1), &["`app.key` is not an absolute path", "`keyPem`"], Some("absolute path")),
    // --- references and roles ---
    case("gateway host that does not exist", &[Replace(GW, "hosts: [gw]", "hosts: [gx]")], GW,
        At::Text("gx", 1), &["gateway host `gx` is not an inventory host"], Some("did you mean `gw`?")),
    case("gateway host without role gateway", &[Replace(GW, "hosts: [gw]", "hosts: [ha1]")], GW,
        At::Text("ha1", 1), &["does not have role `gateway`"], Some("add `gateway`")),
    case("balancer host without role balancer", &[Replace(LB, "hosts: [ha1, ha2]", "hosts: [ha1, gw]")], LB,
        At::Text("gw", 1), &["balancer host `gw`", "role `balancer`"], None),
    case("cluster node that does not exist", &[Replace(HA, "nodes: [ha1, ha2]", "nodes: [ha1, hb2]")], HA,
        At::Text("hb2", 1), &["cluster node `hb2` is not an inventory host"], Some("did you mean `ha2`?")),
    case("cluster node that is not a balancer", &[Replace(HA, "nodes: [ha1, ha2]", "nodes: [ha1, w1]")], HA,
        At::Text("w1", 1), &["cluster node `w1`", "role `balancer`"], None),
    case("unknown default backend", &[Replace(LB, "defaultBackend: http_back", "defaultBackend: http_bak")], LB,
        At::Text("http_bak", 1), &["backend `http_bak` is not declared"], Some("did you mean `http_back`?")),
    case("unknown backend in useBackends", &[Replace(LB, "- backend: auth_back", "- backend: authx")], LB,
        At::Text("authx", 1), &["backend `authx` is not declared"], Some("declared backends: http_back, auth_back")),
    case("undeclared ACL in a condition", &[Replace(LB, "if: is_auth", "if: is_auht")], LB,
        At::Text("is_auht", 1), &["ACL `is_auht` is not declared"], Some("did you mean `is_auth`?")),
    case("constraint on an undeclared resource", &[Replace(HA, "withRsc: vip", "withRsc: vipp")], HA,
        At::Text("vipp", 1), &["resource `vipp` is not declared"], Some("did you mean `vip`?")),
    case("location on a node outside the cluster", &[Replace(HA, "    orders:", "    locations:\n      - {id: prefer, rsc: vip, node: w1, score: \"100\"}\n    orders:")], HA,
        At::Text("w1", 1), &["`w1` is not a node of this cluster"], Some("ha1, ha2")),
    case("empty metadata.name", &[Replace(LB, "name: haproxy", "name: \"\"")], LB,
        At::Text("\"\"", 1), &["empty `metadata.name`"], None),
    // --- duplicates ---
    case("duplicate gateway name", &[Add("gateway/second.yaml", "apiVersion: agent/v1\nkind: Gateway\nmetadata:\n  name: front\nspec:\n  vhosts: [{serverName: b.example.test}]\n")],
        "gateway/second.yaml", At::Text("front", 1), &["duplicate Gateway name `front`"], Some("gateway/front.yaml:4:9")),
    case("duplicate server in a backend", &[Replace(LB, "          port: 30081\n", "          port: 30081\n        - name: w1\n          address: 10.77.0.22\n          port: 30081\n")], LB,
        At::Text("w1", 2), &["duplicate server `w1`"], None),
    case("duplicate ACL away from its first entry", &[Replace(LB, "          condition: path_beg /auth\n", "          condition: path_beg /auth\n        - name: is_api\n          condition: path_beg /api\n        - name: is_auth\n          condition: path_beg /login\n")], LB,
        At::Text("is_auth", 2), &["duplicate ACL `is_auth` away from its first entries"], Some("one after the other")),
    case("invalid ACL name", &[Replace(LB, "          condition: path_beg /auth\n", "          condition: path_beg /auth\n        - name: is auth\n          condition: path_beg /login\n")], LB,
        At::Text("is auth", 1), &["invalid ACL name `is auth`"], Some("letters, digits")),
    case("empty ACL condition", &[Replace(LB, "condition: path_beg /auth", "condition: \"\"")], LB,
        At::Text("\"\"", 1), &["ACL `is_auth` has an empty condition"], Some("path_beg")),
    case("backend http-request rule without an action", &[Replace(LB, "    - name: auth_back\n", "    - name: auth_back\n      httpRequest: [\"'deny'\"]\n")], LB,
        At::Text("\"'deny'\"", 1), &["does not start with an HAProxy action"], Some("set-header")),
    case("backend ACL with an invalid name", &[Replace(LB, "    - name: auth_back\n", "    - name: auth_back\n      acls: [{name: \"ok?\", condition: src 10.0.0.0/8}]\n")], LB,
        At::Text("\"ok?\"", 1), &["invalid ACL name `ok?`"], None),
    case("duplicate CIB id", &[Replace(HA, "id: vip-then-haproxy", "id: haproxy-with-vip")], HA,
        At::Text("haproxy-with-vip", 2), &["duplicate CIB id `haproxy-with-vip`"], None),
    case("duplicate App in a namespace", &[Add("workloads/again.yaml", "apiVersion: agent/v1\nkind: App\nmetadata:\n  name: keycloak\n  namespace: keycloak\nspec:\n  image: x\n  containerPort: 80\n")],
        "workloads/again.yaml", At::Text("keycloak", 1), &["duplicate App `keycloak/keycloak`"], None),
    // --- values ---
    case("VIP outside the nodes' subnet", &[Replace(HA, "ip: 10.77.0.100", "ip: 10.78.0.100")], HA,
        At::Text("10.78.0.100", 1), &["outside the subnet", "`ha1` (10.77.0.11)", "`ha2` (10.77.0.12)"], Some("IPaddr2")),
    case("invalid VIP address", &[Replace(HA, "ip: 10.77.0.100", "ip: 10.77.0.300")], HA,
        At::Text("10.77.0.300", 1), &["invalid VIP address"], None),
    case("netmask 33", &[Replace(HA, "cidrNetmask: 24", "cidrNetmask: 33")], HA,
        At::Text("33", 1), &["netmask /33 is out of range"], Some("0-32")),
    case("VIP that is a host's address", &[Replace(HA, "ip: 10.77.0.100", "ip: 10.77.0.11")], HA,
        At::Text("10.77.0.11", 1), &["is the address of host `ha1`"], None),
    case("port 0 in serversFrom", &[Replace(LB, "port: 30080}", "port: 0}")], LB,
        At::Text("0}", 1), &["port 0"], None),
    case("NodePort outside 30000-32767", &[Replace(APPF, "nodePort: 30080", "nodePort: 8080")], APPF,
        At::Text("8080", 3), &["NodePort 8080 is outside 30000-32767"], Some("30000-32767")),
    case("route path without leading slash", &[Replace(GW, "- path: /app", "- path: app")], GW,
        At::Text("app\n", 1), &["route path `app` does not start with `/`"], Some("`/app`")),
    case("upstream that is not a URL", &[Replace(GW, "upstream: http://10.77.0.100/app", "upstream: 10.77.0.100/app")], GW,
        At::Text("10.77.0.100/app", 1), &["not an http(s) or ws(s) URL"], Some("http://")),
    case("ocf resource without provider", &[Replace(HA, "class: systemd", "class: ocf")], HA,
        At::Text("ocf", 1), &["ocf resource `haproxy` has no provider"], Some("provider: heartbeat")),
    case("provider on a systemd resource", &[Replace(HA, "class: systemd\n", "class: systemd\n      provider: heartbeat\n")], HA,
        At::Text("heartbeat", 1), &["systemd resource `haproxy` has a provider"], None),
    case("HAProxy duration with a bad unit", &[Replace(LB, "client: 30s", "client: 30sec")], LB,
        At::Text("30sec", 1), &["`30sec` is not a duration"], Some("us, ms, s, m, h or d")),
    case("unknown HAProxy timeout", &[Replace(LB, "server: 30s", "sever: 30s")], LB,
        At::Text("30s", 2), &["unknown HAProxy timeout `sever`"], Some("did you mean `server`?")),
    case("unknown ssl-default-bind option", &[Replace(LB, "    maxconn: 4000\n", "    maxconn: 4000\n    sslDefaultBind: {options: [no-sslv2]}\n")], LB,
        At::Text("no-sslv2", 1), &["`no-sslv2`: unknown option `no-sslv2`"], Some("ssl-min-ver TLSv1.2")),
    case("ssl-min-ver without a version", &[Replace(LB, "    maxconn: 4000\n", "    maxconn: 4000\n    sslDefaultServer: {options: [ssl-min-ver TLS1.2]}\n")], LB,
        At::Text("ssl-min-ver TLS1.2", 1), &["`ssl-min-ver` needs one of"], Some("no-tls-tickets")),
    case("cipher list with spaces", &[Replace(LB, "    maxconn: 4000\n", "    maxconn: 4000\n    sslDefaultBind: {ciphers: ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384}\n")], LB,
        At::Text("ECDHE-RSA-AES128-GCM-SHA256 ECDHE", 1), &["is not one colon-separated cipher list"], None),
    case("hard-stop-after that is not a duration", &[Replace(LB, "    maxconn: 4000\n", "    maxconn: 4000\n    hardStopAfter: 5 minutes\n")], LB,
        At::Text("5 minutes", 1), &["`5 minutes` is not a duration"], None),
    case("unknown default-path", &[Replace(LB, "    maxconn: 4000\n", "    maxconn: 4000\n    defaultPath: here\n")], LB,
        At::Text("here", 1), &["`here` is not a default-path"], Some("origin DIR")),
    case("maxconn on a backend that does not listen", &[Replace(LB, "    - name: auth_back\n", "    - name: auth_back\n      maxconn: 100\n")], LB,
        At::Text("100", 1), &["`maxconn` on backend `auth_back`, which does not listen"], Some("binds")),
    case("invalid bind of a listening backend", &[Replace(LB, "    - name: auth_back\n", "    - name: auth_back\n      binds: [\"*:0\"]\n")], LB,
        At::Text("\"*:0\"", 1), &["invalid bind `*:0`"], Some("1-65535")),
    case("userlist user in an undeclared group", &[Replace(LB, "  stats:\n", "  userlists:\n    - name: ops\n      groups: [{name: adm}]\n      users: [{name: ann, password: $6$x$y, groups: [admin]}]\n  stats:\n")], LB,
        At::Text("admin]", 1), &["group `admin` is not declared in userlist `ops`"], Some("groups:")),
    case("userlist group member that is no user", &[Replace(LB, "  stats:\n", "  userlists:\n    - name: ops\n      groups: [{name: adm, users: [bob]}]\n      users: [{name: ann, password: $6$x$y}]\n  stats:\n")], LB,
        At::Text("bob", 1), &["group `adm` lists `bob`, which is not a user of userlist `ops`"], Some("ann")),
    case("userlist password with a space", &[Replace(LB, "  stats:\n", "  userlists:\n    - name: ops\n      users: [{name: ann, password: two words, insecure: true}]\n  stats:\n")], LB,
        At::Text("two words", 1), &["the password of `ann` is empty or has spaces"], Some("crypt(3)")),
    case("http-check rule that is none", &[Replace(LB, "      healthCheck: {path: /healthz}\n", "      healthCheck: {path: /healthz}\n      httpCheck: [expct status 200]\n")], LB,
        At::Text("expct status 200", 1), &["`expct status 200` is not an http-check rule"], Some("expect")),
    case("cache larger than HAProxy takes", &[Replace(LB, "  stats:\n", "  caches: [{name: c, totalMaxSize: 5000}]\n  stats:\n")], LB,
        At::Text("5000", 1), &["total-max-size 5000 MB is out of range"], Some("1-4095")),
    case("cache object over half the cache", &[Replace(LB, "  stats:\n", "  caches: [{name: c, totalMaxSize: 1, maxObjectSize: 1048576}]\n  stats:\n")], LB,
        At::Text("1048576", 1), &["max-object-size 1048576 bytes is over half the cache"], Some("524288")),
    case("from naming no named defaults", &[Replace(LB, "    - name: http_front\n", "    - name: http_front\n      from: base\n")], LB,
        At::Text("base", 1), &["`from: base` names no named defaults section"], Some("namedDefaults")),
    case("from naming a misspelt named defaults", &[Replace(LB, "  frontends:\n    - name: http_front\n", "  namedDefaults: [{name: base, mode: http}]\n  frontends:\n    - name: http_front\n      from: bsae\n")], LB,
        At::Text("bsae", 1), &["`from: bsae` names no named defaults section"], Some("did you mean `base`?")),
    case("named defaults taking a later one", &[Replace(LB, "  frontends:\n", "  namedDefaults: [{name: a, from: b}, {name: b}]\n  frontends:\n")], LB,
        At::Text("b}", 1), &["`from: b` names no named defaults section above this one"], Some("`namedDefaults[1]`, below this one")),
    case("from naming the implicit defaults", &[Replace(LB, "    mode: http\n", "    name: main\n    mode: http\n"), Replace(LB, "    - name: auth_back\n", "    - name: auth_back\n      from: main\n")], LB,
        At::Text("main", 2), &["`from: main` names no named defaults section"], Some("move it to `namedDefaults`")),
    case("named defaults without a name", &[Replace(LB, "  frontends:\n", "  namedDefaults:\n    - {mode: tcp}\n  frontends:\n")], LB,
        At::Text("{mode: tcp}", 1), &["a named defaults section without `name`"], Some("name: NAME")),
    case("two named defaults of one name", &[Replace(LB, "  frontends:\n", "  namedDefaults: [{name: a}, {name: a, mode: tcp}]\n  frontends:\n")], LB,
        At::Text("a, mode", 1), &["duplicate named defaults section `a`"], Some("unique")),
    case("named defaults name with a space", &[Replace(LB, "  frontends:\n", "  namedDefaults: [{name: my base}]\n  frontends:\n")], LB,
        At::Text("my base", 1), &["`my base` is not a HAProxy section name"], Some("letters, digits")),
    case("stats http-request rule that is none", &[Replace(LB, "    - name: auth_back\n", "    - name: auth_back\n      statsUri: /s\n      stats: {httpRequest: [permit if x]}\n")], LB,
        At::Text("permit if x", 1), &["`permit if x` is not a stats http-request rule"], Some("allow")),
    case("stats scope of two words", &[Replace(LB, "    - name: auth_back\n", "    - name: auth_back\n      stats: {scopes: [a b]}\n")], LB,
        At::Text("a b", 1), &["stats scope `a b` is not one plain word"], Some("one word")),
    case("stats refresh that is no duration", &[Replace(LB, "    - name: http_front\n", "    - name: http_front\n      stats: {refresh: soon}\n")], LB,
        At::Text("soon", 1), &["`soon` is not a duration"], None),
    case("monitor-uri that is no path", &[Replace(LB, "    - name: http_front\n", "    - name: http_front\n      monitorUri: healthz\n")], LB,
        At::Text("healthz\n", 1), &["healthz"], Some("/")),
    case("noLog with log lines", &[Replace(LB, "    - name: http_front\n", "    - name: http_front\n      log: [global]\n      noLog: true\n")], LB,
        At::Text("true\n", 1), &["has both `noLog` and `log` lines"], Some("drop `noLog`")),
    case("peer without a port", &[Replace(LB, "  stats:\n", "  peers: [{name: mesh, peers: [{name: ha1, address: 10.77.0.11}]}]\n  stats:\n")], LB,
        At::Text("10.77.0.11}", 1), &["peer `ha1`: `10.77.0.11` is not ADDRESS:PORT"], Some("10.0.0.1:10000")),
    case("a peer named twice", &[Replace(LB, "  stats:\n", "  peers: [{name: mesh, peers: [{name: ha1, address: '10.77.0.11:1'}, {name: ha1, address: '10.77.0.12:1'}]}]\n  stats:\n")], LB,
        At::Text("ha1, address: '10.77.0.12", 1), &["duplicate peer `ha1`"], Some("unique")),
    case("fcgi-app docroot that is no absolute path", &[Replace(LB, "  stats:\n", "  fcgiApps: [{name: php, docroot: var/www}]\n  stats:\n")], LB,
        At::Text("var/www", 1), &["`var/www` does not start with `/`"], Some("`/var/www`")),
    case("unknown timeout on the stats page", &[Replace(LB, "    refresh: 10s\n", "    refresh: 10s\n    timeouts: {clinet: 100s}\n")], LB,
        At::Text("100s", 1), &["unknown HAProxy timeout `clinet`"], Some("did you mean `client`?")),
    case("invalid pacemaker score", &[Replace(HA, "score: INFINITY", "score: inf")], HA,
        At::Text("inf}", 1), &["`inf` is not a Pacemaker score"], Some("INFINITY")),
    case("invalid bind", &[Replace(LB, "binds: [\"*:80\"]", "binds: [\"*:80000\"]")], LB,
        At::Text("\"*:80000\"", 1), &["invalid bind"], Some("1-65535")),
    case("invalid server name", &[Replace(GW, "serverName: app.example.test", "serverName: app example")], GW,
        At::Text("app example", 1), &["invalid server name `app example`"], Some("DNS name")),
    case("ErrorDocument for a success status", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      errorDocuments: {200: /ok.html}\n")], GW,
        At::Text("/ok.html", 1), &["200 is not an HTTP error status"], Some("400 to 599")),
    case("ErrorDocument target that is neither path, URL nor message", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      errorDocuments: {404: oops.html}\n")], GW,
        At::Text("oops.html", 1), &["`oops.html` is not a path, URL or quoted message"], Some("/errors/404.html")),
    case("rewrite flag that mod_rewrite does not know", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      rewrites: [{pattern: ^/old, substitution: /new, flags: \"R=301,LAST,X\"}]\n")], GW,
        At::Text("\"R=301,LAST,X\"", 1), &["unknown flag(s) X"], Some("R=301")),
    case("rewrite flags in brackets", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      rewrites: [{pattern: ^/old, substitution: /new, flags: \"[L]\"}]\n")], GW,
        At::Text("\"[L]\"", 1), &["without brackets"], Some("comma-separated")),
    case("rewrite condition with an unknown flag", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      rewrites: [{conditions: [{test: \"%{HTTPS}\", pattern: \"!=on\", flags: NOCASE2}], pattern: .*, substitution: \"-\"}]\n")], GW,
        At::Text("NOCASE2", 1), &["unknown flag(s) NOCASE2"], Some("NC, OR")),
    case("empty rewrite substitution", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      rewrites: [{pattern: ^/x, substitution: \"\"}]\n")], GW,
        At::Text("\"\"", 1), &["empty rewrite substitution"], Some("`-`")),
    case("SSLProtocol with an unknown protocol", &[Replace(GW, "        key: /etc/ssl/private/app.key\n", "        key: /etc/ssl/private/app.key\n        protocol: all -SSLv3 -TLS1\n")], GW,
        At::Text("all -SSLv3 -TLS1", 1), &["`all -SSLv3 -TLS1` is not an SSLProtocol value"], Some("TLSv1.1")),
    case("cipher suite with a space", &[Replace(GW, "        key: /etc/ssl/private/app.key\n", "        key: /etc/ssl/private/app.key\n        cipherSuite: HIGH !aNULL\n")], GW,
        At::Text("HIGH !aNULL", 1), &["not one OpenSSL cipher list"], Some("HIGH:!aNULL:!MD5")),
    case("log format nickname with a space", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      logFormats: [{format: \"%h %r\", nickname: my log}]\n")], GW,
        At::Text("my log", 1), &["nickname `my log` is not one word"], None),
    case("Alias URL that is not a path", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      aliases: [{url: doc/, to: /usr/share/doc/}]\n")], GW,
        At::Text("doc/", 1), &["Alias URL `doc/` is not a URL path"], Some("`/doc/`")),
    case("SetEnvIf setting without a name", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      setEnv: [{attribute: User-Agent, match: MSIE, set: [\"=1\"]}]\n")], GW,
        At::Text("\"=1\"", 1), &["`=1` is not an environment variable setting"], Some("`name=value`")),
    case("SetEnvIf that sets nothing", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      setEnv: [{attribute: Referer, match: spam, set: []}]\n")], GW,
        At::Text("[]", 1), &["the rule sets no variable"], Some("nokeepalive")),
    case("stapling cache of no known type", &[Replace(GW, "  vhosts:\n", "  sslStaplingCache: /tmp/cache\n  vhosts:\n")], GW,
        At::Text("/tmp/cache", 1), &["`/tmp/cache` is not an SSLStaplingCache"], Some("shmcb:")),
    case("Use of an undefined macro", &[Replace(GW, "  vhosts:\n", "  uses: [{macro: Site, arguments: [a]}]\n  vhosts:\n")], GW,
        At::Text("Site", 1), &["`Use Site`: no macro `Site`"], Some("`macros:`")),
    case("Use with the wrong number of arguments", &[Replace(GW, "  vhosts:\n", "  macros: [{name: Site, parameters: [$host], body: ServerName $host}]\n  uses: [{macro: Site, arguments: [a, b]}]\n  vhosts:\n")], GW,
        At::Text("[a, b]", 1), &["macro `Site` takes 1 argument(s), this `Use` gives 2"], Some("`Use Site host`")),
    case("macro body that closes the macro", &[Replace(GW, "  vhosts:\n", "  macros: [{name: Site, body: \"ServerName a\\n</Macro>\"}]\n  vhosts:\n")], GW,
        At::Text("\"ServerName a", 1), &["the body of macro `Site` opens or closes a macro"], Some("do not nest")),
    case("macro defined twice", &[Replace(GW, "  vhosts:\n", "  macros: [{name: Site, body: x}, {name: SITE, body: y}]\n  vhosts:\n")], GW,
        At::Text("SITE", 1), &["macro `SITE` is defined twice", "case-insensitive"], Some("rename")),
    case("unknown ServerSignature", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      serverSignature: Email\n")], GW,
        At::Text("Email", 1), &["unknown value `Email`"], Some("EMail")),
    case("Options mixing + and plain keywords", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      sections: [{kind: directory, path: /var/www, options: [+ExecCGI, Indexes]}]\n")], GW,
        At::Text("[+ExecCGI", 1), &["Options of <Directory /var/www>", "mixed"], Some("all with + or -, or none")),
    case("unknown Options keyword", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      sections: [{kind: directory, path: /var/www, options: [FollowSymlink]}]\n")], GW,
        At::Text("[FollowSymlink]", 1), &["unknown option `FollowSymlink`"], Some("FollowSymLinks")),
    case("unknown AllowOverride class", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      sections: [{kind: directory, path: /var/www, allowOverride: [Auth]}]\n")], GW,
        At::Text("Auth]", 1), &["unknown AllowOverride class `Auth`"], Some("AuthConfig")),
    case("Order with a space", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      sections: [{kind: directory, path: /var/www, order: \"allow, deny\"}]\n")], GW,
        At::Text("\"allow, deny\"", 1), &["`allow, deny` is not an Order"], Some("no spaces")),
    case("unknown section kind", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      sections: [{kind: dir, path: /var/www}]\n")], GW,
        At::Text("dir,", 1), &["unknown value `dir`"], Some("directory")),
    case("virtual host address on another port", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      addresses: [\"10.2.3.4:8443\"]\n")], GW,
        At::Text("\"10.2.3.4:8443\"", 1), &["address `10.2.3.4:8443` (10.2.3.4) is not on the virtual host's port 443"], Some("port: 8443")),
    case("virtual host address without a port", &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      addresses: [\"10.2.3.4\"]\n")], GW,
        At::Text("\"10.2.3.4\"", 1), &["invalid virtual host address `10.2.3.4`"], Some("_default_")),
    case("redirectHttp on a vhost without serverName", &[Replace(GW, "    - serverName: app.example.test\n", "    - serverAdmin: ops@example.test\n")], GW,
        At::Text("true", 1), &["redirect to HTTPS on a virtual host without serverName"], Some("https://<serverName>/")),
    case("duplicate route path", &[Replace(GW, "- path: /app", "- path: /auth")], GW,
        At::Text("/auth", 3), &["duplicate route path `/auth`"], None),
    case("route expectStatus that is not an HTTP status", &[Replace(GW, "- path: /app", "- expectStatus: 2000\n          path: /app")], GW,
        At::Text("2000", 1), &["2000 is not an HTTP status"], Some("100 to 599")),
    case("redirect with a non-redirect status", &[Replace(GW, "      routes:", "      redirects:\n        - {match: ^/old, to: /new, status: 200}\n      routes:")], GW,
        At::Text("200", 1), &["200 is not a redirect status"], Some("301")),
    case("noProxy path without a leading slash", &[Replace(GW, "      routes:", "      noProxy: [well-known]\n      routes:")], GW,
        At::Text("well-known", 1), &["`well-known` is not a path to exclude from proxying"], Some("`/.well-known`")),
    case("noProxy path that is also a route", &[Replace(GW, "      routes:", "      noProxy: [/app]\n      routes:")], GW,
        At::Text("/app]", 1), &["/app"], None),
    case("balancer members outside a <Proxy> section", &[Replace(GW, "      routes:", "      sections:\n        - {kind: location, path: /x, balancerMembers: ['http://10.0.0.1:80']}\n      routes:")], GW,
        At::Text("['http://10.0.0.1:80']", 1), &["`balancerMembers` in a <Location> section"], Some("kind: proxy")),
    case("unknown load-balancing method", &[Replace(GW, "      routes:", "      sections:\n        - {kind: proxy, path: 'balancer://b', proxySet: [lbmethod=random]}\n      routes:")], GW,
        At::Text("lbmethod=random", 1), &["unknown load-balancing method `random`"], Some("byrequests")),
    case("App name that is not a Kubernetes name", &[Replace(APPF, "  name: keycloak\n", "  name: KeyCloak\n")], APPF,
        At::Text("KeyCloak", 1), &["`KeyCloak` is not a valid Kubernetes name"], Some("lowercase")),
    case("nodePort on a ClusterIP service", &[Replace(APPF, "type: NodePort", "type: ClusterIP")], APPF,
        At::Text("30080", 1), &["`nodePort` on a ClusterIP service"], Some("type: NodePort")),
    case("env var with two sources", &[Replace(APPF, "      value: xforwarded\n", "      value: xforwarded\n      secretKeyRef: {name: s, key: k}\n")], APPF,
        At::Text("name: KC_PROXY_HEADERS", 1), &["needs one source"], Some("exactly one")),
    case("server weight above 256", &[Replace(LB, "          port: 30081\n", "          port: 30081\n          weight: 999\n")], LB,
        At::Text("999", 1), &["weight 999 is out of range"], Some("0-256")),
    case("health check path without slash", &[Replace(LB, "{path: /healthz}", "{path: healthz}")], LB,
        At::Text("healthz", 1), &["`healthz` does not start with `/`"], None),
    case("unknown order kind", &[Replace(HA, "then: haproxy}", "then: haproxy, kind: Always}")], HA,
        At::Text("Always", 1), &["unknown order kind `Always`"], Some("Mandatory")),
    case("invalid CIB id", &[Replace(HA, "id: vip-then-haproxy", "id: 1order")], HA,
        At::Text("1order", 1), &["`1order` is not a valid CIB id"], None),
    case("pacemaker interval that is not a duration", &[Replace(HA, "monitorInterval: 10s", "monitorInterval: often")], HA,
        At::Text("often", 1), &["`often` is not a duration"], None),
    case("duplicate key in a typed document", &[Replace(INV, "    user: root\n", "    user: root\n    user: admin\n")], INV,
        At::Text("user", 2), &["duplicate key `user` in `spec.defaults`"], Some("line 8")),
];

/// Warnings: suspicious but valid; the repo still loads.
const WARNINGS: &[Case] = &[
    case(
        "OCSP stapling without a cache",
        &[Replace(GW, "        key: /etc/ssl/private/app.key\n", "        key: /etc/ssl/private/app.key\n        stapling: true\n")],
        GW,
        At::Text("true", 1),
        &["OCSP stapling without an `sslStaplingCache`"],
        Some("shmcb:"),
    ),
    case(
        "Alias with a trailing slash on one side only",
        &[Replace(GW, "      redirectHttp: true\n", "      redirectHttp: true\n      aliases: [{url: /doc/, to: /usr/share/doc}]\n")],
        GW,
        At::Text("/usr/share/doc", 1),
        &["one ends with `/`, the other does not"],
        Some("end both with `/`"),
    ),
    case(
        "macro parameter not used in the body",
        &[Replace(GW, "  vhosts:\n", "  macros: [{name: Site, parameters: [$host, $port], body: ServerName $host}]\n  vhosts:\n")],
        GW,
        At::Text("$port", 1),
        &["parameter `$port` of macro `Site` is not used in its body"],
        Some("drop it"),
    ),
    case(
        "macro parameter without a prefix",
        &[Replace(GW, "  vhosts:\n", "  macros: [{name: Site, parameters: [host], body: ServerName host}]\n  vhosts:\n")],
        GW,
        At::Text("host]", 1),
        &["parameter `host` of macro `Site` does not start with `$`, `%` or `@`"],
        Some("`$host`"),
    ),
    case(
        "server without a port that is no next hop",
        &[Replace(LB, "          port: 30081\n", "")],
        LB,
        At::Text("10.77.0.21", 1),
        &["server `w1` has no port"],
        Some("0.0.0.0"),
    ),
    case(
        "serversFrom role nobody has",
        &[Replace(LB, "role: worker", "role: control-plane")],
        LB,
        At::Text("control-plane", 1),
        &["no inventory host has role `control-plane`"],
        Some("Inventory"),
    ),
    case(
        "host without roles",
        &[Replace(
            INV,
            "roles: [worker]\n    - name: w2",
            "roles: []\n    - name: w2",
        )],
        INV,
        At::Text("[]", 1),
        &["host `w1` has no roles"],
        None,
    ),
    case(
        "namespace on a Balancer",
        &[Replace(
            LB,
            "  name: haproxy\n",
            "  name: haproxy\n  namespace: x\n",
        )],
        LB,
        At::Text("x\n", 1),
        &["`namespace` is ignored on a Balancer"],
        None,
    ),
    case(
        "one-node cluster",
        &[Replace(HA, "nodes: [ha1, ha2]", "nodes: [ha1]")],
        HA,
        At::Text("[ha1]", 1),
        &["one-node cluster"],
        None,
    ),
    case(
        "STONITH left enabled",
        &[Replace(HA, "    stonith-enabled: \"false\"\n", "")],
        HA,
        At::Text("no-quorum-policy", 1),
        &["STONITH is enabled"],
        Some("stonith-enabled"),
    ),
    case(
        "unused backend",
        &[Replace(
            LB,
            "      defaultBackend: http_back\n",
            "      defaultBackend: auth_back\n",
        )],
        LB,
        At::Text("http_back", 1),
        &["backend `http_back` is used by no frontend"],
        None,
    ),
    case(
        "backend without servers",
        &[Replace(
            LB,
            "      serversFrom: {role: worker, port: 30080}\n",
            "",
        )],
        LB,
        At::Text("http_back", 2),
        &["backend `http_back` has no servers"],
        Some("503"),
    ),
    case(
        "frontend without binds",
        &[Replace(LB, "      binds: [\"*:80\"]\n", "")],
        LB,
        At::Text("http_front", 1),
        &["frontend `http_front` has no bind address"],
        Some("make it a backend"),
    ),
    case(
        "zero replicas",
        &[Replace(APPF, "replicas: 2", "replicas: 0")],
        APPF,
        At::Text("0\n", 2),
        &["0 replicas"],
        None,
    ),
];

#[test]
fn warnings_point_at_the_suspicious_value() {
    let failures: Vec<String> = WARNINGS
        .iter()
        .filter_map(|c| {
            let files = apply(c.edits);
            let state = match load_files(&to_files(files.clone())) {
                Ok(s) => s,
                Err(d) => return Some(format!("[{}] failed:\n{d}", c.name)),
            };
            let w: Vec<&Diagnostic> = state.warnings.iter().collect();
            if w.len() != 1 || w[0].severity != Severity::Warning {
                return Some(format!(
                    "[{}] expected one warning, got:\n{}",
                    c.name, state.warnings
                ));
            }
            let (line, column) = position(&files, c);
            let ok = (w[0].file.as_str(), w[0].line, w[0].column) == (c.file, line, column)
                && c.words.iter().all(|x| w[0].message.contains(x))
                && c.hint
                    .is_none_or(|h| w[0].hint.as_deref().unwrap_or_default().contains(h));
            (!ok).then(|| {
                format!(
                    "[{}] expected {}:{line}:{column}, got {}",
                    c.name, c.file, w[0]
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn position(files: &[(String, Vec<u8>)], c: &Case) -> (usize, usize) {
    match c.at {
        At::Pos(l, col) => (l, col),
        At::Text(needle, n) => {
            let (_, bytes) = files
                .iter()
                .find(|(p, _)| p == c.file)
                .expect("reported file exists");
            position_of(bytes, needle, n)
        }
    }
}

fn check(c: &Case) -> Result<(), String> {
    let files = apply(c.edits);
    let diags = match load_files(&to_files(files.clone())) {
        Ok(_) => return Err("loaded without error".into()),
        Err(d) => d,
    };
    let errors: Vec<&Diagnostic> = diags.errors().collect();
    if errors.len() != 1 {
        return Err(format!("expected exactly one error, got:\n{diags}"));
    }
    let d = errors[0];
    let (line, column) = position(&files, c);
    let mut problems = Vec::new();
    if (d.file.as_str(), d.line, d.column) != (c.file, line, column) {
        problems.push(format!("expected {}:{line}:{column}", c.file));
    }
    for w in c.words {
        if !d.message.contains(w) {
            problems.push(format!("message lacks `{w}`"));
        }
    }
    if let Some(h) = c.hint {
        if !d.hint.as_deref().unwrap_or_default().contains(h) {
            problems.push(format!("hint lacks `{h}`"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n  got: {d}", problems.join("; ")))
    }
}

#[test]
fn every_broken_repo_reports_its_mistake_exactly() {
    assert!(CASES.len() >= 30);
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|c| check(c).err().map(|e| format!("[{}] {e}", c.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// Every broken repo's report reads as `file:line:col: error: message` (plus `help:` lines)
/// for a person, not only as fields: the form `agent validate` prints.
#[test]
fn every_case_renders_as_file_line_col() {
    for c in CASES {
        let Err(diags) = load_files(&to_files(apply(c.edits))) else {
            panic!("{}: loads", c.name)
        };
        for d in diags.iter() {
            let text = d.to_string();
            let head = if d.file.is_empty() {
                "error: ".to_string()
            } else if d.line == 0 {
                format!("{}: ", d.file)
            } else {
                format!("{}:{}:{}: ", d.file, d.line, d.column)
            };
            assert!(text.starts_with(&head), "{}: {text}", c.name);
            assert_eq!(
                text.contains("\n  help: "),
                d.hint.is_some(),
                "{}: {text}",
                c.name
            );
        }
    }
}

#[test]
fn valid_repo_loads_without_warnings() {
    let state = load_files(&valid_repo()).unwrap_or_else(|d| panic!("{d}"));
    assert!(state.warnings.is_empty(), "{}", state.warnings);
    assert_eq!(state.hosts().len(), 5);
    assert_eq!(
        (
            state.gateways.len(),
            state.balancers.len(),
            state.clusters.len()
        ),
        (1, 1, 1)
    );
    assert_eq!((state.apps.len(), state.manifests.len()), (1, 2));
    assert_eq!(state.manifests[1].name(), "settings");
}

#[test]
fn several_mistakes_are_all_reported() {
    let files = apply(&[
        Replace(INV, "address: 10.77.0.11", "adress: 10.77.0.11"),
        Replace(GW, "- path: /app", "- path: app"),
        Replace(LB, "if: is_auth", "if: is_auht"),
        Replace(LB, "client: 30s", "client: 30sec"),
        Replace(HA, "withRsc: vip", "withRsc: vipp"),
        Replace(APPF, "nodePort: 30080", "nodePort: 8080"),
        Add("list.yaml", "- a\n"),
    ]);
    let diags: Diagnostics = load_files(&to_files(files)).expect_err("broken");
    let got: Vec<(&str, usize)> = diags.errors().map(|d| (d.file.as_str(), d.line)).collect();
    assert_eq!(
        got,
        [
            (LB, 16),  // 30sec
            (LB, 26),  // is_auht
            (HA, 23),  // vipp
            (GW, 20),  // app
            (INV, 15), // adress
            ("list.yaml", 1),
            (APPF, 17), // 8080
        ],
        "{diags}"
    );
}

#[test]
fn hidden_directories_and_other_files_are_ignored() {
    let mut files = valid_repo();
    files.push(schema::SourceFile::new(
        ".github/workflows/ci.yaml",
        "on: [push]\n",
    ));
    files.push(schema::SourceFile::new("README.md", "# not yaml: [\n"));
    load_files(&files).unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn every_field_mistake_of_one_document_is_reported() {
    // serde alone stops at the first; the loader lists all unknown and missing fields.
    let files = apply(&[
        Replace(LB, "      balance: roundrobin", "      balanse: roundrobin"),
        Replace(
            LB,
            "      healthCheck: {path: /healthz}",
            "      healthCheck: {paht: /healthz}",
        ),
        Replace(LB, "    refresh: 10s", "    refresh: 10s\n    colour: red"),
    ]);
    let diags = load_files(&to_files(files.clone())).expect_err("broken");
    let (_, lb) = files.iter().find(|(p, _)| p == LB).unwrap();
    let got: Vec<(usize, usize, &str, Option<&str>)> = diags
        .errors()
        .map(|d| (d.line, d.column, d.message.as_str(), d.hint.as_deref()))
        .collect();
    let at = |s| position_of(lb, s, 1);
    assert_eq!(
        got,
        [
            (
                at("balanse").0,
                at("balanse").1,
                "unknown field `balanse` in `spec.backends[0]`",
                Some("did you mean `balance`?")
            ),
            (
                at("paht").0,
                at("paht").1,
                "unknown field `paht` in `spec.backends[0].healthCheck`",
                Some("did you mean `path`?")
            ),
            (
                at("colour").0,
                at("colour").1,
                "unknown field `colour` in `spec.stats`",
                Some("allowed: `adminIf`, `auth`, `binds`, `extra`, `log`, `maxconn`, `refresh`, `timeouts`, `uri`")
            ),
        ],
        "{diags}"
    );
}

#[test]
fn crlf_files_report_the_same_positions() {
    let mut files = valid_texts();
    for (path, bytes) in files.iter_mut() {
        let text = String::from_utf8(bytes.clone()).unwrap();
        let text = if path == INV {
            text.replace("address: 10.77.0.11", "adress: 10.77.0.11")
        } else {
            text
        };
        *bytes = text.replace('\n', "\r\n").into_bytes();
    }
    let diags = load_files(&to_files(files)).expect_err("broken");
    let e: Vec<&Diagnostic> = diags.errors().collect();
    assert_eq!(e.len(), 1, "{diags}");
    assert_eq!(
        (e[0].file.as_str(), e[0].line, e[0].column),
        (INV, 15, 7),
        "{diags}"
    );
}
