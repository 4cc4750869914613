//! The sample repo is the users' starting point: it must load without any
//! diagnostic, and hidden paths (the CI recipes, `.sops.yaml`) must be ignored by the
//! loader. Its secrets are sops-encrypted to the demo key: loaded as the agent does.

use std::path::Path;

#[test]
fn sample_repo_loads_without_diagnostics() {
    let p = agent_tests::sample::load_sample();
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let state = p.state;
    let inv = state.inventory.as_ref().expect("an inventory");
    let names: Vec<_> = inv.doc.spec.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["gw", "ha1", "ha2", "w1", "w2"]);
    assert!(inv.doc.spec.hosts.iter().all(|h| h.host_key.is_none()));
    assert_eq!(state.gateways.len(), 1);
    assert_eq!(state.balancers.len(), 1);
    assert_eq!(state.clusters.len(), 1);
    assert_eq!(state.apps.len(), 1);
    // keycloak Namespace and Secret + web's Namespace, ConfigMap, Deployment, Service.
    assert_eq!(state.manifests.len(), 6);
    // The encrypted values, decrypted: the stats password, the Secret's data, the TLS key.
    let auth = state.balancers[0]
        .doc
        .spec
        .stats
        .as_ref()
        .unwrap()
        .auth
        .as_ref();
    assert_eq!(auth.map(|a| a.user.as_str()), Some("admin"));
    assert_eq!(
        p.secrets.len(),
        3,
        "stats password, the Secret's password and the gateway's TLS key"
    );
    let tls = state.gateways[0].doc.spec.vhosts[0].tls.as_ref().unwrap();
    let key = tls.key_pem.as_deref().unwrap_or_default();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "decrypted");
    assert!(p.secrets.iter().any(|s| s == key));
    assert!(p.secrets.iter().all(|s| !s.starts_with("ENC[")));
    let vip = state.clusters[0].doc.spec.vip.as_ref().expect("a VIP");
    assert_eq!((vip.ip.as_str(), vip.cidr_netmask), ("10.77.0.100", 24));
}

#[test]
fn ci_recipes_exist_and_are_skipped_by_the_loader() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-repo");
    for recipe in [".github/workflows/agent-validate.yml", ".gitlab-ci.yml"] {
        let text = std::fs::read_to_string(root.join(recipe)).expect(recipe);
        assert!(text.contains("agent validate"), "{recipe}");
    }
    // The PR preview: validate, then the preview, one comment edited in place.
    for recipe in [".github/workflows/agent-preview.yml", ".gitlab-ci.yml"] {
        let text = std::fs::read_to_string(root.join(recipe)).expect(recipe);
        let (v, p) = (
            text.find("agent validate").expect(recipe),
            text.find("--output markdown").expect(recipe),
        );
        assert!(v < p, "{recipe}: validate first");
        assert!(
            text.contains("--base") && text.contains("<!-- agent-preview -->"),
            "{recipe}"
        );
        assert!(
            text.contains("PATCH") || text.contains("PUT"),
            "{recipe}: edits in place"
        );
    }
    let state = agent_tests::sample::load_sample().state;
    let origins: Vec<_> = state
        .gateways
        .iter()
        .map(|g| g.origin.file.clone())
        .chain(state.manifests.iter().map(|m| m.origin.file.clone()))
        .collect();
    assert!(origins.iter().all(|f| !f.starts_with('.')), "{origins:?}");
}
