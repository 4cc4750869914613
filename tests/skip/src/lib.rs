//! Visible, counted skips for the workspace's tests.
//!
//! libtest has no runtime skip (`#[ignore]` is decided at compile time), so a test that
//! cannot run here — a tool not installed, no root, `KUBECONFIG` pointing at a real
//! cluster — calls [`skip!`] (or [`record`] from a helper, then returns). That:
//!
//! 1. prints `SKIP <suite>::<test>: <reason>` straight to the process's stderr (past
//!    libtest's output capture, so it shows in a plain `cargo test` too);
//! 2. appends the same record to the file named by `AGENT_TESTS_SKIP_LOG`, which
//!    `tests/run-all.sh` sets, reads and counts (`passed N, failed N, skipped N` and the
//!    list of what was skipped and why);
//! 3. panics instead when `AGENT_TESTS_REQUIRE_ALL=1` (`.ci/run` sets it): in CI every
//!    test must really run, so a broken install step fails the run instead of turning
//!    it green.
//!
//! The test still shows as `ok` in libtest's own lines; the skip log is what counts.

use std::io::Write;

/// The variable naming the file skips are appended to (one line each).
pub const LOG_ENV: &str = "AGENT_TESTS_SKIP_LOG";
/// Set to `1`: a skip is a failure.
pub const REQUIRE_ALL_ENV: &str = "AGENT_TESTS_REQUIRE_ALL";

/// Skips the current test: [`record`]s `reason` (a `format!` string), then returns from
/// the enclosing function (which must return `()`).
///
/// ```text
/// if which("haproxy").is_none() {
///     test_skip::skip!("haproxy is not installed (bash tests/setup installs it)");
/// }
/// ```
#[macro_export]
macro_rules! skip {
    ($($reason:tt)+) => {{
        $crate::record(&::std::format!($($reason)+));
        return;
    }};
}

/// Records that the current test is skipped for `reason`: prints it and appends it to
/// the skip log. Panics under `AGENT_TESTS_REQUIRE_ALL=1`. The caller returns next.
#[track_caller]
pub fn record(reason: &str) {
    let test = test_name();
    if std::env::var_os(REQUIRE_ALL_ENV).is_some_and(|v| v == "1") {
        panic!("{test} cannot run here and {REQUIRE_ALL_ENV}=1 forbids skips: {reason}");
    }
    let line = format!("{test}\t{}\n", one_line(reason));
    // Unbuffered, uncaptured: visible even while libtest captures the test's output.
    let _ = std::io::stderr().write_all(format!("SKIP {test}: {}\n", one_line(reason)).as_bytes());
    if let Some(path) = std::env::var_os(LOG_ENV) {
        // O_APPEND with one write per record: test processes running side by side
        // never interleave within a line.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            panic!(
                "cannot append to the skip log {}: {e}",
                path.to_string_lossy()
            );
        }
    }
}

/// `suite::test`: the test binary's name without Cargo's hash, and libtest's name of
/// the test (the name of the thread it runs on).
pub fn test_name() -> String {
    let suite = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .map(|n| strip_hash(&n).to_string())
        .unwrap_or_else(|| "?".into());
    let thread = std::thread::current();
    let test = match thread.name() {
        Some(name) if name != "main" => name.to_string(),
        // libtest runs a test on the main thread only with --test-threads=1 on some
        // platforms; the suite name is still right.
        _ => "?".to_string(),
    };
    format!("{suite}::{test}")
}

/// `secrets_sops-0123456789abcdef` → `secrets_sops`.
fn strip_hash(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((stem, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            stem
        }
        _ => name,
    }
}

fn one_line(reason: &str) -> String {
    reason.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suite_name_loses_cargo_s_hash_only() {
        assert_eq!(strip_hash("secrets_sops-0123456789abcdef"), "secrets_sops");
        assert_eq!(
            strip_hash("agent_tests-0123456789abcdeg"),
            "agent_tests-0123456789abcdeg"
        );
        assert_eq!(strip_hash("lab"), "lab");
    }

    #[test]
    fn the_test_name_is_libtest_s() {
        let name = test_name();
        assert!(
            name.ends_with("::tests::the_test_name_is_libtest_s"),
            "{name}"
        );
    }

    #[test]
    fn a_reason_is_one_line() {
        assert_eq!(one_line("needs\n  root\tand sshd "), "needs root and sshd");
    }
}
