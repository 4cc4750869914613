//! The cache of passed local checks (`agent validate`): only clean passes are stored,
//! keyed by the render, and `AGENT_NO_CHECK_CACHE=1` turns it off.

use std::path::Path;
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn validate(repo: &Path, cache: &Path, extra_env: &[(&str, &str)]) -> i32 {
    let mut c = Command::new(env!("CARGO_BIN_EXE_agent"));
    c.args(["validate", "--output", "json"])
        .arg(repo)
        .env("XDG_CACHE_HOME", cache)
        .env_remove("AGENT_NO_CHECK_CACHE");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    c.output().unwrap().status.code().unwrap()
}

fn entries(cache: &Path) -> usize {
    std::fs::read_dir(cache.join("agent/checks"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn only_clean_passes_are_cached_and_a_change_is_checked_again() {
    if agent::localcheck::find_tool("haproxy").is_none() {
        test_skip::skip!("haproxy is not installed (bash tests/setup installs it)");
    }
    let tmp = tempfile::tempdir().unwrap();
    let (repo, cache) = (tmp.path().join("repo"), tmp.path().join("cache"));
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-repo"),
        &repo,
    );

    assert_eq!(validate(&repo, &cache, &[("AGENT_NO_CHECK_CACHE", "1")]), 0);
    assert_eq!(entries(&cache), 0, "the cache can be turned off");
    assert_eq!(validate(&repo, &cache, &[]), 0);
    assert_eq!(entries(&cache), 1, "a clean pass is stored");
    assert_eq!(validate(&repo, &cache, &[]), 0, "and reused");
    assert_eq!(entries(&cache), 1);

    // A config HAProxy rejects: checked (not taken from the cache) and never stored.
    // (balancer/haproxy.yaml is a sops file, whose MAC covers every value: the raw
    // section goes in front of its `stats:` block, which keeps the YAML valid, and the
    // check runs without the key, so the MAC is not what fails.)
    let f = repo.join("balancer/haproxy.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    let bad = text.replacen(
        "\n  stats:\n",
        "\n  raw: |\n    bogus_keyword 1\n  stats:\n",
        1,
    );
    assert_ne!(bad, text);
    std::fs::write(&f, bad).unwrap();
    assert_eq!(validate(&repo, &cache, &[]), 2);
    assert_eq!(validate(&repo, &cache, &[]), 2, "a failure is never cached");
    assert_eq!(entries(&cache), 1);
}
