//! The real validators on rendered output: `haproxy -c`, `apache2ctl -t` on a
//! staged tree, `crm_verify` on a CIB built from the fragment.
//!
//! The tools are Debian packages (haproxy, apache2, pacemaker-cli-utils) that
//! CI installs; on a machine without one, the tests that need it record a
//! counted skip and check only that the tool is reported as skipped.

use agent::localcheck::{check, check_with, find_tool, LocalCheck, Tools};
use agent::render::render;
use schema::DesiredState;
use std::path::Path;

fn sample_state() -> DesiredState {
    agent_tests::sample::load_sample().state
}

/// The checks themselves, never a cached pass (these tests are about the real tools).
fn run(state: &DesiredState) -> LocalCheck {
    check_with(&render(state).unwrap(), &Tools::from_path(), Some(state))
}

/// True when `tool` is installed; otherwise asserts it was reported as skipped by the
/// check, and records this test as skipped (`test_skip`).
fn ran(result: &LocalCheck, tool: &str) -> bool {
    if find_tool(tool).is_some() {
        return true;
    }
    test_skip::record(&format!(
        "{tool} is not installed: its check cannot run (bash tests/setup installs it)"
    ));
    assert!(result.skipped.iter().any(|s| s == tool), "{result:?}");
    false
}

fn problems_text(r: &LocalCheck) -> String {
    r.problems.iter().map(|d| format!("{d}\n")).collect()
}

#[test]
fn sample_repo_passes_every_installed_validator() {
    let r = run(&sample_state());
    assert!(r.problems.is_empty(), "{}", problems_text(&r));
    if ran(&r, "haproxy") {
        // ha1 and ha2 get the same file: checked once, naming both.
        assert!(
            r.checked
                .contains(&"haproxy -c: ha1,ha2:/etc/haproxy/haproxy.cfg".to_string()),
            "{r:?}"
        );
    }
    if ran(&r, "apache2ctl") {
        assert!(
            r.checked
                .iter()
                .any(|c| c.starts_with("apache2ctl -t: gw:")),
            "{r:?}"
        );
    }
    if ran(&r, "crm_verify") {
        assert!(
            r.checked.iter().any(|c| c.starts_with("crm_verify:")),
            "{r:?}"
        );
    }
}

#[test]
fn missing_tools_are_skipped_not_errors() {
    let r = check_with(&render(&sample_state()).unwrap(), &Tools::default(), None);
    assert!(r.problems.is_empty(), "{}", problems_text(&r));
    assert_eq!(
        r.skipped,
        ["haproxy", "apache2ctl", "crm_verify", "resource-agents"]
    );
    assert!(r.checked.is_empty());
}

#[test]
fn haproxy_rejection_names_hosts_file_line_and_document() {
    let mut s = sample_state();
    s.balancers[0].doc.spec.raw =
        Some("frontend broken\n    bind *:81\n    bogus_keyword 1".into());
    let r = run(&s);
    if !ran(&r, "haproxy") {
        return;
    }
    let d = r
        .problems
        .iter()
        .find(|d| d.is_error())
        .unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!(d.file, "balancer/haproxy.yaml");
    assert!(
        d.message.contains("ha1,ha2:/etc/haproxy/haproxy.cfg"),
        "{}",
        d.message
    );
    assert!(d.message.contains("`bogus_keyword 1`"), "{}", d.message);
    assert!(
        d.message.contains("unknown keyword 'bogus_keyword'"),
        "{}",
        d.message
    );
    assert!(
        !d.message.contains("agent-check-"),
        "temporary path leaked: {}",
        d.message
    );
}

#[test]
fn without_the_state_a_problem_names_its_document_in_the_message() {
    let mut s = sample_state();
    s.balancers[0].doc.spec.raw = Some("frontend broken\n    bogus_keyword 1".into());
    let r = check(&render(&s).unwrap());
    if !ran(&r, "haproxy") {
        return;
    }
    let d = r
        .problems
        .iter()
        .find(|d| d.is_error())
        .unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!((d.file.as_str(), d.line), ("", 0));
    assert!(
        d.message.starts_with("Balancer/lab: haproxy -c rejects"),
        "{}",
        d.message
    );
}

#[test]
fn apache_rejection_names_host_file_line_and_document() {
    let mut s = sample_state();
    s.gateways[0].doc.spec.vhosts[0].raw = Some("NoSuchDirective on".into());
    let r = run(&s);
    if !ran(&r, "apache2ctl") {
        return;
    }
    assert_eq!(r.problems.len(), 1, "{}", problems_text(&r));
    let d = &r.problems[0];
    assert!(d.is_error());
    assert_eq!(d.file, "gateway/gateway.yaml");
    assert!(
        d.message
            .contains("gw:/etc/apache2/sites-enabled/agent-apps.conf line"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("Invalid command 'NoSuchDirective'"),
        "{}",
        d.message
    );
    assert!(
        !d.message.contains("agent-check-"),
        "temporary path leaked: {}",
        d.message
    );
}

#[test]
fn apache_module_that_does_not_exist_is_an_error() {
    let mut s = sample_state();
    s.gateways[0].doc.spec.modules.push("no_such_module".into());
    let r = run(&s);
    if !ran(&r, "apache2ctl") {
        return;
    }
    assert!(
        r.problems
            .iter()
            .any(|d| d.is_error() && d.message.contains("`no_such_module`")),
        "{}",
        problems_text(&r)
    );
}

#[test]
fn apache_check_needs_the_modules_the_site_uses() {
    // Without the staged module links, `SSLEngine` and `ProxyPass` would be
    // unknown commands: a pass proves the modules (and ssl's dependencies) were enabled.
    let mut s = sample_state();
    s.gateways[0].doc.spec.modules.clear();
    let r = run(&s);
    if ran(&r, "apache2ctl") {
        assert!(r.problems.is_empty(), "{}", problems_text(&r));
    }
}

#[test]
fn crm_verify_rejects_a_constraint_on_an_undeclared_resource() {
    let mut s = sample_state();
    s.clusters[0].doc.spec.constraints.colocations[0].with_rsc = Some("nope".into());
    let r = run(&s);
    if !ran(&r, "crm_verify") {
        return;
    }
    let d = r
        .problems
        .iter()
        .find(|d| d.is_error())
        .unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!(d.file, "cluster/cluster.yaml");
    assert!(d.message.contains("HaCluster/lab"), "{}", d.message);
    assert!(d.message.contains("\"nope\""), "{}", d.message);
}

#[test]
fn crm_verify_rejects_stonith_without_a_fencing_device() {
    let mut s = sample_state();
    s.clusters[0]
        .doc
        .spec
        .properties
        .insert("stonith-enabled".into(), "true".into());
    let r = run(&s);
    if ran(&r, "crm_verify") {
        assert!(r.problems.iter().any(|d| d.is_error()), "{r:?}");
    }
}

#[test]
fn the_real_apache_tree_is_left_alone() {
    let listing = |d: &str| -> Vec<String> {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .map(|r| {
                r.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let before = (
        listing("/etc/apache2/sites-enabled"),
        listing("/etc/apache2/mods-enabled"),
    );
    let r = run(&sample_state());
    let after = (
        listing("/etc/apache2/sites-enabled"),
        listing("/etc/apache2/mods-enabled"),
    );
    assert_eq!(before, after, "{r:?}");
}

/// True when Debian's resource-agents (heartbeat provider) are installed here.
fn has_resource_agents(r: &LocalCheck) -> bool {
    if Path::new("/usr/lib/ocf/resource.d/heartbeat/IPaddr2").is_file() {
        return true;
    }
    test_skip::record("resource-agents are not installed: the OCF agent check cannot run");
    assert!(r.problems.is_empty() || !r.problems.iter().any(|d| d.message.contains("IPaddr")));
    false
}

#[test]
fn sample_vip_agent_and_parameters_are_known() {
    let r = run(&sample_state());
    if has_resource_agents(&r) {
        assert!(
            r.checked
                .iter()
                .any(|c| c.starts_with("ocf:heartbeat:IPaddr2 meta-data")),
            "{r:?}"
        );
        assert!(r.problems.is_empty(), "{}", problems_text(&r));
    }
}

#[test]
fn unknown_ocf_agent_and_parameter_are_errors() {
    let mut s = sample_state();
    s.clusters[0].doc.spec.resources.push(schema::Resource {
        id: "typo".into(),
        class: Some(schema::ResourceClass::Ocf),
        provider: Some("heartbeat".into()),
        agent: Some("IPadr2".into()),
        ..Default::default()
    });
    let mut extra = std::collections::BTreeMap::new();
    extra.insert("ip".to_string(), "10.77.0.101".to_string());
    extra.insert("netmask".to_string(), "24".to_string());
    s.clusters[0].doc.spec.resources.push(schema::Resource {
        id: "vip2".into(),
        class: Some(schema::ResourceClass::Ocf),
        provider: Some("heartbeat".into()),
        agent: Some("IPaddr2".into()),
        params: extra,
        ..Default::default()
    });
    let r = run(&s);
    if !has_resource_agents(&r) {
        return;
    }
    let text = problems_text(&r);
    assert!(text.contains("cluster/cluster.yaml"), "{text}");
    assert!(
        text.contains("resource `typo`: ocf:heartbeat:IPadr2 is not a resource agent"),
        "{text}"
    );
    assert!(
        text.contains("resource `vip2`: ocf:heartbeat:IPaddr2 has no parameter `netmask`"),
        "{text}"
    );
}

#[test]
fn a_required_agent_parameter_must_be_declared() {
    let mut s = sample_state();
    s.clusters[0].doc.spec.resources.push(schema::Resource {
        id: "vip3".into(),
        class: Some(schema::ResourceClass::Ocf),
        provider: Some("heartbeat".into()),
        agent: Some("IPaddr2".into()),
        ..Default::default()
    });
    let r = run(&s);
    if has_resource_agents(&r) {
        assert!(
            problems_text(&r)
                .contains("resource `vip3`: ocf:heartbeat:IPaddr2 requires parameter `ip`"),
            "{}",
            problems_text(&r)
        );
    }
}
