//! The directory walk: what it reads, what it skips, and where it stops. Big files are
//! sparse (a `set_len` that allocates nothing), so gigabytes cost nothing here.

use super::*;

fn tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("inventory.yaml"), "kind: Inventory\n").unwrap();
    tmp
}

fn sparse(path: &Path, len: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

fn paths(w: &Walked) -> Vec<&str> {
    let mut v: Vec<&str> = w.files.iter().map(|f| f.path.as_str()).collect();
    v.sort();
    v
}

#[test]
fn yaml_whole_small_text_for_the_scan_and_nothing_else() {
    let t = tree();
    let d = t.path();
    std::fs::create_dir_all(d.join("gateway")).unwrap();
    std::fs::write(d.join("gateway/tls.key"), "-----BEGIN PRIVATE KEY-----\n").unwrap();
    std::fs::write(d.join("logo.png"), b"\x89PNG\0\0\0binary").unwrap();
    sparse(&d.join("dist/agent.tar"), 8 << 20);
    let w = walk(d, &Limits::default()).unwrap();
    assert_eq!(paths(&w), ["gateway/tls.key", "inventory.yaml"]);
    assert!(w.has_agent_document);
    assert_eq!(w.yaml_files, 1);
}

#[test]
fn what_git_would_ignore_is_never_walked() {
    let t = tree();
    let d = t.path();
    std::fs::write(d.join(".gitignore"), "/build/\n*.log\n").unwrap();
    std::fs::create_dir_all(d.join(".git")).unwrap();
    std::fs::write(d.join(".git/config.yaml"), "x: 1\n").unwrap();
    std::fs::create_dir_all(d.join("build")).unwrap();
    std::fs::write(d.join("build/out.yaml"), "x: 1\n").unwrap();
    std::fs::write(d.join("debug.log"), "x\n").unwrap();
    // A Cargo target directory carries CACHEDIR.TAG, with or without a .gitignore.
    std::fs::create_dir_all(d.join("sub/target/debug")).unwrap();
    std::fs::write(
        d.join("sub/target/CACHEDIR.TAG"),
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    )
    .unwrap();
    std::fs::write(d.join("sub/target/debug/x.yaml"), "x: 1\n").unwrap();
    let w = walk(d, &Limits::default()).unwrap();
    assert_eq!(paths(&w), [".gitignore", "inventory.yaml"]);
}

#[test]
fn gigabytes_of_build_output_are_not_read() {
    let t = tree();
    let d = t.path();
    for i in 0..300 {
        sparse(&d.join(format!("bin/tool-{i}")), 8 << 20);
    }
    sparse(&d.join("images/disk.img"), 4 << 30);
    let w = walk(d, &Limits::default()).unwrap();
    assert_eq!(paths(&w), ["inventory.yaml"]);
    let read: usize = w.files.iter().map(|f| f.bytes.len()).sum();
    assert!(read < 100, "{read} bytes read");
}

#[test]
fn each_limit_ends_in_an_error_naming_it_and_the_path() {
    let t = tree();
    let d = t.path();
    sparse(&d.join("huge.yaml"), 1 << 30);
    let err = walk(d, &Limits::default()).unwrap_err().to_string();
    assert!(
        err.contains("huge.yaml: YAML file of 1073741824 bytes, more than 8388608 per file"),
        "{err}"
    );
    std::fs::remove_file(d.join("huge.yaml")).unwrap();

    for i in 0..5 {
        std::fs::write(d.join(format!("f{i}.txt")), "x\n").unwrap();
    }
    let few = Limits {
        files: 3,
        ..Limits::default()
    };
    let err = walk(d, &few).unwrap_err().to_string();
    assert!(
        err.contains(": more than 3 files (a directory source's limit"),
        "{err}"
    );

    let small = Limits {
        total_bytes: 20,
        ..Limits::default()
    };
    std::fs::write(d.join("big.yaml"), "x".repeat(30)).unwrap();
    let err = walk(d, &small).unwrap_err().to_string();
    assert!(err.contains("more than 20 bytes read in all"), "{err}");
}

#[test]
fn the_mark_of_a_desired_state_repo() {
    assert!(marks_agent_repo(b"apiVersion: agent/v1\nkind: Gateway\n"));
    assert!(marks_agent_repo(b"---\nkind: \"Inventory\"\n"));
    assert!(!marks_agent_repo(
        b"apiVersion: apps/v1\nkind: Deployment\n"
    ));
    assert!(!marks_agent_repo(
        b"# kind: Inventory is what we want\nservices: {}\n"
    ));
    // A hidden directory's YAML (CI recipes) does not make a repo.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join(".github")).unwrap();
    std::fs::write(tmp.path().join(".github/x.yaml"), "apiVersion: agent/v1\n").unwrap();
    assert!(
        !walk(tmp.path(), &Limits::default())
            .unwrap()
            .has_agent_document
    );
}
