//! The skip contract, end to end: this binary runs its own `skipping_child` test as a
//! child process, once with a skip log (the record lands there, the child passes) and
//! once under `AGENT_TESTS_REQUIRE_ALL=1` (the child fails).

use std::path::PathBuf;
use std::process::{Command, Output};

#[test]
#[ignore = "run as a child process by the other tests of this file"]
fn skipping_child() {
    test_skip::skip!("the tool is\nmissing");
    #[allow(unreachable_code)]
    {
        panic!("skip! must return");
    }
}

fn child(log: &PathBuf, require_all: bool) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--ignored", "--exact", "skipping_child", "--test-threads=2"])
        .env(test_skip::LOG_ENV, log)
        .env_remove(test_skip::REQUIRE_ALL_ENV);
    if require_all {
        cmd.env(test_skip::REQUIRE_ALL_ENV, "1");
    }
    cmd.output().unwrap()
}

fn temp_log(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("test-skip-{}-{name}.log", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn a_skip_is_printed_and_appended_to_the_log() {
    let log = temp_log("record");
    let out = child(&log, false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stderr.contains("SKIP record::skipping_child: the tool is missing"),
        "{stderr}"
    );
    // Twice: both records stay, one line each.
    assert!(child(&log, false).status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    assert_eq!(
        text,
        "record::skipping_child\tthe tool is missing\n".repeat(2),
        "{text:?}"
    );
}

#[test]
fn under_require_all_a_skip_fails_the_test() {
    let log = temp_log("require");
    let out = child(&log, true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        stdout.contains("forbids skips: the tool is\nmissing"),
        "{stdout}"
    );
    assert!(!log.exists(), "a forbidden skip is a failure, not a record");
}
