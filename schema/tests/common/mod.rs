//! A small valid repo (the lab: gw, ha1, ha2, w1, w2 on 10.77.0.0/24) and helpers to break it.
#![allow(dead_code)]

use schema::SourceFile;

pub const INVENTORY: &str = "\
# Lab inventory
apiVersion: agent/v1
kind: Inventory
metadata:
  name: lab
spec:
  defaults:
    user: root
    port: 22
  hosts:
    - name: gw
      address: 10.77.0.10
      roles: [gateway]
    - name: ha1
      address: 10.77.0.11
      roles: [balancer]
    - name: ha2
      address: 10.77.0.12
      roles: [balancer]
    - name: w1
      address: 10.77.0.21
      roles: [worker]
    - name: w2
      address: 10.77.0.22
      roles: [worker]
";

pub const GATEWAY: &str = "\
apiVersion: agent/v1
kind: Gateway
metadata:
  name: front
spec:
  hosts: [gw]
  modules: [ssl, proxy, proxy_http, headers]
  vhosts:
    - serverName: app.example.test
      tls:
        certificate: /etc/ssl/certs/app.pem
        key: /etc/ssl/private/app.key
      redirectHttp: true
      requestHeaders:
        - name: X-Forwarded-Proto
          value: https
      routes:
        - path: /auth
          upstream: http://10.77.0.100/auth
        - path: /app
          upstream: http://10.77.0.100/app
";

pub const BALANCER: &str = "\
apiVersion: agent/v1
kind: Balancer
metadata:
  name: haproxy
spec:
  hosts: [ha1, ha2]
  global:
    maxconn: 4000
    statsSocket:
      path: /run/haproxy/admin.sock
      level: admin
  defaults:
    mode: http
    timeouts:
      connect: 5s
      client: 30s
      server: 30s
  frontends:
    - name: http_front
      binds: [\"*:80\"]
      acls:
        - name: is_auth
          condition: path_beg /auth
      useBackends:
        - backend: auth_back
          if: is_auth
      defaultBackend: http_back
  backends:
    - name: http_back
      balance: roundrobin
      cookie: {name: JSESSIONID, mode: prefix, nocache: true}
      healthCheck: {path: /healthz}
      serverDefaults: {inter: 2s, rise: 2, fall: 3}
      serversFrom: {role: worker, port: 30080}
    - name: auth_back
      servers:
        - name: w1
          address: 10.77.0.21
          port: 30081
  stats:
    binds: [\"*:8404\"]
    uri: /stats
    refresh: 10s
";

pub const CLUSTER: &str = "\
apiVersion: agent/v1
kind: HaCluster
metadata:
  name: lb
spec:
  clusterName: lb
  nodes: [ha1, ha2]
  properties:
    stonith-enabled: \"false\"
    no-quorum-policy: ignore
  vip:
    ip: 10.77.0.100
    cidrNetmask: 24
    monitorInterval: 10s
  resources:
    - id: haproxy
      class: systemd
      type: haproxy
      ops:
        - {name: monitor, interval: 5s}
  constraints:
    colocations:
      - {id: haproxy-with-vip, rsc: haproxy, withRsc: vip, score: INFINITY}
    orders:
      - {id: vip-then-haproxy, first: vip, then: haproxy}
";

pub const APP: &str = "\
apiVersion: agent/v1
kind: App
metadata:
  name: keycloak
  namespace: keycloak
spec:
  image: quay.io/keycloak/keycloak:26.0
  replicas: 2
  containerPort: 8080
  args: [start-dev]
  env:
    - name: KC_PROXY_HEADERS
      value: xforwarded
  service:
    type: NodePort
    port: 8080
    nodePort: 30080
  spreadAcrossNodes: true
  readinessPath: /health/ready
";

pub const RAW: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: keycloak
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: keycloak
data:
  LOG_LEVEL: info
";

/// The valid repo, as (path, text).
pub fn valid_texts() -> Vec<(String, Vec<u8>)> {
    [
        ("inventory.yaml", INVENTORY),
        ("gateway/front.yaml", GATEWAY),
        ("balancer/haproxy.yaml", BALANCER),
        ("cluster/lb.yml", CLUSTER),
        ("workloads/keycloak.yaml", APP),
        ("workloads/raw.yaml", RAW),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
    .collect()
}

pub fn valid_repo() -> Vec<SourceFile> {
    to_files(valid_texts())
}

pub fn to_files(texts: Vec<(String, Vec<u8>)>) -> Vec<SourceFile> {
    texts
        .into_iter()
        .map(|(p, b)| SourceFile::new(p, b))
        .collect()
}

/// One change to the valid repo.
#[derive(Debug, Clone, Copy)]
pub enum Edit {
    /// Replace the only occurrence of `from` in `file` by `to`.
    Replace(&'static str, &'static str, &'static str),
    /// Add (or overwrite) a file.
    Add(&'static str, &'static str),
    /// Add a file with raw bytes.
    AddBytes(&'static str, &'static [u8]),
    Remove(&'static str),
    RemoveAll,
}

pub fn apply(edits: &[Edit]) -> Vec<(String, Vec<u8>)> {
    let mut files = valid_texts();
    for e in edits {
        match *e {
            Edit::Replace(file, from, to) => {
                let f = files
                    .iter_mut()
                    .find(|(p, _)| p == file)
                    .expect("file in fixture");
                let text = String::from_utf8(f.1.clone()).unwrap();
                assert_eq!(
                    text.matches(from).count(),
                    1,
                    "`{from}` must occur once in {file}"
                );
                f.1 = text.replacen(from, to, 1).into_bytes();
            }
            Edit::Add(file, text) => {
                files.retain(|(p, _)| p != file);
                files.push((file.to_string(), text.as_bytes().to_vec()));
            }
            Edit::AddBytes(file, bytes) => files.push((file.to_string(), bytes.to_vec())),
            Edit::Remove(file) => files.retain(|(p, _)| p != file),
            Edit::RemoveAll => files.clear(),
        }
    }
    files
}

/// 1-based line and column (in characters) of the `n`-th (1-based) occurrence of `needle`.
pub fn position_of(text: &[u8], needle: &str, n: usize) -> (usize, usize) {
    let text = String::from_utf8_lossy(text);
    let (offset, _) = text
        .match_indices(needle)
        .nth(n - 1)
        .unwrap_or_else(|| panic!("`{needle}` occurs fewer than {n} times"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
