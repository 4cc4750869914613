//! Golden files: the sample repo's rendered output, byte for byte.
//!
//! `UPDATE_GOLDEN=1 cargo test -p agent --test render_golden` rewrites
//! `agent/tests/golden/sample-repo/` from the current renderers; review the
//! git diff of that directory like any other change.
//!
//! The sample repo's secrets are sops-encrypted to the demo key: it is loaded
//! decrypted, as the agent does, and the golden files hold every secret masked
//! (fixed masking key), never the cleartext.

use agent::render::Rendered;
use std::collections::BTreeMap;
use std::path::Path;

fn sample() -> Rendered {
    // What the agent writes: `prepare_dir` also marks secret-bearing files 0600.
    let p = agent_tests::sample::load_sample();
    let mut r = p.rendered;
    let mut masker = agent::mask::Masker::new("golden files");
    agent::secrets::register(&mut masker, &p.secrets);
    for f in &mut r.files {
        f.content = masker.mask(&f.content);
    }
    r.objects.iter_mut().for_each(|o| mask_json(o, &masker));
    r
}

fn mask_json(v: &mut serde_json::Value, masker: &agent::mask::Masker) {
    match v {
        serde_json::Value::String(s) => *s = masker.mask(s),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|v| mask_json(v, masker)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|v| mask_json(v, masker)),
        _ => {}
    }
}

/// Golden path → expected bytes, for everything the sample repo renders.
fn outputs(r: &Rendered) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in &r.files {
        out.insert(format!("files/{}{}", f.host, f.path), f.content.clone());
    }
    // Everything about the files except their content: where, mode, commands.
    let meta: Vec<_> = r
        .files
        .iter()
        .map(|f| {
            serde_json::json!({
                "host": f.host, "target": f.target, "path": f.path,
                "mode": format!("{:o}", f.mode), "check": f.check, "reload": f.reload,
                "modules": f.modules, "source": f.source,
            })
        })
        .collect();
    out.insert(
        "files.json".into(),
        serde_json::to_string_pretty(&meta).unwrap() + "\n",
    );
    for c in &r.cib {
        out.insert(format!("cib/{}.xml", c.cluster), c.xml.clone());
        out.insert(format!("cib/{}.ids", c.cluster), c.ids.join("\n") + "\n");
    }
    let mut yaml = String::new();
    for o in &r.objects {
        yaml.push_str("---\n");
        yaml.push_str(&serde_yaml::to_string(o).unwrap());
    }
    out.insert("objects.yaml".into(), yaml);
    out.insert(
        "objects.json".into(),
        serde_json::to_string_pretty(&r.objects).unwrap() + "\n",
    );
    out
}

fn existing(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if e.path().is_dir() {
            existing(&e.path(), &format!("{name}/"), out);
        } else {
            out.push(name);
        }
    }
}

#[test]
fn sample_repo_matches_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sample-repo");
    let want = outputs(&sample());
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        for (rel, content) in &want {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
        }
        test_skip::skip!("UPDATE_GOLDEN is set: the golden files were rewritten, not compared");
    }
    let mut failures = Vec::new();
    for (rel, content) in &want {
        match std::fs::read_to_string(dir.join(rel)) {
            Ok(g) if &g == content => {}
            Ok(g) => failures.push(format!("{rel} differs:\n{}", first_difference(&g, content))),
            Err(e) => failures.push(format!("{rel}: no golden file ({e})")),
        }
    }
    let mut have = Vec::new();
    existing(&dir, "", &mut have);
    for stale in have.iter().filter(|h| !want.contains_key(*h)) {
        failures.push(format!("{stale}: golden file no longer rendered"));
    }
    assert!(
        failures.is_empty(),
        "{}\n(rerun with UPDATE_GOLDEN=1 if the change is intended)",
        failures.join("\n")
    );
}

fn first_difference(golden: &str, got: &str) -> String {
    for (i, (g, n)) in golden.lines().zip(got.lines()).enumerate() {
        if g != n {
            return format!("  line {}:\n  golden: {g}\n  now:    {n}", i + 1);
        }
    }
    format!(
        "  lengths differ: golden {} lines, now {} lines",
        golden.lines().count(),
        got.lines().count()
    )
}

#[test]
fn rendering_is_byte_stable() {
    assert_eq!(outputs(&sample()), outputs(&sample()));
}

#[test]
fn sample_repo_renders_every_target() {
    let r = sample();
    let hosts: Vec<_> = r
        .files
        .iter()
        .map(|f| (f.host.as_str(), f.path.as_str()))
        .collect();
    assert_eq!(
        hosts,
        [
            ("gw", "/etc/apache2/sites-enabled/agent-apps.conf"),
            ("gw", "/etc/ssl/lab/gw.crt"),
            ("gw", "/etc/ssl/lab/gw.key"),
            ("ha1", "/etc/haproxy/haproxy.cfg"),
            ("ha2", "/etc/haproxy/haproxy.cfg"),
        ]
    );
    assert_eq!(r.cib.len(), 1);
    assert_eq!(r.cib[0].nodes, ["ha1", "ha2"]);
    let kinds: Vec<_> = r
        .objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "Namespace",
            "Secret",
            "ConfigMap",
            "Deployment",
            "Deployment",
            "Service",
            "Service"
        ]
    );
    for o in &r.objects {
        assert_eq!(
            o["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "agent"
        );
    }
}
