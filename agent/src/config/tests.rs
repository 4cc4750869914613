use super::*;

fn invalid(text: &str) -> Diagnostic {
    match Config::parse("agent.yaml", text) {
        Err(ConfigError::Invalid(d)) => d,
        other => panic!("expected a diagnostic, got {other:?}"),
    }
}

#[test]
fn empty_file_gives_every_default() {
    let c = Config::parse("agent.yaml", "").unwrap();
    assert_eq!(c.repo, None);
    assert_eq!(c.interval, Duration::from_secs(30));
    assert_eq!(c.jitter(), Duration::from_secs(3));
    assert_eq!(c.ssh.user, "root");
    assert_eq!(c.ssh.max_sessions_per_host, 8);
    assert_eq!(c.ssh.connect_timeout, Duration::from_secs(10));
    assert_eq!(c.policies.of("cluster"), Policy::Correct);
    assert_eq!(c.state_dir, PathBuf::from("/var/lib/agent"));
    assert_eq!(c.listen.to_string(), "127.0.0.1:9440");
}

#[test]
fn full_file_parses() {
    let c = Config::parse(
        "agent.yaml",
        "repo:\n  url: ssh://git@10.77.0.30/srv/platform.git\n  path: deploy\n\
         interval: 5s\njitter: 500ms\n\
         ssh:\n  identityFile: /etc/agent/id_ed25519\n  knownHosts: /etc/agent/known_hosts\n  user: deploy\n  connectTimeout: 3s\n  maxSessionsPerHost: 4\n\
         kubeconfig: /etc/agent/kubeconfig\n\
         policies: {gateway: observe, workloads: observe}\n\
         stateDir: /srv/agent\nlisten: 0.0.0.0:8080\n",
    )
    .unwrap();
    let repo = c.repo.clone().unwrap();
    assert_eq!(
        (repo.branch.as_str(), repo.path.as_str()),
        ("main", "deploy")
    );
    assert_eq!(repo.timeout, Duration::from_secs(60));
    assert_eq!(c.jitter(), Duration::from_millis(500));
    assert_eq!(c.ssh.user, "deploy");
    assert_eq!(c.ssh.max_sessions_per_host, 4);
    assert_eq!(c.policies.of("gateway"), Policy::Observe);
    assert_eq!(c.policies.of("balancer"), Policy::Correct);
    assert_eq!(c.listen.port(), 8080);
}

#[test]
fn unknown_field_points_at_it() {
    let d = invalid("ssh:\n  identityFile: k\n  knownHost: kh\n");
    assert_eq!((d.file.as_str(), d.line, d.column), ("agent.yaml", 3, 3));
    assert!(
        d.message.contains("unknown field `knownHost`"),
        "{}",
        d.message
    );
    assert!(d.message.contains("knownHosts"), "{}", d.message);
    let top = invalid("interval: 5s\nlab: {}\n");
    assert_eq!((top.line, top.column), (2, 1));
}

#[test]
fn bad_values_point_at_the_value() {
    let d = invalid("interval: 30\n");
    assert_eq!(d.line, 1);
    assert!(d.message.contains("missing unit"), "{}", d.message);
    let d = invalid("policies:\n  balancer: fix\n");
    assert_eq!(d.line, 2);
    assert!(
        d.message.contains("correct") && d.message.contains("observe"),
        "{}",
        d.message
    );
    let d = invalid("listen: localhost\n");
    assert_eq!(d.line, 1);
    let d = invalid("repo: {branch: main}\n");
    assert!(d.message.contains("missing field `url`"), "{}", d.message);
}

#[test]
fn cross_field_checks_name_the_key() {
    let d = invalid("interval: 5s\njitter: 5s\n");
    assert_eq!((d.line, d.column), (2, 1));
    assert!(d.message.contains("shorter than interval"), "{}", d.message);
    let d = invalid("ssh:\n  maxSessionsPerHost: 0\n");
    assert_eq!((d.line, d.column), (2, 3));
    assert!(d.hint.is_some());
    let d = invalid("interval: 0s\n");
    assert!(d.message.contains("positive"));
    let d = invalid("rollout:\n  concurrency: 0\n");
    assert_eq!((d.line, d.column), (2, 3));
    assert!(d.message.contains("at least 1"), "{}", d.message);
}

#[test]
fn rollout_concurrency_defaults_to_20_and_is_read() {
    assert_eq!(Config::parse("a.yaml", "{}\n").unwrap().rollout.cap(), 20);
    let c = Config::parse("a.yaml", "rollout: {concurrency: 50}\n").unwrap();
    assert_eq!(c.rollout.cap(), 50);
}

#[test]
fn relative_paths_follow_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("agent.yaml");
    std::fs::write(
        &path,
        "repo: {url: ../platform}\nssh: {identityFile: id_ed25519, knownHosts: /abs/kh}\nstateDir: state\n",
    )
    .unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(c.ssh.identity_file.unwrap(), tmp.path().join("id_ed25519"));
    assert_eq!(c.ssh.known_hosts.unwrap(), PathBuf::from("/abs/kh"));
    assert_eq!(c.state_dir, tmp.path().join("state"));
    assert_eq!(
        c.repo.unwrap().url,
        tmp.path().join("../platform").display().to_string()
    );
    let missing = Config::load(&tmp.path().join("nope.yaml")).unwrap_err();
    assert!(matches!(missing, ConfigError::Read { .. }));
}

/// The `ssh:` section exactly as `tests/lab/lab up` writes it.
#[test]
fn lab_ssh_section_parses() {
    let c = Config::parse(
        "agent.yaml",
        "# agent configuration for the lab (written by tests/lab/lab up)\nssh:\n  user: root\n  \
         identityFile: /srv/agent-lab/id_ed25519\n  knownHosts: /srv/agent-lab/known_hosts\n",
    )
    .unwrap();
    assert_eq!(
        c.ssh.identity_file,
        Some(PathBuf::from("/srv/agent-lab/id_ed25519"))
    );
    assert_eq!(
        c.ssh.known_hosts,
        Some(PathBuf::from("/srv/agent-lab/known_hosts"))
    );
    assert_eq!(c.ssh.user, "root");
}

#[test]
fn secrets_and_trust_sections_parse_and_resolve() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("agent.yaml");
    std::fs::write(
        &path,
        "secrets: {ageIdentityFile: age.key, plaintextPolicy: deny}\n\
         trust:\n  requireSignedCommits: true\n  \
         allowedSigners: [{principal: ops@example.test, key: ssh-ed25519 AAAAC3Nz}]\n  \
         allowedGpgFingerprints: [\"abcd 1234\"]\n",
    )
    .unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(
        c.secrets.age_identity_file,
        Some(tmp.path().join("age.key"))
    );
    assert_eq!(
        c.secrets.plaintext_policy,
        crate::secrets::detect::Policy::Deny
    );
    assert!(c.trust.require_signed_commits);
    let allow = c.trust.allow_list();
    assert_eq!(allow.ssh[0].principal, "ops@example.test");
    assert_eq!(allow.gpg_fingerprints, ["ABCD1234"]);
    let d = Config::parse("agent.yaml", "trust: {requireSigned: true}\n").unwrap_err();
    assert!(d.to_string().contains("unknown field"), "{d}");
    let defaults = Config::parse("agent.yaml", "").unwrap();
    assert!(!defaults.trust.require_signed_commits);
    assert_eq!(
        defaults.secrets.plaintext_policy,
        crate::secrets::detect::Policy::Warn
    );
}

#[test]
fn ssh_persistence_is_off_unless_asked_and_parses_when_asked() {
    let c = Config::parse("agent.yaml", "").unwrap();
    assert_eq!(
        (c.ssh.persist, c.ssh.kex_algorithms.as_deref()),
        (None, None)
    );
    let c = Config::parse(
        "agent.yaml",
        "ssh: {kexAlgorithms: curve25519-sha256, persist: 10m, controlDir: cp}\n",
    )
    .unwrap();
    assert_eq!(c.ssh.persist, Some(Duration::from_secs(600)));
    assert_eq!(c.ssh.kex_algorithms.as_deref(), Some("curve25519-sha256"));
    let d = invalid("ssh:\n  persist: forever\n");
    assert_eq!((d.line, d.column), (2, 12), "{}", d.message);
}

#[test]
fn service_settings_parse_and_resolve() {
    let c = Config::parse("agent.yaml", "").unwrap();
    assert_eq!(
        (c.drift_interval, c.allow_force_push, c.webhook_secret_file),
        (None, false, None)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agent.yaml");
    std::fs::write(
        &file,
        "driftInterval: 2m\nallowForcePush: true\nwebhookSecretFile: hook.secret\n",
    )
    .unwrap();
    let c = Config::load(&file).unwrap();
    assert_eq!(c.drift_interval, Some(Duration::from_secs(120)));
    assert!(c.allow_force_push);
    assert_eq!(c.webhook_secret_file, Some(dir.path().join("hook.secret")));
    let d = invalid("driftInterval: soon\n");
    assert_eq!(d.line, 1, "{}", d.message);
}

#[test]
fn cluster_policy_reports_unless_told_otherwise() {
    let c = Config::parse("agent.yaml", "").unwrap();
    assert_eq!(
        crate::targets::cluster::ClusterPolicy::from(&c.cluster),
        crate::targets::cluster::ClusterPolicy::default()
    );
    let c = Config::parse(
        "agent.yaml",
        "cluster:\n  strayConstraints: remove\n  corosync: reload\n",
    )
    .unwrap();
    let p = crate::targets::cluster::ClusterPolicy::from(&c.cluster);
    assert!(p.remove_stray_location_constraints && p.manage_corosync);
    let d = invalid("cluster:\n  corosync: restart\n");
    assert_eq!(d.line, 2);
    assert!(
        d.message.contains("report") && d.message.contains("reload"),
        "{}",
        d.message
    );
}

#[test]
fn leader_election_parses_with_defaults() {
    let c = Config::parse(
        "agent.yaml",
        "interval: 5s\nleaderElection: { lease: agent, namespace: agent-system }\n",
    )
    .unwrap();
    let l = c.leader_election.unwrap();
    assert_eq!(
        (l.lease.as_str(), l.namespace.as_str()),
        ("agent", "agent-system")
    );
    assert_eq!(
        (l.duration, l.renew),
        (Duration::from_secs(15), Duration::from_secs(10))
    );
    assert!(Config::parse("agent.yaml", "interval: 5s\n")
        .unwrap()
        .leader_election
        .is_none());
}

#[test]
fn leader_election_errors_point_at_the_key() {
    let d = invalid("interval: 5s\nleaderElection:\n  lease: agent\n  namespace: ns\n  duration: 3s\n  renew: 3s\n");
    assert_eq!((d.line, d.column), (6, 3), "{d}");
    assert!(d.message.contains("shorter than duration"), "{d}");
    let d = invalid("leaderElection: { lease: Agent_1, namespace: ns }\n");
    assert!(d.message.contains("not a valid object name"), "{d}");
    assert_eq!(d.line, 1);
    let d =
        invalid("leaderElection:\n  lease: a\n  namespace: ns\n  duration: 1500ms\n  renew: 1s\n");
    assert_eq!(d.line, 4, "{d}");
    assert!(d.message.contains("whole seconds"), "{d}");
    let d = invalid("leaderElection:\n  lease: a\n  namespace: ns\n  extra: 1\n");
    assert_eq!(d.line, 4, "{d}");
}

#[test]
fn a_shard_names_its_own_lease_and_must_make_a_valid_name() {
    let c = Config::parse(
        "agent.yaml",
        "shard: eu-1\nleaderElection: { lease: agent, namespace: agent-system }\n",
    )
    .unwrap();
    assert_eq!(c.shard.as_deref(), Some("eu-1"));
    let le = c.leader_election.unwrap();
    assert_eq!(le.lease_name(c.shard.as_deref()), "agent-eu-1");
    assert_eq!(le.lease_name(None), "agent");
    // A valid label value alone, without leader election.
    assert!(Config::parse("agent.yaml", "shard: EU_1\n").is_ok());
    // The same shard cannot name a Lease: pointed at `shard:`.
    let d = invalid("interval: 5s\nleaderElection: { lease: agent, namespace: ns }\nshard: EU_1\n");
    assert_eq!((d.line, d.column), (3, 1), "{d}");
    assert!(d.message.contains("`agent-EU_1`"), "{d}");
    assert!(d
        .hint
        .as_deref()
        .unwrap_or_default()
        .contains("<lease>-<shard>"));
    let d = invalid("shard: 'a b'\n");
    assert!(d.message.contains("not a label value"), "{d}");
    let d = invalid("shard: ''\n");
    assert_eq!(d.line, 1, "{d}");
}

#[test]
fn a_shards_commit_statuses_have_their_own_context_unless_one_is_set() {
    let text = "shard: eu-1\nnotify:\n  github: {repository: o/r, tokenFile: t}\n  gitlab: {api: https://g/api/v4, project: p, tokenFile: t, name: mine}\n";
    let c = Config::parse("agent.yaml", text).unwrap();
    let n = c.notify.clone().for_shard(c.shard.as_deref());
    assert_eq!(n.github.unwrap().context, "agent/eu-1");
    assert_eq!(n.gitlab.unwrap().name, "mine", "an explicit name is kept");
    let n = c.notify.clone().for_shard(None);
    assert_eq!(n.github.unwrap().context, "agent");
}
