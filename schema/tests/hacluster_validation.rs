//! HaCluster's typed groups, clones, bundles, templates and operation attributes:
//! a valid cluster using all of them loads, and each mistake gives one error at
//! the value (file, line, column), saying what is wrong and what would be right.

mod common;

use common::*;
use schema::load_files;

const HA: &str = "cluster/lb.yml";
const AT: &str = "  constraints:\n";

/// The fixture's cluster with `extra` inserted before its constraints.
fn with(extra: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = apply(&[]);
    let f = files.iter_mut().find(|(p, _)| p == HA).unwrap();
    let text = String::from_utf8(f.1.clone()).unwrap();
    assert_eq!(text.matches(AT).count(), 1);
    f.1 = text.replacen(AT, &format!("{extra}{AT}"), 1).into_bytes();
    files
}

const VALID: &str = "  templates:
    - {id: dummy-t, class: ocf, provider: pacemaker, type: Dummy}
  groups:
    - id: web
      meta: {target-role: Started}
      members:
        - {id: fs, class: ocf, provider: heartbeat, type: Filesystem, params: {device: /dev/sdb1, directory: /srv, fstype: ext4}}
        - id: app
          template: dummy-t
          utilization: {cpu: \"2\"}
          ops:
            - {name: monitor, interval: 10s, timeout: 20s, onFail: restart, params: {OCF_CHECK_LEVEL: \"10\"}}
  clones:
    - id: db-clone
      meta: {promotable: \"true\", promoted-max: \"1\"}
      resource:
        id: db
        class: ocf
        provider: pacemaker
        type: Stateful
        ops:
          - {name: monitor, interval: 10s, role: Promoted}
          - {name: monitor, interval: 11s, role: Unpromoted, enabled: false}
  bundles:
    - id: cache
      container: {runtime: podman, image: 'registry.example:5000/redis:7', replicas: 2}
      network:
        ipRangeStart: 192.168.100.200
        controlPort: 3121
        portMappings: [{port: 6379}, {range: 7000-7010}]
      storage:
        - {sourceDir: /var/lib/redis, targetDir: /data, options: rw}
      resource: {id: redis, class: ocf, provider: heartbeat, type: redis}
";

#[test]
fn a_cluster_with_groups_clones_bundles_and_templates_is_valid() {
    let state = load_files(&to_files(with(VALID))).unwrap_or_else(|d| panic!("{d}"));
    let spec = &state.clusters[0].doc.spec;
    assert_eq!(
        spec.groups[0].members[1].template.as_deref(),
        Some("dummy-t")
    );
    assert_eq!(spec.clones[0].primitives()[0].id, "db");
    assert_eq!(
        spec.bundles[0]
            .network
            .as_ref()
            .unwrap()
            .port_mappings
            .len(),
        2
    );
    assert_eq!(spec.primitives().len(), 5, "haproxy, fs, app, db, redis");
}

/// One mistake: (what it replaces in VALID, by what), the text the error points at
/// (its first occurrence after the edit), words of the message, a word of the hint.
const CASES: &[(&str, &str, &str, &[&str], &str)] = &[
    ("template: dummy-t", "template: dumy-t", "dumy-t", &["template `dumy-t` is not declared"], "did you mean `dummy-t`?"),
    ("onFail: restart", "onFail: reboot", "reboot", &["unknown onFail `reboot`"], "one of ignore, block"),
    ("role: Promoted}", "role: Leader}", "Leader", &["unknown role `Leader`"], "Promoted"),
    ("interval: 11s,", "interval: 11 s,", "11 s", &["`11 s` is not a duration"], "10s"),
    ("      resource:\n        id: db", "      group: {id: dbg, members: []}\n      resource:\n        id: db", "id: db-clone", &["clone `db-clone` needs exactly one of `resource` and `group`"], "one `group:`"),
    ("    - id: web\n      meta: {target-role: Started}\n      members:\n", "    - id: web\n      meta: {target-role: Started}\n      members: []\n    - id: web2\n      members:\n", "[]", &["group `web` has no members"], "members:"),
    ("{port: 6379}", "{port: 6379, range: 1-2}", "{port: 6379, range", &["exactly one of `port` and `range`"], "range: 3000-3100"),
    ("{range: 7000-7010}", "{range: 7010-7000}", "7010-7000", &["`7010-7000` is not a port range"], "FIRST-LAST"),
    ("{sourceDir: /var/lib/redis,", "{sourceDir: /var/lib/redis, sourceDirRoot: /x,", "{sourceDir", &["exactly one of `sourceDir` and `sourceDirRoot`"], "one per replica"),
    ("image: 'registry.example:5000/redis:7'", "image: ''", "''", &["bundle `cache` has no image"], "container image"),
    ("ipRangeStart: 192.168.100.200", "ipRangeStart: 192.168.100", "192.168.100\n", &["`192.168.100` is not an IP address"], "192.168.100.200"),
    ("{id: fs, class: ocf, provider: heartbeat, type: Filesystem,", "{id: fs, class: ocf, type: Filesystem,", "ocf, type: Filesystem", &["ocf resource `fs` has no provider"], "provider: heartbeat"),
    ("        class: ocf\n        provider: pacemaker\n        type: Stateful\n", "        provider: pacemaker\n        type: Stateful\n", "id: db\n", &["resource `db` has no class"], "template:"),
    ("{id: redis,", "{id: fs,", "fs, class: ocf, provider: heartbeat, type: redis", &["duplicate CIB id `fs`"], "unique"),
    ("runtime: podman", "runtime: lxc", "lxc", &["unknown value `lxc`", "container.runtime"], "`docker`, `podman`"),
];

#[test]
fn each_mistake_in_a_typed_resource_is_one_error_at_its_value() {
    let mut failures = Vec::new();
    for (from, to, at, words, hint) in CASES {
        assert_eq!(VALID.matches(from).count(), 1, "`{from}` must occur once");
        let files = with(&VALID.replacen(from, to, 1));
        let d = match load_files(&to_files(files.clone())) {
            Ok(_) => {
                failures.push(format!("[{to}] loaded without error"));
                continue;
            }
            Err(d) => d,
        };
        let errors: Vec<_> = d.errors().collect();
        let text = &files.iter().find(|(p, _)| p == HA).unwrap().1;
        let (line, column) = position_of(text, at, 1);
        let ok = errors.len() == 1
            && (errors[0].file.as_str(), errors[0].line, errors[0].column) == (HA, line, column)
            && words.iter().all(|w| errors[0].message.contains(w))
            && errors[0].hint.as_deref().unwrap_or_default().contains(hint);
        if !ok {
            failures.push(format!("[{to}] expected one error at {HA}:{line}:{column} ({words:?}, hint {hint:?}), got:\n{d}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const ORDERS: &str = "    orders:\n";
const RULES: &str = "    locations:
      - id: db-on-ssd
        rsc: db-clone
        resourceDiscovery: exclusive
        rules:
          - score: \"100\"
            role: Promoted
            booleanOp: and
            expressions:
              - {attribute: disk, operation: eq, value: ssd}
              - {attribute: rack, operation: defined}
              - date: {operation: date_spec, spec: {hours: 9-16, weekdays: 1-5}}
    colocations2:
";

/// The VALID cluster plus RULES as its locations.
fn with_rules(rules: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = with(VALID);
    let f = files.iter_mut().find(|(p, _)| p == HA).unwrap();
    let text = String::from_utf8(f.1.clone()).unwrap();
    let rules = rules.replace("    colocations2:\n", "");
    f.1 = text
        .replacen(ORDERS, &format!("{rules}{ORDERS}"), 1)
        .into_bytes();
    files
}

#[test]
fn location_rules_are_typed_and_checked() {
    let state = load_files(&to_files(with_rules(RULES))).unwrap_or_else(|d| panic!("{d}"));
    let l = &state.clusters[0].doc.spec.constraints.locations[0];
    assert_eq!(l.rules[0].expressions.len(), 3);
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "operation: eq, value: ssd",
            "operation: equals, value: ssd",
            "equals",
            "unknown operation `equals`",
            "not_defined",
        ),
        (
            "operation: defined}",
            "operation: defined, value: x}",
            "defined, value",
            "`defined` takes no value",
            "value:",
        ),
        (
            "score: \"100\"",
            "score: lots",
            "lots",
            "`lots` is not a Pacemaker score",
            "INFINITY",
        ),
        (
            "weekdays: 1-5",
            "weekday: 1-5",
            "1-5}}",
            "unknown spec field `weekday`",
            "weekdays",
        ),
        (
            "resourceDiscovery: exclusive",
            "resourceDiscovery: sometimes",
            "sometimes",
            "unknown resourceDiscovery `sometimes`",
            "exclusive",
        ),
        (
            "role: Promoted\n            booleanOp",
            "role: Boss\n            booleanOp",
            "Boss",
            "unknown role `Boss`",
            "Unpromoted",
        ),
        (
            "        resourceDiscovery: exclusive\n",
            "        node: ha1\n        resourceDiscovery: exclusive\n",
            "id: db-on-ssd",
            "needs a node and a score, or rules",
            "not both",
        ),
        (
            "              - date: {operation: date_spec, spec: {hours: 9-16, weekdays: 1-5}}\n",
            "              - date: {operation: gt}\n",
            "gt}",
            "`gt` needs `start`",
            "ISO 8601",
        ),
    ];
    let mut failures = Vec::new();
    for (from, to, at, word, hint) in cases {
        assert_eq!(RULES.matches(from).count(), 1, "`{from}` must occur once");
        let files = with_rules(&RULES.replacen(from, to, 1));
        let Err(d) = load_files(&to_files(files.clone())) else {
            failures.push(format!("[{to}] loaded without error"));
            continue;
        };
        let errors: Vec<_> = d.errors().collect();
        let text = &files.iter().find(|(p, _)| p == HA).unwrap().1;
        let (line, column) = position_of(text, at, 1);
        let ok = errors.len() == 1
            && (errors[0].file.as_str(), errors[0].line, errors[0].column) == (HA, line, column)
            && errors[0].message.contains(word)
            && errors[0].hint.as_deref().unwrap_or_default().contains(hint);
        if !ok {
            failures.push(format!("[{to}] expected one error at {HA}:{line}:{column} ({word}, hint {hint:?}), got:\n{d}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const SETS: &str = "    tickets:
      - {id: t1, ticket: site-a, rsc: db-clone, rscRole: Promoted, lossPolicy: demote}
      - id: t2
        ticket: site-b
        sets:
          - {resources: [web, cache], role: Started, sequential: false}
";

#[test]
fn tickets_and_resource_sets_are_typed_and_checked() {
    let state = load_files(&to_files(with_rules(SETS))).unwrap_or_else(|d| panic!("{d}"));
    let t = &state.clusters[0].doc.spec.constraints.tickets;
    assert_eq!(t[1].sets[0].resources, ["web", "cache"]);
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "lossPolicy: demote",
            "lossPolicy: panic",
            "panic",
            "unknown lossPolicy `panic`",
            "freeze",
        ),
        (
            "[web, cache]",
            "[web, cahce]",
            "cahce",
            "resource `cahce` is not declared",
            "did you mean `cache`?",
        ),
        (
            "[web, cache]",
            "[]",
            "[]",
            "a resource set without resources",
            "resources:",
        ),
        (
            "        ticket: site-b\n",
            "        ticket: site-b\n        rsc: web\n",
            "id: t2",
            "needs its resources or its sets",
            "not both",
        ),
        (
            "role: Started,",
            "role: Running,",
            "Running",
            "unknown role `Running`",
            "Started",
        ),
    ];
    let mut failures = Vec::new();
    for (from, to, at, word, hint) in cases {
        assert_eq!(SETS.matches(from).count(), 1, "`{from}` must occur once");
        let files = with_rules(&SETS.replacen(from, to, 1));
        let Err(d) = load_files(&to_files(files.clone())) else {
            failures.push(format!("[{to}] loaded without error"));
            continue;
        };
        let errors: Vec<_> = d.errors().collect();
        let text = &files.iter().find(|(p, _)| p == HA).unwrap().1;
        let (line, column) = position_of(text, at, 1);
        let ok = errors.len() == 1
            && (errors[0].file.as_str(), errors[0].line, errors[0].column) == (HA, line, column)
            && errors[0].message.contains(word)
            && errors[0].hint.as_deref().unwrap_or_default().contains(hint);
        if !ok {
            failures.push(format!("[{to}] expected one error at {HA}:{line}:{column} ({word}, hint {hint:?}), got:\n{d}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_location_may_name_remote_guest_and_bundle_nodes_but_not_an_unknown_one() {
    let extra = "  bundles:
    - id: cache
      container: {runtime: podman, image: 'img:1', replicas: 2}
      network: {controlPort: 3121}
      resource: {id: redis, class: ocf, provider: heartbeat, type: redis}
";
    let base = format!(
        "{extra}  groups:\n    - id: g\n      members:\n        - {{id: compute-1, class: ocf, provider: pacemaker, type: remote, params: {{server: 10.0.0.5}}}}\n        - {{id: vm, class: ocf, provider: heartbeat, type: VirtualDomain, meta: {{remote-node: guest-1}}}}\n"
    );
    for node in ["compute-1", "guest-1", "cache-1", "ha2"] {
        let mut files = with(&base);
        let f = files.iter_mut().find(|(p, _)| p == HA).unwrap();
        let text = String::from_utf8(f.1.clone()).unwrap().replacen(
            "    orders:\n",
            &format!("    locations:\n      - {{id: l, rsc: redis, node: {node}, score: '10'}}\n    orders:\n"),
            1,
        );
        f.1 = text.into_bytes();
        load_files(&to_files(files)).unwrap_or_else(|d| panic!("{node}: {d}"));
    }
    let mut files = with(&base);
    let f = files.iter_mut().find(|(p, _)| p == HA).unwrap();
    let text = String::from_utf8(f.1.clone()).unwrap().replacen(
        "    orders:\n",
        "    locations:\n      - {id: l, rsc: redis, node: cache-2, score: '10'}\n    orders:\n",
        1,
    );
    f.1 = text.into_bytes();
    let d = load_files(&to_files(files)).unwrap_err();
    let e: Vec<_> = d.errors().collect();
    assert_eq!(e.len(), 1, "{d}");
    assert!(
        e[0].message
            .contains("`cache-2` is not a node of this cluster"),
        "{d}"
    );
    assert!(
        e[0].hint
            .as_deref()
            .unwrap()
            .contains("ha1, ha2, compute-1, guest-1, cache-0, cache-1"),
        "{d}"
    );
}
